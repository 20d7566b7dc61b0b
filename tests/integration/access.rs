//! Access evidence end to end: the demo bucket with its own CloudTrail and
//! S3 access logs, scanned by the real binary.

use crate::util::*;

fn demo_with_logs(format: &str) -> std::process::Output {
    let root = repo();
    run(&[
        "scan",
        root.join("demo/bucket").to_str().unwrap(),
        "--cloudtrail",
        root.join("demo/logs/cloudtrail").to_str().unwrap(),
        "--access-logs",
        root.join("demo/logs/s3").to_str().unwrap(),
        "--format",
        format,
        "--quiet",
    ])
}

#[test]
fn the_scraper_comes_out_on_top_and_raises_only_sensitive_objects() {
    let output = demo_with_logs("json");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let inputs = report["scan"]["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["kind"], "cloudtrail");
    assert_eq!(
        inputs[0]["duplicates"], 1,
        "the twice-delivered event is dropped"
    );
    assert_eq!(inputs[0]["integrity"], "unverified");

    let identities = report["identities"].as_array().unwrap();
    assert_eq!(
        identities[0]["principal"],
        "arn:aws:iam::444455556666:role/ci-runner-legacy"
    );
    assert_eq!(identities[0]["scraper"], true);
    assert_eq!(identities[0]["risk"], 10);
    assert_eq!(identities[1]["principal"], "anonymous");

    let objects = report["objects"].as_array().unwrap();
    let object = |suffix: &str| {
        objects
            .iter()
            .find(|o| o["uri"].as_str().unwrap().ends_with(suffix))
            .unwrap()
    };
    let key = object("keys/legacy-api.key");
    assert_eq!(key["risk"], 10);
    assert_eq!(key["access"]["access_denied"], 3);
    assert_eq!(key["access"]["scrapers"], 1);
    let access_points: Vec<&serde_json::Value> = key["risk_factors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "access")
        .collect();
    assert!(!access_points.is_empty() && access_points.len() <= 3);
    // Touched by the scraper, but nothing sensitive in it: no points.
    let js = object("src/format.js");
    assert_eq!(js["access"]["scrapers"], 1);
    assert_eq!(js["risk"], 5);
    assert!(
        js["risk_factors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "access")
    );
    // Evidence never lowers a score.
    assert!(objects.iter().all(|o| {
        o["risk"].as_u64().unwrap()
            >= o["risk_factors"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "content")
                .map(|f| f["value"].as_u64().unwrap())
                .max()
                .unwrap_or(1)
    }));
    assert_eq!(
        object("hr/employees-2026.csv")["access"]["presigned_reads"],
        1
    );
    assert_eq!(report["buckets"][0]["name"], "bucket");
    let ips = report["source_ips"].as_array().unwrap();
    assert_eq!(
        ips[0]["ip"], "198.51.100.77",
        "the scraper's address has the most denials"
    );
    assert_eq!(ips[0]["access_denied"], 24);
}

#[test]
fn without_logs_access_is_null_and_a_missing_log_input_is_a_usage_error() {
    let (_, records) = scan_records(&repo().join("demo/bucket/src"), &[]);
    assert!(records.iter().all(|r| r["access"].is_null()));
    let output = run(&[
        "scan",
        repo().join("demo/bucket/src").to_str().unwrap(),
        "--cloudtrail",
        "/nonexistent/trail",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_table_shows_access_points() {
    let output = demo_with_logs("table");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("+1 access: scraper principals touched it"),
        "{table}"
    );
    assert!(
        table.contains("identity risk 10: arn:aws:iam::444455556666:role/ci-runner-legacy"),
        "{table}"
    );
}
