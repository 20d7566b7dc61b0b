//! The walker of CSV and TSV text ([`super::follow`]): each field's place
//! is its row, cell reference and the name in the header row above it,
//! which counts as a keyword next to it. Quoted fields may hold
//! delimiters and line breaks (RFC 4180).

use std::sync::Arc;

use super::follow::Walk;
use crate::place::Place;

/// The longest header name kept.
const MAX_NAME: usize = 128;

/// A CSV walker: the row and column it stands at, and the header's names.
#[derive(Clone)]
pub(super) struct Walker {
    delimiter: u8,
    in_quotes: bool,
    /// 1-based; the header is row 1.
    row: u64,
    /// 0-based.
    column: u32,
    at_field_start: bool,
    header: Vec<Option<Arc<str>>>,
    /// The header name being read.
    name: Vec<u8>,
    /// The row and column of the last field started.
    last: Option<(u64, u32)>,
}

impl Walker {
    pub(super) fn new(delimiter: u8) -> Self {
        Self {
            delimiter,
            in_quotes: false,
            row: 1,
            column: 0,
            at_field_start: true,
            header: Vec::new(),
            name: Vec::new(),
            last: None,
        }
    }

    fn current_place(&self) -> Place {
        Place::cell(None, self.row, self.column, self.name(self.column))
    }

    fn name(&self, column: u32) -> Option<&str> {
        self.header.get(column as usize).and_then(Option::as_deref)
    }

    fn end_header_field(&mut self) {
        let name = String::from_utf8_lossy(&self.name).trim().to_string();
        self.name.clear();
        self.header
            .push((!name.is_empty()).then(|| Arc::from(name)));
    }
}

impl Walk for Walker {
    fn walk(&mut self, bytes: &[u8], base: u64, mut on_value: impl FnMut(&Self, u64)) {
        let mut at = 0;
        while at < bytes.len() {
            if self.at_field_start {
                self.at_field_start = false;
                self.last = Some((self.row, self.column));
                on_value(self, base + at as u64);
            } else if self.row > 1 {
                // Past the header, only quotes, delimiters and line ends
                // matter: straight to the next.
                let skipped = if self.in_quotes {
                    memchr::memchr(b'"', &bytes[at..])
                } else {
                    memchr::memchr3(b'"', self.delimiter, b'\n', &bytes[at..])
                };
                match skipped {
                    Some(to) => at += to,
                    None => return,
                }
            }
            let b = bytes[at];
            at += 1;
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
    }

    fn row(&self) -> u64 {
        self.row
    }

    fn context_key(&self, out: &mut Vec<u8>) {
        out.clear();
        // JSON's keys start with 0 or 1.
        out.push(2);
        if let Some(name) = self.name(self.column) {
            out.extend_from_slice(name.as_bytes());
        }
    }

    fn context(&self) -> Option<String> {
        self.current_place().context()
    }

    fn last_place(&self) -> Place {
        self.last
            .map(|(row, column)| Place::cell(None, row, column, self.name(column)))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classifiers;

    /// A staff register larger than several buffers: quoted notes with
    /// delimiters and line breaks, SSNs under their named column, and
    /// tokens in the notes, some on and near buffer edges.
    fn register() -> Vec<u8> {
        let mut text = b"name,ssn,notes\n".to_vec();
        let mut row = 0u64;
        while text.len() < 3 * super::super::CHUNK + 50_000 {
            row += 1;
            let line = match row % 1_000 {
                999 => format!("Row {row},536221234,\"ghp_{row:036}\"\n"),
                500 => format!("Row {row},536221234,\"quoted, two\nlines\"\n"),
                _ => format!("Row {row},n/a,\"nothing, to see\"\n"),
            };
            text.extend_from_slice(line.as_bytes());
        }
        text
    }

    #[test]
    fn lazy_places_are_those_of_the_field_holding_each_finding() {
        let classifiers = Classifiers::builtin().unwrap();
        let text = register();
        let mut places = Vec::new();
        Walker::new(b',').walk(&text, 0, |walker, offset| {
            places.push((offset, walker.last_place()));
        });
        let place_at = |offset: u64| {
            let after = places.partition_point(|(at, _)| *at <= offset);
            places[after - 1].1.clone()
        };
        for piece in [65_537, 1 << 20, 4_093] {
            let mut object = classifiers.document("staff.csv", "text/csv");
            object.follow_delimited(b',');
            for part in text.chunks(piece) {
                object.feed(part);
            }
            let found = object.finish();
            let mut checked = 0;
            for regex in &found.regexes {
                for location in &regex.locations {
                    assert_eq!(location.place, place_at(location.offset), "{}", regex.id);
                    checked += 1;
                }
            }
            assert!(checked > 16, "{checked} locations");
            let ssn = found
                .regexes
                .iter()
                .find(|r| r.id == "us_social_security_number")
                .expect("numbers under the ssn column found in every buffer");
            let planted = text.windows(9).filter(|w| w == b"536221234").count();
            assert_eq!(ssn.count, planted as u64);
            let place = &ssn.locations[0].place;
            assert_eq!(place.column_name.as_deref(), Some("ssn"));
            assert_eq!(place.cell.as_deref(), Some("B501"));
            // Rows are counted past the quoted line break.
            assert_eq!(ssn.locations[1].place.cell.as_deref(), Some("B1000"));
        }
    }
}
