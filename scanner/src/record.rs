//! The records a scan produces: one [`ObjectRecord`] per object (SPEC
//! "Object record"), scan-level issues, and the summary.

use assay_classifiers::extension::ExtensionResult;
use assay_classifiers::object::{ContentTypeResult, RegexResult};
use assay_classifiers::pii::PiiImpact;
use assay_classifiers::risk::RiskFactor;
use assay_classifiers::theme::ThemeResult;
use serde::{Deserialize, Serialize};

/// Defines a vocabulary: a unit enum written as its snake_case name, with
/// `as_str` and `Display` giving the same name. Variants are listed in the
/// order of their names, so that sorting by the enum sorts as the names do
/// (reports order issues and change counts by name).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$doc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The name records and reports carry.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }

            /// The value of a name, if it is one.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Why an object could not be (fully) classified.
    ErrorKind {
        /// The store refused it (S3 403).
        AccessDenied = "access_denied",
        /// An archive bomb limit (size, ratio, members, depth) was reached.
        ArchiveLimit = "archive_limit",
        /// It changed while it was read (S3 412 on a pinned ETag).
        Changed = "changed",
        /// A document or archive member that does not decode.
        Corrupt = "corrupt",
        /// An archive whose structure does not parse.
        CorruptArchive = "corrupt_archive",
        /// It was deleted between listing and reading (S3 404).
        Deleted = "deleted",
        /// A document extraction limit (size, text, time) was reached.
        DocumentLimit = "document_limit",
        /// Encrypted: the content cannot be classified.
        Encrypted = "encrypted",
        /// A FIFO, socket or device.
        NotRegular = "not_regular",
        /// Failed part-way: findings so far are kept.
        Read = "read",
        /// In a storage class that must be restored before it can be read.
        Unclassifiable = "unclassifiable",
        /// Could not be opened.
        Unreadable = "unreadable",
        /// An archive member in a format or method assay does not decode.
        Unsupported = "unsupported",
    }
}

vocabulary! {
    /// What kind of problem a scan-level issue is.
    IssueKind {
        /// An access-log or CloudTrail input had a problem.
        AccessLog = "access_log",
        /// A file left out on purpose (a link not followed, a special file,
        /// out of scope).
        Skipped = "skipped",
        /// The incremental-scan state could not be used for an object.
        State = "state",
        /// A symbolic link that leads back to its own ancestor.
        SymlinkLoop = "symlink_loop",
        /// A directory or prefix that could not be listed.
        Unlistable = "unlistable",
    }
}

vocabulary! {
    /// What `--state` says of an object since the last scan.
    Change {
        /// Read again: its bytes changed.
        Changed = "changed",
        /// Not seen before.
        New = "new",
        /// Gone since the last scan (counted in the summary only).
        Removed = "removed",
        /// The same object: its stored records were reused, or it was read
        /// again only because the rules changed.
        Unchanged = "unchanged",
    }
}

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
    /// With `--state`: new, changed or unchanged since the last scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// The bucket and key logs name this object by.
    #[serde(skip)]
    pub bucket_key: Option<(String, String)>,
}

/// Why an object could not be (fully) classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectError {
    pub kind: ErrorKind,
    pub message: String,
}

impl From<&assay_extract::archive::ArchiveError> for ErrorKind {
    fn from(error: &assay_extract::archive::ArchiveError) -> Self {
        use assay_extract::archive::ArchiveError;
        match error {
            ArchiveError::Corrupt { .. } => Self::CorruptArchive,
            ArchiveError::Limit(_) => Self::ArchiveLimit,
            ArchiveError::Spool(_) => Self::Unreadable,
        }
    }
}

impl From<&assay_extract::document::DocumentError> for ErrorKind {
    fn from(error: &assay_extract::document::DocumentError) -> Self {
        use assay_extract::document::DocumentError;
        match error {
            DocumentError::Corrupt { .. } => Self::Corrupt,
            DocumentError::Encrypted { .. } => Self::Encrypted,
            DocumentError::Unsupported { .. } => Self::Unsupported,
            DocumentError::TooLarge { .. }
            | DocumentError::TextLimit { .. }
            | DocumentError::Timeout { .. } => Self::DocumentLimit,
            DocumentError::Io(_) => Self::Read,
        }
    }
}

impl ObjectError {
    /// A read that failed after `read` bytes: what was found in them is kept.
    pub fn read_failed(read: u64, error: &std::io::Error) -> Self {
        Self {
            kind: ErrorKind::Read,
            message: format!(
                "read failed after {read} bytes: {error}; findings cover those bytes only"
            ),
        }
    }
}

/// A problem with the scan itself rather than one object: a directory that
/// cannot be listed, a symlink loop, a special file skipped. Reports list
/// them in this type's order (location, kind, message), whatever the order
/// workers or shards met them in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanIssue {
    pub location: String,
    pub kind: IssueKind,
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
    pub changes: std::collections::BTreeMap<Change, u64>,
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
            *self.changes.entry(*change).or_default() += 1;
        }
        for regex in &record.regexes {
            *self
                .findings_by_category
                .entry(regex.category.to_string())
                .or_default() += regex.count;
        }
    }
}

/// A finding's stable identity across scans: rule, object and redacted
/// match (not the line, so an edit above it does not make it new). The
/// same fingerprint `--baseline` would match on.
pub fn fingerprint(rule: &str, uri: &str, redacted: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{rule}\u{0}{uri}\u{0}{redacted}"));
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports sort issues and change counts by these enums; the JSON they
    /// replaced sorted by name, so the two orders must agree, and each
    /// value must be written as the name it reads back from.
    fn holds_names<T>(all: &[T], name: impl Fn(&T) -> &'static str)
    where
        T: Ord + Copy + Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let mut by_value = all.to_vec();
        by_value.sort();
        let mut by_name = all.to_vec();
        by_name.sort_by_key(|v| name(v));
        assert_eq!(by_value, by_name, "variants out of name order");
        for value in all {
            let json = serde_json::to_string(value).expect("a unit variant serialises");
            assert_eq!(json, format!("\"{}\"", name(value)));
            let back: T = serde_json::from_str(&json).expect("and reads back");
            assert_eq!(back, *value);
        }
    }

    #[test]
    fn vocabularies_sort_and_serialise_as_their_names() {
        holds_names(ErrorKind::ALL, |v| v.as_str());
        holds_names(IssueKind::ALL, |v| v.as_str());
        holds_names(Change::ALL, |v| v.as_str());
        assert_eq!(Change::from_name("unchanged"), Some(Change::Unchanged));
        assert_eq!(Change::from_name("Unchanged"), None);
    }
}
