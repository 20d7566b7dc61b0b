//! Bad input and odd trees: the scan goes on, reports the problem with its
//! location, and loses nothing already found.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

#[test]
fn exit_codes_follow_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "shopping list: tea, milk\n").unwrap();
    let target = dir.path().to_str().unwrap();
    assert_eq!(
        run(&["scan", target, "--quiet", "--fail-at", "5"])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(
        dir.path().join("key.txt"),
        "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
    )
    .unwrap();
    assert_eq!(
        run(&["scan", target, "--quiet", "--fail-at", "8"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["scan", target, "--quiet", "--fail-at", "9"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", "/nonexistent/assay-target", "--quiet"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["scan", target, "--fail-at", "11"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["scan"]).status.code(), Some(2));
}

#[test]
fn empty_garbage_and_invalid_utf8_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.txt"), b"").unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let garbage: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(dir.path().join("blob.dat"), garbage).unwrap();
    let mut latin1 = b"Mot de passe oubli\xe9 \xab caf\xe9 \xbb\n".to_vec();
    latin1.extend_from_slice(b"slack xoxp-1234567890-0987654321-AbCdEfGhIjKlMnOp\n");
    std::fs::write(dir.path().join("latin1.txt"), latin1).unwrap();
    let (output, records) = scan_records(dir.path(), &[]);
    assert!(output.status.success());
    assert_eq!(records.len(), 3);
    assert_eq!(
        record(&records, "empty.txt")["content_type"]["mime"],
        "application/x-empty"
    );
    assert_eq!(record(&records, "empty.txt")["risk"], 1);
    assert_eq!(
        record(&records, "blob.dat")["content_type"]["mime"],
        "application/octet-stream"
    );
    let latin = record(&records, "latin1.txt");
    assert_eq!(latin["content_type"]["mime"], "text/plain");
    assert_eq!(regex_ids(latin), vec!["slack_api_token"]);
    assert_eq!(latin["regexes"][0]["locations"][0]["line"], 2);
}

#[test]
fn secret_across_a_chunk_boundary_of_a_large_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let line = "2026-11-02T08:00:00.112Z INFO request served in 12ms\n";
    let mut written = 0usize;
    let mut lines = 0u64;
    // Place tokens near every multiple of 1 MiB (the classifier's buffer size).
    let mut next_boundary = (1 << 20) - 20;
    let mut planted = Vec::new();
    while written < 5 << 20 {
        if written >= next_boundary {
            let token = "key=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n";
            file.write_all(token.as_bytes()).unwrap();
            lines += 1;
            planted.push(lines);
            written += token.len();
            next_boundary += 1 << 20;
        }
        file.write_all(line.as_bytes()).unwrap();
        written += line.len();
        lines += 1;
    }
    file.flush().unwrap();
    drop(file);
    let (_, records) = scan_records(dir.path(), &[]);
    let github = &records[0]["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "github_key")
        .unwrap()
        .clone();
    assert_eq!(github["count"], planted.len());
    let found: Vec<u64> = github["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(found, planted);
}

#[cfg(unix)]
#[test]
fn fifo_symlink_loop_and_device_never_hang_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.txt"),
        "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
    )
    .unwrap();
    assert!(
        tool("mkfifo")
            .arg(dir.path().join("pipe"))
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
    let started = Instant::now();
    let mut child = assay()
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--follow",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("scan hung on a FIFO, loop or device");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["objects"].as_array().unwrap().len(), 1);
    assert_eq!(report["objects"][0]["regexes"][0]["id"], "github_key");
    let issues: Vec<(String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().into(),
                e["location"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        issues
            .iter()
            .any(|(k, l)| k == "symlink_loop" && l.ends_with("loop")),
        "{issues:?}"
    );
    assert!(
        issues
            .iter()
            .any(|(k, l)| k == "skipped" && l.ends_with("pipe")),
        "{issues:?}"
    );
    assert!(
        issues
            .iter()
            .any(|(k, l)| k == "skipped" && l.ends_with("zero")),
        "{issues:?}"
    );
    assert_eq!(report["summary"]["scan_issues"], 3);
}

/// An unreadable file in the middle of a tree is reported with its reason
/// and the files around it are still classified. Root reads everything, so
/// as root the scan runs as `nobody` through setpriv.
#[cfg(unix)]
#[test]
fn unreadable_file_in_the_middle_of_a_tree() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("assay-perm")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, body) in [
        ("a-first.txt", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
        ("m-secret.env", "x"),
        (
            "z-last.txt",
            "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(
        dir.path().join("m-secret.env"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let target = dir.path().to_str().unwrap();
    let is_root = tool("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false);
    let output = if is_root {
        tool("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_assay"),
                "scan",
                target,
                "--format",
                "jsonl",
                "--quiet",
            ])
            .output()
            .expect("setpriv (util-linux) is installed")
    } else {
        run(&["scan", target, "--format", "jsonl", "--quiet"])
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    let locked = record(&records, "m-secret.env");
    assert_eq!(locked["errors"][0]["kind"], "unreadable");
    assert!(
        locked["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ermission denied"),
        "{locked}"
    );
    assert!(locked["content_type"].is_null());
    assert_eq!(
        locked["extension"]["risk"], 7,
        "the name alone still rates .env"
    );
    assert_eq!(
        regex_ids(record(&records, "a-first.txt")),
        vec!["github_key"]
    );
    assert_eq!(
        regex_ids(record(&records, "z-last.txt")),
        vec!["slack_api_token"]
    );
}

/// A symlink named on the command line is followed; one met while walking
/// is not, unless --follow.
#[cfg(unix)]
#[test]
fn explicit_symlink_targets_are_followed_walked_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(
        real.join("key.txt"),
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
    )
    .unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(real.join("key.txt"), &link).unwrap();
    let (_, records) = scan_records(&link, &[]);
    assert_eq!(records.len(), 1);
    assert_eq!(regex_ids(&records[0]), vec!["github_key"]);
    let (_, walked) = scan_records(dir.path(), &[]);
    assert_eq!(
        walked.len(),
        1,
        "the link inside the tree is skipped: {walked:?}"
    );
    assert!(walked[0]["uri"].as_str().unwrap().ends_with("real/key.txt"));
}
