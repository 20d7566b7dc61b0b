//! `assay rules list`: the catalog, as a table or JSON.

use std::io::Write;

use anyhow::Context;
use assay_classifiers::catalog::{RuleInfo, RuleKind};
use assay_classifiers::{Catalog, Classifiers};
use comfy_table::{Table, presets::NOTHING};

use crate::args::{RulesFormat, RulesListArgs};

pub fn list(args: RulesListArgs) -> anyhow::Result<()> {
    let classifiers = Classifiers::builtin().context("loading the built-in catalog")?;
    let mut rules = classifiers.rules();
    let api = assay_scanner::access::stats::ApiCatalog::builtin()
        .context("loading the API event catalog")?;
    for (kind, items) in [
        (RuleKind::ApiEvent, &api.events),
        (RuleKind::ErrorCode, &api.errors),
    ] {
        rules.extend(items.iter().map(|item| RuleInfo {
            enabled: item.enabled,
            note: Some(item.why.clone()),
            ..RuleInfo::new(kind, &item.name, item.name.clone(), item.risk)
        }));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        RulesFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)?;
        }
        RulesFormat::Table => {
            let mut table = Table::new();
            table.load_preset(NOTHING).set_header([
                "CLASSIFIER",
                "ID",
                "NAME",
                "RISK",
                "MIN",
                "ENABLED",
                "SOURCE",
                "CONFIDENCE",
            ]);
            for rule in &rules {
                table.add_row([
                    rule.classifier.to_string(),
                    rule.id.clone(),
                    rule.name.clone(),
                    rule.risk.to_string(),
                    rule.min_count.to_string(),
                    rule.enabled.to_string(),
                    format!("{:?}", rule.source).to_lowercase(),
                    rule.confidence.map(|c| c.to_string()).unwrap_or_default(),
                ]);
            }
            writeln!(out, "{table}")?;
            writeln!(out, "{} items; catalog {}", rules.len(), Catalog::version())?;
        }
    }
    Ok(())
}
