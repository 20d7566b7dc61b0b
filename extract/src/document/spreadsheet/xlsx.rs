//! Excel workbooks (xlsx, xlsm; ECMA-376 SpreadsheetML), streamed cell by
//! cell from each sheet's XML with the [`markup`](super::markup) tokenizer.
//! calamine's streaming reader cost about 6,800 instructions a cell (a
//! quick-xml event copied into a buffer per element, a `String` per inline
//! string): three times the cost of classifying the cells' text.
//!
//! Cells are read as calamine reads them, so reports do not depend on the
//! reader: the same shared and inline strings (rich-text runs joined,
//! phonetic runs left out, `_xHHHH_` escapes decoded, text trimmed unless
//! `xml:space="preserve"`), the same numbers, booleans and errors, dates
//! where the cell's number format is a date format (its `cellXfs` entry, a
//! built-in or custom format), and the same positions. A test compares the
//! two on files openpyxl and LibreOffice write. Where calamine refuses a
//! whole sheet for one malformed value (a boolean that is neither 0 nor 1,
//! an unknown cell type, a string index past the table), the value is read
//! here as text, or left out, and the sheet goes on.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::str::FromStr;

use calamine::{CellErrorType, Data, ExcelDateTime, ExcelDateTimeType};

use super::markup::{Markup, MarkupError, Token, cdata_into, decode, local, unescape_into};
use super::{Cell, DAYS_1900_TO_1904, Rows};
use crate::document::{DocumentError, Format, Text};

/// The most bytes of shared strings held: they are kept for the whole
/// workbook, as every sheet may refer to any of them.
const SHARED_TEXT: usize = 512 << 20;

pub(super) fn extract<R: Read + Seek>(
    mut input: R,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    let mut zip = match zip::ZipArchive::new(&mut input) {
        Ok(zip) => zip,
        Err(error) => {
            return Err(if encrypted(&mut input) {
                DocumentError::Encrypted {
                    format: Format::Spreadsheet.name(),
                }
            } else {
                DocumentError::corrupt(
                    Format::Spreadsheet,
                    format!("not a readable zip archive: {error}"),
                )
            });
        }
    };
    let mut book = Book::read(&mut zip)?;
    let sheets = std::mem::take(&mut book.sheets);
    let mut reading = Reading::default();
    for (name, path) in sheets {
        text.check_time()?;
        let Some(mut markup) = book.parts.markup(&mut zip, &path)? else {
            return Err(corrupt(
                &path,
                "the workbook names this sheet, which it does not hold",
            ));
        };
        reading
            .sheet(&book, &mut markup, &name, text)
            .map_err(|error| error.at(&path))?;
    }
    Ok(())
}

/// Whether the file is an Office document encrypted with a password: a
/// compound file holding an `EncryptedPackage` stream ([MS-OFFCRYPTO]).
fn encrypted<R: Read + Seek>(input: &mut R) -> bool {
    if input.seek(std::io::SeekFrom::Start(0)).is_err() {
        return false;
    }
    cfb::CompoundFile::open(input).is_ok_and(|file| file.exists("EncryptedPackage"))
}

fn corrupt(part: &str, error: impl std::fmt::Display) -> DocumentError {
    DocumentError::corrupt(Format::Spreadsheet, format!("{part}: {error}"))
}

/// What the workbook says before its sheets are read.
struct Book {
    parts: Parts,
    /// The shared strings table (`sharedStrings.xml`).
    strings: Vec<String>,
    /// The kind of number format of each cell style (`cellXfs`).
    formats: Vec<NumberKind>,
    /// Serial dates count from 1904 (`workbookPr date1904`).
    is_1904: bool,
    /// Each sheet's name and part, in the workbook's order.
    sheets: Vec<(String, String)>,
}

impl Book {
    fn read<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<Self, DocumentError> {
        let parts = Parts::new(zip);
        let mut book = Book {
            parts,
            strings: Vec::new(),
            formats: Vec::new(),
            is_1904: false,
            sheets: Vec::new(),
        };
        // The workbook's part, from the package's relationships.
        let (mut folder, mut workbook) = ("xl/".to_string(), "workbook.xml".to_string());
        if let Some(target) = book
            .relationships(zip, "_rels/.rels")?
            .into_values()
            .find_map(|(target, kind)| {
                kind.ends_with("/relationships/officeDocument")
                    .then_some(target)
            })
        {
            let (dir, name) = target.split_at(target.rfind('/').map_or(0, |i| i + 1));
            folder = dir.strip_prefix('/').unwrap_or(dir).to_string();
            if !name.is_empty() {
                workbook = name.to_string();
            }
        }
        book.read_strings(zip, &format!("{folder}sharedStrings.xml"))?;
        book.read_formats(zip, &format!("{folder}styles.xml"))?;
        let rels = format!("{folder}_rels/{workbook}.rels");
        if book.parts.name(&rels).is_none() {
            return Err(corrupt(&rels, "missing"));
        }
        let relationships = book.relationships(zip, &rels)?;
        book.read_workbook(zip, &format!("{folder}{workbook}"), &folder, &relationships)?;
        Ok(book)
    }

    /// A relationships part: each `Id`'s target and type.
    fn relationships<R: Read + Seek>(
        &self,
        zip: &mut zip::ZipArchive<R>,
        path: &str,
    ) -> Result<HashMap<String, (String, String)>, DocumentError> {
        let mut found = HashMap::new();
        let Some(mut markup) = self.parts.markup(zip, path)? else {
            return Ok(found);
        };
        let read = (|| {
            while let Some(token) = markup.next()? {
                if let Token::Start(tag) = token
                    && tag.name == b"Relationship"
                    && let Some(id) = tag.attribute(b"Id")
                {
                    let value = |key: &[u8]| decode(tag.attribute(key).unwrap_or_default());
                    found.insert(decode(id)?, (value(b"Target")?, value(b"Type")?));
                }
            }
            Ok(())
        })();
        read.map_err(|error: MarkupError| corrupt(path, error))?;
        Ok(found)
    }

    fn read_strings<R: Read + Seek>(
        &mut self,
        zip: &mut zip::ZipArchive<R>,
        path: &str,
    ) -> Result<(), DocumentError> {
        let Some(mut markup) = self.parts.markup(zip, path)? else {
            return Ok(());
        };
        let mut scratch = Scratch::default();
        let mut held = 0usize;
        let read = (|| {
            while let Some(token) = markup.next()? {
                let Token::Start(tag) = token else { continue };
                if tag.name != b"si" {
                    continue;
                }
                let mut value = String::new();
                if !tag.empty {
                    scratch.rich(&mut markup, b"si", &mut value)?;
                }
                held = held.saturating_add(value.len() + 24);
                if held > SHARED_TEXT {
                    return Err(ReadError::TooManySharedStrings);
                }
                self.strings.push(value);
            }
            Ok(())
        })();
        read.map_err(|error| error.at(path))
    }

    /// Each cell style's kind of number format: `cellXfs`' `numFmtId`,
    /// looked up among the part's own formats, then the built-in ones.
    fn read_formats<R: Read + Seek>(
        &mut self,
        zip: &mut zip::ZipArchive<R>,
        path: &str,
    ) -> Result<(), DocumentError> {
        let Some(mut markup) = self.parts.markup(zip, path)? else {
            return Ok(());
        };
        let mut codes: HashMap<Vec<u8>, String> = HashMap::new();
        let mut in_cell_styles = false;
        let read = (|| {
            while let Some(token) = markup.next()? {
                match token {
                    Token::Start(tag) if tag.name == b"numFmt" => {
                        if let (Some(id), Some(code)) =
                            (tag.attribute(b"numFmtId"), tag.attribute(b"formatCode"))
                        {
                            codes.insert(id.to_vec(), decode(code)?);
                        }
                    }
                    Token::Start(tag) if tag.name == b"cellXfs" => in_cell_styles = !tag.empty,
                    Token::End(end) if local(end) == b"cellXfs" => in_cell_styles = false,
                    Token::Start(tag) if in_cell_styles && tag.name == b"xf" => {
                        self.formats.push(match tag.attribute(b"numFmtId") {
                            None => NumberKind::Other,
                            Some(id) => match codes.get(id) {
                                Some(code) => NumberKind::of_code(code),
                                None => NumberKind::built_in(id),
                            },
                        });
                    }
                    _ => {}
                }
            }
            Ok(())
        })();
        read.map_err(|error: MarkupError| corrupt(path, error))
    }

    fn read_workbook<R: Read + Seek>(
        &mut self,
        zip: &mut zip::ZipArchive<R>,
        path: &str,
        folder: &str,
        relationships: &HashMap<String, (String, String)>,
    ) -> Result<(), DocumentError> {
        let Some(mut markup) = self.parts.markup(zip, path)? else {
            return Ok(());
        };
        let mut sheets = Vec::new();
        let mut is_1904 = false;
        let read = (|| {
            while let Some(token) = markup.next()? {
                let Token::Start(tag) = token else { continue };
                match tag.name {
                    b"sheet" => {
                        let name = decode(tag.attribute(b"name").unwrap_or_default())?;
                        let id = decode(tag.local_attribute(b"id").unwrap_or_default())?;
                        let Some((target, _)) = relationships.get(&id) else {
                            return Err(ReadError::Structure(format!(
                                "sheet {name:?} has no relationship {id:?}"
                            )));
                        };
                        let part = match target.strip_prefix('/') {
                            Some(absolute) => absolute.to_string(),
                            None => format!("{folder}{target}"),
                        };
                        sheets.push((name, part));
                    }
                    b"workbookPr" => {
                        if let Some(v) = tag.attribute(b"date1904") {
                            is_1904 = v == b"1" || v == b"true";
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        })();
        read.map_err(|error| error.at(path))?;
        self.sheets = sheets;
        self.is_1904 = is_1904;
        Ok(())
    }
}

/// The zip's parts by name, found as calamine finds them: case aside, and
/// `\` read as `/`.
struct Parts(HashMap<String, String>);

impl Parts {
    fn new<R: Read + Seek>(zip: &zip::ZipArchive<R>) -> Self {
        Self(
            zip.file_names()
                .map(|name| {
                    (
                        name.replace('\\', "/").to_ascii_lowercase(),
                        name.to_string(),
                    )
                })
                .collect(),
        )
    }

    fn name(&self, path: &str) -> Option<&str> {
        self.0.get(&path.to_ascii_lowercase()).map(String::as_str)
    }

    /// A part's tokens, if the zip holds it.
    fn markup<'z, R: Read + Seek>(
        &self,
        zip: &'z mut zip::ZipArchive<R>,
        path: &str,
    ) -> Result<Option<Markup<zip::read::ZipFile<'z, R>>>, DocumentError> {
        Ok(self.open(zip, path)?.map(Markup::new))
    }

    fn open<'z, R: Read + Seek>(
        &self,
        zip: &'z mut zip::ZipArchive<R>,
        path: &str,
    ) -> Result<Option<zip::read::ZipFile<'z, R>>, DocumentError> {
        let Some(name) = self.name(path) else {
            return Ok(None);
        };
        zip.by_name(name)
            .map(Some)
            .map_err(|error| corrupt(path, error))
    }
}

/// What a number format makes of a cell's number.
#[derive(Clone, Copy, Debug, PartialEq)]
enum NumberKind {
    Date,
    Duration,
    Other,
}

impl NumberKind {
    /// ECMA-376 18.8.30's built-in formats: 14-22 and 45-47 are dates and
    /// times (46, `[h]:mm:ss`, a duration), 27-36 and 50-58 the East Asian
    /// dates.
    fn built_in(id: &[u8]) -> Self {
        match id {
            b"46" => Self::Duration,
            b"14" | b"15" | b"16" | b"17" | b"18" | b"19" | b"20" | b"21" | b"22" | b"45"
            | b"47" | b"27" | b"28" | b"29" | b"30" | b"31" | b"32" | b"33" | b"34" | b"35"
            | b"36" | b"50" | b"51" | b"52" | b"53" | b"54" | b"55" | b"56" | b"57" | b"58" => {
                Self::Date
            }
            _ => Self::Other,
        }
    }

    /// A custom format code's kind, decided as calamine decides it: by its
    /// first section, outside quotes, escapes and brackets, a date or time
    /// letter (`d m y h s`, or `m`/`p`/`/` after an `a` of AM/PM) makes it a
    /// date, and an elapsed-time bracket (`[h]`, `[mm]`) a duration.
    fn of_code(code: &str) -> Self {
        let (mut escaped, mut quoted, mut elapsed, mut am_pm) = (false, false, false, false);
        let mut brackets = 0u8;
        let mut previous = ' ';
        for c in code.chars() {
            match (c, escaped, quoted, am_pm, brackets) {
                (_, true, ..) => escaped = false,
                ('_' | '\\' | '*', ..) => escaped = true,
                ('"', _, true, ..) => quoted = false,
                (_, _, true, ..) => {}
                ('"', ..) => quoted = true,
                (';', ..) => return Self::Other,
                ('[', ..) => brackets = brackets.saturating_add(1),
                (']', .., 1) if elapsed => return Self::Duration,
                (']', ..) => brackets = brackets.saturating_sub(1),
                ('a' | 'A', _, _, false, 0) => am_pm = true,
                ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return Self::Date,
                ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                    return Self::Date;
                }
                _ => {
                    if !(elapsed && c.eq_ignore_ascii_case(&previous)) {
                        elapsed = previous == '[' && matches!(c, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                    }
                }
            }
            previous = c;
        }
        Self::Other
    }
}

/// Why a part could not be read: its markup, or what the markup says.
#[derive(Debug)]
enum ReadError {
    Markup(MarkupError),
    Structure(String),
    /// More than [`SHARED_TEXT`] of shared strings.
    TooManySharedStrings,
    Document(DocumentError),
}

impl From<MarkupError> for ReadError {
    fn from(error: MarkupError) -> Self {
        Self::Markup(error)
    }
}

impl From<DocumentError> for ReadError {
    fn from(error: DocumentError) -> Self {
        Self::Document(error)
    }
}

impl ReadError {
    fn at(self, part: &str) -> DocumentError {
        match self {
            Self::Markup(error) => corrupt(part, error),
            Self::Structure(what) => corrupt(part, what),
            Self::TooManySharedStrings => corrupt(
                part,
                format!("more than {} MiB of shared strings", SHARED_TEXT >> 20),
            ),
            Self::Document(error) => error,
        }
    }
}

/// Buffers reused from value to value.
#[derive(Default)]
struct Scratch {
    /// The text of the element read last.
    run: String,
}

impl Scratch {
    /// A string element's text (`<si>`, `<is>`) up to its end tag
    /// `closing`: its `<t>` texts joined, phonetic runs (`<rPh>`) left out.
    fn rich<R: Read>(
        &mut self,
        markup: &mut Markup<R>,
        closing: &[u8],
        out: &mut String,
    ) -> Result<(), ReadError> {
        let mut phonetic = false;
        loop {
            match markup.next()? {
                Some(Token::Start(tag)) if tag.name == b"rPh" => phonetic = !tag.empty,
                Some(Token::End(end)) if local(end) == b"rPh" => phonetic = false,
                Some(Token::Start(tag)) if tag.name == b"t" && !phonetic => {
                    let preserve = tag.attribute(b"xml:space") == Some(b"preserve");
                    if !tag.empty {
                        self.text(markup, b"t")?;
                        let run = if preserve {
                            self.run.as_str()
                        } else {
                            trim_xml_space(&self.run)
                        };
                        unescape_excel(run, out);
                    }
                }
                Some(Token::End(end)) if local(end) == closing => return Ok(()),
                Some(_) => {}
                None => return Err(ReadError::Structure("the part ends inside a string".into())),
            }
        }
    }

    /// An element's text, entities decoded, into `self.run`, up to its end
    /// tag `closing`. Invalid UTF-8 is replaced.
    fn text<R: Read>(&mut self, markup: &mut Markup<R>, closing: &[u8]) -> Result<(), ReadError> {
        let mut raw = std::mem::take(&mut self.run).into_bytes();
        raw.clear();
        loop {
            match markup.next()? {
                Some(Token::Text(text)) => unescape_into(text, &mut raw)?,
                Some(Token::CData(text)) => cdata_into(text, &mut raw),
                Some(Token::End(end)) if local(end) == closing => break,
                Some(_) => {}
                None => return Err(ReadError::Structure("the part ends inside a value".into())),
            }
        }
        self.run = match String::from_utf8(raw) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        };
        Ok(())
    }
}

/// `text` without the XML white space (space, tab, line ends) around it;
/// other spaces, such as U+00A0, stay.
fn trim_xml_space(text: &str) -> &str {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|b| !space(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |i| i + 1);
    // Both ends are next to ASCII bytes, so on character boundaries.
    text.get(start..end).unwrap_or_default()
}

/// Appends `text` with Excel's `_xHHHH_` escapes decoded (a UTF-16 code
/// unit each, a surrogate pair for characters past the BMP; `_x005F_`
/// escapes the `_` of a literal `_x…_`).
fn unescape_excel(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let unit_at = |i: usize| -> Option<u16> {
        let b = bytes.get(i..i + 7)?;
        if b[0] != b'_'
            || b[1] != b'x'
            || b[6] != b'_'
            || !b[2..6].iter().all(u8::is_ascii_hexdigit)
        {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&b[2..6]).ok()?, 16).ok()
    };
    let mut copied = 0;
    let mut from = 0;
    while let Some(offset) = memchr::memchr(b'_', &bytes[from..]) {
        let at = from + offset;
        let Some(unit) = unit_at(at) else {
            from = at + 1;
            continue;
        };
        out.push_str(&text[copied..at]);
        let mut next = at + 7;
        let c = match unit {
            0xD800..=0xDBFF => match unit_at(next) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    next += 7;
                    char::from_u32(
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00),
                    )
                }
                _ => None,
            },
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(u32::from(unit)),
        };
        out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
        copied = next;
        from = next;
    }
    out.push_str(&text[copied..]);
}

/// A cell's type (`t`).
#[derive(Clone, Copy, PartialEq)]
enum CellType {
    Number,
    Shared,
    Bool,
    Error,
    Formula,
    Date,
    Inline,
    Unknown,
}

impl CellType {
    fn of(t: Option<&[u8]>) -> Self {
        match t {
            None | Some(b"n") => Self::Number,
            Some(b"s") => Self::Shared,
            Some(b"b") => Self::Bool,
            Some(b"e") => Self::Error,
            Some(b"str") => Self::Formula,
            Some(b"d") => Self::Date,
            Some(b"inlineStr" | b"is") => Self::Inline,
            Some(_) => Self::Unknown,
        }
    }
}

/// A cell's value as read: a shared string (by index), text held in
/// [`Reading::value`], or another value.
enum Value {
    Empty,
    Shared(usize),
    Text,
    Other(Data),
}

/// An element inside a cell.
enum Child {
    /// `<is>`, an inline string.
    Inline,
    /// `<v>`, the value.
    Value,
    /// `<f>`, the formula.
    Formula,
    Other(Vec<u8>),
}

/// The state of reading sheets, reused from cell to cell.
#[derive(Default)]
struct Reading {
    scratch: Scratch,
    /// A cell's text value.
    value: String,
}

impl Reading {
    fn sheet<R: Read>(
        &mut self,
        book: &Book,
        markup: &mut Markup<R>,
        name: &str,
        text: &mut Text<'_>,
    ) -> Result<(), ReadError> {
        // A sheet without `<sheetData>` (a chart sheet) holds no cells.
        loop {
            match markup.next()? {
                Some(Token::Start(tag)) if tag.name == b"sheetData" => {
                    if tag.empty {
                        return Ok(());
                    }
                    break;
                }
                Some(_) => {}
                None => return Ok(()),
            }
        }
        let mut rows = Rows::new(name);
        let (mut row, mut column) = (0u32, 0u32);
        loop {
            if markup.lap() {
                text.check_time()?;
            }
            match markup.next()? {
                Some(Token::Start(tag)) if tag.name == b"row" => {
                    if let Some(r) = tag.attribute(b"r") {
                        row = reference(r, false)?.0;
                    }
                    if tag.empty {
                        row = row.saturating_add(1);
                        column = 0;
                    }
                }
                Some(Token::End(end)) if local(end) == b"row" => {
                    row = row.saturating_add(1);
                    column = 0;
                }
                Some(Token::Start(tag)) if tag.name == b"c" => {
                    let (mut r, mut t, mut s) = (None, None, None);
                    for (key, value) in tag.attributes() {
                        match key {
                            b"r" => r = Some(value),
                            b"t" => t = Some(value),
                            b"s" => s = Some(value),
                            _ => {}
                        }
                    }
                    let (at_row, at_column) = match r {
                        Some(r) => reference(r, true)?,
                        None => (row, column),
                    };
                    column = at_column.saturating_add(1);
                    let kind = CellType::of(t);
                    let format = match s {
                        Some(s) => book.formats.get(parse_index(s)).copied(),
                        None => Some(NumberKind::Other),
                    };
                    let value = if tag.empty {
                        Value::Empty
                    } else {
                        self.cell(book, markup, kind, format)?
                    };
                    let cell = match value {
                        Value::Empty => continue,
                        Value::Shared(i) => Cell::Text(&book.strings[i]),
                        Value::Text => Cell::Text(&self.value),
                        Value::Other(data) => Cell::Other(data),
                    };
                    rows.cell(at_row, at_column, cell, text)?;
                }
                Some(Token::End(end)) if local(end) == b"sheetData" => break,
                Some(_) => {}
                None => {
                    return Err(ReadError::Structure(
                        "the sheet ends inside its data".into(),
                    ));
                }
            }
        }
        rows.finish(text)?;
        Ok(())
    }

    /// A cell's value, from its content up to `</c>`: the last of its
    /// `<v>`, `<is>` and `<f>` (a formula alone has no value).
    fn cell<R: Read>(
        &mut self,
        book: &Book,
        markup: &mut Markup<R>,
        kind: CellType,
        format: Option<NumberKind>,
    ) -> Result<Value, ReadError> {
        let mut value = Value::Empty;
        loop {
            let tag = match markup.next()? {
                Some(Token::Start(tag)) => tag,
                Some(Token::End(end)) if local(end) == b"c" => return Ok(value),
                Some(_) => continue,
                None => return Err(ReadError::Structure("the sheet ends inside a cell".into())),
            };
            let empty = tag.empty;
            let child = match tag.name {
                b"is" => Child::Inline,
                b"v" => Child::Value,
                b"f" => Child::Formula,
                other => Child::Other(other.to_vec()),
            };
            value = match child {
                Child::Inline => {
                    self.value.clear();
                    if !empty {
                        self.scratch.rich(markup, b"is", &mut self.value)?;
                    }
                    Value::Text
                }
                Child::Value if kind == CellType::Inline => {
                    skip(markup, b"v", empty)?;
                    Value::Empty
                }
                Child::Value => {
                    if empty {
                        self.scratch.run.clear();
                    } else {
                        self.scratch.text(markup, b"v")?;
                    }
                    self.typed(book, kind, format)
                }
                Child::Formula => {
                    skip(markup, b"f", empty)?;
                    Value::Empty
                }
                // Not a value: left as it is.
                Child::Other(name) => {
                    skip(markup, &name, empty)?;
                    value
                }
            };
        }
    }

    /// A `<v>`'s text (in `self.scratch.run`) as its cell type reads it.
    fn typed(&mut self, book: &Book, kind: CellType, format: Option<NumberKind>) -> Value {
        let v = self.scratch.run.as_str();
        let text = |value: &mut String, s: &str| {
            value.clear();
            value.push_str(s);
            Value::Text
        };
        match kind {
            CellType::Number | CellType::Shared | CellType::Bool | CellType::Error
                if v.is_empty() =>
            {
                Value::Empty
            }
            CellType::Number => match v.parse::<f64>() {
                Ok(n) => Value::Other(match format {
                    // A 1904-system serial counts 1,462 days fewer to the
                    // same date: it is written as its 1900-system serial,
                    // which the sheet writer reads as a date.
                    Some(NumberKind::Date) if book.is_1904 => Data::DateTime(ExcelDateTime::new(
                        n + DAYS_1900_TO_1904,
                        ExcelDateTimeType::DateTime,
                        false,
                    )),
                    Some(NumberKind::Date) => {
                        Data::DateTime(ExcelDateTime::new(n, ExcelDateTimeType::DateTime, false))
                    }
                    Some(NumberKind::Duration) => Data::DateTime(ExcelDateTime::new(
                        n,
                        ExcelDateTimeType::TimeDelta,
                        book.is_1904,
                    )),
                    _ => Data::Float(n),
                }),
                Err(_) => text(&mut self.value, v),
            },
            CellType::Shared => {
                let i = parse_index(v.as_bytes());
                if i < book.strings.len() {
                    Value::Shared(i)
                } else {
                    Value::Empty
                }
            }
            CellType::Bool => match v.trim() {
                "" => Value::Empty,
                b if b == "0" || b.eq_ignore_ascii_case("false") => Value::Other(Data::Bool(false)),
                b if b == "1" || b.eq_ignore_ascii_case("true") => Value::Other(Data::Bool(true)),
                _ => text(&mut self.value, v),
            },
            CellType::Error => match CellErrorType::from_str(v) {
                Ok(error) => Value::Other(Data::Error(error)),
                Err(_) => text(&mut self.value, v),
            },
            CellType::Formula => {
                self.value.clear();
                unescape_excel(v, &mut self.value);
                Value::Text
            }
            CellType::Date | CellType::Unknown => text(&mut self.value, v),
            CellType::Inline => Value::Empty,
        }
    }
}

/// Passes over an element's content, up to its end tag.
fn skip<R: Read>(markup: &mut Markup<R>, name: &[u8], empty: bool) -> Result<(), ReadError> {
    if empty {
        return Ok(());
    }
    let mut depth = 0usize;
    loop {
        match markup.next()? {
            Some(Token::Start(tag)) if tag.name == name && !tag.empty => depth += 1,
            Some(Token::End(end)) if local(end) == name => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            Some(_) => {}
            None => return Err(ReadError::Structure("the sheet ends inside a cell".into())),
        }
    }
}

/// A style or string index as calamine reads one (0 when not a number).
fn parse_index(raw: &[u8]) -> usize {
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A cell or row reference (`B7`, or `7` for a row) as a 0-based row and
/// column.
fn reference(raw: &[u8], needs_column: bool) -> Result<(u32, u32), ReadError> {
    let bad = || {
        let shown = String::from_utf8_lossy(&raw[..raw.len().min(24)]).into_owned();
        ReadError::Structure(format!("not a cell reference: {shown:?}"))
    };
    let letters = raw.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (column, row) = raw.split_at(letters);
    if row.is_empty() || !row.iter().all(u8::is_ascii_digit) || (needs_column && letters == 0) {
        return Err(bad());
    }
    let mut n = 0u32;
    for b in column {
        n = n
            .checked_mul(26)
            .and_then(|n| n.checked_add(u32::from(b.to_ascii_uppercase() - b'A') + 1))
            .ok_or_else(bad)?;
    }
    let mut r = 0u32;
    for b in row {
        r = r
            .checked_mul(10)
            .and_then(|r| r.checked_add(u32::from(b - b'0')))
            .ok_or_else(bad)?;
    }
    Ok((r.checked_sub(1).ok_or_else(bad)?, n.saturating_sub(1)))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use calamine::Reader;

    use super::*;
    use crate::TextSink;

    /// A workbook of one sheet, `Data`, holding `sheet_data`, with shared
    /// strings, styles (style 1 a custom date format, 2 a built-in time,
    /// 3 an elapsed-time duration) and the 1904 date system when asked.
    fn workbook(sheet_data: &str, shared: &str, date1904: bool) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let mut part = |name: &str, body: &str| {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        part(
            "[Content_Types].xml",
            "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>",
        );
        part(
            "_rels/.rels",
            &format!(
                "<Relationships><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" \
                 Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        );
        part(
            "xl/_rels/workbook.xml.rels",
            &format!(
                "<Relationships><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" \
                 Target=\"worksheets/sheet1.xml\"/></Relationships>"
            ),
        );
        part(
            "xl/workbook.xml",
            &format!(
                "<workbook xmlns=\"{main}\" xmlns:r=\"{rel}\"><workbookPr date1904=\"{}\"/>\
                 <sheets><sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
                u8::from(date1904)
            ),
        );
        part(
            "xl/styles.xml",
            &format!(
                "<styleSheet xmlns=\"{main}\"><numFmts count=\"2\">\
                 <numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\"/>\
                 <numFmt numFmtId=\"165\" formatCode=\"[h]:mm\"/></numFmts>\
                 <cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/>\
                 <xf numFmtId=\"21\"/><xf numFmtId=\"165\"><alignment/></xf></cellXfs>\
                 </styleSheet>"
            ),
        );
        part(
            "xl/sharedStrings.xml",
            &format!("<sst xmlns=\"{main}\">{shared}</sst>"),
        );
        part(
            "xl/worksheets/sheet1.xml",
            &format!("<worksheet xmlns=\"{main}\"><sheetData>{sheet_data}</sheetData></worksheet>"),
        );
        zip.finish().unwrap().into_inner()
    }

    /// Each cell written, as (reference, text), and the result.
    fn read(book: &[u8]) -> (Result<(), DocumentError>, Vec<(String, String)>) {
        #[derive(Default)]
        struct Cells(Vec<(String, String)>);
        impl TextSink for Cells {
            fn feed(&mut self, text: &[u8]) {
                if let Some(last) = self.0.last_mut() {
                    last.1.push_str(std::str::from_utf8(text).unwrap());
                }
            }
            fn mark(&mut self, place: assay_classifiers::place::Place) {
                self.0
                    .push((place.cell.unwrap().to_string(), String::new()));
            }
        }
        let mut cells = Cells::default();
        let result = extract(
            std::io::Cursor::new(book),
            &mut Text::new(&mut cells, crate::document::Limits::default()),
        );
        let cells = cells
            .0
            .into_iter()
            .map(|(cell, text)| {
                let text = text.strip_suffix(['\t', '\n']).unwrap_or(&text).to_string();
                (cell, text)
            })
            .collect();
        (result, cells)
    }

    #[test]
    fn cells_of_every_kind_read_as_calamine_reads_them() {
        let shared = "<si><t>plain</t></si>\
            <si><r><rPr><b/></rPr><t>rich </t></r><r><t xml:space=\"preserve\"> run </t></r>\
            <rPh sb=\"0\" eb=\"1\"><t>phonetic</t></rPh></si>\
            <si><t>  trimmed\r\n</t></si><si><t>line_x000D_break _x005F_x0041_ &amp; &#x263A;</t></si>\
            <si/><si><t><![CDATA[<cdata> & more]]></t></si>";
        let sheet = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>\
            <c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c>\
            <c r=\"E1\" t=\"s\"><v>4</v></c><c r=\"F1\" t=\"s\"><v>5</v></c></row>\
            <row r=\"3\"><c r=\"A3\"><v>42</v></c><c r=\"B3\" s=\"1\"><v>30753</v></c>\
            <c r=\"C3\" s=\"2\"><v>0.75</v></c><c r=\"D3\" s=\"3\"><v>1.5</v></c>\
            <c r=\"E3\" t=\"b\"><v>1</v></c><c r=\"F3\" t=\"e\"><v>#DIV/0!</v></c>\
            <c r=\"G3\" t=\"str\"><f>A1&amp;B1</f><v>a_x0042_c</v></c>\
            <c r=\"H3\" t=\"inlineStr\"><is><t>inline &lt;text&gt;</t></is></c>\
            <c r=\"I3\" t=\"d\"><v>2024-02-29T08:30:00</v></c><c r=\"J3\"><f>SUM(A3)</f></c>\
            <c r=\"K3\" s=\"9\"><v>-7.25</v></c><c r=\"L3\"><v></v></c><c r=\"M3\"/></row>\
            <row><c><v>1e20</v></c><c t=\"s\"><v>0</v></c></row><row r=\"9\"/>\
            <row><c r=\"AA10\" t=\"n\"><v>3</v></c></row>";
        for date1904 in [false, true] {
            let book = workbook(sheet, shared, date1904);
            let (result, cells) = read(&book);
            result.unwrap();
            // calamine's reading of the same bytes, written as the sheet
            // reader writes values.
            let mut calamine = calamine::Xlsx::new(std::io::Cursor::new(&book)).unwrap();
            let range = calamine.worksheet_range("Data").unwrap();
            let (first_row, first_column) = range.start().unwrap();
            let mut expected = Vec::new();
            for (row, column, value) in range.used_cells() {
                let row = u64::from(first_row) + row as u64 + 1;
                let reference = super::super::cell_reference(first_column + column as u32, row);
                let text = match value {
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => {
                        format!("{}", *f as i64)
                    }
                    // calamine leaves 1904-system serials as they are.
                    Data::DateTime(d) if d.is_datetime() && date1904 => {
                        super::super::excel_date(d.as_f64() + DAYS_1900_TO_1904)
                    }
                    Data::DateTime(d) if d.is_datetime() => super::super::excel_date(d.as_f64()),
                    other => other.to_string(),
                };
                expected.push((reference.to_string(), text));
            }
            assert_eq!(cells, expected, "date1904 {date1904}");
            // What the cells hold, as a person reads them.
            let at = |reference: &str| {
                cells
                    .iter()
                    .find(|(r, _)| r == reference)
                    .map(|(_, t)| t.as_str())
            };
            // A run without `xml:space="preserve"` is trimmed.
            assert_eq!(at("B1"), Some("rich run "));
            assert_eq!(at("C1"), Some("trimmed"));
            assert_eq!(at("D1"), Some("line\rbreak _x0041_ & \u{263A}"));
            assert_eq!(at("F1"), Some("<cdata> & more"));
            assert_eq!(at("G3"), Some("aBc"));
            assert_eq!(at("H3"), Some("inline <text>"));
            assert_eq!(at("B4"), Some("plain"));
            assert_eq!(at("AA10"), Some("3"));
            assert_eq!(at("J3"), None, "a formula without a value");
            let date = if date1904 { "1988-03-13" } else { "1984-03-12" };
            assert_eq!(at("B3"), Some(date));
        }
    }

    #[test]
    fn a_cut_sheet_is_corrupt_names_its_part_and_keeps_the_rows_before() {
        let sheet = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>\
            <row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>second";
        let book = workbook(sheet, "<si><t>first</t></si>", false);
        // The same workbook with its sheet part ending inside a cell.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut source = zip::ZipArchive::new(std::io::Cursor::new(&book)).unwrap();
        for i in 0..source.len() {
            let mut file = source.by_index(i).unwrap();
            let name = file.name().to_string();
            let mut body = Vec::new();
            file.read_to_end(&mut body).unwrap();
            if name.ends_with("sheet1.xml") {
                let end = memchr::memmem::find(&body, b"second").unwrap() + 6;
                body.truncate(end);
            }
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&body).unwrap();
        }
        let (result, cells) = read(&zip.finish().unwrap().into_inner());
        let error = result.unwrap_err().to_string();
        assert!(error.contains("xl/worksheets/sheet1.xml"), "{error}");
        assert_eq!(cells, [("A1".to_string(), "first".to_string())]);
        let (result, _) = read(b"PK\x03\x04 not a whole zip");
        let error = result.unwrap_err().to_string();
        assert!(error.contains("not a readable zip archive"), "{error}");
    }

    #[test]
    fn custom_formats_are_dates_durations_or_numbers() {
        for (code, kind) in [
            ("yyyy-mm-dd", NumberKind::Date),
            ("DD/MM/YY", NumberKind::Date),
            ("H:MM:SS;@", NumberKind::Date),
            ("[h]:mm:ss", NumberKind::Duration),
            ("[mm]:ss", NumberKind::Duration),
            ("[$-409]mmmm d, yyyy", NumberKind::Date),
            ("0.00", NumberKind::Other),
            ("#,##0 ;[Red](#,##0)", NumberKind::Other),
            ("\"days\" 0", NumberKind::Other),
            ("0_);\\(0\\)", NumberKind::Other),
            ("[Red]0.00", NumberKind::Other),
            ("General", NumberKind::Other),
        ] {
            assert_eq!(NumberKind::of_code(code), kind, "{code}");
        }
        assert_eq!(NumberKind::built_in(b"14"), NumberKind::Date);
        assert_eq!(NumberKind::built_in(b"46"), NumberKind::Duration);
        assert_eq!(NumberKind::built_in(b"49"), NumberKind::Other);
    }

    #[test]
    fn excel_escapes_are_decoded() {
        let mut out = String::new();
        unescape_excel(
            "a_x000D_b _x005F_x000D_ _xD83D__xDCF7_ _xD83D_ _x12_",
            &mut out,
        );
        assert_eq!(out, "a\rb _x000D_ \u{1F4F7} \u{FFFD} _x12_");
    }

    #[test]
    fn references_are_read_or_refused() {
        assert_eq!(reference(b"A1", true).unwrap(), (0, 0));
        assert_eq!(reference(b"ab12", true).unwrap(), (11, 27));
        assert_eq!(reference(b"XFD1048576", true).unwrap(), (1_048_575, 16_383));
        assert_eq!(reference(b"7", false).unwrap(), (6, 0));
        for bad in [
            &b"7"[..],
            b"A",
            b"A0",
            b"A1B",
            b"",
            b"A99999999999",
            b"ZZZZZZZZ1",
        ] {
            assert!(reference(bad, true).is_err(), "{bad:?}");
        }
    }
}
