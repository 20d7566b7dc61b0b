//! Work units: an object belongs to unit `(bucket, p of P)` where `p` is
//! the low bits of a SHA-256 of the bucket and key, so the same key lands
//! in the same unit whatever the number of shards this run, and all its
//! versions travel together (state and `removed` stay inside a unit).
//!
//! Anyone can reproduce the mapping (Python's hashlib, an Athena query
//! over the inventory table): `x = first 8 bytes, big-endian, of
//! SHA-256("assay/unit/v1" 0x00 bucket 0x00 key)`, `p = x & (P - 1)`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash scheme's name, recorded in plans and state so a new scheme can
/// never silently reuse units made by an old one.
pub const SCHEME: &str = "assay/unit/v1";

/// A unit aims to hold at most this many bytes...
pub const UNIT_BYTES: u64 = 2 << 30;
/// ...and this many objects (a shard sorts a unit's records in memory).
pub const UNIT_OBJECTS: u64 = 100_000;

/// The hash that places a key.
///
/// ```
/// use assay_scanner::fleet::unit::key_hash;
/// assert_eq!(key_hash("b", "k"), key_hash("b", "k"));
/// assert_ne!(key_hash("b", "k"), key_hash("b", "k2"));
/// ```
pub fn key_hash(bucket: &str, key: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(SCHEME.as_bytes());
    hasher.update([0]);
    hasher.update(bucket.as_bytes());
    hasher.update([0]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The partition of `of` a key with this [`key_hash`] falls in.
pub fn partition(hash: u64, of: u32) -> u32 {
    (hash & u64::from(of.max(1).next_power_of_two() - 1)) as u32
}

/// Partitions for a bucket of this size: a power of two that keeps each
/// unit near `unit_bytes` (by default [`UNIT_BYTES`]) and at most
/// [`UNIT_OBJECTS`].
pub fn partitions(bytes: u64, objects: u64, unit_bytes: u64) -> u32 {
    let want = bytes
        .div_ceil(unit_bytes.max(1))
        .max(objects.div_ceil(UNIT_OBJECTS))
        .max(1);
    let want = u32::try_from(want).unwrap_or(u32::MAX / 2 + 1);
    want.next_power_of_two()
}

/// One unit of work.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitId {
    pub bucket: String,
    pub partition: u32,
    pub of: u32,
}

impl UnitId {
    pub fn of_key(bucket: &str, key: &str, of: u32) -> Self {
        Self {
            bucket: bucket.to_string(),
            partition: partition(key_hash(bucket, key), of),
            of,
        }
    }

    /// Where its files live under a run (`units/<bucket>/<p>-of-<P>`).
    pub fn path(&self) -> String {
        format!("units/{}/{:x}-of-{}", self.bucket, self.partition, self.of)
    }
}

impl std::fmt::Display for UnitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{:x}-of-{}", self.bucket, self.partition, self.of)
    }
}

/// Packs units (by cost) into `shards` bins, largest first into the
/// emptiest bin (LPT): returns each unit's shard, in the units' order.
pub fn pack(costs: &[u64], shards: u32) -> Vec<u32> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    // Ties broken by position, so the packing is deterministic.
    order.sort_by(|&a, &b| costs[b].cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0u64; shards.max(1) as usize];
    let mut assigned = vec![0u32; costs.len()];
    for unit in order {
        let (emptiest, _) = load
            .iter()
            .enumerate()
            .min_by_key(|&(i, &l)| (l, i))
            .unwrap_or((0, &0));
        load[emptiest] += costs[unit];
        assigned[unit] = emptiest as u32;
    }
    assigned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_is_the_documented_sha256() {
        // SHA-256("assay/unit/v1\0bucket\0key"), first 8 bytes big-endian,
        // as Python computes it:
        // int.from_bytes(hashlib.sha256(b"assay/unit/v1\0bucket\0key").digest()[:8], "big")
        let digest = Sha256::digest(b"assay/unit/v1\0bucket\0key");
        let expected = u64::from_be_bytes(digest[..8].try_into().unwrap());
        assert_eq!(key_hash("bucket", "key"), expected);
        assert_eq!(
            UnitId::of_key("bucket", "key", 16).partition,
            (expected & 15) as u32
        );
    }

    #[test]
    fn doubling_the_partitions_splits_each_unit_in_two() {
        for i in 0..500 {
            let key = format!("dir/{i}.txt");
            let four = UnitId::of_key("b", &key, 4).partition;
            let eight = UnitId::of_key("b", &key, 8).partition;
            assert_eq!(eight & 3, four, "{key}");
        }
    }

    #[test]
    fn partitions_grow_with_bytes_and_objects() {
        assert_eq!(partitions(0, 0, UNIT_BYTES), 1);
        assert_eq!(partitions(UNIT_BYTES, 10, UNIT_BYTES), 1);
        assert_eq!(partitions(UNIT_BYTES + 1, 10, UNIT_BYTES), 2);
        assert_eq!(partitions(10, UNIT_OBJECTS * 5, UNIT_BYTES), 8);
        assert_eq!(partitions(1000, 10, 100), 16);
    }

    #[test]
    fn packing_balances_and_is_deterministic() {
        let costs = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
        let shards = pack(&costs, 3);
        assert_eq!(shards, pack(&costs, 3));
        let mut load = [0u64; 3];
        for (cost, shard) in costs.iter().zip(&shards) {
            load[*shard as usize] += cost;
        }
        let (max, min) = (load.iter().max().unwrap(), load.iter().min().unwrap());
        assert!(max - min <= 1, "{load:?}");
        // More shards than units: every unit alone.
        let alone = pack(&[5, 5], 4);
        assert_ne!(alone[0], alone[1]);
    }
}
