//! Listing a bucket a page at a time (ListObjectsV2, or ListObjectVersions
//! with `--all-versions`), lazily, so listing overlaps classification and
//! memory does not grow with the bucket.

use std::collections::VecDeque;
use std::sync::Arc;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};

use super::{S3Client, S3Error, brief};
use crate::record::{IssueKind, ScanIssue};
use crate::source::Discovered;

/// Keys asked for per ListObjectsV2 page (the API's maximum).
const PAGE_SIZE: i32 = 1000;

impl S3Client {
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
    pub(super) fn refused<E>(
        bucket: &str,
        key: &str,
        error: &aws_sdk_s3::error::SdkError<E>,
    ) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        S3Error::Request {
            bucket: bucket.to_string(),
            key: key.to_string(),
            message: brief(error),
        }
    }

    pub(super) fn failed(bucket: &str, key: &str, error: impl std::error::Error) -> S3Error {
        S3Error::Request {
            bucket: bucket.to_string(),
            key: key.to_string(),
            message: DisplayErrorContext(error).to_string(),
        }
    }
}

/// What a version id escapes in a URI query (RFC 3986 unreserved stay).
pub(super) const VERSION_ID: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
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
