//! FNV-1a, the one hash behind everything that must hash the same on every
//! build and platform: catalog and model fingerprints, SVM feature buckets,
//! the name filter, event-id sets.

/// FNV-1a's 64-bit offset basis: the state before any byte.
pub const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// Continues an FNV-1a state over more bytes.
///
/// ```
/// use assay_classifiers::hash::{fnv1a, fnv1a_continue, OFFSET_BASIS};
/// assert_eq!(fnv1a_continue(fnv1a_continue(OFFSET_BASIS, b"ab"), b"c"), fnv1a(b"abc"));
/// ```
pub fn fnv1a_continue(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// FNV-1a of some bytes.
///
/// ```
/// // The published test vector for "a".
/// assert_eq!(assay_classifiers::hash::fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_continue(OFFSET_BASIS, bytes)
}

/// The fingerprint behind version strings (catalog, SVM model, config):
/// FNV-1a over the texts in order.
pub fn fingerprint(texts: &[&str]) -> u64 {
    texts.iter().fold(OFFSET_BASIS, |hash, text| {
        fnv1a_continue(hash, text.as_bytes())
    })
}
