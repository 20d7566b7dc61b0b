//! Scan progress on a terminal: objects and bytes scanned, the rate,
//! findings so far and the highest risk, on stderr. Nothing at all when
//! stderr is not a terminal or with `--quiet`, so logs and pipes stay clean.
//! (Listing streams alongside scanning, so there is no total to show an ETA
//! against.)

use std::io::IsTerminal;
use std::time::Duration;

use assay_scanner::record::ObjectRecord;
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    objects: u64,
    bytes: u64,
    with_findings: u64,
    max_risk: u8,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
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
        bar.set_message(format!(
            "{} objects, {} scanned ({}/s), {} with findings, highest risk {}",
            self.objects,
            HumanBytes(self.bytes),
            HumanBytes((self.bytes as f64 / seconds) as u64),
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
