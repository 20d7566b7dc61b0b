//! The SVM document classifier, Macie Classic's fifth classifier: names the
//! kind of document an object is (SPEC "SVM categories") from its
//! [`features`].
//!
//! Training fits one linear `linfa-svm` model per category (one-vs-rest).
//! A linear SVM is its separating hyperplane, so the model keeps each
//! category's weights and bias; decision values go through a softmax whose
//! temperature is fitted on held-out training documents (the calibration).
//! Below the model's confidence threshold the verdict is *uncertain*: the
//! best guess is kept, marked, and rated no higher than `other`, so `other`
//! itself means "none of the above" rather than "not sure". Same corpus,
//! same options: same model bytes.
//!
//! ```
//! use assay_classifiers::svm::DocumentClassifier;
//! use assay_classifiers::content_type::TextEncoding;
//! let documents = DocumentClassifier::builtin().unwrap();
//! let text = b"import os\n\ndef main():\n    for name in os.listdir('.'):\n        print(name)\n\nif __name__ == '__main__':\n    main()\n";
//! let found = documents.classify(text, "tool.py", text.len() as u64, TextEncoding::Utf8, Some("text/x-python"));
//! assert_eq!((found.category.as_str(), found.subtype.as_deref()), ("source_code", Some("python")));
//! ```

pub mod features;

use std::collections::BTreeMap;

use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::content_type::TextEncoding;

/// A document category (SPEC "SVM categories"); `Other` is the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Ebook,
    Email,
    EncryptionKeys,
    Financial,
    Json,
    ApplicationLogs,
    Database,
    SourceCode,
    WebLanguages,
    Configuration,
    PersonalRecords,
    Other,
}

impl Category {
    /// Every category, in SPEC order: the order of a model's hyperplanes.
    pub const ALL: [Category; 12] = [
        Self::Ebook,
        Self::Email,
        Self::EncryptionKeys,
        Self::Financial,
        Self::Json,
        Self::ApplicationLogs,
        Self::Database,
        Self::SourceCode,
        Self::WebLanguages,
        Self::Configuration,
        Self::PersonalRecords,
        Self::Other,
    ];

    /// The name records, models and the corpus use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ebook => "ebook",
            Self::Email => "email",
            Self::EncryptionKeys => "encryption_keys",
            Self::Financial => "financial",
            Self::Json => "json",
            Self::ApplicationLogs => "application_logs",
            Self::Database => "database",
            Self::SourceCode => "source_code",
            Self::WebLanguages => "web_languages",
            Self::Configuration => "configuration",
            Self::PersonalRecords => "personal_records",
            Self::Other => "other",
        }
    }

    /// Its position in [`Category::ALL`] (a model's row).
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&c| c == self).unwrap_or(OTHER)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The categories' names, in SPEC order (a model file lists them so).
pub const CATEGORIES: [&str; 12] = {
    let mut names = [""; 12];
    let mut i = 0;
    while i < names.len() {
        names[i] = Category::ALL[i].as_str();
        i += 1;
    }
    names
};

const OTHER: usize = 11;
/// Label smoothing of the confidence calibration.
const SMOOTHING: f64 = 0.1;
/// Version of the feature code; a model built for another is refused.
pub const FEATURES_VERSION: u32 = 3;
const CATALOG: &str = include_str!("../../catalog/svm_categories.toml");
const BUILTIN_MODEL: &str = include_str!("../../models/svm.json");

pub use crate::error::SvmError;

/// What the classifier says of one document (SPEC record field `svm`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvmResult {
    pub category: Category,
    pub subtype: Option<String>,
    /// Calibrated probability of `category`, 0 to 1.
    pub confidence: f64,
    pub risk: u8,
    /// The confidence is under the model's threshold: `category` is only
    /// the best guess, reports say "uncertain", and the verdict carries
    /// `other`'s risk.
    #[serde(default)]
    pub uncertain: bool,
}

/// A trained model: per category, the hyperplane of its linear SVM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentModel {
    pub features_version: u32,
    pub dim: usize,
    pub categories: Vec<String>,
    /// Below this calibrated probability a verdict is uncertain (chosen
    /// on the tuning part of the real-file set; see the model card).
    pub threshold: f64,
    /// Softmax temperature over decision values (fitted at training).
    pub temperature: f64,
    /// The SVM's C (misclassification cost) it was trained with.
    pub c: f64,
    pub weights: Vec<Vec<f64>>,
    pub bias: Vec<f64>,
}

/// Training options.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub c: f64,
    pub threshold: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            c: 0.5,
            threshold: 0.4,
        }
    }
}

impl DocumentModel {
    /// Trains on feature vectors labelled with indices into [`CATEGORIES`]:
    /// every fifth sample is held out to calibrate the confidence, the
    /// rest train the SVMs.
    pub fn train(samples: &[(Vec<f64>, usize)], options: TrainOptions) -> Result<Self, SvmError> {
        let (held_out, fitted): (Vec<_>, Vec<_>) = samples
            .iter()
            .cloned()
            .enumerate()
            .partition(|(i, _)| i % 5 == 4);
        let held_out: Vec<(Vec<f64>, usize)> = held_out.into_iter().map(|(_, s)| s).collect();
        let samples: Vec<(Vec<f64>, usize)> = fitted.into_iter().map(|(_, s)| s).collect();
        let samples = samples.as_slice();
        let dim = features::DIM;
        let records = Array2::from_shape_fn((samples.len(), dim), |(i, j)| samples[i].0[j]);
        let mut weights = Vec::new();
        let mut bias = Vec::new();
        for (k, category) in CATEGORIES.iter().enumerate() {
            let targets: Array1<bool> = samples.iter().map(|(_, label)| *label == k).collect();
            let positives = targets.iter().filter(|t| **t).count();
            if positives == 0 {
                return Err(SvmError::EmptyCategory(category));
            }
            // One category against eleven: weigh its errors by the imbalance.
            let balance = (samples.len() - positives) as f64 / positives as f64;
            let dataset = Dataset::new(records.clone(), targets);
            let svm: Svm<f64, bool> = Svm::<f64, bool>::params()
                .pos_neg_weights(options.c * balance, options.c)
                .linear_kernel()
                .fit(&dataset)
                .map_err(|e| SvmError::Training {
                    category,
                    message: e.to_string(),
                })?;
            // A linear SVM's decision value is w·x - rho: read w back one
            // basis vector at a time.
            let mut basis = Array1::<f64>::zeros(dim);
            let w: Vec<f64> = (0..dim)
                .map(|j| {
                    basis[j] = 1.0;
                    let wj = svm.weighted_sum(&basis);
                    basis[j] = 0.0;
                    wj
                })
                .collect();
            weights.push(w);
            bias.push(-svm.rho);
        }
        let mut model = Self {
            features_version: FEATURES_VERSION,
            dim,
            categories: CATEGORIES.iter().map(|c| c.to_string()).collect(),
            threshold: options.threshold,
            temperature: 1.0,
            c: options.c,
            weights,
            bias,
        };
        model.temperature = model.fit_temperature(&held_out);
        Ok(model)
    }

    /// Decision value of every category.
    pub fn decisions(&self, x: &[f64]) -> Vec<f64> {
        let x = ArrayView1::from(x);
        self.weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| ArrayView1::from(w.as_slice()).dot(&x) + b)
            .collect()
    }

    /// Calibrated probability of every category.
    pub fn probabilities(&self, x: &[f64]) -> Vec<f64> {
        softmax(&self.decisions(x), self.temperature)
    }

    /// The most probable category's index and its probability.
    pub fn predict(&self, x: &[f64]) -> (usize, f64) {
        let p = self.probabilities(x);
        let (best, &confidence) = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((OTHER, &0.0));
        (best, confidence)
    }

    /// Whether a verdict of this confidence is uncertain.
    pub fn uncertain(&self, confidence: f64) -> bool {
        confidence < self.threshold
    }

    /// The softmax temperature that best explains held-out labels (lowest
    /// log-loss, by golden-section search over log T). The targets are
    /// smoothed (0.9 to the true category) so a corpus the SVMs separate
    /// perfectly does not drive the temperature to zero and every
    /// confidence to 1: real documents are less tidy than generated ones.
    fn fit_temperature(&self, samples: &[(Vec<f64>, usize)]) -> f64 {
        let decisions: Vec<(Vec<f64>, usize)> = samples
            .iter()
            .map(|(x, label)| (self.decisions(x), *label))
            .collect();
        let loss = |log_t: f64| -> f64 {
            let t = log_t.exp();
            decisions
                .iter()
                .map(|(d, label)| {
                    let p = softmax(d, t);
                    let rest = SMOOTHING / (p.len() - 1) as f64;
                    p.iter()
                        .enumerate()
                        .map(|(k, pk)| {
                            let target = if k == *label { 1.0 - SMOOTHING } else { rest };
                            -target * pk.max(1e-12).ln()
                        })
                        .sum::<f64>()
                })
                .sum()
        };
        let (mut lo, mut hi) = (-5.0f64, 3.0f64);
        let ratio = (5f64.sqrt() - 1.0) / 2.0;
        for _ in 0..60 {
            let a = hi - ratio * (hi - lo);
            let b = lo + ratio * (hi - lo);
            if loss(a) < loss(b) {
                hi = b;
            } else {
                lo = a;
            }
        }
        ((lo + hi) / 2.0).exp()
    }

    /// The model as JSON (a model holds only numbers and names, which
    /// always serialise).
    pub fn to_json(&self) -> Result<String, SvmError> {
        serde_json::to_string(self).map_err(|e| SvmError::Model(e.to_string()))
    }

    pub fn from_json(text: &str) -> Result<Self, SvmError> {
        let model: Self = serde_json::from_str(text).map_err(|e| SvmError::Model(e.to_string()))?;
        if model.features_version != FEATURES_VERSION || model.dim != features::DIM {
            return Err(SvmError::Features {
                reads: FEATURES_VERSION,
                found: model.features_version,
                dim: model.dim,
                expected: features::DIM,
            });
        }
        if model.categories != CATEGORIES
            || model.weights.len() != CATEGORIES.len()
            || model.bias.len() != CATEGORIES.len()
            || model.weights.iter().any(|w| w.len() != model.dim)
        {
            return Err(SvmError::Model(
                "categories or weight shapes do not match SPEC's twelve categories".into(),
            ));
        }
        Ok(model)
    }
}

fn softmax(decisions: &[f64], temperature: f64) -> Vec<f64> {
    let max = decisions.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = decisions
        .iter()
        .map(|d| ((d - max) / temperature).exp())
        .collect();
    let sum: f64 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

#[derive(Debug, Deserialize)]
struct CategoryCatalog {
    category: Vec<CategoryItem>,
    languages: Languages,
}

#[derive(Debug, Deserialize)]
struct CategoryItem {
    id: String,
    risk: u8,
    subtypes: Vec<SubtypeRule>,
}

#[derive(Debug, Deserialize)]
struct SubtypeRule {
    id: String,
    #[serde(default)]
    cues: Vec<String>,
    #[serde(default)]
    mimes: Vec<String>,
    /// Replaces the category's risk for this subtype: a file of public
    /// certificates is not rated as a private key.
    #[serde(default)]
    risk: Option<u8>,
}

#[derive(Debug, Deserialize)]
struct Languages {
    mimes: BTreeMap<String, String>,
    extensions: BTreeMap<String, String>,
}

/// The model with its category catalog (risks and subtype rules).
#[derive(Debug)]
pub struct DocumentClassifier {
    model: DocumentModel,
    catalog: CategoryCatalog,
    version: String,
}

impl DocumentClassifier {
    /// The model shipped in `classifiers/models/svm.json`.
    pub fn builtin() -> Result<Self, SvmError> {
        Self::from_json(BUILTIN_MODEL)
    }

    /// A model saved by `assay train`.
    pub fn from_json(text: &str) -> Result<Self, SvmError> {
        let model = DocumentModel::from_json(text)?;
        let catalog: CategoryCatalog =
            toml::from_str(CATALOG).map_err(|e| SvmError::Catalog(e.to_string()))?;
        let ids: Vec<&str> = catalog.category.iter().map(|c| c.id.as_str()).collect();
        let risks_in_range = catalog.category.iter().all(|c| {
            (1..=10).contains(&c.risk)
                && c.subtypes
                    .iter()
                    .all(|s| s.risk.is_none_or(|r| (1..=10).contains(&r)))
        });
        if ids != CATEGORIES || !risks_in_range {
            return Err(SvmError::Catalog(
                "categories must be SPEC's twelve, in order, with risks 1-10".into(),
            ));
        }
        // The version names the exact weights: FNV-1a of the model text.
        let hash = crate::hash::fingerprint(&[text]);
        Ok(Self {
            model,
            catalog,
            version: format!("svm-linear-v{FEATURES_VERSION}-{hash:016x}"),
        })
    }

    pub fn model(&self) -> &DocumentModel {
        &self.model
    }

    /// The model's version, for reports.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The default risk of a category.
    pub fn risk(&self, category: usize) -> u8 {
        self.catalog.category.get(category).map_or(1, |c| c.risk)
    }

    /// Classifies a document from the start of its text.
    pub fn classify(
        &self,
        text: &[u8],
        name: &str,
        size: u64,
        encoding: TextEncoding,
        mime: Option<&str>,
    ) -> SvmResult {
        let x = features::extract(text, name, size, encoding);
        let (category, confidence) = self.model.predict(&x);
        if self.model.uncertain(confidence) {
            // A guess names no subtype and rates as `other`: an unsure
            // model never makes a document riskier.
            return SvmResult {
                category: Category::ALL[category],
                subtype: None,
                confidence: (confidence * 1000.0).round() / 1000.0,
                risk: self.risk(OTHER),
                uncertain: true,
            };
        }
        let head = &text[..text.len().min(features::HEAD)];
        let (subtype, subtype_risk) = self.subtype(category, head, name, mime);
        SvmResult {
            category: Category::ALL[category],
            subtype,
            confidence: (confidence * 1000.0).round() / 1000.0,
            risk: subtype_risk.unwrap_or_else(|| self.risk(category)),
            uncertain: false,
        }
    }

    /// The subtype, and its own risk where the catalog gives one.
    fn subtype(
        &self,
        category: usize,
        head: &[u8],
        name: &str,
        mime: Option<&str>,
    ) -> (Option<String>, Option<u8>) {
        if Category::ALL[category] == Category::SourceCode {
            let languages = &self.catalog.languages;
            let by_mime = mime.and_then(|m| languages.mimes.get(m));
            let file = crate::name::basename(name).to_ascii_lowercase();
            let by_ext = file
                .rsplit_once('.')
                .and_then(|(_, ext)| languages.extensions.get(ext));
            return (by_mime.or(by_ext).cloned(), None);
        }
        let text = std::str::from_utf8(head).map_or_else(
            |_| String::from_utf8_lossy(head),
            std::borrow::Cow::Borrowed,
        );
        self.catalog.category[category]
            .subtypes
            .iter()
            .find(|rule| {
                let cued = rule.cues.iter().any(|c| text.contains(c.as_str()));
                let typed = mime.is_some_and(|m| rule.mimes.iter().any(|r| r == m));
                cued || typed || (rule.cues.is_empty() && rule.mimes.is_empty())
            })
            .map_or((None, None), |rule| (Some(rule.id.clone()), rule.risk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_written_and_indexed_as_named() {
        for (index, category) in Category::ALL.into_iter().enumerate() {
            assert_eq!(category.index(), index);
            assert_eq!(CATEGORIES[index], category.as_str());
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{category}\""));
        }
    }

    #[test]
    fn the_shipped_model_and_catalog_load() {
        let documents = DocumentClassifier::builtin().unwrap();
        assert_eq!(documents.model().categories, CATEGORIES);
        assert!(documents.version().starts_with("svm-linear-v3-"));
        assert_eq!(documents.risk(11), 1);
    }

    #[test]
    fn public_key_material_is_rated_below_private_keys() {
        let documents = DocumentClassifier::builtin().unwrap();
        let keys = CATEGORIES
            .iter()
            .position(|c| *c == "encryption_keys")
            .unwrap();
        let rated = |head: &str| documents.subtype(keys, head.as_bytes(), "x.pem", None);
        let bundle = "# Issuer: CN=Harbour Root\n-----BEGIN CERTIFICATE-----\nMIIB\n";
        assert_eq!(rated(bundle), (Some("certificate".into()), Some(3)));
        assert_eq!(
            rated("-----BEGIN PUBLIC KEY-----\nMFww\n"),
            (Some("public_key".into()), Some(1))
        );
        assert_eq!(
            rated("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ\n"),
            (Some("pgp".into()), Some(2))
        );
        // A key beside certificates keeps the category's risk.
        let chain_and_key = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\
                             -----BEGIN EC PRIVATE KEY-----\nMHcC\n";
        assert_eq!(rated(chain_and_key), (Some("pem".into()), None));
        assert_eq!(
            rated("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ\n"),
            (Some("pgp".into()), None)
        );
        assert_eq!(documents.risk(keys), 7);
    }

    #[test]
    fn under_the_threshold_a_verdict_is_uncertain_and_rated_as_other() {
        let text: &[u8] = b"import os\n\ndef main():\n    print(os.getcwd())\n";
        let sure = DocumentClassifier::builtin().unwrap();
        let found = sure.classify(
            text,
            "tool.py",
            40,
            TextEncoding::Utf8,
            Some("text/x-python"),
        );
        assert!(!found.uncertain, "{found:?}");
        let mut model = sure.model().clone();
        model.threshold = found.confidence + 0.01;
        let unsure = DocumentClassifier::from_json(&model.to_json().unwrap()).unwrap();
        let guess = unsure.classify(
            text,
            "tool.py",
            40,
            TextEncoding::Utf8,
            Some("text/x-python"),
        );
        assert!(guess.uncertain);
        // The guess and its confidence stay; the subtype and risk do not.
        assert_eq!(
            (guess.category, guess.confidence),
            (found.category, found.confidence)
        );
        assert_eq!((guess.subtype.as_deref(), guess.risk), (None, 1));
        let json = serde_json::to_value(&guess).unwrap();
        assert_eq!(json["uncertain"], true);
    }

    #[test]
    fn a_model_for_other_features_is_refused() {
        let mut model = DocumentClassifier::builtin().unwrap().model().clone();
        model.features_version += 1;
        let error = DocumentModel::from_json(&model.to_json().unwrap()).unwrap_err();
        assert!(matches!(error, SvmError::Features { .. }), "{error}");
    }

    #[test]
    fn training_separates_and_is_deterministic() {
        // Two trivially different kinds of text per category.
        let mut samples = Vec::new();
        for (k, category) in CATEGORIES.iter().enumerate() {
            for i in 0..6 {
                let text = format!("{category} {category} {i} {}\n", "x".repeat(k + i));
                samples.push((
                    features::extract(text.as_bytes(), "doc", 40, TextEncoding::Utf8),
                    k,
                ));
            }
        }
        let options = TrainOptions::default();
        let model = DocumentModel::train(&samples, options).unwrap();
        let again = DocumentModel::train(&samples, options).unwrap();
        assert_eq!(model.to_json().unwrap(), again.to_json().unwrap());
        let right = samples
            .iter()
            .filter(|(x, label)| model.predict(x).0 == *label)
            .count();
        assert!(
            right >= samples.len() * 9 / 10,
            "{right} of {}",
            samples.len()
        );
    }
}
