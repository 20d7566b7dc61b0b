//! S3 Inventory reports, read for the fleet planner: the manifest
//! (`manifest.json`, checked against `manifest.checksum`), its data files
//! (CSV gzip and Parquet, each checked against the manifest's size and MD5
//! before a row is handed out) and the rows they list. ORC reports are
//! refused as unsupported. Rows in, rows out: units and shards are the
//! planner's business. The format facts this follows are in the design
//! notes (`fleet.md` §1.1); [`generate`] writes inventories in the same
//! delivered formats for tests.

mod csv_file;
pub mod generate;
mod parquet_file;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use md5::{Digest, Md5};

use crate::source::s3::{S3Client, S3Error, parse_uri};

/// One object (or version, or delete marker) listed by an inventory report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryRow {
    pub bucket: String,
    /// Decoded: CSV keys are form-URL-encoded (`+` is a space, `%XX` a
    /// byte, the bytes UTF-8); Parquet keys arrive as they are.
    pub key: String,
    /// `None` when the report has no VersionId column; the null version
    /// (`""` in the report) is `Some("null")`, the id S3 answers to.
    pub version_id: Option<String>,
    pub is_latest: Option<bool>,
    pub is_delete_marker: bool,
    pub size: Option<u64>,
    pub last_modified: Option<SystemTime>,
    /// Without quotes, as assay keeps ListObjectsV2's ETags.
    pub etag: Option<String>,
    pub storage_class: Option<String>,
    pub encryption_status: Option<String>,
    pub intelligent_tiering_access_tier: Option<String>,
}

/// Why an object listed by an inventory cannot be read with a plain GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unreadable {
    /// Storage class GLACIER (Flexible Retrieval): needs a restore.
    Glacier,
    /// Storage class DEEP_ARCHIVE: needs a restore.
    DeepArchive,
    /// Intelligent-Tiering's Archive Access tier: needs a restore.
    ArchiveAccess,
    /// Intelligent-Tiering's Deep Archive Access tier: needs a restore.
    DeepArchiveAccess,
    /// Encrypted with a customer-provided key, which assay does not have.
    SseC,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Glacier => "storage class GLACIER: must be restored before it can be read",
            Self::DeepArchive => {
                "storage class DEEP_ARCHIVE: must be restored before it can be read"
            }
            Self::ArchiveAccess => {
                "Intelligent-Tiering Archive Access tier: must be restored before it can be read"
            }
            Self::DeepArchiveAccess => {
                "Intelligent-Tiering Deep Archive Access tier: must be restored before it can be read"
            }
            Self::SseC => "encrypted with a customer-provided key (SSE-C), which assay does not hold",
        })
    }
}

impl InventoryRow {
    /// Why this object cannot be read with a plain GET, if so: storage
    /// class GLACIER or DEEP_ARCHIVE (GLACIER_IR reads like STANDARD), an
    /// Intelligent-Tiering archive tier, or SSE-C encryption. The planner
    /// lists these as skipped, not failed.
    pub fn unreadable(&self) -> Option<Unreadable> {
        let upper = |s: &Option<String>| s.as_deref().map(|s| s.trim().to_ascii_uppercase());
        if upper(&self.encryption_status).as_deref() == Some("SSE-C") {
            return Some(Unreadable::SseC);
        }
        match upper(&self.storage_class).as_deref() {
            Some("GLACIER") => return Some(Unreadable::Glacier),
            Some("DEEP_ARCHIVE") => return Some(Unreadable::DeepArchive),
            _ => {}
        }
        // The API names the tiers ARCHIVE_ACCESS and DEEP_ARCHIVE_ACCESS;
        // the user guide calls them "archive" and "deep archive", so both
        // spellings count. ARCHIVE_INSTANT_ACCESS reads without a restore.
        match upper(&self.intelligent_tiering_access_tier).as_deref() {
            Some("ARCHIVE_ACCESS" | "ARCHIVE") => Some(Unreadable::ArchiveAccess),
            Some("DEEP_ARCHIVE_ACCESS" | "DEEP_ARCHIVE") => Some(Unreadable::DeepArchiveAccess),
            _ => None,
        }
    }
}

/// The data file format of a report (`fileFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InventoryFormat {
    Csv,
    Parquet,
    Orc,
}

impl InventoryFormat {
    /// The manifest's spelling: `CSV`, `Parquet`, `ORC`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Parquet => "Parquet",
            Self::Orc => "ORC",
        }
    }
}

/// The columns assay reads. Every other column of a report is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Bucket,
    Key,
    VersionId,
    IsLatest,
    IsDeleteMarker,
    Size,
    LastModifiedDate,
    ETag,
    StorageClass,
    EncryptionStatus,
    IntelligentTieringAccessTier,
}

impl Column {
    pub const ALL: [Column; 11] = [
        Column::Bucket,
        Column::Key,
        Column::VersionId,
        Column::IsLatest,
        Column::IsDeleteMarker,
        Column::Size,
        Column::LastModifiedDate,
        Column::ETag,
        Column::StorageClass,
        Column::EncryptionStatus,
        Column::IntelligentTieringAccessTier,
    ];

    /// The CSV name (`LastModifiedDate`).
    pub fn csv_name(self) -> &'static str {
        match self {
            Self::Bucket => "Bucket",
            Self::Key => "Key",
            Self::VersionId => "VersionId",
            Self::IsLatest => "IsLatest",
            Self::IsDeleteMarker => "IsDeleteMarker",
            Self::Size => "Size",
            Self::LastModifiedDate => "LastModifiedDate",
            Self::ETag => "ETag",
            Self::StorageClass => "StorageClass",
            Self::EncryptionStatus => "EncryptionStatus",
            Self::IntelligentTieringAccessTier => "IntelligentTieringAccessTier",
        }
    }

    /// A column by its CSV name (`ETag`) or its ORC/Parquet name
    /// (`e_tag`): case and underscores do not matter.
    pub fn from_name(name: &str) -> Option<Column> {
        let plain: String = name
            .trim()
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Self::ALL
            .into_iter()
            .find(|c| c.csv_name().eq_ignore_ascii_case(&plain))
    }
}

/// One data file a manifest lists (`files[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// The key in the destination bucket (never constructed: always this).
    pub key: String,
    pub size: u64,
    /// Hex MD5 of the file's (compressed) bytes, lowercase.
    pub md5: String,
}

/// A parsed and verified `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub source_bucket: String,
    /// A plain bucket name (the manifest holds an ARN).
    pub destination_bucket: String,
    pub version: String,
    /// Epoch milliseconds: when the report's scan of the bucket started.
    pub creation_timestamp_ms: u64,
    pub file_format: InventoryFormat,
    /// Column names in file order, as the manifest spells them (CSV
    /// `LastModifiedDate`, ORC/Parquet `last_modified_date`); see
    /// [`Column::from_name`].
    pub file_schema: Vec<String>,
    pub files: Vec<DataFile>,
}

/// Why an inventory could not be read. Every message is one line naming
/// the file or location and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not an S3 Inventory manifest: {message}")]
    Manifest { file: String, message: String },
    #[error(
        "{file}: checksum mismatch: manifest.checksum says {expected} but the manifest's MD5 is {actual}"
    )]
    ManifestChecksum {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{file}: size mismatch: the manifest says {expected} bytes but the file has {actual}")]
    SizeMismatch {
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error("{file}: MD5 mismatch: the manifest says {expected} but the file's MD5 is {actual}")]
    Md5Mismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{file}: truncated gzip: the data ends inside a compressed stream after {rows} rows")]
    TruncatedGzip { file: String, rows: u64 },
    #[error("{file}: corrupt gzip after {rows} rows: {message}")]
    CorruptGzip {
        file: String,
        rows: u64,
        message: String,
    },
    #[error("{file}: malformed row {row}: {message}")]
    MalformedRow {
        file: String,
        row: u64,
        message: String,
    },
    #[error("{file}: corrupt Parquet: {message}")]
    Parquet { file: String, message: String },
    #[error("{file}: unsupported format {format}: {message}")]
    UnsupportedFormat {
        file: String,
        format: String,
        message: String,
    },
    #[error("{file}: missing column {column}: every inventory lists it")]
    MissingColumn { file: String, column: &'static str },
    #[error("{location}: {message}")]
    NotFound { location: String, message: String },
    #[error(transparent)]
    S3(#[from] S3Error),
    /// The row callback's own reason to stop, passed through.
    #[error("{0}")]
    Stopped(Box<dyn std::error::Error + Send + Sync>),
}

impl InventoryError {
    fn io(file: impl std::fmt::Display, source: std::io::Error) -> Self {
        Self::Io {
            file: file.to_string(),
            source,
        }
    }
}

/// The row callback: returns an error to stop reading.
pub type RowSink<'a> = dyn FnMut(InventoryRow) -> Result<(), InventoryError> + 'a;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    source_bucket: String,
    destination_bucket: String,
    version: String,
    creation_timestamp: serde_json::Value,
    file_format: String,
    file_schema: String,
    files: Vec<RawFile>,
}

#[derive(serde::Deserialize)]
struct RawFile {
    key: String,
    size: u64,
    #[serde(rename = "MD5checksum")]
    md5: String,
}

/// Hex MD5 of a byte slice.
fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A 32-digit hex MD5, lowercase; `None` if it is not one.
fn md5_text(text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

impl Manifest {
    /// Parses manifest.json and checks it against manifest.checksum (MD5
    /// hex, whitespace trimmed, any case).
    pub fn parse(json: &[u8], checksum: &[u8]) -> Result<Manifest, InventoryError> {
        Self::parse_named(json, checksum, "manifest.json")
    }

    /// As [`Manifest::parse`], errors naming `file`.
    fn parse_named(json: &[u8], checksum: &[u8], file: &str) -> Result<Manifest, InventoryError> {
        let invalid = |message: String| InventoryError::Manifest {
            file: file.to_string(),
            message,
        };
        let expected = std::str::from_utf8(checksum)
            .ok()
            .and_then(md5_text)
            .ok_or_else(|| InventoryError::ManifestChecksum {
                file: file.to_string(),
                expected: "no MD5 (it is not 32 hex digits)".into(),
                actual: md5_hex(json),
            })?;
        let actual = md5_hex(json);
        if actual != expected {
            return Err(InventoryError::ManifestChecksum {
                file: file.to_string(),
                expected,
                actual,
            });
        }
        let raw: RawManifest = serde_json::from_slice(json).map_err(|e| invalid(e.to_string()))?;
        // The ARN form is documented; a plain name is accepted too.
        let destination_bucket = raw
            .destination_bucket
            .strip_prefix("arn:aws:s3:::")
            .or_else(|| {
                // Other partitions: arn:aws-cn:s3:::name, arn:aws-us-gov:s3:::name.
                raw.destination_bucket
                    .strip_prefix("arn:")
                    .and_then(|rest| rest.split_once(":s3:::"))
                    .map(|(_, name)| name)
            })
            .unwrap_or(&raw.destination_bucket)
            .to_string();
        let creation_timestamp_ms = match &raw.creation_timestamp {
            serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
            serde_json::Value::Number(n) => n.as_u64(),
            _ => None,
        }
        .ok_or_else(|| {
            invalid(format!(
                "creationTimestamp {} is not epoch milliseconds",
                raw.creation_timestamp
            ))
        })?;
        let file_format = match raw.file_format.to_ascii_lowercase().as_str() {
            "csv" => InventoryFormat::Csv,
            "parquet" => InventoryFormat::Parquet,
            "orc" => InventoryFormat::Orc,
            _ => {
                return Err(InventoryError::UnsupportedFormat {
                    file: file.to_string(),
                    format: raw.file_format.clone(),
                    message: "fileFormat must be CSV, ORC or Parquet".into(),
                });
            }
        };
        let file_schema = parse_schema(file_format, &raw.file_schema).map_err(invalid)?;
        for column in [Column::Bucket, Column::Key] {
            if !file_schema
                .iter()
                .any(|name| Column::from_name(name) == Some(column))
            {
                return Err(InventoryError::MissingColumn {
                    file: file.to_string(),
                    column: column.csv_name(),
                });
            }
        }
        let files = raw
            .files
            .into_iter()
            .map(|f| {
                let md5 = md5_text(&f.md5).ok_or_else(|| {
                    invalid(format!(
                        "file {} has MD5checksum {:?}, not 32 hex digits",
                        f.key, f.md5
                    ))
                })?;
                Ok(DataFile {
                    key: f.key,
                    size: f.size,
                    md5,
                })
            })
            .collect::<Result<Vec<_>, InventoryError>>()?;
        Ok(Manifest {
            source_bucket: raw.source_bucket,
            destination_bucket,
            version: raw.version,
            creation_timestamp_ms,
            file_format,
            file_schema,
            files,
        })
    }

    /// Whether the report has this column.
    pub fn has(&self, column: Column) -> bool {
        self.file_schema
            .iter()
            .any(|name| Column::from_name(name) == Some(column))
    }
}

/// Column names from `fileSchema`: CSV `Bucket, Key, ...`; ORC
/// `struct<bucket:string,...>`; Parquet `message s3.inventory { ... }`.
fn parse_schema(format: InventoryFormat, schema: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = match format {
        InventoryFormat::Csv => schema.split(',').map(|s| s.trim().to_string()).collect(),
        InventoryFormat::Orc => {
            let inner = schema
                .trim()
                .strip_prefix("struct<")
                .and_then(|s| s.strip_suffix('>'))
                .ok_or_else(|| format!("ORC fileSchema is not struct<...>: {schema:.80}"))?;
            // Field types may nest (`map<string,string>`): split at depth 0.
            let mut names = Vec::new();
            let (mut depth, mut start) = (0usize, 0usize);
            for (at, c) in inner.char_indices().chain([(inner.len(), ',')]) {
                match c {
                    '<' | '(' => depth += 1,
                    '>' | ')' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => {
                        let field = &inner[start..at];
                        let name = field.split(':').next().unwrap_or(field);
                        names.push(name.trim().to_string());
                        start = at + 1;
                    }
                    _ => {}
                }
            }
            names
        }
        InventoryFormat::Parquet => {
            let message = parquet::schema::parser::parse_message_type(schema)
                .map_err(|e| format!("Parquet fileSchema does not parse: {e}"))?;
            message
                .get_fields()
                .iter()
                .map(|f| f.name().to_string())
                .collect()
        }
    };
    if names.iter().any(String::is_empty) {
        return Err(format!(
            "fileSchema has an empty column name: {schema:.120}"
        ));
    }
    Ok(names)
}

/// Checks a data file's size and MD5 against the manifest before any of
/// its rows is read, so a caller never sees rows from a damaged file.
fn verify(file: &DataFile, path: &Path, name: &str) -> Result<(), InventoryError> {
    let mut input = std::fs::File::open(path).map_err(|e| InventoryError::io(name, e))?;
    let actual_size = input
        .metadata()
        .map_err(|e| InventoryError::io(name, e))?
        .len();
    if actual_size != file.size {
        return Err(InventoryError::SizeMismatch {
            file: name.to_string(),
            expected: file.size,
            actual: actual_size,
        });
    }
    let mut hasher = Md5::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(InventoryError::io(name, e)),
        };
        hasher.update(&buffer[..n]);
    }
    let actual = hex::encode(hasher.finalize());
    if actual != file.md5 {
        return Err(InventoryError::Md5Mismatch {
            file: name.to_string(),
            expected: file.md5.clone(),
            actual,
        });
    }
    Ok(())
}

/// Reads one data file, after verifying its size and MD5 (of the
/// compressed bytes) against the manifest, and calls `row` for each row;
/// returns how many rows it read. Streams: memory stays bounded whatever
/// the file size (CSV gzip through a multi-member decoder; Parquet a row
/// group at a time, from the file on disk). Errors name the file as
/// `s3://destination-bucket/key`.
pub fn read_data_file(
    manifest: &Manifest,
    file: &DataFile,
    path: &Path,
    row: &mut RowSink<'_>,
) -> Result<u64, InventoryError> {
    let name = format!("s3://{}/{}", manifest.destination_bucket, file.key);
    read_named(manifest, file, path, &name, row)
}

fn read_named(
    manifest: &Manifest,
    file: &DataFile,
    path: &Path,
    name: &str,
    row: &mut RowSink<'_>,
) -> Result<u64, InventoryError> {
    if manifest.file_format == InventoryFormat::Orc {
        return Err(orc_unsupported(name));
    }
    verify(file, path, name)?;
    match manifest.file_format {
        InventoryFormat::Csv => csv_file::read(manifest, path, name, row),
        InventoryFormat::Parquet => parquet_file::read(path, name, row),
        InventoryFormat::Orc => Err(orc_unsupported(name)),
    }
}

fn orc_unsupported(name: &str) -> InventoryError {
    InventoryError::UnsupportedFormat {
        file: name.to_string(),
        format: InventoryFormat::Orc.name().into(),
        message: "assay reads CSV and Parquet inventories; configure the report as CSV or Parquet"
            .into(),
    }
}

/// Report timestamps (`2016-11-06T21-32Z`): fixed width, so the
/// greatest name is the newest report.
fn is_report_timestamp(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 | 13 => *c == b'-',
            10 => *c == b'T',
            16 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Where the report's files are.
enum Store<'c> {
    /// A local copy of the destination bucket's layout: data-file keys are
    /// paths below `root`.
    Local { root: PathBuf },
    /// The destination bucket; data files are downloaded one at a time
    /// into `temp`.
    S3 {
        client: &'c S3Client,
        bucket: String,
        temp: tempfile::TempDir,
    },
}

/// An opened inventory report: its verified manifest, and its data files
/// read on demand.
pub struct Inventory<'c> {
    manifest: Manifest,
    /// The manifest's location (`s3://bucket/key` or a path).
    location: String,
    store: Store<'c>,
}

impl<'c> Inventory<'c> {
    /// Opens a report from `s3://bucket/.../manifest.json`, a local
    /// `manifest.json`, or a report's configuration folder (S3 prefix or
    /// local directory: `.../SOURCE/CONFIG/`), whose newest complete report
    /// (newest `YYYY-MM-DDTHH-MMZ/` holding both manifest files) is taken.
    /// S3 locations need `client`. Data files are read from the bucket the
    /// manifest was found in (the manifest's destination bucket, unless the
    /// report was copied elsewhere). ORC reports are refused here.
    pub fn open(location: &str, client: Option<&'c S3Client>) -> Result<Self, InventoryError> {
        let inventory = match parse_uri(location) {
            Some((bucket, key)) => {
                let client = client.ok_or_else(|| InventoryError::NotFound {
                    location: location.to_string(),
                    message: "an S3 location needs an S3 client".into(),
                })?;
                Self::open_s3(location, client, bucket, key)?
            }
            None => Self::open_local(Path::new(location))?,
        };
        Ok(inventory)
    }

    fn open_s3(
        location: &str,
        client: &'c S3Client,
        bucket: String,
        key: String,
    ) -> Result<Self, InventoryError> {
        let manifest_key = if key.ends_with("manifest.json") {
            key
        } else {
            latest_s3_manifest(client, &bucket, &key)?
        };
        let temp = tempfile::Builder::new()
            .prefix("assay-inventory-")
            .tempdir()
            .map_err(|e| InventoryError::io("a temporary directory", e))?;
        let checksum_key = format!(
            "{}manifest.checksum",
            manifest_key.trim_end_matches("manifest.json")
        );
        let json_path = temp.path().join("manifest.json");
        let checksum_path = temp.path().join("manifest.checksum");
        client.download(&bucket, &manifest_key, &json_path)?;
        client.download(&bucket, &checksum_key, &checksum_path)?;
        let name = format!("s3://{bucket}/{manifest_key}");
        let json = std::fs::read(&json_path).map_err(|e| InventoryError::io(&name, e))?;
        let checksum =
            std::fs::read(&checksum_path).map_err(|e| InventoryError::io(&checksum_key, e))?;
        let manifest = Manifest::parse_named(&json, &checksum, &name)?;
        if manifest.file_format == InventoryFormat::Orc {
            return Err(orc_unsupported(&name));
        }
        tracing::debug!(
            "inventory {name} (from {location}): {} data files",
            manifest.files.len()
        );
        Ok(Self {
            manifest,
            location: name,
            store: Store::S3 {
                client,
                bucket,
                temp,
            },
        })
    }

    fn open_local(path: &Path) -> Result<Self, InventoryError> {
        let manifest_path = if path.is_dir() {
            let direct = path.join("manifest.json");
            if direct.is_file() {
                direct
            } else {
                latest_local_manifest(path)?
            }
        } else {
            path.to_path_buf()
        };
        let name = manifest_path.display().to_string();
        let json = std::fs::read(&manifest_path).map_err(|e| InventoryError::io(&name, e))?;
        let checksum_path = manifest_path.with_file_name("manifest.checksum");
        let checksum = std::fs::read(&checksum_path)
            .map_err(|e| InventoryError::io(checksum_path.display(), e))?;
        let manifest = Manifest::parse_named(&json, &checksum, &name)?;
        if manifest.file_format == InventoryFormat::Orc {
            return Err(orc_unsupported(&name));
        }
        // The folder standing for the destination bucket: the nearest
        // ancestor of the manifest below which the data-file keys exist.
        let parent = manifest_path.parent().unwrap_or(Path::new("."));
        let root = match manifest.files.first() {
            None => parent.to_path_buf(),
            Some(first) => parent
                .ancestors()
                .find(|dir| dir.join(&first.key).is_file())
                .ok_or_else(|| InventoryError::NotFound {
                    location: name.clone(),
                    message: format!(
                        "data file {} is not below any folder holding the manifest",
                        first.key
                    ),
                })?
                .to_path_buf(),
        };
        Ok(Self {
            manifest,
            location: name,
            store: Store::Local { root },
        })
    }

    /// The verified manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the manifest was read from (`s3://bucket/key` or a path).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Reads every data file in manifest order; returns the rows read.
    pub fn rows(&self, row: &mut RowSink<'_>) -> Result<u64, InventoryError> {
        let mut total = 0;
        for file in &self.manifest.files {
            total += self.read_file(file, row)?;
        }
        Ok(total)
    }

    /// Reads one of the manifest's data files (callers may read several at
    /// once, from several threads); returns its rows.
    pub fn read_file(&self, file: &DataFile, row: &mut RowSink<'_>) -> Result<u64, InventoryError> {
        match &self.store {
            Store::Local { root } => {
                let path = root.join(&file.key);
                read_named(
                    &self.manifest,
                    file,
                    &path,
                    &path.display().to_string(),
                    row,
                )
            }
            Store::S3 {
                client,
                bucket,
                temp,
            } => {
                let name = format!("s3://{bucket}/{}", file.key);
                // A private file per read, removed when done, so disk use
                // stays one data file per reader.
                let local = tempfile::NamedTempFile::new_in(temp.path())
                    .map_err(|e| InventoryError::io(&name, e))?;
                client.download(bucket, &file.key, local.path())?;
                read_named(&self.manifest, file, local.path(), &name, row)
            }
        }
    }
}

/// The newest complete report under a configuration folder in S3.
fn latest_s3_manifest(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
) -> Result<String, InventoryError> {
    let mut prefix = prefix.to_string();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    let mut reports: Vec<String> = client
        .list_prefixes(bucket, &prefix)?
        .into_iter()
        .filter(|p| {
            p.strip_prefix(prefix.as_str())
                .is_some_and(|name| is_report_timestamp(name.trim_end_matches('/')))
        })
        .collect();
    reports.sort();
    for report in reports.iter().rev() {
        let keys = client.list(bucket, &format!("{report}manifest."))?;
        let json = format!("{report}manifest.json");
        let checksum = format!("{report}manifest.checksum");
        // The checksum is written last: without it the report is still
        // being delivered.
        if keys.contains(&json) && keys.contains(&checksum) {
            return Ok(json);
        }
    }
    Err(InventoryError::NotFound {
        location: format!("s3://{bucket}/{prefix}"),
        message: "no complete inventory report (YYYY-MM-DDTHH-MMZ/manifest.json with its manifest.checksum) below it".into(),
    })
}

/// The newest complete report under a local configuration folder.
fn latest_local_manifest(dir: &Path) -> Result<PathBuf, InventoryError> {
    let entries = std::fs::read_dir(dir).map_err(|e| InventoryError::io(dir.display(), e))?;
    let mut reports: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_report_timestamp)
        })
        .collect();
    reports.sort();
    reports
        .iter()
        .rev()
        .find(|r| r.join("manifest.json").is_file() && r.join("manifest.checksum").is_file())
        .map(|r| r.join("manifest.json"))
        .ok_or_else(|| InventoryError::NotFound {
            location: dir.display().to_string(),
            message: "no manifest.json, and no complete inventory report (YYYY-MM-DDTHH-MMZ/manifest.json with its manifest.checksum) below it".into(),
        })
}

#[cfg(test)]
mod tests;
