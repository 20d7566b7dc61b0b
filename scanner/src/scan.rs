//! A scan as a library: what `assay scan` runs on one machine, what a shard
//! of a fleet run (`crate::fleet`) runs on its units, and what `assay merge`
//! rebuilds a report with. It owns the parts after classification that all
//! three share: access evidence read once ([`Evidence`]), the report
//! assembler that applies a baseline and access evidence to each record and
//! keeps the totals ([`Assembler`]), and the typed report sections it makes
//! ([`InputRecord`], [`BucketRecord`], [`IdentityRecord`]).
//!
//! The command line keeps parsing, choosing the writer, progress and the
//! exit code.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::access::stats::{AccessStats, ApiCatalog};
use crate::access::{self, TimeWindow};
use crate::baseline::Baseline;
use crate::pipeline::{self, Concurrency, Event, Limits};
use crate::posture::BucketPosture;
use crate::record::{Change, IssueKind, ObjectRecord, ScanIssue, Summary};
use crate::report::{
    BucketRecord, IdentityRecord, InputKind, InputRecord, Integrity, Report, ScanInfo, Tool,
};
use crate::risk;
use crate::scope::Scope;
use crate::source::Discovered;
use crate::source::local::{self, WalkOptions};
use crate::source::s3::{self, S3Client, S3Options};
use crate::state::State;

/// Why a scan (or the evidence it needs) could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ScanSetupError {
    #[error("loading the API event catalog: {0}")]
    ApiCatalog(#[from] toml::de::Error),
    #[error("loading --public-key: {0}")]
    PublicKeys(#[from] access::digest::KeyError),
    #[error("starting the S3 client: {0}")]
    S3Client(s3::S3Error),
    #[error("downloading {kind} input {source_uri}: {error}")]
    Download {
        kind: InputKind,
        source_uri: String,
        error: s3::S3Error,
    },
    #[error("{kind} input {source_uri} does not exist or cannot be read: {error}")]
    Input {
        kind: InputKind,
        source_uri: String,
        error: std::io::Error,
    },
    #[error("creating a directory for downloaded logs: {0}")]
    TempDir(std::io::Error),
    #[error("target {0} does not exist or cannot be read: {1}")]
    Target(String, std::io::Error),
    #[error("{0}")]
    Unlistable(s3::Unlistable),
    #[error("{0}: expected s3://bucket[/prefix] or s3:// for every bucket")]
    BadS3Target(String),
    #[error("listing the buckets these credentials can see: {0}")]
    Buckets(s3::S3Error),
    #[error("opening the scan state: {0}")]
    State(#[from] crate::state::StateError),
    #[error("closing the scan state: {0}")]
    StateFinish(crate::state::StateError),
    #[error(transparent)]
    Pipeline(#[from] crate::ScanError),
}

/// Where access evidence comes from (`--cloudtrail`, `--access-logs`).
#[derive(Debug, Clone, Default)]
pub struct AccessInputs {
    pub cloudtrail: Vec<String>,
    pub access_logs: Vec<String>,
    pub window: TimeWindow,
    pub public_keys: Vec<PathBuf>,
}

impl AccessInputs {
    pub fn is_empty(&self) -> bool {
        self.cloudtrail.is_empty() && self.access_logs.is_empty()
    }
}

/// Access statistics with a description of each input and the problems
/// met reading them.
#[derive(Debug, Default)]
pub struct Evidence {
    pub stats: Option<AccessStats>,
    pub inputs: Vec<InputRecord>,
    pub issues: Vec<ScanIssue>,
}

impl Evidence {
    /// Reads every input (downloading `s3://` ones first) into statistics.
    pub fn read(inputs: &AccessInputs, s3: &S3Options) -> Result<Self, ScanSetupError> {
        if inputs.is_empty() {
            return Ok(Self::default());
        }
        let api = ApiCatalog::builtin()?;
        let keys = if inputs.public_keys.is_empty() {
            None
        } else {
            Some(access::digest::PublicKeys::load(&inputs.public_keys)?)
        };
        let mut stats = AccessStats::default();
        let mut records = Vec::new();
        let mut issues = Vec::new();
        let sources = inputs
            .cloudtrail
            .iter()
            .map(|p| (InputKind::Cloudtrail, p))
            .chain(
                inputs
                    .access_logs
                    .iter()
                    .map(|p| (InputKind::S3AccessLogs, p)),
            );
        let mut client = None;
        let mut mirrors = Vec::new();
        for (kind, source) in sources {
            let path = match s3::parse_uri(source) {
                Some((bucket, prefix)) => {
                    let client = match &client {
                        Some(client) => client,
                        None => client.insert(S3Client::new(s3).map_err(ScanSetupError::S3Client)?),
                    };
                    let mirror = tempfile::tempdir().map_err(ScanSetupError::TempDir)?;
                    client
                        .mirror(&bucket, &prefix, mirror.path())
                        .map_err(|error| ScanSetupError::Download {
                            kind,
                            source_uri: source.clone(),
                            error,
                        })?;
                    let path = mirror.path().to_path_buf();
                    mirrors.push(mirror);
                    path
                }
                None => PathBuf::from(source),
            };
            std::fs::metadata(&path).map_err(|error| ScanSetupError::Input {
                kind,
                source_uri: source.clone(),
                error,
            })?;
            let mut add = |event: access::AccessEvent| stats.add(&event, &api);
            let report = match kind {
                InputKind::Cloudtrail => {
                    access::cloudtrail::read(std::slice::from_ref(&path), inputs.window, &mut add)
                }
                InputKind::S3AccessLogs => {
                    access::s3log::read(std::slice::from_ref(&path), inputs.window, &mut add)
                }
            };
            records.push(InputRecord {
                duplicates: report.duplicates,
                events: report.events,
                files: report.files,
                integrity: match (&keys, kind) {
                    (Some(keys), InputKind::Cloudtrail) => {
                        let report = access::digest::verify(&path, keys);
                        if report.tampered() {
                            Integrity::Tampered
                        } else if report.status() == "verified" {
                            Integrity::Verified
                        } else {
                            Integrity::Unverifiable
                        }
                    }
                    _ => Integrity::Unverified,
                },
                kind,
                outside_window: report.outside_window,
                problems: report.problems.len() as u64,
                source: source.clone(),
            });
            issues.extend(report.problems.into_iter().map(|p| ScanIssue {
                location: p.location,
                kind: IssueKind::AccessLog,
                message: p.message,
            }));
        }
        stats.finish(&api);
        Ok(Self {
            stats: Some(stats),
            inputs: records,
            issues,
        })
    }
}

/// Turns classified records into a report: applies the baseline, notes
/// what each bucket and key holds (before access evidence, by which
/// identities and buckets are judged), applies access evidence, and keeps
/// the summary. A one-machine scan and `assay merge` feed it the same
/// records and so write the same report.
pub struct Assembler<'a> {
    stats: Option<&'a AccessStats>,
    baseline: Option<&'a Baseline>,
    /// Per bucket, its keys (a 64-bit hash each, to count them in little
    /// memory) and its riskiest content.
    buckets: HashMap<String, BucketTally>,
    /// The riskiest content risk of each key the access logs name (for
    /// identity scores): archive members share their archive's key, which
    /// holds the riskiest of them.
    touched: HashMap<(String, String), u8>,
    summary: Summary,
    issues: Vec<ScanIssue>,
}

#[derive(Default)]
struct BucketTally {
    keys: std::collections::HashSet<u64>,
    max: u8,
}

fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

impl<'a> Assembler<'a> {
    pub fn new(evidence: &'a Evidence, baseline: Option<&'a Baseline>) -> Self {
        Self {
            stats: evidence.stats.as_ref(),
            baseline,
            buckets: HashMap::new(),
            touched: HashMap::new(),
            summary: Summary::default(),
            issues: Vec::new(),
        }
    }

    /// Applies the baseline and access evidence to a record as it comes
    /// from classification, and counts it.
    pub fn record(&mut self, record: &mut ObjectRecord) {
        if let Some(baseline) = self.baseline {
            self.summary.baselined_findings += baseline.apply(record);
        }
        if self.stats.is_some() || record.uri.starts_with("s3://") {
            if let Some((bucket, key)) = &record.bucket_key {
                let tally = match self.buckets.get_mut(bucket) {
                    Some(tally) => tally,
                    None => self.buckets.entry(bucket.clone()).or_default(),
                };
                tally.keys.insert(key_hash(key));
                tally.max = tally.max.max(record.risk);
                if self.stats.is_some_and(|s| s.object(bucket, key).is_some()) {
                    let risk = self
                        .touched
                        .entry((bucket.clone(), key.clone()))
                        .or_insert(record.risk);
                    *risk = (*risk).max(record.risk);
                }
            }
        }
        if let Some(stats) = self.stats {
            annotate(record, stats);
        }
        self.summary.add(record);
    }

    /// Counts a problem met while scanning.
    pub fn issue(&mut self, issue: ScanIssue) {
        self.summary.scan_issues += 1;
        self.issues.push(issue);
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The report: `objects` are in URI order; `removed` are the
    /// objects gone since the last scan (with state); postures are the
    /// scanned buckets' configurations.
    pub fn finish(
        mut self,
        scan: ScanInfo,
        evidence: &Evidence,
        objects: crate::report::objects::Objects,
        removed: Vec<String>,
        postures: &HashMap<String, BucketPosture>,
    ) -> Report {
        if !removed.is_empty() {
            self.summary
                .changes
                .insert(Change::Removed, removed.len() as u64);
        }
        // Issues arrive in completion order; a report lists them in one
        // order whatever the number of workers or shards.
        self.issues.sort();
        self.issues.extend(evidence.issues.iter().cloned());
        let identities = match self.stats {
            Some(stats) => identity_records(stats, &self.touched),
            None => Vec::new(),
        };
        let buckets = bucket_records(self.stats, &self.buckets, postures);
        Report {
            schema_version: crate::report::SCHEMA_VERSION,
            scan,
            summary: self.summary,
            buckets,
            objects,
            identities,
            source_ips: self.stats.map(|s| s.source_ips()).unwrap_or_default(),
            errors: self.issues,
            removed,
        }
    }
}

/// Whether a report reaches `--fail-at`: any object or bucket at or above
/// the threshold (SPEC).
pub fn threshold_reached(report: &Report, fail_at: Option<u8>) -> bool {
    let bucket_max = report.buckets.iter().map(|b| b.risk).max().unwrap_or(0);
    fail_at.is_some_and(|threshold| report.summary.max_risk >= threshold || bucket_max >= threshold)
}

/// The facts about a run that head its report.
pub fn scan_info(
    targets: Vec<String>,
    started: SystemTime,
    catalog_version: String,
    model_version: String,
    inputs: Vec<InputRecord>,
    fail_at: Option<u8>,
) -> ScanInfo {
    ScanInfo {
        targets,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        finished: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        tool: Tool {
            name: "assay",
            version: env!("CARGO_PKG_VERSION"),
        },
        catalog_version,
        model_version: Some(model_version),
        inputs,
        fail_at,
        incomplete_units: Vec::new(),
        inventories: Vec::new(),
    }
}

/// Adds the object's access statistics and raises its risk per the rule.
fn annotate(record: &mut ObjectRecord, stats: &AccessStats) {
    let Some((bucket, key)) = record.bucket_key.clone() else {
        return;
    };
    let access = stats.object(&bucket, &key);
    let sensitive = !record.regexes.is_empty() || !record.themes.is_empty();
    let (risk, factors) = risk::object_risk(record.risk, sensitive, access, stats.bucket(&bucket));
    record.risk = risk;
    record.risk_factors.extend(factors);
    record.access = Some(access.cloned().unwrap_or_default());
}

fn identity_records(
    stats: &AccessStats,
    scanned: &HashMap<(String, String), u8>,
) -> Vec<IdentityRecord> {
    let mut identities: Vec<IdentityRecord> = stats
        .identities()
        .map(|(identity, touched)| {
            let sensitive = touched
                .iter()
                .filter(|id| {
                    scanned
                        .get(*id)
                        .is_some_and(|&r| r >= risk::SENSITIVE_CONTENT)
                })
                .count() as u64;
            let (risk, risk_factors) = risk::identity_risk(identity, sensitive);
            IdentityRecord {
                stats: identity.clone(),
                sensitive_objects: sensitive,
                risk,
                risk_factors,
            }
        })
        .collect();
    identities.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then_with(|| a.stats.principal.cmp(&b.stats.principal))
    });
    identities
}

fn bucket_records(
    stats: Option<&AccessStats>,
    scanned: &HashMap<String, BucketTally>,
    postures: &HashMap<String, BucketPosture>,
) -> Vec<BucketRecord> {
    let per_bucket: HashMap<&str, (usize, u8)> = scanned
        .iter()
        .map(|(bucket, tally)| (bucket.as_str(), (tally.keys.len(), tally.max.max(1))))
        .collect();
    let mut names: Vec<&str> = per_bucket
        .keys()
        .copied()
        .chain(postures.keys().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let (objects, max) = per_bucket.get(name).copied().unwrap_or((0, 1));
            let access = stats.and_then(|s| s.bucket(name));
            let posture = postures.get(name);
            let (risk, risk_factors) = risk::bucket_risk(max, access, posture);
            BucketRecord {
                access: access.cloned(),
                name: name.to_string(),
                objects,
                posture: posture.cloned(),
                risk,
                risk_factors,
            }
        })
        .collect()
}

/// What a one-machine scan reads and how.
pub struct ScanRequest {
    /// Files, directories, `s3://bucket[/prefix]` or `s3://`.
    pub targets: Vec<String>,
    pub scope: Scope,
    pub versions: s3::Versions,
    pub follow_symlinks: bool,
    /// `--jobs`; by default one worker per core, and with buckets eight
    /// bodies in flight per core.
    pub jobs: Option<usize>,
    pub limits: Limits,
    pub state: Option<PathBuf>,
    pub s3: S3Options,
    pub catalog_version: String,
    /// `--verify`: checks found credentials with their providers.
    pub verifier: Option<std::sync::Arc<assay_verify::Verifier>>,
}

/// Bodies downloading at once per core when a bucket scan does not say
/// (`--jobs`): one body from S3 arrives slower than a core classifies it.
pub const BODIES_PER_CORE: usize = 8;

/// What a scan saw: every record handed to the caller, issues met, and
/// with state the objects gone since the last scan.
pub struct ScanRun {
    /// The S3 client, when targets were buckets (for their posture).
    pub client: Option<std::sync::Arc<S3Client>>,
    /// The buckets scanned, sorted.
    pub buckets: Vec<String>,
    pub removed: Vec<String>,
}

impl ScanRun {
    /// The scanned buckets' configurations.
    pub fn postures(&self) -> HashMap<String, BucketPosture> {
        match &self.client {
            Some(client) => self
                .buckets
                .iter()
                .map(|bucket| (bucket.clone(), client.posture(bucket)))
                .collect(),
            None => HashMap::new(),
        }
    }
}

impl ScanRequest {
    /// Lists and classifies every target, handing each event to `sink` as
    /// it is ready (on a worker thread, under a lock); `listed` hears of
    /// each object as the listing yields it, for progress; listing ends
    /// early once `stop` is set (the report's reader has gone).
    pub fn run<S>(
        &self,
        classifiers: &assay_classifiers::Classifiers,
        listed: &(dyn Fn(u64) + Sync),
        stop: &std::sync::atomic::AtomicBool,
        sink: S,
    ) -> Result<ScanRun, ScanSetupError>
    where
        S: FnMut(Event) + Send,
    {
        let mut paths = Vec::new();
        let mut buckets = Vec::new();
        let mut client = None;
        for target in &self.targets {
            if target.starts_with("s3://") {
                let client = match &client {
                    Some(client) => client,
                    None => client.insert(std::sync::Arc::new(
                        S3Client::new(&self.s3).map_err(ScanSetupError::S3Client)?,
                    )),
                };
                match s3::parse_uri(target) {
                    Some((bucket, prefix)) => {
                        // A bucket that cannot be listed at all is a mistake
                        // to fix (credentials, endpoint, permission), not a
                        // finding.
                        client
                            .check_listable(&bucket, &prefix)
                            .map_err(ScanSetupError::Unlistable)?;
                        buckets.push((bucket, prefix));
                    }
                    None if target == "s3://" => buckets.extend(
                        client
                            .buckets()
                            .map_err(ScanSetupError::Buckets)?
                            .into_iter()
                            .map(|bucket| (bucket, String::new())),
                    ),
                    None => return Err(ScanSetupError::BadS3Target(target.clone())),
                }
                continue;
            }
            let path = PathBuf::from(target);
            std::fs::symlink_metadata(&path)
                .map_err(|e| ScanSetupError::Target(target.clone(), e))?;
            paths.push(path);
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let concurrency = concurrency(self.jobs, cores, !buckets.is_empty());
        let state = match &self.state {
            Some(path) => Some(State::open(
                path,
                &self.targets,
                &self.catalog_version,
                classifiers.documents().version(),
            )?),
            None => None,
        };
        let mut scanned_buckets: Vec<String> = buckets.iter().map(|(b, _)| b.clone()).collect();
        scanned_buckets.sort();
        scanned_buckets.dedup();
        let lister = client.clone();
        let versions = self.versions;
        let remote = buckets.into_iter().flat_map(move |(bucket, prefix)| {
            lister
                .as_ref()
                .map(|client| client.objects(&bucket, &prefix, versions))
                .into_iter()
                .flatten()
        });
        let scope = &self.scope;
        let objects = local::walk(
            paths,
            WalkOptions {
                follow_symlinks: self.follow_symlinks,
            },
        )
        .chain(remote)
        .take_while(|_| !stop.load(std::sync::atomic::Ordering::Relaxed))
        .filter_map(|discovered| scope.apply(discovered))
        .inspect(|discovered| {
            if let Discovered::Object(object) = discovered {
                listed(object.size);
            }
        });
        pipeline::run_verified(
            classifiers,
            objects,
            concurrency,
            &self.limits,
            state.as_ref(),
            self.verifier.as_deref(),
            sink,
        )?;
        // Gone since the last scan: everything under the targets not seen
        // now (unless scope filters left objects out on purpose).
        let removed = match &state {
            Some(state) => {
                let prefixes: Vec<String> = if self.scope.is_everything() {
                    self.targets.clone()
                } else {
                    Vec::new()
                };
                state
                    .finish(&prefixes)
                    .map_err(ScanSetupError::StateFinish)?
            }
            None => Vec::new(),
        };
        Ok(ScanRun {
            client,
            buckets: scanned_buckets,
            removed,
        })
    }
}

/// Workers and bodies in flight: a bucket's objects spend most of their
/// time on the network, so `jobs` of them download at once (by default
/// several per core), but classifying them wants no more threads than
/// cores (more would only take turns).
pub fn concurrency(jobs: Option<usize>, cores: usize, remote: bool) -> Concurrency {
    let jobs = match jobs {
        Some(jobs) => jobs,
        None if remote => cores * BODIES_PER_CORE,
        None => cores,
    };
    if remote {
        Concurrency {
            workers: jobs.min(cores),
            in_flight: jobs,
        }
    } else {
        Concurrency::threads(jobs)
    }
}
