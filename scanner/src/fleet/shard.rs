//! `assay scan --plan RUN --shard I/N`: scans the plan's units assigned to
//! shard I and commits each. A unit's records (sorted by URI) go to a part
//! file under a fresh attempt, then `COMMIT` is written only if absent: the
//! first finisher wins, so a duplicate pod or a zombie retry never counts a
//! unit twice, and a rerun skips the units already committed.

use std::io::Write;
use std::sync::Arc;

use assay_classifiers::Classifiers;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::FleetError;
use super::plan::{Plan, UnitPlan, new_id};
use super::state::Current;
use super::store::RunStore;
use crate::pipeline::{self, Concurrency, Event, Limits};
use crate::record::{ObjectRecord, ScanIssue};
use crate::source::Discovered;
use crate::source::s3::S3Client;
use crate::state::State;

/// A unit's commit marker: which attempt's part holds its records, and the
/// versions of the rules that made them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commit {
    pub unit: String,
    pub attempt: String,
    pub part: String,
    pub sha256: String,
    pub records: u64,
    pub objects: u64,
    pub issues: u64,
    pub assay_version: String,
    pub catalog_version: String,
    pub model_version: String,
    /// The unit's new state snapshot (incremental runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// One line of a unit's part file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartLine {
    Record(Box<UnitRecord>),
    Issue(ScanIssue),
    /// An object the unit's last state held and this run did not list.
    Removed(String),
}

/// A record with the bucket and key access evidence names its object by
/// (records do not carry them in reports).
#[derive(Debug, Serialize, Deserialize)]
pub struct UnitRecord {
    pub bucket_key: Option<(String, String)>,
    pub record: ObjectRecord,
}

/// Which shard of how many (`--shard I/N`, `auto/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardIndex {
    pub index: u32,
    pub count: u32,
}

/// Environment variables engines hand a shard its 0-based index in.
pub const INDEX_VARIABLES: [&str; 3] = [
    "ASSAY_SHARD_INDEX",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

impl ShardIndex {
    /// Parses `I/N` or `auto/N` (the index from [`INDEX_VARIABLES`]).
    ///
    /// ```
    /// use assay_scanner::fleet::shard::ShardIndex;
    /// assert_eq!(ShardIndex::parse("2/4", |_| None).unwrap(), ShardIndex { index: 2, count: 4 });
    /// assert!(ShardIndex::parse("4/4", |_| None).is_err());
    /// let env = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| "3".to_string());
    /// assert_eq!(ShardIndex::parse("auto/4", env).unwrap().index, 3);
    /// ```
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard {text}: expected I/N or auto/N, e.g. 0/4"))?;
        let count: u32 = count.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
            format!("--shard {text}: N must be a whole number of shards, 1 or more")
        })?;
        let (index, from) = if index == "auto" {
            let (name, value) = INDEX_VARIABLES
                .iter()
                .find_map(|name| env(name).map(|v| (*name, v)))
                .ok_or_else(|| {
                    format!(
                        "--shard auto/{count}: none of {} is set",
                        INDEX_VARIABLES.join(", ")
                    )
                })?;
            (value, format!(" ({name})"))
        } else {
            (index.to_string(), String::new())
        };
        let index: u32 = index
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: the index{from} {index:?} is not a number"))?;
        if index >= count {
            return Err(format!(
                "--shard {text}: index {index}{from} is out of range; shards are numbered from 0 \
                 to {}, like JOB_COMPLETION_INDEX",
                count - 1
            ));
        }
        Ok(Self { index, count })
    }
}

/// What a shard did.
#[derive(Debug, Default)]
pub struct ShardOutcome {
    pub units: usize,
    /// Units already committed (by an earlier attempt or another pod).
    pub already_committed: usize,
    /// Units this attempt scanned but another committed first.
    pub lost_races: usize,
    pub objects: u64,
}

/// A shard's work.
pub struct ShardRequest<'a> {
    pub store: &'a RunStore,
    pub plan: &'a Plan,
    pub shard: ShardIndex,
    pub classifiers: &'a Classifiers,
    pub limits: Limits,
    pub concurrency: Concurrency,
    pub client: Option<Arc<S3Client>>,
    pub catalog_version: String,
    /// `--verify`: the shard's records carry verdicts, as a single scan's
    /// do (the classifiers must keep secrets for it); verdicts are shared
    /// with the run's other shards through the run location.
    pub verifier: Option<Arc<assay_verify::Verifier>>,
    /// `--verify-only-live`: only records with a live credential are kept.
    pub only_live: bool,
}

impl ShardRequest<'_> {
    pub fn run(&self) -> Result<ShardOutcome, FleetError> {
        if self.shard.count != self.plan.shards {
            return Err(FleetError::Usage {
                message: format!(
                    "--shard {}/{}: the plan has {} shards (run {} shards, or plan again)",
                    self.shard.index, self.shard.count, self.plan.shards, self.plan.shards
                ),
            });
        }
        let current = if self.plan.incremental {
            Current::load(self.store)?
        } else {
            None
        };
        if let Some(verifier) = &self.verifier {
            // Verdicts go through the run location, so a credential that
            // several shards find is checked once per run.
            verifier.share_verdicts(Arc::new(super::verdicts::RunVerdicts::new(
                self.store.clone(),
                self.plan,
            )));
        }
        let mut outcome = ShardOutcome::default();
        for unit in self
            .plan
            .units
            .iter()
            .filter(|u| u.shard == self.shard.index)
        {
            outcome.units += 1;
            let commit_key = self.plan.unit_key(&unit.id, "COMMIT");
            if self.store.get(&commit_key)?.is_some() {
                outcome.already_committed += 1;
                continue;
            }
            let (commit, objects) = self.scan_unit(unit, current.as_ref())?;
            let json = serde_json::to_vec_pretty(&commit).map_err(|e| FleetError::Local {
                what: "writing a commit".into(),
                source: e.into(),
            })?;
            if self.store.put_if_absent(&commit_key, &json)? {
                outcome.objects += objects;
            } else {
                tracing::info!("{}: committed by another attempt first", unit.id);
                outcome.lost_races += 1;
            }
        }
        Ok(outcome)
    }

    fn scan_unit(
        &self,
        unit: &UnitPlan,
        current: Option<&Current>,
    ) -> Result<(Commit, u64), FleetError> {
        let plan = self.plan;
        let unit_name = unit.id.to_string();
        let attempt = format!("attempt-{}", new_id());
        let items = plan.items(self.store, &unit.id)?;
        let objects = items
            .iter()
            .map(|item| item.object(self.client.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let model_version = self.classifiers.documents().version().to_string();
        // Incremental: the unit's last snapshot, worked on in a local copy.
        let snapshot = if plan.incremental {
            let file = tempfile::NamedTempFile::new().map_err(|e| FleetError::Local {
                what: "creating a local state file".into(),
                source: e,
            })?;
            if let Some(key) = current.and_then(|c| c.units.get(&unit_name)) {
                if !self.store.get_to_file(key, file.path())? {
                    tracing::warn!("{unit_name}: state snapshot {key} is missing; starting afresh");
                }
            }
            Some(file)
        } else {
            None
        };
        let state = match &snapshot {
            Some(file) => Some(State::open(
                file.path(),
                std::slice::from_ref(&unit_name),
                &self.catalog_version,
                &model_version,
            )?),
            None => None,
        };
        let mut records = Vec::new();
        let mut issues = Vec::new();
        let count = objects.len() as u64;
        let only_live = self.only_live;
        pipeline::run_verified(
            self.classifiers,
            objects.into_iter().map(Discovered::Object),
            self.concurrency,
            &self.limits,
            state.as_ref(),
            self.verifier.as_deref(),
            |event| match event {
                Event::Object(record) => {
                    if !only_live || crate::verify::has_live(&record) {
                        records.push(record);
                    }
                }
                Event::Issue(issue) => issues.push(issue),
            },
        )?;
        let removed = match &state {
            Some(state) => {
                let everything = [String::new()];
                let prefixes: &[String] = if plan.scope_is_everything {
                    &everything
                } else {
                    &[]
                };
                state.finish(prefixes)?
            }
            None => Vec::new(),
        };
        drop(state);
        records.sort_by(|a, b| a.uri.cmp(&b.uri));
        issues.sort();
        let mut part = super::lines::writer(Vec::new()).map_err(|e| FleetError::Local {
            what: "writing a unit's records".into(),
            source: e,
        })?;
        let (record_count, issue_count) = (records.len() as u64, issues.len() as u64);
        let lines = records
            .into_iter()
            .map(|record| {
                PartLine::Record(Box::new(UnitRecord {
                    bucket_key: record.bucket_key.clone(),
                    record: *record,
                }))
            })
            .chain(issues.into_iter().map(PartLine::Issue))
            .chain(removed.into_iter().map(PartLine::Removed));
        for line in lines {
            serde_json::to_writer(&mut part, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| part.write_all(b"\n"))
                .map_err(|e| FleetError::Local {
                    what: "writing a unit's records".into(),
                    source: e,
                })?;
        }
        let part = part.finish().map_err(|e| FleetError::Local {
            what: "writing a unit's records".into(),
            source: e,
        })?;
        let part_key = plan.unit_key(
            &unit.id,
            &format!("{attempt}/records.{}", super::lines::EXTENSION),
        );
        self.store.put(&part_key, &part)?;
        let state_key = match &snapshot {
            Some(file) => {
                let key = plan.unit_key(&unit.id, &format!("{attempt}/state.sqlite"));
                self.store.put_file(&key, file.path())?;
                Some(key)
            }
            None => None,
        };
        Ok((
            Commit {
                unit: unit_name,
                attempt,
                part: part_key,
                sha256: hex::encode(Sha256::digest(&part)),
                records: record_count,
                objects: count,
                issues: issue_count,
                assay_version: env!("CARGO_PKG_VERSION").to_string(),
                catalog_version: self.catalog_version.clone(),
                model_version,
                state: state_key,
            },
            count,
        ))
    }
}
