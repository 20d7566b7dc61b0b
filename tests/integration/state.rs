//! `--state`: incremental scans of local trees. A rescan reuses what did
//! not change and says what did; a scan killed midway resumes to the same
//! report as an uninterrupted one. (Reads of unchanged bucket objects are
//! counted in `s3.rs`.)

use std::io::BufRead;
use std::path::Path;
use std::process::Stdio;

use serde_json::Value;

use crate::util::*;

fn scan_json(tree: &Path, state: &Path) -> Value {
    let output = run(&[
        "scan",
        tree.to_str().unwrap(),
        "--format",
        "json",
        "--quiet",
        "--jobs",
        "1",
        "--state",
        state.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn changes(report: &Value) -> Vec<(String, String)> {
    report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let uri = o["uri"].as_str().unwrap();
            let name = uri.rsplit('/').next().unwrap().to_string();
            (name, o["change"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn a_rescan_reports_new_changed_unchanged_and_removed() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    for (name, text) in [
        ("a.txt", "alpha\n"),
        ("b.env", "TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n"),
        ("c.txt", "gamma\n"),
    ] {
        std::fs::write(tree.join(name), text).unwrap();
    }
    let state = work.path().join("state.db");
    let first = scan_json(&tree, &state);
    assert_eq!(first["summary"]["changes"], serde_json::json!({"new": 3}));

    std::fs::write(tree.join("a.txt"), "alpha, longer now\n").unwrap();
    std::fs::remove_file(tree.join("c.txt")).unwrap();
    std::fs::write(tree.join("d.txt"), "delta\n").unwrap();
    let second = scan_json(&tree, &state);
    assert_eq!(
        changes(&second),
        [
            ("a.txt".to_string(), "changed".to_string()),
            ("b.env".to_string(), "unchanged".to_string()),
            ("d.txt".to_string(), "new".to_string()),
        ]
    );
    assert_eq!(
        second["removed"],
        serde_json::json!([format!("{}/c.txt", tree.display())])
    );
    assert_eq!(
        second["summary"]["changes"],
        serde_json::json!({"changed": 1, "new": 1, "removed": 1, "unchanged": 1})
    );
    // The reused record is the record: findings, locations and risk intact.
    let b = &second["objects"][1];
    assert_eq!(b["regexes"][0]["id"], "github_key");
    assert_eq!(b["regexes"][0]["locations"][0]["line"], 1);
    assert_eq!(b["risk"], first["objects"][1]["risk"]);
    assert_eq!(b["svm"], first["objects"][1]["svm"]);

    let third = scan_json(&tree, &state);
    assert!(changes(&third).iter().all(|(_, c)| c == "unchanged"));
    assert!(third.get("removed").is_none());
}

#[test]
fn a_scan_killed_midway_resumes_to_the_same_report() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    for i in 0..600 {
        let text = if i % 50 == 0 {
            format!("# file {i}\nGITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234{i:05}\n")
        } else {
            format!("line {i}\n").repeat(200)
        };
        std::fs::write(tree.join(format!("f{i:04}.txt")), text).unwrap();
    }
    let whole = scan_json(&tree, &work.path().join("whole.db"));

    let state = work.path().join("killed.db");
    let mut child = assay()
        .args([
            "scan",
            tree.to_str().unwrap(),
            "--format",
            "jsonl",
            "--quiet",
            "--jobs",
            "1",
        ])
        .args(["--state", state.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..150 {
        lines.next().expect("a record").unwrap();
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();

    let resumed = scan_json(&tree, &state);
    assert_eq!(
        resumed["objects"], whole["objects"],
        "same records, each once"
    );
    assert_eq!(
        resumed["summary"]["changes"],
        serde_json::json!({"new": 600})
    );
    assert_eq!(resumed["summary"]["objects"], 600);
}
