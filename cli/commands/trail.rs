//! `assay trail verify`: CloudTrail log file integrity, file by file.

use std::io::Write;

use anyhow::Context;
use assay_scanner::access::digest::{self, PublicKeys, Verdict};
use comfy_table::{Table, presets::NOTHING};

use crate::args::{RulesFormat, TrailVerifyArgs};
use crate::{EXIT_OK, EXIT_THRESHOLD};

pub fn verify(args: TrailVerifyArgs) -> anyhow::Result<u8> {
    let keys = PublicKeys::load(&args.public_keys).context("loading --public-key")?;
    // An S3 location is mirrored first, keeping each digest's signature
    // metadata beside it.
    let mirror;
    let root = match assay_scanner::source::s3::parse_uri(&args.source) {
        Some((bucket, prefix)) => {
            let client = assay_scanner::source::s3::S3Client::new(&args.s3.options())?;
            mirror =
                tempfile::tempdir().context("creating a directory for the downloaded trail")?;
            client
                .mirror(&bucket, &prefix, mirror.path())
                .with_context(|| format!("downloading {}", args.source))?;
            mirror.path().to_path_buf()
        }
        None => std::path::PathBuf::from(&args.source),
    };
    std::fs::metadata(&root)
        .with_context(|| format!("{} does not exist or cannot be read", args.source))?;
    let report = digest::verify(&root, &keys);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        RulesFormat::Json => {
            let document = serde_json::json!({ "status": report.status(), "files": report.files });
            serde_json::to_writer_pretty(&mut out, &document)?;
            writeln!(out)?;
        }
        RulesFormat::Table => {
            let mut table = Table::new();
            table
                .load_preset(NOTHING)
                .set_header(["VERDICT", "KIND", "FILE", "WHY"]);
            for file in &report.files {
                let verdict = match file.verdict {
                    Verdict::Valid => "valid",
                    Verdict::Invalid => "INVALID",
                    Verdict::Missing => "MISSING",
                    Verdict::Unverifiable => "unverifiable",
                };
                table.add_row([verdict, file.kind, file.file.as_str(), file.reason.as_str()]);
            }
            writeln!(out, "{table}")?;
            writeln!(
                out,
                "{}: {} files checked",
                report.status(),
                report.files.len()
            )?;
        }
    }
    Ok(if report.tampered() {
        EXIT_THRESHOLD
    } else {
        EXIT_OK
    })
}
