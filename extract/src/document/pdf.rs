//! PDF, read with `lopdf`: the text of each page, marked with its page
//! number. Text is laid out from the content stream's positioning
//! operators and the fonts' glyph widths: shows that touch on one baseline
//! join (a word whose runs change font stays whole), a word-sized gap is a
//! space, a wider one a tab (table columns stay apart), a new baseline a
//! new line. Documents encrypted
//! with an empty user password (print or copy restrictions only) are
//! decrypted and read; others are reported as encrypted.

use std::collections::BTreeMap;

use assay_classifiers::place::Place;
use lopdf::content::Content;
use lopdf::{Encoding, Object};

use super::{DocumentError, Format, Text};

/// Decompressed bytes of one page's content streams (a bomb guard).
const MAX_PAGE_CONTENT: usize = 64 << 20;

pub(super) fn extract(bytes: &[u8], text: &mut Text<'_>) -> Result<(), DocumentError> {
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
    let mut fonts = FontCache::default();
    for (number, page) in document.get_pages() {
        text.check_time()?;
        match page_text(&document, page, &mut fonts) {
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

/// Glyph advances of one font, in thousandths of the font size, from its
/// `/Widths` (simple fonts) or its descendant's `/W` and `/DW` (Type 0
/// fonts, whose codes are two bytes).
struct Metrics {
    two_byte: bool,
    first_char: u32,
    widths: Vec<f32>,
    cid_widths: BTreeMap<u32, f32>,
    default: f32,
}

impl Metrics {
    fn of(document: &lopdf::Document, font: &lopdf::Dictionary) -> Self {
        let deref = |o: &Object| document.dereference(o).map(|(_, o)| o.clone()).ok();
        let number = |o: &Object| deref(o).and_then(|o| o.as_float().ok());
        let array = |dict: &lopdf::Dictionary, key: &[u8]| {
            dict.get(key)
                .ok()
                .and_then(deref)
                .and_then(|o| o.as_array().ok().cloned())
                .unwrap_or_default()
        };
        let two_byte = font
            .get(b"Subtype")
            .ok()
            .and_then(|o| o.as_name().ok())
            .is_some_and(|n| n == b"Type0");
        let mut metrics = Metrics {
            two_byte,
            first_char: font.get(b"FirstChar").ok().and_then(number).unwrap_or(0.0) as u32,
            widths: array(font, b"Widths").iter().filter_map(number).collect(),
            cid_widths: BTreeMap::new(),
            default: if two_byte { 1000.0 } else { 500.0 },
        };
        if two_byte {
            let descendant = array(font, b"DescendantFonts")
                .first()
                .and_then(deref)
                .and_then(|o| o.as_dict().ok().cloned());
            if let Some(descendant) = descendant {
                if let Some(dw) = descendant.get(b"DW").ok().and_then(number) {
                    metrics.default = dw;
                }
                // /W: `c [w1 w2 ...]` or `c_first c_last w`.
                let w = array(&descendant, b"W");
                let mut i = 0;
                while i + 1 < w.len() {
                    let first = number(&w[i]).unwrap_or(0.0) as u32;
                    match deref(&w[i + 1]) {
                        Some(Object::Array(list)) => {
                            for (k, width) in list.iter().filter_map(number).enumerate() {
                                metrics.cid_widths.insert(first + k as u32, width);
                            }
                            i += 2;
                        }
                        Some(other) => {
                            let last = other.as_float().unwrap_or(0.0) as u32;
                            let width = w.get(i + 2).and_then(number).unwrap_or(metrics.default);
                            for code in first..=last.min(first + 65_535) {
                                metrics.cid_widths.insert(code, width);
                            }
                            i += 3;
                        }
                        None => break,
                    }
                }
            }
        }
        metrics
    }

    /// The advance of a shown string, in thousandths of the font size,
    /// with character and word spacing (in text space units) added.
    fn advance(&self, bytes: &[u8], size: f32, char_spacing: f32, word_spacing: f32) -> f32 {
        let spacing = |code: u32| {
            let word = if !self.two_byte && code == 32 {
                word_spacing
            } else {
                0.0
            };
            (char_spacing + word) * 1000.0 / size.max(0.001)
        };
        if self.two_byte {
            bytes
                .chunks(2)
                .map(|pair| {
                    let code = pair.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                    self.cid_widths.get(&code).copied().unwrap_or(self.default) + spacing(code)
                })
                .sum()
        } else {
            bytes
                .iter()
                .map(|&b| {
                    let code = u32::from(b);
                    let width = code
                        .checked_sub(self.first_char)
                        .and_then(|i| self.widths.get(i as usize))
                        .copied()
                        .unwrap_or(self.default);
                    width + spacing(code)
                })
                .sum()
        }
    }
}

/// The text matrix's linear part and the text line matrix's origin, in
/// user space (enough to tell baselines and gaps apart).
struct Cursor {
    /// Text matrix: x scale, shear, shear, y scale.
    a: f32,
    b: f32,
    c: f32,
    d: f32,
    line_x: f32,
    line_y: f32,
    leading: f32,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    /// Where the last show ended, and its baseline.
    last: Option<(f32, f32)>,
    x: f32,
}

impl Default for Cursor {
    fn default() -> Self {
        Self {
            a: 1.0,
            b: 0.0,
            c: 0.0,
            d: 1.0,
            line_x: 0.0,
            line_y: 0.0,
            leading: 0.0,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            last: None,
            x: 0.0,
        }
    }
}

impl Cursor {
    /// Moves the line origin by (tx, ty) in text space (`Td`).
    fn translate(&mut self, tx: f32, ty: f32) {
        self.line_x += tx * self.a + ty * self.c;
        self.line_y += tx * self.b + ty * self.d;
        self.x = self.line_x;
    }

    /// The font size in user space.
    fn scaled_size(&self) -> f32 {
        let scale = (self.a * self.a + self.b * self.b).sqrt();
        (self.size * if scale > 0.0 { scale } else { 1.0 }).max(1.0)
    }
}

/// What decodes and measures one font's text.
type Font<'d> = std::rc::Rc<FontText<'d>>;

/// A font's encoding and metrics, and the text of the strings it has
/// shown: a page shows the same few glyph runs (words, names, digits) over
/// and over, and decoding one through a ToUnicode map costs a range-map
/// lookup and a vector per code (most of a PDF's extraction time before).
struct FontText<'d> {
    encoding: Encoding<'d>,
    metrics: Metrics,
    decoded: std::cell::RefCell<std::collections::HashMap<Vec<u8>, Box<str>>>,
}

/// Decoded strings kept per font; past this the memory starts over.
const MAX_DECODED: usize = 1 << 16;

impl FontText<'_> {
    /// Appends the text of a shown string: what [`Encoding::write_to_string`]
    /// writes for it (text decoded before an undecodable code included).
    fn decode(&self, bytes: &[u8], out: &mut String) {
        let mut decoded = self.decoded.borrow_mut();
        if let Some(text) = decoded.get(bytes) {
            out.push_str(text);
            return;
        }
        let mut text = String::new();
        let _ = self.encoding.write_to_string(bytes, &mut text);
        out.push_str(&text);
        if decoded.len() >= MAX_DECODED {
            decoded.clear();
        }
        decoded.insert(bytes.to_vec(), text.into_boxed_str());
    }
}
/// Fonts by resource name.
type Fonts<'d> = BTreeMap<Vec<u8>, Font<'d>>;

/// Fonts already read, by their dictionary's address in the document:
/// pages share fonts, and a font's ToUnicode map is costly to parse.
#[derive(Default)]
struct FontCache<'d> {
    fonts: std::collections::HashMap<usize, Option<Font<'d>>>,
}

impl<'d> FontCache<'d> {
    fn get(
        &mut self,
        document: &'d lopdf::Document,
        font: &'d lopdf::Dictionary,
    ) -> Option<Font<'d>> {
        self.fonts
            .entry(font as *const lopdf::Dictionary as usize)
            .or_insert_with(|| {
                let encoding = font
                    .get_font_encoding_with_limit(document, MAX_PAGE_CONTENT)
                    .ok()?;
                Some(std::rc::Rc::new(FontText {
                    encoding,
                    metrics: Metrics::of(document, font),
                    decoded: Default::default(),
                }))
            })
            .clone()
    }
}

/// Form XObjects nested this deep are not followed.
const MAX_FORM_DEPTH: u32 = 4;

fn fonts_of<'d>(
    document: &'d lopdf::Document,
    resources: &'d lopdf::Dictionary,
    cache: &mut FontCache<'d>,
) -> Fonts<'d> {
    let Ok(fonts) = resources
        .get_deref(b"Font", document)
        .and_then(Object::as_dict)
    else {
        return Fonts::new();
    };
    fonts
        .iter()
        .filter_map(|(name, font)| {
            let font = document.dereference(font).ok()?.1.as_dict().ok()?;
            Some((name.clone(), cache.get(document, font)?))
        })
        .collect()
}

fn page_text<'d>(
    document: &'d lopdf::Document,
    page: lopdf::ObjectId,
    cache: &mut FontCache<'d>,
) -> lopdf::Result<String> {
    let fonts = document.get_page_fonts(page)?;
    let encodings: Fonts<'d> = fonts
        .into_iter()
        .filter_map(|(name, font)| Some((name, cache.get(document, font)?)))
        .collect();
    let (own, inherited) = document.get_page_resources(page)?;
    let mut resources: Vec<&lopdf::Dictionary> = own.into_iter().collect();
    resources.extend(
        inherited
            .into_iter()
            .filter_map(|id| document.get_dictionary(id).ok()),
    );
    let content = Content::decode(&document.get_page_content_with_limit(page, MAX_PAGE_CONTENT)?)?;
    let mut out = String::new();
    show(
        document,
        &content,
        &[&encodings],
        &resources,
        &mut out,
        0,
        cache,
    );
    Ok(out)
}

/// Lays out the text of one content stream (a page's, or a form XObject's
/// drawn from it with `Do`).
fn show<'d>(
    document: &'d lopdf::Document,
    content: &Content,
    fonts: &[&Fonts<'d>],
    resources: &[&'d lopdf::Dictionary],
    out: &mut String,
    depth: u32,
    cache: &mut FontCache<'d>,
) {
    let mut encoding = None;
    let mut cursor = Cursor::default();
    let number = |o: Option<&Object>| o.and_then(|o| o.as_float().ok()).unwrap_or(0.0);
    for operation in &content.operations {
        let operands = &operation.operands;
        match operation.operator.as_str() {
            "BT" => {
                // Text state (font, spacing, leading) outlives BT/ET.
                cursor = Cursor {
                    last: cursor.last,
                    size: cursor.size,
                    leading: cursor.leading,
                    char_spacing: cursor.char_spacing,
                    word_spacing: cursor.word_spacing,
                    ..Cursor::default()
                };
            }
            "Tf" => {
                encoding = operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .and_then(|name| fonts.iter().find_map(|f| f.get(name)));
                cursor.size = number(operands.get(1)).abs();
            }
            "TL" => cursor.leading = number(operands.first()),
            "Tc" => cursor.char_spacing = number(operands.first()),
            "Tw" => cursor.word_spacing = number(operands.first()),
            "Td" | "TD" => {
                let (tx, ty) = (number(operands.first()), number(operands.get(1)));
                if operation.operator == "TD" {
                    cursor.leading = -ty;
                }
                cursor.translate(tx, ty);
            }
            "Tm" => {
                cursor.a = number(operands.first());
                cursor.b = number(operands.get(1));
                cursor.c = number(operands.get(2));
                cursor.d = number(operands.get(3));
                cursor.line_x = number(operands.get(4));
                cursor.line_y = number(operands.get(5));
                cursor.x = cursor.line_x;
            }
            "T*" => cursor.translate(0.0, -cursor.leading),
            "Tj" | "TJ" | "'" | "\"" => {
                if matches!(operation.operator.as_str(), "'" | "\"") {
                    cursor.translate(0.0, -cursor.leading);
                }
                let shown = match operation.operator.as_str() {
                    "\"" => operands.get(2..).unwrap_or_default(),
                    _ => operands.as_slice(),
                };
                let Some(font) = encoding else {
                    continue;
                };
                let mut piece = String::new();
                let advance = collect(&mut piece, font, &cursor, shown);
                let size = cursor.scaled_size();
                if !piece.is_empty() {
                    if let Some((end_x, y)) = cursor.last {
                        let gap = cursor.x - end_x;
                        if (y - cursor.line_y).abs() > size * 0.5 {
                            if !out.ends_with('\n') {
                                out.push('\n');
                            }
                        } else if gap > size {
                            // Far apart on one baseline: table columns.
                            out.push('\t');
                        } else if gap > size * 0.15
                            && !out.ends_with(' ')
                            && !piece.starts_with(' ')
                        {
                            out.push(' ');
                        }
                    }
                    push_unligatured(out, &piece);
                }
                // Advance in user space along the text matrix's x axis.
                cursor.x += advance / 1000.0 * cursor.size * cursor.a;
                cursor.last = Some((cursor.x, cursor.line_y));
            }
            "Do" if depth < MAX_FORM_DEPTH => {
                let Some(name) = operands.first().and_then(|o| o.as_name().ok()) else {
                    continue;
                };
                let Some(form) = form_xobject(document, resources, name) else {
                    continue;
                };
                let Ok(bytes) = form.decompressed_content_with_limit(MAX_PAGE_CONTENT) else {
                    continue;
                };
                let Ok(inner) = Content::decode(&bytes) else {
                    continue;
                };
                // A form has its own resources; what it lacks it takes
                // from the page.
                let own = form
                    .dict
                    .get_deref(b"Resources", document)
                    .and_then(Object::as_dict)
                    .ok();
                let own_fonts = own
                    .map(|own| fonts_of(document, own, cache))
                    .unwrap_or_default();
                let mut inner_fonts = vec![&own_fonts];
                inner_fonts.extend_from_slice(fonts);
                let mut inner_resources = resources.to_vec();
                if let Some(own) = own {
                    inner_resources.insert(0, own);
                }
                // A form draws in its own coordinates: lines apart.
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                show(
                    document,
                    &inner,
                    &inner_fonts,
                    &inner_resources,
                    out,
                    depth + 1,
                    cache,
                );
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                cursor.last = None;
            }
            _ => {}
        }
    }
}

/// The form XObject named `name` in the first resources that define it
/// (image XObjects hold no text).
fn form_xobject<'d>(
    document: &'d lopdf::Document,
    resources: &[&'d lopdf::Dictionary],
    name: &[u8],
) -> Option<&'d lopdf::Stream> {
    resources.iter().find_map(|dict| {
        let xobjects = dict.get_deref(b"XObject", document).ok()?.as_dict().ok()?;
        let stream = xobjects.get_deref(name, document).ok()?.as_stream().ok()?;
        let subtype = stream.dict.get(b"Subtype").ok()?.as_name().ok()?;
        (subtype == b"Form").then_some(stream)
    })
}

/// Appends text with typographic ligatures spelt out (`ﬁle` is `file`), so
/// keywords match.
fn push_unligatured(out: &mut String, piece: &str) {
    for c in piece.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            other => out.push(other),
        }
    }
}

/// The text of a show's strings, and their advance in thousandths of the
/// font size; a wide negative kerning in a `TJ` array is a word space.
fn collect(out: &mut String, font: &FontText<'_>, cursor: &Cursor, operands: &[Object]) -> f32 {
    let mut advance = 0.0;
    for operand in operands {
        match operand {
            Object::String(bytes, _) => {
                font.decode(bytes, out);
                advance += font.metrics.advance(
                    bytes,
                    cursor.size,
                    cursor.char_spacing,
                    cursor.word_spacing,
                );
            }
            Object::Array(items) => {
                advance += collect(out, font, cursor, items);
            }
            Object::Integer(_) | Object::Real(_) => {
                let kerning = operand.as_float().unwrap_or(0.0);
                if kerning < -250.0 && !out.ends_with(' ') {
                    out.push(' ');
                }
                advance -= kerning;
            }
            _ => {}
        }
    }
    advance
}
