//! PDF, read with `lopdf`: the text of each page, marked with its page
//! number. Text is laid out from the content stream's positioning
//! operators and the fonts' glyph widths: shows that touch on one baseline
//! join (a word whose runs change font stays whole), a word-sized gap is a
//! space, a wider one a tab (table columns stay apart), a new baseline a
//! new line. Documents encrypted
//! with an empty user password (print or copy restrictions only) are
//! decrypted and read; others are reported as encrypted.
//!
//! Content streams are read by our own tokenizer ([`Ops`]) into one byte
//! arena, and each font remembers the text of the strings it has shown:
//! lopdf's object-per-operand parser and per-code ToUnicode lookups were
//! two thirds of PDF extraction time. Streams outside the plain grammar go
//! to lopdf's parser.

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
    let content = Ops::decode(&document.get_page_content_with_limit(page, MAX_PAGE_CONTENT)?)?;
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
    content: &Ops,
    fonts: &[&Fonts<'d>],
    resources: &[&'d lopdf::Dictionary],
    out: &mut String,
    depth: u32,
    cache: &mut FontCache<'d>,
) {
    let mut encoding = None;
    let mut cursor = Cursor::default();
    let mut start = 0;
    for (at, token) in content.tokens.iter().enumerate() {
        let Token::Operator(name_start, name_len) = *token else {
            continue;
        };
        let operands = &content.tokens[start..at];
        start = at + 1;
        let operator = content.bytes(name_start, name_len);
        let number = |n: usize| match operand(operands, n).and_then(|o| o.first()) {
            Some(Token::Number(value)) => *value,
            _ => 0.0,
        };
        let name = |n: usize| match operand(operands, n).and_then(|o| o.first()) {
            Some(Token::Name(start, len)) => Some(content.bytes(*start, *len)),
            _ => None,
        };
        match operator {
            b"BT" => {
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
            b"Tf" => {
                encoding = name(0).and_then(|name| fonts.iter().find_map(|f| f.get(name)));
                cursor.size = number(1).abs();
            }
            b"TL" => cursor.leading = number(0),
            b"Tc" => cursor.char_spacing = number(0),
            b"Tw" => cursor.word_spacing = number(0),
            b"Td" | b"TD" => {
                let (tx, ty) = (number(0), number(1));
                if operator == b"TD" {
                    cursor.leading = -ty;
                }
                cursor.translate(tx, ty);
            }
            b"Tm" => {
                cursor.a = number(0);
                cursor.b = number(1);
                cursor.c = number(2);
                cursor.d = number(3);
                cursor.line_x = number(4);
                cursor.line_y = number(5);
                cursor.x = cursor.line_x;
            }
            b"T*" => cursor.translate(0.0, -cursor.leading),
            b"Tj" | b"TJ" | b"'" | b"\"" => {
                if matches!(operator, b"'" | b"\"") {
                    cursor.translate(0.0, -cursor.leading);
                }
                let shown = match operator {
                    b"\"" => operand_from(operands, 2),
                    _ => operands,
                };
                let Some(font) = encoding else {
                    continue;
                };
                let mut piece = String::new();
                let advance = collect(&mut piece, font, &cursor, content, shown);
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
            b"Do" if depth < MAX_FORM_DEPTH => {
                let Some(name) = name(0) else {
                    continue;
                };
                let Some(form) = form_xobject(document, resources, name) else {
                    continue;
                };
                let Ok(bytes) = form.decompressed_content_with_limit(MAX_PAGE_CONTENT) else {
                    continue;
                };
                let Ok(inner) = Ops::decode(&bytes) else {
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
fn collect(
    out: &mut String,
    font: &FontText<'_>,
    cursor: &Cursor,
    content: &Ops,
    operands: &[Token],
) -> f32 {
    let mut advance = 0.0;
    // Array items in order, as if nested arrays were flat.
    for operand in operands {
        match *operand {
            Token::Str(start, len) => {
                let bytes = content.bytes(start, len);
                font.decode(bytes, out);
                advance += font.metrics.advance(
                    bytes,
                    cursor.size,
                    cursor.char_spacing,
                    cursor.word_spacing,
                );
            }
            Token::Number(kerning) => {
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

/// The tokens of the `n`th operand (0-based; an array is one operand).
fn operand(operands: &[Token], n: usize) -> Option<&[Token]> {
    let from = operand_from(operands, n);
    let len = match from.first()? {
        Token::Open => {
            let mut depth = 0usize;
            from.iter()
                .position(|t| {
                    match t {
                        Token::Open => depth += 1,
                        Token::Close => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(from.len(), |end| end + 1)
        }
        _ => 1,
    };
    Some(&from[..len])
}

/// The operands from the `n`th on.
fn operand_from(operands: &[Token], n: usize) -> &[Token] {
    let mut rest = operands;
    for _ in 0..n {
        let Some(first) = operand(rest, 0) else {
            return &[];
        };
        rest = &rest[first.len()..];
    }
    rest
}

/// A content stream's operations as tokens: operands, then their operator.
/// Strings, names and operators live in one byte arena, so a page of text
/// costs a few growing buffers, not an object per glyph run.
#[derive(Default)]
struct Ops {
    tokens: Vec<Token>,
    arena: Vec<u8>,
}

/// One token of a content stream. Arrays are their brackets around their
/// items; `Other` stands for what text layout never reads (booleans, null,
/// dictionaries, images).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Number(f32),
    Name(u32, u32),
    Str(u32, u32),
    Open,
    Close,
    Other,
    Operator(u32, u32),
}

impl Ops {
    /// The operations of a content stream: read by [`Ops::tokenize`] where
    /// the stream keeps to the plain grammar text producers write, else by
    /// `lopdf`'s parser (whose operations are the same where both read a
    /// stream; it stops, as lopdf does, at the first it cannot parse).
    fn decode(data: &[u8]) -> lopdf::Result<Self> {
        let mut ops = Self::default();
        if ops.tokenize(data).is_some() {
            return Ok(ops);
        }
        Ok(Self::from_content(&Content::decode(data)?))
    }

    fn bytes(&self, start: u32, len: u32) -> &[u8] {
        &self.arena[start as usize..(start + len) as usize]
    }

    fn keep(&mut self, bytes: &[u8]) -> (u32, u32) {
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(bytes);
        (start, bytes.len() as u32)
    }

    /// lopdf's operations as tokens.
    fn from_content(content: &Content) -> Self {
        fn push(ops: &mut Ops, object: &Object) {
            let token = match object {
                Object::Integer(_) | Object::Real(_) => {
                    Token::Number(object.as_float().unwrap_or(0.0))
                }
                Object::Name(name) => {
                    let (start, len) = ops.keep(name);
                    Token::Name(start, len)
                }
                Object::String(bytes, _) => {
                    let (start, len) = ops.keep(bytes);
                    Token::Str(start, len)
                }
                Object::Array(items) => {
                    ops.tokens.push(Token::Open);
                    for item in items {
                        push(ops, item);
                    }
                    Token::Close
                }
                _ => Token::Other,
            };
            ops.tokens.push(token);
        }
        let mut ops = Self::default();
        for operation in &content.operations {
            for operand in &operation.operands {
                push(&mut ops, operand);
            }
            let (start, len) = ops.keep(operation.operator.as_bytes());
            ops.tokens.push(Token::Operator(start, len));
        }
        ops
    }

    /// Reads a content stream that keeps to the grammar text producers
    /// write (numbers, names without `#` escapes, literal and hexadecimal
    /// strings, arrays, dictionaries of those, operators, comments between
    /// operations). None for anything else (inline images, references,
    /// stray delimiters), which lopdf's parser then reads.
    fn tokenize(&mut self, data: &[u8]) -> Option<()> {
        let white = |c: u8| b" \t\n\r\0\x0C".contains(&c);
        let delimiter = |c: u8| b"()<>[]{}/%".contains(&c);
        let mut i = 0;
        let mut depth = 0u32;
        // Tokens up to the last operator: operands with none after them are
        // dropped, as lopdf drops them.
        let mut complete = 0;
        loop {
            while i < data.len() && white(data[i]) {
                i += 1;
            }
            let Some(&c) = data.get(i) else {
                if depth > 0 {
                    return None;
                }
                self.tokens.truncate(complete);
                return Some(());
            };
            match c {
                b'%' if depth == 0 && self.tokens.len() == complete => {
                    // A comment before an operation, to its end of line.
                    let end = data[i..].iter().position(|&b| b == b'\r' || b == b'\n')?;
                    i += end;
                }
                b'[' => {
                    depth += 1;
                    if depth > 32 {
                        return None;
                    }
                    self.tokens.push(Token::Open);
                    i += 1;
                }
                b']' if depth > 0 => {
                    depth -= 1;
                    self.tokens.push(Token::Close);
                    i += 1;
                }
                b'(' => {
                    let start = self.arena.len() as u32;
                    i = literal_string(data, i + 1, &mut self.arena, 0)?;
                    let len = self.arena.len() as u32 - start;
                    self.tokens.push(Token::Str(start, len));
                }
                // A dictionary (marked content's properties): passed over.
                b'<' if data.get(i + 1) == Some(&b'<') => {
                    i = skip_dictionary(data, i + 2, 0)?;
                    self.tokens.push(Token::Other);
                }
                b'<' => {
                    let start = self.arena.len() as u32;
                    i = hex_string(data, i + 1, &mut self.arena)?;
                    let len = self.arena.len() as u32 - start;
                    self.tokens.push(Token::Str(start, len));
                }
                b'/' => {
                    let run = data[i + 1..]
                        .iter()
                        .position(|&b| white(b) || delimiter(b) || b == b'#')
                        .unwrap_or(data.len() - i - 1);
                    if data.get(i + 1 + run) == Some(&b'#') {
                        return None;
                    }
                    let (start, len) = self.keep(&data[i + 1..i + 1 + run]);
                    self.tokens.push(Token::Name(start, len));
                    i += 1 + run;
                }
                b'0'..=b'9' | b'+' | b'-' | b'.' => {
                    let (value, end) = number(data, i)?;
                    self.tokens.push(Token::Number(value));
                    i = end;
                }
                c if c.is_ascii_alphabetic() || b"*'\"".contains(&c) => {
                    let run = data[i..]
                        .iter()
                        .position(|&b| !(b.is_ascii_alphanumeric() || b"*'\"".contains(&b)))
                        .unwrap_or(data.len() - i);
                    let word = &data[i..i + run];
                    i += run;
                    if matches!(word, b"true" | b"false" | b"null") {
                        self.tokens.push(Token::Other);
                        continue;
                    }
                    // Inline images hold binary data; an operator inside an
                    // array, or one lopdf would read as a keyword, is not
                    // the plain grammar.
                    if depth > 0
                        || matches!(word, b"BI" | b"ID" | b"EI")
                        || word.starts_with(b"true")
                        || word.starts_with(b"false")
                        || word.starts_with(b"null")
                    {
                        return None;
                    }
                    let (start, len) = self.keep(word);
                    self.tokens.push(Token::Operator(start, len));
                    complete = self.tokens.len();
                }
                _ => return None,
            }
        }
    }
}

/// White space and comments from `i`: the index after them (None for a
/// comment that does not end its line).
fn skip_space(data: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match data.get(i) {
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0C') => i += 1,
            Some(b'%') => {
                i += data[i..].iter().position(|&b| b == b'\r' || b == b'\n')?;
            }
            _ => return Some(i),
        }
    }
}

/// A name's end, from just after its `/` (None for `#` escapes).
fn skip_name(data: &[u8], i: usize) -> Option<usize> {
    let run = data[i..]
        .iter()
        .position(|&b| b" \t\n\r\0\x0C()<>[]{}/%#".contains(&b))
        .unwrap_or(data.len() - i);
    (data.get(i + run) != Some(&b'#')).then_some(i + run)
}

/// A dictionary's end, from just after its `<<`: names as keys, values
/// numbers, names, strings, booleans, null, arrays and dictionaries of
/// those. None for anything else (references among them), which lopdf
/// then reads.
fn skip_dictionary(data: &[u8], mut i: usize, depth: u32) -> Option<usize> {
    if depth > 8 {
        return None;
    }
    loop {
        i = skip_space(data, i)?;
        if data[i..].starts_with(b">>") {
            return Some(i + 2);
        }
        if data.get(i) != Some(&b'/') {
            return None;
        }
        i = skip_name(data, i + 1)?;
        i = skip_space(data, i)?;
        i = skip_value(data, i, depth)?;
    }
}

/// A dictionary value's end (see [`skip_dictionary`]).
fn skip_value(data: &[u8], i: usize, depth: u32) -> Option<usize> {
    let mut scratch = Vec::new();
    match *data.get(i)? {
        b'/' => skip_name(data, i + 1),
        b'(' => literal_string(data, i + 1, &mut scratch, 0),
        b'<' if data.get(i + 1) == Some(&b'<') => skip_dictionary(data, i + 2, depth + 1),
        b'<' => hex_string(data, i + 1, &mut scratch),
        b'[' => {
            let mut i = i + 1;
            loop {
                i = skip_space(data, i)?;
                if data.get(i) == Some(&b']') {
                    return Some(i + 1);
                }
                i = skip_value(data, i, depth + 1)?;
            }
        }
        b'0'..=b'9' | b'+' | b'-' | b'.' => number(data, i).map(|(_, end)| end),
        b't' | b'f' | b'n' => {
            let word = [&b"true"[..], b"false", b"null"]
                .into_iter()
                .find(|word| data[i..].starts_with(word))?;
            let end = i + word.len();
            // `truex` is not the plain grammar.
            match data.get(end) {
                Some(c) if c.is_ascii_alphanumeric() => None,
                _ => Some(end),
            }
        }
        _ => None,
    }
}

/// A literal string's bytes from just after its `(` (escapes, line ends as
/// `\n`, balanced parentheses kept), appended to `out`; the index after
/// its `)`.
fn literal_string(data: &[u8], mut i: usize, out: &mut Vec<u8>, depth: u32) -> Option<usize> {
    if depth > 16 {
        return None;
    }
    loop {
        match *data.get(i)? {
            b')' => return Some(i + 1),
            b'(' => {
                out.push(b'(');
                i = literal_string(data, i + 1, out, depth + 1)?;
                out.push(b')');
            }
            b'\r' | b'\n' => {
                i += if data[i..].starts_with(b"\r\n") { 2 } else { 1 };
                out.push(b'\n');
            }
            b'\\' => {
                let c = *data.get(i + 1)?;
                i += 2;
                match c {
                    b'0'..=b'7' => {
                        let mut value = u16::from(c - b'0');
                        for _ in 0..2 {
                            match data.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    value = value * 8 + u16::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        // Overflow is ignored, as the specification says.
                        out.push(value as u8);
                    }
                    b'\r' => {
                        if data.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0C),
                    other => out.push(other),
                }
            }
            _ => {
                let run = data[i..]
                    .iter()
                    .position(|b| b"()\\\r\n".contains(b))
                    .unwrap_or(data.len() - i);
                out.extend_from_slice(&data[i..i + run]);
                i += run;
            }
        }
    }
}

/// A hexadecimal string's bytes from just after its `<` (white space
/// between digits skipped, an odd last digit its byte's high half),
/// appended to `out`; the index after its `>`.
fn hex_string(data: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let mut high = true;
    loop {
        while i < data.len() && b" \t\n\r\0\x0C".contains(&data[i]) {
            i += 1;
        }
        let c = *data.get(i)?;
        if c == b'>' {
            return Some(i + 1);
        }
        let digit = (c as char).to_digit(16)? as u8;
        if high {
            out.push(digit << 4);
        } else if let Some(last) = out.last_mut() {
            *last |= digit;
        }
        high = !high;
        i += 1;
    }
}

/// A number at `i`, read as lopdf reads one: a real (`1.5`, `-.5`, `3.`)
/// or else an integer, as the f32 a layout uses; and the index after it.
fn number(data: &[u8], start: usize) -> Option<(f32, usize)> {
    let digits = |from: usize| {
        data[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = start;
    if matches!(data.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let whole = digits(i);
    let real = if whole > 0 && data.get(i + whole) == Some(&b'.') {
        Some(i + whole + 1 + digits(i + whole + 1))
    } else if whole == 0 && data.get(i) == Some(&b'.') && digits(i + 1) > 0 {
        Some(i + 1 + digits(i + 1))
    } else {
        None
    };
    if let Some(end) = real {
        // lopdf ignores a minus sign inside the fraction; such producers
        // are rare enough to leave to it.
        if data.get(end) == Some(&b'-') {
            return None;
        }
        let value: f32 = std::str::from_utf8(&data[start..end]).ok()?.parse().ok()?;
        return Some((value, end));
    }
    if whole == 0 {
        return None;
    }
    let value: i64 = std::str::from_utf8(&data[start..i + whole])
        .ok()?
        .parse()
        .ok()?;
    Some((value as f32, i + whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens of lopdf's parse of a content stream.
    fn lopdf_tokens(data: &[u8]) -> Vec<(Token, Vec<u8>)> {
        let ops = Ops::from_content(&Content::decode(data).unwrap());
        listed(&ops)
    }

    fn listed(ops: &Ops) -> Vec<(Token, Vec<u8>)> {
        ops.tokens
            .iter()
            .map(|t| match *t {
                Token::Name(s, l) => (Token::Name(0, 0), ops.bytes(s, l).to_vec()),
                Token::Str(s, l) => (Token::Str(0, 0), ops.bytes(s, l).to_vec()),
                Token::Operator(s, l) => (Token::Operator(0, 0), ops.bytes(s, l).to_vec()),
                other => (other, Vec::new()),
            })
            .collect()
    }

    #[test]
    fn content_streams_read_as_lopdf_reads_them() {
        let streams: &[&[u8]] = &[
            b"BT /F1 11 Tf 90.1 709.8 Td [<0102>5<0304>-6<05 0 6>-300<7>]TJ ET",
            b"  q 1 0 0 1 72 720 cm BT/F2 12.5 Tf(Hello \\(world\\) \\101\\1010\\7 \\n\\\\)Tj T* ET Q",
            b"BT 0 Tc 0 Tw 14 TL (line\r\nbreak\rand\\\r\nmore (nested (deep)) x)' 1 2 (q)\" ET",
            b"% a comment\nBT /F1 1 Tf -.5 +3. 4.25 -7 TD [(a) -250 (b)] TJ ET\n%last\n",
            b"/Fm1 Do true false null n 1 0 0 1 0 0 Tm",
            b"BT (a) Tj 5 6",
            b"BT /F1 1 Tf (x)Tj(y)Tj[]TJ ET",
            b"/P <</MCID 0>> BDC BT (a) Tj ET EMC /Span<</ActualText (x\\)y) /Lang/en-US>>BDC EMC",
            b"/Artifact <</Type /Pagination /Subtype /Header /Attached [/Top] /BBox [0 0.5 -1 +2.]>> BDC EMC",
            b"/OC <</A <</B true /C null /D false>> /E <01 ab> % note\n /F [[1] (s)]>> BDC EMC",
        ];
        for stream in streams {
            let mut ours = Ops::default();
            assert!(
                ours.tokenize(stream).is_some(),
                "{}",
                String::from_utf8_lossy(stream)
            );
            assert_eq!(
                listed(&ours),
                lopdf_tokens(stream),
                "{}",
                String::from_utf8_lossy(stream)
            );
        }
        // Outside the plain grammar, lopdf reads the stream.
        for stream in [
            &b"/P <</MCID 0 1 R>> BDC (a) Tj EMC"[..],
            b"/P <</A#20B 1>> BDC EMC",
            b"/P <</A truex>> BDC EMC",
            b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI",
            b"1 % inside\n 2 Td",
            b"/A#20B Do",
            b"0.00-4142502 Tc",
        ] {
            let mut ours = Ops::default();
            assert!(
                ours.tokenize(stream).is_none(),
                "{}",
                String::from_utf8_lossy(stream)
            );
            let decoded = Ops::decode(stream).unwrap();
            assert_eq!(listed(&decoded), lopdf_tokens(stream));
        }
    }

    #[test]
    fn operands_count_an_array_as_one() {
        let mut ops = Ops::default();
        ops.tokenize(b"[(a) [1] 2] 7 (b) \"").unwrap();
        let operands = &ops.tokens[..ops.tokens.len() - 1];
        assert_eq!(operand(operands, 1), Some(&[Token::Number(7.0)][..]));
        assert_eq!(operand(operands, 0).map(<[Token]>::len), Some(7));
        assert!(matches!(operand_from(operands, 2), [Token::Str(..)]));
        assert_eq!(operand(operands, 3), None);
    }
}
