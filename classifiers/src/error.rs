//! Errors the classifiers library can return.

use thiserror::Error;

/// Why a catalog could not be loaded or compiled.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// A catalog data file is not valid TOML or does not fit the schema.
    #[error("catalog file {file}: {source}")]
    Parse {
        file: &'static str,
        #[source]
        source: toml::de::Error,
    },
    /// A catalog item breaks a rule the engine relies on.
    #[error("catalog item {classifier}/{id}: {problem}")]
    Invalid {
        classifier: &'static str,
        id: String,
        problem: String,
    },
    /// A detector or cue pattern does not compile.
    #[error("pattern of {classifier}/{id} does not compile: {message}")]
    Pattern {
        classifier: &'static str,
        id: String,
        message: String,
    },
    /// The SVM document model or its category catalog does not load.
    #[error(transparent)]
    Model(#[from] SvmError),
    /// An automaton over keywords or anchors could not be built.
    #[error("keyword automaton for {what}: {message}")]
    Automaton { what: &'static str, message: String },
}

/// Why a model could not be trained or loaded.
#[derive(Debug, Error)]
pub enum SvmError {
    #[error("SVM model is not valid: {0}")]
    Model(String),
    #[error(
        "SVM model was built for features v{found} ({dim} values); this assay reads v{reads} ({expected} values)"
    )]
    Features {
        found: u32,
        /// The feature version this build reads.
        reads: u32,
        dim: usize,
        expected: usize,
    },
    #[error("SVM category catalog: {0}")]
    Catalog(String),
    #[error("training corpus has no {0} documents")]
    EmptyCategory(&'static str),
    #[error("training the {category} model failed: {message}")]
    Training {
        category: &'static str,
        message: String,
    },
}
