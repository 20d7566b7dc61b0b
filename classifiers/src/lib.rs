//! assay's classifiers: content type, file extension, themes, regex
//! detectors and the SVM document classifier, with
//! their data-driven catalogs and validators. No I/O and no async: callers
//! feed bytes and get classifications back.
//!
//! ```
//! use assay_classifiers::Classifiers;
//! let classifiers = Classifiers::builtin().unwrap();
//! let mut object = classifiers.object("config/.env");
//! object.feed(b"STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dcXYZ\n");
//! let found = object.finish();
//! assert_eq!(found.extension.risk, 7);
//! assert_eq!(found.regexes[0].id, "stripe_secret_key");
//! ```

pub mod bytemask;
pub mod catalog;
pub mod content_type;
pub mod detect;
pub mod error;
pub mod extension;
pub mod intern;
pub mod keywords;
pub mod object;
pub mod pii;
pub mod place;
pub mod risk;
pub mod svm;
pub mod theme;
pub mod verify;

pub use catalog::Catalog;
pub use error::CatalogError;
pub use object::{Classification, ObjectClassifier};

use content_type::ContentTypeClassifier;
use detect::DetectorSet;
use extension::ExtensionClassifier;
use keywords::KeywordPass;
use theme::ThemeMatcher;

/// Every classifier, compiled from one catalog; share it between threads.
pub struct Classifiers {
    catalog: Catalog,
    content: ContentTypeClassifier,
    extensions: ExtensionClassifier,
    themes: ThemeMatcher,
    detectors: DetectorSet,
    keywords: KeywordPass,
    names: pii::NameFinder,
    documents: svm::DocumentClassifier,
    /// Media type -> position in `catalog.content_types`.
    content_index: std::collections::HashMap<String, usize>,
    /// Raw secrets kept per verifiable detector and object, for
    /// `--verify`; 0 (the default) keeps none.
    keep_secrets: usize,
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
            keywords: KeywordPass::new(&themes, &detectors)?,
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
        })
    }

    /// The classifiers of the catalog shipped with assay.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::new(Catalog::builtin()?)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Uses another SVM document model (`--model`).
    pub fn with_documents(mut self, documents: svm::DocumentClassifier) -> Self {
        self.documents = documents;
        self
    }

    /// Keeps up to `n` distinct raw secrets per object for each detector
    /// that has a `verify` table ([`object::RegexResult::secrets`]), in
    /// memory only, for `--verify`.
    pub fn with_kept_secrets(mut self, n: usize) -> Self {
        self.keep_secrets = n;
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

    /// Starts classifying one object; `name` is its key or path (for the
    /// extension classifier).
    pub fn object(&self, name: &str) -> ObjectClassifier<'_> {
        ObjectClassifier::new(self, name)
    }

    /// Names an object's format from its first bytes and its name (see
    /// [`content_type::ContentTypeClassifier::sniff_named`]).
    pub fn sniff(&self, head: &[u8], name: &str) -> content_type::Sniffed {
        self.content.sniff_named(head, Some(name))
    }

    /// Starts classifying an object whose first bytes were already sniffed
    /// (by [`Classifiers::sniff`]): they are not sniffed twice.
    pub fn object_sniffed(
        &self,
        name: &str,
        sniffed: content_type::Sniffed,
    ) -> ObjectClassifier<'_> {
        ObjectClassifier::sniffed(self, name, sniffed)
    }

    /// Starts classifying the UTF-8 text extracted from a document of a
    /// known format (`mime`, which sets the content type), with places
    /// marked as it goes ([`ObjectClassifier::mark`]).
    pub fn document(&self, name: &str, mime: &'static str) -> ObjectClassifier<'_> {
        ObjectClassifier::document(self, name, mime)
    }
}
