//! `assay scan`: classify targets, write the report, apply `--fail-at`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, bail};
use assay_classifiers::{Catalog, Classifiers};
use assay_scanner::pipeline::{self, Event};
use assay_scanner::record::Summary;
use assay_scanner::report::{self, Format, Report, ScanInfo, Tool};
use assay_scanner::source::local::{self, WalkOptions};

use crate::args::{ScanArgs, ScanFormat};
use crate::{EXIT_OK, EXIT_THRESHOLD};

pub fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let started = SystemTime::now();
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = match args.format {
        Some(ScanFormat::Table) => Format::Table,
        Some(ScanFormat::Jsonl) => Format::Jsonl,
        Some(ScanFormat::Json) => Format::Json,
        Some(ScanFormat::Csv) => Format::Csv,
        None if to_terminal => Format::Table,
        None => Format::Jsonl,
    };
    let mut paths = Vec::new();
    for target in &args.targets {
        if target.starts_with("s3://") {
            bail!("{target}: S3 targets are not supported by this build yet; scan a local copy");
        }
        let path = PathBuf::from(target);
        std::fs::symlink_metadata(&path)
            .with_context(|| format!("target {target} does not exist or cannot be read"))?;
        paths.push(path);
    }
    let classifiers = Classifiers::builtin().context("compiling the classifier catalog")?;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );

    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };

    let mut summary = Summary::default();
    let mut objects = Vec::new();
    let mut issues = Vec::new();
    let mut write_error = None;
    let objects_source = local::walk(
        paths,
        WalkOptions {
            follow_symlinks: args.follow,
        },
    );
    pipeline::run(&classifiers, objects_source, jobs, |event| match event {
        Event::Object(record) => {
            summary.add(&record);
            if format == Format::Jsonl {
                if write_error.is_none() {
                    write_error = report::write_jsonl_record(&mut out, &record).err();
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
    })?;
    if let Some(error) = write_error {
        return Err(error).context("writing the report");
    }
    objects.sort_by(|a, b| a.uri.cmp(&b.uri));
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
            catalog_version: Catalog::version(),
            model_version: None,
            inputs: Vec::new(),
            fail_at: args.fail_at,
        },
        summary,
        buckets: Vec::new(),
        objects,
        identities: Vec::new(),
        errors: issues,
    };
    let written = match format {
        Format::Jsonl => Ok(()),
        Format::Json => report::write_json(&mut out, &report),
        Format::Csv => report::write_csv(&mut out, &report),
        Format::Table => report::write_table(&mut out, &report, terminal_width(to_terminal)),
    };
    written
        .and_then(|()| out.flush())
        .context("writing the report")?;
    if !args.quiet && format != Format::Table {
        eprintln!("assay: {}", report.summary);
    }
    let reached = args
        .fail_at
        .is_some_and(|threshold| report.summary.max_risk >= threshold);
    Ok(if reached { EXIT_THRESHOLD } else { EXIT_OK })
}

fn terminal_width(to_terminal: bool) -> Option<u16> {
    if to_terminal { None } else { Some(160) }
}
