//! What the classifiers report of one object: the [`Classification`] and
//! its parts, as records carry them.

use serde::{Deserialize, Serialize};

use crate::catalog::DetectorCategory;
use crate::decode::Encoding;
use crate::detect::Confidence;
use crate::extension::ExtensionResult;
use crate::pii::PiiImpact;
use crate::place::Place;
use crate::sniffed::TextEncoding;
use crate::svm::SvmResult;
use crate::theme::ThemeResult;

/// The content-type classification of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentTypeResult {
    pub mime: String,
    pub risk: u8,
}

/// Where a match's secret starts: 1-based line and column (in bytes), 0-based byte offset,
/// and in a structured document its cell, page, record or part ([`Place`]).
/// In a document whose text is extracted (Office, PDF, Parquet, ...) line,
/// column and offset count in the extracted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: u64,
    pub column: u64,
    pub offset: u64,
    /// Set when the match was inside encoded content: line, column and
    /// offset are then those of the start of the encoded run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    #[serde(flatten)]
    pub place: Place,
}

/// A regex detector assigned to an object (its count reached `min_count`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegexResult {
    pub id: String,
    pub category: DetectorCategory,
    pub risk: u8,
    /// How sure the finding is ([`crate::detect::confidence::derive`]).
    #[serde(default)]
    pub confidence: Confidence,
    pub count: u64,
    pub locations: Vec<Location>,
    /// The first match, redacted: at most four leading characters and the length.
    pub redacted: String,
    /// With `--verify`: the verdict of the credential's provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<crate::verdict::Verification>,
    /// With [`crate::Classifiers::with_kept_secrets`]: the first distinct
    /// raw secrets, for verification only (never serialized; their `Debug`
    /// is redacted).
    #[serde(skip)]
    pub secrets: Vec<crate::verdict::Secret>,
    /// With kept secrets, for detectors whose verifier pairs the secret
    /// with other values: those found in the same object (never
    /// serialized, redacted `Debug`).
    #[serde(skip)]
    pub companions: Vec<(crate::companion::Companion, crate::verdict::Secret)>,
}

impl RegexResult {
    /// Drops the raw secrets and companion values (once verified).
    pub fn forget_secrets(&mut self) {
        self.secrets = Vec::new();
        self.companions = Vec::new();
    }
}

/// What the classifiers found in one object.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    pub content_type: Option<ContentTypeResult>,
    pub extension: ExtensionResult,
    pub themes: Vec<ThemeResult>,
    pub regexes: Vec<RegexResult>,
    /// PII impact (Macie Classic's high / moderate / low) and its counts.
    pub pii: PiiImpact,
    /// The SVM document classification; none for content with no text.
    pub svm: Option<SvmResult>,
    /// How the content was read.
    #[serde(skip)]
    pub encoding: TextEncoding,
    /// Bytes fed in.
    #[serde(skip)]
    pub bytes: u64,
    /// Whether the content was read by the text classifiers (not an image,
    /// archive or other format with no readable text).
    #[serde(skip)]
    pub content_scanned: bool,
    /// The catalog's [`crate::Catalog::low_confidence_step`], for
    /// [`crate::risk::content_risk`].
    #[serde(skip)]
    pub low_confidence_step: u8,
}
