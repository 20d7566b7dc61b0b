//! `--format sarif` validated against the SARIF 2.1.0 schema
//! (`tests/data/sarif-2.1.0-rtm.5.json`, the OASIS schema as shipped in
//! Microsoft's MIT-licensed `@microsoft/jest-sarif` npm package, with the
//! `run.language` pattern erratum corrected as in the final 2.1.0 schema:
//! the shipped pattern has a stray `]` that a strict regex engine rejects),
//! and
//! `--baseline` accepting known findings so only new ones fail a build.

use std::path::Path;

use serde_json::Value;

use crate::util::*;

fn sarif_of(target: &Path, extra: &[&str]) -> (std::process::Output, Value) {
    let mut args = vec![
        "scan",
        target.to_str().unwrap(),
        "--format",
        "sarif",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let output = run(&args);
    let sarif = if output.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "SARIF is JSON: {e}: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
    };
    (output, sarif)
}

#[test]
fn the_demo_report_is_valid_sarif_with_a_result_per_finding() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/data/sarif-2.1.0-rtm.5.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let (output, sarif) = sarif_of(&repo().join("demo/bucket"), &[]);
    assert!(output.status.success());
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    // Every kept location of every regex finding in the JSON Lines records.
    let (_, records) = scan_records(&repo().join("demo/bucket"), &[]);
    let expected: usize = records
        .iter()
        .flat_map(|r| r["regexes"].as_array().unwrap())
        .map(|f| f["locations"].as_array().unwrap().len().max(1))
        .sum();
    assert_eq!(results.len(), expected);
    for result in results {
        let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], result["ruleId"]);
        assert!(rule["shortDescription"]["text"].as_str().unwrap().len() > 3);
        assert!(result["partialFingerprints"]["assayFinding/v1"].is_string());
    }
    let secret = results
        .iter()
        .find(|r| r["ruleId"] == "aws_secret_key")
        .expect("the demo's AWS secret key");
    let location = &secret["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("config/production.env")
    );
    assert_eq!(location["region"]["startLine"], 9);
    assert_eq!(location["region"]["startColumn"], 23);
    assert_eq!(secret["level"], "error");
    let text = sarif.to_string();
    assert!(
        !text.contains("Qm8vT1x9bR4kLp2Zs7Wn0Yc5Hd3Jf6Ga8Eu1Io4P"),
        "secrets stay redacted"
    );
}

#[test]
fn a_baseline_accepts_known_findings_and_only_new_ones_fail() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("app");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(
        tree.join("old.env"),
        "GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
    )
    .unwrap();
    let baseline = work.path().join("baseline.sarif");
    let (output, sarif) = sarif_of(&tree, &["--output", baseline.to_str().unwrap()]);
    assert!(output.status.success());
    assert_eq!(sarif, Value::Null, "written to --output, not stdout");
    let accepted: Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(accepted["runs"][0]["results"].as_array().unwrap().len(), 1);

    // Nothing new: the known token no longer fails the build.
    let (output, sarif) = sarif_of(
        &tree,
        &["--baseline", baseline.to_str().unwrap(), "--fail-at", "8"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(sarif["runs"][0]["results"].as_array().unwrap().is_empty());

    // The known token moves down a line (same fingerprint) and a new one arrives.
    std::fs::write(
        tree.join("old.env"),
        "# moved\nGITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
    )
    .unwrap();
    std::fs::write(
        tree.join("new.env"),
        "GITHUB_TOKEN=ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210\n",
    )
    .unwrap();
    let (output, sarif) = sarif_of(
        &tree,
        &["--baseline", baseline.to_str().unwrap(), "--fail-at", "8"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the new token fails the build"
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("new.env")
    );

    // A JSON report works as a baseline too, and the summary counts what it accepted.
    let json_baseline = work.path().join("baseline.json");
    let output = run(&[
        "scan",
        tree.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        json_baseline.to_str().unwrap(),
    ]);
    assert!(output.status.code() == Some(0));
    let output = run(&[
        "scan",
        tree.to_str().unwrap(),
        "--format",
        "json",
        "--baseline",
        json_baseline.to_str().unwrap(),
        "--fail-at",
        "8",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["baselined_findings"], 2);
    assert!(
        report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["regexes"] == serde_json::json!([]))
    );

    let broken = work.path().join("broken.json");
    std::fs::write(&broken, "{\"neither\": 1}").unwrap();
    let output = run(&[
        "scan",
        tree.to_str().unwrap(),
        "--baseline",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("neither a SARIF nor a JSON report"));
}
