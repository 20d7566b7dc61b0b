//! Scan progress on a terminal: objects and bytes listed and scanned, the
//! rate, an estimate of the time left, findings so far and the highest
//! risk, on stderr. Nothing at all when stderr is not a terminal or with
//! `--quiet`, so logs and pipes stay clean. Listing runs alongside
//! scanning, so the estimate covers what is listed so far.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use assay_scanner::record::ObjectRecord;
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the listing has yielded so far (objects, bytes), shared with it.
#[derive(Debug, Clone, Default)]
pub struct Listed(Arc<(AtomicU64, AtomicU64)>);

impl Listed {
    pub fn add(&self, size: u64) {
        self.0.0.fetch_add(1, Ordering::Relaxed);
        self.0.1.fetch_add(size, Ordering::Relaxed);
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
    listed: Listed,
    objects: u64,
    bytes: u64,
    with_findings: u64,
    max_risk: u8,
}

impl Progress {
    pub fn new(quiet: bool, listed: Listed) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            listed,
            objects: 0,
            bytes: 0,
            with_findings: 0,
            max_risk: 0,
        }
    }

    pub fn record(&mut self, record: &ObjectRecord) {
        let Some(bar) = &self.bar else { return };
        self.objects += 1;
        self.bytes += record.size;
        self.with_findings += u64::from(!record.regexes.is_empty());
        self.max_risk = self.max_risk.max(record.risk);
        let seconds = bar.elapsed().as_secs_f64().max(0.001);
        let rate = self.bytes as f64 / seconds;
        let (listed, listed_bytes) = (
            self.listed.0.0.load(Ordering::Relaxed),
            self.listed.0.1.load(Ordering::Relaxed),
        );
        let left = listed_bytes.saturating_sub(self.bytes) as f64 / rate.max(1.0);
        bar.set_message(format!(
            "{}/{} objects, {}/{} ({}/s, ~{}s left), {} with findings, highest risk {}",
            self.objects,
            listed,
            HumanBytes(self.bytes),
            HumanBytes(listed_bytes),
            HumanBytes(rate as u64),
            left.round(),
            self.with_findings,
            self.max_risk
        ));
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
