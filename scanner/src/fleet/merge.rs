//! `assay merge`: the report of a fleet run, built from its committed
//! units with the same assembler a one-machine scan uses, so the two agree
//! record for record. Each unit's records are sorted by URI, and a k-way
//! merge streams them in URI order (the order reports list objects in)
//! holding one record per unit at a time. Access evidence is applied here,
//! once, since identity scores are aggregates over every bucket.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{BufRead, Read};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::FleetError;
use super::plan::Plan;
use super::shard::{Commit, PartLine};
use super::state::Current;
use super::store::RunStore;
use super::unit;
use crate::baseline::Baseline;
use crate::record::ObjectRecord;
use crate::report::Report;
use crate::scan::{self, Assembler, Evidence};

/// A merged report and what it lacks.
pub struct Merged {
    pub report: Report,
    /// Units with no commit: the report is partial without them.
    pub missing: Vec<String>,
}

/// What to merge.
pub struct MergeRequest<'a> {
    pub store: &'a RunStore,
    pub plan: &'a Plan,
    pub evidence: &'a Evidence,
    pub baseline: Option<&'a Baseline>,
    pub fail_at: Option<u8>,
    pub started: SystemTime,
}

/// One unit's records, read a line at a time.
struct Part {
    lines: std::io::Lines<Box<dyn BufRead>>,
    location: String,
}

impl Part {
    fn next_line(&mut self) -> Result<Option<PartLine>, FleetError> {
        match self.lines.next() {
            None => Ok(None),
            Some(line) => {
                let line = line.map_err(|e| FleetError::Corrupt {
                    location: self.location.clone(),
                    message: e.to_string(),
                })?;
                serde_json::from_str(&line)
                    .map(Some)
                    .map_err(|e| FleetError::Corrupt {
                        location: self.location.clone(),
                        message: e.to_string(),
                    })
            }
        }
    }
}

impl MergeRequest<'_> {
    /// Builds the report; `on_record` sees each final record in URI order
    /// and says whether the report should keep it (a streaming writer
    /// keeps none).
    pub fn run(
        &self,
        on_record: &mut dyn FnMut(&ObjectRecord) -> std::io::Result<bool>,
    ) -> Result<Merged, FleetError> {
        let (store, plan) = (self.store, self.plan);
        let mut commits = Vec::new();
        let mut missing = Vec::new();
        for unit in &plan.units {
            let key = plan.unit_key(&unit.id, "COMMIT");
            match store.get(&key)? {
                None => missing.push(unit.id.to_string()),
                Some(bytes) => {
                    let commit: Commit =
                        serde_json::from_slice(&bytes).map_err(|e| FleetError::Corrupt {
                            location: store.uri(&key),
                            message: e.to_string(),
                        })?;
                    commits.push(commit);
                }
            }
        }
        // A report must not mix rule versions.
        let versions = |c: &Commit| {
            (
                c.assay_version.clone(),
                c.catalog_version.clone(),
                c.model_version.clone(),
            )
        };
        if let Some(first) = commits.first() {
            if let Some(other) = commits.iter().find(|c| versions(c) != versions(first)) {
                return Err(FleetError::Usage {
                    message: format!(
                        "units {} and {} were scanned with different rules (assay, catalog, model: \
                         {:?} and {:?}); rerun the odd shards with one assay build",
                        first.unit,
                        other.unit,
                        versions(first),
                        versions(other)
                    ),
                });
            }
        }
        let downloads = tempfile::tempdir().map_err(|e| FleetError::Local {
            what: "creating a directory for unit records".into(),
            source: e,
        })?;
        let mut parts = Vec::new();
        for (i, commit) in commits.iter().enumerate() {
            let path = downloads.path().join(format!("{i}.part"));
            if !store.get_to_file(&commit.part, &path)? {
                return Err(FleetError::Corrupt {
                    location: store.uri(&commit.part),
                    message: format!(
                        "unit {} is committed but its records are missing",
                        commit.unit
                    ),
                });
            }
            let digest = sha256_file(&path).map_err(|e| FleetError::Local {
                what: format!("reading {}", path.display()),
                source: e,
            })?;
            if digest != commit.sha256 {
                return Err(FleetError::Corrupt {
                    location: store.uri(&commit.part),
                    message: format!(
                        "SHA-256 {digest} does not match the commit's {} (unit {})",
                        commit.sha256, commit.unit
                    ),
                });
            }
            let file = std::fs::File::open(&path).map_err(|e| FleetError::Local {
                what: format!("reading {}", path.display()),
                source: e,
            })?;
            let lines =
                super::lines::reader(&commit.part, file).map_err(|e| FleetError::Corrupt {
                    location: store.uri(&commit.part),
                    message: e.to_string(),
                })?;
            parts.push(Part {
                lines: lines.lines(),
                location: store.uri(&commit.part),
            });
        }

        let mut assembler = Assembler::new(self.evidence, self.baseline);
        for issue in &plan.issues {
            assembler.issue(issue.clone());
        }
        let mut removed = Vec::new();
        let mut heads: Vec<Option<ObjectRecord>> = Vec::with_capacity(parts.len());
        let mut heap = BinaryHeap::new();
        // Reads a part up to its next record; issues and removals on the way
        // are taken as they come.
        let advance = |part: &mut Part,
                       assembler: &mut Assembler<'_>,
                       removed: &mut Vec<String>|
         -> Result<Option<ObjectRecord>, FleetError> {
            loop {
                match part.next_line()? {
                    None => return Ok(None),
                    Some(PartLine::Record(unit_record)) => {
                        let mut record = unit_record.record;
                        record.bucket_key = unit_record.bucket_key;
                        return Ok(Some(record));
                    }
                    Some(PartLine::Issue(issue)) => assembler.issue(issue),
                    Some(PartLine::Removed(uri)) => removed.push(uri),
                }
            }
        };
        for (i, part) in parts.iter_mut().enumerate() {
            let head = advance(part, &mut assembler, &mut removed)?;
            if let Some(record) = &head {
                heap.push(Reverse((record.uri.clone(), i)));
            }
            heads.push(head);
        }
        let mut objects = crate::report::objects::ObjectSorter::default();
        while let Some(Reverse((_, i))) = heap.pop() {
            let Some(mut record) = heads[i].take() else {
                continue;
            };
            let next = advance(&mut parts[i], &mut assembler, &mut removed)?;
            if let Some(next) = &next {
                heap.push(Reverse((next.uri.clone(), i)));
            }
            heads[i] = next;
            assembler.record(&mut record);
            let keep = on_record(&record).map_err(|e| FleetError::Local {
                what: "writing the report".into(),
                source: e,
            })?;
            if keep {
                objects.push(record).map_err(|e| FleetError::Local {
                    what: "spooling the report's records".into(),
                    source: e,
                })?;
            }
        }
        removed.sort();

        let first = commits.first();
        let mut info = scan::scan_info(
            plan.targets.clone(),
            self.started,
            first.map_or_else(assay_classifiers::Catalog::version, |c| {
                c.catalog_version.clone()
            }),
            first.map_or_else(String::new, |c| c.model_version.clone()),
            self.evidence.inputs.clone(),
            self.fail_at,
        );
        info.incomplete_units = missing.clone();
        info.inventories = plan.inventories.clone();
        let postures: HashMap<_, _> = plan
            .postures
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let objects = objects.finish().map_err(|e| FleetError::Local {
            what: "spooling the report's records".into(),
            source: e,
        })?;
        let report = assembler.finish(info, self.evidence, objects, removed, &postures);

        // A complete incremental run becomes the state the next run starts
        // from; an incomplete one leaves the last good state.
        if plan.incremental && missing.is_empty() {
            let mut current = Current::load(store)?.unwrap_or_default();
            current.scheme = unit::SCHEME.to_string();
            current.run_id = plan.run_id.clone();
            for unit in &plan.units {
                current
                    .partitions
                    .insert(unit.id.bucket.clone(), unit.id.of);
            }
            for commit in &commits {
                if let Some(state) = &commit.state {
                    current.units.insert(commit.unit.clone(), state.clone());
                }
            }
            current.save(store)?;
        }
        Ok(Merged { report, missing })
    }
}

fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
