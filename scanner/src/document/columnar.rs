//! Data-lake files: Parquet (read with `parquet`, row by row, Snappy,
//! gzip and zstd pages) and Avro object containers (read with `apache-avro`, null,
//! deflate, Snappy and zstd blocks). Each record's values are written one per
//! line and marked with the record's index and the value's JSON path
//! (`$.customer.card_number`), whose last steps count as the keyword next
//! to the value.

use std::io::{Seek, SeekFrom};

use parquet::file::reader::{FileReader, SerializedFileReader};

use super::{DocumentError, Format, Text, write_json};
use crate::spool::Spool;

pub(super) fn parquet(spool: Spool, text: &mut Text<'_, '_>) -> Result<(), DocumentError> {
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
    text: &mut Text<'_, '_>,
) -> Result<(), DocumentError> {
    let reader = reader.map_err(parquet_error)?;
    let rows = reader.get_row_iter(None).map_err(parquet_error)?;
    let mut path = String::from("$");
    for (index, row) in rows.enumerate() {
        if index.is_multiple_of(1024) {
            text.check_time()?;
        }
        let row = row.map_err(parquet_error)?;
        write_json(index as u64, &mut path, &row.to_json_value(), text)?;
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

pub(super) fn avro(spool: Spool, text: &mut Text<'_, '_>) -> Result<(), DocumentError> {
    let reader = apache_avro::Reader::new(std::io::BufReader::new(spool)).map_err(avro_error)?;
    let mut path = String::from("$");
    for (index, value) in reader.enumerate() {
        if index.is_multiple_of(1024) {
            text.check_time()?;
        }
        let value = value.map_err(avro_error)?;
        let json = serde_json::Value::try_from(value)
            .map_err(|e| DocumentError::corrupt(Format::Avro, e))?;
        write_json(index as u64, &mut path, &json, text)?;
    }
    Ok(())
}
