//! OpenDocument spreadsheets (ods), streamed row by row from their
//! `content.xml` with quick-xml. calamine reads every sheet of the file
//! into a grid before the first cell can be handed on (a 100,000-row sheet
//! held 128 MiB and cost three times its text's classification); here one
//! row is held at a time.
//!
//! Cells are read as calamine reads them, so reports do not depend on the
//! reader: the same values (the first of `office:value`, `office:*-value`
//! and `office:boolean-value`, or the paragraphs of a string cell, with
//! `text:s`, `text:tab` and `text:line-break`, annotations left out), the
//! same repeats (`number-rows-repeated`, `number-columns-repeated`, capped
//! at Excel's sheet size) and the same positions. A test compares the two
//! on files LibreOffice writes.

use std::io::{BufRead, BufReader, Read, Seek};

use calamine::Data;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

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
    let mut reader = Reader::from_reader(BufReader::new(content));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.expand_empty_elements = true;
    Sheets::default().read(&mut reader, text)
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

/// The reading of `content.xml`: the sheet being read, and buffers reused
/// from row to row.
#[derive(Default)]
struct Sheets {
    buf: Vec<u8>,
    inner: Vec<u8>,
    /// The row being read: its cells' columns and values.
    cells: Vec<(u32, Data)>,
}

impl Sheets {
    fn read<B: BufRead>(
        &mut self,
        reader: &mut Reader<B>,
        text: &mut Text<'_>,
    ) -> Result<(), DocumentError> {
        // The named table being read, its rows so far and its writer.
        let mut sheet: Option<(Rows, usize)> = None;
        loop {
            self.buf.clear();
            match reader.read_event_into(&mut self.buf).map_err(xml_error)? {
                Event::Start(e) if e.name().as_ref() == "table:table" => {
                    if let Some(name) = attribute(&e, "table:name")? {
                        text.check_time()?;
                        sheet = Some((Rows::new(&name), 0));
                    }
                }
                Event::End(e) if e.name().as_ref() == "table:table" => {
                    if let Some((rows, _)) = sheet.take() {
                        rows.finish(text)?;
                    }
                }
                Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                    let Some((rows, read)) = &mut sheet else {
                        continue;
                    };
                    let repeats = match raw_attribute(&e, "table:number-rows-repeated") {
                        Some(v) => parse::<usize>(&v)?,
                        None => 1,
                    };
                    let repeats = repeats.min(MAX_ROWS.saturating_sub(*read));
                    self.read_row(reader)?;
                    for repeat in 0..repeats {
                        let row = u32::try_from(*read + repeat).unwrap_or(u32::MAX);
                        for (column, value) in &self.cells {
                            rows.cell(row, *column, Cell::of(value), text)?;
                        }
                    }
                    *read += repeats;
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if let Some((rows, _)) = sheet {
            rows.finish(text)?;
        }
        Ok(())
    }

    /// Reads one row's cells into `self.cells`, up to the row's end.
    fn read_row<B: BufRead>(&mut self, reader: &mut Reader<B>) -> Result<(), DocumentError> {
        self.cells.clear();
        let mut column = 0usize;
        let mut held = 0usize;
        loop {
            self.buf.clear();
            match reader.read_event_into(&mut self.buf).map_err(xml_error)? {
                Event::Start(e)
                    if matches!(
                        e.name().as_ref(),
                        "table:table-cell" | "table:covered-table-cell"
                    ) =>
                {
                    let end: &str = if e.name().as_ref() == "table:table-cell" {
                        "table:table-cell"
                    } else {
                        "table:covered-table-cell"
                    };
                    let CellRead {
                        value,
                        repeats,
                        closed,
                    } = cell_value(reader, &e, &mut self.inner)?;
                    let repeats = repeats.min(MAX_COLUMNS.saturating_sub(column));
                    if value != Data::Empty && repeats > 0 {
                        let size = match &value {
                            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                                s.len()
                            }
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
                    if !closed {
                        self.inner.clear();
                        reader
                            .read_to_end_into(quick_xml::name::QName(end), &mut self.inner)
                            .map_err(xml_error)?;
                    }
                }
                Event::End(e) if e.name().as_ref() == "table:table-row" => return Ok(()),
                Event::Eof => return Err(xml_error("the file ends inside a table row")),
                _ => {}
            }
        }
    }
}

/// What a cell element says.
struct CellRead {
    value: Data,
    /// How many cells it stands for (`table:number-columns-repeated`).
    repeats: usize,
    /// Whether the element has been read to its end.
    closed: bool,
}

/// A cell's value, as calamine reads it (ODF 1.2, 19.385), from one pass
/// over its attributes (a sheet has a cell element per value).
fn cell_value<B: BufRead>(
    reader: &mut Reader<B>,
    cell: &BytesStart<'_>,
    buf: &mut Vec<u8>,
) -> Result<CellRead, DocumentError> {
    let mut value = Data::Empty;
    let mut repeats = 1;
    let mut set = false;
    let mut string = false;
    let mut error = false;
    for attribute in cell.attributes().with_checks(false) {
        let attribute = attribute.map_err(xml_error)?;
        let raw = attribute.value.as_ref();
        match attribute.key.as_ref() {
            "table:number-columns-repeated" => repeats = parse::<usize>(raw)?,
            "office:value" if !set => {
                value = Data::Float(parse::<f64>(raw)?);
                set = true;
            }
            key @ ("office:string-value" | "office:date-value" | "office:time-value") if !set => {
                let decoded = unescape(raw)?;
                value = match key {
                    "office:date-value" => Data::DateTimeIso(decoded),
                    "office:time-value" => Data::DurationIso(decoded),
                    _ => Data::String(decoded),
                };
                set = true;
            }
            "office:boolean-value" if !set => {
                value = Data::Bool(raw == "TRUE" || raw == "true");
                set = true;
            }
            "office:value-type" if !set => string = raw == "string",
            "calcext:value-type" => error = raw == "error",
            _ => {}
        }
    }
    let empty_error = error && matches!(&value, Data::String(s) if s.is_empty());
    if !((!set && string) || empty_error) {
        return Ok(CellRead {
            value,
            repeats,
            closed: false,
        });
    }
    // The element's content is the value: its paragraphs, a line each.
    let mut content = String::new();
    let mut paragraphs = 0usize;
    loop {
        buf.clear();
        match reader.read_event_into(buf).map_err(xml_error)? {
            Event::Text(t) => push_bounded(&mut content, &t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(xml_error)? {
                    push_bounded(&mut content, c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r.xml10_content();
                    let resolved = quick_xml::escape::resolve_xml_entity(&name)
                        .ok_or_else(|| xml_error(format!("unknown entity &{name};")))?;
                    push_bounded(&mut content, resolved);
                }
            }
            Event::End(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                return Ok(CellRead {
                    value: Data::String(content),
                    repeats,
                    closed: true,
                });
            }
            Event::Start(e) if e.name().as_ref() == "office:annotation" => loop {
                buf.clear();
                match reader.read_event_into(buf).map_err(xml_error)? {
                    Event::End(e) if e.name().as_ref() == "office:annotation" => break,
                    Event::Eof => return Err(xml_error("the file ends inside an annotation")),
                    _ => {}
                }
            },
            Event::Start(e) if e.name().as_ref() == "text:p" => {
                if paragraphs > 0 {
                    push_bounded(&mut content, "\n");
                }
                paragraphs += 1;
            }
            Event::Start(e) if e.name().as_ref() == "text:s" => {
                let count = match raw_attribute(&e, "text:c") {
                    Some(v) => parse::<usize>(&v)?,
                    None => 1,
                };
                let room = CELL_TEXT.saturating_sub(content.len());
                content.extend(std::iter::repeat_n(' ', count.min(room)));
            }
            Event::Start(e) if e.name().as_ref() == "text:tab" => push_bounded(&mut content, "\t"),
            Event::Start(e) if e.name().as_ref() == "text:line-break" => {
                push_bounded(&mut content, "\n")
            }
            Event::Eof => return Err(xml_error("the file ends inside a table cell")),
            _ => {}
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
fn attribute(element: &BytesStart<'_>, key: &str) -> Result<Option<String>, DocumentError> {
    match element.try_get_attribute(key).map_err(xml_error)? {
        Some(attribute) => Ok(Some(unescape(&attribute.value)?)),
        None => Ok(None),
    }
}

/// An attribute's value as written (numbers need no unescaping).
fn raw_attribute(element: &BytesStart<'_>, key: &str) -> Option<String> {
    // Most elements have none of the attribute asked for: their raw
    // attributes say so before they are parsed.
    memchr::memmem::find(element.attributes_raw().as_bytes(), key.as_bytes())?;
    element
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.into_owned())
}

fn unescape(raw: &str) -> Result<String, DocumentError> {
    Ok(quick_xml::escape::unescape(raw)
        .map_err(xml_error)?
        .into_owned())
}

fn parse<T: std::str::FromStr>(raw: &str) -> Result<T, DocumentError> {
    raw.parse().map_err(|_| {
        let shown: String = raw.chars().take(40).collect();
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
