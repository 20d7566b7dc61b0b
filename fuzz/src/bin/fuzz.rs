//! The libFuzzer driver: one binary for every target (one instrumented
//! build instead of twenty-three), the target named by `FUZZ_TARGET`.
//! `fuzz/run.sh TARGET SECONDS` sets it and passes libFuzzer its options.
#![no_main]

use std::sync::OnceLock;

fn chosen() -> fn(&[u8]) {
    static TARGET: OnceLock<fn(&[u8])> = OnceLock::new();
    *TARGET.get_or_init(|| {
        let name = std::env::var("FUZZ_TARGET").unwrap_or_default();
        assay_fuzz::targets::target(&name).unwrap_or_else(|| {
            let names: Vec<&str> = assay_fuzz::targets::TARGETS
                .iter()
                .map(|(n, _)| *n)
                .collect();
            eprintln!(
                "FUZZ_TARGET={name:?} is no target; one of: {}",
                names.join(" ")
            );
            std::process::exit(2)
        })
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| chosen()(data));
