//! Verdicts shared beyond one process: the shards of a fleet run look a
//! verdict up in the run's store before calling a provider, and leave it
//! there after, so a secret found by several shards is checked once per run.
//!
//! The store ([`SharedVerdicts`]) keeps bytes under a name; the verdict's
//! format and which verdicts may be trusted are this module's. A verdict is
//! named by the hex of the same hash the in-memory [`crate::cache`] uses
//! (SHA-256 of the provider and the secret), never by the secret, and holds
//! what a record's `verification` holds (status, `checked_at`,
//! `provider_detail`), none of which carries the secret. `error` verdicts
//! are never written, and one found is not trusted (the provider is asked
//! again), nor is a file that is not a verdict. The store failing never
//! fails a scan: the provider is asked instead, and the first failure is
//! reported on stderr.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use assay_classifiers::verdict::{Verification, VerificationStatus};

use crate::Outcome;
use crate::cache::Key;

/// A store of verdicts shared by the scans of one run (the scanner's fleet
/// code keeps them in the run location). Calls block; the verifier makes
/// them off its async workers.
pub trait SharedVerdicts: Send + Sync {
    /// The bytes stored under `name` (64 hex digits), or `None` when there
    /// are none.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, SharedError>;
    /// Stores `bytes` under `name`: only if nothing is there yet, unless
    /// `replace` (what is there was found unusable).
    fn put(&self, name: &str, bytes: &[u8], replace: bool) -> Result<(), SharedError>;
    /// Where `name` is kept, for messages.
    fn location(&self, name: &str) -> String;
}

/// Why the store could not be read or written; its message names the
/// location.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SharedError(Box<dyn std::error::Error + Send + Sync>);

impl SharedError {
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(error))
    }
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// A verdict to use instead of a call.
    Found(Outcome),
    /// Nothing stored (or the store failed): call, then store if absent.
    Absent,
    /// An `error` verdict or a file that is no verdict: call, then replace.
    Unusable,
}

/// The verifier's side of a [`SharedVerdicts`] store.
pub(crate) struct Shared {
    store: Arc<dyn SharedVerdicts>,
    /// Whether a store failure has been reported (only the first is).
    reported: AtomicBool,
    found: AtomicU64,
}

impl Shared {
    pub(crate) fn new(store: Arc<dyn SharedVerdicts>) -> Self {
        Self {
            store,
            reported: AtomicBool::new(false),
            found: AtomicU64::new(0),
        }
    }

    /// Verdicts taken from the store instead of a call.
    pub(crate) fn found(&self) -> u64 {
        self.found.load(Ordering::Relaxed)
    }

    /// The stored verdict for `key`, checked to be one of `provider`'s.
    pub(crate) async fn lookup(&self, key: &Key, provider: &str) -> Lookup {
        let name = hex::encode(key);
        let store = self.store.clone();
        let wanted = name.clone();
        let got = tokio::task::spawn_blocking(move || store.get(&wanted)).await;
        let bytes = match got {
            Ok(Ok(Some(bytes))) => bytes,
            Ok(Ok(None)) => return Lookup::Absent,
            Ok(Err(error)) => {
                self.failed(&error.to_string());
                return Lookup::Absent;
            }
            Err(join) => {
                self.failed(&format!("{}: {join}", self.store.location(&name)));
                return Lookup::Absent;
            }
        };
        match parse(&bytes, provider) {
            Ok(verification) if verification.status == VerificationStatus::Error => {
                Lookup::Unusable
            }
            Ok(verification) => {
                self.found.fetch_add(1, Ordering::Relaxed);
                Lookup::Found(Outcome {
                    status: verification.status,
                    checked_at: verification.checked_at,
                    detail: verification.provider_detail,
                })
            }
            Err(why) => {
                tracing::warn!(
                    "ignoring {}: not a verdict ({why}); asking {provider} instead",
                    self.store.location(&name)
                );
                Lookup::Unusable
            }
        }
    }

    /// Stores a verdict from a call (never an `error` one: another shard
    /// may get an answer).
    pub(crate) async fn record(&self, key: &Key, outcome: &Outcome, replace: bool) {
        if outcome.status == VerificationStatus::Error {
            return;
        }
        let verification = Verification {
            status: outcome.status,
            checked_at: outcome.checked_at.clone(),
            provider_detail: outcome.detail.clone(),
        };
        let bytes = match serde_json::to_vec(&verification) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.failed(&error.to_string());
                return;
            }
        };
        let name = hex::encode(key);
        let store = self.store.clone();
        let named = name.clone();
        let put = tokio::task::spawn_blocking(move || store.put(&named, &bytes, replace)).await;
        match put {
            Ok(Ok(())) => {}
            Ok(Err(error)) => self.failed(&error.to_string()),
            Err(join) => self.failed(&format!("{}: {join}", self.store.location(&name))),
        }
    }

    /// Reports the first store failure on stderr; the scan goes on calling
    /// providers itself.
    fn failed(&self, message: &str) {
        if !self.reported.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the run's shared verdicts cannot be used ({message}); credentials are checked \
                 with their providers instead (further problems with the store are not reported)"
            );
        }
    }
}

/// A stored verdict of `provider`, with a time that reads as RFC 3339.
fn parse(bytes: &[u8], provider: &str) -> Result<Verification, String> {
    let verification: Verification = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if verification.provider_detail.provider != provider {
        return Err(format!(
            "it names provider {:?}",
            verification.provider_detail.provider
        ));
    }
    humantime::parse_rfc3339(&verification.checked_at).map_err(|e| format!("checked_at: {e}"))?;
    Ok(verification)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_verdict_of_the_provider_parses() {
        let good = br#"{"status":"live","checked_at":"2026-12-07T02:30:00Z","provider_detail":{"provider":"github","identity":"octocat"}}"#;
        let verification = parse(good, "github").unwrap();
        assert_eq!(verification.status, VerificationStatus::Live);
        assert_eq!(
            verification.provider_detail.identity.as_deref(),
            Some("octocat")
        );
        assert!(parse(good, "gitlab").unwrap_err().contains("github"));
        assert!(parse(&good[..good.len() - 2], "github").is_err());
        let bad_time = br#"{"status":"dead","checked_at":"yesterday","provider_detail":{"provider":"github"}}"#;
        assert!(
            parse(bad_time, "github")
                .unwrap_err()
                .contains("checked_at")
        );
        assert!(parse(b"", "github").is_err());
    }
}
