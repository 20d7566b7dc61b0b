//! CSV and TSV files, streamed as they are (line, column and offset stay
//! those of the file). The delimiter is the commonest of `,`, tab, `;` and
//! `|` on the first line; each field's place (row, cell reference and the
//! name in the header row above it) is found by the sink from the text's
//! structure ([`assay_classifiers::ObjectClassifier::follow_delimited`]),
//! only where a finding or a keyword needs it: a field costs nothing here.

use std::io::Read;

use super::{DocumentError, Text};

pub(super) fn extract(
    stream: &mut dyn Read,
    text: &mut Text<'_>,
    read: &mut u64,
) -> Result<(), DocumentError> {
    let mut following = false;
    let mut first = Vec::new();
    super::each_piece(stream, text, read, |chunk, text| {
        if following {
            return text.write_bytes(chunk);
        }
        // Wait for the first line (or 64 KiB) to pick the delimiter.
        first.extend_from_slice(chunk);
        if memchr::memchr(b'\n', &first).is_none() && first.len() < 64 * 1024 {
            return Ok(());
        }
        text.follow_delimited(delimiter(&first));
        following = true;
        text.write_bytes(&std::mem::take(&mut first))
    })?;
    if !following && !first.is_empty() {
        text.follow_delimited(delimiter(&first));
        text.write_bytes(&first)?;
    }
    Ok(())
}

fn delimiter(first: &[u8]) -> u8 {
    let line = first.split(|&b| b == b'\n').next().unwrap_or(first);
    [b',', b'\t', b';', b'|']
        .into_iter()
        .max_by_key(|&d| (line.iter().filter(|&&b| b == d).count(), d == b','))
        .unwrap_or(b',')
}
