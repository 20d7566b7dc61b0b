//! Access evidence: who touched which bucket and object, read from
//! CloudTrail logs ([`cloudtrail`]) and S3 server access logs ([`s3log`])
//! into one normalised [`AccessEvent`], so the statistics and the risk
//! scorer do not care where an event came from.

pub mod cloudtrail;
pub mod digest;
pub mod s3log;
pub mod stats;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

/// Where an event was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    CloudTrail,
    S3AccessLog,
}

/// What a request did, as far as data protection cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    Read,
    Write,
    Delete,
    List,
    /// Bucket or account configuration (policies, ACLs, encryption, logging).
    Config,
    Other,
}

/// Who made a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    Root,
    IamUser,
    /// An assumed role; the principal id is the role (session issuer) ARN.
    Role,
    Federated,
    Service,
    /// Another AWS account, named by account id only.
    Account,
    /// An S3 canonical user id (server access logs).
    CanonicalUser,
    Anonymous,
    Unknown,
}

/// A principal: the id statistics group by, and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Principal {
    pub id: String,
    pub kind: PrincipalKind,
    pub account: Option<String>,
}

/// One request, from either source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessEvent {
    pub source: EventSource,
    pub time: Option<SystemTime>,
    /// `GetObject`, `REST.GET.OBJECT`, ...
    pub operation: String,
    pub kind: AccessKind,
    pub principal: Principal,
    pub source_ip: Option<String>,
    pub bucket: Option<String>,
    /// Object keys the request touched (a copy names source and destination).
    pub keys: Vec<String>,
    /// `AccessDenied`, `NoSuchKey`, ... ; `None` when the request succeeded.
    pub error_code: Option<String>,
    /// Authenticated by query string: a pre-signed URL.
    pub presigned: bool,
    /// The caller's account differs from the bucket owner's.
    pub cross_account: bool,
    /// An object-level data event (recognised from the operation and its
    /// resources, not from a category field alone).
    pub object_event: bool,
    pub request_id: Option<String>,
}

impl AccessEvent {
    /// Denied by policy: `AccessDenied` and its relatives.
    pub fn denied(&self) -> bool {
        self.error_code.as_deref().is_some_and(|c| {
            c.ends_with("AccessDenied") || c == "AllAccessDisabled" || c == "AccountProblem"
        })
    }
}

/// A record or file that could not be read, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessIssue {
    pub location: String,
    pub message: String,
}

/// What reading one input gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReadReport {
    pub files: u64,
    pub events: u64,
    pub duplicates: u64,
    pub outside_window: u64,
    pub problems: Vec<AccessIssue>,
}

/// Only events in `[since, until)` are kept when bounds are given.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeWindow {
    pub since: Option<SystemTime>,
    pub until: Option<SystemTime>,
}

impl TimeWindow {
    pub fn contains(&self, time: Option<SystemTime>) -> bool {
        match time {
            None => self.since.is_none() && self.until.is_none(),
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u),
        }
    }
}

/// Every regular file under the given paths, in a stable order.
fn input_files(paths: &[PathBuf], report: &mut ReadReport) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            match entry {
                Ok(entry) if entry.file_type().is_file() => files.push(entry.into_path()),
                Ok(_) => {}
                Err(error) => report.problems.push(AccessIssue {
                    location: error
                        .path()
                        .unwrap_or(Path::new(path))
                        .display()
                        .to_string(),
                    message: error.to_string(),
                }),
            }
        }
    }
    files
}

/// Opens every file under `paths` in turn (gzip or not) and hands it to
/// `read` with its location; files that cannot be opened are reported.
fn each_input(
    paths: &[PathBuf],
    report: &mut ReadReport,
    mut read: impl FnMut(&Path, String, Box<dyn std::io::BufRead>, &mut ReadReport),
) {
    for path in input_files(paths, report) {
        let location = path.display().to_string();
        report.files += 1;
        match open_maybe_gzip(&path) {
            Ok(reader) => read(&path, location, reader, report),
            Err(error) => report.problems.push(AccessIssue {
                location,
                message: error.to_string(),
            }),
        }
    }
}

/// Opens a file, decompressing gzip transparently (by magic, not by name).
fn open_maybe_gzip(path: &Path) -> std::io::Result<Box<dyn std::io::BufRead>> {
    use std::io::{BufRead, BufReader};
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    })
}
