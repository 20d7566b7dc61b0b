//! assay's scanner: sources (local trees; S3 joins here), the streaming
//! classification pipeline, scan records and report formats. The `assay`
//! command line lives in `cli/` and drives this library. Access
//! evidence ([`assay_access`]) and extraction from archives and documents
//! ([`assay_extract`]) are crates of their own, re-exported here.

/// Access evidence (CloudTrail, S3 access logs, digests, statistics).
pub use assay_access as access;
/// Archives and documents: bytes in, text with places out.
pub use assay_extract::{archive, document, spool};
pub mod baseline;
pub mod config;
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
pub mod state;
pub mod verify;

pub use error::ScanError;
