//! Errors the scanner reports. Per-object problems never abort a scan: they
//! become [`ObjectError`](crate::record::ObjectError)s or [`ScanIssue`](crate::record::ScanIssue)s
//! in the report; only a scan that cannot start at all returns an error.

use std::path::PathBuf;

use thiserror::Error;

/// Why a scan could not run.
#[derive(Debug, Error)]
pub enum ScanError {
    #[error("target {0} does not exist or cannot be read: {1}")]
    Target(String, #[source] std::io::Error),
    #[error("the classifier catalog is invalid: {0}")]
    Catalog(#[from] assay_classifiers::CatalogError),
    #[error("cannot start {0} worker threads: {1}")]
    Threads(usize, String),
    #[error("cannot write the report to {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
