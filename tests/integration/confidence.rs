//! Confidence and encoded content through the real binary: a proved or
//! distinctive token is `high` and counts in full, a generic password
//! assignment is `low` and counts `low_confidence_step` points less (as
//! its risk factor says), and a token inside base64 is found where the
//! base64 starts, in every report format.

use serde_json::Value;

use crate::schema::{assert_valid, record_validator};
use crate::util::*;

fn finding<'a>(record: &'a Value, id: &str) -> &'a Value {
    record["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {record}"))
}

fn factor(record: &Value, prefix: &str) -> (String, u64) {
    let factor = record["risk_factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["detail"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("no factor {prefix} in {record}"));
    (
        factor["detail"].as_str().unwrap().to_string(),
        factor["value"].as_u64().unwrap(),
    )
}

/// base64 of `ci_token: ghp_Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi\n`,
/// written out so the test does not share the code under test.
const ENCODED: &str = "Y2lfdG9rZW46IGdocF9acTNMcjhUejBXYlhlNFljVjF1TnM4SGQzSm02UGE1Um8yUWkK";

fn tree(work: &std::path::Path) -> std::path::PathBuf {
    let tree = work.join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(
        tree.join("credentials"),
        "[default]\naws_access_key_id = AKIA2E4GHJ7KLMNPQR3S\naws_secret_access_key = 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\n",
    )
    .unwrap();
    std::fs::write(
        tree.join("notes.txt"),
        "release checklist\nGH=ghp_Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi\n",
    )
    .unwrap();
    std::fs::write(
        tree.join("service.txt"),
        "service settings\nlisten 8080\nadmin_password = \"Hv7#qLp2!xZr\"\n",
    )
    .unwrap();
    std::fs::write(
        tree.join("secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  config: {ENCODED}\n"
        ),
    )
    .unwrap();
    tree
}

#[test]
fn proved_tokens_count_in_full_and_generic_assignments_count_less() {
    let work = tempfile::tempdir().unwrap();
    let tree = tree(work.path());
    let (output, records) = scan_records(&tree, &[]);
    assert!(output.status.success() || output.status.code() == Some(1));
    let validator = record_validator();
    for record in &records {
        assert_valid(&validator, record, "record");
        for regex in record["regexes"].as_array().unwrap() {
            assert!(regex["confidence"].is_string(), "{regex}");
        }
    }

    let aws = record(&records, "credentials");
    assert_eq!(finding(aws, "aws_access_key")["confidence"], "high");
    // The secret key is named, not proved: medium, and still counts 10.
    assert_eq!(finding(aws, "aws_secret_key")["confidence"], "medium");
    assert_eq!(aws["risk"], 10);
    assert_eq!(
        factor(aws, "regexes:aws_secret_key"),
        ("regexes:aws_secret_key".to_string(), 10)
    );

    let github = record(&records, "notes.txt");
    assert_eq!(finding(github, "github_key")["confidence"], "high");
    assert_eq!(finding(github, "github_key")["risk"], 8);
    assert_eq!(factor(github, "regexes:github_key").1, 8);
    assert_eq!(github["risk"], 8);

    let generic = record(&records, "service.txt");
    let password = finding(generic, "generic_password_assignment");
    assert_eq!(password["confidence"], "low");
    assert_eq!(password["risk"], 6);
    assert_eq!(
        factor(generic, "regexes:generic_password_assignment"),
        (
            "regexes:generic_password_assignment (low confidence: 6 - 2)".to_string(),
            4
        )
    );
    assert!(generic["risk"].as_u64().unwrap() < 6, "{generic}");

    // With the step at 0 in assay.toml the same finding counts in full.
    let config = work.path().join("assay.toml");
    std::fs::write(&config, "[risk]\nlow_confidence_step = 0\n").unwrap();
    let (_, full) = scan_records(&tree, &["--config", config.to_str().unwrap()]);
    let generic = record(&full, "service.txt");
    assert_eq!(
        factor(generic, "regexes:generic_password_assignment"),
        ("regexes:generic_password_assignment".to_string(), 6)
    );
    assert_eq!(generic["risk"], 6);
}

#[test]
fn a_token_inside_base64_is_reported_where_the_base64_starts() {
    let work = tempfile::tempdir().unwrap();
    let tree = tree(work.path());
    let (_, records) = scan_records(&tree, &[]);
    let secret = record(&records, "secret.yaml");
    let github = finding(secret, "github_key");
    assert_eq!(
        github["locations"][0],
        serde_json::json!({"line": 6, "column": 11, "offset": 65, "encoding": "base64"})
    );
    assert_eq!(github["redacted"], "ghp_…(40 chars)");
    // Line 6 column 11 is where the base64 starts.
    let text = std::fs::read_to_string(tree.join("secret.yaml")).unwrap();
    assert_eq!(&text[65..73], &ENCODED[..8]);

    // Every format says so; none shows the token.
    let target = tree.to_str().unwrap();
    let table = run(&["scan", target, "--format", "table", "--quiet"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("line 6 (base64) [8 high]"), "{table}");
    assert!(table.contains("[6 low]"), "{table}");
    let sarif = run(&["scan", target, "--format", "sarif", "--quiet"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let encoded = results
        .iter()
        .find(|r| r["locations"][0]["properties"]["encoding"] == "base64")
        .expect("a result inside base64");
    assert_eq!(encoded["ruleId"], "github_key");
    assert_eq!(encoded["properties"]["confidence"], "high");
    assert_eq!(encoded["level"], "error");
    assert_eq!(encoded["rank"], 80.0);
    let generic = results
        .iter()
        .find(|r| r["ruleId"] == "generic_password_assignment")
        .unwrap();
    // Risk 6 counts as 4: a note, ranked 40.
    assert_eq!(
        (
            &generic["level"],
            &generic["rank"],
            &generic["properties"]["confidence"]
        ),
        (
            &Value::from("note"),
            &Value::from(40.0),
            &Value::from("low")
        )
    );
    let csv = run(&["scan", target, "--format", "csv", "--quiet"]);
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(csv.contains("github_keyx1 ghp_…(40 chars) (high)"), "{csv}");
    for output in [table.to_string(), csv.to_string(), sarif.to_string()] {
        assert!(!output.contains("Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi"));
        assert!(!output.contains("Hv7#qLp2!xZr"));
    }
}
