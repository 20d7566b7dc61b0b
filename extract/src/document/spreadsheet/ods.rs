//! OpenDocument spreadsheets (ods), streamed row by row from their
//! `content.xml` with the [`markup`](super::markup) tokenizer. calamine
//! reads every sheet of the file into a grid before the first cell can be
//! handed on (a 100,000-row sheet held 128 MiB and cost three times its
//! text's classification); here one row is held at a time.
//!
//! Cells are read as calamine reads them, so reports do not depend on the
//! reader: the same values (the first of `office:value`, `office:*-value`
//! and `office:boolean-value`, or the paragraphs of a string cell, with
//! `text:s`, `text:tab` and `text:line-break`, annotations left out), the
//! same repeats (`number-rows-repeated`, `number-columns-repeated`, capped
//! at Excel's sheet size) and the same positions. Elements are matched by
//! their names as written, prefixes and all, as calamine matches them. A
//! test compares the two on files LibreOffice writes.

use std::io::{Read, Seek};

use calamine::Data;

use super::markup::{self, Markup, Tag, Token, unescape_into};
use super::{Cell, Rows};
use crate::document::{DocumentError, Format, Text};

/// The rows and columns a sheet can have (Excel's limits, which calamine
/// applies to repeats).
const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;

const MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// The most text a cell's content keeps, in bytes (Excel holds 32,767
/// characters a cell): `<text:s text:c="…"/>` repeated could otherwise make
/// a small file a cell of gigabytes.
const CELL_TEXT: usize = 128 << 10;

/// The most text one row may hold while it is read, its repeated cells
/// counted: a row is held whole before it is written.
const ROW_TEXT: usize = 64 << 20;

pub(super) fn extract<R: Read + Seek>(input: R, text: &mut Text<'_>) -> Result<(), DocumentError> {
    let corrupt = |e: &dyn std::fmt::Display| DocumentError::corrupt(Format::Spreadsheet, e);
    let mut zip = zip::ZipArchive::new(input).map_err(|e| corrupt(&e))?;
    let mut mimetype = Vec::new();
    zip.by_name("mimetype")
        .map_err(|e| corrupt(&e))?
        .take(64)
        .read_to_end(&mut mimetype)
        .map_err(|e| corrupt(&e))?;
    if mimetype != MIMETYPE {
        return Err(corrupt(&"not an OpenDocument spreadsheet (its mimetype)"));
    }
    if encrypted(&mut zip)? {
        return Err(DocumentError::Encrypted {
            format: Format::Spreadsheet.name(),
        });
    }
    let content = zip.by_name("content.xml").map_err(|e| corrupt(&e))?;
    Sheets::default().read(&mut Markup::new(content), text)
}

/// Whether the manifest says a part is encrypted (a password-protected
/// file).
fn encrypted<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<bool, DocumentError> {
    let mut manifest = Vec::new();
    match zip.by_name("META-INF/manifest.xml") {
        Ok(part) => part
            .take(16 << 20)
            .read_to_end(&mut manifest)
            .map_err(|e| DocumentError::corrupt(Format::Spreadsheet, e))?,
        Err(e) => return Err(DocumentError::corrupt(Format::Spreadsheet, e)),
    };
    Ok(memchr::memmem::find(&manifest, b"<manifest:encryption-data").is_some())
}

/// The reading of `content.xml`: the row being read, reused from row to
/// row.
#[derive(Default)]
struct Sheets {
    /// The row being read: its cells' columns and values.
    cells: Vec<(u32, Data)>,
    /// Text decoded from the markup.
    decoded: Vec<u8>,
    /// The strings of rows read before, cleared, for the next row's cells
    /// (a table has a string per cell).
    spare: Vec<String>,
}

/// The most strings kept for reuse, and the largest kept.
const SPARE: usize = 256;
const SPARE_CAPACITY: usize = 4 << 10;

impl Sheets {
    fn read<R: Read>(
        &mut self,
        markup: &mut Markup<R>,
        text: &mut Text<'_>,
    ) -> Result<(), DocumentError> {
        // The named table being read, its rows so far and its writer.
        let mut sheet: Option<(Rows, usize)> = None;
        loop {
            if markup.lap() {
                text.check_time()?;
            }
            let Some(token) = markup.next().map_err(xml_error)? else {
                break;
            };
            match token {
                Token::Start(tag) if tag.qualified == b"table:table" && !tag.empty => {
                    if let Some(name) = tag.attribute(b"table:name") {
                        let name = decode(name)?;
                        text.check_time()?;
                        sheet = Some((Rows::new(&name), 0));
                    }
                }
                Token::End(b"table:table") => {
                    if let Some((rows, _)) = sheet.take() {
                        rows.finish(text)?;
                    }
                }
                Token::Start(tag) if tag.qualified == b"table:table-row" => {
                    let Some((rows, read)) = &mut sheet else {
                        continue;
                    };
                    let repeats = match tag.attribute(b"table:number-rows-repeated") {
                        Some(v) => parse::<usize>(v)?,
                        None => 1,
                    };
                    let repeats = repeats.min(MAX_ROWS.saturating_sub(*read));
                    self.recycle();
                    if !tag.empty {
                        self.read_row(markup, text)?;
                    }
                    for repeat in 0..repeats {
                        let row = u32::try_from(*read + repeat).unwrap_or(u32::MAX);
                        for (column, value) in &self.cells {
                            rows.cell(row, *column, Cell::of(value), text)?;
                        }
                    }
                    *read += repeats;
                }
                _ => {}
            }
        }
        if let Some((rows, _)) = sheet {
            rows.finish(text)?;
        }
        Ok(())
    }

    /// Empties `self.cells`, keeping their strings for reuse.
    fn recycle(&mut self) {
        for (_, value) in self.cells.drain(..) {
            if let Data::String(mut s) = value
                && self.spare.len() < SPARE
                && s.capacity() <= SPARE_CAPACITY
            {
                s.clear();
                self.spare.push(s);
            }
        }
    }

    /// Reads one row's cells into `self.cells`, up to the row's end.
    fn read_row<R: Read>(
        &mut self,
        markup: &mut Markup<R>,
        text: &Text<'_>,
    ) -> Result<(), DocumentError> {
        let mut column = 0usize;
        let mut held = 0usize;
        loop {
            if markup.lap() {
                text.check_time()?;
            }
            let tag = match markup.next().map_err(xml_error)? {
                Some(Token::Start(tag))
                    if matches!(
                        tag.qualified,
                        b"table:table-cell" | b"table:covered-table-cell"
                    ) =>
                {
                    tag
                }
                Some(Token::End(b"table:table-row")) => return Ok(()),
                Some(_) => continue,
                None => return Err(xml_error("the file ends inside a table row")),
            };
            let end: &[u8] = if tag.qualified == b"table:table-cell" {
                b"table:table-cell"
            } else {
                b"table:covered-table-cell"
            };
            let (attributes, empty) = cell_attributes(&tag)?;
            let CellRead {
                value,
                repeats,
                closed,
            } = self.cell_value(markup, attributes, empty)?;
            let repeats = repeats.min(MAX_COLUMNS.saturating_sub(column));
            if value != Data::Empty && repeats > 0 {
                let size = match &value {
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.len(),
                    _ => 24,
                };
                held = held.saturating_add(size.saturating_mul(repeats));
                if held > ROW_TEXT {
                    return Err(xml_error(format!(
                        "a row holds more than {} MiB of text",
                        ROW_TEXT >> 20
                    )));
                }
                let at = |repeat: usize| u32::try_from(column + repeat).unwrap_or(u32::MAX);
                for repeat in 1..repeats {
                    self.cells.push((at(repeat - 1), value.clone()));
                }
                self.cells.push((at(repeats - 1), value));
            }
            column += repeats;
            if !closed && !empty {
                skip(markup, end)?;
            }
        }
    }

    /// A cell's value (ODF 1.2, 19.385): from its attributes, or else, for
    /// a string cell, from its content, read up to its end.
    fn cell_value<R: Read>(
        &mut self,
        markup: &mut Markup<R>,
        attributes: CellAttributes,
        empty: bool,
    ) -> Result<CellRead, DocumentError> {
        let CellAttributes {
            value,
            repeats,
            set,
            string,
            error,
        } = attributes;
        let empty_error = error && matches!(&value, Data::String(s) if s.is_empty());
        if !((!set && string) || empty_error) {
            return Ok(CellRead {
                value,
                repeats,
                closed: false,
            });
        }
        // The element's content is the value: its paragraphs, a line each.
        let mut content = self.spare.pop().unwrap_or_default();
        if empty {
            return Ok(CellRead {
                value: Data::String(content),
                repeats,
                closed: true,
            });
        }
        let mut paragraphs = 0usize;
        loop {
            match markup.next().map_err(xml_error)? {
                Some(Token::Text(raw)) => {
                    self.decoded.clear();
                    unescape_into(raw, &mut self.decoded).map_err(xml_error)?;
                    match std::str::from_utf8(&self.decoded) {
                        Ok(decoded) => push_bounded(&mut content, decoded),
                        Err(_) => {
                            push_bounded(&mut content, &String::from_utf8_lossy(&self.decoded))
                        }
                    }
                }
                Some(Token::End(b"table:table-cell" | b"table:covered-table-cell")) => {
                    return Ok(CellRead {
                        value: Data::String(content),
                        repeats,
                        closed: true,
                    });
                }
                Some(Token::Start(tag)) if tag.qualified == b"office:annotation" => {
                    if !tag.empty {
                        skip(markup, b"office:annotation")?;
                    }
                }
                Some(Token::Start(tag)) if tag.qualified == b"text:p" => {
                    if paragraphs > 0 {
                        push_bounded(&mut content, "\n");
                    }
                    paragraphs += 1;
                }
                Some(Token::Start(tag)) if tag.qualified == b"text:s" => {
                    let count = match tag.attribute(b"text:c") {
                        Some(v) => parse::<usize>(v)?,
                        None => 1,
                    };
                    let room = CELL_TEXT.saturating_sub(content.len());
                    content.extend(std::iter::repeat_n(' ', count.min(room)));
                }
                Some(Token::Start(tag)) if tag.qualified == b"text:tab" => {
                    push_bounded(&mut content, "\t")
                }
                Some(Token::Start(tag)) if tag.qualified == b"text:line-break" => {
                    push_bounded(&mut content, "\n")
                }
                Some(_) => {}
                None => return Err(xml_error("the file ends inside a table cell")),
            }
        }
    }
}

/// What a cell element's attributes say.
struct CellAttributes {
    value: Data,
    repeats: usize,
    /// A value was given by an attribute.
    set: bool,
    /// `office:value-type="string"`.
    string: bool,
    /// `calcext:value-type="error"`.
    error: bool,
}

/// What a cell element says.
struct CellRead {
    value: Data,
    /// How many cells it stands for (`table:number-columns-repeated`).
    repeats: usize,
    /// Whether the element has been read to its end.
    closed: bool,
}

/// A cell's attributes, read in one pass, as calamine reads them (the first
/// value attribute counts); and whether the element is empty.
fn cell_attributes(cell: &Tag<'_>) -> Result<(CellAttributes, bool), DocumentError> {
    let mut read = CellAttributes {
        value: Data::Empty,
        repeats: 1,
        set: false,
        string: false,
        error: false,
    };
    for (key, raw) in cell.attributes() {
        match key {
            b"table:number-columns-repeated" => read.repeats = parse::<usize>(raw)?,
            b"office:value" if !read.set => {
                read.value = Data::Float(parse::<f64>(raw)?);
                read.set = true;
            }
            b"office:string-value" | b"office:date-value" | b"office:time-value" if !read.set => {
                let decoded = decode(raw)?;
                read.value = match key {
                    b"office:date-value" => Data::DateTimeIso(decoded),
                    b"office:time-value" => Data::DurationIso(decoded),
                    _ => Data::String(decoded),
                };
                read.set = true;
            }
            b"office:boolean-value" if !read.set => {
                read.value = Data::Bool(raw == b"TRUE" || raw == b"true");
                read.set = true;
            }
            b"office:value-type" if !read.set => read.string = raw == b"string",
            b"calcext:value-type" => read.error = raw == b"error",
            _ => {}
        }
    }
    Ok((read, cell.empty))
}

/// Passes over an element's content up to its end tag `name` (elements of
/// the same name inside it counted).
fn skip<R: Read>(markup: &mut Markup<R>, name: &[u8]) -> Result<(), DocumentError> {
    let mut depth = 0usize;
    loop {
        match markup.next().map_err(xml_error)? {
            Some(Token::Start(tag)) if tag.qualified == name && !tag.empty => depth += 1,
            Some(Token::End(end)) if end == name => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            Some(_) => {}
            None => return Err(xml_error("the file ends inside an element")),
        }
    }
}

/// Appends `text` to a cell's content while it is under [`CELL_TEXT`] (a
/// piece that would cross it is cut at a character's boundary).
fn push_bounded(content: &mut String, text: &str) {
    let room = CELL_TEXT.saturating_sub(content.len());
    if text.len() <= room {
        content.push_str(text);
    } else {
        let mut end = room;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        content.push_str(&text[..end]);
    }
}

/// An attribute's value, unescaped.
fn decode(raw: &[u8]) -> Result<String, DocumentError> {
    markup::decode(raw).map_err(xml_error)
}

fn parse<T: std::str::FromStr>(raw: &[u8]) -> Result<T, DocumentError> {
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            let shown: String = String::from_utf8_lossy(raw).chars().take(40).collect();
            xml_error(format!("not a number: {shown:?}"))
        })
}

fn xml_error(error: impl std::fmt::Display) -> DocumentError {
    DocumentError::corrupt(Format::Spreadsheet, format!("content.xml: {error}"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::TextSink;

    /// An ods file whose `content.xml` holds `table` inside a sheet.
    fn ods(table: &str) -> std::io::Cursor<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(MIMETYPE).unwrap();
        zip.start_file("META-INF/manifest.xml", stored).unwrap();
        zip.write_all(b"<manifest:manifest/>").unwrap();
        zip.start_file("content.xml", stored).unwrap();
        write!(
            zip,
            "<office:document-content><office:body><office:spreadsheet>\
             <table:table table:name=\"S\">{table}</table:table>\
             </office:spreadsheet></office:body></office:document-content>"
        )
        .unwrap();
        let mut cursor = zip.finish().unwrap();
        cursor.set_position(0);
        cursor
    }

    #[derive(Default)]
    struct Written(String);
    impl TextSink for Written {
        fn feed(&mut self, text: &[u8]) {
            self.0.push_str(std::str::from_utf8(text).unwrap());
        }
        fn mark(&mut self, _: assay_classifiers::place::Place) {}
    }

    fn read(table: &str) -> (Result<(), DocumentError>, String) {
        let mut written = Written::default();
        let result = extract(
            ods(table),
            &mut Text::new(&mut written, crate::document::Limits::default()),
        );
        (result, written.0)
    }

    #[test]
    fn spaces_and_repeats_cannot_make_a_small_file_huge() {
        // Two million spaces asked for in one cell: it keeps CELL_TEXT.
        let (result, written) = read(
            "<table:table-row><table:table-cell office:value-type=\"string\">\
             <text:p>a<text:s text:c=\"2000000\"/>b</text:p></table:table-cell></table:table-row>",
        );
        result.unwrap();
        assert_eq!(written.len(), CELL_TEXT + 1, "the cell and its line's end");
        assert!(written.starts_with('a') && !written.contains('b'));
        // A cell of 128 KiB repeated 16,384 times is more than a row holds.
        let spaces = "<text:s text:c=\"200000\"/>";
        let (result, written) = read(&format!(
            "<table:table-row><table:table-cell table:number-columns-repeated=\"16384\" \
             office:value-type=\"string\"><text:p>{spaces}</text:p></table:table-cell>\
             </table:table-row>"
        ));
        let error = result.unwrap_err().to_string();
        assert!(error.contains("a row holds more than 64 MiB"), "{error}");
        assert!(written.is_empty());
    }

    #[test]
    fn a_cut_file_is_corrupt_and_keeps_the_rows_before_the_cut() {
        let (result, written) = read(
            "<table:table-row><table:table-cell office:value-type=\"string\">\
             <text:p>first</text:p></table:table-cell></table:table-row>\
             <table:table-row><table:table-cell office:value-type=\"string\"><text:p>sec",
        );
        assert!(
            matches!(result, Err(DocumentError::Corrupt { .. })),
            "{result:?}"
        );
        // The first row was written before the cut was met.
        assert_eq!(written, "first");
    }
}
