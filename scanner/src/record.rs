//! The records a scan produces: one [`ObjectRecord`] per object (SPEC
//! "Object record"), scan-level issues, and the summary.

use assay_classifiers::extension::ExtensionResult;
use assay_classifiers::object::{ContentTypeResult, RegexResult};
use assay_classifiers::pii::PiiImpact;
use assay_classifiers::risk::RiskFactor;
use assay_classifiers::theme::ThemeResult;
use serde::{Deserialize, Serialize};

/// Everything assay knows about one object (or archive member).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub uri: String,
    pub size: u64,
    pub etag: Option<String>,
    /// The S3 version scanned; only with `--all-versions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<ContentTypeResult>,
    pub extension: ExtensionResult,
    pub themes: Vec<ThemeResult>,
    pub regexes: Vec<RegexResult>,
    /// PII impact (high, moderate, low or none) with the counts behind it.
    pub pii: PiiImpact,
    /// The SVM document classification; null for content with no text.
    pub svm: Option<assay_classifiers::svm::SvmResult>,
    /// Access statistics from CloudTrail and access logs; null when none
    /// were given. (Never stored: each scan adds its own.)
    #[serde(skip_deserializing)]
    pub access: Option<crate::access::stats::ObjectAccess>,
    pub risk: u8,
    pub risk_factors: Vec<RiskFactor>,
    pub errors: Vec<ObjectError>,
    /// With `--state`: `new`, `changed` or `unchanged` since the last scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
    /// The bucket and key logs name this object by.
    #[serde(skip)]
    pub bucket_key: Option<(String, String)>,
}

/// Why an object could not be (fully) classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectError {
    /// `unreadable` (could not open), `read` (failed part-way: findings so
    /// far are kept), `not_regular` (FIFO, socket, device).
    #[serde(deserialize_with = "assay_classifiers::intern::deserialize")]
    pub kind: assay_classifiers::intern::StaticName,
    pub message: String,
}

/// A problem with the scan itself rather than one object: a directory that
/// cannot be listed, a symlink loop, a special file skipped. Reports list
/// them in this type's order (location, kind, message), whatever the order
/// workers or shards met them in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanIssue {
    pub location: String,
    #[serde(deserialize_with = "assay_classifiers::intern::deserialize")]
    pub kind: assay_classifiers::intern::StaticName,
    pub message: String,
}

/// Totals over a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub objects: u64,
    pub bytes: u64,
    /// Objects with at least one regex finding.
    pub objects_with_findings: u64,
    /// Objects that could not be read in full.
    pub objects_with_errors: u64,
    /// Scan-level issues (unlistable directories, skipped special files).
    pub scan_issues: u64,
    /// Objects per risk score; index 0 is risk 1.
    pub by_risk: [u64; 10],
    pub max_risk: u8,
    /// Findings per regex category.
    pub findings_by_category: std::collections::BTreeMap<String, u64>,
    /// With `--state`: records per change since the last scan (`new`,
    /// `changed`, `unchanged`) and objects `removed`.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub changes: std::collections::BTreeMap<String, u64>,
    /// Findings accepted by `--baseline` (left out of the report).
    #[serde(skip_serializing_if = "is_zero")]
    pub baselined_findings: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One line for people: `12 objects (3456 bytes), 3 with findings, ...`.
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} objects ({} bytes), {} with findings, highest risk {}, {} unreadable, {} other problems",
            self.objects,
            self.bytes,
            self.objects_with_findings,
            self.max_risk,
            self.objects_with_errors,
            self.scan_issues
        )
    }
}

impl Summary {
    pub fn add(&mut self, record: &ObjectRecord) {
        self.objects += 1;
        self.bytes += record.size;
        self.objects_with_findings += u64::from(!record.regexes.is_empty());
        self.objects_with_errors += u64::from(!record.errors.is_empty());
        self.by_risk[usize::from(record.risk.clamp(1, 10) - 1)] += 1;
        self.max_risk = self.max_risk.max(record.risk);
        if let Some(change) = &record.change {
            *self.changes.entry(change.clone()).or_default() += 1;
        }
        for regex in &record.regexes {
            *self
                .findings_by_category
                .entry(regex.category.to_string())
                .or_default() += regex.count;
        }
    }
}
