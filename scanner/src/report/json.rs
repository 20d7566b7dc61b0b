//! `--format json`: the whole report as one JSON document.

use super::Report;

pub fn write_json(out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
