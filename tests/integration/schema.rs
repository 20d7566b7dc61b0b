//! Every report validates against the versioned JSON Schema in the repo
//! (`docs/schema/report-1.0.schema.json`): the JSON report of scans that
//! exercise each part of it, and every JSON Lines record.

use serde_json::Value;

use crate::util::*;

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/schema/report-1.0.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("the report schema compiles")
}

/// Validates a whole JSON report.
pub fn report_validator() -> jsonschema::Validator {
    validator()
}

/// Validates one JSON Lines object record.
pub fn record_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/schema/report-1.0.schema.json")).unwrap(),
    )
    .unwrap();
    let mut record_schema = schema["$defs"]["record"].clone();
    record_schema["$defs"] = schema["$defs"].clone();
    jsonschema::validator_for(&record_schema).unwrap()
}

pub fn assert_valid(validator: &jsonschema::Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn reports_validate_against_the_schema() {
    let validator = validator();
    let work = tempfile::tempdir().unwrap();
    // Archives (members, a bomb error), state (changes), a baseline, logs.
    let tree = work.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::copy(
        repo().join("demo/bucket/config/production.env"),
        tree.join("prod.env"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("demo/bucket/backups/web-release-2026-09.tgz"),
        tree.join("release.tgz"),
    )
    .unwrap();
    std::fs::write(
        tree.join("truncated.gz"),
        [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff],
    )
    .unwrap();
    let state = work.path().join("state.db");
    let baseline = work.path().join("baseline.json");
    let runs: Vec<Vec<String>> = vec![
        vec![
            repo().join("demo/bucket").display().to_string(),
            "--cloudtrail".into(),
            repo().join("demo/logs/cloudtrail").display().to_string(),
            "--access-logs".into(),
            repo().join("demo/logs/s3").display().to_string(),
            "--fail-at".into(),
            "9".into(),
        ],
        vec![
            tree.display().to_string(),
            "--state".into(),
            state.display().to_string(),
            "--output".into(),
            baseline.display().to_string(),
        ],
        vec![
            tree.display().to_string(),
            "--state".into(),
            state.display().to_string(),
            "--baseline".into(),
            baseline.display().to_string(),
        ],
    ];
    for args in &runs {
        let mut full = vec!["scan", "--format", "json", "--quiet"];
        full.extend(args.iter().map(String::as_str));
        let output = run(&full);
        assert!(
            output.status.code().is_some_and(|c| c <= 1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = if output.stdout.is_empty() {
            std::fs::read_to_string(&baseline).unwrap()
        } else {
            String::from_utf8(output.stdout).unwrap()
        };
        let report: Value = serde_json::from_str(&text).unwrap();
        assert_valid(&validator, &report, &args.join(" "));
    }
    let last: Value = {
        let output = run(&[
            "scan",
            "--format",
            "json",
            "--quiet",
            tree.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ]);
        serde_json::from_slice(&output.stdout).unwrap()
    };
    assert_eq!(
        last["summary"]["changes"]["unchanged"],
        last["summary"]["objects"]
    );

    // Each JSON Lines record is an object record of the schema.
    let record_validator = record_validator();
    let (_, records) = scan_records(&repo().join("demo/bucket"), &[]);
    assert!(records.len() > 20);
    for record in &records {
        assert_valid(&record_validator, record, record["uri"].as_str().unwrap());
    }
}
