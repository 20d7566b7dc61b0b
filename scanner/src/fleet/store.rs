//! The run location: the one medium a fleet run's steps share, an S3
//! prefix or a local directory. Keys are relative (`plan.json`,
//! `runs/<id>/units/<bucket>/<p>-of-<n>/COMMIT`). Every write is whole or
//! absent (S3 PutObject; a renamed temporary file locally), and a commit
//! marker can be written only if absent (S3 `If-None-Match: *`; a hard link
//! locally), so the first finisher wins.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::s3::{self, S3Client, S3Options};

/// Why the run location could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{location}: {source}")]
    Local {
        location: String,
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Remote { location: String, message: String },
    #[error("starting the S3 client for the run location: {0}")]
    Client(#[from] s3::S3Error),
}

/// Where a fleet run keeps its plan, units, state and reports.
#[derive(Clone)]
pub enum RunStore {
    Local(PathBuf),
    S3 {
        client: Arc<S3Client>,
        bucket: String,
        /// Empty, or ending with `/`.
        prefix: String,
    },
}

impl std::fmt::Debug for RunStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.uri(""))
    }
}

impl RunStore {
    /// `s3://bucket/prefix` or a local directory (created when missing).
    pub fn open(location: &str, options: &S3Options) -> Result<Self, StoreError> {
        match s3::parse_uri(location) {
            Some((bucket, prefix)) => {
                let client = Arc::new(S3Client::new(options)?);
                Ok(Self::on_s3(client, bucket, &prefix))
            }
            None => {
                let root = PathBuf::from(location);
                std::fs::create_dir_all(&root).map_err(|source| StoreError::Local {
                    location: location.to_string(),
                    source,
                })?;
                Ok(Self::Local(root))
            }
        }
    }

    /// A run location in a bucket, through a client already made.
    pub fn on_s3(client: Arc<S3Client>, bucket: String, prefix: &str) -> Self {
        let mut prefix = prefix.trim_end_matches('/').to_string();
        if !prefix.is_empty() {
            prefix.push('/');
        }
        let client = client.for_bucket(&bucket);
        Self::S3 {
            client,
            bucket,
            prefix,
        }
    }

    /// The full address of `key`, for messages.
    pub fn uri(&self, key: &str) -> String {
        match self {
            Self::Local(root) => root.join(key).display().to_string(),
            Self::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}{key}"),
        }
    }

    fn local(&self, path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Local {
            location: path.display().to_string(),
            source,
        }
    }

    fn remote(&self, key: &str, message: impl std::fmt::Display) -> StoreError {
        StoreError::Remote {
            location: self.uri(key),
            message: message.to_string(),
        }
    }

    /// The bytes at `key`, or `None` when there is nothing there.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Self::Local(root) => {
                let path = root.join(key);
                match std::fs::read(&path) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(self.local(&path, e)),
                }
            }
            Self::S3 { client, .. } => client.block_on(async {
                let Some(object) = self.get_object(key).await? else {
                    return Ok(None);
                };
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| self.remote(key, format!("reading the body: {e}")))?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }),
        }
    }

    /// Copies what is at `key` into a local file; false when there is
    /// nothing there.
    pub fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, StoreError> {
        match self {
            Self::Local(root) => {
                let from = root.join(key);
                match std::fs::copy(&from, path) {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(self.local(&from, e)),
                }
            }
            Self::S3 { client, .. } => client.block_on(async {
                let Some(object) = self.get_object(key).await? else {
                    return Ok(false);
                };
                let mut file = tokio::fs::File::create(path)
                    .await
                    .map_err(|e| self.local(path, e))?;
                let mut body = object.body.into_async_read();
                tokio::io::copy(&mut body, &mut file)
                    .await
                    .map_err(|e| self.remote(key, format!("reading the body: {e}")))?;
                Ok(true)
            }),
        }
    }

    /// GetObject of `key` in the run location's bucket; `None` when there
    /// is no such key.
    async fn get_object(
        &self,
        key: &str,
    ) -> Result<Option<aws_sdk_s3::operation::get_object::GetObjectOutput>, StoreError> {
        let Self::S3 {
            client,
            bucket,
            prefix,
        } = self
        else {
            return Ok(None);
        };
        let full = format!("{prefix}{key}");
        match client
            .sdk()
            .get_object()
            .bucket(bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(object) => Ok(Some(object)),
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.remote(key, s3::brief(&e))),
        }
    }

    /// Writes `bytes` at `key`, replacing what was there.
    pub fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        match self {
            Self::Local(root) => {
                let path = root.join(key);
                let temp = self.local_temp(&path, bytes)?;
                temp.persist(&path)
                    .map_err(|e| self.local(&path, e.error))?;
                Ok(())
            }
            Self::S3 { .. } => self.put_s3(key, bytes.to_vec(), false).map(|_| ()),
        }
    }

    /// Writes `bytes` at `key` only if nothing is there yet: true when this
    /// call wrote it, false when someone else had.
    pub fn put_if_absent(&self, key: &str, bytes: &[u8]) -> Result<bool, StoreError> {
        match self {
            Self::Local(root) => {
                let path = root.join(key);
                let temp = self.local_temp(&path, bytes)?;
                // A hard link fails if the name exists, and the content was
                // whole before it got the name.
                match std::fs::hard_link(temp.path(), &path) {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(self.local(&path, e)),
                }
            }
            Self::S3 { .. } => self.put_s3(key, bytes.to_vec(), true),
        }
    }

    /// Uploads a local file to `key`.
    pub fn put_file(&self, key: &str, path: &Path) -> Result<(), StoreError> {
        let bytes = std::fs::read(path).map_err(|e| self.local(path, e))?;
        self.put(key, &bytes)
    }

    fn local_temp(&self, path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, StoreError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.local(dir, e))?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.local(dir, e))?;
        temp.write_all(bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| self.local(path, e))?;
        Ok(temp)
    }

    fn put_s3(&self, key: &str, bytes: Vec<u8>, if_absent: bool) -> Result<bool, StoreError> {
        let Self::S3 {
            client,
            bucket,
            prefix,
        } = self
        else {
            return Ok(false);
        };
        client.block_on(async {
            let full = format!("{prefix}{key}");
            let mut request = client
                .sdk()
                .put_object()
                .bucket(bucket)
                .key(&full)
                .body(bytes.into());
            if if_absent {
                request = request.if_none_match("*");
            }
            match request.send().await {
                Ok(_) => Ok(true),
                // 412: it exists; 409: another conditional write to it is
                // under way. Either way someone else is committing it.
                Err(e) if if_absent && matches!(status(&e), Some(412 | 409)) => Ok(false),
                Err(e) => Err(self.remote(key, s3::brief(&e))),
            }
        })
    }

    /// Keys under `prefix` (relative to the run location), sorted.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Self::Local(root) => {
                let base = root.join(prefix);
                let mut keys = Vec::new();
                if !base.exists() {
                    return Ok(keys);
                }
                for entry in walkdir::WalkDir::new(&base) {
                    let entry = entry.map_err(|e| StoreError::Local {
                        location: base.display().to_string(),
                        source: e.into(),
                    })?;
                    if entry.file_type().is_file() {
                        if let Ok(relative) = entry.path().strip_prefix(root) {
                            keys.push(relative.to_string_lossy().replace('\\', "/"));
                        }
                    }
                }
                keys.sort();
                Ok(keys)
            }
            Self::S3 {
                client,
                bucket,
                prefix: root,
            } => {
                let full = format!("{root}{prefix}");
                let keys = client
                    .list(bucket, &full)
                    .map_err(|e| self.remote(prefix, e))?;
                let mut keys: Vec<String> = keys
                    .into_iter()
                    .filter_map(|k| k.strip_prefix(root.as_str()).map(str::to_string))
                    .collect();
                keys.sort();
                Ok(keys)
            }
        }
    }
}

fn status<E>(
    error: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Option<u16> {
    error.raw_response().map(|r| r.status().as_u16())
}
