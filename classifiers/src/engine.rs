//! [`Classifiers`]: every classifier compiled from one catalog, the value a
//! scan shares between its threads. Objects are classified by the
//! [`crate::object::ObjectClassifier`]s it starts.

use crate::catalog::{self, Catalog};
use crate::content_type::{self, ContentTypeClassifier};
use crate::detect::DetectorSet;
use crate::error::CatalogError;
use crate::extension::{self, ExtensionClassifier};
use crate::keywords::KeywordPass;
use crate::pii;
use crate::svm;
use crate::theme::ThemeMatcher;

/// Every classifier, compiled from one catalog; share it between threads.
pub struct Classifiers {
    pub(crate) catalog: Catalog,
    pub(crate) content: ContentTypeClassifier,
    pub(crate) extensions: ExtensionClassifier,
    pub(crate) themes: ThemeMatcher,
    pub(crate) detectors: DetectorSet,
    pub(crate) keywords: KeywordPass,
    pub(crate) names: pii::NameFinder,
    pub(crate) documents: svm::DocumentClassifier,
    /// Media type -> position in `catalog.content_types`.
    pub(crate) content_index: std::collections::HashMap<String, usize>,
    /// Raw secrets kept per verifiable detector and object, for
    /// `--verify`; 0 (the default) keeps none.
    pub(crate) keep_secrets: usize,
    /// With kept secrets: the patterns of the values some verifiers pair
    /// a secret with ([`crate::companion`]).
    pub(crate) companions: Option<crate::companion::CompanionSet>,
}

impl Classifiers {
    /// Compiles the classifiers of a catalog (after any overrides).
    pub fn new(catalog: Catalog) -> Result<Self, CatalogError> {
        catalog.check()?;
        let themes = ThemeMatcher::new(&catalog)?;
        let detectors = DetectorSet::new(&catalog)?;
        Ok(Self {
            content: ContentTypeClassifier::new(&catalog)?,
            extensions: ExtensionClassifier::new(&catalog),
            keywords: KeywordPass::new(&themes, &detectors),
            names: pii::NameFinder::new(),
            documents: svm::DocumentClassifier::builtin()?,
            themes,
            detectors,
            content_index: catalog
                .content_types
                .iter()
                .enumerate()
                .map(|(i, c)| (c.mime.clone(), i))
                .collect(),
            catalog,
            keep_secrets: 0,
            companions: None,
        })
    }

    /// The classifiers of the catalog shipped with assay.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::new(Catalog::builtin()?)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Every catalog item (`assay rules list`), each detector with the
    /// confidence its findings get.
    pub fn rules(&self) -> Vec<catalog::RuleInfo> {
        let mut rules = self.catalog.rules();
        let confidence: std::collections::HashMap<&str, _> = self
            .detectors
            .detectors()
            .iter()
            .map(|d| (d.item.id.as_str(), d.confidence()))
            .collect();
        for rule in &mut rules {
            if rule.classifier == catalog::RuleKind::Regex {
                if let Some(&derived) = confidence.get(rule.id.as_str()) {
                    rule.confidence = Some(derived);
                }
            }
        }
        rules
    }

    /// Uses another SVM document model (`--model`).
    pub fn with_documents(mut self, documents: svm::DocumentClassifier) -> Self {
        self.documents = documents;
        self
    }

    /// Keeps up to `n` distinct raw secrets per object for each detector
    /// that has a `verify` table ([`crate::object::RegexResult::secrets`]),
    /// in memory only, for `--verify`.
    pub fn with_kept_secrets(mut self, n: usize) -> Self {
        self.keep_secrets = n;
        // Fixed patterns (a unit test compiles them): none on failure.
        self.companions = (n > 0)
            .then(crate::companion::CompanionSet::new)
            .and_then(Result::ok);
        self
    }

    /// The SVM document classifier in use.
    pub fn documents(&self) -> &svm::DocumentClassifier {
        &self.documents
    }

    /// The catalog item of a media type.
    pub fn content_type_item(&self, mime: &str) -> Option<&catalog::ContentTypeItem> {
        self.content_index
            .get(mime)
            .map(|&i| &self.catalog.content_types[i])
    }

    /// Classifies a name alone, for objects whose bytes cannot be read.
    pub fn extension(&self, name: &str) -> extension::ExtensionResult {
        self.extensions.classify(name, None)
    }

    /// Names an object's format from its first bytes and its name (see
    /// [`content_type::ContentTypeClassifier::sniff_named`]).
    pub fn sniff(&self, head: &[u8], name: &str) -> content_type::Sniffed {
        self.content.sniff_named(head, Some(name))
    }
}
