//! Incremental state for fleet runs: one SQLite snapshot per unit (the same
//! state a one-machine `--state` keeps, cut along units), and
//! `state/CURRENT`, which names each unit's latest snapshot and each
//! bucket's partition count. A shard starts from its units' snapshots and
//! uploads new ones with its commits; `merge` points `CURRENT` at them once
//! the run is complete, so a failed run leaves the last good state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FleetError;
use super::store::RunStore;
use super::unit;

/// Where the pointer lives in a run location.
pub const CURRENT_KEY: &str = "state/CURRENT";

/// The latest state of every unit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Current {
    pub scheme: String,
    /// Partitions per bucket: kept from run to run so units stay the same.
    pub partitions: BTreeMap<String, u32>,
    /// Unit id → the key of its snapshot.
    pub units: BTreeMap<String, String>,
    /// The run that wrote it.
    pub run_id: String,
}

impl Current {
    pub fn load(store: &RunStore) -> Result<Option<Self>, FleetError> {
        let Some(bytes) = store.get(CURRENT_KEY)? else {
            return Ok(None);
        };
        let current: Current = serde_json::from_slice(&bytes).map_err(|e| FleetError::Corrupt {
            location: store.uri(CURRENT_KEY),
            message: e.to_string(),
        })?;
        if current.scheme != unit::SCHEME {
            // Units made by another scheme cannot be reused: start afresh.
            return Ok(None);
        }
        Ok(Some(current))
    }

    pub fn save(&self, store: &RunStore) -> Result<(), FleetError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| FleetError::Local {
            what: "writing the state pointer".into(),
            source: e.into(),
        })?;
        store.put(CURRENT_KEY, &json)?;
        Ok(())
    }
}
