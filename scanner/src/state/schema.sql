-- The incremental-scan state, layout version 1 (`PRAGMA user_version`).
-- A change to these tables raises SCHEMA_VERSION in state.rs and adds a
-- migration there from the version before.
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
