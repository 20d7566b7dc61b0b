//! The demo bucket shipped in the repo, scanned as the README's first
//! command does.

use crate::util::*;

/// Every secret planted in the demo tree; none may appear in any output.
const DEMO_SECRETS: &[&str] = &[
    "Qm8vT1x9bR4kLp2Zs7Wn0Yc5Hd3Jf6Ga8Eu1Io4P",
    "sk_live_51NwDemoK8s2LqPz7XcVbN3mRt9YuIoPaSdFg",
    "Vx7!pQ2rLm9sKd",
    "ghp_R7tK2mQ9vX4bL8nP1zW6yC3dF5hJ0sA2eG7u",
    "xoxb-2718281828-3141592653-Zk4Lm8Np2Qr6St0Uv3Wx7YzA",
    "N0rthw1nd-Inv#2026",
    "AIzaSyD4emoNorthwindK3yForGeocodingZ8xq",
    "qW8eR2tY6uI0oP4aS9dF1gH7",
    "npm_Nw7RelK3aseTk9Qp2Zx8Vb4Mn6Lc1Hd5Jf0G",
];

#[test]
fn demo_scan_finds_planted_secrets_with_locations_and_scores() {
    let (output, records) = scan_records(&repo().join("demo/bucket"), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files = walkdir_count(&repo().join("demo/bucket"));
    let (members, stored): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) = records
        .iter()
        .partition(|r| r["uri"].as_str().unwrap().contains("!/"));
    assert_eq!(stored.len(), files, "one record per file");
    let mut member_uris: Vec<&str> = members.iter().map(|r| r["uri"].as_str().unwrap()).collect();
    member_uris.sort();
    assert_eq!(
        member_uris,
        [
            "assets/team-photo.jpg!/instructions.txt",
            "backups/web-release-2026-09.tgz!/web/.npmrc",
            "backups/web-release-2026-09.tgz!/web/RELEASE-NOTES.txt",
        ]
        .map(|m| format!("{}/{m}", repo().join("demo/bucket").display())),
        "a record per archive member"
    );
    let npmrc = record(&records, "web-release-2026-09.tgz!/web/.npmrc");
    let token = &npmrc["regexes"][0];
    assert_eq!(token["id"], "npm_access_token");
    assert_eq!(token["locations"][0]["line"], 2);
    assert_eq!(token["redacted"], "npm_…(40 chars)");
    assert_eq!(npmrc["risk"], 8);

    let env = record(&records, "config/production.env");
    assert_eq!(env["risk"], 10);
    let secret = env["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "aws_secret_key")
        .unwrap();
    assert_eq!(secret["locations"][0]["line"], 9);
    assert_eq!(secret["locations"][0]["column"], 23);
    assert_eq!(secret["category"], "credentials");
    assert_eq!(secret["redacted"], "Qm8v…(40 chars)");
    assert_eq!(env["risk_factors"][0]["detail"], "regexes:aws_secret_key");
    assert_eq!(env["risk_factors"][0]["value"], 10);
    for id in [
        "aws_access_key",
        "stripe_secret_key",
        "postgres_url_password",
        "slack_webhook_url",
    ] {
        assert!(
            regex_ids(env).contains(&id.to_string()),
            "{id} missing: {:?}",
            regex_ids(env)
        );
    }

    assert_eq!(
        record(&records, "keys/legacy-api.key")["content_type"]["mime"],
        "application/x-pem-file"
    );
    assert!(
        regex_ids(record(&records, "keys/legacy-api.key")).contains(&"rsa_private_key".to_string())
    );
    assert_eq!(
        regex_ids(record(&records, "keys/partner-signing.p8")),
        vec!["encrypted_private_key"]
    );
    assert!(
        regex_ids(record(&records, "keys/deploy_key")).contains(&"openssh_private_key".to_string())
    );
    assert_eq!(
        regex_ids(record(&records, "src/billing.py")),
        vec!["google_api_key"]
    );
    assert_eq!(
        record(&records, "src/billing.py")["content_type"]["mime"],
        "text/x-python"
    );
    assert_eq!(
        record(&records, "exports/customers.jsonl")["regexes"][0]["count"],
        12
    );

    let memo = record(&records, "legal/re-harbour-privileged.eml");
    assert_eq!(memo["content_type"]["mime"], "message/rfc822");
    let themes: Vec<&str> = memo["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(themes.contains(&"attorney_client_privileged"), "{themes:?}");

    let photo = record(&records, "assets/team-photo.jpg");
    assert_eq!(photo["content_type"]["mime"], "application/zip");
    assert_eq!(photo["extension"]["mismatch"], true);

    // PII impact: full names next to card numbers rate high; code has none.
    assert_eq!(
        record(&records, "exports/customers.jsonl")["pii"]["impact"],
        "high"
    );
    assert_eq!(
        record(&records, "exports/customers.jsonl")["pii"]["cards"],
        12
    );
    assert_eq!(
        record(&records, "hr/employees-2026.csv")["pii"]["emails"],
        20
    );
    assert!(
        record(&records, "hr/employees-2026.csv")["pii"]["names"]
            .as_u64()
            .unwrap()
            >= 5
    );
    assert_eq!(record(&records, "src/format.js")["pii"]["impact"], "none");

    let clean = record(&records, "src/format.js");
    assert!(clean["regexes"].as_array().unwrap().is_empty());
    for r in &records {
        assert!(r["access"].is_null(), "no logs given: {r}");
        // The image and the two archives have no text of their own.
        let no_text = r["content_type"]["mime"]
            .as_str()
            .is_some_and(|m| ["image/png", "application/zip", "application/gzip"].contains(&m));
        assert_eq!(r["svm"].is_null(), no_text, "svm for text only: {r}");
        assert!(r["errors"].as_array().unwrap().is_empty(), "{r}");
    }
}

#[test]
fn no_output_format_prints_a_secret_in_full() {
    for format in ["jsonl", "json", "csv", "table"] {
        let output = run(&[
            "scan",
            repo().join("demo/bucket").to_str().unwrap(),
            "--format",
            format,
        ]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        for secret in DEMO_SECRETS {
            assert!(!all.contains(secret), "{format} output leaks {secret}");
        }
    }
}

#[test]
fn json_report_has_the_spec_sections() {
    let output = run(&[
        "scan",
        repo().join("demo/bucket").to_str().unwrap(),
        "--format",
        "json",
        "--fail-at",
        "9",
    ]);
    assert_eq!(output.status.code(), Some(1), "risk 10 reaches --fail-at 9");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in [
        "schema_version",
        "scan",
        "summary",
        "buckets",
        "objects",
        "identities",
        "errors",
    ] {
        assert!(!report[key].is_null(), "missing {key}");
    }
    assert_eq!(report["scan"]["tool"]["name"], "assay");
    assert!(
        report["scan"]["catalog_version"]
            .as_str()
            .unwrap()
            .contains('+')
    );
    let objects = report["objects"].as_array().unwrap();
    assert_eq!(report["summary"]["objects"], objects.len());
    assert_eq!(report["summary"]["max_risk"], 10);
    let by_risk: u64 = report["summary"]["by_risk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_risk, objects.len() as u64);
    let uris: Vec<&str> = objects.iter().map(|o| o["uri"].as_str().unwrap()).collect();
    let mut sorted = uris.clone();
    sorted.sort();
    assert_eq!(uris, sorted, "objects are in a stable order");
}

#[test]
fn table_output_snapshot() {
    let demo = repo().join("demo/bucket");
    let output = assay()
        .current_dir(repo())
        .args([
            "scan",
            "demo/bucket/config",
            "demo/bucket/keys",
            "--format",
            "table",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(demo.exists());
    insta::assert_snapshot!(table);
}

fn walkdir_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            if e.file_type().unwrap().is_dir() {
                walkdir_count(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn progress_stays_off_stderr_when_it_is_not_a_terminal() {
    let output = run(&[
        "scan",
        repo().join("demo/bucket").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Only the one-line summary: no spinner, no progress message.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("assay: 26 objects"), "{stderr}");
    assert!(
        !stderr.contains("scanned (") && !stderr.contains('\r'),
        "{stderr}"
    );
}
