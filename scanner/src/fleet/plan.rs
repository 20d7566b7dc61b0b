//! `assay plan`: lists the targets once (S3 Inventory, or ListObjectsV2
//! over key ranges side by side, or a local walk), applies the scope once,
//! splits what is in scope into units and packs the units into N shards.
//! The plan (`plan.json`) and each unit's items
//! (`runs/<run>/units/<unit>/items.jsonl.zst`) are the frozen object set
//! that shards scan and `merge` reports on.
//!
//! Memory stays bounded whatever the number of objects: items are spooled
//! to one temporary file per bucket while listing, then routed to their
//! units' files once the bucket's size (and so its partition count) is
//! known.

use crate::report::InventoryUsed;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::FleetError;
use super::store::RunStore;
use super::unit::{self, UnitId};
use crate::posture::BucketPosture;
use crate::record::ScanIssue;
use crate::scope::Scope;
use crate::source::local::{self, WalkOptions};
use crate::source::s3::{self, S3Client, Versions};
use crate::source::{Discovered, Location, ObjectRef};

/// The plan layout's version: a plan from another layout is refused.
pub const PLAN_FORMAT: u32 = 1;

/// Where the plan lives in a run location.
pub const PLAN_KEY: &str = "plan.json";

/// A fleet run's plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub format: u32,
    /// The assay version that made it; shards and merge refuse another.
    pub assay_version: String,
    pub run_id: String,
    pub created: String,
    pub targets: Vec<String>,
    pub all_versions: bool,
    /// Per-unit state under `state/` carries over to the next run.
    pub incremental: bool,
    /// Whether the scope lets every listed object through (so an object
    /// not listed now is gone, not filtered out).
    pub scope_is_everything: bool,
    pub scheme: String,
    pub shards: u32,
    pub units: Vec<UnitPlan>,
    /// Problems met while listing, and objects skipped by the scope.
    pub issues: Vec<ScanIssue>,
    /// The scanned buckets' configurations, read once here.
    pub postures: BTreeMap<String, BucketPosture>,
    /// Inventory reports listed from, with the time each was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inventories: Vec<InventoryUsed>,
}

/// One unit of a plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitPlan {
    pub id: UnitId,
    pub objects: u64,
    pub bytes: u64,
    pub shard: u32,
}

impl Plan {
    /// The key of a unit's file under this run.
    pub fn unit_key(&self, unit: &UnitId, file: &str) -> String {
        format!("runs/{}/{}/{file}", self.run_id, unit.path())
    }

    /// Reads and checks a plan.
    pub fn load(store: &RunStore) -> Result<Self, FleetError> {
        let bytes = store.get(PLAN_KEY)?.ok_or_else(|| FleetError::Usage {
            message: format!(
                "no plan at {}: run `assay plan ... --run {}` first",
                store.uri(PLAN_KEY),
                store.uri("")
            ),
        })?;
        let plan: Plan = serde_json::from_slice(&bytes).map_err(|e| FleetError::Usage {
            message: format!("{} is not an assay plan: {e}", store.uri(PLAN_KEY)),
        })?;
        if plan.format != PLAN_FORMAT || plan.assay_version != env!("CARGO_PKG_VERSION") {
            return Err(FleetError::Usage {
                message: format!(
                    "{} was made by assay {} (plan format {}); this is assay {} (format {}): \
                     plan the run again with this version",
                    store.uri(PLAN_KEY),
                    plan.assay_version,
                    plan.format,
                    env!("CARGO_PKG_VERSION"),
                    PLAN_FORMAT
                ),
            });
        }
        Ok(plan)
    }

    /// Reads a unit's items.
    pub fn items(&self, store: &RunStore, unit: &UnitId) -> Result<Vec<Item>, FleetError> {
        let key = self.unit_key(unit, &format!("items.{}", super::lines::EXTENSION));
        let bytes = store.get(&key)?.ok_or_else(|| FleetError::Corrupt {
            location: store.uri(&key),
            message: "the plan names this unit but its item list is missing".into(),
        })?;
        let mut items = Vec::new();
        let lines = super::lines::reader(&key, &bytes[..]).map_err(|e| FleetError::Corrupt {
            location: store.uri(&key),
            message: e.to_string(),
        })?;
        for (n, line) in lines.lines().enumerate() {
            let line = line.map_err(|e| FleetError::Corrupt {
                location: store.uri(&key),
                message: format!("line {}: {e}", n + 1),
            })?;
            items.push(
                serde_json::from_str(&line).map_err(|e| FleetError::Corrupt {
                    location: store.uri(&key),
                    message: format!("line {}: {e}", n + 1),
                })?,
            );
        }
        Ok(items)
    }
}

/// One object of a unit, as listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Whether this is the key's current version (always, unversioned).
    #[serde(default = "yes")]
    pub latest: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// A local file: its path and the URI reports name it by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalItem>,
}

fn yes() -> bool {
    true
}

/// Where a planned local file is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalItem {
    pub path: PathBuf,
    pub uri: String,
    pub name: String,
}

impl Item {
    fn from_object(object: &ObjectRef) -> Option<Self> {
        let (bucket, key) = object.bucket_key.clone()?;
        let last_modified = object
            .last_modified
            .map(|t| humantime::format_rfc3339_nanos(t).to_string());
        match &object.location {
            Location::S3(s3) => Some(Self {
                bucket,
                key,
                size: object.size,
                etag: object.etag.clone(),
                version_id: object.version_id.clone(),
                latest: !object.uri.contains("?versionId="),
                last_modified,
                storage_class: s3.needs_restore.clone(),
                local: None,
            }),
            Location::File(path) => Some(Self {
                bucket,
                key,
                size: object.size,
                etag: object.etag.clone(),
                version_id: None,
                latest: true,
                last_modified,
                storage_class: None,
                local: Some(LocalItem {
                    path: path.clone(),
                    uri: object.uri.clone(),
                    name: object.name.clone(),
                }),
            }),
        }
    }

    /// The object to scan, as a listing of its bucket (or walk of its
    /// tree) would have yielded it.
    pub fn object(&self, client: Option<&Arc<S3Client>>) -> Result<ObjectRef, FleetError> {
        let last_modified = self
            .last_modified
            .as_deref()
            .and_then(|t| humantime::parse_rfc3339(t).ok());
        if let Some(local) = &self.local {
            return Ok(ObjectRef {
                uri: local.uri.clone(),
                name: local.name.clone(),
                size: self.size,
                etag: self.etag.clone(),
                version_id: None,
                last_modified,
                location: Location::File(local.path.clone()),
                bucket_key: Some((self.bucket.clone(), self.key.clone())),
            });
        }
        let client = client.ok_or_else(|| FleetError::Usage {
            message: "the plan lists S3 objects but no S3 client was set up".into(),
        })?;
        Ok(client.for_bucket(&self.bucket).object_ref(
            &self.bucket,
            &self.key,
            self.size,
            self.etag.clone(),
            self.version_id.as_deref().map(|id| (id, self.latest)),
            last_modified,
            self.storage_class.as_deref(),
        ))
    }
}

/// What `assay plan` is asked.
pub struct PlanRequest {
    pub targets: Vec<String>,
    pub scope: Scope,
    pub versions: Versions,
    pub follow_symlinks: bool,
    pub shards: u32,
    pub incremental: bool,
    /// Key ranges listed side by side per bucket without an inventory.
    pub list_ranges: usize,
    /// The bytes a unit aims at.
    pub unit_bytes: u64,
    /// S3 Inventory manifests (or their configuration prefixes) to list
    /// buckets from instead of ListObjectsV2.
    pub inventories: Vec<String>,
}

/// What planning made.
#[derive(Debug)]
pub struct PlanSummary {
    pub run_id: String,
    pub objects: u64,
    pub bytes: u64,
    pub units: usize,
    pub issues: usize,
}

/// Split points of a key range listing: after the prefix, keys are split
/// by their next byte into ranges that list side by side.
fn split_points(ranges: usize) -> Vec<String> {
    // Printable ASCII spread evenly; keys outside it fall in the first or
    // last range, which are open-ended.
    const ALPHABET: &[u8] = b"-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    let ranges = ranges.clamp(1, ALPHABET.len());
    (1..ranges)
        .map(|i| char::from(ALPHABET[i * ALPHABET.len() / ranges]).to_string())
        .collect()
}

/// One bucket's items while listing, spooled to a temporary file.
struct Spool {
    file: BufWriter<std::fs::File>,
    path: tempfile::TempPath,
    objects: u64,
    bytes: u64,
}

impl PlanRequest {
    /// Lists, scopes, splits and packs; writes the plan to `store`.
    pub fn run(
        &self,
        store: &RunStore,
        client: Option<&Arc<S3Client>>,
    ) -> Result<PlanSummary, FleetError> {
        if self.shards == 0 {
            return Err(FleetError::Usage {
                message: "--shards must be at least 1".into(),
            });
        }
        if self.inventories.len() > 1 && self.inventories.iter().any(|i| i == "auto") {
            return Err(FleetError::Usage {
                message: "--inventory auto finds every bucket's inventory: give it alone".into(),
            });
        }
        let run_id = new_id();
        let mut spools: BTreeMap<String, Spool> = BTreeMap::new();
        let mut issues = Vec::new();
        let mut buckets = Vec::new();
        let mut inventories = Vec::new();
        {
            let mut take = |discovered: Discovered| -> Result<(), FleetError> {
                let Some(discovered) = self.scope.apply(discovered) else {
                    return Ok(());
                };
                match discovered {
                    Discovered::Issue(issue) => issues.push(issue),
                    Discovered::Object(object) => {
                        let Some(item) = Item::from_object(&object) else {
                            return Ok(());
                        };
                        let spool = match spools.get_mut(&item.bucket) {
                            Some(spool) => spool,
                            None => {
                                let temp = tempfile::NamedTempFile::new().map_err(spool_error)?;
                                let (file, path) = temp.into_parts();
                                spools.entry(item.bucket.clone()).or_insert(Spool {
                                    file: BufWriter::new(file),
                                    path,
                                    objects: 0,
                                    bytes: 0,
                                })
                            }
                        };
                        spool.objects += 1;
                        spool.bytes += item.size;
                        // The key's hash and size go first, so splitting
                        // into units reads them without parsing the item.
                        let hash = unit::key_hash(&item.bucket, &item.key);
                        write!(spool.file, "{hash:016x}\t{}\t", item.size)
                            .and_then(|()| {
                                serde_json::to_writer(&mut spool.file, &item)
                                    .map_err(std::io::Error::from)
                            })
                            .and_then(|()| spool.file.write_all(b"\n"))
                            .map_err(spool_error)?;
                    }
                }
                Ok(())
            };
            for target in &self.targets {
                match s3::parse_uri(target) {
                    Some((bucket, prefix)) => {
                        let client = client.ok_or_else(|| FleetError::Usage {
                            message: "S3 targets need an S3 client".into(),
                        })?;
                        buckets.push(bucket.clone());
                        let discovered;
                        let inventory = if self.inventories == ["auto"] {
                            discovered = super::inventory::discover(
                                client,
                                &bucket,
                                &prefix,
                                self.versions,
                            )?;
                            discovered.as_deref()
                        } else {
                            self.inventory_for(&bucket)
                        };
                        match inventory {
                            Some(location) => {
                                let used = super::inventory::list(
                                    location,
                                    client,
                                    &bucket,
                                    &prefix,
                                    self.versions,
                                    &self.scope,
                                    &mut take,
                                )?;
                                inventories.push(used);
                            }
                            None => self.list_ranges(client, &bucket, &prefix, &mut take)?,
                        }
                    }
                    None if target.starts_with("s3://") => {
                        return Err(FleetError::Usage {
                            message: format!(
                                "{target}: plan needs s3://bucket[/prefix] (name the buckets)"
                            ),
                        });
                    }
                    None => {
                        let path = PathBuf::from(target);
                        std::fs::symlink_metadata(&path).map_err(|e| FleetError::Usage {
                            message: format!(
                                "target {target} does not exist or cannot be read: {e}"
                            ),
                        })?;
                        for found in local::walk(
                            vec![path],
                            WalkOptions {
                                follow_symlinks: self.follow_symlinks,
                            },
                        ) {
                            take(found)?;
                        }
                    }
                }
            }
        }
        // Units keep their partition count from run to run while state
        // holds them (doubling would need the state split).
        let known = if self.incremental {
            super::state::Current::load(store)?.map(|c| c.partitions)
        } else {
            None
        }
        .unwrap_or_default();
        let mut units: Vec<UnitPlan> = Vec::new();
        let (mut objects, mut bytes) = (0, 0);
        // Enough units for about four per shard, so shards share the work
        // and a retried shard redoes little, but never more than objects.
        let per_bucket = (4 * u64::from(self.shards)).div_ceil(spools.len().max(1) as u64);
        for (bucket, spool) in spools {
            let Spool {
                file,
                path,
                objects: count,
                bytes: size,
            } = spool;
            drop(file.into_inner().map_err(|e| spool_error(e.into_error()))?);
            objects += count;
            bytes += size;
            let spread = per_bucket.min(count.max(1)).next_power_of_two();
            let of = known.get(&bucket).copied().unwrap_or_else(|| {
                unit::partitions(size, count, self.unit_bytes)
                    .max(u32::try_from(spread).unwrap_or(1 << 16))
            });
            let reader = BufReader::new(std::fs::File::open(&path).map_err(spool_error)?);
            let mut splitter = UnitSplitter::default();
            for line in reader.lines() {
                let mut line = line.map_err(spool_error)?;
                let damaged = || spool_error(std::io::Error::other("a damaged spool line"));
                let (hash, size, item_at) = {
                    let (hash, rest) = line.split_once('\t').ok_or_else(damaged)?;
                    let (size, item) = rest.split_once('\t').ok_or_else(damaged)?;
                    (
                        u64::from_str_radix(hash, 16).map_err(|_| damaged())?,
                        size.parse::<u64>().map_err(|_| damaged())?,
                        line.len() - item.len(),
                    )
                };
                line.drain(..item_at);
                splitter.push(unit::partition(hash, of), size, line)?;
            }
            splitter.finish(|partition, items, objects, bytes| {
                let id = UnitId {
                    bucket: bucket.clone(),
                    partition,
                    of,
                };
                let key = format!(
                    "runs/{run_id}/{}/items.{}",
                    id.path(),
                    super::lines::EXTENSION
                );
                store.put_file(&key, items)?;
                units.push(UnitPlan {
                    id,
                    objects,
                    bytes,
                    shard: 0,
                });
                Ok(())
            })?;
        }
        // Per-object cost matters as much as bytes for small files.
        const OBJECT_COST: u64 = 64 * 1024;
        let costs: Vec<u64> = units
            .iter()
            .map(|u| u.bytes + OBJECT_COST * u.objects)
            .collect();
        for (unit, shard) in units.iter_mut().zip(unit::pack(&costs, self.shards)) {
            unit.shard = shard;
        }
        buckets.sort();
        buckets.dedup();
        let postures = match client {
            Some(client) => buckets
                .iter()
                .map(|b| (b.clone(), client.posture(b)))
                .collect(),
            None => BTreeMap::new(),
        };
        issues.sort();
        let summary = PlanSummary {
            run_id: run_id.clone(),
            objects,
            bytes,
            units: units.len(),
            issues: issues.len(),
        };
        let plan = Plan {
            format: PLAN_FORMAT,
            assay_version: env!("CARGO_PKG_VERSION").to_string(),
            run_id,
            created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            targets: self.targets.clone(),
            all_versions: self.versions == Versions::All,
            incremental: self.incremental,
            scope_is_everything: self.scope.is_everything(),
            scheme: unit::SCHEME.to_string(),
            shards: self.shards,
            units,
            issues,
            postures,
            inventories,
        };
        // The plan is written last: its presence means the units are there.
        let json = serde_json::to_vec_pretty(&plan).map_err(|e| spool_error(e.into()))?;
        store.put(PLAN_KEY, &json)?;
        Ok(summary)
    }

    fn inventory_for(&self, bucket: &str) -> Option<&str> {
        // An inventory names its source bucket in its path
        // (`.../SRC/CONFIG/...`); a single inventory serves a single target.
        match self.inventories.as_slice() {
            [] => None,
            [only] if self.targets.len() == 1 => Some(only.as_str()),
            many => many
                .iter()
                .find(|uri| uri.split('/').any(|part| part == bucket))
                .map(String::as_str),
        }
    }

    /// Lists a bucket's keys in ranges side by side, each range a
    /// ListObjectsV2 walk from its start to its end.
    fn list_ranges(
        &self,
        client: &Arc<S3Client>,
        bucket: &str,
        prefix: &str,
        take: &mut dyn FnMut(Discovered) -> Result<(), FleetError>,
    ) -> Result<(), FleetError> {
        let bounds: Vec<String> = split_points(self.list_ranges)
            .into_iter()
            .map(|point| format!("{prefix}{point}"))
            .collect();
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Discovered>(4096);
        std::thread::scope(|scope| {
            for i in 0..=bounds.len() {
                let after = i.checked_sub(1).map(|j| bounds[j].clone());
                let through = bounds.get(i).cloned();
                let sender = sender.clone();
                let client = Arc::clone(client);
                let (bucket, prefix) = (bucket.to_string(), prefix.to_string());
                let versions = self.versions;
                scope.spawn(move || {
                    for found in client.objects_in_range(&bucket, &prefix, versions, after, through)
                    {
                        if sender.send(found).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(sender);
            let mut result = Ok(());
            for found in receiver {
                if result.is_ok() {
                    result = take(found);
                }
            }
            result
        })
    }
}

/// Splits a bucket's items into their units in bounded memory and with a
/// bounded number of open files, whatever the number of partitions: items
/// are sorted by partition in runs of [`UnitSplitter::RUN_ITEMS`] on disk,
/// then the runs are merged and each unit's file is written whole, one at
/// a time.
struct UnitSplitter {
    chunk: Vec<(u32, u64, String)>,
    runs: Vec<tempfile::TempPath>,
    run_items: usize,
}

impl Default for UnitSplitter {
    fn default() -> Self {
        Self {
            chunk: Vec::new(),
            runs: Vec::new(),
            run_items: Self::RUN_ITEMS,
        }
    }
}

impl UnitSplitter {
    const RUN_ITEMS: usize = 200_000;

    fn push(&mut self, partition: u32, size: u64, line: String) -> Result<(), FleetError> {
        self.chunk.push((partition, size, line));
        if self.chunk.len() >= self.run_items {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), FleetError> {
        self.chunk.sort_by_key(|(partition, _, _)| *partition);
        let (file, path) = tempfile::NamedTempFile::new()
            .map_err(spool_error)?
            .into_parts();
        let mut out = BufWriter::new(file);
        for (partition, size, line) in self.chunk.drain(..) {
            writeln!(out, "{partition}\t{size}\t{line}").map_err(spool_error)?;
        }
        out.flush().map_err(spool_error)?;
        self.runs.push(path);
        Ok(())
    }

    /// Hands each unit's items (a gzip file), object count and bytes to
    /// `unit`, in partition order.
    fn finish(
        mut self,
        mut unit: impl FnMut(u32, &std::path::Path, u64, u64) -> Result<(), FleetError>,
    ) -> Result<(), FleetError> {
        if !self.chunk.is_empty() {
            self.spill()?;
        }
        type Head = Option<(u32, u64, String)>;
        fn next(lines: &mut std::io::Lines<BufReader<std::fs::File>>) -> Result<Head, FleetError> {
            let Some(line) = lines.next() else {
                return Ok(None);
            };
            let line = line.map_err(spool_error)?;
            let mut fields = line.splitn(3, '\t');
            let (Some(partition), Some(size), Some(item)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(spool_error(std::io::Error::other(
                    "a spooled item lost its fields",
                )));
            };
            let number = |text: &str| {
                text.parse::<u64>()
                    .map_err(|e| spool_error(std::io::Error::other(e)))
            };
            Ok(Some((
                number(partition)? as u32,
                number(size)?,
                item.to_string(),
            )))
        }
        let mut readers = Vec::new();
        let mut heads: Vec<Head> = Vec::new();
        let mut heap = std::collections::BinaryHeap::new();
        for (i, run) in self.runs.iter().enumerate() {
            let mut lines = BufReader::new(std::fs::File::open(run).map_err(spool_error)?).lines();
            let head = next(&mut lines)?;
            if let Some((partition, _, _)) = &head {
                heap.push(std::cmp::Reverse((*partition, i)));
            }
            heads.push(head);
            readers.push(lines);
        }
        type Open = (u32, super::lines::Writer<tempfile::NamedTempFile>, u64, u64);
        let mut current: Option<Open> = None;
        let mut close = |open: Open| -> Result<(), FleetError> {
            let (partition, writer, objects, bytes) = open;
            let file = writer.finish().map_err(spool_error)?;
            unit(partition, file.path(), objects, bytes)
        };
        while let Some(std::cmp::Reverse((partition, i))) = heap.pop() {
            let Some((_, size, item)) = heads[i].take() else {
                continue;
            };
            heads[i] = next(&mut readers[i])?;
            if let Some((next_partition, _, _)) = &heads[i] {
                heap.push(std::cmp::Reverse((*next_partition, i)));
            }
            if current
                .as_ref()
                .is_some_and(|(open, ..)| *open != partition)
            {
                if let Some(open) = current.take() {
                    close(open)?;
                }
            }
            let open = match &mut current {
                Some(open) => open,
                None => {
                    let file = tempfile::NamedTempFile::new().map_err(spool_error)?;
                    let writer = super::lines::writer(file).map_err(spool_error)?;
                    current.insert((partition, writer, 0, 0))
                }
            };
            open.1
                .write_all(item.as_bytes())
                .and_then(|()| open.1.write_all(b"\n"))
                .map_err(spool_error)?;
            open.2 += 1;
            open.3 += size;
        }
        if let Some(open) = current.take() {
            close(open)?;
        }
        Ok(())
    }
}

fn spool_error(source: std::io::Error) -> FleetError {
    FleetError::Local {
        what: "spooling the listing".into(),
        source,
    }
}

/// A run or attempt id: the time and the process, unique enough for a
/// run location's names.
pub fn new_id() -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .replace([':', '-'], "");
    format!(
        "{stamp}-{:08x}{:05x}",
        now.subsec_nanos(),
        std::process::id() & 0xfffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_split_through_sorted_runs_one_file_at_a_time() {
        use std::io::Read;
        let mut splitter = UnitSplitter {
            run_items: 7,
            ..UnitSplitter::default()
        };
        for i in 0..1000u64 {
            let partition = ((i * 7919) % 300) as u32;
            splitter
                .push(partition, i, format!("item {i} of {partition}"))
                .unwrap();
        }
        assert!(splitter.runs.len() > 100);
        let mut seen = Vec::new();
        let mut total = (0, 0);
        splitter
            .finish(|partition, path, objects, bytes| {
                let mut text = String::new();
                super::super::lines::reader("items.jsonl.zst", std::fs::File::open(path).unwrap())
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                assert_eq!(text.lines().count() as u64, objects);
                assert!(
                    text.lines()
                        .all(|l| l.ends_with(&format!(" of {partition}")))
                );
                seen.push(partition);
                total.0 += objects;
                total.1 += bytes;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            seen,
            (0..300).collect::<Vec<u32>>(),
            "each unit once, in order"
        );
        assert_eq!(total, (1000, (0..1000).sum()));
    }

    #[test]
    fn split_points_are_sorted_and_distinct() {
        for ranges in [1, 2, 8, 16, 64, 1000] {
            let points = split_points(ranges);
            assert_eq!(points.len(), ranges.clamp(1, 64) - 1);
            assert!(points.windows(2).all(|w| w[0] < w[1]), "{points:?}");
        }
    }
}
