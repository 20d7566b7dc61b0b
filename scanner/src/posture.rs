//! Bucket posture: what a bucket's own configuration says about its
//! exposure (default encryption, public access block, policy status, ACL
//! grants, versioning, server access logging). Each check is either known
//! or unknown with the reason (a missing permission, a call the store does
//! not implement), never fatal. Read by [`crate::source::s3::S3Client::posture`].

use serde::{Deserialize, Serialize};

/// The outcome of one configuration read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Check<T> {
    Known(T),
    Unknown { unknown: String },
}

impl<T> Check<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Check::Known(value) => Some(value),
            Check::Unknown { .. } => None,
        }
    }
}

/// The four switches of an S3 public access block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// Who an ACL grant opens the bucket to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grantee {
    /// `AllUsers`: anyone on the internet.
    Everyone,
    /// `AuthenticatedUsers`: anyone with any AWS account.
    AnyAwsAccount,
    /// A canonical user other than the bucket owner.
    OtherAccount(String),
}

/// An ACL grant to someone outside the owning account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclGrant {
    pub grantee: Grantee,
    pub permission: String,
}

/// A bucket's configuration as far as it could be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketPosture {
    /// The default encryption algorithm, or `null` when none is set.
    pub default_encryption: Check<Option<String>>,
    /// `null` when the bucket has no public access block of its own.
    pub public_access_block: Check<Option<PublicAccessBlock>>,
    /// Whether S3 judges the bucket policy public (`false` with no policy).
    pub policy_public: Check<bool>,
    /// ACL grants to everyone, to any AWS account, or to other accounts.
    pub acl_grants: Check<Vec<AclGrant>>,
    /// `Enabled`, `Suspended` or `Off`.
    pub versioning: Check<String>,
    /// Where server access logs go, or `null` when logging is off.
    pub access_logging: Check<Option<String>>,
}

impl BucketPosture {
    /// Whether anyone outside the account can read the bucket: a public
    /// policy or a public ACL grant that the bucket's public access block
    /// does not neutralise. `None` when that cannot be told.
    pub fn public(&self) -> Option<bool> {
        let block = self.public_access_block.known().copied().flatten();
        let by_policy = self
            .policy_public
            .known()
            .map(|public| *public && !block.is_some_and(|b| b.restrict_public_buckets));
        let by_acl = self.acl_grants.known().map(|grants| {
            !block.is_some_and(|b| b.ignore_public_acls)
                && grants
                    .iter()
                    .any(|g| matches!(g.grantee, Grantee::Everyone | Grantee::AnyAwsAccount))
        });
        match (by_policy, by_acl) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        }
    }

    /// Grants to other named accounts.
    pub fn cross_account_grants(&self) -> usize {
        self.acl_grants.known().map_or(0, |grants| {
            grants
                .iter()
                .filter(|g| matches!(g.grantee, Grantee::OtherAccount(_)))
                .count()
        })
    }

    /// Whether the bucket is known to have no default encryption.
    pub fn unencrypted(&self) -> bool {
        matches!(self.default_encryption, Check::Known(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posture(
        policy_public: bool,
        grants: Vec<AclGrant>,
        block: Option<PublicAccessBlock>,
    ) -> BucketPosture {
        BucketPosture {
            default_encryption: Check::Known(Some("AES256".into())),
            public_access_block: Check::Known(block),
            policy_public: Check::Known(policy_public),
            acl_grants: Check::Known(grants),
            versioning: Check::Known("Enabled".into()),
            access_logging: Check::Known(None),
        }
    }

    #[test]
    fn a_public_access_block_neutralises_what_it_covers() {
        let everyone = || {
            vec![AclGrant {
                grantee: Grantee::Everyone,
                permission: "READ".into(),
            }]
        };
        assert_eq!(posture(true, vec![], None).public(), Some(true));
        assert_eq!(posture(false, everyone(), None).public(), Some(true));
        assert_eq!(posture(false, vec![], None).public(), Some(false));
        let restrict = PublicAccessBlock {
            restrict_public_buckets: true,
            ..PublicAccessBlock::default()
        };
        assert_eq!(posture(true, vec![], Some(restrict)).public(), Some(false));
        assert_eq!(
            posture(false, everyone(), Some(restrict)).public(),
            Some(true)
        );
        let ignore = PublicAccessBlock {
            ignore_public_acls: true,
            ..PublicAccessBlock::default()
        };
        assert_eq!(
            posture(false, everyone(), Some(ignore)).public(),
            Some(false)
        );
        let mut unknown = posture(false, vec![], None);
        unknown.policy_public = Check::Unknown {
            unknown: "AccessDenied".into(),
        };
        assert_eq!(unknown.public(), None, "not public only if both are known");
        assert_eq!(
            serde_json::to_value(&unknown.policy_public).unwrap(),
            serde_json::json!({"unknown": "AccessDenied"})
        );
    }
}
