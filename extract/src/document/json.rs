//! JSON and JSON Lines files, streamed as they are (line, column and
//! offset stay those of the file). Their values' places (record and JSON
//! path) and the field names that count as keywords next to them are
//! found by the sink from the text's structure
//! ([`assay_classifiers::ObjectClassifier::follow_json`]), only where a
//! finding or a keyword needs them: a value costs nothing here.

use std::io::Read;

use super::{DocumentError, Text};

pub(super) fn extract(
    stream: &mut dyn Read,
    text: &mut Text<'_>,
    read: &mut u64,
) -> Result<(), DocumentError> {
    text.follow_json();
    super::each_piece(stream, text, read, |piece, text| text.write_bytes(piece))
}
