//! Documents whose text sits inside a structure: Office (current and
//! 97-2003) and OpenDocument files, PDF, RTF, e-mail, Parquet, Avro,
//! SQLite, Jupyter notebooks, CSV and JSON. Each format's extractor feeds the text inside to the classifiers
//! and marks where each piece comes from (sheet and cell, page, slide,
//! record and JSON path, table and column), so findings say where they are
//! and column names count as keywords next to the values under them.
//!
//! One module per format family; this one recognises formats, holds the
//! limits and errors, and hands out the [`Text`] sink extractors write to.
//! E-mail attachments are handed back to the pipeline as embedded files,
//! classified as members (`mail.eml!/report.xlsx`) like archive members.
//!
//! ```
//! use assay_extract::document::Format;
//! let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
//! // Office formats and the rest need the `documents` feature (the default).
//! let expected = Some(Format::Spreadsheet).filter(|f| f.extracted());
//! assert_eq!(Format::recognise(xlsx, "q3.xlsx"), expected);
//! assert_eq!(Format::recognise("application/json", "a.ipynb"), Some(Format::Notebook));
//! assert_eq!(Format::recognise("text/plain", "notes.txt"), None);
//! ```

#[cfg(feature = "documents")]
mod columnar;
mod delimited;
mod json;
#[cfg(feature = "documents")]
mod legacy;
#[cfg(feature = "documents")]
mod mail;
mod notebook;
#[cfg(feature = "documents")]
mod office;
#[cfg(feature = "documents")]
mod outlook;
#[cfg(feature = "documents")]
mod pdf;
mod rtf;
#[cfg(feature = "documents")]
mod spreadsheet;
#[cfg(feature = "documents")]
mod sqlite;

use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use assay_classifiers::place::Place;

use crate::TextSink;
use crate::spool::Spool;

/// The document formats whose text assay extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Word (docx, docm, dotx).
    Word,
    /// Word 97-2003 (doc): the text of its piece table.
    LegacyWord,
    /// PowerPoint (pptx, ppsx, potx).
    Presentation,
    /// OpenDocument text and presentations (odt, odp): spreadsheets go to
    /// [`Format::Spreadsheet`].
    OpenDocument,
    /// Excel (xlsx, xlsm, xlsb, legacy xls) and OpenDocument spreadsheets.
    Spreadsheet,
    Pdf,
    Rtf,
    /// An e-mail message (RFC 5322 / MIME).
    Mail,
    /// An Outlook item (`.msg`).
    OutlookItem,
    Parquet,
    Avro,
    Sqlite,
    /// A Jupyter notebook.
    Notebook,
    /// Comma- or tab-separated values: scanned as they are, with cells marked.
    Csv,
    /// JSON and JSON Lines: scanned as they are, with values' paths marked.
    Json,
}

impl Format {
    /// The format of an object, from its sniffed media type and its name.
    pub fn recognise(mime: &str, name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let format = match mime {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.template"
            | "application/vnd.ms-word.document.macroEnabled.12" => Self::Word,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            | "application/vnd.openxmlformats-officedocument.presentationml.slideshow"
            | "application/vnd.openxmlformats-officedocument.presentationml.template" => {
                Self::Presentation
            }
            "application/vnd.oasis.opendocument.text"
            | "application/vnd.oasis.opendocument.presentation" => Self::OpenDocument,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/vnd.openxmlformats-officedocument.spreadsheetml.template"
            | "application/vnd.ms-excel.sheet.macroEnabled.12"
            | "application/vnd.ms-excel.sheet.macroenabled.12"
            | "application/vnd.ms-excel.sheet.binary.macroEnabled.12"
            | "application/vnd.ms-excel"
            | "application/vnd.oasis.opendocument.spreadsheet" => Self::Spreadsheet,
            "application/pdf" => Self::Pdf,
            "application/rtf" | "text/rtf" => Self::Rtf,
            "message/rfc822" => Self::Mail,
            "application/vnd.ms-outlook" => Self::OutlookItem,
            "application/vnd.apache.parquet" => Self::Parquet,
            "application/vnd.apache.avro" => Self::Avro,
            "application/vnd.sqlite3" | "application/x-sqlite3" => Self::Sqlite,
            "application/x-ipynb+json" => Self::Notebook,
            "application/json" if lower.ends_with(".ipynb") => Self::Notebook,
            "text/csv" | "text/tab-separated-values" => Self::Csv,
            "text/plain" if lower.ends_with(".csv") || lower.ends_with(".tsv") => Self::Csv,
            "application/json" | "application/x-ndjson" => Self::Json,
            // Legacy Office files share one container; the name tells a
            // workbook from a document.
            "application/msword" | "application/x-ole-storage" | "application/x-cfb"
                if lower.ends_with(".xls") =>
            {
                Self::Spreadsheet
            }
            "application/msword" | "application/x-ole-storage" | "application/x-cfb" => {
                Self::LegacyWord
            }
            // An Office file whose zip does not list its main part first
            // sniffs as a plain zip; its name settles it.
            "application/zip" => match lower.rsplit('.').next() {
                Some("docx" | "docm" | "dotx") => Self::Word,
                Some("pptx" | "ppsx" | "potx") => Self::Presentation,
                Some("xlsx" | "xlsm" | "xltx") => Self::Spreadsheet,
                Some("odt" | "odp") => Self::OpenDocument,
                Some("ods") => Self::Spreadsheet,
                _ => return None,
            },
            _ => return None,
        };
        Some(format).filter(|format| format.extracted())
    }

    /// Whether this build extracts the format: all of them with the
    /// `documents` feature (the default); without it, only those read as
    /// text (RTF, notebooks, CSV, JSON), the others being scanned as the
    /// bytes they are.
    pub fn extracted(self) -> bool {
        cfg!(feature = "documents")
            || matches!(self, Self::Rtf | Self::Notebook | Self::Csv | Self::Json)
    }

    /// The media type to report for a document sniffed as `mime`: an
    /// Office file recognised by its name when its zip sniffed as a plain
    /// zip, a CSV file that sniffed as plain text.
    pub fn media_type(self, mime: &'static str, name: &str) -> &'static str {
        if !matches!(
            mime,
            "application/zip" | "text/plain" | "application/msword"
        ) {
            return mime;
        }
        let lower = name.to_ascii_lowercase();
        match lower.rsplit('.').next().unwrap_or("") {
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docm" => "application/vnd.ms-word.document.macroEnabled.12",
            "dotx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
            "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "ppsx" => "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
            "potx" => "application/vnd.openxmlformats-officedocument.presentationml.template",
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xls" => "application/vnd.ms-excel",
            "xlsm" => "application/vnd.ms-excel.sheet.macroEnabled.12",
            "xltx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
            "odt" => "application/vnd.oasis.opendocument.text",
            "odp" => "application/vnd.oasis.opendocument.presentation",
            "ods" => "application/vnd.oasis.opendocument.spreadsheet",
            "csv" => "text/csv",
            "doc" | "dot" => "application/msword",
            "tsv" | "tab" => "text/tab-separated-values",
            _ => mime,
        }
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Word => "Word document",
            Self::LegacyWord => "Word 97-2003 document",
            Self::Presentation => "PowerPoint presentation",
            Self::OpenDocument => "OpenDocument file",
            Self::Spreadsheet => "spreadsheet",
            Self::Pdf => "PDF",
            Self::Rtf => "RTF document",
            Self::Mail => "e-mail message",
            Self::OutlookItem => "Outlook item",
            Self::Parquet => "Parquet file",
            Self::Avro => "Avro file",
            Self::Sqlite => "SQLite database",
            Self::Notebook => "Jupyter notebook",
            Self::Csv => "CSV file",
            Self::Json => "JSON file",
        }
    }

    /// Whether the extractor reads the stream as it comes (no spooling,
    /// no size limit).
    pub fn streams(self) -> bool {
        matches!(self, Self::Csv | Self::Json)
    }
}

/// Limits on extracting one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Larger documents are not extracted: their bytes are scanned as they
    /// are, with a `document_limit` error.
    pub max_bytes: u64,
    /// Extracted text per document; the rest is not read.
    pub max_text: u64,
    /// Wall-clock time per document.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 256 << 20,
            max_text: 1 << 30,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Why a document's text could not be read to the end. Text read before
/// the problem has been classified.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("corrupt {format}: {message}")]
    Corrupt {
        format: &'static str,
        message: String,
    },
    #[error("encrypted {format}: its text cannot be read without the password")]
    Encrypted { format: &'static str },
    #[error("{format} not read: {message}")]
    Unsupported {
        format: &'static str,
        message: String,
    },
    #[error(
        "{format} larger than the {limit}-byte document limit: its bytes were scanned as they are"
    )]
    TooLarge { format: &'static str, limit: u64 },
    #[error("more than {limit} bytes of text: the rest was not read")]
    TextLimit { limit: u64 },
    #[error(
        "extraction stopped after {seconds} s (the per-document time limit); text read so far was classified"
    )]
    Timeout { seconds: u64 },
    #[error("cannot read the document: {0}")]
    Io(#[from] io::Error),
}

impl DocumentError {
    fn corrupt(format: Format, error: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            format: format.name(),
            message: error.to_string(),
        }
    }
}

/// Where extracted text goes: a [`TextSink`] (the object's classifier),
/// with the limits checked at every write.
pub struct Text<'a> {
    object: &'a mut dyn TextSink,
    written: u64,
    limits: Limits,
    started: Instant,
    at_line_start: bool,
    marks: u32,
}

impl<'a> Text<'a> {
    pub fn new(object: &'a mut dyn TextSink, limits: Limits) -> Self {
        Self {
            object,
            written: 0,
            limits,
            started: Instant::now(),
            at_line_start: true,
            marks: 0,
        }
    }

    /// Text from here on belongs to `place`.
    pub fn mark(&mut self, place: Place) -> Result<(), DocumentError> {
        // A table marks every cell: the clock is read every 256th.
        self.marks = self.marks.wrapping_add(1);
        if self.marks % 256 == 1 {
            self.check_time()?;
        }
        self.object.mark(place);
        Ok(())
    }

    /// The text is JSON or JSON Lines: its sink finds the places.
    pub fn follow_json(&mut self) {
        self.object.follow_json();
    }

    /// The text is CSV or TSV with this delimiter: its sink finds the places.
    pub fn follow_delimited(&mut self, delimiter: u8) {
        self.object.follow_delimited(delimiter);
    }

    /// Writes text.
    pub fn write(&mut self, text: &str) -> Result<(), DocumentError> {
        self.write_bytes(text.as_bytes())
    }

    /// Writes bytes as they are (CSV passes its bytes through).
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), DocumentError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let room = self.limits.max_text.saturating_sub(self.written);
        if bytes.len() as u64 > room {
            self.object.feed(&bytes[..room as usize]);
            self.written += room;
            return Err(DocumentError::TextLimit {
                limit: self.limits.max_text,
            });
        }
        self.object.feed(bytes);
        self.written += bytes.len() as u64;
        self.at_line_start = bytes.ends_with(b"\n");
        Ok(())
    }

    /// Writes bytes as text, invalid UTF-8 replaced (a value of a binary
    /// column, a database's blob). Checked with the plain validator first:
    /// it is several times quicker than the replacing one on the valid
    /// text nearly every value is.
    pub fn write_lossy(&mut self, bytes: &[u8]) -> Result<(), DocumentError> {
        match std::str::from_utf8(bytes) {
            Ok(_) => self.write_bytes(bytes),
            Err(_) => self.write(&String::from_utf8_lossy(bytes)),
        }
    }

    /// Ends the current line, unless it is empty.
    pub fn end_line(&mut self) -> Result<(), DocumentError> {
        if self.at_line_start {
            return Ok(());
        }
        self.write("\n")
    }

    /// Fails once the time limit has passed.
    pub fn check_time(&self) -> Result<(), DocumentError> {
        if self.started.elapsed() > self.limits.timeout {
            return Err(DocumentError::Timeout {
                seconds: self.limits.timeout.as_secs(),
            });
        }
        Ok(())
    }
}

/// A file embedded in a document (an e-mail attachment), handed to the
/// pipeline to classify as a member.
pub struct Embedded<'r> {
    pub name: String,
    pub size: u64,
    pub content: &'r mut dyn Read,
}

/// How a document's bytes are reached.
pub enum Input<'a> {
    /// A stream (a bucket object, an archive member).
    Stream(&'a mut dyn Read),
    /// A local file, read in place.
    File(&'a Path),
}

/// What became of a document: extracted (possibly with an error part-way),
/// or too large, in which case the caller scans its bytes as they are.
pub enum Outcome<'a> {
    /// `bytes` is how many bytes the document holds.
    Extracted {
        result: Result<(), DocumentError>,
        bytes: u64,
    },
    /// Over [`Limits::max_bytes`]: the bytes spooled so far, then the rest
    /// of the stream.
    TooLarge(Box<dyn Read + 'a>),
}

/// Extracts a document's text into `text`; embedded files go to `embedded`.
pub fn extract<'a>(
    format: Format,
    mime: &str,
    input: Input<'a>,
    text: &mut Text<'_>,
    embedded: &mut dyn FnMut(Embedded<'_>),
) -> Outcome<'a> {
    if format.streams() {
        let mut bytes = 0;
        let walk = match format {
            Format::Json => json::extract,
            _ => delimited::extract,
        };
        let result = match input {
            Input::Stream(stream) => walk(stream, text, &mut bytes),
            Input::File(path) => std::fs::File::open(path)
                .map_err(DocumentError::from)
                .and_then(|mut file| walk(&mut file, text, &mut bytes)),
        };
        return Outcome::Extracted { result, bytes };
    }
    let limit = text.limits.max_bytes;
    #[cfg(feature = "documents")]
    if let (Format::Sqlite, Input::File(path)) = (format, &input) {
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if bytes <= limit {
            return Outcome::Extracted {
                result: sqlite::extract_file(path, text),
                bytes,
            };
        }
    }
    let spool = match input {
        Input::File(path) => {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            match std::fs::File::open(path) {
                Ok(file) if size > limit => return Outcome::TooLarge(Box::new(file)),
                Ok(file) => Spool::File(io::BufReader::new(file)),
                Err(error) => {
                    return Outcome::Extracted {
                        result: Err(error.into()),
                        bytes: 0,
                    };
                }
            }
        }
        Input::Stream(stream) => match Spool::read_limited(stream, limit) {
            Ok(Ok(spool)) => spool,
            Ok(Err(partial)) => {
                return Outcome::TooLarge(Box::new(partial.chain(stream)));
            }
            Err(error) => {
                return Outcome::Extracted {
                    result: Err(error.into()),
                    bytes: 0,
                };
            }
        },
    };
    let bytes = spool.len().unwrap_or(0);
    // Third-party parsers may panic on malformed input; that is a corrupt
    // document, not the end of the scan.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parse(format, mime, spool, text, embedded)
    }))
    .unwrap_or_else(|_| {
        Err(DocumentError::Corrupt {
            format: format.name(),
            message: "the parser failed on malformed input".into(),
        })
    });
    Outcome::Extracted { result, bytes }
}

/// Reads a streamed format (CSV, JSON) in pieces, counting the bytes into
/// `read` and checking the time limit between pieces.
fn each_piece(
    stream: &mut dyn Read,
    text: &mut Text<'_>,
    read: &mut u64,
    mut piece: impl FnMut(&[u8], &mut Text<'_>) -> Result<(), DocumentError>,
) -> Result<(), DocumentError> {
    const PIECE: usize = 256 * 1024;
    thread_local! {
        /// A worker's piece buffer, kept from one document to the next:
        /// zeroing a new one cost more than reading most JSON files.
        static BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    // Taken, not borrowed: a document read inside this one gets its own.
    let mut buffer = BUFFER.take();
    buffer.resize(PIECE, 0);
    let result = loop {
        let n = match stream.read(&mut buffer) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e.into()),
        };
        *read += n as u64;
        if let Err(e) = piece(&buffer[..n], text).and_then(|()| text.check_time()) {
            break Err(e);
        }
    };
    BUFFER.set(buffer);
    result
}

/// Runs the format's extractor over a spooled document.
fn parse(
    format: Format,
    mime: &str,
    spool: Spool,
    text: &mut Text<'_>,
    embedded: &mut dyn FnMut(Embedded<'_>),
) -> Result<(), DocumentError> {
    match format {
        Format::Rtf => spool
            .into_bytes()
            .map_err(DocumentError::from)
            .and_then(|bytes| rtf::extract(&bytes, text)),
        Format::Notebook => spool
            .into_bytes()
            .map_err(DocumentError::from)
            .and_then(|bytes| notebook::extract(&bytes, text)),
        Format::Csv | Format::Json => Ok(()),
        #[cfg(feature = "documents")]
        Format::Word | Format::Presentation | Format::OpenDocument => {
            office::extract(format, spool, text)
        }
        #[cfg(feature = "documents")]
        Format::Spreadsheet => spreadsheet::extract(mime, spool, text),
        #[cfg(feature = "documents")]
        Format::LegacyWord => legacy::extract(spool, text),
        #[cfg(feature = "documents")]
        Format::OutlookItem => outlook::extract(spool, text, embedded),
        #[cfg(feature = "documents")]
        Format::Pdf => spool
            .into_bytes()
            .map_err(DocumentError::from)
            .and_then(|bytes| pdf::extract(&bytes, text)),
        #[cfg(feature = "documents")]
        Format::Mail => spool
            .into_bytes()
            .map_err(DocumentError::from)
            .and_then(|bytes| mail::extract(&bytes, text, embedded)),
        #[cfg(feature = "documents")]
        Format::Parquet => columnar::parquet(spool, text),
        #[cfg(feature = "documents")]
        Format::Avro => columnar::avro(spool, text),
        #[cfg(feature = "documents")]
        Format::Sqlite => sqlite::extract(spool, text),
        // Not recognised without the feature ([`Format::extracted`]).
        #[cfg(not(feature = "documents"))]
        _ => {
            let _ = (mime, spool, embedded);
            Err(DocumentError::Unsupported {
                format: format.name(),
                message: "this build has no `documents` feature".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_stop_extraction_and_say_which() {
        let classifiers = assay_classifiers::Classifiers::builtin().unwrap();
        let mut object = classifiers.document("a.json", "application/json");
        let mut text = Text::new(
            &mut object,
            Limits {
                timeout: Duration::ZERO,
                ..Limits::default()
            },
        );
        std::thread::sleep(Duration::from_millis(2));
        let error = text.mark(Place::page(1)).unwrap_err();
        assert!(error.to_string().contains("time limit"), "{error}");

        let mut object = classifiers.document("b.txt", "text/plain");
        let mut text = Text::new(
            &mut object,
            Limits {
                max_text: 10,
                ..Limits::default()
            },
        );
        text.write("0123456").unwrap();
        let error = text.write("789abc").unwrap_err();
        assert!(matches!(error, DocumentError::TextLimit { limit: 10 }));
        assert_eq!(object.finish().bytes, 10);
    }
}
