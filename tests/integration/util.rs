//! Helpers for running the binary and reading its JSON Lines output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn assay() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_assay"));
    command.env_remove("ASSAY_LOG");
    command
}

/// The Debian package with each program the tests run (tests/run installs
/// them all).
const PACKAGES: &[(&str, &str)] = &[
    ("sh", "dash"),
    ("tar", "tar"),
    ("gzip", "gzip"),
    ("head", "coreutils"),
    ("mkfifo", "coreutils"),
    ("id", "coreutils"),
    ("setpriv", "util-linux"),
    ("zip", "zip"),
    ("bzip2", "bzip2"),
    ("xz", "xz-utils"),
    ("zstd", "zstd"),
    ("openssl", "openssl"),
    ("python3", "python3"),
    ("chromium", "chromium"),
    ("script", "bsdutils"),
];

/// Fails the test, naming the command that installs `program`, unless it
/// is on PATH: a missing tool never skips a test quietly.
pub fn require(program: &str) {
    let installed = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()));
    if !installed {
        let package = PACKAGES
            .iter()
            .find(|(name, _)| *name == program)
            .map_or(program, |(_, package)| package);
        panic!(
            "{program} is not installed: run tests/run, which installs what the tests need \
             (or: sudo apt-get install {package})"
        );
    }
}

/// A command for a program the tests drive (see [`require`]).
pub fn tool(program: &str) -> Command {
    require(program);
    Command::new(program)
}

/// Runs `sh -euc script` in `dir` after checking the programs it names
/// are installed.
pub fn sh(dir: &Path, script: &str) {
    for word in script.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if PACKAGES.iter().any(|(name, _)| *name == word) {
            require(word);
        }
    }
    let status = tool("sh")
        .args(["-euc", script])
        .current_dir(dir)
        .status()
        .expect("sh runs");
    assert!(status.success(), "{script}");
}

/// Runs a Python script of the project's; when it fails (a missing
/// library, say) the test fails with what it printed.
pub fn python(script: &Path, args: &[&std::ffi::OsStr]) {
    let output = tool("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
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
    let records = json_lines(&output.stdout);
    (output, records)
}

/// The records of a JSON Lines report (`--format jsonl` on standard output).
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}"))
        })
        .collect()
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

/// Where tests/run puts the SVM's real-file evaluation set
/// (classifiers/models/realset.py fetch).
pub fn realset_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| repo().join("target"), |dir| repo().join(dir));
    target.join("realset")
}

/// Where tests/run installs the npm packages.
pub fn npm_tree() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| repo().join("target"), |dir| repo().join(dir));
    target.join("precision-npm/node_modules")
}
