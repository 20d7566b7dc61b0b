//! Object bodies: a GetObject streamed in batches downloaded ahead of the
//! reader, resumed with a Range request when a body is cut short.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use tokio::sync::{mpsc, oneshot};

use super::{S3Client, open_error};
use crate::record::ErrorKind;
use crate::source::OpenError;

/// Times an interrupted or short body is resumed (with a Range request)
/// before the object is reported as read in part.
const BODY_RETRIES: u32 = 3;

/// Where an S3 object's bytes are.
#[derive(Debug, Clone)]
pub struct S3Object {
    pub client: Arc<S3Client>,
    pub bucket: String,
    pub key: String,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    /// The storage class, when it must be restored before a read.
    pub needs_restore: Option<String>,
}

impl S3Object {
    /// Opens the object's body, waiting for the store's answer.
    pub fn open(&self) -> Result<S3Reader, OpenError> {
        self.fetch().open()
    }

    /// Starts fetching the object's body on the client's runtime and
    /// returns at once: the body downloads while earlier objects are
    /// classified. Dropping what this returns stops the download.
    pub fn fetch(&self) -> Pending {
        let (opened, answer) = oneshot::channel();
        let (batches, receiver) = mpsc::channel(BATCHES_AHEAD);
        let mut reader = S3Reader {
            batches: receiver,
            ready: VecDeque::new(),
            task: None,
        };
        if let Some(class) = &self.needs_restore {
            let _ = opened.send(Err(OpenError::Remote {
                kind: ErrorKind::Unclassifiable,
                message: format!(
                    "storage class {class} must be restored before it can be read; not fetched"
                ),
            }));
            return Pending { answer, reader };
        }
        let body = Body {
            client: self.client.client.clone(),
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            etag: self.etag.clone(),
            version: self.version_id.clone(),
        };
        let task = self.client.runtime.spawn(body.fetch(opened, batches));
        reader.task = Some(task.abort_handle());
        Pending { answer, reader }
    }
}

/// Body bytes gathered before they are handed to the classifier, so its
/// thread is woken once per batch rather than once per network read.
const BATCH_BYTES: usize = 256 * 1024;
/// Batches a body may hold ready for its classifier. With `--jobs` bodies
/// downloading, this bounds the bytes in flight.
const BATCHES_AHEAD: usize = 2;

/// One object version's body, as the fetch task reads it.
struct Body {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    etag: Option<String>,
    version: Option<String>,
}

/// A body's bytes, or why it stopped, as the fetch task hands them over.
type Batch = std::io::Result<Vec<bytes::Bytes>>;

impl Body {
    /// GetObject from byte `start`, pinned to the listed ETag so a resumed
    /// read cannot splice two versions of an object together; returns the
    /// body and where it should end.
    async fn get(&self, start: u64) -> Result<(ByteStream, Option<u64>), OpenError> {
        let mut request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_version_id(self.version.clone());
        if start > 0 {
            request = request.range(format!("bytes={start}-"));
        }
        if let Some(etag) = &self.etag {
            request = request.if_match(format!("\"{etag}\""));
        }
        let object = request.send().await.map_err(open_error)?;
        let end = object
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .map(|n| n + start);
        Ok((object.body, end))
    }

    /// Fetches the body into `batches`, answering `opened` first. A body
    /// that breaks off or ends short is resumed from where it stopped with
    /// a Range request; only when the retries run out is an error sent
    /// (after every byte that did arrive). Stops when the reader is gone.
    async fn fetch(
        self,
        opened: oneshot::Sender<Result<(), OpenError>>,
        batches: mpsc::Sender<Batch>,
    ) {
        let (mut body, end) = match self.get(0).await {
            Ok(answer) => answer,
            Err(error) => {
                let _ = opened.send(Err(error));
                return;
            }
        };
        if opened.send(Ok(())).is_err() {
            return;
        }
        let mut read = 0u64;
        let mut retries_left = BODY_RETRIES;
        let mut batch = Vec::new();
        let mut batched = 0;
        loop {
            let why = match body.try_next().await {
                Ok(Some(chunk)) => {
                    read += chunk.len() as u64;
                    batched += chunk.len();
                    batch.push(chunk);
                    if batched >= BATCH_BYTES {
                        batched = 0;
                        if batches.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
                Ok(None) => match end {
                    Some(end) if read < end => format!("ended at byte {read} of {end}"),
                    _ => {
                        if !batch.is_empty() {
                            let _ = batches.send(Ok(batch)).await;
                        }
                        return;
                    }
                },
                Err(error) => DisplayErrorContext(&error).to_string(),
            };
            // What arrived is good: the classifier may go on with it.
            if !batch.is_empty() {
                batched = 0;
                if batches.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                    return;
                }
            }
            let object = format!("s3://{}/{}", self.bucket, self.key);
            if retries_left == 0 {
                let error =
                    format!("{object}: body interrupted after {BODY_RETRIES} retries: {why}");
                let _ = batches.send(Err(std::io::Error::other(error))).await;
                return;
            }
            retries_left -= 1;
            let attempt = BODY_RETRIES - retries_left;
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            tracing::debug!("{object}: resuming at byte {read}: {why}");
            match self.get(read).await {
                Ok((resumed, _)) => body = resumed,
                Err(error) => {
                    let error = format!(
                        "{object}: body interrupted ({why}); resuming at byte {read} failed: {error}"
                    );
                    let _ = batches.send(Err(std::io::Error::other(error))).await;
                    return;
                }
            }
        }
    }
}

/// An object body on its way (see [`S3Object::fetch`]).
pub struct Pending {
    answer: oneshot::Receiver<Result<(), OpenError>>,
    reader: S3Reader,
}

impl Pending {
    /// Waits for the store's answer to the GetObject: the body, or why it
    /// cannot be read (`deleted`, `access_denied`, ...).
    pub fn open(self) -> Result<S3Reader, OpenError> {
        match self.answer.blocking_recv() {
            Ok(Ok(())) => Ok(self.reader),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(OpenError::Remote {
                kind: ErrorKind::Unreadable,
                message: "the download stopped before the store answered".into(),
            }),
        }
    }
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

/// An object body as a blocking [`Read`], fed by its fetch task a batch
/// at a time; the task stops when the reader is dropped.
pub struct S3Reader {
    batches: mpsc::Receiver<Batch>,
    ready: VecDeque<bytes::Bytes>,
    task: Option<tokio::task::AbortHandle>,
}

impl Drop for S3Reader {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Read for S3Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(chunk) = self.ready.front_mut() {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                bytes::Buf::advance(chunk, n);
                if chunk.is_empty() {
                    self.ready.pop_front();
                }
                return Ok(n);
            }
            match self.batches.blocking_recv() {
                Some(Ok(batch)) => self
                    .ready
                    .extend(batch.into_iter().filter(|c| !c.is_empty())),
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
    }
}
