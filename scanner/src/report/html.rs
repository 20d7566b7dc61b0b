//! `--format html`: the auditor's report. One self-contained file (inline
//! CSS and SVG, no script, no network) that reads and prints well: scope,
//! inputs and their integrity, versions, the risk method in plain words, a
//! summary with charts, buckets and their posture, the riskiest objects
//! with their (redacted) evidence and risk factors, identities, errors.
//! Everything that comes from scanned data is escaped.

use std::fmt::Write as _;

use serde_json::Value;

use assay_classifiers::risk::RiskFactor;

use super::Report;
use crate::record::ObjectRecord;
use crate::report::Integrity;

/// Objects shown with their evidence (all are in the JSON report).
const RISKIEST: usize = 50;

/// Escapes text for HTML element content and quoted attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.num{text-align:right}code{font:12px/1.3 ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.risk{display:inline-block;min-width:1.6rem;text-align:center;border-radius:3px;color:#fff;font-weight:600}
.r1,.r2,.r3{background:#6e7781}.r4,.r5{background:#bf8700}.r6,.r7{background:#d1242f}.r8,.r9,.r10{background:#82071e}
.muted{color:#57606a}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3rem}
.ok{color:#1a7f37}.bad{color:#d1242f}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
";

fn risk_badge(risk: u64) -> String {
    format!("<span class=\"risk r{risk}\">{risk}</span>")
}

/// A horizontal bar chart as inline SVG.
fn bar_chart(id: &str, title: &str, bars: &[(String, u64)]) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let row = 22;
    let height = row * bars.len().max(1) + 10;
    let mut svg = format!(
        "<figure id=\"{id}\"><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"360\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        esc(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = i * row + 4;
        let width = (*value as f64 / max as f64 * 200.0).round() as u64;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"120\" y=\"{y}\" width=\"{width}\" height=\"16\" fill=\"#0969da\"><title>{}: {value}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"12\">{value}</text>",
            y + 13,
            esc(label),
            esc(label),
            125 + width,
            y + 13
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

pub fn write_html(out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
    let mut h = String::new();
    let scan = &report.scan;
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>assay risk report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        h,
        "<h1>Sensitive data risk report</h1><p class=\"muted\">{} {} · scan from {} to {}</p>",
        esc(scan.tool.name),
        esc(scan.tool.version),
        esc(&scan.started),
        esc(&scan.finished)
    );

    // Scope, inputs and versions.
    h.push_str("<section id=\"scope\"><h2>Scope and inputs</h2><table><tbody>");
    let _ = write!(
        h,
        "<tr><th>Targets</th><td>{}</td></tr><tr><th>Catalog version</th><td><code>{}</code></td></tr><tr><th>SVM model version</th><td><code>{}</code></td></tr><tr><th>Failure threshold</th><td>{}</td></tr>",
        scan.targets
            .iter()
            .map(|t| format!("<code>{}</code>", esc(t)))
            .collect::<Vec<_>>()
            .join("<br>"),
        esc(&scan.catalog_version),
        esc(scan.model_version.as_deref().unwrap_or("none")),
        scan.fail_at
            .map_or("none".to_string(), |n| format!("risk {n} or more"))
    );
    h.push_str("</tbody></table>");
    if scan.inputs.is_empty() {
        h.push_str(
            "<p>No CloudTrail or S3 access logs were given: scores rest on content alone.</p>",
        );
    } else {
        h.push_str("<table id=\"inputs\"><thead><tr><th>Access-log input</th><th>Kind</th><th>Files</th><th>Events</th><th>Problems</th><th>Integrity</th></tr></thead><tbody>");
        for input in &scan.inputs {
            let class = match input.integrity {
                Integrity::Verified => "ok",
                Integrity::Unverified => "muted",
                Integrity::Tampered | Integrity::Unverifiable => "bad",
            };
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{class}\">{}</td></tr>",
                esc(&input.source),
                esc(&input.kind.to_string()),
                input.files,
                input.events,
                input.problems,
                esc(&input.integrity.to_string())
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");

    h.push_str("<section id=\"method\"><h2>How the scores are made</h2><p>Every object is read by five classifiers: its content type, its file extension, keyword themes, regular-expression detectors for credentials, keys and personal, financial and health data, and an SVM that names the kind of document. Each catalog item carries a risk from 1 to 10. An object's content risk is the highest risk among what was found in it (Amazon Macie Classic's rule). Access evidence from CloudTrail and S3 server access logs (many readers, denied requests, principals whose calls are mostly denied) and the bucket's exposure (public, shared with other accounts, unencrypted) can raise a score but never lower it, and never make an object with nothing sensitive in it high-risk. Every point of every score is listed as a risk factor. Matches are shown redacted: at most their first four characters and their length.</p></section>");

    // Summary and charts.
    let s = &report.summary;
    let _ = write!(
        h,
        "<section id=\"summary\"><h2>Summary</h2><table><tbody><tr><th>Objects scanned</th><td class=\"num\" id=\"objects-count\">{}</td><th>Bytes</th><td class=\"num\">{}</td></tr><tr><th>Objects with findings</th><td class=\"num\">{}</td><th>Highest risk</th><td>{}</td></tr><tr><th>Objects not fully read</th><td class=\"num\">{}</td><th>Other problems</th><td class=\"num\">{}</td></tr></tbody></table><div class=\"charts\">",
        s.objects,
        s.bytes,
        s.objects_with_findings,
        risk_badge(u64::from(s.max_risk.max(1))),
        s.objects_with_errors,
        s.scan_issues
    );
    let by_risk: Vec<(String, u64)> = (1..=10)
        .rev()
        .map(|r| (format!("risk {r}"), s.by_risk[r - 1]))
        .collect();
    h.push_str(&bar_chart("chart-risk", "Objects by risk", &by_risk));
    let categories: Vec<(String, u64)> = s
        .findings_by_category
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    h.push_str(&bar_chart(
        "chart-categories",
        "Findings by category",
        &categories,
    ));
    let buckets: Vec<(String, u64)> = report
        .buckets
        .iter()
        .map(|b| (b.name.clone(), u64::from(b.risk)))
        .collect();
    if !buckets.is_empty() {
        h.push_str(&bar_chart("chart-buckets", "Buckets by risk", &buckets));
    }
    h.push_str("</div></section>");

    // Buckets.
    if !report.buckets.is_empty() {
        h.push_str("<section id=\"buckets\"><h2>Buckets</h2><table><thead><tr><th>Risk</th><th>Bucket</th><th>Objects</th><th>Public</th><th>Posture</th><th>Why</th></tr></thead><tbody>");
        for bucket in &report.buckets {
            let posture = match bucket.posture.as_ref().map(serde_json::to_value) {
                Some(Ok(Value::Object(checks))) => checks
                    .iter()
                    .map(|(k, v)| format!("{}: {}", esc(k), esc(&value_text(v))))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                _ => "not read (local tree)".into(),
            };
            let public = match bucket.posture.as_ref().and_then(|p| p.public()) {
                Some(public) => public.to_string(),
                None => value_text(&Value::Null),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td><td><small>{posture}</small></td><td>{}</td></tr>",
                risk_badge(u64::from(bucket.risk)),
                esc(&bucket.name),
                bucket.objects,
                esc(&public),
                factors(&bucket.risk_factors)
            );
        }
        h.push_str("</tbody></table></section>");
    }

    // Riskiest objects.
    // The riskiest few, kept while reading (a report may hold millions).
    let riskiest = |a: &std::borrow::Cow<'_, ObjectRecord>,
                    b: &std::borrow::Cow<'_, ObjectRecord>| {
        b.risk.cmp(&a.risk).then_with(|| a.uri.cmp(&b.uri))
    };
    let mut objects = Vec::new();
    for object in report.objects.iter() {
        objects.push(object?);
        if objects.len() >= 2 * RISKIEST {
            objects.sort_by(riskiest);
            objects.truncate(RISKIEST);
        }
    }
    objects.sort_by(riskiest);
    let _ = write!(
        h,
        "<section id=\"objects\"><h2>Riskiest objects</h2><p class=\"muted\">The {} riskiest of {} objects; every object is in the JSON report.</p><table><thead><tr><th>Risk</th><th>Object</th><th>Evidence</th><th>Risk factors</th></tr></thead><tbody>",
        objects.len().min(RISKIEST),
        report.objects.len()
    );
    for object in objects.iter().take(RISKIEST) {
        let mut evidence = Vec::new();
        if let Some(ct) = &object.content_type {
            evidence.push(format!("content type <code>{}</code>", esc(&ct.mime)));
        }
        if let Some(svm) = &object.svm {
            evidence.push(format!(
                "document: {} ({:.0}%)",
                esc(&super::document_verdict(svm)),
                svm.confidence * 100.0
            ));
        }
        for regex in &object.regexes {
            let at = regex
                .locations
                .first()
                .map(|l| {
                    let at = match l.place.is_empty() {
                        true => format!(" at line {}, column {}", l.line, l.column),
                        false => format!(" at {}", esc(&l.place.describe())),
                    };
                    match l.encoding {
                        Some(encoding) => format!("{at}, inside {encoding}"),
                        None => at,
                    }
                })
                .unwrap_or_default();
            // With --verify: live in red, dead struck through.
            let verdict = match (&regex.verification, crate::verify::describe(regex)) {
                (Some(v), Some(text)) => {
                    // Inline styles: a report without --verify stays as it was.
                    let style = match v.status {
                        assay_classifiers::verdict::VerificationStatus::Live => {
                            "class=\"bad\" style=\"font-weight:bold\""
                        }
                        assay_classifiers::verdict::VerificationStatus::Dead => {
                            "style=\"text-decoration:line-through;color:#57606a\""
                        }
                        _ => "style=\"color:#57606a\"",
                    };
                    format!(" <span {style}>{}</span>", esc(&text))
                }
                _ => String::new(),
            };
            evidence.push(format!(
                "<b>{}</b> ×{}: <code>{}</code>{at} ({} confidence){verdict}",
                esc(&regex.id),
                regex.count,
                esc(&regex.redacted),
                regex.confidence
            ));
        }
        for theme in &object.themes {
            evidence.push(format!("theme {} ({} hits)", esc(&theme.id), theme.hits));
        }
        for error in &object.errors {
            evidence.push(format!(
                "<span class=\"bad\">{}: {}</span>",
                esc(error.kind.as_str()),
                esc(&error.message)
            ));
        }
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            risk_badge(u64::from(object.risk)),
            esc(&object.uri),
            evidence.join("<br>"),
            factors(&object.risk_factors)
        );
    }
    h.push_str("</tbody></table></section>");

    // Identities.
    if !report.identities.is_empty() {
        h.push_str("<section id=\"identities\"><h2>Identities</h2><table><thead><tr><th>Risk</th><th>Principal</th><th>Calls</th><th>AccessDenied</th><th>Sensitive objects</th><th>Why</th></tr></thead><tbody>");
        for identity in &report.identities {
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                risk_badge(u64::from(identity.risk)),
                esc(&identity.stats.principal),
                identity.stats.calls,
                identity.stats.access_denied,
                identity.sensitive_objects,
                factors(&identity.risk_factors)
            );
        }
        h.push_str("</tbody></table></section>");
    }

    // Errors.
    h.push_str("<section id=\"errors\"><h2>Errors and blind spots</h2>");
    let mut unread = Vec::new();
    for object in report.objects.iter() {
        let object = object?;
        if !object.errors.is_empty() {
            unread.push(object);
        }
    }
    if unread.is_empty() && report.errors.is_empty() {
        h.push_str("<p class=\"ok\">Every object was read in full.</p>");
    } else {
        h.push_str("<table><thead><tr><th>Where</th><th>Kind</th><th>What happened</th></tr></thead><tbody>");
        for object in unread {
            for error in &object.errors {
                let _ = write!(
                    h,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    esc(&object.uri),
                    esc(error.kind.as_str()),
                    esc(&error.message)
                );
            }
        }
        for issue in &report.errors {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&issue.location),
                esc(issue.kind.as_str()),
                esc(&issue.message)
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section></body></html>\n");
    out.write_all(h.as_bytes())
}

fn factors(factors: &[RiskFactor]) -> String {
    factors
        .iter()
        .map(|f| format!("{} {}: {}", esc(f.kind.as_str()), esc(&f.detail), f.value))
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_text_cannot_become_markup() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{7}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\u{fffd}"
        );
    }
}
