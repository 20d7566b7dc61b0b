//! The catalog: every content type, extension, theme and regex detector with
//! its risk, minimum count and enabled flag, loaded from the TOML data files
//! in `catalog/` that are embedded at build time.
//!
//! The catalog is plain data. The classifiers compile what they need from it
//! (automata, regexes) in their own modules, so overrides from `assay.toml`
//! can be applied to a [`Catalog`] before anything is compiled.

use serde::{Deserialize, Serialize};

use crate::error::CatalogError;

const CONTENT_TYPES: &str = include_str!("../catalog/content_types.toml");
const EXTENSIONS: &str = include_str!("../catalog/extensions.toml");
const THEMES: &str = include_str!("../catalog/themes.toml");
/// Detector files: the first holds the detectors assay started with (its
/// header documents every field); the others hold one family of providers
/// each, so the catalog grows without one file for everything.
const DETECTORS: &[(&str, &str)] = &[
    ("detectors.toml", include_str!("../catalog/detectors.toml")),
    (
        "detectors/cloud_devops.toml",
        include_str!("../catalog/detectors/cloud_devops.toml"),
    ),
    (
        "detectors/saas_ai_payments.toml",
        include_str!("../catalog/detectors/saas_ai_payments.toml"),
    ),
    (
        "detectors/config_connections.toml",
        include_str!("../catalog/detectors/config_connections.toml"),
    ),
];
const LANGUAGES: &str = include_str!("../catalog/languages.toml");

/// Where a catalog item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// One of Amazon Macie Classic's published items, with Macie's name,
    /// risk and minimum count unless `note` says why not.
    Macie,
    /// An item assay adds.
    Assay,
    /// An item the user defined (custom data identifier).
    Custom,
}

/// A content type: an IANA media type the sniffer can name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentTypeItem {
    pub mime: String,
    pub risk: u8,
    /// Family used for the extension mismatch check and for how the
    /// content is read.
    pub class: ContentClass,
    pub source: Origin,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

/// A file extension (lower case, no dot; compound ones such as `tar.gz`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionItem {
    pub ext: String,
    pub risk: u8,
    pub class: ContentClass,
    /// What the content may be: a content-type class, an exact media type,
    /// or `textual`. Empty: anything goes.
    #[serde(default)]
    pub expects: Vec<String>,
    pub source: Origin,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

/// A theme: a family of keywords that says what a document is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeItem {
    pub id: String,
    pub name: String,
    pub risk: u8,
    pub min_count: u32,
    pub source: Origin,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

/// The family of a content type (and of the content an extension names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentClass {
    Archive,
    Audio,
    Binary,
    Config,
    Data,
    Database,
    Design,
    Document,
    Email,
    Executable,
    Font,
    Image,
    Log,
    Pki,
    Presentation,
    Source,
    Spreadsheet,
    Text,
    Video,
    Web,
}

impl ContentClass {
    /// The name the catalogs use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Archive => "archive",
            Self::Audio => "audio",
            Self::Binary => "binary",
            Self::Config => "config",
            Self::Data => "data",
            Self::Database => "database",
            Self::Design => "design",
            Self::Document => "document",
            Self::Email => "email",
            Self::Executable => "executable",
            Self::Font => "font",
            Self::Image => "image",
            Self::Log => "log",
            Self::Pki => "pki",
            Self::Presentation => "presentation",
            Self::Source => "source",
            Self::Spreadsheet => "spreadsheet",
            Self::Text => "text",
            Self::Video => "video",
            Self::Web => "web",
        }
    }

    /// Whether the classifiers read the content itself: compressed, media
    /// and font formats have no text to read (archives are opened by the
    /// scanner, which classifies each member).
    pub fn has_text(self) -> bool {
        !matches!(
            self,
            Self::Archive | Self::Image | Self::Audio | Self::Video | Self::Font
        )
    }

    /// Whether people's names in it count as personal data: they do in
    /// documents, records, mail and logs; in source code they are authors
    /// in licence headers, and keys and programs name no one.
    pub fn names_people(self) -> bool {
        !matches!(
            self,
            Self::Source | Self::Pki | Self::Executable | Self::Binary
        )
    }
}

/// The PII a detector's matches are counted as, beyond its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// E-mail addresses (counted apart: many are only contact details).
    Email,
    /// Payment cards (counted as PII and as cards, which raise the impact
    /// on their own).
    Card,
}

/// The category a regex detector reports under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorCategory {
    Credentials,
    EncryptionKeys,
    Financial,
    Personal,
    Health,
    Infrastructure,
}

impl DetectorCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credentials => "credentials",
            Self::EncryptionKeys => "encryption_keys",
            Self::Financial => "financial",
            Self::Personal => "personal",
            Self::Health => "health",
            Self::Infrastructure => "infrastructure",
        }
    }
}

impl std::fmt::Display for DetectorCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a finding is, lowest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A broad detector (`generic = true`): a password or secret assignment,
    /// a bearer header, a PEM block of any kind. Often right, often not.
    Low,
    /// A specific detector with nothing proved: a vendor's value next to
    /// its name, a short or case-insensitive prefix, a heuristic check.
    /// (Records written before confidence existed read as medium.)
    #[default]
    Medium,
    /// A specific detector whose validator proved something (check digits,
    /// a parsed structure) or whose matches carry a distinctive fixed text
    /// of at least [`crate::detect::confidence::DISTINCTIVE_PREFIX`] characters in exact case.
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A regex detector (see the header of `catalog/detectors.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorItem {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: DetectorCategory,
    pub risk: u8,
    pub min_count: u32,
    pub source: Origin,
    pub pattern: String,
    #[serde(default)]
    pub anchors: Vec<String>,
    /// Bytes around an anchor hit in which the pattern may match; 0 means
    /// the detector runs over the whole text.
    #[serde(default = "default_window")]
    pub window: usize,
    /// Whether the anchors must match in their exact case (vendor token
    /// prefixes such as `SG.` or `AKIA`); keywords match in any case.
    #[serde(default)]
    pub anchor_case: bool,
    /// For detectors of bare numbers: run only around runs of at least
    /// this many digits (with single spaces or dashes between them).
    #[serde(default)]
    pub digit_run: Option<usize>,
    /// A byte a digit run must contain for this detector (`.` for IPv4).
    #[serde(default)]
    pub run_needs: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "default_proximity")]
    pub proximity: usize,
    #[serde(default)]
    pub validator: Option<String>,
    /// A match containing any of these (case-sensitive) is dropped, as
    /// Macie's ignore words: documented example values, reserved domains.
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub generic: bool,
    /// Replaces the derived confidence of this detector's findings where
    /// the rule ([`crate::detect::confidence::derive`]) is wrong.
    #[serde(default)]
    pub confidence: Option<Confidence>,
    /// For validated numbers: once an object holds at least
    /// [`MIN_SHARE_CANDIDATES`] pattern matches, at least this share of
    /// them must pass the validators, or they are taken for random numeric
    /// data and dropped. Real lists of card numbers are all valid; random
    /// 16-digit numbers pass a Luhn check one time in ten.
    #[serde(default)]
    pub min_valid_share: Option<f64>,
    /// What the detector's matches count as in the PII impact
    /// ([`crate::pii::PiiImpact`]); other personal, financial and health
    /// detectors count as other PII.
    #[serde(default)]
    pub pii: Option<PiiKind>,
    /// Realistic text the detector must flag (at least two; the catalog
    /// test runs them).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Near misses it must not flag (at least two).
    #[serde(default)]
    pub counterexamples: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// How `--verify` checks this detector's findings with their provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<crate::verify::VerifySpec>,
}

/// Pattern matches an object needs before [`DetectorItem::min_valid_share`]
/// applies (a handful of numbers says nothing about the rest).
pub const MIN_SHARE_CANDIDATES: u64 = 20;

/// A cue-based language sniffer entry (see `catalog/languages.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageItem {
    pub mime: String,
    #[serde(default)]
    pub interpreters: Vec<String>,
    /// File extensions (lower case, no dot) that name the language.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Whole file names that name the language (`Makefile`).
    #[serde(default)]
    pub filenames: Vec<String>,
    /// Literals one of which the text must hold before this language's cues
    /// are tried to settle an ambiguous extension (empty: always tried).
    #[serde(default)]
    pub hints: Vec<String>,
    pub min_score: u32,
    #[serde(default)]
    pub cues: Vec<LanguageCue>,
}

/// One syntax cue of a language and how much it counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageCue {
    pub re: String,
    pub weight: u32,
}

fn enabled() -> bool {
    true
}
fn default_window() -> usize {
    256
}
fn default_proximity() -> usize {
    30
}

#[derive(Deserialize)]
struct ContentTypeFile {
    content_type: Vec<ContentTypeItem>,
}
#[derive(Deserialize)]
struct ExtensionFile {
    extension: Vec<ExtensionItem>,
}
#[derive(Deserialize)]
struct ThemeFile {
    theme: Vec<ThemeItem>,
}
#[derive(Deserialize)]
struct DetectorFile {
    #[serde(default)]
    detector: Vec<DetectorItem>,
}
#[derive(Deserialize)]
struct LanguageFile {
    language: Vec<LanguageItem>,
}

/// Every catalog item of the classifiers.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub content_types: Vec<ContentTypeItem>,
    pub extensions: Vec<ExtensionItem>,
    pub themes: Vec<ThemeItem>,
    pub detectors: Vec<DetectorItem>,
    pub languages: Vec<LanguageItem>,
    /// Matches never reported, whatever the detector (`assay.toml`).
    pub allow: AllowList,
    /// Risk points a low-confidence finding counts for less in content
    /// risk, down to 1 ([`crate::risk::finding_risk`]; `assay.toml`
    /// `[risk] low_confidence_step`).
    pub low_confidence_step: u8,
}

/// The default of [`Catalog::low_confidence_step`]: a generic password
/// assignment (6) counts as 4, below a vendor token of 7 or more.
pub const DEFAULT_LOW_CONFIDENCE_STEP: u8 = 2;

/// Text that is never a finding (Macie's allow lists): exact matched
/// values, and patterns a whole matched value matches.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    pub texts: Vec<String>,
    pub patterns: Vec<String>,
}

/// One row of `assay rules list`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub classifier: RuleKind,
    pub id: String,
    pub name: String,
    pub risk: u8,
    pub min_count: u32,
    pub enabled: bool,
    pub source: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A detector's findings' confidence ([`crate::Classifiers::rules`]
    /// fills it in; the catalog alone states only overrides).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// What a catalog item of `assay rules list` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    ContentType,
    Extension,
    Theme,
    Regex,
    /// A risky API call in the access logs (the scanner's catalog).
    ApiEvent,
    /// An error code in the access logs (the scanner's catalog).
    ErrorCode,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ContentType => "content_type",
            Self::Extension => "extension",
            Self::Theme => "theme",
            Self::Regex => "regex",
            Self::ApiEvent => "api_event",
            Self::ErrorCode => "error_code",
        }
    }
}

impl std::fmt::Display for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RuleInfo {
    /// A rule with a minimum count of one, from the assay catalog, enabled
    /// as given, without category, note or confidence (set those after).
    pub fn new(classifier: RuleKind, id: &str, name: String, risk: u8) -> Self {
        Self {
            classifier,
            id: id.to_string(),
            name,
            risk,
            min_count: 1,
            enabled: true,
            source: Origin::Assay,
            category: None,
            note: None,
            confidence: None,
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|source| CatalogError::Parse { file, source })
}

impl Catalog {
    /// The catalog shipped with assay.
    ///
    /// ```
    /// let catalog = assay_classifiers::Catalog::builtin().unwrap();
    /// assert!(catalog.content_types.len() >= 204);
    /// assert!(catalog.detectors.iter().any(|d| d.id == "aws_secret_key" && d.risk == 10));
    /// ```
    pub fn builtin() -> Result<Self, CatalogError> {
        let catalog = Catalog {
            content_types: parse::<ContentTypeFile>("content_types.toml", CONTENT_TYPES)?
                .content_type,
            extensions: parse::<ExtensionFile>("extensions.toml", EXTENSIONS)?.extension,
            themes: parse::<ThemeFile>("themes.toml", THEMES)?.theme,
            detectors: DETECTORS
                .iter()
                .map(|(file, text)| Ok(parse::<DetectorFile>(file, text)?.detector))
                .collect::<Result<Vec<_>, CatalogError>>()?
                .concat(),
            languages: parse::<LanguageFile>("languages.toml", LANGUAGES)?.language,
            allow: AllowList::default(),
            low_confidence_step: DEFAULT_LOW_CONFIDENCE_STEP,
        };
        catalog.check()?;
        Ok(catalog)
    }

    /// A version string that changes whenever any catalog file changes:
    /// the crate version and a hash of the embedded data.
    pub fn version() -> String {
        let mut texts = vec![CONTENT_TYPES, EXTENSIONS, THEMES];
        texts.extend(DETECTORS.iter().map(|(_, text)| *text));
        texts.push(LANGUAGES);
        let hash = crate::hash::fingerprint(&texts);
        format!("{}+{:08x}", env!("CARGO_PKG_VERSION"), hash as u32)
    }

    /// Checks the rules every item must follow: unique ids, risks 1 to 10,
    /// minimum counts of at least 1.
    pub fn check(&self) -> Result<(), CatalogError> {
        let mut seen = std::collections::HashSet::new();
        for rule in self.rules() {
            let invalid = |problem: String| CatalogError::Invalid {
                classifier: rule.classifier.as_str(),
                id: rule.id.clone(),
                problem,
            };
            if !(1..=10).contains(&rule.risk) {
                return Err(invalid(format!(
                    "risk {} is not between 1 and 10",
                    rule.risk
                )));
            }
            if rule.min_count == 0 {
                return Err(invalid("min_count must be at least 1".into()));
            }
            if !seen.insert((rule.classifier, rule.id.clone())) {
                return Err(invalid("duplicate id".into()));
            }
        }
        for d in &self.detectors {
            let problem = if !d.anchors.is_empty() && d.window == 0 {
                Some("a detector with anchors needs a window")
            } else if !d.anchors.is_empty() && d.digit_run.is_some() {
                Some("anchors and digit_run exclude each other")
            } else if d.digit_run == Some(0) {
                Some("digit_run must be at least 1")
            } else {
                None
            };
            let problem = problem
                .map(str::to_string)
                .or_else(|| d.verify.as_ref().and_then(|v| v.problem()));
            if let Some(problem) = problem {
                return Err(CatalogError::Invalid {
                    classifier: "regex",
                    id: d.id.clone(),
                    problem,
                });
            }
        }
        Ok(())
    }

    /// Every item, as `assay rules list` shows it.
    pub fn rules(&self) -> Vec<RuleInfo> {
        let mut rules = Vec::new();
        rules.extend(self.content_types.iter().map(|c| RuleInfo {
            enabled: c.enabled,
            source: c.source,
            note: c.note.clone(),
            ..RuleInfo::new(RuleKind::ContentType, &c.mime, c.mime.clone(), c.risk)
        }));
        rules.extend(self.extensions.iter().map(|e| RuleInfo {
            enabled: e.enabled,
            source: e.source,
            note: e.note.clone(),
            ..RuleInfo::new(RuleKind::Extension, &e.ext, format!(".{}", e.ext), e.risk)
        }));
        rules.extend(self.themes.iter().map(|t| RuleInfo {
            min_count: t.min_count,
            enabled: t.enabled,
            source: t.source,
            note: t.note.clone(),
            ..RuleInfo::new(RuleKind::Theme, &t.id, t.name.clone(), t.risk)
        }));
        rules.extend(self.detectors.iter().map(|d| RuleInfo {
            min_count: d.min_count,
            enabled: d.enabled,
            source: d.source,
            category: Some(d.category.as_str()),
            note: d.note.clone(),
            confidence: d.confidence,
            ..RuleInfo::new(RuleKind::Regex, &d.id, d.name.clone(), d.risk)
        }));
        rules
    }

    /// The content-type item for a media type, if the catalog has it.
    /// (A linear search: hot paths use [`crate::Classifiers`]' index.)
    pub fn content_type(&self, mime: &str) -> Option<&ContentTypeItem> {
        self.content_types.iter().find(|c| c.mime == mime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads_and_is_consistent() {
        let catalog = Catalog::builtin().expect("builtin catalog");
        assert!(catalog.content_types.len() >= 204);
        assert!(catalog.extensions.len() >= 83);
        assert!(catalog.themes.len() >= 43);
        assert!(catalog.detectors.len() >= 20);
    }

    #[test]
    fn check_rejects_out_of_range_risk_and_duplicates() {
        let mut catalog = Catalog::builtin().unwrap();
        catalog.themes[0].risk = 11;
        assert!(matches!(catalog.check(), Err(CatalogError::Invalid { .. })));
        let mut catalog = Catalog::builtin().unwrap();
        let copy = catalog.detectors[0].clone();
        catalog.detectors.push(copy);
        let err = catalog.check().unwrap_err().to_string();
        assert!(err.contains("duplicate id"), "{err}");
    }

    #[test]
    fn version_is_stable_and_tagged() {
        assert_eq!(Catalog::version(), Catalog::version());
        assert!(Catalog::version().starts_with(env!("CARGO_PKG_VERSION")));
    }
}
