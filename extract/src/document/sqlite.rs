//! SQLite databases, read with `rusqlite` (read-only, immutable: no
//! journal is touched): every table's rows, one line each, each value
//! marked with its table, row number and column name.

use std::path::Path;
use std::sync::Arc;

use assay_classifiers::place::Place;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::{DocumentError, Format, Text};
use crate::spool::Spool;

/// A database from a bucket or an archive: written to a temporary file
/// first (SQLite reads files).
pub(super) fn extract(spool: Spool, text: &mut Text<'_>) -> Result<(), DocumentError> {
    let file = spool.into_file()?;
    extract_file(file.path(), text)
}

/// A database on disk, read in place.
pub(super) fn extract_file(path: &Path, text: &mut Text<'_>) -> Result<(), DocumentError> {
    let uri = format!(
        "file:{}?immutable=1",
        percent_encoding::utf8_percent_encode(
            &path.to_string_lossy(),
            percent_encoding::NON_ALPHANUMERIC
        )
        .to_string()
        .replace("%2F", "/")
    );
    let connection = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error)?;
    let tables: Vec<String> = {
        let mut statement = connection
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY rowid")
            .map_err(sqlite_error)?;
        statement
            .query_map([], |row| row.get(0))
            .map_err(sqlite_error)?
            .collect::<Result<_, _>>()
            .map_err(sqlite_error)?
    };
    for table in tables {
        text.check_time()?;
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {quoted}"))
            .map_err(sqlite_error)?;
        let columns: Vec<Arc<str>> = statement
            .column_names()
            .into_iter()
            .map(Arc::from)
            .collect();
        let table_name: Arc<str> = Arc::from(table.as_str());
        text.mark(Place {
            table: Some(table_name.clone()),
            ..Place::default()
        })?;
        text.write(&format!("{table}\t{}\n", columns.join("\t")))?;
        let mut rows = statement.query([]).map_err(sqlite_error)?;
        let mut number = 0u64;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            number += 1;
            if number.is_multiple_of(1024) {
                text.check_time()?;
            }
            for (index, column) in columns.iter().enumerate() {
                let value = row.get_ref(index).map_err(sqlite_error)?;
                if value == ValueRef::Null {
                    continue;
                }
                text.mark(Place {
                    table: Some(table_name.clone()),
                    row: Some(number),
                    column_name: Some(column.clone()),
                    ..Place::default()
                })?;
                match value {
                    ValueRef::Integer(i) => text.write(&i.to_string())?,
                    ValueRef::Real(f) => text.write(&f.to_string())?,
                    ValueRef::Text(t) | ValueRef::Blob(t) => text.write_lossy(t)?,
                    ValueRef::Null => {}
                }
                text.write("\t")?;
            }
            text.write("\n")?;
        }
    }
    Ok(())
}

fn sqlite_error(error: rusqlite::Error) -> DocumentError {
    let message = error.to_string();
    if message.contains("file is not a database") {
        // SQLCipher and other encrypted databases read as noise.
        DocumentError::Corrupt {
            format: Format::Sqlite.name(),
            message: "not readable as SQLite (corrupt, or encrypted as by SQLCipher)".into(),
        }
    } else {
        DocumentError::corrupt(Format::Sqlite, message)
    }
}
