//! S3 access through `aws-sdk-s3` with `aws-config`'s standard credential
//! chain: `--profile`, `--region`, `--endpoint-url` (and
//! `AWS_ENDPOINT_URL`) with path-style addressing for S3-compatible
//! stores. Two uses: bucket scans (`assay scan s3://bucket/prefix`), where
//! listings are read a page at a time and object bodies stream straight into
//! the classifiers; and access-log inputs (`--cloudtrail s3://...`,
//! `--access-logs s3://...`, `trail verify s3://...`), which are mirrored to
//! a temporary directory so the local readers run unchanged.
//!
//! This module holds the client: credentials, regions and the refusals a
//! first call can meet. Its parts: [`posture`] (bucket configuration),
//! [`listing`] (keys and versions, a page at a time), [`body`] (object bytes,
//! downloaded ahead and resumed) and [`mirror`] (whole prefixes of logs).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::types::ObjectStorageClass;

use super::{Location, ObjectRef, OpenError};
use crate::record::ErrorKind;

mod body;
mod listing;
mod mirror;
mod posture;

pub use body::{Pending, S3Object, S3Reader};
use listing::VERSION_ID;
pub use listing::Versions;

/// How to reach S3.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// Why an S3 operation failed.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("not an s3:// URI: {0}")]
    Uri(String),
    #[error("cannot start the S3 client runtime: {0}")]
    Runtime(std::io::Error),
    #[error("s3://{bucket}/{key}: {message}")]
    Request {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("{0}: {1}")]
    Local(String, std::io::Error),
}

/// Why a bucket named as a target cannot be listed at all, by what would
/// set it right (the command line turns each into advice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials were found (environment, profile, instance role...).
    NoCredentials,
    /// The store does not accept the credentials (unknown key, wrong
    /// secret, expired token).
    BadCredentials,
    /// Nothing answered at the endpoint (refused, unresolvable, timed out).
    Unreachable,
    /// The credentials are good but may not list this bucket.
    Denied,
    /// There is no such bucket.
    NoSuchBucket,
    /// Anything else the store answered.
    Other,
}

/// A bucket target that cannot be listed: why, the bucket's region when
/// the store named one, and the store's or the SDK's own words.
#[derive(Debug, thiserror::Error)]
#[error("s3://{bucket}/{prefix}: {message}")]
pub struct Unlistable {
    pub bucket: String,
    pub prefix: String,
    pub refusal: Refusal,
    pub region: Option<String>,
    pub message: String,
}

/// Attempts of the requests that check a bucket can be listed: enough for
/// a dropped connection, few enough that a wrong endpoint is said at once.
const PROBE_ATTEMPTS: u32 = 3;

/// What a failed request says about the credentials, the endpoint or the
/// bucket.
fn refusal<E>(error: &aws_sdk_s3::error::SdkError<E>) -> Refusal
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::SdkError;
    let status = error.raw_response().map(|r| r.status().as_u16());
    match (error.code(), status) {
        (
            Some(
                "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "InvalidToken"
                | "TokenRefreshRequired"
                | "NotSignedUp"
                | "InvalidSecurity",
            ),
            _,
        ) => Refusal::BadCredentials,
        (Some("AccessDenied" | "AllAccessDisabled" | "AccountProblem"), _) | (None, Some(403)) => {
            Refusal::Denied
        }
        (Some("NoSuchBucket"), _) | (None, Some(404)) => Refusal::NoSuchBucket,
        (Some(_), _) => Refusal::Other,
        (None, _) => match error {
            SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
                Refusal::Unreachable
            }
            SdkError::TimeoutError(_) => Refusal::Unreachable,
            // The credential chain found nothing: the SDK says so before
            // any request is sent.
            _ if DisplayErrorContext(error)
                .to_string()
                .contains("provided credentials") =>
            {
                Refusal::NoCredentials
            }
            SdkError::DispatchFailure(_) => Refusal::Unreachable,
            _ => Refusal::Other,
        },
    }
}

/// A request override with [`PROBE_ATTEMPTS`] attempts.
fn probe_config() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default().retry_config(
        aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(PROBE_ATTEMPTS),
    )
}

/// `s3://bucket/prefix` → (bucket, prefix).
///
/// ```
/// use assay_scanner::source::s3::parse_uri;
/// assert_eq!(parse_uri("s3://logs/AWSLogs/"), Some(("logs".into(), "AWSLogs/".into())));
/// assert_eq!(parse_uri("s3://logs"), Some(("logs".into(), String::new())));
/// assert_eq!(parse_uri("/tmp/logs"), None);
/// ```
pub fn parse_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.to_string()))
}

/// Why a GetObject failed, as a record's error kind.
fn open_error<E>(error: aws_sdk_s3::error::SdkError<E>) -> OpenError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = error.raw_response().map(|r| r.status().as_u16());
    let kind = match (error.code(), status) {
        (Some("NoSuchKey"), _) | (_, Some(404)) => ErrorKind::Deleted,
        (Some("AccessDenied"), _) | (_, Some(403)) => ErrorKind::AccessDenied,
        (Some("PreconditionFailed"), _) | (_, Some(412)) => ErrorKind::Changed,
        (Some("InvalidObjectState"), _) => ErrorKind::Unclassifiable,
        _ => ErrorKind::Unreadable,
    };
    OpenError::Remote {
        kind,
        message: brief(&error),
    }
}

/// An S3 error in one short line: the store's code and message when it
/// sent them, else the SDK's account without its debug dump.
pub(crate) fn brief<E>(error: &aws_sdk_s3::error::SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    const LIMIT: usize = 300;
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => {
            let mut text = DisplayErrorContext(error).to_string();
            // The context ends with a Debug dump of the whole error.
            for dump in [
                " (ServiceError(",
                " (DispatchFailure(",
                " (TimeoutError(",
                " (ResponseError(",
                " (ConstructionFailure(",
            ] {
                if let Some(cut) = text.find(dump) {
                    text.truncate(cut);
                }
            }
            if text.len() > LIMIT {
                let mut end = LIMIT;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
                text.push('…');
            }
            match error.raw_response() {
                Some(raw) => format!("HTTP {}: {text}", raw.status().as_u16()),
                None => text,
            }
        }
    }
}

/// Storage classes whose objects must be restored before they can be read
/// (by name: listings of objects and of versions type them apart).
fn needs_restore(class: Option<&str>) -> Option<String> {
    let class = class?;
    (class == ObjectStorageClass::Glacier.as_str()
        || class == ObjectStorageClass::DeepArchive.as_str())
    .then(|| class.to_string())
}

/// The small runtime a blocking client waits on: two threads are enough to
/// keep a few downloads in flight.
fn runtime() -> Result<tokio::runtime::Runtime, S3Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(S3Error::Runtime)
}

/// A blocking S3 client (its own small runtime).
pub struct S3Client {
    client: aws_sdk_s3::Client,
    runtime: Arc<tokio::runtime::Runtime>,
    /// Each bucket's client once its region is known (`None`: this one),
    /// so the listing and the posture checks ask HeadBucket only once.
    regional: std::sync::Mutex<std::collections::HashMap<String, Option<Arc<S3Client>>>>,
}

impl S3Client {
    pub fn new(options: &S3Options) -> Result<Self, S3Error> {
        let runtime = runtime()?;
        let client = runtime.block_on(async {
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
            if let Some(region) = &options.region {
                loader = loader.region(aws_config::Region::new(region.clone()));
            }
            if let Some(profile) = &options.profile {
                loader = loader.profile_name(profile);
            }
            if let Some(endpoint) = &options.endpoint_url {
                loader = loader.endpoint_url(endpoint);
            }
            let shared = loader.load().await;
            let custom_endpoint =
                options.endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
            // S3-compatible stores rarely serve virtual-hosted buckets.
            // Checksums are validated where the API requires it; stores that
            // send no or other checksums are still read.
            // Throttling (503 SlowDown), 500s and dropped connections are
            // retried with the SDK's jittered exponential backoff.
            let mut config = aws_sdk_s3::config::Builder::from(&shared);
            // Six attempts ride out a burst of SlowDown; AWS_MAX_ATTEMPTS wins.
            if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
                config = config.retry_config(
                    aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(6),
                );
            }
            let config = config
                .force_path_style(custom_endpoint)
                .timeout_config(
                    aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                        .connect_timeout(Duration::from_secs(10))
                        .read_timeout(Duration::from_secs(60))
                        .build(),
                )
                .response_checksum_validation(
                    aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                )
                .request_checksum_calculation(
                    aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                )
                .build();
            aws_sdk_s3::Client::from_conf(config)
        });
        Ok(Self {
            client,
            runtime: Arc::new(runtime),
            regional: Default::default(),
        })
    }

    /// A client from a ready SDK configuration, for callers that build
    /// their own (fixed credentials, custom HTTP client, ...).
    pub fn from_sdk_config(config: aws_sdk_s3::Config) -> Result<Self, S3Error> {
        let runtime = runtime()?;
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(config),
            runtime: Arc::new(runtime),
            regional: Default::default(),
        })
    }

    /// The SDK client and a way to wait on it, for modules that make their
    /// own calls (the fleet's run store).
    pub(crate) fn sdk(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// An object (or version) as a listing names it, ready to scan. The
    /// fleet's shards rebuild a plan's items with it, so they are the very
    /// objects a listing of the bucket would have yielded.
    #[allow(clippy::too_many_arguments)]
    pub fn object_ref(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        size: u64,
        etag: Option<String>,
        version: Option<(&str, bool)>,
        last_modified: Option<std::time::SystemTime>,
        storage_class: Option<&str>,
    ) -> ObjectRef {
        let uri = match version {
            Some((id, false)) => format!(
                "s3://{bucket}/{key}?versionId={}",
                percent_encoding::utf8_percent_encode(id, VERSION_ID)
            ),
            _ => format!("s3://{bucket}/{key}"),
        };
        let version_id = version.map(|(id, _)| id.to_string());
        ObjectRef {
            uri,
            name: key.to_string(),
            size,
            etag: etag.clone(),
            version_id: version_id.clone(),
            last_modified,
            location: Location::S3(S3Object {
                client: Arc::clone(self),
                bucket: bucket.to_string(),
                key: key.to_string(),
                etag,
                version_id,
                needs_restore: needs_restore(storage_class),
            }),
            bucket_key: Some((bucket.to_string(), key.to_string())),
        }
    }

    /// Every bucket the credentials can list (ListBuckets), for `s3://`.
    pub fn buckets(&self) -> Result<Vec<String>, S3Error> {
        self.runtime.block_on(async {
            let listed = self
                .client
                .list_buckets()
                .send()
                .await
                .map_err(|e| Self::failed("", "", e))?;
            Ok(listed
                .buckets()
                .iter()
                .filter_map(|b| b.name().map(str::to_string))
                .collect())
        })
    }

    /// A client for the bucket's own region. S3 answers requests sent to
    /// another region with a redirect, so the bucket's region is asked
    /// (HeadBucket's `x-amz-bucket-region`, sent even with 301 and 403
    /// answers) and a client made for it when it differs from ours.
    pub fn for_bucket(self: &Arc<Self>, bucket: &str) -> Arc<Self> {
        let known = self
            .regional
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(bucket)
            .cloned();
        if let Some(client) = known {
            return client.unwrap_or_else(|| Arc::clone(self));
        }
        let ours = self
            .client
            .config()
            .region()
            .map(|r| r.as_ref().to_string());
        let theirs = self.runtime.block_on(async {
            let head = self.client.head_bucket().bucket(bucket);
            // Few attempts: only the region is asked, and a store that does
            // not answer is said by the listing.
            match head
                .customize()
                .config_override(probe_config())
                .send()
                .await
            {
                Ok(out) => out.bucket_region().map(str::to_string),
                Err(e) => e
                    .raw_response()
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_string),
            }
        });
        let client = match theirs {
            Some(region) if ours.as_deref() != Some(region.as_str()) => {
                tracing::debug!("s3://{bucket} is in {region}; using a client for that region");
                let config = self
                    .client
                    .config()
                    .to_builder()
                    .region(aws_sdk_s3::config::Region::new(region))
                    .build();
                Some(Arc::new(Self {
                    client: aws_sdk_s3::Client::from_conf(config),
                    runtime: Arc::clone(&self.runtime),
                    regional: Default::default(),
                }))
            }
            _ => None,
        };
        self.regional
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(bucket.to_string(), client.clone());
        client.unwrap_or_else(|| Arc::clone(self))
    }

    /// Whether `s3://bucket/prefix` can be listed (one key of it, through a
    /// client for the bucket's region), so a target that cannot be read at
    /// all stops a scan with the reason before anything is written.
    pub fn check_listable(self: &Arc<Self>, bucket: &str, prefix: &str) -> Result<(), Unlistable> {
        let client = self.for_bucket(bucket);
        let region = client
            .client
            .config()
            .region()
            .map(|r| r.as_ref().to_string());
        client.runtime.block_on(async {
            client
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .max_keys(1)
                .customize()
                .config_override(probe_config())
                .send()
                .await
                .map(drop)
                .map_err(|error| Unlistable {
                    bucket: bucket.to_string(),
                    prefix: prefix.to_string(),
                    refusal: refusal(&error),
                    region,
                    message: brief(&error),
                })
        })
    }
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_tiers_need_a_restore_and_instant_retrieval_does_not() {
        assert_eq!(needs_restore(Some("GLACIER")).as_deref(), Some("GLACIER"));
        assert_eq!(
            needs_restore(Some("DEEP_ARCHIVE")).as_deref(),
            Some("DEEP_ARCHIVE")
        );
        assert_eq!(needs_restore(Some("GLACIER_IR")), None);
        assert_eq!(needs_restore(Some("STANDARD")), None);
        assert_eq!(needs_restore(None), None);
    }
}
