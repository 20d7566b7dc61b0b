//! CSV and TSV files, streamed as they are (line, column and offset stay
//! those of the file) while each field is marked with its row, cell
//! reference and the name in the header row above it. The delimiter is
//! the commonest of `,`, tab, `;` and `|` on the first line; quoted fields
//! may hold delimiters and line breaks (RFC 4180).

use std::io::Read;
use std::sync::Arc;

use assay_classifiers::place::Place;

use super::{DocumentError, Text};

/// The longest header name kept.
const MAX_NAME: usize = 128;

pub(super) fn extract(
    stream: &mut dyn Read,
    text: &mut Text<'_>,
    read: &mut u64,
) -> Result<(), DocumentError> {
    let mut splitter: Option<Splitter> = None;
    let mut first = Vec::new();
    super::each_piece(stream, text, read, |chunk, text| match &mut splitter {
        Some(splitter) => splitter.feed(chunk, text),
        None => {
            // Wait for the first line (or 64 KiB) to pick the delimiter.
            first.extend_from_slice(chunk);
            if memchr::memchr(b'\n', &first).is_none() && first.len() < 64 * 1024 {
                return Ok(());
            }
            let mut made = Splitter::new(delimiter(&first));
            made.feed(&std::mem::take(&mut first), text)?;
            splitter = Some(made);
            Ok(())
        }
    })?;
    if splitter.is_none() && !first.is_empty() {
        Splitter::new(delimiter(&first)).feed(&first, text)?;
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

struct Splitter {
    delimiter: u8,
    in_quotes: bool,
    row: u64,
    column: u32,
    at_field_start: bool,
    header: Vec<Option<Arc<str>>>,
    name: Vec<u8>,
}

impl Splitter {
    fn new(delimiter: u8) -> Self {
        Self {
            delimiter,
            in_quotes: false,
            row: 1,
            column: 0,
            at_field_start: true,
            header: Vec::new(),
            name: Vec::new(),
        }
    }

    fn feed(&mut self, chunk: &[u8], text: &mut Text<'_>) -> Result<(), DocumentError> {
        let mut written = 0;
        for (at, &b) in chunk.iter().enumerate() {
            if self.at_field_start {
                text.write_bytes(&chunk[written..at])?;
                written = at;
                let name = self.header.get(self.column as usize).cloned().flatten();
                text.mark(Place::cell(None, self.row, self.column, name.as_deref()))?;
                self.at_field_start = false;
            }
            if b == b'"' {
                self.in_quotes = !self.in_quotes;
                continue;
            }
            if self.in_quotes {
                if self.row == 1 && self.name.len() < MAX_NAME {
                    self.name.push(b);
                }
                continue;
            }
            if b == self.delimiter || b == b'\n' {
                if self.row == 1 {
                    self.end_header_field();
                }
                self.at_field_start = true;
                if b == b'\n' {
                    self.row += 1;
                    self.column = 0;
                } else {
                    self.column = self.column.saturating_add(1);
                }
            } else if self.row == 1 && self.name.len() < MAX_NAME {
                self.name.push(b);
            }
        }
        text.write_bytes(&chunk[written..])
    }

    fn end_header_field(&mut self) {
        let name = String::from_utf8_lossy(&self.name).trim().to_string();
        self.name.clear();
        self.header
            .push((!name.is_empty()).then(|| Arc::from(name)));
    }
}
