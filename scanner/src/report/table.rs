//! `--format table`: a terminal table of objects, riskiest first, then the
//! summary and any problems.

use assay_classifiers::risk::FactorKind;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::Report;

/// Findings shown per object before "and N more".
const SHOWN_FINDINGS: usize = 4;

/// Text from scanned data (object names, archive member paths, sheet names,
/// principals from logs) as a terminal may show it: control characters
/// escaped (`\u{1b}`, `\n`), so a file name cannot move the cursor, recolour
/// the screen or forge table lines.
fn terminal_safe(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_debug().to_string(),
            c => c.to_string(),
        })
        .collect()
}

pub fn write_table(
    out: &mut dyn std::io::Write,
    report: &Report,
    width: Option<u16>,
) -> std::io::Result<()> {
    let mut objects = report.objects.iter().collect::<std::io::Result<Vec<_>>>()?;
    objects.sort_by(|a, b| b.risk.cmp(&a.risk).then_with(|| a.uri.cmp(&b.uri)));
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = width {
        table.set_width(width);
    }
    table.set_header(["RISK", "OBJECT", "CONTENT TYPE", "FINDINGS"]);
    for record in objects {
        let mut regexes: Vec<_> = record.regexes.iter().collect();
        regexes.sort_by(|a, b| b.risk.cmp(&a.risk).then_with(|| a.id.cmp(&b.id)));
        let access: Vec<String> = record
            .risk_factors
            .iter()
            .filter(|f| f.kind == FactorKind::Access)
            .map(|f| format!("+{} access: {}", f.value, f.detail))
            .collect();
        let live: Vec<String> = record
            .risk_factors
            .iter()
            .filter(|f| f.kind == FactorKind::Verification)
            .map(|f| format!("LIVE: {}", f.detail))
            .collect();
        let boost: u8 = record
            .risk_factors
            .iter()
            .filter(|f| f.kind == FactorKind::Access)
            .map(|f| f.value)
            .sum();
        let content = record
            .risk_factors
            .iter()
            .filter(|f| f.kind == FactorKind::Content)
            .map(|f| f.value)
            .max()
            .unwrap_or(1);
        let mut findings: Vec<String> = regexes
            .into_iter()
            .map(|r| {
                let at = r
                    .locations
                    .first()
                    .map(|l| {
                        let at = match l.place.is_empty() {
                            true => format!(" line {}", l.line),
                            false => format!(" {}", l.place.describe()),
                        };
                        match l.encoding {
                            Some(encoding) => format!("{at} ({encoding})"),
                            None => at,
                        }
                    })
                    .unwrap_or_default();
                let verdict = crate::verify::describe(r)
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default();
                format!(
                    "{} ×{} {}{} [{} {}]{verdict}",
                    r.id,
                    r.count,
                    r.redacted,
                    terminal_safe(&at),
                    r.risk,
                    r.confidence
                )
            })
            .collect();
        findings.splice(0..0, access);
        findings.splice(0..0, live);
        findings.extend(
            record
                .themes
                .iter()
                .map(|t| format!("theme {} ×{} [{}]", t.id, t.hits, t.risk)),
        );
        if record.extension.mismatch {
            findings.push(format!(
                ".{} does not match content",
                record.extension.ext.as_deref().unwrap_or("")
            ));
        }
        findings.extend(
            record
                .errors
                .iter()
                .map(|e| format!("ERROR {}: {}", e.kind, terminal_safe(&e.message))),
        );
        if findings.len() > SHOWN_FINDINGS {
            let more = findings.len() - SHOWN_FINDINGS;
            findings.truncate(SHOWN_FINDINGS);
            findings.push(format!("… and {more} more"));
        }
        table.add_row([
            if boost > 0 {
                format!("{} ({content} +{boost})", record.risk)
            } else {
                record.risk.to_string()
            },
            terminal_safe(&record.uri),
            {
                let mime = record
                    .content_type
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |c| c.mime.clone());
                // The document verdict under the type it was read as.
                match &record.svm {
                    Some(svm) => format!("{mime}\n{}", super::document_verdict(svm)),
                    None => mime,
                }
            },
            findings.join("\n"),
        ]);
    }
    writeln!(out, "{table}")?;
    let s = &report.summary;
    writeln!(out, "{s}")?;
    for identity in report.identities.iter().take(5) {
        writeln!(
            out,
            "identity risk {}: {} ({} calls, {} denied{})",
            identity.risk,
            terminal_safe(&identity.stats.principal),
            identity.stats.calls,
            identity.stats.access_denied,
            if identity.stats.scraper {
                ", scraper"
            } else {
                ""
            }
        )?;
    }
    for issue in &report.errors {
        writeln!(
            out,
            "  {} {}: {}",
            issue.kind,
            terminal_safe(&issue.location),
            terminal_safe(&issue.message)
        )?;
    }
    if let Some(threshold) = report.scan.fail_at {
        let at_or_above: u64 = s.by_risk[usize::from(threshold.clamp(1, 10) - 1)..]
            .iter()
            .sum();
        writeln!(
            out,
            "{at_or_above} objects at or above --fail-at {threshold}"
        )?;
    }
    Ok(())
}
