//! `--format csv`: one row per object, for spreadsheets and auditors' tools.

use super::Report;

pub fn write_csv(out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record([
        "uri",
        "size",
        "risk",
        "content_type",
        "extension",
        "extension_mismatch",
        "regexes",
        "themes",
        "risk_factors",
        "errors",
        "document",
    ])?;
    for record in report.objects.iter() {
        let record = record?;
        let regexes: Vec<String> = record
            .regexes
            .iter()
            .map(|r| {
                let verdict = crate::verify::describe(r)
                    .map(|v| format!(" [{v}]"))
                    .unwrap_or_default();
                format!(
                    "{}x{} {} ({}){verdict}",
                    r.id, r.count, r.redacted, r.confidence
                )
            })
            .collect();
        let themes: Vec<String> = record
            .themes
            .iter()
            .map(|t| format!("{}x{}", t.id, t.hits))
            .collect();
        let factors: Vec<String> = record
            .risk_factors
            .iter()
            .map(|f| format!("{}={}", f.detail, f.value))
            .collect();
        let errors: Vec<String> = record
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.kind, e.message))
            .collect();
        writer.write_record([
            record.uri.as_str(),
            &record.size.to_string(),
            &record.risk.to_string(),
            record.content_type.as_ref().map_or("", |c| c.mime.as_str()),
            record.extension.ext.as_deref().unwrap_or(""),
            if record.extension.mismatch {
                "true"
            } else {
                "false"
            },
            &regexes.join("; "),
            &themes.join("; "),
            &factors.join("; "),
            &errors.join("; "),
            &record.svm.as_ref().map_or_else(String::new, |svm| {
                format!("{} ({:.2})", super::document_verdict(svm), svm.confidence)
            }),
        ])?;
    }
    writer.flush()
}
