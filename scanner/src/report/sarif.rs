//! `--format sarif`: SARIF 2.1.0 for code-scanning UIs. One result per
//! located regex finding (up to the record's kept locations), each rule
//! described from the catalog, objects that could not be read as
//! notifications. Matches appear only redacted, as everywhere else. A
//! result's `level` and `rank` follow what it adds to content risk (a
//! low-confidence finding counts less); `properties.confidence` says how
//! sure it is.

use std::collections::BTreeMap;

use assay_classifiers::Catalog;
use assay_classifiers::detect::Confidence;
use assay_classifiers::risk::finding_risk;
use serde_json::{Value, json};

use super::Report;
use crate::record::{ObjectRecord, fingerprint};

/// The SARIF level of a risk: 8-10 error, 5-7 warning, below note.
fn level(risk: u8) -> &'static str {
    match risk {
        8.. => "error",
        5..=7 => "warning",
        _ => "note",
    }
}

/// A result's rank (SARIF's 0 to 100 priority): what the finding adds to
/// content risk ([`finding_risk`]: a low-confidence one counts less) times
/// ten, less 5 for medium confidence, so a proved token ranks above an
/// unproved one of the same risk.
fn rank(risk: u8, confidence: Confidence, low_confidence_step: u8) -> f64 {
    let points = f64::from(finding_risk(risk, confidence, low_confidence_step)) * 10.0;
    match confidence {
        Confidence::Medium => points - 5.0,
        Confidence::High | Confidence::Low => points,
    }
}

pub fn write_sarif(
    out: &mut dyn std::io::Write,
    report: &Report,
    catalog: &Catalog,
) -> std::io::Result<()> {
    let detectors: BTreeMap<&str, _> = catalog
        .detectors
        .iter()
        .map(|d| (d.id.as_str(), d))
        .collect();
    // Rules: every detector that found something, in id order.
    let mut used: Vec<String> = Vec::new();
    for object in report.objects.iter() {
        used.extend(object?.regexes.iter().map(|r| r.id.clone()));
        used.sort_unstable();
        used.dedup();
    }
    let index: BTreeMap<&str, usize> = used
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let rules: Vec<Value> = used
        .iter()
        .map(|id| match detectors.get(id.as_str()) {
            Some(d) => json!({
                "id": d.id,
                "name": rule_name(&d.id),
                "shortDescription": {"text": d.name},
                "fullDescription": {"text": d.description},
                "defaultConfiguration": {"level": level(d.risk)},
                "help": {"text": format!(
                    "{}: category {}, risk {} of 10, reported from {} match(es). Remove the value from the object, rotate it if it is a credential, and rescan.",
                    d.name, d.category.as_str(), d.risk, d.min_count
                )},
                "properties": {
                    "category": d.category.as_str(),
                    "risk": d.risk,
                    "security-severity": format!("{:.1}", f64::from(d.risk)),
                    "tags": ["security", d.category.as_str()],
                },
            }),
            None => json!({"id": id, "shortDescription": {"text": id}}),
        })
        .collect();
    let mut results: Vec<Value> = Vec::new();
    let mut unread: Vec<Value> = Vec::new();
    for object in report.objects.iter() {
        let object = object?;
        results.extend(results_of(&object, &index, catalog.low_confidence_step));
        unread.extend(object.errors.iter().map(|e| {
            json!({
                "level": "warning",
                "message": {"text": format!("{}: {}", e.kind, e.message)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": object.uri}}}],
            })
        }));
    }
    let notifications: Vec<Value> = unread
        .into_iter()
        .chain(report.errors.iter().map(|issue| {
            json!({
                "level": "warning",
                "message": {"text": format!("{} {}: {}", issue.kind, issue.location, issue.message)},
            })
        }))
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.scan.tool.name,
                "version": report.scan.tool.version,
                "semanticVersion": report.scan.tool.version,
                "informationUri": "https://example.invalid/assay",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "startTimeUtc": report.scan.started,
                "endTimeUtc": report.scan.finished,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "targets": report.scan.targets,
                "catalogVersion": report.scan.catalog_version,
                "modelVersion": report.scan.model_version,
                "maxRisk": report.summary.max_risk,
            },
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    out.write_all(b"\n")
}

/// `aws_secret_key` -> `AwsSecretKey` (SARIF rule names are identifiers).
fn rule_name(id: &str) -> String {
    id.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn results_of(
    object: &ObjectRecord,
    index: &BTreeMap<&str, usize>,
    low_confidence_step: u8,
) -> Vec<Value> {
    let mut results = Vec::new();
    for regex in &object.regexes {
        // Level and rank weigh the finding as content risk does.
        let weight = finding_risk(regex.risk, regex.confidence, low_confidence_step);
        let verdict = crate::verify::describe(regex)
            .map(|v| format!("; {v}"))
            .unwrap_or_default();
        let message = format!(
            "{} in {}: {} ({} match{} in the object; object risk {}{verdict})",
            regex.id,
            object.uri,
            regex.redacted,
            regex.count,
            if regex.count == 1 { "" } else { "es" },
            object.risk
        );
        let locations: Vec<Value> = if regex.locations.is_empty() {
            vec![json!({"physicalLocation": {"artifactLocation": {"uri": object.uri}}})]
        } else {
            regex
                .locations
                .iter()
                .map(|l| {
                    let mut location = json!({"physicalLocation": {
                        "artifactLocation": {"uri": object.uri},
                        "region": {"startLine": l.line, "startColumn": l.column, "byteOffset": l.offset},
                    }});
                    // Inside encoded text: the region is where that text starts.
                    if let Some(encoding) = l.encoding {
                        location["properties"] = json!({"encoding": encoding.as_str()});
                    }
                    // A cell, page or JSON path: where a reader of the document looks.
                    if !l.place.is_empty() {
                        location["logicalLocations"] = json!([{
                            "fullyQualifiedName": l.place.describe(),
                            "kind": "element",
                        }]);
                    }
                    location
                })
                .collect()
        };
        // One result per location, so each shows where it is.
        for location in locations {
            let mut properties = json!({
                "risk": regex.risk,
                "confidence": regex.confidence.as_str(),
                "category": regex.category,
                "redacted": regex.redacted,
                "objectRisk": object.risk,
            });
            // With --verify only: the provider's verdict (status, when,
            // and who the credential acts as).
            if let Some(verification) = &regex.verification {
                properties["verification"] = json!(verification);
            }
            results.push(json!({
                "ruleId": regex.id,
                "ruleIndex": index.get(regex.id.as_str()).copied().unwrap_or(0),
                "level": level(weight),
                "rank": rank(regex.risk, regex.confidence, low_confidence_step),
                "message": {"text": message},
                "locations": [location],
                "partialFingerprints": {
                    "assayFinding/v1": fingerprint(&regex.id, &object.uri, &regex.redacted),
                },
                "properties": properties,
            }));
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_the_line_and_tell_findings_apart() {
        let a = fingerprint("github_key", "src/a.env", "ghp_…(40 chars)");
        assert_eq!(a, fingerprint("github_key", "src/a.env", "ghp_…(40 chars)"));
        assert_ne!(a, fingerprint("github_key", "src/b.env", "ghp_…(40 chars)"));
        assert_ne!(
            a,
            fingerprint("npm_access_token", "src/a.env", "ghp_…(40 chars)")
        );
        assert_eq!(a.len(), 32);
        assert_eq!(rule_name("aws_secret_key"), "AwsSecretKey");
        assert_eq!(
            (level(10), level(6), level(2)),
            ("error", "warning", "note")
        );
        // A proved token outranks an unproved one of the same risk; a
        // generic hit ranks as the risk it adds.
        assert_eq!(rank(8, Confidence::High, 2), 80.0);
        assert_eq!(rank(8, Confidence::Medium, 2), 75.0);
        assert_eq!(rank(6, Confidence::Low, 2), 40.0);
        assert_eq!(rank(6, Confidence::Low, 0), 60.0);
    }
}
