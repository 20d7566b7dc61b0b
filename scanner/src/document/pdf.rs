//! PDF, read with `lopdf`: the text of each page, marked with its page
//! number. Text is laid out from the content stream's positioning
//! operators: shows on one baseline join into a line (a word whose runs
//! change font stays whole), a wide horizontal gap becomes a tab (table
//! columns stay apart), a new baseline a new line. Documents encrypted
//! with an empty user password (print or copy restrictions only) are
//! decrypted and read; others are reported as encrypted.

use std::collections::BTreeMap;

use assay_classifiers::place::Place;
use lopdf::content::Content;
use lopdf::{Encoding, Object};

use super::{DocumentError, Format, Text};

/// Decompressed bytes of one page's content streams (a bomb guard).
const MAX_PAGE_CONTENT: usize = 64 << 20;
/// Average glyph width as a share of the font size, to guess where a show ends.
const GLYPH_WIDTH: f32 = 0.7;

pub(super) fn extract(bytes: &[u8], text: &mut Text<'_, '_>) -> Result<(), DocumentError> {
    let document = match lopdf::Document::load_mem(bytes) {
        Ok(document) => document,
        Err(lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword) => {
            return Err(DocumentError::Encrypted {
                format: Format::Pdf.name(),
            });
        }
        Err(error) => return Err(DocumentError::corrupt(Format::Pdf, error)),
    };
    if document.is_encrypted() {
        return Err(DocumentError::Encrypted {
            format: Format::Pdf.name(),
        });
    }
    let mut failed = None;
    for (number, page) in document.get_pages() {
        text.check_time()?;
        match page_text(&document, page) {
            Ok(page_text) => {
                text.mark(Place::page(number))?;
                text.write(&page_text)?;
                text.end_line()?;
            }
            // One unreadable page does not hide the others.
            Err(error) => {
                failed.get_or_insert_with(|| format!("page {number}: {error}"));
            }
        }
    }
    match failed {
        Some(message) => Err(DocumentError::corrupt(Format::Pdf, message)),
        None => Ok(()),
    }
}

/// Where the text cursor is, in text space (translations only: scaling
/// and rotation are rare in generated documents and only blur the layout).
#[derive(Default)]
struct Cursor {
    line_x: f32,
    line_y: f32,
    leading: f32,
    size: f32,
    /// Where the last show started and roughly ended, and its baseline.
    last: Option<(f32, f32)>,
    x: f32,
}

fn page_text(document: &lopdf::Document, page: lopdf::ObjectId) -> lopdf::Result<String> {
    let fonts = document.get_page_fonts(page)?;
    let encodings: BTreeMap<Vec<u8>, Encoding<'_>> = fonts
        .into_iter()
        .filter_map(|(name, font)| {
            font.get_font_encoding_with_limit(document, MAX_PAGE_CONTENT)
                .ok()
                .map(|e| (name, e))
        })
        .collect();
    let content = Content::decode(&document.get_page_content_with_limit(page, MAX_PAGE_CONTENT)?)?;
    let mut out = String::new();
    let mut encoding = None;
    let mut cursor = Cursor::default();
    let number = |o: Option<&Object>| o.and_then(|o| o.as_float().ok()).unwrap_or(0.0);
    for operation in &content.operations {
        let operands = &operation.operands;
        match operation.operator.as_str() {
            "BT" => {
                cursor.line_x = 0.0;
                cursor.line_y = 0.0;
                cursor.x = 0.0;
            }
            "Tf" => {
                encoding = operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .and_then(|name| encodings.get(name));
                cursor.size = number(operands.get(1)).abs();
            }
            "TL" => cursor.leading = number(operands.first()),
            "Td" | "TD" => {
                let (tx, ty) = (number(operands.first()), number(operands.get(1)));
                if operation.operator == "TD" {
                    cursor.leading = -ty;
                }
                cursor.line_x += tx;
                cursor.line_y += ty;
                cursor.x = cursor.line_x;
            }
            "Tm" => {
                cursor.line_x = number(operands.get(4));
                cursor.line_y = number(operands.get(5));
                cursor.x = cursor.line_x;
            }
            "T*" => {
                cursor.line_y -= cursor.leading;
                cursor.x = cursor.line_x;
            }
            "Tj" | "TJ" | "'" | "\"" => {
                if matches!(operation.operator.as_str(), "'" | "\"") {
                    cursor.line_y -= cursor.leading;
                    cursor.x = cursor.line_x;
                }
                let shown = match operation.operator.as_str() {
                    "\"" => operands.get(2..).unwrap_or_default(),
                    _ => operands.as_slice(),
                };
                let Some(encoding) = encoding else { continue };
                let mut piece = String::new();
                collect(&mut piece, encoding, shown);
                if piece.is_empty() {
                    continue;
                }
                if let Some((end_x, y)) = cursor.last {
                    if (y - cursor.line_y).abs() > cursor.size.max(1.0) * 0.5 {
                        if !out.ends_with('\n') {
                            out.push('\n');
                        }
                    } else if cursor.x > end_x + 2.0 * cursor.size.max(1.0) {
                        out.push('\t');
                    }
                }
                out.push_str(&piece);
                let width = piece.chars().count() as f32 * cursor.size * GLYPH_WIDTH;
                cursor.x += width;
                cursor.last = Some((cursor.x, cursor.line_y));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The text of a show's strings; a wide negative kerning in a `TJ` array
/// is a word space.
fn collect(out: &mut String, encoding: &Encoding<'_>, operands: &[Object]) {
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                let _ = encoding.write_to_string(bytes, out);
            }
            Object::Array(items) => collect(out, encoding, items),
            Object::Integer(i) if *i < -250 => out.push(' '),
            Object::Real(r) if *r < -250.0 => out.push(' '),
            _ => {}
        }
    }
}
