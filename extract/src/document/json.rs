//! JSON and JSON Lines files, streamed as they are (line, column and
//! offset stay those of the file) while every scalar value is marked with
//! its record and JSON path: a JSON Lines record is a line's value, a JSON
//! document whose top level is an array has a record per element, any
//! other JSON document is record 0. The path's last steps count as the
//! keyword next to the value (`"tax": {"ssn": 536221234}`). Malformed JSON
//! is still scanned; its paths are a best effort.

use std::io::Read;

use assay_classifiers::place::Place;

use super::{DocumentError, Text};

/// The longest key kept in a path.
const MAX_KEY: usize = 128;
/// Nesting followed in paths (deeper values take the deepest path kept).
const MAX_DEPTH: usize = 64;

pub(super) fn extract(
    stream: &mut dyn Read,
    text: &mut Text<'_>,
    read: &mut u64,
) -> Result<(), DocumentError> {
    let mut walker = Walker::default();
    super::each_piece(stream, text, read, |piece, text| walker.feed(piece, text))
}

enum Frame {
    Object { key: Vec<u8>, expecting_key: bool },
    Array { index: u64 },
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    in_string: bool,
    escaped: bool,
    /// The string being read is an object key.
    in_key: bool,
    /// Inside a number or literal.
    in_scalar: bool,
    /// Top-level values seen (the record index of JSON Lines).
    values: u64,
    /// Whether the top level is an array of records.
    top_array: bool,
}

impl Walker {
    fn feed(&mut self, chunk: &[u8], text: &mut Text<'_>) -> Result<(), DocumentError> {
        let mut written = 0;
        for (at, &b) in chunk.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    continue;
                }
                if self.in_key {
                    if let Some(Frame::Object { key, .. }) = self.stack.last_mut() {
                        if key.len() < MAX_KEY {
                            key.push(b);
                        }
                    }
                }
                continue;
            }
            if self.in_scalar {
                if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+') {
                    continue;
                }
                self.in_scalar = false;
                self.end_value();
            }
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'{' | b'[' => {
                    if self.stack.is_empty() {
                        self.top_array = b == b'[';
                    }
                    if self.stack.len() < MAX_DEPTH {
                        self.stack.push(if b == b'{' {
                            Frame::Object {
                                key: Vec::new(),
                                expecting_key: true,
                            }
                        } else {
                            Frame::Array { index: 0 }
                        });
                    }
                }
                b'}' | b']' => {
                    self.stack.pop();
                    self.end_value();
                }
                b',' => match self.stack.last_mut() {
                    Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                    Some(Frame::Array { index }) => *index += 1,
                    None => {}
                },
                b':' => {
                    if let Some(Frame::Object { expecting_key, .. }) = self.stack.last_mut() {
                        *expecting_key = false;
                    }
                }
                b'"' if matches!(
                    self.stack.last(),
                    Some(Frame::Object {
                        expecting_key: true,
                        ..
                    })
                ) =>
                {
                    if let Some(Frame::Object { key, .. }) = self.stack.last_mut() {
                        key.clear();
                    }
                    self.in_string = true;
                    self.in_key = true;
                }
                _ => {
                    // A scalar value starts: a string, a number or a literal.
                    text.write_bytes(&chunk[written..at])?;
                    written = at;
                    text.mark(self.place())?;
                    if b == b'"' {
                        self.in_string = true;
                        self.in_key = false;
                    } else {
                        self.in_scalar = true;
                    }
                    if b == b'"' && self.stack.is_empty() {
                        self.values += 1;
                    }
                }
            }
        }
        text.write_bytes(&chunk[written..])
    }

    /// A value ended; at the top level it was a whole record.
    fn end_value(&mut self) {
        if self.stack.is_empty() {
            self.values += 1;
        }
    }

    fn place(&self) -> Place {
        let (record, frames) = if self.top_array && !self.stack.is_empty() {
            let index = match self.stack.first() {
                Some(Frame::Array { index }) => *index,
                _ => 0,
            };
            (index, &self.stack[1..])
        } else {
            (self.values, &self.stack[..])
        };
        use std::fmt::Write as _;
        // One allocation per value where it can be: values are many.
        let mut path = String::with_capacity(64);
        path.push('$');
        for frame in frames {
            match frame {
                Frame::Array { index } => {
                    let _ = write!(path, "[{index}]");
                }
                Frame::Object { key, .. } => {
                    if !key.is_empty()
                        && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    {
                        path.push('.');
                        // ASCII alphanumerics only: valid UTF-8.
                        path.push_str(std::str::from_utf8(key).unwrap_or_default());
                    } else {
                        let key = String::from_utf8_lossy(key);
                        let _ = write!(path, "[{}]", serde_json::Value::from(key.as_ref()));
                    }
                }
            }
        }
        Place::record(record, &path)
    }
}
