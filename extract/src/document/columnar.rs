//! Data-lake files: Parquet (read with `parquet`, row by row, Snappy,
//! gzip and zstd pages) and Avro object containers (read with `apache-avro`, null,
//! deflate, Snappy and zstd blocks). Each record's values are written one per
//! line and marked with the record's index and the value's JSON path
//! (`$.customer.card_number`), whose last steps count as the keyword next
//! to the value.

use std::io::{Seek, SeekFrom};

use parquet::file::reader::{FileReader, SerializedFileReader};

use assay_classifiers::place::Place;
use parquet::record::{Field, Row};

use super::{DocumentError, Format, Text};
use crate::spool::Spool;

pub(super) fn parquet(spool: Spool, text: &mut Text<'_>) -> Result<(), DocumentError> {
    match spool {
        Spool::Memory(cursor) => {
            let bytes = bytes::Bytes::from(cursor.into_inner());
            parquet_rows(SerializedFileReader::new(bytes), text)
        }
        Spool::File(reader) => {
            let mut file = reader.into_inner();
            file.seek(SeekFrom::Start(0))?;
            parquet_rows(SerializedFileReader::new(file), text)
        }
    }
}

fn parquet_rows<R: parquet::file::reader::ChunkReader + 'static>(
    reader: parquet::errors::Result<SerializedFileReader<R>>,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    let reader = reader.map_err(parquet_error)?;
    let rows = reader.get_row_iter(None).map_err(parquet_error)?;
    let mut path = String::from("$");
    for (index, row) in rows.enumerate() {
        if index.is_multiple_of(1024) {
            text.check_time()?;
        }
        let row = row.map_err(parquet_error)?;
        write_row(index as u64, &mut path, &row, text)?;
    }
    Ok(())
}

fn parquet_error(error: parquet::errors::ParquetError) -> DocumentError {
    match error {
        parquet::errors::ParquetError::NYI(message) => DocumentError::Unsupported {
            format: Format::Parquet.name(),
            message,
        },
        other => DocumentError::corrupt(Format::Parquet, other),
    }
}

/// A codec this build lacks (bzip2, xz) is unsupported, not corrupt.
fn avro_error(error: apache_avro::Error) -> DocumentError {
    let message = error.to_string();
    if message.contains("is not supported/enabled") {
        DocumentError::Unsupported {
            format: Format::Avro.name(),
            message,
        }
    } else {
        DocumentError::corrupt(Format::Avro, message)
    }
}

pub(super) fn avro(spool: Spool, text: &mut Text<'_>) -> Result<(), DocumentError> {
    let reader = apache_avro::Reader::new(std::io::BufReader::new(spool)).map_err(avro_error)?;
    let mut path = String::from("$");
    for (index, value) in reader.enumerate() {
        if index.is_multiple_of(1024) {
            text.check_time()?;
        }
        let value = value.map_err(avro_error)?;
        write_avro(index as u64, &mut path, &value, text)?;
    }
    Ok(())
}

/// Appends `.name` (or `["name"]`) to a JSON path.
fn push_key(path: &mut String, key: &str) {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", serde_json::Value::from(key)));
    }
}

/// Writes one value on a line of its own, marked with its record and path.
fn write_leaf(
    record: u64,
    path: &str,
    value: &str,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    text.mark(Place::record(record, path))?;
    text.write(value)?;
    text.write("\n")
}

/// Bytes as the text they hold (a secret in a binary column is still
/// text), invalid UTF-8 replaced.
fn bytes_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_row(
    record: u64,
    path: &mut String,
    row: &Row,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    for (name, field) in row.get_column_iter() {
        let len = path.len();
        push_key(path, name);
        write_field(record, path, field, text)?;
        path.truncate(len);
    }
    Ok(())
}

fn write_field(
    record: u64,
    path: &mut String,
    field: &Field,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    match field {
        Field::Null => Ok(()),
        Field::Str(s) => write_leaf(record, path, s, text),
        Field::Bytes(b) => write_leaf(record, path, &bytes_text(b.data()), text),
        Field::Group(row) => write_row(record, path, row, text),
        Field::ListInternal(list) => {
            for (index, item) in list.elements().iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                write_field(record, path, item, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Field::MapInternal(map) => {
            for (key, value) in map.entries() {
                let len = path.len();
                let key = match key {
                    Field::Str(s) => s.clone(),
                    other => other.to_string(),
                };
                push_key(path, &key);
                write_field(record, path, value, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        other => write_leaf(record, path, &other.to_string(), text),
    }
}

fn write_avro(
    record: u64,
    path: &mut String,
    value: &apache_avro::types::Value,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    use apache_avro::types::Value;
    match value {
        Value::Null => Ok(()),
        Value::String(s) | Value::Enum(_, s) => write_leaf(record, path, s, text),
        Value::Bytes(b) | Value::Fixed(_, b) => write_leaf(record, path, &bytes_text(b), text),
        Value::Union(_, inner) => write_avro(record, path, inner, text),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                write_avro(record, path, item, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Map(entries) => {
            // In key order, so a record's places do not depend on hashing.
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            for key in keys {
                let len = path.len();
                push_key(path, key);
                write_avro(record, path, &entries[key], text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Record(fields) => {
            for (name, field) in fields {
                let len = path.len();
                push_key(path, name);
                write_avro(record, path, field, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Boolean(b) => write_leaf(record, path, &b.to_string(), text),
        Value::Int(i) | Value::Date(i) | Value::TimeMillis(i) => {
            write_leaf(record, path, &i.to_string(), text)
        }
        Value::Long(l)
        | Value::TimeMicros(l)
        | Value::TimestampMillis(l)
        | Value::TimestampMicros(l)
        | Value::TimestampNanos(l) => write_leaf(record, path, &l.to_string(), text),
        Value::Uuid(u) => write_leaf(record, path, &u.to_string(), text),
        // NaN and infinities are values too (JSON has no place for them).
        Value::Float(f) => write_leaf(record, path, &f.to_string(), text),
        Value::Double(d) => write_leaf(record, path, &d.to_string(), text),
        other => write_leaf(record, path, &format!("{other:?}"), text),
    }
}
