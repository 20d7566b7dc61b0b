//! The verdicts of a scan, keyed by a SHA-256 hash of the provider and the
//! secret (never the secret itself): each secret is checked once per scan,
//! even when several workers meet it at the same time (the later ones wait
//! for the first call's answer). A fleet shard also looks in the run's
//! [`crate::shared`] verdicts, named by the same hash, before it calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::Outcome;

/// A hash of a provider and the parts of one credential.
pub type Key = [u8; 32];

pub fn key(provider: &str, parts: &[&str]) -> Key {
    let mut hash = Sha256::new();
    hash.update(provider.as_bytes());
    for part in parts {
        // Lengths keep ("ab", "c") apart from ("a", "bc").
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<Key, Arc<tokio::sync::OnceCell<Outcome>>>>,
    calls: std::sync::atomic::AtomicU64,
}

impl Cache {
    /// The verdict for `key`, from `check` the first time only.
    pub async fn get_or_check<F, Fut>(&self, key: Key, check: F) -> Outcome
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Outcome>,
    {
        let cell = {
            let mut entries = self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            entries.entry(key).or_default().clone()
        };
        cell.get_or_init(|| async {
            self.calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            check().await
        })
        .await
        .clone()
    }

    /// Checks made (cache misses).
    pub fn checks(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assay_classifiers::verdict::{ProviderDetail, VerificationStatus};

    #[test]
    fn a_secret_is_checked_once_and_keys_do_not_collide() {
        assert_ne!(key("p", &["ab", "c"]), key("p", &["a", "bc"]));
        assert_ne!(key("p", &["x"]), key("q", &["x"]));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let cache = Cache::default();
        let outcome = |status| Outcome::new(status, ProviderDetail::default());
        runtime.block_on(async {
            let k = key("github", &["ghp_secret"]);
            let first = cache
                .get_or_check(k, || async { outcome(VerificationStatus::Live) })
                .await;
            let second = cache
                .get_or_check(k, || async { outcome(VerificationStatus::Dead) })
                .await;
            assert_eq!(first.status, VerificationStatus::Live);
            assert_eq!(second.status, VerificationStatus::Live);
            assert_eq!(cache.checks(), 1);
        });
    }
}
