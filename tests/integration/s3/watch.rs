//! Watching a running `assay` from outside, through `/proc`: its peak
//! memory and how many classifying threads it runs at once.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a command to its end, calling `watch` with its `/proc/PID`
/// directory every 10 ms meanwhile; returns its output.
pub(super) fn run_watching(
    command: &mut Command,
    mut watch: impl FnMut(&Path),
) -> std::process::Output {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = command
        .stdout(out.reopen().unwrap())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let proc = PathBuf::from(format!("/proc/{}", child.id()));
    while child.try_wait().unwrap().is_none() {
        watch(&proc);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut output = child.wait_with_output().unwrap();
    output.stdout = std::fs::read(out.path()).unwrap();
    output
}

/// Runs a command to its end, watching its peak resident set (`VmHWM`);
/// returns its output and that peak in bytes.
pub(super) fn run_watching_memory(command: &mut Command) -> (std::process::Output, u64) {
    let mut peak = 0u64;
    let output = run_watching(command, |proc| {
        let status = std::fs::read_to_string(proc.join("status")).unwrap_or_default();
        if let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib * 1024);
        }
    });
    (output, peak)
}

/// Runs a scan to its end, watching how many classifying threads
/// (`assay-worker-N`) it runs at once; returns its output and the most.
pub(super) fn run_watching_workers(command: &mut Command) -> (std::process::Output, usize) {
    let mut most = 0;
    let output = run_watching(command, |proc| {
        let workers = std::fs::read_dir(proc.join("task"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|task| {
                std::fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|name| name.starts_with("assay-worker"))
            })
            .count();
        most = most.max(workers);
    });
    (output, most)
}
