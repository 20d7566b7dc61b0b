//! assay's scanner: sources (local trees; S3 joins here), the streaming
//! classification pipeline, scan records and report formats. The `assay`
//! command line lives in `scanner/cli/` and drives this library. Access
//! evidence is its own crate, [`assay_access`], re-exported as [`access`].

/// Access evidence (CloudTrail, S3 access logs, digests, statistics).
pub use assay_access as access;
pub mod archive;
pub mod baseline;
pub mod config;
pub mod document;
pub mod error;
pub mod fleet;
pub mod inventory;
pub mod pipeline;
pub mod posture;
pub mod record;
pub mod report;
pub mod risk;
pub mod scan;
pub mod scope;
pub mod source;
mod spool;
pub mod state;
pub mod verify;

pub use error::ScanError;
