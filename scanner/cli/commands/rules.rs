//! `assay rules list`: the catalog, as a table or JSON.

use std::io::Write;

use anyhow::Context;
use assay_classifiers::Catalog;
use comfy_table::{Table, presets::NOTHING};

use crate::args::{RulesFormat, RulesListArgs};

pub fn list(args: RulesListArgs) -> anyhow::Result<()> {
    let catalog = Catalog::builtin().context("loading the built-in catalog")?;
    let mut rules = catalog.rules();
    let api = assay_scanner::access::stats::ApiCatalog::builtin()
        .context("loading the API event catalog")?;
    for (classifier, items) in [("api_event", &api.events), ("error_code", &api.errors)] {
        rules.extend(
            items
                .iter()
                .map(|item| assay_classifiers::catalog::RuleInfo {
                    classifier,
                    id: item.name.clone(),
                    name: item.name.clone(),
                    risk: item.risk,
                    min_count: 1,
                    enabled: item.enabled,
                    source: assay_classifiers::catalog::Origin::Assay,
                    category: None,
                    note: Some(item.why.clone()),
                }),
        );
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
                ]);
            }
            writeln!(out, "{table}")?;
            writeln!(out, "{} items; catalog {}", rules.len(), Catalog::version())?;
        }
    }
    Ok(())
}
