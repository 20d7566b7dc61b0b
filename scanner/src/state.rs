//! Incremental-scan state (`--state FILE`, SQLite): each object's version
//! (ETag, size, last modified, version id) and its records, with the
//! catalog and model versions that made them. A rescan reuses the records
//! of every object whose version and versions of the rules are unchanged
//! (no GET, no read), classifies the rest, and says of each record whether
//! it is `new`, `changed` or `unchanged`; objects gone since are `removed`.
//!
//! Every object is committed as soon as it is classified, under the scan's
//! row. A scan that is killed leaves its row unfinished; the next scan of
//! the same targets resumes it: objects it already did are reused with the
//! change they were given, so the final report is that of an uninterrupted
//! scan, with nothing lost or counted twice.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::record::{Change, ObjectRecord};
use crate::source::ObjectRef;

/// Why the state could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("state {path}: stored records do not read back: {source}")]
    Records {
        path: String,
        source: serde_json::Error,
    },
    #[error(
        "state {path}: layout version {found} is newer than this assay reads ({supported}); use a newer assay or another --state file"
    )]
    Version {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("state {path}: unknown change {change:?} stored for {uri}")]
    Change {
        path: String,
        uri: String,
        change: String,
    },
}

/// What to do with an object.
#[derive(Debug)]
pub enum Lookup {
    /// Its stored records, with their change set: no need to read it.
    Reuse(Vec<ObjectRecord>),
    /// Classify it; its records get this change.
    Classify { change: Change },
}

/// The state of one scan in progress.
pub struct State {
    path: String,
    connection: Mutex<Connection>,
    scan: i64,
    /// The catalog and model versions the records are made with.
    rules: String,
}

/// The layout of a state file this build writes (`PRAGMA user_version`).
/// Version 0 is a file made before versions were recorded: its layout is
/// version 1's, so it is migrated by stamping it.
pub const SCHEMA_VERSION: i64 = 1;
const SCHEMA: &str = include_str!("state/schema.sql");

fn version_of(object: &ObjectRef) -> (Option<String>, i64, Option<String>, Option<String>) {
    (
        object.etag.clone(),
        i64::try_from(object.size).unwrap_or(i64::MAX),
        object
            .last_modified
            .map(|t| humantime::format_rfc3339_nanos(t).to_string()),
        object.version_id.clone(),
    )
}

impl State {
    /// Opens (or creates) the state and starts a scan of `targets`, or
    /// resumes the unfinished last scan of the same targets.
    pub fn open(
        path: &Path,
        targets: &[String],
        catalog_version: &str,
        model_version: &str,
    ) -> Result<Self, StateError> {
        let name = path.display().to_string();
        let sqlite = |source| StateError::Sqlite {
            path: name.clone(),
            source,
        };
        let connection = Connection::open(path).map_err(sqlite)?;
        let found: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StateError::Version {
                path: name,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        // Creates the tables of a new file; an unversioned file (version 0)
        // already has them and only gets its stamp.
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(sqlite)?;
        connection.execute_batch(SCHEMA).map_err(sqlite)?;
        connection
            .pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sqlite)?;
        let mut sorted = targets.to_vec();
        sorted.sort();
        let key = serde_json::to_string(&sorted).unwrap_or_default();
        let last: Option<(i64, Option<String>)> = connection
            .query_row(
                "SELECT id, finished FROM scans WHERE targets = ?1 ORDER BY id DESC LIMIT 1",
                params![key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(sqlite)?;
        let scan = match last {
            Some((id, None)) => {
                tracing::info!("{name}: resuming the unfinished scan {id}");
                id
            }
            _ => {
                connection
                    .execute(
                        "INSERT INTO scans (targets, started) VALUES (?1, ?2)",
                        params![
                            key,
                            humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                                .to_string()
                        ],
                    )
                    .map_err(sqlite)?;
                connection.last_insert_rowid()
            }
        };
        Ok(Self {
            path: name,
            connection: Mutex::new(connection),
            scan,
            rules: format!("{catalog_version} {model_version}"),
        })
    }

    fn sqlite(&self, source: rusqlite::Error) -> StateError {
        StateError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reuse or classify? Decided from the object's listed version alone.
    pub fn lookup(&self, object: &ObjectRef) -> Result<Lookup, StateError> {
        type Row = (
            Option<String>,
            i64,
            Option<String>,
            Option<String>,
            String,
            String,
            i64,
            String,
        );
        let row: Option<Row> = self
            .connection()
            .query_row(
                "SELECT etag, size, last_modified, version_id, rules, records, scan, change
                 FROM objects WHERE uri = ?1",
                params![object.uri],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let Some((etag, size, modified, version, rules, records, scan, change)) = row else {
            return Ok(Lookup::Classify {
                change: Change::New,
            });
        };
        let same_object = (etag, size, modified, version) == version_of(object);
        let reusable = same_object && rules == self.rules;
        if scan == self.scan && reusable {
            // Done by this scan before it was interrupted.
            let change = Change::from_name(&change).ok_or_else(|| StateError::Change {
                path: self.path.clone(),
                uri: object.uri.clone(),
                change,
            })?;
            return self.records(object, &records, change).map(Lookup::Reuse);
        }
        if reusable {
            self.connection()
                .execute(
                    "UPDATE objects SET scan = ?1, change = 'unchanged' WHERE uri = ?2",
                    params![self.scan, object.uri],
                )
                .map_err(|e| self.sqlite(e))?;
            return self
                .records(object, &records, Change::Unchanged)
                .map(Lookup::Reuse);
        }
        // Same bytes, newer rules: read again, but the object did not change.
        let change = if same_object {
            Change::Unchanged
        } else {
            Change::Changed
        };
        Ok(Lookup::Classify { change })
    }

    fn records(
        &self,
        object: &ObjectRef,
        json: &str,
        change: Change,
    ) -> Result<Vec<ObjectRecord>, StateError> {
        let mut records: Vec<ObjectRecord> =
            serde_json::from_str(json).map_err(|source| StateError::Records {
                path: self.path.clone(),
                source,
            })?;
        for record in &mut records {
            record.change = Some(change);
            record.bucket_key = object.bucket_key.clone();
        }
        Ok(records)
    }

    /// Commits an object's records (archive members and the archive).
    pub fn store(
        &self,
        object: &ObjectRef,
        records: &[ObjectRecord],
        change: Change,
    ) -> Result<(), StateError> {
        let json = serde_json::to_string(records).unwrap_or_else(|_| "[]".into());
        let (etag, size, modified, version) = version_of(object);
        self.connection()
            .execute(
                "INSERT INTO objects (uri, etag, size, last_modified, version_id, rules, records, scan, change)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (uri) DO UPDATE SET etag = ?2, size = ?3, last_modified = ?4,
                   version_id = ?5, rules = ?6, records = ?7, scan = ?8, change = ?9",
                params![object.uri, etag, size, modified, version, self.rules, json, self.scan, change.as_str()],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Ends the scan: objects under `prefixes` that this scan did not see
    /// are removed from the state and returned (pass no prefixes when the
    /// scan's scope filters left objects out on purpose).
    pub fn finish(&self, prefixes: &[String]) -> Result<Vec<String>, StateError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare("SELECT uri FROM objects WHERE scan != ?1 ORDER BY uri")
            .map_err(|e| self.sqlite(e))?;
        let stale: Vec<String> = statement
            .query_map(params![self.scan], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        drop(statement);
        let removed: Vec<String> = stale
            .into_iter()
            .filter(|uri| prefixes.iter().any(|p| uri.starts_with(p.as_str())))
            .collect();
        for uri in &removed {
            connection
                .execute("DELETE FROM objects WHERE uri = ?1", params![uri])
                .map_err(|e| self.sqlite(e))?;
        }
        connection
            .execute(
                "UPDATE scans SET finished = ?1 WHERE id = ?2",
                params![
                    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
                    self.scan
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_new_file_is_stamped_with_the_layout_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        State::open(&path, &["t".into()], "c", "m").unwrap();
        assert_eq!(version(&path), SCHEMA_VERSION);
    }

    #[test]
    fn an_unversioned_file_keeps_its_rows_and_is_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            // A file as assay wrote it before layouts had versions.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA).unwrap();
            old.execute(
                "INSERT INTO objects (uri, size, rules, records, scan, change)
                 VALUES ('file:///a', 1, 'r', '[]', 1, 'new')",
                [],
            )
            .unwrap();
        }
        assert_eq!(version(&path), 0);
        State::open(&path, &["t".into()], "c", "m").unwrap();
        assert_eq!(version(&path), SCHEMA_VERSION);
        let rows: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM objects", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn a_newer_layout_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let error = State::open(&path, &["t".into()], "c", "m")
            .err()
            .expect("a newer layout is refused");
        assert!(matches!(error, StateError::Version { found, .. } if found == SCHEMA_VERSION + 1));
        assert!(
            error.to_string().contains("newer than this assay reads"),
            "{error}"
        );
        assert_eq!(version(&path), SCHEMA_VERSION + 1);
        let tables: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            tables, 0,
            "no table was created in a file this build cannot read"
        );
    }
}
