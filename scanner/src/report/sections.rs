//! The report's typed sections beside the objects: access-log inputs
//! (`scan.inputs`), buckets, identities, and the inventories a fleet plan
//! was made from. Schema 1.0 wrote these from JSON values, so their keys are
//! in alphabetical order; the `Serialize` impls here keep them so.

use assay_classifiers::risk::RiskFactor;
use serde::{Deserialize, Serialize};

use crate::access::stats::{BucketAccess, IdentityStats};
use crate::posture::BucketPosture;

/// The kinds of access-log input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Cloudtrail,
    S3AccessLogs,
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Cloudtrail => "cloudtrail",
            Self::S3AccessLogs => "s3_access_logs",
        })
    }
}

/// One access-log input as the report's `scan.inputs` describes it.
/// (Fields in the report's key order: alphabetical, as schema 1.0 has them.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    pub duplicates: u64,
    pub events: u64,
    pub files: u64,
    pub integrity: Integrity,
    pub kind: InputKind,
    pub outside_window: u64,
    pub problems: u64,
    pub source: String,
}

/// What digest validation said of a CloudTrail input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrity {
    /// Every log file's digest signature, hash and chain checked out.
    Verified,
    /// A signature, hash or chain link did not match.
    Tampered,
    /// Public keys were given but the digests could not prove the logs.
    Unverifiable,
    /// No public key was given (or the input is not CloudTrail).
    Unverified,
}

impl std::fmt::Display for Integrity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Verified => "verified",
            Self::Tampered => "tampered",
            Self::Unverifiable => "unverifiable",
            Self::Unverified => "unverified",
        })
    }
}

/// A bucket's record in the report.
#[derive(Debug, Clone)]
pub struct BucketRecord {
    pub access: Option<BucketAccess>,
    pub name: String,
    /// Objects (keys) of the bucket in the report.
    pub objects: usize,
    /// Its configuration as read; absent for local trees.
    pub posture: Option<BucketPosture>,
    pub risk: u8,
    pub risk_factors: Vec<RiskFactor>,
}

/// Schema 1.0 writes a bucket with every object's keys, nested ones too, in
/// alphabetical order, and `public` beside `posture` when it was read.
impl Serialize for BucketRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Fields<'a> {
            access: &'a Option<BucketAccess>,
            name: &'a str,
            objects: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            posture: Option<&'a BucketPosture>,
            #[serde(skip_serializing_if = "Option::is_none")]
            public: Option<Option<bool>>,
            risk: u8,
            risk_factors: &'a [RiskFactor],
        }
        sorted(
            &Fields {
                access: &self.access,
                name: &self.name,
                objects: self.objects,
                posture: self.posture.as_ref(),
                public: self.posture.as_ref().map(BucketPosture::public),
                risk: self.risk,
                risk_factors: &self.risk_factors,
            },
            serializer,
        )
    }
}

/// Serializes `value` with the keys of every object in it sorted, as a
/// `serde_json::Value` holds them (report sections schema 1.0 wrote so).
fn sorted<T: Serialize, S: serde::Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serde_json::to_value(value)
        .map_err(serde::ser::Error::custom)?
        .serialize(serializer)
}

/// An identity's record in the report: what the logs say of a principal,
/// the sensitive objects it touched, and its score.
#[derive(Debug, Clone)]
pub struct IdentityRecord {
    pub stats: IdentityStats,
    pub sensitive_objects: u64,
    pub risk: u8,
    pub risk_factors: Vec<RiskFactor>,
}

/// Schema 1.0 writes an identity as one object whose keys (the statistics
/// and the score together) are in alphabetical order.
impl Serialize for IdentityRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            #[serde(flatten)]
            stats: &'a IdentityStats,
            sensitive_objects: u64,
            risk: u8,
            risk_factors: &'a [RiskFactor],
        }
        sorted(
            &Flat {
                stats: &self.stats,
                sensitive_objects: self.sensitive_objects,
                risk: self.risk,
                risk_factors: &self.risk_factors,
            },
            serializer,
        )
    }
}

/// An inventory report a plan was made from ("coverage as of").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InventoryUsed {
    pub manifest: String,
    pub created: String,
}
