//! S3 access through `aws-sdk-s3` with `aws-config`'s standard credential
//! chain: `--profile`, `--region`, `--endpoint-url` (and
//! `AWS_ENDPOINT_URL`) with path-style addressing for S3-compatible
//! stores. Used to fetch access-log inputs (`--cloudtrail s3://...`,
//! `--access-logs s3://...`, `trail verify s3://...`), which are mirrored to
//! a temporary directory so the local readers run unchanged and memory
//! stays bounded.

use std::path::Path;

use aws_sdk_s3::error::DisplayErrorContext;

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

/// A blocking S3 client (its own small runtime).
pub struct S3Client {
    client: aws_sdk_s3::Client,
    runtime: tokio::runtime::Runtime,
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
            let config = aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(custom_endpoint)
                .response_checksum_validation(
                    aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                )
                .request_checksum_calculation(
                    aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                )
                .build();
            aws_sdk_s3::Client::from_conf(config)
        });
        Ok(Self { client, runtime })
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
