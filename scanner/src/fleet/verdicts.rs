//! The fleet run's shared verdicts (`--verify` in a shard): kept in the run
//! location under `runs/<run>/verdicts/<hash>.json`, named by the hash the
//! verifier's cache uses (never the secret), so a credential several shards
//! find is checked with its provider once per run. What a verdict holds and
//! which are trusted is [`assay_verify::shared`]'s.

use assay_verify::{SharedError, SharedVerdicts};

use super::plan::Plan;
use super::store::RunStore;

/// A run's verdicts in its run location.
pub struct RunVerdicts {
    store: RunStore,
    /// `runs/<run>/verdicts/`.
    prefix: String,
}

impl RunVerdicts {
    pub fn new(store: RunStore, plan: &Plan) -> Self {
        Self {
            store,
            prefix: format!("runs/{}/verdicts/", plan.run_id),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}.json", self.prefix)
    }
}

impl SharedVerdicts for RunVerdicts {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, SharedError> {
        self.store.get(&self.key(name)).map_err(SharedError::new)
    }

    fn put(&self, name: &str, bytes: &[u8], replace: bool) -> Result<(), SharedError> {
        let key = self.key(name);
        if replace {
            self.store.put(&key, bytes).map_err(SharedError::new)
        } else {
            // Another shard's verdict, written first, is as good as ours.
            self.store
                .put_if_absent(&key, bytes)
                .map(|_| ())
                .map_err(SharedError::new)
        }
    }

    fn location(&self, name: &str) -> String {
        self.store.uri(&self.key(name))
    }
}
