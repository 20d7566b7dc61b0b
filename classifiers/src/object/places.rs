//! Where the places of an object's text come from, whichever way they are
//! found: marked by an extractor ([`super::marks`]) or followed from the
//! text's own structure ([`super::follow`]). Both give the detectors the
//! spans of keyed values and of rows, and a finding its place; both look
//! up the detectors a field or column name is a keyword of through one
//! per-worker memory ([`Contexts`]).

use foldhash::{HashMap, HashMapExt};
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
    /// Answers given lately: a table's values cycle through a few column
    /// names, found here with one comparison instead of the map's hashing
    /// and probing.
    recent: Slots<Option<Arc<[usize]>>>,
    /// Plain names asked lately, each with whether a word of it is a
    /// keyword's ([`DetectorSet::may_key`]): a JSON model's names come back
    /// after hundreds of others.
    names: Slots<bool>,
}

/// Slots of [`Contexts::recent`] and of [`Contexts::names`].
const RECENT: usize = 64;
const RECENT_NAMES: usize = 1024;
/// The longest key [`Slots`] hold.
const RECENT_KEY: usize = 48;

/// Answers for short keys, each in the slot its key hashes to (FNV-1a),
/// held in place: a hit is one comparison, a miss allocates nothing.
struct Slots<T> {
    slots: Vec<Option<Held<T>>>,
}

#[derive(Clone)]
struct Held<T> {
    len: u8,
    key: [u8; RECENT_KEY],
    answer: T,
}

impl<T: Clone> Slots<T> {
    fn new(count: usize) -> Self {
        Self {
            slots: vec![None; count],
        }
    }

    fn slot(&self, key: &[u8]) -> usize {
        let hash = key.iter().fold(0x811c_9dc5u32, |hash, &b| {
            (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        hash as usize % self.slots.len()
    }

    /// The answer held for `key`, if it is.
    fn get(&self, key: &[u8]) -> Option<&T> {
        if key.len() > RECENT_KEY {
            return None;
        }
        self.slots[self.slot(key)]
            .as_ref()
            .filter(|held| held.key[..usize::from(held.len)] == *key)
            .map(|held| &held.answer)
    }

    /// Holds `answer` for `key` in its slot (a key too long is not held).
    fn put(&mut self, key: &[u8], answer: T) {
        if key.len() > RECENT_KEY {
            return;
        }
        let slot = self.slot(key);
        let mut held = [0u8; RECENT_KEY];
        held[..key.len()].copy_from_slice(key);
        self.slots[slot] = Some(Held {
            len: key.len() as u8,
            key: held,
            answer,
        });
    }

    fn clear(&mut self) {
        self.slots.fill(None);
    }
}

thread_local! {
    /// Each worker's contexts: small files of one kind (JSON data, CSV
    /// exports, spreadsheets) share their field names, so each name is
    /// looked up once per worker, not once per object.
    static CONTEXTS: std::cell::RefCell<Contexts> = std::cell::RefCell::new(Contexts {
        set: u64::MAX,
        keyed: HashMap::new(),
        recent: Slots::new(RECENT),
        names: Slots::new(RECENT_NAMES),
    });
}

impl Contexts {
    /// Runs `f` with this worker's contexts for `detectors`.
    pub(super) fn with<R>(detectors: &DetectorSet, f: impl FnOnce(&mut Contexts) -> R) -> R {
        CONTEXTS.with_borrow_mut(|contexts| {
            if contexts.set != detectors.id() {
                contexts.keyed.clear();
                contexts.recent.clear();
                contexts.names.clear();
                contexts.set = detectors.id();
            }
            f(contexts)
        })
    }

    /// Whether a word of the plain name `name` (ASCII letters, digits and
    /// `_`) is a keyword's ([`DetectorSet::may_key`]): records repeat their
    /// field names, and the answer is found again with one comparison.
    pub(super) fn may_key(&mut self, detectors: &DetectorSet, name: &[u8]) -> bool {
        if let Some(&keyword_word) = self.names.get(name) {
            return keyword_word;
        }
        let keyword_word = detectors.may_key(&[name]);
        self.names.put(name, keyword_word);
        keyword_word
    }

    /// The detectors the context remembered by `key` holds keywords of;
    /// `words` gives the context's words when it is not remembered yet.
    pub(super) fn keyed(
        &mut self,
        detectors: &DetectorSet,
        key: &[u8],
        words: impl FnOnce() -> Option<String>,
    ) -> Option<Arc<[usize]>> {
        if let Some(keyed) = self.recent.get(key) {
            return keyed.clone();
        }
        let keyed = match self.keyed.get(key) {
            Some(keyed) => keyed.clone(),
            None => {
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
        };
        self.recent.put(key, keyed.clone());
        keyed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_answers_are_the_answers() {
        let set = DetectorSet::new(&crate::Catalog::builtin().unwrap()).unwrap();
        let answer = |words: &str| {
            let keyed = set.keyed_by(words);
            (!keyed.is_empty()).then_some(keyed)
        };
        assert!(answer("phone").is_some() && answer("city").is_none());
        // 200 keys of one length in 64 slots share slots; a key of 60
        // bytes is too long to be held. Asked three times over, each
        // answer is its own key's.
        let long = format!("{}phone", "x".repeat(55));
        for _ in 0..3 {
            for i in 0..200 {
                let (key, words) = match i {
                    199 => (long.clone(), "phone"),
                    _ if i % 2 == 0 => (format!("k{i:03}"), "phone"),
                    _ => (format!("k{i:03}"), "city"),
                };
                let got = Contexts::with(&set, |contexts| {
                    contexts.keyed(&set, key.as_bytes(), || Some(words.to_string()))
                });
                assert_eq!(got.as_deref(), answer(words).as_deref(), "{key}");
            }
        }
    }

    #[test]
    fn remembered_names_are_answered_as_asked() {
        let set = DetectorSet::new(&crate::Catalog::builtin().unwrap()).unwrap();
        // Keyword words and others, in 1,024 slots and beyond, some too long
        // to be held, asked three times over.
        let names: Vec<String> = (0..3000)
            .map(|i| match i % 5 {
                0 => format!("customer{i}Phone"),
                1 => format!("shape_{i}"),
                2 => format!("{}ssn", "x".repeat(50 + i % 3)),
                3 => format!("card_{i}_number"),
                _ => format!("Item{i}"),
            })
            .collect();
        for _ in 0..3 {
            for name in &names {
                let got = Contexts::with(&set, |contexts| contexts.may_key(&set, name.as_bytes()));
                assert_eq!(got, set.may_key(&[name.as_bytes()]), "{name}");
            }
        }
        assert!(names.iter().any(|n| set.may_key(&[n.as_bytes()])));
        assert!(names.iter().any(|n| !set.may_key(&[n.as_bytes()])));
    }
}
