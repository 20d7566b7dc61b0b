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

use crate::record::ObjectRecord;
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
}

/// What to do with an object.
#[derive(Debug)]
pub enum Lookup {
    /// Its stored records, with their change set: no need to read it.
    Reuse(Vec<ObjectRecord>),
    /// Classify it; its records get this change.
    Classify { change: &'static str },
}

/// The state of one scan in progress.
pub struct State {
    path: String,
    connection: Mutex<Connection>,
    scan: i64,
    /// The catalog and model versions the records are made with.
    rules: String,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    targets TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT
);
CREATE TABLE IF NOT EXISTS objects (
    uri TEXT PRIMARY KEY,
    etag TEXT,
    size INTEGER NOT NULL,
    last_modified TEXT,
    version_id TEXT,
    rules TEXT NOT NULL,
    records TEXT NOT NULL,
    scan INTEGER NOT NULL,
    change TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_scan ON objects (scan);
";

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
        connection.execute_batch(SCHEMA).map_err(sqlite)?;
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
            return Ok(Lookup::Classify { change: "new" });
        };
        let same_object = (etag, size, modified, version) == version_of(object);
        let reusable = same_object && rules == self.rules;
        if scan == self.scan && reusable {
            // Done by this scan before it was interrupted.
            return self.records(object, &records, &change).map(Lookup::Reuse);
        }
        if reusable {
            self.connection()
                .execute(
                    "UPDATE objects SET scan = ?1, change = 'unchanged' WHERE uri = ?2",
                    params![self.scan, object.uri],
                )
                .map_err(|e| self.sqlite(e))?;
            return self
                .records(object, &records, "unchanged")
                .map(Lookup::Reuse);
        }
        // Same bytes, newer rules: read again, but the object did not change.
        let change = if same_object { "unchanged" } else { "changed" };
        Ok(Lookup::Classify { change })
    }

    fn records(
        &self,
        object: &ObjectRef,
        json: &str,
        change: &str,
    ) -> Result<Vec<ObjectRecord>, StateError> {
        let mut records: Vec<ObjectRecord> =
            serde_json::from_str(json).map_err(|source| StateError::Records {
                path: self.path.clone(),
                source,
            })?;
        for record in &mut records {
            record.change = Some(change.to_string());
            record.bucket_key = object.bucket_key.clone();
        }
        Ok(records)
    }

    /// Commits an object's records (archive members and the archive).
    pub fn store(
        &self,
        object: &ObjectRef,
        records: &[ObjectRecord],
        change: &str,
    ) -> Result<(), StateError> {
        let json = serde_json::to_string(records).unwrap_or_else(|_| "[]".into());
        let (etag, size, modified, version) = version_of(object);
        self.connection()
            .execute(
                "INSERT INTO objects (uri, etag, size, last_modified, version_id, rules, records, scan, change)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (uri) DO UPDATE SET etag = ?2, size = ?3, last_modified = ?4,
                   version_id = ?5, rules = ?6, records = ?7, scan = ?8, change = ?9",
                params![object.uri, etag, size, modified, version, self.rules, json, self.scan, change],
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
