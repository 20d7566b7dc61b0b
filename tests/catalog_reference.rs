//! The catalog against Macie Classic's published lists: `assay rules list
//! --format json` must carry every Macie content type, extension, theme and
//! regex with Macie's risk and minimum count, unless the item's note explains
//! the departure. The lists live in `tests/data/macie_classic_items.tsv`; when
//! the project's reference (`../shared/reference/macie-classic.md`) is
//! present, that file is checked against it too.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
struct Item {
    kind: String,
    name: String,
    risk: u64,
    min: u64,
}

fn macie_items() -> Vec<Item> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/macie_classic_items.tsv"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Item {
                kind: f[0].into(),
                name: f[1].into(),
                risk: f[2].parse().unwrap(),
                min: f[3].parse().unwrap(),
            }
        })
        .collect()
}

fn rules() -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn rules_list_has_every_macie_item_with_macie_defaults() {
    let rules = rules();
    let count = |classifier: &str| {
        rules
            .iter()
            .filter(|r| r["classifier"] == classifier)
            .count()
    };
    assert!(count("content_type") >= 204, "{}", count("content_type"));
    assert!(count("extension") >= 83, "{}", count("extension"));
    assert!(count("theme") >= 43, "{}", count("theme"));
    assert!(count("regex") >= 200, "{}", count("regex"));
    assert!(
        rules
            .iter()
            .any(|r| r["classifier"] == "api_event" && r["id"] == "StopLogging" && r["risk"] == 10)
    );
    assert!(
        rules
            .iter()
            .any(|r| r["classifier"] == "error_code" && r["id"] == "AccessDenied")
    );
    for rule in &rules {
        for field in ["classifier", "id", "name", "risk", "min_count", "enabled"] {
            assert!(!rule[field].is_null(), "{rule} lacks {field}");
        }
        let risk = rule["risk"].as_u64().unwrap();
        assert!((1..=10).contains(&risk), "{rule}");
    }
    let mut missing = Vec::new();
    let mut departures_without_reason = Vec::new();
    for item in macie_items() {
        let (classifier, key) = match item.kind.as_str() {
            "content_type" => ("content_type", "id"),
            "extension" => ("extension", "id"),
            "theme" => ("theme", "name"),
            _ => ("regex", "name"),
        };
        let found = rules
            .iter()
            .find(|r| r["classifier"] == classifier && r[key] == item.name.as_str());
        match found {
            None => missing.push(format!("{classifier} {}", item.name)),
            Some(rule) => {
                let same = rule["risk"] == item.risk && rule["min_count"] == item.min;
                if !same
                    && rule["note"]
                        .as_str()
                        .is_none_or(|n| !n.contains("Departure"))
                {
                    departures_without_reason.push(format!(
                        "{classifier} {}: catalog {} / {}, Macie {} / {}",
                        item.name, rule["risk"], rule["min_count"], item.risk, item.min
                    ));
                }
                assert_eq!(rule["source"], "macie", "{rule}");
            }
        }
    }
    assert!(
        missing.is_empty(),
        "Macie items missing from the catalog: {missing:?}"
    );
    assert!(
        departures_without_reason.is_empty(),
        "departures from Macie without a reason: {departures_without_reason:?}"
    );
}

#[test]
fn test_data_matches_the_reference_when_present() {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/macie-classic.md");
    let Ok(text) = std::fs::read_to_string(&reference) else {
        eprintln!(
            "{} not present: checked the catalog against tests/data only",
            reference.display()
        );
        return;
    };
    let section = |start: &str, end: &str| {
        text.split(start)
            .nth(1)
            .unwrap()
            .split(end)
            .next()
            .unwrap()
            .to_string()
    };
    let group = regex::Regex::new(r"\*\*risk (\d+)\*\* \((\d+)\): (.*)").unwrap();
    let quoted = regex::Regex::new(r"`\.?([^`]+)`").unwrap();
    let named = regex::Regex::new(r"([^;]+?) \(min (\d+)\)").unwrap();
    let mut expected = Vec::new();
    for (kind, body) in [
        (
            "content_type",
            section("### 1.2 Content types", "Highest-risk"),
        ),
        ("extension", section("### 1.3 File extensions", "Notes:")),
        ("theme", section("### 1.4 ", "\n### ")),
        ("regex", section("### 1.5 ", "\n### ")),
    ] {
        for g in group.captures_iter(&body) {
            let risk: u64 = g[1].parse().unwrap();
            let before = expected.len();
            if kind == "content_type" || kind == "extension" {
                for q in quoted.captures_iter(&g[3]) {
                    expected.push(Item {
                        kind: kind.into(),
                        name: q[1].into(),
                        risk,
                        min: 1,
                    });
                }
            } else {
                for n in named.captures_iter(&g[3]) {
                    expected.push(Item {
                        kind: kind.into(),
                        name: n[1].trim().into(),
                        risk,
                        min: n[2].parse().unwrap(),
                    });
                }
            }
            assert_eq!(
                expected.len() - before,
                g[2].parse::<usize>().unwrap(),
                "group count in {kind} risk {risk}"
            );
        }
    }
    let mut by_kind: HashMap<&str, usize> = HashMap::new();
    for item in &expected {
        *by_kind.entry(item.kind.as_str()).or_default() += 1;
    }
    assert_eq!(
        by_kind,
        HashMap::from([
            ("content_type", 204),
            ("extension", 83),
            ("theme", 43),
            ("regex", 67)
        ])
    );
    assert_eq!(
        macie_items(),
        expected,
        "tests/data/macie_classic_items.tsv has drifted from the reference"
    );
}

/// The README's table of detectors by category says what the catalog holds.
#[test]
fn the_readme_counts_the_detectors_the_catalog_has() {
    let catalog = assay_classifiers::Catalog::builtin().unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let enabled: Vec<_> = catalog.detectors.iter().filter(|d| d.enabled).collect();
    assert!(
        readme.contains(&format!("{} detectors in six categories", enabled.len())),
        "the README should say {} detectors",
        enabled.len()
    );
    let mut by_category: HashMap<&str, usize> = HashMap::new();
    for detector in &enabled {
        *by_category.entry(detector.category.as_str()).or_default() += 1;
    }
    assert_eq!(by_category.len(), 6);
    for (category, count) in by_category {
        let label = category.replace('_', " ");
        let row = readme
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("| {label} ")))
            .unwrap_or_else(|| panic!("no README row for {label}"));
        assert!(
            row.trim_end().ends_with(&format!("| {count} |")),
            "{label}: the catalog has {count}, the README says {row}"
        );
    }
}

#[test]
fn rules_list_gives_each_detector_the_confidence_its_findings_get() {
    let rules = rules();
    let confidence = |id: &str| {
        rules
            .iter()
            .find(|r| r["classifier"] == "regex" && r["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))["confidence"]
            .clone()
    };
    // A generic assignment is low; a checksummed token high.
    assert_eq!(confidence("generic_password_assignment"), "low");
    assert_eq!(confidence("credit_card_number"), "high");
    for rule in &rules {
        let is_regex = rule["classifier"] == "regex";
        let stated = rule["confidence"].as_str();
        assert_eq!(
            stated.is_some(),
            is_regex,
            "{}: only detectors have a confidence",
            rule["id"]
        );
        if let Some(stated) = stated {
            assert!(["low", "medium", "high"].contains(&stated), "{rule}");
        }
    }
}
