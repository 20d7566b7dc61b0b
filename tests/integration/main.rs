//! Integration tests: run the real `assay` binary on trees on disk.

mod demo;
mod faults;
mod util;
