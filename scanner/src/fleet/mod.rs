//! Fleet scans: one scan spread over many machines by an engine the user
//! already runs (a Kubernetes Indexed Job, an AWS Batch array job), with a
//! run location (an S3 prefix or a directory) as the only thing they share.
//!
//! `assay plan` lists once and writes the plan ([`plan`]); each
//! `assay scan --plan RUN --shard I/N` scans its units and commits each one
//! ([`shard`]); `assay merge` builds the report from the committed units
//! ([`merge`]), equal to a one-machine scan of the same objects. With
//! `--verify`, shards share their verdicts through the run location
//! ([`verdicts`]). Units ([`unit`]) are fixed by a hash of the key, so
//! per-unit state ([`state`]) carries over between runs whatever the number
//! of shards.

pub mod inventory;
pub mod lines;
pub mod merge;
pub mod plan;
pub mod shard;
pub mod state;
pub mod store;
pub mod unit;
pub mod verdicts;

pub use store::{RunStore, StoreError};

/// Why a fleet step failed. [`FleetError::is_usage`] tells a mistake in the
/// command (never worth retrying) from a failure that a rerun may not meet.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{message}")]
    Usage { message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{location}: {message}")]
    Corrupt { location: String, message: String },
    #[error("{what}: {source}")]
    Local {
        what: String,
        source: std::io::Error,
    },
    #[error("inventory: {0}")]
    Inventory(String),
    #[error(transparent)]
    Scan(#[from] crate::ScanError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

impl FleetError {
    /// A mistake in the command or the plan: rerunning it will fail again.
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Usage { .. } | Self::Inventory(_))
    }
}
