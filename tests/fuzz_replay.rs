//! Replays every fuzz target's committed inputs (`fuzz/corpus/TARGET/`, the
//! seeds, and `fuzz/crashes/TARGET/`, each crash or hang a fuzzer found,
//! minimised) through the same target bodies the fuzzer runs
//! (`fuzz/src/targets.rs`), compiled here without instrumentation: a parser
//! that panics, breaks an invariant or takes too long on any of them fails
//! this test, naming the target and the input file. As for the fuzzer
//! (`fuzz/src/bin/fuzz.rs`), a panic in assay's own code fails even where
//! the scanner catches it, and so does any panic that escapes a target; a
//! third-party parser's panic that the scanner catches (documents become
//! `corrupt` records) does not: those inputs are in `fuzz/caught/TARGET/`.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the last panic happened, caught or not.
static PANICKED: Mutex<Option<String>> = Mutex::new(None);

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a readable corpus entry").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
fn every_seed_and_crash_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    // The slowest input a target may take here (debug build); hangs found by
    // the fuzzer are regression inputs too.
    let slow = Duration::from_secs(20);
    let mut failures = Vec::new();
    let mut replayed = 0;
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
        // Third-party code (a registry crate) may panic where the scanner
        // catches it; an escaped panic is seen by catch_unwind below.
        if !at.contains("/registry/src/") {
            *PANICKED.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
        }
    }));
    for (name, _) in targets::TARGETS {
        let run = targets::target(name).expect("every listed target is found by name");
        let seeds = inputs(&root.join("corpus").join(name));
        assert!(
            seeds.len() >= 2,
            "fuzz/corpus/{name}/ needs seed inputs (it has {})",
            seeds.len()
        );
        let crashes = inputs(&root.join("crashes").join(name));
        let upstream = inputs(&root.join("caught").join(name));
        for path in seeds.iter().chain(&crashes).chain(&upstream) {
            let data = std::fs::read(path).expect("a readable input");
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| run(&data));
            replayed += 1;
            let shown = path.strip_prefix(&root).unwrap_or(path).display();
            let caught = PANICKED.lock().unwrap_or_else(|e| e.into_inner()).take();
            match outcome {
                Ok(()) if caught.is_some() => failures.push(format!(
                    "{name}: {shown}: a panic at {} (caught by the scanner)",
                    caught.unwrap_or_default()
                )),
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("(not a string)");
                    failures.push(format!(
                        "{name}: {shown}: a panic escaped: {message} (at {})",
                        caught.unwrap_or_default()
                    ));
                }
                Ok(()) if started.elapsed() > slow => failures.push(format!(
                    "{name}: {shown}: took {:?} (over {slow:?})",
                    started.elapsed()
                )),
                Ok(()) => {}
            }
        }
    }
    let _ = std::panic::take_hook();
    assert!(
        failures.is_empty(),
        "fuzz inputs that fail:\n{}",
        failures.join("\n")
    );
    assert!(
        replayed >= 2 * targets::TARGETS.len(),
        "{replayed} inputs replayed"
    );
}
