//! Whole-prefix reads for access-log inputs and `trail verify`: keys,
//! common prefixes, downloads, and a prefix mirrored to a local directory
//! so the local log readers run unchanged.

use std::path::Path;

use aws_sdk_s3::error::DisplayErrorContext;

use super::{S3Client, S3Error};

impl S3Client {
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
