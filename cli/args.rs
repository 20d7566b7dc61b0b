//! Command-line arguments (SPEC "Command line").

use std::path::PathBuf;

use assay_scanner::archive::Limits;
use assay_scanner::document;
use assay_scanner::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "assay",
    version,
    about = "Find sensitive data in S3 buckets and local trees, and score its risk."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn quiet(&self) -> bool {
        match &self.command {
            Command::Scan(args) => args.quiet,
            Command::Merge(args) => args.quiet,
            Command::Plan(_)
            | Command::Rules { .. }
            | Command::Trail { .. }
            | Command::Train(_)
            | Command::Eval(_)
            | Command::Completions { .. }
            | Command::Man => false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify every object under the targets and score its risk (or, with
    /// --plan and --shard, one shard's part of a fleet run).
    Scan(Box<ScanArgs>),
    /// Plan a fleet run: list the targets once (from S3 Inventory or by key
    /// ranges side by side), split the objects into units and pack them
    /// into N shards under a run location.
    Plan(Box<PlanArgs>),
    /// Build a fleet run's report from its committed units (equal to a
    /// one-machine scan of the same objects).
    Merge(Box<MergeArgs>),
    /// Show the classifier catalog.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// CloudTrail tools.
    Trail {
        #[command(subcommand)]
        command: TrailCommand,
    },
    /// Train the SVM document model on a corpus (DIR/train/<category>/...).
    Train(TrainArgs),
    /// Per-category precision, recall, F1 and the confusion matrix of a model on a corpus.
    Eval(EvalArgs),
    /// Print a shell completion script (e.g. `assay completions bash > ~/.local/share/bash-completion/completions/assay`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, roff (e.g. `assay man | man -l -`).
    Man,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The corpus: DIR/train/<category>/<files> (corpus/generate.py writes one).
    #[arg(long, value_name = "DIR")]
    pub corpus: PathBuf,
    /// Where to write the model (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The SVM's misclassification cost C.
    #[arg(long, default_value_t = 0.5)]
    pub c: f64,
    /// Below this calibrated probability a verdict is uncertain (the model
    /// card says how the shipped model's was chosen).
    #[arg(long, default_value_t = 0.4)]
    pub threshold: f64,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The corpus: DIR/<split>/<category>/<files>, or DIR/<category>/<files>.
    #[arg(long, value_name = "DIR")]
    pub corpus: PathBuf,
    /// A model saved by `assay train` (default: the one built in).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Which split to evaluate when the corpus has them.
    #[arg(long, default_value = "test")]
    pub split: String,
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
    /// List every misclassified document.
    #[arg(long, short)]
    pub verbose: bool,
    /// Score with this uncertainty threshold instead of the model's (for
    /// choosing one on a tuning set).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// s3://bucket[/prefix] (or a local directory) to plan.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// How many shards will scan the run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub shards: u32,
    /// The run location: s3://bucket/prefix or a local directory.
    #[arg(long, value_name = "RUN")]
    pub run: String,
    /// List from this S3 Inventory report instead of ListObjectsV2:
    /// s3://dest/[prefix/]SRC/CONFIG/ (the newest report) or a
    /// .../manifest.json (repeatable, one per bucket); or `auto`: each
    /// bucket's own inventory configuration, where one serves (CSV or
    /// Parquet, covering the prefix), and a listing elsewhere.
    #[arg(long, value_name = "URI")]
    pub inventory: Vec<String>,
    /// Keep per-unit state under RUN/state/ so the next run against the same
    /// RUN reads no unchanged object (whatever its number of shards).
    #[arg(long)]
    pub incremental: bool,
    /// Key ranges listed side by side per bucket without an inventory.
    #[arg(long, value_name = "K", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub list_ranges: u16,
    /// The bytes a unit aims at: a bucket is cut into a power of two of
    /// partitions of about this size (and at most 100,000 objects each), and
    /// into enough for four units per shard.
    #[arg(long, value_name = "BYTES", default_value_t = assay_scanner::fleet::unit::UNIT_BYTES)]
    pub unit_size: u64,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// In buckets, plan every version of each object, not only the current one.
    #[arg(long)]
    pub all_versions: bool,
    /// Follow symbolic links in local targets.
    #[arg(long)]
    pub follow: bool,
    #[command(flatten)]
    pub s3: S3Args,
}

/// Which listed objects a scan reads (the same for `scan` and `plan`).
#[derive(Debug, Args, Clone, Default)]
pub struct ScopeArgs {
    /// Scan only keys (or paths below a target) matching this glob (repeatable);
    /// a glob without `/` also matches the file name alone.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip keys matching this glob (repeatable); wins over --include.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not read objects larger than this many bytes (they are reported as skipped).
    #[arg(long, value_name = "BYTES")]
    pub max_object_size: Option<u64>,
    /// Scan only objects modified at or after this time (RFC 3339 or a date).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub modified_since: Option<std::time::SystemTime>,
    /// Scan a deterministic sample of PCT percent of the objects (by URI hash).
    #[arg(long, value_name = "PCT")]
    pub sample: Option<f64>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The run location given to `assay plan --run`.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// Report format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report here (a file or s3://bucket/key) instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output: Option<String>,
    /// Exit with status 1 if any object or bucket scores at or above N (1-10).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=10))]
    pub fail_at: Option<u8>,
    /// Write the report even when units are missing (marked partial in
    /// scan.incomplete_units) and exit as if complete.
    #[arg(long)]
    pub allow_partial: bool,
    /// Accept the findings of an earlier SARIF or JSON report.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub s3: S3Args,
    /// Print nothing but the report and errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Access evidence: CloudTrail and S3 server access logs.
#[derive(Debug, Args, Clone, Default)]
pub struct AccessArgs {
    /// CloudTrail logs: a file, a directory or s3://bucket/prefix (repeatable).
    #[arg(long, value_name = "SRC")]
    pub cloudtrail: Vec<String>,
    /// S3 server access logs: a file, a directory or s3://bucket/prefix (repeatable).
    #[arg(long = "access-logs", value_name = "SRC")]
    pub access_logs: Vec<String>,
    /// CloudTrail public keys: validate each --cloudtrail input's digests
    /// and record the result in the report.
    #[arg(long = "public-key", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// Use only access events at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<std::time::SystemTime>,
    /// Use only access events before this time (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<std::time::SystemTime>,
}

impl AccessArgs {
    pub fn inputs(&self) -> assay_scanner::scan::AccessInputs {
        assay_scanner::scan::AccessInputs {
            cloudtrail: self.cloudtrail.clone(),
            access_logs: self.access_logs.clone(),
            window: assay_scanner::access::TimeWindow {
                since: self.since,
                until: self.until,
            },
            public_keys: self.public_keys.clone(),
        }
    }
}

impl ScopeArgs {
    pub fn scope(&self) -> Result<assay_scanner::scope::Scope, assay_scanner::scope::ScopeError> {
        assay_scanner::scope::Scope::new(
            &self.include,
            &self.exclude,
            self.max_object_size,
            self.modified_since,
            self.sample,
        )
    }
}

#[derive(Debug, Subcommand)]
pub enum TrailCommand {
    /// Check CloudTrail log file integrity (digest signatures, log hashes, the digest chain).
    Verify(TrailVerifyArgs),
}

#[derive(Debug, Args)]
pub struct TrailVerifyArgs {
    /// The trail's delivery location: s3://bucket/prefix or a local copy.
    #[arg(value_name = "SRC")]
    pub source: String,
    #[command(flatten)]
    pub s3: S3Args,
    /// CloudTrail public keys: PEM, DER, or `aws cloudtrail list-public-keys` JSON.
    #[arg(long = "public-key", value_name = "FILE", required = true)]
    pub public_keys: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Every catalog item: classifier, id, name, risk, min_count, enabled.
    List(RulesListArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories, s3://bucket[/prefix], or s3:// for every bucket.
    #[arg(required_unless_present = "plan", value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Scan one shard of a fleet run planned by `assay plan` under this run
    /// location (s3://bucket/prefix or a directory); needs --shard.
    #[arg(
        long,
        value_name = "RUN",
        requires = "shard",
        conflicts_with = "targets"
    )]
    pub plan: Option<String>,
    /// Which shard: I/N with I from 0, or auto/N to read the index from
    /// ASSAY_SHARD_INDEX, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX.
    /// Exit 0: its units are committed; 2: a usage error (do not retry);
    /// 3: a failure worth retrying (it resumes from committed units).
    #[arg(long, value_name = "I/N", requires = "plan")]
    pub shard: Option<String>,
    /// Report format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// assay.toml: custom identifiers, allow lists, overrides, scope and
    /// output defaults (default: ./assay.toml when there is one).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Incremental-scan state (SQLite): unchanged objects are not read again,
    /// records say what is new, changed or unchanged, and removed objects are
    /// listed; a killed scan resumes where it stopped.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Accept the findings of an earlier SARIF or JSON report: they are left
    /// out, and only new ones count for --fail-at.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit with status 1 if any object or bucket scores at or above N (1-10).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=10))]
    pub fail_at: Option<u8>,
    /// Objects scanned at once (default: one per core). With s3:// targets,
    /// the bodies downloading at once (default: eight per core): they are
    /// classified on at most one thread per core while the rest download.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub s3: S3Args,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// In buckets, scan every version of each object, not only the current
    /// one (old versions leak too); needs s3:ListBucketVersions and
    /// s3:GetObjectVersion.
    #[arg(long)]
    pub all_versions: bool,
    /// Check each found credential with its own provider (one read-only
    /// call; AWS keys with STS GetCallerIdentity): findings get
    /// `verification` live, dead, unknown or error, and a live one scores
    /// 10. Off by default: without it assay calls nothing but S3
    /// (docs/verify.md lists every call).
    #[arg(long)]
    pub verify: bool,
    /// With --verify (implied): report only objects with a live credential.
    #[arg(long)]
    pub verify_only_live: bool,
    /// An SVM document model saved by `assay train` (default: the one built in).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Open archives nested at most this deep (0: do not open archives).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_archive_depth: u32,
    /// Stop opening an object's archives after this many members, all levels together.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    pub max_archive_entries: u64,
    /// Stop decompressing an object after this many bytes, all levels together.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_bytes)]
    pub max_archive_bytes: u64,
    /// Stop decompressing an object past this many bytes out per byte stored
    /// (checked once 64 MiB have come out).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio)]
    pub max_archive_ratio: u64,
    /// Documents (Office, PDF, e-mail, Parquet, ...) larger than this are
    /// not extracted: their bytes are scanned as they are.
    #[arg(long, value_name = "BYTES", default_value_t = document::Limits::default().max_bytes)]
    pub max_document_bytes: u64,
    /// Stop extracting a document's text after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = document::Limits::default().timeout.as_secs())]
    pub document_timeout: u64,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    pub follow: bool,
    /// Print nothing but the report and errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where S3 is and who we are there.
#[derive(Debug, Args, Clone, Default)]
pub struct S3Args {
    /// An S3-compatible endpoint (MinIO, Ceph RGW, ...); also AWS_ENDPOINT_URL.
    #[arg(long = "endpoint-url", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The AWS region.
    #[arg(long, value_name = "R")]
    pub region: Option<String>,
    /// A named profile from the AWS config and credentials files.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
}

impl ScanArgs {
    pub fn limits(&self) -> assay_scanner::pipeline::Limits {
        assay_scanner::pipeline::Limits {
            archives: Limits {
                max_depth: self.max_archive_depth,
                max_entries: self.max_archive_entries,
                max_bytes: self.max_archive_bytes,
                max_ratio: self.max_archive_ratio,
                ..Limits::default()
            },
            documents: document::Limits {
                max_bytes: self.max_document_bytes,
                timeout: std::time::Duration::from_secs(self.document_timeout.max(1)),
                ..document::Limits::default()
            },
        }
    }
}

impl S3Args {
    pub fn options(&self) -> assay_scanner::source::s3::S3Options {
        assay_scanner::source::s3::S3Options {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }
}

fn parse_time(text: &str) -> Result<std::time::SystemTime, String> {
    humantime::parse_rfc3339_weak(text)
        .or_else(|_| humantime::parse_rfc3339_weak(&format!("{text} 00:00:00")))
        .map_err(|e| format!("{e}: use 2026-11-01T00:00:00Z or 2026-11-01"))
}

#[derive(Debug, Args)]
pub struct RulesListArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}
