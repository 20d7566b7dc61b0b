//! The libFuzzer driver: one binary for every target (one instrumented
//! build instead of twenty-three), the target named by `FUZZ_TARGET`.
//! `fuzz/run.sh TARGET SECONDS` sets it and passes libFuzzer its options.
//!
//! What counts as a crash is what would be one in a scan: a panic in
//! assay's own code (caught or not), and any panic that escapes the target.
//! A panic inside a third-party parser that the scanner catches (documents
//! run under `catch_unwind` and become `corrupt` records) is counted, not a
//! crash, so the campaign goes on past upstream bugs; `FUZZ_STRICT=1` makes
//! those crashes too.
#![no_main]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Third-party panics the scanner caught.
static CAUGHT: AtomicU64 = AtomicU64::new(0);

fn third_party(file: &str) -> bool {
    file.contains("/registry/src/")
}

fn chosen() -> fn(&[u8]) {
    static TARGET: OnceLock<fn(&[u8])> = OnceLock::new();
    *TARGET.get_or_init(|| {
        let name = std::env::var("FUZZ_TARGET").unwrap_or_default();
        let target = assay_fuzz::targets::target(&name).unwrap_or_else(|| {
            let names: Vec<&str> = assay_fuzz::targets::TARGETS
                .iter()
                .map(|(n, _)| *n)
                .collect();
            eprintln!(
                "FUZZ_TARGET={name:?} is no target; one of: {}",
                names.join(" ")
            );
            std::process::exit(2)
        });
        if std::env::var_os("FUZZ_STRICT").is_none() {
            // Replaces libfuzzer-sys's hook, which aborts on every panic.
            let abort_hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if info.location().is_some_and(|l| third_party(l.file())) {
                    if CAUGHT.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("fuzz: a third-party panic (more are counted silently): {info}");
                    }
                    return;
                }
                abort_hook(info);
            }));
            // The count, for the run's log: libFuzzer ends with exit(), which
            // runs the C library's exit handlers.
            extern "C" fn report() {
                eprintln!(
                    "fuzz: third-party panics caught by the scanner: {}",
                    CAUGHT.load(Ordering::Relaxed)
                );
            }
            unsafe extern "C" {
                fn atexit(callback: extern "C" fn()) -> i32;
            }
            // SAFETY: `report` is a plain function with no arguments that
            // only reads an atomic and writes to stderr.
            unsafe {
                atexit(report);
            }
        }
        target
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let target = chosen();
    if std::panic::catch_unwind(|| target(data)).is_err() {
        eprintln!("fuzz: a panic escaped the target (the scan would have crashed)");
        std::process::abort();
    }
});
