//! CSV inventory data files: gzip (any number of members), no header row,
//! columns named by the manifest's `fileSchema`, values double-quoted or
//! bare, keys form-URL-encoded.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::SystemTime;

use flate2::read::MultiGzDecoder;

use super::{Column, InventoryError, InventoryRow, Manifest, RowSink};

/// Where each column assay reads sits in a row.
struct Layout {
    at: [Option<usize>; Column::ALL.len()],
    width: usize,
}

impl Layout {
    fn new(schema: &[String]) -> Self {
        let mut at = [None; Column::ALL.len()];
        for (index, name) in schema.iter().enumerate() {
            if let Some(column) = Column::from_name(name) {
                // The first of a repeated name wins.
                at[column as usize].get_or_insert(index);
            }
        }
        Self {
            at,
            width: schema.len(),
        }
    }

    fn get<'r>(&self, record: &'r csv::ByteRecord, column: Column) -> Option<&'r [u8]> {
        self.at[column as usize].and_then(|i| record.get(i))
    }
}

pub(super) fn read(
    manifest: &Manifest,
    path: &Path,
    name: &str,
    row: &mut RowSink<'_>,
) -> Result<u64, InventoryError> {
    let layout = Layout::new(&manifest.file_schema);
    let file = std::fs::File::open(path).map_err(|e| InventoryError::io(name, e))?;
    let mut buffered = BufReader::with_capacity(256 * 1024, file);
    // AWS always gzips; a plain CSV (an unpacked copy) is read as it is.
    let gzip = buffered
        .fill_buf()
        .map_err(|e| InventoryError::io(name, e))?
        .starts_with(&[0x1f, 0x8b]);
    let input: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(rows),
            Err(e) => return Err(read_error(e, name, rows)),
        }
        // Blank lines (AWS ends some files with extra newlines) arrive as
        // one empty field when the csv reader does not skip them itself.
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue;
        }
        let parsed =
            parse_row(&layout, &record).map_err(|message| InventoryError::MalformedRow {
                file: name.to_string(),
                row: rows + 1,
                message,
            })?;
        rows += 1;
        row(parsed)?;
    }
}

/// A failed read of the decompressed text, in the words a user needs.
fn read_error(error: csv::Error, name: &str, rows: u64) -> InventoryError {
    match error.into_kind() {
        csv::ErrorKind::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            InventoryError::TruncatedGzip {
                file: name.to_string(),
                rows,
            }
        }
        csv::ErrorKind::Io(e) => InventoryError::CorruptGzip {
            file: name.to_string(),
            rows,
            message: e.to_string(),
        },
        other => InventoryError::MalformedRow {
            file: name.to_string(),
            row: rows + 1,
            message: format!("{other:?}"),
        },
    }
}

/// A value shown in an error: short, and only the start of it.
fn shown(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    format!("{out:?}")
}

fn text(value: &[u8], column: Column) -> Result<String, String> {
    String::from_utf8(value.to_vec())
        .map_err(|_| format!("{} {} is not UTF-8", column.csv_name(), shown(value)))
}

/// `None` for an empty value.
fn optional_text(value: Option<&[u8]>, column: Column) -> Result<Option<String>, String> {
    match value {
        None | Some(b"") => Ok(None),
        Some(v) => text(v, column).map(Some),
    }
}

fn boolean(value: Option<&[u8]>, column: Column) -> Result<Option<bool>, String> {
    match value {
        None | Some(b"") => Ok(None),
        Some(v) if v.eq_ignore_ascii_case(b"true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case(b"false") => Ok(Some(false)),
        Some(v) => Err(format!(
            "{} {} is not true or false",
            column.csv_name(),
            shown(v)
        )),
    }
}

fn parse_row(layout: &Layout, record: &csv::ByteRecord) -> Result<InventoryRow, String> {
    if record.len() != layout.width {
        return Err(format!(
            "it has {} fields but the manifest's fileSchema names {}",
            record.len(),
            layout.width
        ));
    }
    let required = |column: Column| match layout.get(record, column) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("{} is empty", column.csv_name())),
    };
    let bucket = text(required(Column::Bucket)?, Column::Bucket)?;
    let raw_key = required(Column::Key)?;
    let key = decode_key(raw_key).ok_or_else(|| {
        format!(
            "Key {} does not decode to UTF-8 (keys are URL-encoded)",
            shown(raw_key)
        )
    })?;
    let version_id = match layout.get(record, Column::VersionId) {
        // A report of current versions only.
        None => None,
        // Objects written before versioning was enabled.
        Some(b"") => Some("null".to_string()),
        Some(v) => Some(text(v, Column::VersionId)?),
    };
    let size = match layout.get(record, Column::Size) {
        None | Some(b"") => None,
        Some(v) => Some(
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| format!("Size {} is not a number of bytes", shown(v)))?,
        ),
    };
    let last_modified = match layout.get(record, Column::LastModifiedDate) {
        None | Some(b"") => None,
        Some(v) => Some(timestamp(v).ok_or_else(|| {
            format!(
                "LastModifiedDate {} is not an RFC 3339 time such as 2022-12-12T13:20:39.000Z",
                shown(v)
            )
        })?),
    };
    let etag = optional_text(layout.get(record, Column::ETag), Column::ETag)?
        .map(|e| e.trim_matches('"').to_string())
        .filter(|e| !e.is_empty());
    Ok(InventoryRow {
        bucket,
        key,
        version_id,
        is_latest: boolean(layout.get(record, Column::IsLatest), Column::IsLatest)?,
        is_delete_marker: boolean(
            layout.get(record, Column::IsDeleteMarker),
            Column::IsDeleteMarker,
        )?
        .unwrap_or(false),
        size,
        last_modified,
        etag,
        storage_class: optional_text(
            layout.get(record, Column::StorageClass),
            Column::StorageClass,
        )?,
        encryption_status: optional_text(
            layout.get(record, Column::EncryptionStatus),
            Column::EncryptionStatus,
        )?,
        intelligent_tiering_access_tier: optional_text(
            layout.get(record, Column::IntelligentTieringAccessTier),
            Column::IntelligentTieringAccessTier,
        )?,
    })
}

fn timestamp(value: &[u8]) -> Option<SystemTime> {
    humantime::parse_rfc3339(std::str::from_utf8(value).ok()?).ok()
}

/// Decodes a CSV inventory key: `+` is a space, `%XX` a byte (a `%` not
/// followed by two hex digits stays as it is), and the bytes are UTF-8.
/// `None` if they are not.
pub(crate) fn decode_key(raw: &[u8]) -> Option<String> {
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        return std::str::from_utf8(raw).ok().map(str::to_string);
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut bytes = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        match raw[at] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let pair = raw
                    .get(at + 1)
                    .and_then(|&h| hex(h))
                    .zip(raw.get(at + 2).and_then(|&l| hex(l)));
                if let Some((high, low)) = pair {
                    bytes.push(high << 4 | low);
                    at += 3;
                    continue;
                }
                bytes.push(b'%');
            }
            other => bytes.push(other),
        }
        at += 1;
    }
    String::from_utf8(bytes).ok()
}
