//! Command-line arguments (SPEC "Command line").

use std::path::PathBuf;

use assay_scanner::archive::Limits;
use assay_scanner::document;
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
            Command::Rules { .. }
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
    /// Classify every object under the targets and score its risk.
    Scan(Box<ScanArgs>),
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
    /// Below this calibrated probability a document is `other`.
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
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Report format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<ScanFormat>,
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
    /// CloudTrail logs: a file, a directory or s3://bucket/prefix (repeatable).
    #[arg(long, value_name = "SRC")]
    pub cloudtrail: Vec<String>,
    /// S3 server access logs: a file, a directory or s3://bucket/prefix (repeatable).
    #[arg(long = "access-logs", value_name = "SRC")]
    pub access_logs: Vec<String>,
    #[command(flatten)]
    pub s3: S3Args,
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
    /// In buckets, scan every version of each object, not only the current
    /// one (old versions leak too); needs s3:ListBucketVersions and
    /// s3:GetObjectVersion.
    #[arg(long)]
    pub all_versions: bool,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Table,
    Jsonl,
    Json,
    Csv,
    Sarif,
    Html,
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
