//! Parquet inventory data files (Snappy, as AWS writes them): columns
//! named in the file's own schema (`e_tag`, `last_modified_date`), read
//! row by row with only the columns assay uses projected, keys as they are
//! (not URL-encoded), timestamps as UTC milliseconds.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::Type;

use super::{Column, InventoryError, InventoryRow, RowSink};

pub(super) fn read(path: &Path, name: &str, row: &mut RowSink<'_>) -> Result<u64, InventoryError> {
    // The `parquet` crate may still panic on malformed data the footer
    // check cannot see: that is a corrupt file, not the end of the run.
    let mut rows = 0u64;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_rows(path, name, row, &mut rows)
    }))
    .unwrap_or_else(|_| {
        Err(InventoryError::Parquet {
            file: name.to_string(),
            message: format!("the Parquet reader failed on malformed data after {rows} rows"),
        })
    })
}

fn read_rows(
    path: &Path,
    name: &str,
    row: &mut RowSink<'_>,
    rows: &mut u64,
) -> Result<u64, InventoryError> {
    let corrupt = |e: parquet::errors::ParquetError| match e {
        parquet::errors::ParquetError::NYI(message) => InventoryError::UnsupportedFormat {
            file: name.to_string(),
            format: "Parquet".into(),
            message: one_line(&message),
        },
        other => InventoryError::Parquet {
            file: name.to_string(),
            message: one_line(&other.to_string()),
        },
    };
    let file = std::fs::File::open(path).map_err(|e| InventoryError::io(name, e))?;
    let reader = SerializedFileReader::new(file).map_err(corrupt)?;
    assay_extract::parquet_guard::check_column_ranges(reader.metadata()).map_err(|message| {
        InventoryError::Parquet {
            file: name.to_string(),
            message,
        }
    })?;
    let schema = reader.metadata().file_metadata().schema();
    // Only the columns assay reads are decoded (ACLs and owners are not).
    let (columns, fields): (Vec<Column>, Vec<Arc<Type>>) = schema
        .get_fields()
        .iter()
        .filter_map(|f| Some((Column::from_name(f.name())?, Arc::clone(f))))
        .unzip();
    for required in [Column::Bucket, Column::Key] {
        if !columns.contains(&required) {
            return Err(InventoryError::MissingColumn {
                file: name.to_string(),
                column: required.csv_name(),
            });
        }
    }
    let versioned = columns.contains(&Column::VersionId);
    let projection = Type::group_type_builder(schema.name())
        .with_fields(fields)
        .build()
        .map_err(corrupt)?;
    let rows_iter = reader.get_row_iter(Some(projection)).map_err(corrupt)?;
    for read in rows_iter {
        let record = read.map_err(corrupt)?;
        let malformed = |message: String| InventoryError::MalformedRow {
            file: name.to_string(),
            row: *rows + 1,
            message,
        };
        let mut parsed = InventoryRow {
            bucket: String::new(),
            key: String::new(),
            version_id: versioned.then(|| "null".to_string()),
            is_latest: None,
            is_delete_marker: false,
            size: None,
            last_modified: None,
            etag: None,
            storage_class: None,
            encryption_status: None,
            intelligent_tiering_access_tier: None,
        };
        for (column, (_, field)) in columns.iter().zip(record.into_columns()) {
            fill(&mut parsed, *column, field).map_err(malformed)?;
        }
        if parsed.bucket.is_empty() {
            return Err(malformed("bucket is empty".into()));
        }
        if parsed.key.is_empty() {
            return Err(malformed("key is empty".into()));
        }
        *rows += 1;
        row(parsed)?;
    }
    Ok(*rows)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A text value; `None` for null.
fn text(field: Field, column: Column) -> Result<Option<String>, String> {
    match field {
        Field::Null => Ok(None),
        Field::Str(s) => Ok(Some(s)),
        Field::Bytes(b) => String::from_utf8(b.data().to_vec())
            .map(Some)
            .map_err(|_| format!("{} is not UTF-8", column.csv_name())),
        other => Err(format!(
            "{} holds a {} value, not text",
            column.csv_name(),
            kind(&other)
        )),
    }
}

fn kind(field: &Field) -> &'static str {
    match field {
        Field::Bool(_) => "boolean",
        Field::Str(_) | Field::Bytes(_) => "text",
        Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) => "nested",
        Field::Float(_) | Field::Double(_) | Field::Float16(_) | Field::Decimal(_) => "fractional",
        _ => "numeric",
    }
}

/// Milliseconds since the epoch (before it, too) as a time.
fn from_millis(ms: i64) -> SystemTime {
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

fn fill(row: &mut InventoryRow, column: Column, field: Field) -> Result<(), String> {
    match column {
        Column::Bucket => row.bucket = text(field, column)?.unwrap_or_default(),
        Column::Key => row.key = text(field, column)?.unwrap_or_default(),
        Column::VersionId => {
            // Null or empty: the null version, as in CSV reports.
            if let Some(id) = text(field, column)?.filter(|id| !id.is_empty()) {
                row.version_id = Some(id);
            }
        }
        Column::IsLatest | Column::IsDeleteMarker => {
            let value = match field {
                Field::Null => None,
                Field::Bool(b) => Some(b),
                other => {
                    return Err(format!(
                        "{} holds a {} value, not a boolean",
                        column.csv_name(),
                        kind(&other)
                    ));
                }
            };
            if column == Column::IsLatest {
                row.is_latest = value;
            } else {
                row.is_delete_marker = value.unwrap_or(false);
            }
        }
        Column::Size => {
            row.size = match field {
                Field::Null => None,
                Field::Long(n) => {
                    Some(u64::try_from(n).map_err(|_| format!("Size {n} is negative"))?)
                }
                Field::Int(n) => {
                    Some(u64::try_from(n).map_err(|_| format!("Size {n} is negative"))?)
                }
                Field::ULong(n) => Some(n),
                Field::UInt(n) => Some(u64::from(n)),
                other => {
                    return Err(format!("Size holds a {} value, not a number", kind(&other)));
                }
            }
        }
        Column::LastModifiedDate => {
            // AWS writes TIMESTAMP_MILLIS without a time zone: it is UTC.
            row.last_modified = match field {
                Field::Null => None,
                Field::TimestampMillis(ms) | Field::Long(ms) => Some(from_millis(ms)),
                Field::TimestampMicros(us) => Some(
                    from_millis(us.div_euclid(1000))
                        + Duration::from_micros(us.rem_euclid(1000) as u64),
                ),
                other => {
                    return Err(format!(
                        "last_modified_date holds a {} value, not a timestamp",
                        kind(&other)
                    ));
                }
            }
        }
        Column::ETag => {
            row.etag = text(field, column)?
                .map(|e| e.trim_matches('"').to_string())
                .filter(|e| !e.is_empty());
        }
        Column::StorageClass => row.storage_class = text(field, column)?.filter(|s| !s.is_empty()),
        Column::EncryptionStatus => {
            row.encryption_status = text(field, column)?.filter(|s| !s.is_empty())
        }
        Column::IntelligentTieringAccessTier => {
            row.intelligent_tiering_access_tier = text(field, column)?.filter(|s| !s.is_empty())
        }
    }
    Ok(())
}
