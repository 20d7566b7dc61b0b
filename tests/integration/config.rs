//! `assay.toml`: a custom identifier, an allow list and overrides change
//! the findings exactly as configured; `[scan]` defaults apply; the file
//! is found in the working directory; mistakes name the file and line.

use serde_json::Value;

use crate::util::*;

const ALLOWED: &str = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
const REPORTED: &str = "ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210";

const CONFIG: &str = r#"
[scan]
format = "json"
fail_at = 6

[[custom_identifier]]
id = "northwind_employee_id"
name = "Northwind employee id"
regex = 'NW-[0-9]{6}'
keywords = ["employee"]
ignore_words = ["NW-000000"]
maximum_match_distance = 20
risk = 6
category = "personal"

[allow_list]
text = ["ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"]

[[override]]
classifier = "regexes"
id = "email_address"
enabled = false
"#;

fn ids(record: &Value) -> Vec<String> {
    regex_ids(record)
}

#[test]
fn identifiers_allow_lists_and_overrides_change_findings_as_configured() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(
        tree.join("staff.txt"),
        format!(
            "intro\nemployee NW-123456 joined\n{}NW-654321 (no keyword nearby)\nemployee NW-000000 placeholder\nmail jane.doe@northwind.example\n",
            "x".repeat(60)
        ),
    )
    .unwrap();
    std::fs::write(
        tree.join("tokens.env"),
        format!("OLD_TOKEN={ALLOWED}\nNEW_TOKEN={REPORTED}\n"),
    )
    .unwrap();
    std::fs::write(work.path().join("assay.toml"), CONFIG).unwrap();

    // Without the file: the built-in catalog.
    let (_, plain) = scan_records(&tree, &[]);
    assert!(ids(record(&plain, "staff.txt")).contains(&"email_address".to_string()));
    assert_eq!(record(&plain, "tokens.env")["regexes"][0]["count"], 2);

    // Found in the working directory; [scan] gives the format and threshold.
    let output = assay()
        .current_dir(work.path())
        .args(["scan", tree.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "fail_at 6 from assay.toml: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON from [scan] format");
    let objects = report["objects"].as_array().unwrap();
    let staff = record(objects, "staff.txt");
    assert_eq!(
        ids(staff),
        ["northwind_employee_id"],
        "email_address disabled"
    );
    let employee = &staff["regexes"][0];
    assert_eq!(
        employee["count"], 1,
        "only the id next to its keyword, not the ignored one"
    );
    assert_eq!(employee["locations"][0]["line"], 2);
    assert_eq!(employee["category"], "personal");
    assert_eq!(employee["risk"], 6);
    assert_eq!(staff["risk"], 6);
    let tokens = &record(objects, "tokens.env")["regexes"][0];
    assert_eq!(tokens["id"], "github_key");
    assert_eq!(
        tokens["count"], 1,
        "the allow-listed token is not a finding"
    );
    assert_eq!(tokens["locations"][0]["line"], 2);
    let version = report["scan"]["catalog_version"].as_str().unwrap();
    assert!(version.contains("+config-"), "{version}");

    // The command line wins over [scan].
    let output = run(&[
        "scan",
        tree.to_str().unwrap(),
        "--config",
        work.path().join("assay.toml").to_str().unwrap(),
        "--format",
        "jsonl",
        "--fail-at",
        "9",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).lines().count() == 2);
}

#[test]
fn a_broken_config_names_the_file_and_line() {
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("assay.toml");
    std::fs::write(
        &path,
        "[scan]\nfail_at = 8\n\n[[override]]\nclassifier = \"regexes\"\nid = \"not_a_rule\"\n",
    )
    .unwrap();
    let output = run(&[
        "scan",
        repo().join("demo/bucket/src").to_str().unwrap(),
        "--config",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:6: override of `not_a_rule`", path.display())),
        "{stderr}"
    );
}
