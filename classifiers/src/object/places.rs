//! Where the places of an object's text come from, whichever way they are
//! found: marked by an extractor ([`super::marks`]) or followed from the
//! text's own structure ([`super::follow`]). Both give the detectors the
//! spans of keyed values and of rows, and a finding its place; both look
//! up the detectors a field or column name is a keyword of through one
//! per-worker memory ([`Contexts`]).

use std::collections::HashMap;
use std::sync::Arc;

use crate::detect::{ContextSpan, DetectorSet};
use crate::place::Place;

/// What the object classifier asks of its places.
pub(super) trait Places: Send {
    /// Reads the buffer `buf` (which starts at offset `base`) from where
    /// the last call stopped to its end, keeping what will be needed from
    /// `next_start` on (where the next buffer will start).
    fn walk(&mut self, detectors: &DetectorSet, buf: &[u8], base: u64, next_start: Option<u64>);
    /// The spans of keyed values and of rows in a buffer of `len` bytes
    /// starting at `base`, as the detectors take them.
    fn structure(&self, base: u64, len: usize) -> (Vec<ContextSpan<'_>>, Vec<(usize, usize)>);
    /// The place of offset `offset`. `buf` is the buffer, which starts at
    /// `base`.
    fn place_at(&mut self, buf: &[u8], base: u64, offset: u64) -> Place;
    /// The buffer now starts at `base`: what lies before it is forgotten.
    fn moved(&mut self, base: u64);
}

/// Context keys whose keyword detectors a worker remembers.
const MAX_CONTEXTS: usize = 16_384;

/// Per context key (bytes whose first one tells the kinds of key apart),
/// the detectors its names hold keywords of.
pub(super) struct Contexts {
    /// The detector set the answers were worked out for.
    set: u64,
    keyed: HashMap<Box<[u8]>, Option<Arc<[usize]>>>,
}

thread_local! {
    /// Each worker's contexts: small files of one kind (JSON data, CSV
    /// exports, spreadsheets) share their field names, so each name is
    /// looked up once per worker, not once per object.
    static CONTEXTS: std::cell::RefCell<Contexts> = std::cell::RefCell::new(Contexts {
        set: u64::MAX,
        keyed: HashMap::new(),
    });
}

impl Contexts {
    /// Runs `f` with this worker's contexts for `detectors`.
    pub(super) fn with<R>(detectors: &DetectorSet, f: impl FnOnce(&mut Contexts) -> R) -> R {
        CONTEXTS.with_borrow_mut(|contexts| {
            if contexts.set != detectors.id() {
                contexts.keyed.clear();
                contexts.set = detectors.id();
            }
            f(contexts)
        })
    }

    /// The detectors the context remembered by `key` holds keywords of;
    /// `words` gives the context's words when it is not remembered yet.
    pub(super) fn keyed(
        &mut self,
        detectors: &DetectorSet,
        key: &[u8],
        words: impl FnOnce() -> Option<String>,
    ) -> Option<Arc<[usize]>> {
        if let Some(keyed) = self.keyed.get(key) {
            return keyed.clone();
        }
        if self.keyed.len() >= MAX_CONTEXTS {
            self.keyed.clear();
        }
        let keyed = words().and_then(|words| {
            let keyed = detectors.keyed_by(&words);
            (!keyed.is_empty()).then(|| Arc::<[usize]>::from(keyed))
        });
        self.keyed.insert(key.into(), keyed.clone());
        keyed
    }
}
