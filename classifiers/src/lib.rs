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

mod bytemask;
pub mod catalog;
pub mod companion;
pub mod content_type;
pub mod decode;
pub mod detect;
mod engine;
pub mod error;
pub mod extension;
pub mod hash;
mod keywords;
pub mod name;
pub mod object;
pub mod pii;
pub mod place;
pub mod risk;
pub mod sniffed;
pub mod svm;
pub mod theme;
pub mod verdict;
pub mod verify;
#[cfg(test)]
mod xorshift;

pub use catalog::Catalog;
pub use engine::Classifiers;
pub use error::CatalogError;
pub use object::{Classification, ObjectClassifier};
