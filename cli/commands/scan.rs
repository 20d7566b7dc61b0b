//! `assay scan`: classify targets, write the report, apply `--fail-at`.

use std::io::{IsTerminal, Write};
use std::time::SystemTime;

use anyhow::Context;
use assay_classifiers::{Catalog, Classifiers};
use assay_scanner::config::Config;
use assay_scanner::pipeline::Event;
use assay_scanner::report::{self, Format};
use assay_scanner::scan::{self, Assembler, Evidence, ScanRequest, ScanSetupError};
use assay_scanner::source::s3;

use crate::args::ScanArgs;
use crate::{EXIT_OK, EXIT_THRESHOLD};

pub fn run(mut args: ScanArgs) -> anyhow::Result<u8> {
    let started = SystemTime::now();
    let config = Config::find(args.config.as_deref()).map_err(|e| {
        anyhow::anyhow!("{e}; fix it, or name another with --config (see docs/configuration.md)")
    })?;
    if let Some(config) = &config {
        apply_defaults(&mut args, config)?;
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = format_of(args.format, to_terminal);
    let scope = args.scope.scope().context("reading the scan scope")?;
    let (classifiers, catalog_version) = load_classifiers(config.as_ref(), args.model.as_deref())?;
    let (verifier, only_live) = verifier(&args, config.as_ref(), classifiers.catalog())?;
    let classifiers = match &verifier {
        Some(verifier) => {
            classifiers.with_kept_secrets(verifier.settings().secrets_per_finding.max(1))
        }
        None => classifiers,
    };

    // `--output` is written to a temporary file beside it and renamed into
    // place once the report is whole: a scan that fails leaves no
    // half-written report (and an earlier one stays as it was).
    // An s3:// report is written to a temporary file and uploaded whole.
    let s3_output = args
        .output
        .as_deref()
        .and_then(|p| p.to_str())
        .filter(|p| p.starts_with("s3://"))
        .map(str::to_string);
    let pending = match (&args.output, &s3_output) {
        (Some(_), Some(_)) => {
            Some(tempfile::NamedTempFile::new().context("creating a temporary report")?)
        }
        (Some(path), None) => Some(pending_output(path)?),
        (None, _) => None,
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
    let evidence = Evidence::read(&args.access.inputs(), &args.s3.options())?;
    let request = ScanRequest {
        targets: args.targets.clone(),
        scope,
        versions: if args.all_versions {
            s3::Versions::All
        } else {
            s3::Versions::Current
        },
        follow_symlinks: args.follow,
        jobs: args.jobs.map(usize::from),
        limits: args.limits(),
        state: args.state.clone(),
        s3: args.s3.options(),
        catalog_version: catalog_version.clone(),
        verifier,
    };
    let mut assembler = Assembler::new(&evidence, baseline.as_ref());
    let mut objects = assay_scanner::report::objects::ObjectSorter::default();
    let mut write_error = None;
    let listed = crate::progress::Listed::default();
    let counted = listed.clone();
    // Set when the report's reader has gone (`| head`): listing stops, and
    // what is in flight finishes.
    let reader_gone = std::sync::atomic::AtomicBool::new(false);
    let mut progress = crate::progress::Progress::new(args.quiet, listed);
    let run = request
        .run(
            &classifiers,
            &|size| counted.add(size),
            &reader_gone,
            |event| match event {
                Event::Object(mut record) => {
                    progress.record(&record);
                    if only_live && !assay_scanner::verify::has_live(&record) {
                        return;
                    }
                    assembler.record(&mut record);
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
                    } else if write_error.is_none() {
                        write_error = objects.push(*record).err();
                    }
                }
                Event::Issue(issue) => {
                    if !args.quiet && format == Format::Jsonl {
                        tracing::warn!("{} {}: {}", issue.kind, issue.location, issue.message);
                    }
                    assembler.issue(issue);
                }
            },
        )
        .map_err(|error| match error {
            ScanSetupError::Target(target, error) => missing_target(&target, &error),
            ScanSetupError::Unlistable(error) => unlistable(&error, &args.s3),
            other => other.into(),
        })?;
    progress.finish();
    if let Some(error) = write_error {
        return Err(error).context("writing the report");
    }
    let objects = objects.finish().context("spooling the report's records")?;
    let info = scan::scan_info(
        args.targets.clone(),
        started,
        catalog_version,
        classifiers.documents().version().to_string(),
        evidence.inputs.clone(),
        args.fail_at,
    );
    let report = assembler.finish(
        info,
        &evidence,
        objects,
        run.removed.clone(),
        &run.postures(),
    );
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
    match (pending, &args.output, &s3_output) {
        (Some(temp), _, Some(uri)) => {
            let client = std::sync::Arc::new(
                s3::S3Client::new(&args.s3.options()).context("starting the S3 client")?,
            );
            super::fleet::upload_report(temp.path(), uri, &client)?;
        }
        (Some(temp), Some(path), None) => {
            temp.persist(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
        }
        _ => {}
    }
    if !args.quiet && format != Format::Table {
        eprintln!("assay: {}", report.summary);
    }
    Ok(if scan::threshold_reached(&report, args.fail_at) {
        EXIT_THRESHOLD
    } else {
        EXIT_OK
    })
}

/// The verifier when `--verify`, `--verify-only-live` or `[verify]
/// enabled` asks for one (after saying on stderr whom it may contact),
/// and whether only objects with a live credential are reported.
pub(crate) fn verifier(
    args: &ScanArgs,
    config: Option<&Config>,
    catalog: &Catalog,
) -> anyhow::Result<(Option<std::sync::Arc<assay_verify::Verifier>>, bool)> {
    let defaults = config.map(|c| &c.verify);
    let only_live = args.verify_only_live || defaults.is_some_and(|d| d.only_live);
    let enabled = args.verify || only_live || defaults.is_some_and(|d| d.enabled);
    if !enabled {
        return Ok((None, false));
    }
    let mut settings = assay_verify::Settings::default();
    if let Some(d) = defaults {
        settings.concurrency = d.concurrency.map_or(settings.concurrency, usize::from);
        settings.rate_per_second = d.rate_per_second.unwrap_or(settings.rate_per_second);
        if let Some(seconds) = d.timeout_seconds {
            settings.timeout = std::time::Duration::try_from_secs_f64(seconds)
                .ok()
                .filter(|t| !t.is_zero())
                .context("assay.toml: [verify] timeout_seconds must be a positive number")?;
        }
        settings.retries = d.retries.unwrap_or(settings.retries);
        settings.secrets_per_finding = d
            .secrets_per_finding
            .map_or(settings.secrets_per_finding, usize::from);
    }
    let settings = settings
        .with_env_proxy()
        .with_env_endpoints()
        .context("reading the verification endpoint overrides")?;
    let verifier =
        assay_verify::Verifier::new(catalog, settings).context("starting verification")?;
    let destinations = verifier.destinations();
    eprintln!(
        "assay: --verify: each credential found is sent only to its own provider; {} providers may be contacted:",
        destinations.len()
    );
    for d in &destinations {
        let note = if d.overridden { " (overridden)" } else { "" };
        eprintln!("assay:   {:<14} {}{note}", d.provider, d.origin);
    }
    Ok((Some(std::sync::Arc::new(verifier)), only_live))
}

/// The catalog (with `assay.toml`'s changes) compiled, the SVM model, and
/// the catalog version records are made with.
pub fn load_classifiers(
    config: Option<&Config>,
    model: Option<&std::path::Path>,
) -> anyhow::Result<(Classifiers, String)> {
    let mut catalog = Catalog::builtin().context("loading the classifier catalog")?;
    let mut catalog_version = Catalog::version();
    if let Some(config) = config {
        config.apply(&mut catalog)?;
        catalog_version = format!("{catalog_version}+{}", config.version());
    }
    let mut classifiers = Classifiers::new(catalog).context("compiling the classifier catalog")?;
    if let Some(path) = model {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the SVM model {}", path.display()))?;
        classifiers = classifiers.with_documents(
            assay_classifiers::svm::DocumentClassifier::from_json(&text)
                .with_context(|| format!("loading the SVM model {}", path.display()))?,
        );
    }
    Ok((classifiers, catalog_version))
}

/// A temporary file in `--output`'s directory, to be renamed to it.
pub fn pending_output(path: &std::path::Path) -> anyhow::Result<tempfile::NamedTempFile> {
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
    if args.scope.include.is_empty() {
        args.scope.include = defaults.include.clone();
    }
    if args.scope.exclude.is_empty() {
        args.scope.exclude = defaults.exclude.clone();
    }
    args.scope.max_object_size = args.scope.max_object_size.or(defaults.max_object_size);
    args.scope.sample = args.scope.sample.or(defaults.sample);
    args.fail_at = args.fail_at.or(defaults.fail_at);
    args.jobs = args.jobs.or(defaults.jobs);
    if args.format.is_none() {
        if let Some(name) = &defaults.format {
            args.format = Some(
                Format::from_str(name, true)
                    .map_err(|e| anyhow::anyhow!("assay.toml: [scan] format: {e}"))?,
            );
        }
    }
    Ok(())
}

/// The report format asked for, or the default: a table on a terminal,
/// JSON Lines otherwise.
pub fn format_of(asked: Option<Format>, to_terminal: bool) -> Format {
    match asked {
        Some(format) => format,
        None if to_terminal => Format::Table,
        None => Format::Jsonl,
    }
}

pub fn terminal_width(to_terminal: bool) -> Option<u16> {
    if to_terminal { None } else { Some(160) }
}
