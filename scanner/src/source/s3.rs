//! S3 access through `aws-sdk-s3` with `aws-config`'s standard credential
//! chain: `--profile`, `--region`, `--endpoint-url` (and
//! `AWS_ENDPOINT_URL`) with path-style addressing for S3-compatible
//! stores. Two uses: bucket scans (`assay scan s3://bucket/prefix`), where
//! listings are read a page at a time and object bodies stream straight into
//! the classifiers; and access-log inputs (`--cloudtrail s3://...`,
//! `--access-logs s3://...`, `trail verify s3://...`), which are mirrored to
//! a temporary directory so the local readers run unchanged.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectStorageClass;
use tokio::sync::{mpsc, oneshot};

use super::{Discovered, Location, ObjectRef, OpenError};
use crate::posture::{AclGrant, BucketPosture, Check, Grantee, PublicAccessBlock};
use crate::record::{ErrorKind, IssueKind, ScanIssue};

/// Keys asked for per ListObjectsV2 page (the API's maximum).
const PAGE_SIZE: i32 = 1000;
/// Times an interrupted or short body is resumed (with a Range request)
/// before the object is reported as read in part.
const BODY_RETRIES: u32 = 3;

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

/// A posture check that could not be read, with the store's reason.
fn unknown<T, E>(error: aws_sdk_s3::error::SdkError<E>) -> Check<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    Check::Unknown {
        unknown: brief(&error),
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(S3Error::Runtime)?;
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(S3Error::Runtime)?;
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

    /// Reads a bucket's configuration (six calls). A call that is denied,
    /// unimplemented or failing leaves that check unknown with the reason.
    pub fn posture(self: &Arc<Self>, bucket: &str) -> BucketPosture {
        let regional = self.for_bucket(bucket);
        let c = &regional.client;
        self.runtime.block_on(async {
            let default_encryption = match c.get_bucket_encryption().bucket(bucket).send().await {
                Ok(out) => Check::Known(out.server_side_encryption_configuration().and_then(
                    |config| {
                        config.rules().iter().find_map(|rule| {
                            rule.apply_server_side_encryption_by_default()
                                .map(|d| d.sse_algorithm().as_str().to_string())
                        })
                    },
                )),
                Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                    Check::Known(None)
                }
                Err(e) => unknown(e),
            };
            let public_access_block = match c.get_public_access_block().bucket(bucket).send().await
            {
                Ok(out) => Check::Known(out.public_access_block_configuration().map(|b| {
                    PublicAccessBlock {
                        block_public_acls: b.block_public_acls().unwrap_or(false),
                        ignore_public_acls: b.ignore_public_acls().unwrap_or(false),
                        block_public_policy: b.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: b.restrict_public_buckets().unwrap_or(false),
                    }
                })),
                Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => {
                    Check::Known(None)
                }
                Err(e) => unknown(e),
            };
            let policy_public = match c.get_bucket_policy_status().bucket(bucket).send().await {
                Ok(out) => Check::Known(
                    out.policy_status()
                        .and_then(|s| s.is_public())
                        .unwrap_or(false),
                ),
                Err(e) if e.code() == Some("NoSuchBucketPolicy") => Check::Known(false),
                Err(e) => unknown(e),
            };
            let acl_grants = match c.get_bucket_acl().bucket(bucket).send().await {
                Ok(out) => {
                    let owner = out.owner().and_then(|o| o.id()).unwrap_or_default();
                    Check::Known(
                        out.grants()
                            .iter()
                            .filter_map(|grant| {
                                let grantee = grant.grantee()?;
                                let grantee = match (grantee.uri(), grantee.id()) {
                                    (Some(uri), _) if uri.ends_with("/global/AllUsers") => {
                                        Grantee::Everyone
                                    }
                                    (Some(uri), _)
                                        if uri.ends_with("/global/AuthenticatedUsers") =>
                                    {
                                        Grantee::AnyAwsAccount
                                    }
                                    (None, Some(id)) if id != owner => {
                                        Grantee::OtherAccount(id.to_string())
                                    }
                                    _ => return None,
                                };
                                Some(AclGrant {
                                    grantee,
                                    permission: grant
                                        .permission()
                                        .map_or_else(String::new, |p| p.as_str().to_string()),
                                })
                            })
                            .collect(),
                    )
                }
                Err(e) => unknown(e),
            };
            let versioning = match c.get_bucket_versioning().bucket(bucket).send().await {
                Ok(out) => Check::Known(
                    out.status()
                        .map_or_else(|| "Off".to_string(), |s| s.as_str().to_string()),
                ),
                Err(e) => unknown(e),
            };
            let access_logging = match c.get_bucket_logging().bucket(bucket).send().await {
                Ok(out) => Check::Known(
                    out.logging_enabled()
                        .map(|l| format!("s3://{}/{}", l.target_bucket(), l.target_prefix())),
                ),
                Err(e) => unknown(e),
            };
            BucketPosture {
                default_encryption,
                public_access_block,
                policy_public,
                acl_grants,
                versioning,
                access_logging,
            }
        })
    }

    /// The objects under `s3://bucket/prefix`, listed lazily a page at a
    /// time so listing overlaps classification and memory does not grow
    /// with the bucket; read through a client for the bucket's region.
    /// With `versions`, every version is listed (ListObjectVersions): the
    /// current one as `s3://bucket/key`, older ones (and those hidden by a
    /// delete marker) as `s3://bucket/key?versionId=V`.
    pub fn objects(
        self: &Arc<Self>,
        bucket: &str,
        prefix: &str,
        versions: Versions,
    ) -> impl Iterator<Item = Discovered> + Send + use<> {
        self.objects_in_range(bucket, prefix, versions, None, None)
    }

    /// The objects under `s3://bucket/prefix` whose keys are after
    /// `after` (exclusive) and up to `through` (inclusive): listings of
    /// consecutive ranges cover a bucket exactly, and run side by side.
    pub fn objects_in_range(
        self: &Arc<Self>,
        bucket: &str,
        prefix: &str,
        versions: Versions,
        after: Option<String>,
        through: Option<String>,
    ) -> impl Iterator<Item = Discovered> + Send + use<> {
        ObjectListing {
            client: self.for_bucket(bucket),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            versions,
            start_after: after.clone(),
            through,
            token: match versions {
                Versions::Current => None,
                // ListObjectVersions starts after its key marker.
                Versions::All => after,
            },
            version_marker: None,
            done: false,
            page: VecDeque::new(),
        }
    }

    fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<String>,
        start_after: Option<String>,
    ) -> Result<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output, S3Error> {
        self.runtime.block_on(async {
            self.client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .max_keys(PAGE_SIZE)
                .set_continuation_token(token)
                .set_start_after(start_after)
                .send()
                .await
                .map_err(|e| Self::refused(bucket, prefix, &e))
        })
    }

    fn list_versions_page(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: Option<String>,
        version_marker: Option<String>,
    ) -> Result<aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput, S3Error>
    {
        self.runtime.block_on(async {
            self.client
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .max_keys(PAGE_SIZE)
                .set_key_marker(key_marker)
                .set_version_id_marker(version_marker)
                .send()
                .await
                .map_err(|e| Self::refused(bucket, prefix, &e))
        })
    }

    /// A request the store answered with an error, in one line.
    fn refused<E>(bucket: &str, key: &str, error: &aws_sdk_s3::error::SdkError<E>) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        S3Error::Request {
            bucket: bucket.to_string(),
            key: key.to_string(),
            message: brief(error),
        }
    }

    fn failed(bucket: &str, key: &str, error: impl std::error::Error) -> S3Error {
        S3Error::Request {
            bucket: bucket.to_string(),
            key: key.to_string(),
            message: DisplayErrorContext(error).to_string(),
        }
    }

    /// Every key under a prefix (ListObjectsV2, all pages).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, S3Error> {
        self.runtime.block_on(async {
            let mut keys = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| Self::failed(bucket, prefix, e))?;
                keys.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_string)),
                );
            }
            Ok(keys)
        })
    }

    /// The "folders" directly below a prefix: ListObjectsV2 with the
    /// delimiter `/`, every page's common prefixes (`prefix/name/`).
    pub fn list_prefixes(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, S3Error> {
        self.runtime.block_on(async {
            let mut prefixes = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .delimiter("/")
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| Self::failed(bucket, prefix, e))?;
                prefixes.extend(
                    page.common_prefixes()
                        .iter()
                        .filter_map(|p| p.prefix().map(str::to_string)),
                );
            }
            Ok(prefixes)
        })
    }

    /// Downloads one object to `path`; returns its user metadata.
    pub fn download(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
    ) -> Result<std::collections::HashMap<String, String>, S3Error> {
        self.runtime.block_on(async {
            let object = self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| Self::failed(bucket, key, e))?;
            let metadata = object.metadata().cloned().unwrap_or_default();
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| S3Error::Local(parent.display().to_string(), e))?;
            }
            let mut file = tokio::fs::File::create(path)
                .await
                .map_err(|e| S3Error::Local(path.display().to_string(), e))?;
            let mut body = object.body.into_async_read();
            tokio::io::copy(&mut body, &mut file).await.map_err(|e| {
                Self::failed(
                    bucket,
                    key,
                    std::io::Error::other(format!("reading the body: {}", DisplayErrorContext(&e))),
                )
            })?;
            Ok(metadata)
        })
    }

    /// Mirrors every object under `s3://bucket/prefix` into `dest` (keys
    /// become paths). A CloudTrail digest's `signature` metadata
    /// (`x-amz-meta-signature`) is kept beside it as `<digest>.sig`.
    pub fn mirror(&self, bucket: &str, prefix: &str, dest: &Path) -> Result<usize, S3Error> {
        let keys = self.list(bucket, prefix)?;
        for key in &keys {
            if key.ends_with('/') || key.split('/').any(|part| part == ".." || part == ".") {
                continue;
            }
            let path = dest.join(key);
            let metadata = self.download(bucket, key, &path)?;
            if let Some(signature) = metadata.get("signature") {
                let sidecar = format!("{}.sig", path.display());
                std::fs::write(&sidecar, signature).map_err(|e| S3Error::Local(sidecar, e))?;
            }
        }
        Ok(keys.len())
    }
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client").finish_non_exhaustive()
    }
}

/// What a version id escapes in a URI query (RFC 3986 unreserved stay).
const VERSION_ID: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Which objects a bucket listing yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Versions {
    /// The current version of each key (ListObjectsV2).
    #[default]
    Current,
    /// Every version, non-current ones included (ListObjectVersions).
    All,
}

/// A bucket listing read one ListObjectsV2 (or ListObjectVersions) page at
/// a time.
struct ObjectListing {
    client: Arc<S3Client>,
    bucket: String,
    prefix: String,
    versions: Versions,
    /// List only keys after this one...
    start_after: Option<String>,
    /// ...and up to this one.
    through: Option<String>,
    /// The continuation token, or with versions the key marker.
    token: Option<String>,
    version_marker: Option<String>,
    done: bool,
    page: VecDeque<Discovered>,
}

impl Iterator for ObjectListing {
    type Item = Discovered;

    fn next(&mut self) -> Option<Discovered> {
        while self.page.is_empty() && !self.done {
            let listed = match self.versions {
                Versions::Current => self.next_page(),
                Versions::All => self.next_versions_page(),
            };
            match listed {
                Ok(()) => {}
                Err(error) => {
                    // Objects already listed were scanned; say where listing stopped.
                    self.done = true;
                    self.page.push_back(Discovered::Issue(ScanIssue {
                        location: format!("s3://{}/{}", self.bucket, self.prefix),
                        kind: IssueKind::Unlistable,
                        message: error.to_string(),
                    }));
                }
            }
        }
        self.page.pop_front()
    }
}

/// What a listing says of one object or version.
struct Listed<'a> {
    key: &'a str,
    size: Option<i64>,
    etag: Option<&'a str>,
    /// The version and whether it is the current one.
    version: Option<(&'a str, bool)>,
    last_modified: Option<&'a aws_sdk_s3::primitives::DateTime>,
    storage_class: Option<&'a str>,
}

impl ObjectListing {
    fn next_page(&mut self) -> Result<(), S3Error> {
        let page = self.client.list_page(
            &self.bucket,
            &self.prefix,
            self.token.clone(),
            self.start_after.clone(),
        )?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if self.beyond(key) {
                return Ok(());
            }
            let listed = Listed {
                key,
                size: object.size(),
                etag: object.e_tag(),
                version: None,
                last_modified: object.last_modified(),
                storage_class: object.storage_class().map(|c| c.as_str()),
            };
            if let Some(found) = self.discovered(listed) {
                self.page.push_back(found);
            }
        }
        let next = page.next_continuation_token().map(str::to_string);
        self.done = !page.is_truncated().unwrap_or(false);
        if !self.done {
            self.advance(next.is_some() && next != self.token)?;
        }
        self.token = next;
        Ok(())
    }

    fn next_versions_page(&mut self) -> Result<(), S3Error> {
        let page = self.client.list_versions_page(
            &self.bucket,
            &self.prefix,
            self.token.clone(),
            self.version_marker.clone(),
        )?;
        // Delete markers hold no bytes; the versions they hide are listed
        // (as non-current) and scanned.
        for version in page.versions() {
            let Some(key) = version.key() else { continue };
            if self.beyond(key) {
                return Ok(());
            }
            let listed = Listed {
                key,
                size: version.size(),
                etag: version.e_tag(),
                version: version
                    .version_id()
                    .map(|id| (id, version.is_latest().unwrap_or(false))),
                last_modified: version.last_modified(),
                storage_class: version.storage_class().map(|c| c.as_str()),
            };
            if let Some(found) = self.discovered(listed) {
                self.page.push_back(found);
            }
        }
        let next = (
            page.next_key_marker().map(str::to_string),
            page.next_version_id_marker().map(str::to_string),
        );
        self.done = !page.is_truncated().unwrap_or(false);
        if !self.done {
            let same = next == (self.token.clone(), self.version_marker.clone());
            self.advance(next.0.is_some() && !same)?;
        }
        (self.token, self.version_marker) = next;
        Ok(())
    }

    /// Whether a key is past the listing's range; if so the listing ends.
    fn beyond(&mut self, key: &str) -> bool {
        let beyond = self.through.as_deref().is_some_and(|end| key > end);
        self.done |= beyond;
        beyond
    }

    /// A truncated page must move the listing on: a store that answers
    /// without a new marker would otherwise be listed forever.
    fn advance(&mut self, moved: bool) -> Result<(), S3Error> {
        if moved {
            return Ok(());
        }
        self.done = true;
        Err(S3Error::Request {
            bucket: self.bucket.clone(),
            key: self.prefix.clone(),
            message: "the store returned a truncated listing page without a new marker; \
                      listing stopped there"
                .into(),
        })
    }

    fn discovered(&self, listed: Listed<'_>) -> Option<Discovered> {
        let key = listed.key;
        let size = listed.size.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        // Zero-byte "folder" markers made by consoles are not objects to scan.
        if key.ends_with('/') && size == 0 {
            return None;
        }
        let etag = listed.etag.map(|e| e.trim_matches('"').to_string());
        Some(Discovered::Object(
            self.client.object_ref(
                &self.bucket,
                key,
                size,
                etag,
                listed.version,
                listed
                    .last_modified
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
                listed.storage_class,
            ),
        ))
    }
}

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
