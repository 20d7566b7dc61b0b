//! assay's extraction: bytes in, text with places out. Archives are walked
//! member by member within bomb limits ([`archive`]); documents (Office,
//! OpenDocument, PDF, RTF, e-mail, notebooks, CSV and JSON, Parquet, Avro,
//! SQLite) have their text extracted, each cell, page, record or part
//! marked with its [`Place`] ([`document`]). Text goes to a [`TextSink`]:
//! the classifiers are one, so this crate knows nothing of what is looked
//! for (ripgrep's searcher and its `Sink` are the model).

pub mod archive;
pub mod document;
#[cfg(feature = "parquet-footer")]
pub mod parquet_guard;
pub mod spool;

use assay_classifiers::place::Place;

/// Where extracted text goes.
pub trait TextSink {
    /// The next piece of text (UTF-8; pieces may split lines anywhere).
    fn feed(&mut self, text: &[u8]);
    /// Text from here on belongs to `place`.
    fn mark(&mut self, place: Place);
    /// The text is JSON or JSON Lines, its places to be found from its
    /// structure: a sink that cannot do that gets no places for it.
    fn follow_json(&mut self) {}
    /// The text is CSV or TSV with this delimiter, its places to be found
    /// from its structure.
    fn follow_delimited(&mut self, _delimiter: u8) {}
}

/// The classifiers read extracted text as they read any object's bytes.
impl TextSink for assay_classifiers::ObjectClassifier<'_> {
    fn feed(&mut self, text: &[u8]) {
        assay_classifiers::ObjectClassifier::feed(self, text);
    }

    fn mark(&mut self, place: Place) {
        assay_classifiers::ObjectClassifier::mark(self, place);
    }

    fn follow_json(&mut self) {
        assay_classifiers::ObjectClassifier::follow_json(self);
    }

    fn follow_delimited(&mut self, delimiter: u8) {
        assay_classifiers::ObjectClassifier::follow_delimited(self, delimiter);
    }
}
