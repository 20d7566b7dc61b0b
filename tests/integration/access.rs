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

/// Thousands of generated events from several principals, one of them
/// scraping: it comes out on top, and its victims' scores rise.
#[test]
fn a_scraper_among_thousands_of_events_comes_out_on_top() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    std::fs::create_dir_all(data.join("hr")).unwrap();
    std::fs::write(data.join("hr/ssn-list.txt"), "Employee SSN: 536-22-1234\n").unwrap();
    std::fs::write(data.join("readme.txt"), "nothing to see\n").unwrap();
    let principals = ["app", "etl", "analyst", "backup"];
    let mut records = Vec::new();
    for i in 0..3000 {
        let (role, key, denied) = if i % 10 == 0 {
            ("crawler", format!("hr/file-{}.csv", i % 40), true)
        } else {
            (
                principals[i % principals.len()],
                format!("raw/part-{:04}.parquet", i % 500),
                false,
            )
        };
        let key = if i == 10 {
            "hr/ssn-list.txt".to_string()
        } else {
            key
        };
        let mut record = serde_json::json!({
            "eventID": format!("id-{i}"), "eventName": "GetObject", "eventSource": "s3.amazonaws.com",
            "eventTime": format!("2026-11-0{}T{:02}:{:02}:00Z", 1 + i / 1000, (i / 60) % 24, i % 60),
            "userIdentity": {"type": "AssumedRole", "accountId": "111122223333",
                "sessionContext": {"sessionIssuer": {"arn": format!("arn:aws:iam::111122223333:role/{role}")}}},
            "sourceIPAddress": format!("10.0.{}.{}", i % 4, i % 250), "recipientAccountId": "111122223333",
            "requestParameters": {"bucketName": "lake", "key": key},
            "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::lake/{key}")}]
        });
        if denied {
            record["errorCode"] = "AccessDenied".into();
        }
        records.push(record);
    }
    let trail = dir
        .path()
        .join("trail/111122223333_CloudTrail_us-east-1_20261103T0000Z_abcdefghijklmnop.json.gz");
    std::fs::create_dir_all(trail.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&trail).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(
        serde_json::to_string(&serde_json::json!({"Records": records}))
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    gz.finish().unwrap();
    let output = run(&[
        "scan",
        data.to_str().unwrap(),
        "--cloudtrail",
        dir.path().join("trail").to_str().unwrap(),
        "--format",
        "json",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["scan"]["inputs"][0]["events"], 3000);
    let identities = report["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 5);
    assert_eq!(
        identities[0]["principal"],
        "arn:aws:iam::111122223333:role/crawler"
    );
    assert_eq!(identities[0]["scraper"], true);
    assert!(
        identities[0]["risk"].as_u64().unwrap() >= 9,
        "{:#}",
        identities[0]
    );
    assert!(
        identities[1..]
            .iter()
            .all(|i| i["risk"].as_u64().unwrap() <= 3),
        "{identities:#?}"
    );
    let objects = report["objects"].as_array().unwrap();
    let ssn = objects
        .iter()
        .find(|o| o["uri"].as_str().unwrap().ends_with("hr/ssn-list.txt"))
        .unwrap();
    assert_eq!(ssn["access"]["scrapers"], 1);
    assert!(ssn["risk"].as_u64().unwrap() > 7, "{ssn:#}");
    let readme = objects
        .iter()
        .find(|o| o["uri"].as_str().unwrap().ends_with("readme.txt"))
        .unwrap();
    assert!(
        readme["risk_factors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "access")
    );
}
