//! Helpers for running the binary and reading its JSON Lines output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn assay() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_assay"));
    command.env_remove("ASSAY_LOG");
    command
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn run(args: &[&str]) -> Output {
    assay().args(args).output().expect("assay runs")
}

/// Scans `target` and returns the JSON Lines records keyed by URI.
pub fn scan_records(target: &Path, extra: &[&str]) -> (Output, Vec<Value>) {
    let target = target.to_str().unwrap();
    let mut args = vec!["scan", target, "--format", "jsonl", "--quiet"];
    args.extend_from_slice(extra);
    let output = run(&args);
    let records = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}"))
        })
        .collect();
    (output, records)
}

pub fn record<'a>(records: &'a [Value], uri_suffix: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["uri"].as_str().unwrap().ends_with(uri_suffix))
        .unwrap_or_else(|| panic!("no record for {uri_suffix}"))
}

pub fn regex_ids(record: &Value) -> Vec<String> {
    record["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}
