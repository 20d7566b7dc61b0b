//! Report formats. `jsonl` streams one record per line as objects finish;
//! the others render a whole [`Report`] at the end.

mod csv;
mod html;
mod json;
pub mod objects;
mod sarif;
mod sections;
mod table;

pub use self::csv::write_csv;
pub use html::write_html;
pub use json::write_json;
pub use sarif::write_sarif;
pub use sections::{
    BucketRecord, IdentityRecord, InputKind, InputRecord, Integrity, InventoryUsed,
};
pub use table::write_table;

use serde::Serialize;

use crate::record::{ObjectRecord, ScanIssue, Summary};

/// The SVM's verdict as reports show it: the category (and subtype) only
/// when the model is confident, `uncertain` otherwise.
pub(crate) fn document_verdict(svm: &assay_classifiers::svm::SvmResult) -> String {
    if svm.uncertain {
        return "uncertain".to_string();
    }
    match &svm.subtype {
        Some(subtype) => format!("{}/{subtype}", svm.category),
        None => svm.category.to_string(),
    }
}

/// The version of the JSON report layout (`--format json`).
pub const SCHEMA_VERSION: &str = "1.0";

/// Output formats (`--format`; the command line parses them with the
/// `clap` feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    Table,
    Jsonl,
    Json,
    Csv,
    Sarif,
    Html,
}

/// Facts about the scan run itself.
#[derive(Debug, Clone, Serialize)]
pub struct ScanInfo {
    pub targets: Vec<String>,
    pub started: String,
    pub finished: String,
    pub tool: Tool,
    pub catalog_version: String,
    /// The SVM model version; null while no model is loaded.
    pub model_version: Option<String>,
    /// Access-log inputs and their integrity status.
    pub inputs: Vec<InputRecord>,
    pub fail_at: Option<u8>,
    /// A merged fleet run's units that were never committed: the report
    /// is partial.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete_units: Vec<String>,
    /// S3 Inventory reports a fleet run was planned from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inventories: Vec<InventoryUsed>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// A whole scan, as `--format json|table|csv` render it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub scan: ScanInfo,
    pub summary: Summary,
    /// Bucket records (S3 targets); empty for local trees.
    pub buckets: Vec<BucketRecord>,
    /// In URI order; spooled to disk when there are many.
    pub objects: objects::Objects,
    /// Identity records (from access logs); empty when none were given.
    pub identities: Vec<IdentityRecord>,
    /// Requests per source IP address (from access logs), most denials first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<crate::access::stats::SourceIpStats>,
    pub errors: Vec<ScanIssue>,
    /// With `--state`: objects seen by the last scan and gone now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// Writes one record as a JSON line.
pub fn write_jsonl_record(
    out: &mut dyn std::io::Write,
    record: &ObjectRecord,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}
