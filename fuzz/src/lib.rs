//! assay's fuzz targets as a library: the libFuzzer driver (`src/bin/fuzz.rs`)
//! calls [`targets::run`]; the main workspace's `fuzz_replay` test compiles
//! the same `targets.rs` and replays the committed corpora through it.

pub mod targets;
