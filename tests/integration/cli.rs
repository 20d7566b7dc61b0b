//! A person at the command line: pipes closed early, terminals (a real
//! pseudo-terminal from Python's `pty`), NO_COLOR, `--quiet` and the
//! progress line, completions and the man page from the binary, and
//! mistakes that end in one line saying what to do, exit 2, and no
//! half-written `--output`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

use crate::util::*;

/// A tree of `files` files with a token each: its report is far larger
/// than a pipe's buffer.
fn many_files(dir: &Path, files: usize) {
    for i in 0..files {
        std::fs::write(
            dir.join(format!("f{i:04}.env")),
            format!("# service {i}\nGITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n"),
        )
        .unwrap();
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_scan_quietly_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    many_files(dir.path(), 1500);
    let target = dir.path().to_str().unwrap();
    let runs: [&[&str]; 3] = [
        &["scan", target, "--format", "jsonl"],
        &["scan", target, "--format", "table"],
        &["rules", "list", "--format", "json"],
    ];
    for args in runs {
        let format = args.join(" ");
        let mut child = assay()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -1`: one line, then the pipe's read end is closed.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{format}");
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{format}: {stderr}");
        assert!(!stderr.contains("error"), "{format}: {stderr}");
    }
}

/// Runs `assay args` with its standard input, output and error on a new
/// pseudo-terminal (or standard output to `stdout_file`), and returns
/// what the terminal showed and the exit code.
fn on_terminal(args: &[&str], env: &[(&str, &str)], stdout_file: Option<&Path>) -> (String, i32) {
    const PTY: &str = r#"
import os, pty, sys
out_file, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    if out_file:
        os.dup2(os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
    os.execv(argv[0], argv)
shown = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut command = tool("python3");
    command
        .args(["-c", PTY])
        .arg(stdout_file.map(|p| p.as_os_str()).unwrap_or_default())
        .arg(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("ASSAY_LOG");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

/// SGR escape sequences (colours, bold, underline).
fn colours(text: &str) -> usize {
    regex::Regex::new(r"\x1b\[[0-9;]*m")
        .unwrap()
        .find_iter(text)
        .count()
}

/// A tree with a FIFO (skipped, with a warning) and a token.
fn tree_with_a_warning(dir: &Path) {
    many_files(dir, 20);
    require("mkfifo");
    assert!(
        tool("mkfifo")
            .arg(dir.join("pipe"))
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn colour_only_on_a_terminal_and_never_under_no_color() {
    // Help on a terminal is coloured by default, plain under NO_COLOR.
    let (help, code) = on_terminal(&["scan", "--help"], &[], None);
    assert_eq!(code, 0, "{help}");
    assert!(colours(&help) > 0, "{help:?}");
    let (help, _) = on_terminal(&["scan", "--help"], &[("NO_COLOR", "1")], None);
    assert!(help.contains("--format"), "{help}");
    assert_eq!(colours(&help), 0, "{help:?}");

    // A scan's warnings: coloured on a terminal, plain under NO_COLOR or
    // when stderr is not a terminal.
    let dir = tempfile::tempdir().unwrap();
    tree_with_a_warning(dir.path());
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.jsonl");
    let target = dir.path().to_str().unwrap();
    let args = [
        "scan",
        target,
        "--format",
        "jsonl",
        "--output",
        report.to_str().unwrap(),
    ];
    let (shown, code) = on_terminal(&args, &[], None);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("WARN"), "{shown:?}");
    assert!(colours(&shown) > 0, "{shown:?}");
    let (shown, _) = on_terminal(&args, &[("NO_COLOR", "1")], None);
    assert!(shown.contains("WARN"), "{shown:?}");
    assert_eq!(colours(&shown), 0, "{shown:?}");
    let piped = assay().args(args).env_remove("NO_COLOR").output().unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(stderr.contains("WARN"), "{stderr}");
    assert_eq!(colours(&stderr), 0, "{stderr:?}");
}

#[test]
fn progress_and_quiet_on_a_terminal_and_off_it() {
    let dir = tempfile::tempdir().unwrap();
    tree_with_a_warning(dir.path());
    let work = tempfile::tempdir().unwrap();
    let stdout = work.path().join("stdout.jsonl");
    let target = dir.path().to_str().unwrap();

    // stderr on a terminal: the progress line, the warning and the summary.
    let (shown, code) = on_terminal(&["scan", target, "--format", "jsonl"], &[], Some(&stdout));
    assert_eq!(code, 0, "{shown}");
    // The progress line's rate and estimate ("12 KiB/s, ~0s left").
    assert!(shown.contains("/s, ~"), "no progress line: {shown:?}");
    assert!(shown.contains("WARN"), "{shown:?}");
    assert!(
        shown.contains("assay: 20 objects ("),
        "no summary: {shown:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&stdout).unwrap().lines().count(),
        20
    );

    // --quiet: the terminal shows nothing at all; the report is whole.
    let (shown, code) = on_terminal(
        &["scan", target, "--format", "jsonl", "--quiet"],
        &[],
        Some(&stdout),
    );
    assert_eq!(code, 0, "{shown}");
    assert_eq!(shown, "", "--quiet printed something");
    assert_eq!(
        std::fs::read_to_string(&stdout).unwrap().lines().count(),
        20
    );

    // stderr not a terminal: no progress line, but the warning and summary.
    let output = assay()
        .args(["scan", target, "--format", "jsonl"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("/s, ~"), "{stderr:?}");
    assert!(!stderr.contains('\r'), "{stderr:?}");
    assert!(
        stderr.contains("WARN") && stderr.contains("assay: 20 objects ("),
        "{stderr}"
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_binary() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = run(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for name in [
            "scan",
            "rules",
            "trail",
            "train",
            "eval",
            "completions",
            "man",
        ] {
            assert!(script.contains(name), "{shell}: no {name}");
        }
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
    let output = run(&["man"]);
    assert!(output.status.success());
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.contains(".TH assay"), "{page}");
    assert!(page.contains(".SH \"ASSAY SCAN\""), "{page}");
}

/// An `assay` that failed as a person should see it: exit 2 and one line
/// on stderr, `assay: error: ...`, naming each of `words`.
fn one_line_error(output: &Output, words: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("assay: error: "), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "no {word:?} in {stderr}");
    }
    stderr
}

#[test]
fn local_mistakes_are_one_line_each_and_leave_no_output() {
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.json");
    let out = report.to_str().unwrap();
    let demo = repo().join("demo/bucket");
    let demo = demo.to_str().unwrap();

    let wrong_flag = run(&["scan", demo, "--fromat", "json"]);
    one_line_error(&wrong_flag, &["--fromat", "--format", "assay scan --help"]);

    let missing = run(&["scan", "/nonexistent/assay-target", "--output", out]);
    one_line_error(
        &missing,
        &["/nonexistent/assay-target", "does not exist", "give a"],
    );

    let config = work.path().join("assay.toml");
    std::fs::write(&config, "[scan\nformat = ").unwrap();
    let broken = run(&[
        "scan",
        demo,
        "--config",
        config.to_str().unwrap(),
        "--output",
        out,
    ]);
    one_line_error(&broken, &["assay.toml", "--config"]);
    let absent = run(&[
        "scan",
        demo,
        "--config",
        "/nonexistent/assay.toml",
        "--output",
        out,
    ]);
    let line = one_line_error(&absent, &["/nonexistent/assay.toml", "--config"]);
    assert_eq!(line.matches("No such file").count(), 1, "{line}");

    let nowhere = run(&["scan", demo, "--output", "/nonexistent/dir/report.json"]);
    one_line_error(
        &nowhere,
        &["/nonexistent/dir/report.json", "writable directory"],
    );

    assert!(!report.exists(), "a failed scan wrote {out}");
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        1,
        "only assay.toml is left"
    );

    // A scan that succeeds replaces the report whole.
    std::fs::write(&report, "an older report").unwrap();
    let done = run(&["scan", demo, "--format", "json", "--output", out, "--quiet"]);
    assert!(done.status.success());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(written["objects"].as_array().unwrap().len() > 5);
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 2);
}
