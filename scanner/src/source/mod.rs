//! Sources: where objects come from. A source yields [`Discovered`] items,
//! each an object to classify (with a way to open its bytes) or an issue
//! met while listing. The pipeline does not care which source it reads.

pub mod local;
pub mod s3;

use std::io::Read;
use std::time::SystemTime;

use crate::record::ScanIssue;

/// An object found by a source, not yet read.
#[derive(Debug, Clone)]
pub struct ObjectRef {
    /// The object's address in reports (`s3://bucket/key` or a path).
    pub uri: String,
    /// The name the extension classifier reads (the key or path).
    pub name: String,
    pub size: u64,
    pub etag: Option<String>,
    /// The S3 version, when versions were listed (`--all-versions`).
    pub version_id: Option<String>,
    pub last_modified: Option<SystemTime>,
    pub location: Location,
    /// The bucket and key access logs name this object by. For a local
    /// tree, the target directory's name stands for the bucket and the
    /// path below it for the key.
    pub bucket_key: Option<(String, String)>,
}

/// How to reach an object's bytes.
#[derive(Debug, Clone)]
pub enum Location {
    File(std::path::PathBuf),
    S3(s3::S3Object),
}

/// What a source yields.
// Nearly everything yielded is an object; boxing them to shrink the rare
// issue would cost an allocation per object.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Discovered {
    Object(ObjectRef),
    Issue(ScanIssue),
}

/// Why an object's bytes could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// A remote store refused or could not serve the object; `kind` names
    /// why (deleted, access denied, unclassifiable, ...).
    #[error("{message}")]
    Remote {
        kind: crate::record::ErrorKind,
        message: String,
    },
}

impl ObjectRef {
    /// Opens the object's bytes for streaming.
    pub fn open(&self) -> Result<Box<dyn Read + Send>, OpenError> {
        match &self.location {
            Location::File(path) => {
                local::open_regular(path).map(|f| Box::new(f) as Box<dyn Read + Send>)
            }
            Location::S3(object) => object.open().map(|r| Box::new(r) as Box<dyn Read + Send>),
        }
    }

    /// Starts downloading a remote object's body now, so that it arrives
    /// while earlier objects are classified. A local file is opened only
    /// when it is read (an open file per queued object would buy nothing).
    pub fn prefetch(self) -> Fetching {
        let body = match &self.location {
            Location::File(_) => None,
            Location::S3(object) => Some(object.fetch()),
        };
        Fetching { object: self, body }
    }
}

/// An object whose body may already be on its way (see
/// [`ObjectRef::prefetch`]).
#[derive(Debug)]
pub struct Fetching {
    pub object: ObjectRef,
    body: Option<s3::Pending>,
}

impl Fetching {
    /// Opens the object's bytes for streaming, waiting for a prefetched
    /// body's first answer from the store.
    pub fn open(&mut self) -> Result<Box<dyn Read + Send>, OpenError> {
        match self.body.take() {
            Some(pending) => pending.open().map(|r| Box::new(r) as Box<dyn Read + Send>),
            None => self.object.open(),
        }
    }
}
