//! `assay plan`, `assay scan --plan RUN --shard I/N` and `assay merge`:
//! the fleet steps' command lines and exit codes. The work is
//! `assay_scanner::fleet`'s.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context;
use assay_scanner::fleet::merge::MergeRequest;
use assay_scanner::fleet::plan::{Plan, PlanRequest};
use assay_scanner::fleet::shard::{ShardIndex, ShardRequest};
use assay_scanner::fleet::{FleetError, RunStore};
use assay_scanner::report::{self, Format};
use assay_scanner::scan::{self, Evidence};
use assay_scanner::source::s3::{self, S3Client, Versions};

use crate::args::{MergeArgs, PlanArgs, ScanArgs};
use crate::{EXIT_FATAL, EXIT_OK, EXIT_RETRY, EXIT_THRESHOLD};

/// `assay plan`.
pub fn plan(args: PlanArgs) -> anyhow::Result<u8> {
    let scope = args.scope.scope().context("reading the scan scope")?;
    let options = args.s3.options();
    let remote =
        args.targets.iter().any(|t| t.starts_with("s3://")) || args.run.starts_with("s3://");
    let client = if remote {
        Some(Arc::new(
            S3Client::new(&options).context("starting the S3 client")?,
        ))
    } else {
        None
    };
    let store = open_store(&args.run, client.as_ref(), &options)?;
    let request = PlanRequest {
        targets: args.targets.clone(),
        scope,
        versions: if args.all_versions {
            Versions::All
        } else {
            Versions::Current
        },
        follow_symlinks: args.follow,
        shards: args.shards,
        incremental: args.incremental,
        list_ranges: usize::from(args.list_ranges),
        unit_bytes: args.unit_size,
        inventories: args.inventory.clone(),
    };
    match request.run(&store, client.as_ref()) {
        Ok(summary) => {
            eprintln!(
                "assay: planned run {} at {}: {} objects ({} bytes) in {} units over {} shards, {} skipped or unlistable",
                summary.run_id,
                store.uri(""),
                summary.objects,
                summary.bytes,
                summary.units,
                args.shards,
                summary.issues
            );
            Ok(EXIT_OK)
        }
        Err(error) => fail(error),
    }
}

/// `assay scan --plan RUN --shard I/N`: exit 0 once its units are
/// committed, 2 on a usage error, 3 on a failure worth retrying.
pub fn shard(args: ScanArgs) -> anyhow::Result<u8> {
    let (Some(run), Some(shard)) = (&args.plan, &args.shard) else {
        anyhow::bail!("--plan and --shard go together");
    };
    let shard = ShardIndex::parse(shard, |name| std::env::var(name).ok())
        .map_err(|message| anyhow::anyhow!(message))?;
    let options = args.s3.options();
    let mut client = if run.starts_with("s3://") {
        Some(Arc::new(
            S3Client::new(&options).context("starting the S3 client")?,
        ))
    } else {
        None
    };
    let store = open_store(run, client.as_ref(), &options)?;
    let plan = match Plan::load(&store) {
        Ok(plan) => plan,
        Err(error) => return fail(error),
    };
    let remote = plan.targets.iter().any(|t| t.starts_with("s3://"));
    if remote && client.is_none() {
        client = Some(Arc::new(
            S3Client::new(&options).context("starting the S3 client")?,
        ));
    }
    let config = assay_scanner::config::Config::find(args.config.as_deref())?;
    let (classifiers, catalog_version) =
        super::scan::load_classifiers(config.as_ref(), args.model.as_deref())?;
    // `--verify` and `[verify]` as in a single scan: verdicts go in the
    // shard's records and the merge keeps them.
    let (verifier, only_live) =
        super::scan::verifier(&args, config.as_ref(), classifiers.catalog())?;
    let classifiers = match &verifier {
        Some(verifier) => {
            classifiers.with_kept_secrets(verifier.settings().secrets_per_finding.max(1))
        }
        None => classifiers,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shared_by = verifier.clone();
    let request = ShardRequest {
        store: &store,
        plan: &plan,
        shard,
        classifiers: &classifiers,
        limits: args.limits(),
        concurrency: scan::concurrency(args.jobs.map(usize::from), cores, remote),
        client,
        catalog_version,
        verifier,
        only_live,
    };
    match request.run() {
        Ok(outcome) => {
            if !args.quiet {
                eprintln!(
                    "assay: shard {}/{} of run {}: {} units ({} committed before, {} committed by another attempt first), {} objects scanned",
                    shard.index,
                    shard.count,
                    plan.run_id,
                    outcome.units,
                    outcome.already_committed,
                    outcome.lost_races,
                    outcome.objects
                );
                if let Some(verifier) = &shared_by {
                    eprintln!(
                        "assay: {} verdicts taken from the run's shared verdicts instead of a call",
                        verifier.shared_verdicts_used()
                    );
                }
            }
            Ok(EXIT_OK)
        }
        Err(error) => fail(error),
    }
}

/// `assay merge`.
pub fn merge(args: MergeArgs) -> anyhow::Result<u8> {
    let started = SystemTime::now();
    let options = args.s3.options();
    let needs_client = args.run.starts_with("s3://")
        || args
            .output
            .as_deref()
            .is_some_and(|o| o.starts_with("s3://"));
    let client = if needs_client {
        Some(Arc::new(
            S3Client::new(&options).context("starting the S3 client")?,
        ))
    } else {
        None
    };
    let store = open_store(&args.run, client.as_ref(), &options)?;
    let plan = match Plan::load(&store) {
        Ok(plan) => plan,
        Err(error) => return fail(error),
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = super::scan::format_of(args.format, to_terminal);
    let baseline = match &args.baseline {
        Some(path) => Some(assay_scanner::baseline::Baseline::load(path)?),
        None => None,
    };
    let evidence = Evidence::read(&args.access.inputs(), &options)?;
    let mut output = Output::open(args.output.as_deref(), client.as_ref())?;
    let request = MergeRequest {
        store: &store,
        plan: &plan,
        evidence: &evidence,
        baseline: baseline.as_ref(),
        fail_at: args.fail_at,
        started,
    };
    let merged = {
        let out = output.writer();
        let result = request.run(&mut |record| {
            if format == Format::Jsonl {
                report::write_jsonl_record(out, record)?;
                Ok(false)
            } else {
                Ok(true)
            }
        });
        match result {
            Ok(merged) => merged,
            Err(error) => return fail(error),
        }
    };
    let report = merged.report;
    {
        let out = output.writer();
        match format {
            Format::Jsonl => Ok(()),
            Format::Json => report::write_json(out, &report),
            Format::Csv => report::write_csv(out, &report),
            Format::Sarif => {
                // Only SARIF names the rules; parsing the catalog is most
                // of a small merge's start-up.
                let catalog = assay_classifiers::Catalog::builtin()
                    .context("loading the classifier catalog")?;
                report::write_sarif(out, &report, &catalog)
            }
            Format::Html => report::write_html(out, &report),
            Format::Table => {
                report::write_table(out, &report, super::scan::terminal_width(to_terminal))
            }
        }
        .context("writing the report")?;
    }
    output.finish()?;
    if !args.quiet && format != Format::Table {
        eprintln!("assay: {}", report.summary);
    }
    if !merged.missing.is_empty() {
        eprintln!(
            "assay: the report is partial: {} of {} units were never committed: {}{}",
            merged.missing.len(),
            plan.units.len(),
            merged
                .missing
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if merged.missing.len() > 10 {
                ", ..."
            } else {
                ""
            }
        );
        if !args.allow_partial {
            return Ok(EXIT_RETRY);
        }
    }
    Ok(if scan::threshold_reached(&report, args.fail_at) {
        EXIT_THRESHOLD
    } else {
        EXIT_OK
    })
}

fn open_store(
    location: &str,
    client: Option<&Arc<S3Client>>,
    options: &s3::S3Options,
) -> anyhow::Result<RunStore> {
    match (s3::parse_uri(location), client) {
        (Some((bucket, prefix)), Some(client)) => {
            Ok(RunStore::on_s3(Arc::clone(client), bucket, &prefix))
        }
        _ => RunStore::open(location, options)
            .with_context(|| format!("opening the run location {location}")),
    }
}

/// Prints a fleet failure and picks the exit code engines act on: 2 for a
/// mistake a retry would repeat, 3 for one a retry may not meet.
fn fail(error: FleetError) -> anyhow::Result<u8> {
    eprintln!("assay: error: {error}");
    Ok(if error.is_usage() {
        EXIT_FATAL
    } else {
        EXIT_RETRY
    })
}

/// Where a report goes: standard output, a file, or an S3 object (written
/// to a temporary file, uploaded whole at the end).
enum Output {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    /// A temporary file beside the report's path, renamed to it once whole.
    File {
        temp: std::io::BufWriter<tempfile::NamedTempFile>,
        path: std::path::PathBuf,
    },
    S3 {
        file: std::io::BufWriter<tempfile::NamedTempFile>,
        client: Arc<S3Client>,
        uri: String,
    },
}

impl Output {
    fn open(target: Option<&str>, client: Option<&Arc<S3Client>>) -> anyhow::Result<Self> {
        Ok(match target {
            None => Self::Stdout(std::io::BufWriter::new(std::io::stdout())),
            Some(uri) if uri.starts_with("s3://") => {
                let client = client.context("an s3:// output needs the S3 client")?;
                Self::S3 {
                    file: std::io::BufWriter::new(
                        tempfile::NamedTempFile::new().context("creating a temporary report")?,
                    ),
                    client: Arc::clone(client),
                    uri: uri.to_string(),
                }
            }
            Some(path) => Self::File {
                temp: std::io::BufWriter::new(super::scan::pending_output(path.as_ref())?),
                path: path.into(),
            },
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Self::Stdout(out) => out,
            Self::File { temp, .. } => temp,
            Self::S3 { file, .. } => file,
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::Stdout(mut out) => out.flush().context("writing the report"),
            Self::File { temp, path } => temp
                .into_inner()
                .context("writing the report")?
                .persist(&path)
                .map(|_| ())
                .with_context(|| format!("cannot write the report to {}", path.display())),
            Self::S3 { file, client, uri } => {
                let file = file.into_inner().context("writing the report")?;
                upload_report(file.path(), &uri, &client)
            }
        }
    }
}

/// Uploads a finished report to `s3://bucket/key`.
pub fn upload_report(
    path: &std::path::Path,
    uri: &str,
    client: &Arc<S3Client>,
) -> anyhow::Result<()> {
    let Some((bucket, key)) = s3::parse_uri(uri).filter(|(_, key)| !key.is_empty()) else {
        anyhow::bail!("--output {uri}: expected s3://bucket/key");
    };
    let (dir, name) = match key.rsplit_once('/') {
        Some((dir, name)) => (dir.to_string(), name.to_string()),
        None => (String::new(), key.clone()),
    };
    RunStore::on_s3(Arc::clone(client), bucket, &dir)
        .put_file(&name, path)
        .with_context(|| format!("uploading the report to {uri}"))
}
