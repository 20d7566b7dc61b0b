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
    Model(#[from] crate::svm::SvmError),
    /// An automaton over keywords or anchors could not be built.
    #[error("keyword automaton for {what}: {message}")]
    Automaton { what: &'static str, message: String },
}
