//! `assay.toml` (`--config`, or found in the working directory): custom
//! data identifiers with Macie's semantics, allow lists, overrides of any
//! catalog item (and of a detector's confidence), the low-confidence risk
//! step, scan scope and output defaults. Every problem is reported
//! with the file, the line and what is wrong.
//!
//! ```toml
//! [scan]
//! exclude = ["vendor/**"]
//! fail_at = 8
//!
//! [[custom_identifier]]
//! id = "employee_id"
//! regex = 'NW-[0-9]{6}'
//! keywords = ["employee"]
//! maximum_match_distance = 50
//! risk = 6
//!
//! [allow_list]
//! text = ["AKIAIOSFODNN7EXAMPLE"]
//!
//! [[override]]
//! classifier = "regexes"
//! id = "email_address"
//! enabled = false
//! ```

use std::path::{Path, PathBuf};

use assay_classifiers::Catalog;
use assay_classifiers::catalog::{DetectorCategory, DetectorItem, Origin};
use assay_classifiers::detect::Confidence;
use serde::Deserialize;
use toml::Spanned;

/// A problem with the configuration file: where, and what.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub scan: ScanDefaults,
    #[serde(default)]
    custom_identifier: Vec<CustomIdentifier>,
    #[serde(default)]
    allow_list: AllowListConfig,
    #[serde(default, rename = "override")]
    overrides: Vec<Override>,
    #[serde(default)]
    risk: RiskRules,
    #[serde(default)]
    pub verify: VerifyDefaults,
    /// The file's text, for line numbers and the version hash.
    #[serde(skip)]
    text: String,
    #[serde(skip)]
    path: PathBuf,
}

/// Defaults for `assay scan`; a flag on the command line wins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanDefaults {
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub max_object_size: Option<u64>,
    pub sample: Option<f64>,
    pub format: Option<String>,
    pub fail_at: Option<u8>,
    pub jobs: Option<u16>,
}

/// `[verify]`: opt-in verification of found credentials (docs/verify.md);
/// `--verify` and `--verify-only-live` on the command line win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyDefaults {
    /// Verify on every scan (default false).
    #[serde(default)]
    pub enabled: bool,
    /// Report only objects with a live credential.
    #[serde(default)]
    pub only_live: bool,
    /// Calls in flight at once (default 8).
    pub concurrency: Option<u16>,
    /// Calls started per second and provider (default 5).
    pub rate_per_second: Option<f64>,
    /// Seconds one call may take (default 10).
    pub timeout_seconds: Option<f64>,
    /// Further attempts after a timeout, 429 or 5xx (default 2).
    pub retries: Option<u32>,
    /// Distinct secrets checked per finding (default 3).
    pub secrets_per_finding: Option<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomIdentifier {
    id: Spanned<String>,
    name: Option<String>,
    regex: Spanned<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    ignore_words: Vec<String>,
    /// Characters between a keyword and the match (Macie's default: 50).
    #[serde(default = "default_distance")]
    maximum_match_distance: usize,
    #[serde(default = "one")]
    minimum_count: u32,
    risk: Spanned<u8>,
    #[serde(default = "default_category")]
    category: DetectorCategory,
}

fn default_distance() -> usize {
    50
}
fn one() -> u32 {
    1
}
fn default_category() -> DetectorCategory {
    DetectorCategory::Credentials
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowListConfig {
    #[serde(default)]
    text: Vec<String>,
    #[serde(default)]
    regex: Vec<Spanned<String>>,
}

/// `[risk]`: how findings weigh in scores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskRules {
    /// Points a low-confidence finding counts for less (default 2).
    low_confidence_step: Option<Spanned<u8>>,
}

/// Which catalog an `[[override]]` names, by the name records give its
/// classifier (`regexes:aws_secret_key` in a risk factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Classifier {
    ContentTypes,
    Extensions,
    Themes,
    Regexes,
}

impl Classifier {
    fn as_str(self) -> &'static str {
        match self {
            Self::ContentTypes => "content_types",
            Self::Extensions => "extensions",
            Self::Themes => "themes",
            Self::Regexes => "regexes",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    classifier: Spanned<Classifier>,
    id: Spanned<String>,
    enabled: Option<bool>,
    risk: Option<Spanned<u8>>,
    min_count: Option<u32>,
    /// Regex detectors only: the confidence of its findings.
    confidence: Option<Confidence>,
}

impl Override {
    /// Sets one catalog item's fields; false when the override gives a
    /// minimum count the item does not have.
    fn set(&self, enabled: &mut bool, risk: &mut u8, min_count: Option<&mut u32>) -> bool {
        *enabled = self.enabled.unwrap_or(*enabled);
        if let Some(value) = &self.risk {
            *risk = *value.get_ref();
        }
        match (min_count, self.min_count) {
            (Some(count), Some(value)) => {
                *count = value;
                true
            }
            (None, Some(_)) => false,
            _ => true,
        }
    }
}

impl Config {
    /// `--config PATH`, else `assay.toml` in the working directory if there
    /// is one, else nothing.
    pub fn find(explicit: Option<&Path>) -> Result<Option<Self>, ConfigError> {
        match explicit {
            Some(path) => Self::load(path).map(Some),
            None => {
                let here = Path::new("assay.toml");
                if here.is_file() {
                    Self::load(here).map(Some)
                } else {
                    Ok(None)
                }
            }
        }
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
        config.text = text.to_string();
        config.path = path.to_path_buf();
        Ok(config)
    }

    fn invalid(&self, at: usize, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            line: line_of(&self.text, at),
            message,
        }
    }

    /// A version suffix that changes with the file, for reports and state.
    pub fn version(&self) -> String {
        let hash = assay_classifiers::hash::fingerprint(&[&self.text]);
        format!("config-{:08x}", hash as u32)
    }

    /// Applies identifiers, allow lists and overrides to a catalog.
    pub fn apply(&self, catalog: &mut Catalog) -> Result<(), ConfigError> {
        for custom in &self.custom_identifier {
            let id = custom.id.get_ref();
            if catalog.detectors.iter().any(|d| &d.id == id) {
                return Err(self.invalid(
                    custom.id.span().start,
                    format!("custom identifier `{id}` has the id of an existing detector"),
                ));
            }
            if let Err(e) = regex::Regex::new(custom.regex.get_ref()) {
                return Err(self.invalid(
                    custom.regex.span().start,
                    format!("regex of `{id}` does not compile: {e}"),
                ));
            }
            let risk = *custom.risk.get_ref();
            if !(1..=10).contains(&risk) {
                return Err(self.invalid(
                    custom.risk.span().start,
                    format!("risk of `{id}` is {risk}; risks run from 1 to 10"),
                ));
            }
            catalog.detectors.push(DetectorItem {
                id: id.clone(),
                name: custom.name.clone().unwrap_or_else(|| id.clone()),
                description: format!("custom data identifier from {}", self.path.display()),
                category: custom.category,
                risk,
                min_count: custom.minimum_count.max(1),
                source: Origin::Custom,
                pattern: custom.regex.get_ref().clone(),
                anchors: Vec::new(),
                window: 0,
                anchor_case: false,
                digit_run: None,
                run_needs: None,
                keywords: custom.keywords.clone(),
                proximity: custom.maximum_match_distance,
                validator: None,
                ignore: custom.ignore_words.clone(),
                generic: false,
                confidence: None,
                min_valid_share: None,
                pii: None,
                examples: Vec::new(),
                counterexamples: Vec::new(),
                note: None,
                enabled: true,
                verify: None,
            });
        }
        for pattern in &self.allow_list.regex {
            if let Err(e) = regex::bytes::Regex::new(pattern.get_ref()) {
                return Err(self.invalid(
                    pattern.span().start,
                    format!("allow-list regex does not compile: {e}"),
                ));
            }
        }
        catalog.allow.texts = self.allow_list.text.clone();
        catalog.allow.patterns = self
            .allow_list
            .regex
            .iter()
            .map(|p| p.get_ref().clone())
            .collect();
        for item in &self.overrides {
            self.apply_override(catalog, item)?;
        }
        if let Some(step) = &self.risk.low_confidence_step {
            if *step.get_ref() > 9 {
                return Err(self.invalid(
                    step.span().start,
                    format!(
                        "low_confidence_step {} takes more than a risk can lose; use 0 to 9",
                        step.get_ref()
                    ),
                ));
            }
            catalog.low_confidence_step = *step.get_ref();
        }
        catalog
            .check()
            .map_err(|e| self.invalid(self.text.len(), e.to_string()))
    }

    fn apply_override(&self, catalog: &mut Catalog, item: &Override) -> Result<(), ConfigError> {
        let id = item.id.get_ref();
        if let Some(risk) = &item.risk {
            if !(1..=10).contains(risk.get_ref()) {
                return Err(self.invalid(
                    risk.span().start,
                    format!("risk {} for `{id}`; risks run from 1 to 10", risk.get_ref()),
                ));
            }
        }
        let classifier = *item.classifier.get_ref();
        let min_count_unsupported = || {
            self.invalid(
                item.id.span().start,
                format!("{} items have no minimum count", classifier.as_str()),
            )
        };
        if item.confidence.is_some() && classifier != Classifier::Regexes {
            return Err(self.invalid(
                item.id.span().start,
                format!(
                    "{} items have no confidence (regexes only)",
                    classifier.as_str()
                ),
            ));
        }
        let found = match classifier {
            Classifier::ContentTypes => catalog
                .content_types
                .iter_mut()
                .find(|c| &c.mime == id)
                .map(|c| item.set(&mut c.enabled, &mut c.risk, None)),
            Classifier::Extensions => catalog
                .extensions
                .iter_mut()
                .find(|e| &e.ext == id)
                .map(|e| item.set(&mut e.enabled, &mut e.risk, None)),
            Classifier::Themes => catalog
                .themes
                .iter_mut()
                .find(|t| &t.id == id)
                .map(|t| item.set(&mut t.enabled, &mut t.risk, Some(&mut t.min_count))),
            Classifier::Regexes => catalog.detectors.iter_mut().find(|d| &d.id == id).map(|d| {
                d.confidence = item.confidence.or(d.confidence);
                item.set(&mut d.enabled, &mut d.risk, Some(&mut d.min_count))
            }),
        };
        match found {
            None => Err(self.invalid(
                item.id.span().start,
                format!(
                    "override of `{id}`: no such item among {} (see `assay rules list`)",
                    classifier.as_str()
                ),
            )),
            Some(false) => Err(min_count_unsupported()),
            Some(true) => Ok(()),
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str) -> Result<Catalog, ConfigError> {
        let config = Config::parse(text, Path::new("assay.toml"))?;
        let mut catalog = Catalog::builtin().unwrap();
        config.apply(&mut catalog)?;
        Ok(catalog)
    }

    #[test]
    fn errors_name_the_file_line_and_problem() {
        let error = apply("[scan]\nfail_at = 8\n\n[[override]]\nclassifier = \"regexes\"\nid = \"no_such_rule\"\nrisk = 3\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "assay.toml:6: override of `no_such_rule`: no such item among regexes (see `assay rules list`)"
        );
        let error = apply("[[custom_identifier]]\nid = \"x\"\nregex = 'a(b'\nrisk = 5\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("assay.toml:3: regex of `x` does not compile"),
            "{error}"
        );
        let error = apply("[scan]\nfail_at = \"high\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("assay.toml:2: "), "{error}");
        let error = apply("[[custom_identifier]]\nid = \"x\"\nregex = 'a'\nrisk = 11\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("assay.toml:4: risk of `x` is 11"),
            "{error}"
        );
        let error = apply("[[override]]\nclassifier = \"regex\"\nid = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("assay.toml:2: ") && error.contains("`regexes`"),
            "an unknown classifier is refused with the names it could be: {error}"
        );
        let error = apply("[scna]\n").unwrap_err().to_string();
        assert!(
            error.starts_with("assay.toml:1: unknown field `scna`"),
            "{error}"
        );
    }

    #[test]
    fn overrides_and_identifiers_change_the_catalog() {
        let catalog = apply(
            "[[override]]\nclassifier = \"regexes\"\nid = \"email_address\"\nenabled = false\n\n\
             [[override]]\nclassifier = \"content_types\"\nid = \"application/zip\"\nrisk = 9\n\n\
             [[custom_identifier]]\nid = \"employee_id\"\nregex = 'NW-[0-9]{6}'\nkeywords = [\"employee\"]\nrisk = 6\n",
        )
        .unwrap();
        assert!(
            !catalog
                .detectors
                .iter()
                .find(|d| d.id == "email_address")
                .unwrap()
                .enabled
        );
        assert_eq!(
            catalog
                .content_types
                .iter()
                .find(|c| c.mime == "application/zip")
                .unwrap()
                .risk,
            9
        );
        let custom = catalog
            .detectors
            .iter()
            .find(|d| d.id == "employee_id")
            .unwrap();
        assert_eq!((custom.risk, custom.proximity, custom.window), (6, 50, 0));
    }

    #[test]
    fn confidence_and_its_risk_step_can_be_overridden() {
        let catalog = apply(
            "[risk]\nlow_confidence_step = 3\n\n\
             [[override]]\nclassifier = \"regexes\"\nid = \"email_address\"\nconfidence = \"low\"\n",
        )
        .unwrap();
        assert_eq!(catalog.low_confidence_step, 3);
        let email = catalog
            .detectors
            .iter()
            .find(|d| d.id == "email_address")
            .unwrap();
        assert_eq!(email.confidence, Some(Confidence::Low));
        assert_eq!(
            Catalog::builtin().unwrap().low_confidence_step,
            assay_classifiers::catalog::DEFAULT_LOW_CONFIDENCE_STEP
        );
        let error = apply("[risk]\nlow_confidence_step = 12\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("assay.toml:2: low_confidence_step 12"),
            "{error}"
        );
        let error = apply(
            "[[override]]\nclassifier = \"themes\"\nid = \"banking_keywords\"\nconfidence = \"high\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("themes items have no confidence"), "{error}");
        let error = apply(
            "[[override]]\nclassifier = \"regexes\"\nid = \"email_address\"\nconfidence = \"certain\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("assay.toml:4: unknown variant"),
            "{error}"
        );
    }
}
