//! `assay scan`: classify targets, write the report, apply `--fail-at`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, bail};
use assay_classifiers::{Catalog, Classifiers};
use assay_scanner::access::stats::{AccessStats, ApiCatalog};
use assay_scanner::access::{self, TimeWindow};
use assay_scanner::config::Config;
use assay_scanner::pipeline::{self, Event};
use assay_scanner::posture::BucketPosture;
use assay_scanner::record::ScanIssue;
use assay_scanner::record::Summary;
use assay_scanner::report::{self, Format, Report, ScanInfo, Tool};
use assay_scanner::risk;
use assay_scanner::scope::Scope;
use assay_scanner::source::local::{self, WalkOptions};
use assay_scanner::source::s3::{self, S3Client};

use crate::args::{ScanArgs, ScanFormat};
use crate::{EXIT_OK, EXIT_THRESHOLD};

/// Bodies downloading at once per core when a bucket scan does not say
/// (`--jobs`).
const BODIES_PER_CORE: usize = 8;

pub fn run(mut args: ScanArgs) -> anyhow::Result<u8> {
    let started = SystemTime::now();
    let config = Config::find(args.config.as_deref()).map_err(|e| {
        anyhow::anyhow!("{e}; fix it, or name another with --config (see docs/configuration.md)")
    })?;
    if let Some(config) = &config {
        apply_defaults(&mut args, config)?;
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = match args.format {
        Some(ScanFormat::Table) => Format::Table,
        Some(ScanFormat::Jsonl) => Format::Jsonl,
        Some(ScanFormat::Json) => Format::Json,
        Some(ScanFormat::Csv) => Format::Csv,
        Some(ScanFormat::Sarif) => Format::Sarif,
        Some(ScanFormat::Html) => Format::Html,
        None if to_terminal => Format::Table,
        None => Format::Jsonl,
    };
    let scope = Scope::new(
        &args.include,
        &args.exclude,
        args.max_object_size,
        args.modified_since,
        args.sample,
    )
    .context("reading the scan scope")?;
    let mut paths = Vec::new();
    let mut buckets = Vec::new();
    let mut client = None;
    for target in &args.targets {
        if target.starts_with("s3://") {
            let client = match &client {
                Some(client) => client,
                None => client.insert(std::sync::Arc::new(
                    S3Client::new(&args.s3.options()).context("starting the S3 client")?,
                )),
            };
            match s3::parse_uri(target) {
                Some((bucket, prefix)) => {
                    // A bucket that cannot be listed at all is a mistake to
                    // fix (credentials, endpoint, permission), not a finding.
                    client
                        .check_listable(&bucket, &prefix)
                        .map_err(|e| unlistable(&e, &args.s3))?;
                    buckets.push((bucket, prefix));
                }
                None if target == "s3://" => buckets.extend(
                    client
                        .buckets()
                        .context("listing the buckets these credentials can see")?
                        .into_iter()
                        .map(|bucket| (bucket, String::new())),
                ),
                None => bail!("{target}: expected s3://bucket[/prefix] or s3:// for every bucket"),
            }
            continue;
        }
        let path = PathBuf::from(target);
        std::fs::symlink_metadata(&path).map_err(|e| missing_target(target, &e))?;
        paths.push(path);
    }
    let mut catalog = Catalog::builtin().context("loading the classifier catalog")?;
    let mut catalog_version = Catalog::version();
    if let Some(config) = &config {
        config.apply(&mut catalog)?;
        catalog_version = format!("{catalog_version}+{}", config.version());
    }
    let mut classifiers = Classifiers::new(catalog).context("compiling the classifier catalog")?;
    if let Some(path) = &args.model {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the SVM model {}", path.display()))?;
        classifiers = classifiers.with_documents(
            assay_classifiers::svm::DocumentClassifier::from_json(&text)
                .with_context(|| format!("loading the SVM model {}", path.display()))?,
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A bucket's objects spend most of their time on the network: `--jobs`
    // of them download at once (by default several per core, as one body
    // from S3 arrives slower than a core classifies it), but classifying
    // them wants no more threads than cores (more would only take turns).
    let jobs = match args.jobs {
        Some(jobs) => usize::from(jobs),
        None if buckets.is_empty() => cores,
        None => cores * BODIES_PER_CORE,
    };
    let concurrency = if buckets.is_empty() {
        pipeline::Concurrency::threads(jobs)
    } else {
        pipeline::Concurrency {
            workers: jobs.min(cores),
            in_flight: jobs,
        }
    };

    // `--output` is written to a temporary file beside it and renamed into
    // place once the report is whole: a scan that fails leaves no
    // half-written report (and an earlier one stays as it was).
    let pending = match &args.output {
        Some(path) => Some(pending_output(path)?),
        None => None,
    };
    let mut out: Box<dyn Write + Send> = match &pending {
        Some(temp) => Box::new(std::io::BufWriter::new(
            temp.as_file()
                .try_clone()
                .context("opening the report's temporary file")?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };

    let baseline = match &args.baseline {
        Some(path) => Some(assay_scanner::baseline::Baseline::load(path)?),
        None => None,
    };
    let (stats, inputs, input_issues) = read_access_evidence(&args)?;
    let mut sensitive: std::collections::HashMap<(String, String), u8> =
        std::collections::HashMap::new();
    let mut summary = Summary::default();
    let mut objects = Vec::new();
    let mut issues = Vec::new();
    let mut write_error = None;
    let mut scanned_buckets: Vec<String> = buckets.iter().map(|(b, _)| b.clone()).collect();
    scanned_buckets.sort();
    scanned_buckets.dedup();
    let lister = client.clone();
    let versions = if args.all_versions {
        s3::Versions::All
    } else {
        s3::Versions::Current
    };
    let remote = buckets.into_iter().flat_map(move |(bucket, prefix)| {
        lister
            .as_ref()
            .map(|client| client.objects(&bucket, &prefix, versions))
            .into_iter()
            .flatten()
    });
    let scan_everything = scope.is_everything();
    let listed = crate::progress::Listed::default();
    let counted = listed.clone();
    let state = match &args.state {
        Some(path) => Some(
            assay_scanner::state::State::open(
                path,
                &args.targets,
                &catalog_version,
                classifiers.documents().version(),
            )
            .context("opening the scan state")?,
        ),
        None => None,
    };
    // Set when the report's reader has gone (`| head`): listing stops, and
    // what is in flight finishes.
    let reader_gone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let listing_stops = reader_gone.clone();
    let objects_source = local::walk(
        paths,
        WalkOptions {
            follow_symlinks: args.follow,
        },
    )
    .chain(remote)
    .take_while(move |_| !listing_stops.load(std::sync::atomic::Ordering::Relaxed))
    .filter_map(move |discovered| scope.apply(discovered))
    .inspect(move |discovered| {
        if let assay_scanner::source::Discovered::Object(object) = discovered {
            counted.add(object.size);
        }
    });
    let limits = args.limits();
    let mut progress = crate::progress::Progress::new(args.quiet, listed);
    pipeline::run(
        &classifiers,
        objects_source,
        concurrency,
        &limits,
        state.as_ref(),
        |event| match event {
            Event::Object(record) => {
                let mut record = record;
                if let Some(baseline) = &baseline {
                    summary.baselined_findings += baseline.apply(&mut record);
                }
                progress.record(&record);
                // Identities and buckets are judged by what objects hold,
                // before access evidence.
                if stats.is_some() || record.uri.starts_with("s3://") {
                    // Archive members share their archive's key: it holds the
                    // riskiest of them.
                    if let Some(id) = record.bucket_key.clone() {
                        let risk = sensitive.entry(id).or_insert(record.risk);
                        *risk = (*risk).max(record.risk);
                    }
                }
                if let Some(stats) = &stats {
                    annotate(&mut record, stats);
                }
                summary.add(&record);
                if format == Format::Jsonl {
                    if write_error.is_none() {
                        write_error = report::write_jsonl_record(&mut out, &record).err();
                        if write_error
                            .as_ref()
                            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
                        {
                            reader_gone.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                } else {
                    objects.push(*record);
                }
            }
            Event::Issue(issue) => {
                if !args.quiet && format == Format::Jsonl {
                    tracing::warn!("{} {}: {}", issue.kind, issue.location, issue.message);
                }
                summary.scan_issues += 1;
                issues.push(issue);
            }
        },
    )?;
    progress.finish();
    if let Some(error) = write_error {
        return Err(error).context("writing the report");
    }
    // Gone since the last scan: everything under the targets not seen now
    // (unless scope filters left objects out on purpose).
    let removed = match &state {
        Some(state) => {
            let prefixes: Vec<String> = if scan_everything {
                args.targets.clone()
            } else {
                Vec::new()
            };
            state.finish(&prefixes).context("closing the scan state")?
        }
        None => Vec::new(),
    };
    if !removed.is_empty() {
        summary
            .changes
            .insert("removed".into(), removed.len() as u64);
    }
    objects.sort_by(|a, b| a.uri.cmp(&b.uri));
    issues.extend(input_issues);
    let postures: std::collections::HashMap<String, BucketPosture> = match &client {
        Some(client) => scanned_buckets
            .iter()
            .map(|bucket| (bucket.clone(), client.posture(bucket)))
            .collect(),
        None => std::collections::HashMap::new(),
    };
    let identities = match &stats {
        Some(stats) => identity_records(stats, &sensitive),
        None => Vec::new(),
    };
    let buckets = bucket_records(stats.as_ref(), &sensitive, &postures);
    let report = Report {
        schema_version: report::SCHEMA_VERSION,
        scan: ScanInfo {
            targets: args.targets.clone(),
            started: humantime::format_rfc3339_seconds(started).to_string(),
            finished: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            tool: Tool {
                name: "assay",
                version: env!("CARGO_PKG_VERSION"),
            },
            catalog_version: catalog_version.clone(),
            model_version: Some(classifiers.documents().version().to_string()),
            inputs,
            fail_at: args.fail_at,
        },
        summary,
        buckets,
        objects,
        identities,
        source_ips: stats.as_ref().map(|s| s.source_ips()).unwrap_or_default(),
        errors: issues,
        removed,
    };
    let written = match format {
        Format::Jsonl => Ok(()),
        Format::Json => report::write_json(&mut out, &report),
        Format::Csv => report::write_csv(&mut out, &report),
        Format::Sarif => report::write_sarif(&mut out, &report, classifiers.catalog()),
        Format::Html => report::write_html(&mut out, &report),
        Format::Table => report::write_table(&mut out, &report, terminal_width(to_terminal)),
    };
    written
        .and_then(|()| out.flush())
        .context("writing the report")?;
    drop(out);
    if let (Some(temp), Some(path)) = (pending, &args.output) {
        temp.persist(path)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    if !args.quiet && format != Format::Table {
        eprintln!("assay: {}", report.summary);
    }
    // SPEC: any object or bucket at or above the threshold.
    let bucket_max = report
        .buckets
        .iter()
        .filter_map(|b| b["risk"].as_u64())
        .max()
        .unwrap_or(0);
    let reached = args.fail_at.is_some_and(|threshold| {
        report.summary.max_risk >= threshold || bucket_max >= u64::from(threshold)
    });
    Ok(if reached { EXIT_THRESHOLD } else { EXIT_OK })
}

/// A temporary file in `--output`'s directory, to be renamed to it.
fn pending_output(path: &std::path::Path) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".assay-report-")
        .tempfile_in(dir)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot write the report to {} ({}): choose a writable directory for --output",
                path.display(),
                io_reason(&e)
            )
        })
}

/// An io error's reason without the "(os error N)" tail.
fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_lowercase(),
        None => text,
    }
}

/// A target that is not there or cannot be read, and what to do.
fn missing_target(target: &str, error: &std::io::Error) -> anyhow::Error {
    match error.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!(
            "{target} does not exist: give a file, a directory, s3://bucket[/prefix] or s3://"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "{target} cannot be read (permission denied): check its permissions, or scan as a \
             user who may read it"
        ),
        _ => anyhow::anyhow!(
            "{target} cannot be read ({}): check the path",
            io_reason(error)
        ),
    }
}

/// A bucket target that cannot be listed, in one line with what to do.
fn unlistable(error: &s3::Unlistable, s3: &crate::args::S3Args) -> anyhow::Error {
    let place = format!("s3://{}/{}", error.bucket, error.prefix);
    let region = error.region.as_deref().unwrap_or("its region");
    let endpoint = s3
        .endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .unwrap_or_else(|| "S3".into());
    let advice = match error.refusal {
        s3::Refusal::NoCredentials => "no AWS credentials were found: set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or name a profile with --profile (aws configure sets one up)"
            .to_string(),
        s3::Refusal::BadCredentials => format!(
            "the credentials were refused ({}): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY \
             and AWS_SESSION_TOKEN or --profile, and that they are for {endpoint}",
            error.message
        ),
        s3::Refusal::Unreachable => format!(
            "cannot reach {endpoint} ({}): check --endpoint-url (or AWS_ENDPOINT_URL), the \
             network and any proxy",
            error.message
        ),
        s3::Refusal::Denied => format!(
            "access denied ({}; bucket in {region}): these credentials need s3:ListBucket and \
             s3:GetObject on it (docs/guide.md, S3 permissions), or use --profile for others",
            error.message
        ),
        s3::Refusal::NoSuchBucket => format!(
            "no such bucket ({}): check the name, and --endpoint-url for S3-compatible stores",
            error.message
        ),
        s3::Refusal::Other => format!("cannot list it: {}", error.message),
    };
    anyhow::anyhow!("{place}: {advice}")
}

/// `assay.toml`'s `[scan]` defaults fill what the command line left unset.
fn apply_defaults(args: &mut ScanArgs, config: &Config) -> anyhow::Result<()> {
    use clap::ValueEnum;
    let defaults = &config.scan;
    if args.include.is_empty() {
        args.include = defaults.include.clone();
    }
    if args.exclude.is_empty() {
        args.exclude = defaults.exclude.clone();
    }
    args.max_object_size = args.max_object_size.or(defaults.max_object_size);
    args.sample = args.sample.or(defaults.sample);
    args.fail_at = args.fail_at.or(defaults.fail_at);
    args.jobs = args.jobs.or(defaults.jobs);
    if args.format.is_none() {
        if let Some(name) = &defaults.format {
            args.format = Some(
                ScanFormat::from_str(name, true)
                    .map_err(|e| anyhow::anyhow!("assay.toml: [scan] format: {e}"))?,
            );
        }
    }
    Ok(())
}

fn terminal_width(to_terminal: bool) -> Option<u16> {
    if to_terminal { None } else { Some(160) }
}

/// Reads `--cloudtrail` and `--access-logs` inputs into statistics, with a
/// description of each input and the problems met.
fn read_access_evidence(
    args: &ScanArgs,
) -> anyhow::Result<(Option<AccessStats>, Vec<serde_json::Value>, Vec<ScanIssue>)> {
    if args.cloudtrail.is_empty() && args.access_logs.is_empty() {
        return Ok((None, Vec::new(), Vec::new()));
    }
    let api = ApiCatalog::builtin().context("loading the API event catalog")?;
    let window = TimeWindow {
        since: args.since,
        until: args.until,
    };
    let keys = if args.public_keys.is_empty() {
        None
    } else {
        Some(access::digest::PublicKeys::load(&args.public_keys).context("loading --public-key")?)
    };
    let mut stats = AccessStats::default();
    let mut inputs = Vec::new();
    let mut issues = Vec::new();
    let sources = args
        .cloudtrail
        .iter()
        .map(|p| ("cloudtrail", p))
        .chain(args.access_logs.iter().map(|p| ("s3_access_logs", p)));
    let mut client = None;
    let mut mirrors = Vec::new();
    for (kind, source) in sources {
        let path = match assay_scanner::source::s3::parse_uri(source) {
            Some((bucket, prefix)) => {
                if client.is_none() {
                    client = Some(assay_scanner::source::s3::S3Client::new(
                        &args.s3.options(),
                    )?);
                }
                let mirror =
                    tempfile::tempdir().context("creating a directory for downloaded logs")?;
                if let Some(client) = &client {
                    client
                        .mirror(&bucket, &prefix, mirror.path())
                        .with_context(|| format!("downloading {kind} input {source}"))?;
                }
                let path = mirror.path().to_path_buf();
                mirrors.push(mirror);
                path
            }
            None => std::path::PathBuf::from(source),
        };
        let path = &path;
        std::fs::metadata(path)
            .with_context(|| format!("{kind} input {source} does not exist or cannot be read"))?;
        let mut add = |event: access::AccessEvent| stats.add(&event, &api);
        let report = if kind == "cloudtrail" {
            access::cloudtrail::read(std::slice::from_ref(path), window, &mut add)
        } else {
            access::s3log::read(std::slice::from_ref(path), window, &mut add)
        };
        inputs.push(serde_json::json!({
            "kind": kind,
            "source": source,
            "files": report.files,
            "events": report.events,
            "duplicates": report.duplicates,
            "outside_window": report.outside_window,
            "problems": report.problems.len(),
            "integrity": match (&keys, kind) {
                (Some(keys), "cloudtrail") => access::digest::verify(path, keys).status(),
                _ => "unverified",
            },
        }));
        issues.extend(report.problems.into_iter().map(|p| ScanIssue {
            location: p.location,
            kind: "access_log",
            message: p.message,
        }));
    }
    stats.finish(&api);
    Ok((Some(stats), inputs, issues))
}

/// Adds the object's access statistics and raises its risk per the rule.
fn annotate(record: &mut assay_scanner::record::ObjectRecord, stats: &AccessStats) {
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
    scanned: &std::collections::HashMap<(String, String), u8>,
) -> Vec<serde_json::Value> {
    let mut identities: Vec<(u8, serde_json::Value)> = stats
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
            let (score, factors) = risk::identity_risk(identity, sensitive);
            let mut value = serde_json::to_value(identity).unwrap_or_default();
            value["sensitive_objects"] = sensitive.into();
            value["risk"] = score.into();
            value["risk_factors"] = serde_json::to_value(factors).unwrap_or_default();
            (score, value)
        })
        .collect();
    identities.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1["principal"].as_str().cmp(&b.1["principal"].as_str()))
    });
    identities.into_iter().map(|(_, v)| v).collect()
}

fn bucket_records(
    stats: Option<&AccessStats>,
    scanned: &std::collections::HashMap<(String, String), u8>,
    postures: &std::collections::HashMap<String, BucketPosture>,
) -> Vec<serde_json::Value> {
    let mut names: Vec<&String> = scanned
        .keys()
        .map(|(b, _)| b)
        .chain(postures.keys())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let objects: Vec<u8> = scanned
                .iter()
                .filter(|((b, _), _)| b == name)
                .map(|(_, &r)| r)
                .collect();
            let max = objects.iter().copied().max().unwrap_or(1);
            let access = stats.and_then(|s| s.bucket(name));
            let posture = postures.get(name);
            let (score, factors) = risk::bucket_risk(max, access, posture);
            let mut record = serde_json::json!({
                "name": name,
                "objects": objects.len(),
                "access": access,
                "risk": score,
                "risk_factors": factors,
            });
            if let Some(posture) = posture {
                record["posture"] = serde_json::json!(posture);
                record["public"] = serde_json::json!(posture.public());
            }
            record
        })
        .collect()
}
