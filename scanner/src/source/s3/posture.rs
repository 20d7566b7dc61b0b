//! Bucket posture through the S3 API: six configuration calls, each of
//! which may be denied or unimplemented and then leaves its check unknown
//! with the reason ([`crate::posture`] says what is judged).

use std::sync::Arc;

use aws_sdk_s3::error::ProvideErrorMetadata;

use super::{S3Client, brief};
use crate::posture::{AclGrant, BucketPosture, Check, Grantee, PublicAccessBlock};

/// A posture check that could not be read, with the store's reason.
fn unknown<T, E>(error: aws_sdk_s3::error::SdkError<E>) -> Check<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    Check::Unknown {
        unknown: brief(&error),
    }
}

impl S3Client {
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
}
