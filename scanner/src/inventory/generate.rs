//! Writes S3 Inventory reports as AWS delivers them, for tests and
//! benchmarks: `{dir}/{prefix}{source}/{config}/{YYYY-MM-DDTHH-MMZ}/manifest.json`
//! and `manifest.checksum`, `hive/dt=.../symlink.txt`, and data files under
//! `data/` — CSV gzip (every value double-quoted, keys form-URL-encoded,
//! no header row) or Parquet (Snappy, the documented `s3.inventory`
//! schema). `dir` stands for the destination bucket: data-file keys in the
//! manifest are paths below it. ORC is not written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use super::InventoryFormat;

/// One object, version or delete marker to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenRow {
    /// The key as stored (the generator encodes it for CSV).
    pub key: String,
    /// `None`: the null version (written as an empty VersionId).
    pub version_id: Option<String>,
    pub is_latest: bool,
    /// Delete markers are written without size, ETag and storage class.
    pub is_delete_marker: bool,
    pub size: u64,
    /// Written to the millisecond.
    pub last_modified: SystemTime,
    /// Without quotes (quotes given are dropped).
    pub etag: String,
    pub storage_class: String,
    pub encryption_status: String,
    pub intelligent_tiering_access_tier: Option<String>,
}

impl GenRow {
    /// The current version of an object holding `body`: its size, its MD5
    /// as ETag, STANDARD, SSE-S3, modified 2024-05-06T12:00:00Z.
    pub fn object(key: &str, body: &[u8]) -> GenRow {
        GenRow {
            key: key.to_string(),
            version_id: None,
            is_latest: true,
            is_delete_marker: false,
            size: body.len() as u64,
            last_modified: UNIX_EPOCH + Duration::from_secs(1_714_996_800),
            etag: hex::encode(Md5::digest(body)),
            storage_class: "STANDARD".into(),
            encryption_status: "SSE-S3".into(),
            intelligent_tiering_access_tier: None,
        }
    }
}

/// The documented column order (user guide's manifest example), without
/// the three version columns.
const CURRENT_COLUMNS: [&str; 15] = [
    "Bucket",
    "Key",
    "Size",
    "LastModifiedDate",
    "ETag",
    "StorageClass",
    "IsMultipartUploaded",
    "ReplicationStatus",
    "EncryptionStatus",
    "ObjectLockRetainUntilDate",
    "ObjectLockMode",
    "ObjectLockLegalHoldStatus",
    "IntelligentTieringAccessTier",
    "BucketKeyStatus",
    "ChecksumAlgorithm",
];

/// A column no reader knows yet (it appears only in SDK enums), for
/// "unknown columns are ignored".
pub const UNKNOWN_COLUMN: &str = "ObjectLockEventHoldStatus";

/// How to write a report.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub source_bucket: String,
    pub destination_bucket: String,
    /// The configuration's destination prefix (`""` or ending in `/`).
    pub destination_prefix: String,
    pub config_id: String,
    /// When the report's scan started: its folder name and creationTimestamp.
    pub created: SystemTime,
    pub format: InventoryFormat,
    /// CSV column names in file order (Parquet names are derived:
    /// `ETag` → `e_tag`). Names the generator does not know get a
    /// placeholder value.
    pub columns: Vec<String>,
    /// Rows per data file (a Parquet row group holds at most 64 Ki rows).
    pub rows_per_file: usize,
    /// Rows per gzip member in CSV files (AWS readers must take several).
    pub rows_per_gzip_member: usize,
}

impl GenOptions {
    /// The documented schema; `all_versions` adds VersionId, IsLatest and
    /// IsDeleteMarker after Key.
    pub fn new(source_bucket: &str, format: InventoryFormat, all_versions: bool) -> GenOptions {
        let mut columns: Vec<String> = CURRENT_COLUMNS.iter().map(|c| c.to_string()).collect();
        if all_versions {
            for (at, name) in ["VersionId", "IsLatest", "IsDeleteMarker"]
                .into_iter()
                .enumerate()
            {
                columns.insert(2 + at, name.to_string());
            }
        }
        GenOptions {
            source_bucket: source_bucket.to_string(),
            destination_bucket: "inventory-destination".into(),
            destination_prefix: String::new(),
            config_id: "assay-inventory".into(),
            created: UNIX_EPOCH + Duration::from_secs(1_715_043_600),
            format,
            columns,
            rows_per_file: 100_000,
            rows_per_gzip_member: usize::MAX,
        }
    }

    /// Adds [`UNKNOWN_COLUMN`] right after Key.
    pub fn with_unknown_column(mut self) -> GenOptions {
        self.columns.insert(2, UNKNOWN_COLUMN.to_string());
        self
    }

    /// `{prefix}{source}/{config}/`: the configuration folder.
    pub fn config_prefix(&self) -> String {
        format!(
            "{}{}/{}/",
            self.destination_prefix, self.source_bucket, self.config_id
        )
    }

    /// The report's folder name, `YYYY-MM-DDTHH-MMZ`.
    pub fn report_folder(&self) -> String {
        let text = humantime::format_rfc3339_seconds(self.created).to_string();
        format!("{}Z", text[..16].replace(':', "-"))
    }
}

/// Writes a report of `rows` for `source_bucket` below `dir` with the
/// documented schema (plus [`UNKNOWN_COLUMN`] if asked); returns the
/// manifest.json path.
pub fn write_inventory(
    dir: &Path,
    source_bucket: &str,
    rows: &[GenRow],
    format: InventoryFormat,
    all_versions: bool,
    extra_unknown_column: bool,
) -> std::io::Result<PathBuf> {
    let mut options = GenOptions::new(source_bucket, format, all_versions);
    if extra_unknown_column {
        options = options.with_unknown_column();
    }
    write_inventory_with(dir, &options, rows.iter().cloned())
}

/// Writes a report of `rows` as `options` say, streaming (a few data
/// files' worth of rows at most in memory); returns the manifest.json path.
pub fn write_inventory_with(
    dir: &Path,
    options: &GenOptions,
    rows: impl IntoIterator<Item = GenRow>,
) -> std::io::Result<PathBuf> {
    let mut rows = rows.into_iter().peekable();
    let mut files = Vec::new();
    let per_file = options.rows_per_file.max(1);
    while rows.peek().is_some() {
        let key = data_key(options, files.len());
        let path = dir.join(&key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let chunk = rows.by_ref().take(per_file);
        match options.format {
            InventoryFormat::Csv => write_csv(&path, options, chunk)?,
            InventoryFormat::Parquet => write_parquet(&path, options, chunk)?,
            InventoryFormat::Orc => return Err(orc()),
        }
        files.push(key);
    }
    write_manifest(dir, options, &files)
}

/// Writes the given bytes as a report's data files (named for the
/// format) and a manifest listing them, for tests that need data files the
/// generator would not write (truncated, hand-quoted, ...).
pub fn write_raw_report(
    dir: &Path,
    options: &GenOptions,
    data: &[Vec<u8>],
) -> std::io::Result<PathBuf> {
    let mut files = Vec::new();
    for (index, bytes) in data.iter().enumerate() {
        let key = data_key(options, index);
        let path = dir.join(&key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        files.push(key);
    }
    write_manifest(dir, options, &files)
}

fn orc() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the generator writes CSV and Parquet reports, not ORC",
    )
}

/// A data file's key: `data/` and a UUID-shaped name derived from the
/// report, so reruns write the same names.
fn data_key(options: &GenOptions, index: usize) -> String {
    let seed = format!(
        "{}|{}|{}|{index}",
        options.source_bucket,
        options.config_id,
        options.report_folder()
    );
    let h = hex::encode(Md5::digest(seed.as_bytes()));
    let extension = match options.format {
        InventoryFormat::Csv => "csv.gz",
        InventoryFormat::Parquet => "parquet",
        InventoryFormat::Orc => "orc",
    };
    format!(
        "{}data/{}-{}-{}-{}-{}.{extension}",
        options.config_prefix(),
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Writes manifest.json, manifest.checksum and the Hive symlink.txt.
fn write_manifest(dir: &Path, options: &GenOptions, files: &[String]) -> std::io::Result<PathBuf> {
    let mut listed = Vec::new();
    for key in files {
        let bytes = std::fs::read(dir.join(key))?;
        listed.push(serde_json::json!({
            "key": key,
            "size": bytes.len(),
            "MD5checksum": hex::encode(Md5::digest(&bytes)),
        }));
    }
    let created_ms = options
        .created
        .duration_since(UNIX_EPOCH)
        .map_err(std::io::Error::other)?
        .as_millis();
    let manifest = serde_json::json!({
        "sourceBucket": options.source_bucket,
        "destinationBucket": format!("arn:aws:s3:::{}", options.destination_bucket),
        "version": "2016-11-30",
        "creationTimestamp": created_ms.to_string(),
        "fileFormat": options.format.name(),
        "fileSchema": file_schema(options),
        "files": listed,
    });
    let json = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
    let folder = dir
        .join(options.config_prefix())
        .join(options.report_folder());
    std::fs::create_dir_all(&folder)?;
    let manifest_path = folder.join("manifest.json");
    std::fs::write(&manifest_path, &json)?;
    std::fs::write(
        folder.join("manifest.checksum"),
        format!("{}\n", hex::encode(Md5::digest(&json))),
    )?;
    // hive/dt=YYYY-MM-DD-HH-MM/symlink.txt: one s3:// URI per data file.
    let dt = options.report_folder().replace('T', "-");
    let hive = dir
        .join(options.config_prefix())
        .join("hive")
        .join(format!("dt={}", dt.trim_end_matches('Z')));
    std::fs::create_dir_all(&hive)?;
    let symlinks: String = files
        .iter()
        .map(|key| format!("s3://{}/{key}\n", options.destination_bucket))
        .collect();
    std::fs::write(hive.join("symlink.txt"), symlinks)?;
    Ok(manifest_path)
}

/// `ETag` → `e_tag`, `LastModifiedDate` → `last_modified_date`.
pub fn parquet_name(csv_name: &str) -> String {
    let mut out = String::new();
    for (at, c) in csv_name.chars().enumerate() {
        if c.is_ascii_uppercase() && at > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// How a column is typed in Parquet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Boolean,
    Integer,
    Timestamp,
}

fn kind(csv_name: &str) -> Kind {
    match csv_name {
        "IsLatest" | "IsDeleteMarker" | "IsMultipartUploaded" => Kind::Boolean,
        "Size" => Kind::Integer,
        "LastModifiedDate" | "ObjectLockRetainUntilDate" => Kind::Timestamp,
        _ => Kind::Text,
    }
}

fn file_schema(options: &GenOptions) -> String {
    match options.format {
        InventoryFormat::Csv => options.columns.join(", "),
        InventoryFormat::Parquet => parquet_message(options),
        InventoryFormat::Orc => String::new(),
    }
}

/// The documented `message s3.inventory { ... }`.
fn parquet_message(options: &GenOptions) -> String {
    let mut message = String::from("message s3.inventory {");
    for column in &options.columns {
        let repetition = if matches!(column.as_str(), "Bucket" | "Key") {
            "required"
        } else {
            "optional"
        };
        let name = parquet_name(column);
        let field = match kind(column) {
            Kind::Text => format!("{repetition} binary {name} (UTF8)"),
            Kind::Boolean => format!("{repetition} boolean {name}"),
            Kind::Integer => format!("{repetition} int64 {name}"),
            Kind::Timestamp => format!("{repetition} int64 {name} (TIMESTAMP_MILLIS)"),
        };
        message.push(' ');
        message.push_str(&field);
        message.push(';');
    }
    message.push_str(" }");
    message
}

/// A value to write; `Null` is empty in CSV.
enum Value {
    Null,
    Text(String),
    Boolean(bool),
    Integer(i64),
    Timestamp(i64),
}

fn millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// A row's value in a column (its key as stored: CSV encodes it).
fn value(column: &str, options: &GenOptions, row: &GenRow) -> Value {
    let object = !row.is_delete_marker;
    let text = |s: &str| {
        if s.is_empty() {
            Value::Null
        } else {
            Value::Text(s.to_string())
        }
    };
    match column {
        "Bucket" => Value::Text(options.source_bucket.clone()),
        "Key" => Value::Text(row.key.clone()),
        "VersionId" => row.version_id.as_deref().map_or(Value::Null, text),
        "IsLatest" => Value::Boolean(row.is_latest),
        "IsDeleteMarker" => Value::Boolean(row.is_delete_marker),
        "Size" if object => Value::Integer(row.size as i64),
        "LastModifiedDate" => Value::Timestamp(millis(row.last_modified)),
        "ETag" if object => text(row.etag.trim_matches('"')),
        "StorageClass" if object => text(&row.storage_class),
        "IsMultipartUploaded" if object => Value::Boolean(row.etag.contains('-')),
        "EncryptionStatus" if object => text(&row.encryption_status),
        "IntelligentTieringAccessTier" if object => row
            .intelligent_tiering_access_tier
            .as_deref()
            .map_or(Value::Null, text),
        "BucketKeyStatus" if object => Value::Text("DISABLED".into()),
        UNKNOWN_COLUMN => Value::Text("Off".into()),
        _ => Value::Null,
    }
}

/// Form-URL-encodes a key as CSV inventories carry it: bytes outside
/// `[A-Za-z0-9/._-]` as `%XX`, spaces as `+`.
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for &b in key.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn csv_text(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Text(s) => s,
        Value::Boolean(b) => b.to_string(),
        Value::Integer(n) => n.to_string(),
        Value::Timestamp(ms) => {
            let time = if ms >= 0 {
                UNIX_EPOCH + Duration::from_millis(ms as u64)
            } else {
                UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
            };
            humantime::format_rfc3339_millis(time).to_string()
        }
    }
}

fn write_csv(
    path: &Path,
    options: &GenOptions,
    rows: impl Iterator<Item = GenRow>,
) -> std::io::Result<()> {
    let per_member = options.rows_per_gzip_member.max(1);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut in_member = 0;
    let mut line = String::new();
    for row in rows {
        if in_member == per_member {
            out.write_all(&member.finish()?)?;
            member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            in_member = 0;
        }
        line.clear();
        for (at, column) in options.columns.iter().enumerate() {
            if at > 0 {
                line.push(',');
            }
            let mut text = csv_text(value(column, options, &row));
            if column == "Key" {
                text = encode_key(&text);
            }
            // Every value quoted, AWS style; quotes inside doubled.
            line.push('"');
            line.push_str(&text.replace('"', "\"\""));
            line.push('"');
        }
        line.push('\n');
        member.write_all(line.as_bytes())?;
        in_member += 1;
        // Members are kept in memory only until they are a few MB.
        if member.get_ref().len() > 4 << 20 {
            out.write_all(member.get_ref())?;
            member.get_mut().clear();
        }
    }
    out.write_all(&member.finish()?)?;
    out.flush()
}

/// One column's values for a row group, with definition levels.
enum Buffer {
    Text(Vec<ByteArray>, Vec<i16>),
    Boolean(Vec<bool>, Vec<i16>),
    Integer(Vec<i64>, Vec<i16>),
}

impl Buffer {
    fn new(kind: Kind) -> Buffer {
        match kind {
            Kind::Text => Buffer::Text(Vec::new(), Vec::new()),
            Kind::Boolean => Buffer::Boolean(Vec::new(), Vec::new()),
            Kind::Integer | Kind::Timestamp => Buffer::Integer(Vec::new(), Vec::new()),
        }
    }

    fn push(&mut self, value: Value) {
        match (self, value) {
            (Buffer::Text(v, d), Value::Text(s)) => {
                v.push(ByteArray::from(s.into_bytes()));
                d.push(1);
            }
            (Buffer::Boolean(v, d), Value::Boolean(b)) => {
                v.push(b);
                d.push(1);
            }
            (Buffer::Integer(v, d), Value::Integer(n) | Value::Timestamp(n)) => {
                v.push(n);
                d.push(1);
            }
            (Buffer::Text(_, d) | Buffer::Boolean(_, d) | Buffer::Integer(_, d), _) => d.push(0),
        }
    }

    fn len(&self) -> usize {
        match self {
            Buffer::Text(_, d) | Buffer::Boolean(_, d) | Buffer::Integer(_, d) => d.len(),
        }
    }
}

const ROW_GROUP: usize = 64 * 1024;

fn write_parquet(
    path: &Path,
    options: &GenOptions,
    rows: impl Iterator<Item = GenRow>,
) -> std::io::Result<()> {
    let schema = parquet::schema::parser::parse_message_type(&parquet_message(options))
        .map_err(std::io::Error::other)?;
    let properties = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let file = std::fs::File::create(path)?;
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(properties))
        .map_err(std::io::Error::other)?;
    let kinds: Vec<Kind> = options.columns.iter().map(|c| kind(c)).collect();
    let mut buffers: Vec<Buffer> = kinds.iter().map(|k| Buffer::new(*k)).collect();
    let mut flush = |buffers: &mut Vec<Buffer>| -> std::io::Result<()> {
        if buffers.first().is_none_or(|b| b.len() == 0) {
            return Ok(());
        }
        let mut group = writer.next_row_group().map_err(std::io::Error::other)?;
        for (buffer, (column, kind)) in buffers.iter_mut().zip(options.columns.iter().zip(&kinds)) {
            let required = matches!(column.as_str(), "Bucket" | "Key");
            let mut writer = group
                .next_column()
                .map_err(std::io::Error::other)?
                .ok_or_else(|| std::io::Error::other("the schema has fewer columns"))?;
            let levels = |d: &Vec<i16>| (!required).then(|| d.clone());
            match buffer {
                Buffer::Text(v, d) => writer
                    .typed::<ByteArrayType>()
                    .write_batch(v, levels(d).as_deref(), None)
                    .map(|_| ()),
                Buffer::Boolean(v, d) => writer
                    .typed::<BoolType>()
                    .write_batch(v, levels(d).as_deref(), None)
                    .map(|_| ()),
                Buffer::Integer(v, d) => writer
                    .typed::<Int64Type>()
                    .write_batch(v, levels(d).as_deref(), None)
                    .map(|_| ()),
            }
            .map_err(std::io::Error::other)?;
            writer.close().map_err(std::io::Error::other)?;
            *buffer = Buffer::new(*kind);
        }
        group.close().map_err(std::io::Error::other)?;
        Ok(())
    };
    for row in rows {
        for (buffer, column) in buffers.iter_mut().zip(&options.columns) {
            buffer.push(value(column, options, &row));
        }
        if buffers[0].len() == ROW_GROUP {
            flush(&mut buffers)?;
        }
    }
    flush(&mut buffers)?;
    writer.close().map_err(std::io::Error::other)?;
    Ok(())
}
