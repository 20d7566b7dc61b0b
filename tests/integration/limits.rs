//! Resource limits under attack (issue 22, point 2): hostile trees that
//! must end in a record with a clear error (or plain findings), in bounded
//! memory. Each scan runs as a child whose peak RSS is read from the kernel
//! (`/proc/PID/status`); times are not asserted (CI machines vary), the sizes are kept
//! small enough for CI, and `benches/limits.sh` runs the full-size ones (a
//! 1 GiB line, a 10 GiB sparse file, 10 million CloudTrail records).

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::{assay, tool};

/// A finished scan: its records, stderr, and peak resident memory.
struct Measured {
    success: bool,
    records: Vec<Value>,
    stdout: Vec<u8>,
    stderr: String,
    peak_rss_mb: u64,
}

/// Runs `command` with stdout and stderr in files, sampling its peak RSS
/// (`VmHWM`, the kernel's high-water mark) every few milliseconds until it
/// exits: the last sample is at most one interval short of the peak.
fn measured(mut command: Command, dir: &Path) -> Measured {
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("assay starts");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak_kb = peak_kb.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("wait for assay") {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(peak_kb > 0, "no memory figure read from {status_file}");
    let stdout = std::fs::read(&out_path).expect("stdout");
    let records = String::from_utf8_lossy(&stdout)
        .lines()
        // JSON Lines records; a pretty-printed report's lines are not.
        .filter(|l| l.starts_with('{') && l.ends_with('}'))
        .map(|l| serde_json::from_str(l).expect("a JSON Lines record"))
        .collect();
    Measured {
        success: status.success(),
        records,
        stdout,
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        peak_rss_mb: peak_kb / 1024,
    }
}

fn scan(dir: &Path, target: &Path, extra: &[&str]) -> Measured {
    let mut command = assay();
    command
        .args(["scan", "--format", "jsonl", "--jobs", "1"])
        .args(extra)
        .arg(target);
    let run = measured(command, dir);
    assert!(run.success, "scan failed: {}", run.stderr);
    // The figures docs/reliability.md quotes (`-- --nocapture` shows them).
    let names: Vec<&str> = run
        .records
        .iter()
        .filter_map(|r| r["uri"].as_str()?.rsplit('/').next())
        .take(3)
        .collect();
    eprintln!(
        "limits: scan of {names:?}...: {} records, peak RSS {} MB",
        run.records.len(),
        run.peak_rss_mb
    );
    run
}

fn record<'a>(run: &'a Measured, uri_end: &str) -> &'a Value {
    run.records
        .iter()
        .find(|r| r["uri"].as_str().is_some_and(|u| u.ends_with(uri_end)))
        .unwrap_or_else(|| panic!("no record for {uri_end}: {}", run.stderr))
}

fn error_kinds(record: &Value) -> Vec<String> {
    record["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str().map(str::to_string))
        .collect()
}

fn python(dir: &Path, script: &str) {
    let status = tool("python3")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "python3 failed");
}

#[test]
fn a_zip_of_100000_members_stops_at_the_entry_limit_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("tree")).expect("tree");
    python(
        dir.path(),
        "import zipfile\n\
         with zipfile.ZipFile('tree/many.zip', 'w', zipfile.ZIP_STORED) as z:\n\
         \x20   for i in range(100000): z.writestr('m/%06d.txt' % i, b'x')\n",
    );
    let run = scan(
        dir.path(),
        &dir.path().join("tree"),
        &["--max-archive-entries", "1000"],
    );
    let zip = record(&run, "many.zip");
    assert!(
        error_kinds(zip).contains(&"archive_limit".to_string()),
        "no archive_limit error: {zip}"
    );
    let message = zip["errors"].to_string();
    assert!(
        message.contains("1000"),
        "the error does not name the limit: {message}"
    );
    // 1,000 members, the archive, nothing past the limit.
    assert!(run.records.len() <= 1002, "{} records", run.records.len());
    assert!(run.records.len() >= 1000, "{} records", run.records.len());
    assert!(run.peak_rss_mb < 300, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn overlapping_zip_entries_are_stopped_by_the_expansion_budget() {
    // One deflated member of 8 MiB of zeros, and a central directory of
    // 2,000 entries that all point at it (a "non-recursive" zip bomb:
    // 16 GB from a few KB).
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("tree")).expect("tree");
    python(
        dir.path(),
        r#"import struct, zlib, binascii
data = bytes(8 << 20)
c = zlib.compressobj(9, zlib.DEFLATED, -15); body = c.compress(data) + c.flush()
crc = binascii.crc32(data)
local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 8, 0, 0, crc, len(body), len(data), 5, 0) + b'a.txt' + body
central = b''
for i in range(2000):
    name = b'f%05d.txt' % i
    central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 8, 0, 0, crc, len(body), len(data), len(name), 0, 0, 0, 0, 0, 0) + name
end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 2000, 2000, len(central), len(local), 0)
open('tree/overlap.zip', 'wb').write(local + central + end)
"#,
    );
    let run = scan(dir.path(), &dir.path().join("tree"), &[]);
    let zip = record(&run, "overlap.zip");
    let kinds = error_kinds(zip);
    assert!(
        kinds
            .iter()
            .any(|k| k == "archive_limit" || k == "corrupt_archive"),
        "overlapping entries neither stopped nor refused: {zip}"
    );
    // Each problem is said once per record (a member whose first read
    // fails used to get the same error twice).
    for record in &run.records {
        let errors = record["errors"].as_array().expect("errors");
        let distinct: std::collections::HashSet<String> =
            errors.iter().map(Value::to_string).collect();
        assert_eq!(distinct.len(), errors.len(), "repeated errors: {record}");
    }
    // Stopped at the ratio floor (64 MiB), far before 16 GB.
    assert!(run.records.len() < 100, "{} records", run.records.len());
    assert!(run.peak_rss_mb < 400, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn a_long_single_line_file_is_scanned_in_bounded_memory() {
    // 64 MiB without a newline, a made-up token at the very end (the full
    // 1 GiB is in benches/limits.sh).
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("tree")).expect("tree");
    let mut file = File::create(dir.path().join("tree/line.txt")).expect("file");
    let chunk = "abcdefghij0123456789".repeat(52_429);
    for _ in 0..64 {
        file.write_all(chunk.as_bytes()).expect("write");
    }
    file.write_all(b" token ghp_R8x2Lq9Vt4Zm7Kc1Wn5Hy3Jd6Pf0Gs2Ab4Cd")
        .expect("write");
    drop(file);
    let run = scan(dir.path(), &dir.path().join("tree"), &[]);
    let line = record(&run, "line.txt");
    assert!(
        line["size"].as_u64().is_some_and(|s| s > 64_000_000),
        "{line}"
    );
    assert!(error_kinds(line).is_empty(), "errors: {line}");
    let ids: Vec<&str> = line["regexes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(
        ids.iter().any(|id| id.contains("github")),
        "the token at the end was missed: {ids:?}"
    );
    assert!(run.peak_rss_mb < 300, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn json_nested_a_million_deep_is_read_without_exhausting_the_stack() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    let objects = format!("{}1{}", "{\"a\":".repeat(1_000_000), "}".repeat(1_000_000));
    std::fs::write(tree.join("deep.json"), &deep).expect("json");
    std::fs::write(tree.join("objects.json"), &objects).expect("json");
    std::fs::write(tree.join("deep.ipynb"), &objects).expect("notebook");
    std::fs::write(
        tree.join("deep.jsonl"),
        format!("{deep}\n{{\"password\":\"Xk82mQp4LzT7wN1c\"}}\n"),
    )
    .expect("jsonl");
    // And as CloudTrail input: a record nested a million deep.
    let trail = dir.path().join("trail.json");
    std::fs::write(&trail, format!("{{\"Records\":[{objects}]}}")).expect("trail");
    let trail_arg = trail.display().to_string();
    let run = scan(dir.path(), &tree, &["--cloudtrail", &trail_arg]);
    for name in ["deep.json", "objects.json", "deep.ipynb", "deep.jsonl"] {
        let found = record(&run, name);
        assert!(
            found["size"].as_u64().is_some_and(|s| s >= 2_000_000),
            "{name}: {found}"
        );
    }
    // The record after the deep one is still read.
    let jsonl = record(&run, "deep.jsonl");
    assert!(
        jsonl["regexes"].as_array().is_some_and(|r| !r.is_empty()),
        "the line after the deep one was not scanned: {jsonl}"
    );
    assert!(run.peak_rss_mb < 400, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn a_cloudtrail_file_of_200000_records_is_read_in_bounded_memory() {
    // JSON Lines, gzip, one object's worth of evidence repeated; the 10
    // million record run is in benches/limits.sh.
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    std::fs::write(tree.join("k1"), "hello\n").expect("object");
    python(
        dir.path(),
        r#"import gzip, json
with gzip.open('trail.json.gz', 'wt', compresslevel=1) as f:
    for i in range(200000):
        f.write(json.dumps({"eventVersion": "1.10", "eventTime": "2026-01-02T%02d:%02d:%02dZ" % (i // 3600 % 24, i // 60 % 60, i % 60),
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventID": "%032x" % i,
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u%d" % (i % 50), "accountId": "111122223333"},
            "sourceIPAddress": "203.0.113.%d" % (i % 250), "requestParameters": {"bucketName": "tree", "key": "k%d" % (i % 1000)}}) + "\n")
"#,
    );
    let trail = dir.path().join("trail.json.gz").display().to_string();
    let mut command = assay();
    command
        .args([
            "scan",
            "--format",
            "json",
            "--jobs",
            "1",
            "--cloudtrail",
            &trail,
        ])
        .arg(&tree);
    let run = measured(command, dir.path());
    assert!(run.success, "scan failed: {}", run.stderr);
    let report: Value = serde_json::from_slice(&run.stdout).expect("a JSON report");
    let input = &report["scan"]["inputs"][0];
    assert_eq!(input["events"].as_u64(), Some(200_000), "{input}");
    assert_eq!(input["problems"].as_u64(), Some(0), "{input}");
    // The object the events name has its statistics.
    let object = &report["objects"][0];
    assert!(object["access"].is_object(), "{object}");
    eprintln!(
        "limits: 200,000 CloudTrail records: peak RSS {} MB",
        run.peak_rss_mb
    );
    assert!(run.peak_rss_mb < 400, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn an_avro_header_declaring_a_huge_map_is_a_corrupt_document() {
    // Found by fuzzing: 500 bytes whose header map claims hundreds of
    // millions of entries made the Avro reader reserve 43 GB, and the
    // failed allocation aborted the whole scan.
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    let crash = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/crashes/avro/map-block-count-reserves-43-gb");
    std::fs::copy(crash, tree.join("payments.avro")).expect("copy");
    std::fs::write(tree.join("after.env"), "DB_PASSWORD=Xk82mQp4LzT7wN1c\n").expect("file");
    let run = scan(dir.path(), &tree, &[]);
    let avro = record(&run, "payments.avro");
    assert!(error_kinds(avro).contains(&"corrupt".to_string()), "{avro}");
    let message = avro["errors"].to_string();
    assert!(message.contains("allocate"), "{message}");
    // The scan went on.
    record(&run, "after.env");
    assert!(run.peak_rss_mb < 300, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn a_pdf_whose_form_xobjects_draw_each_other_ends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pdf/xobject-loop.pdf");
    std::fs::copy(seed, tree.join("loop.pdf")).expect("copy");
    let run = scan(dir.path(), &tree, &["--document-timeout", "20"]);
    let pdf = record(&run, "loop.pdf");
    assert!(
        !error_kinds(pdf).contains(&"document_limit".to_string()),
        "the loop ran into the time limit instead of being cut: {pdf}"
    );
    // The page's own text (a made-up Stripe key) is still found.
    assert!(
        pdf["regexes"].as_array().is_some_and(|r| !r.is_empty()),
        "{pdf}"
    );
    assert!(run.peak_rss_mb < 300, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn a_sparse_file_is_streamed_in_bounded_memory() {
    // 2 GiB of holes here; benches/limits.sh reads a 10 GiB one.
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    File::create(tree.join("sparse.bin"))
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    let run = scan(dir.path(), &tree, &[]);
    let sparse = record(&run, "sparse.bin");
    assert_eq!(sparse["size"].as_u64(), Some(2 << 30));
    assert!(error_kinds(sparse).is_empty(), "{sparse}");
    assert!(run.peak_rss_mb < 200, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn a_path_past_path_max_is_reported_not_a_crash() {
    // 17 directories of 250 bytes: the file's path is over 4 KiB, past
    // Linux's PATH_MAX, so it can only be reached relative to its parent.
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    // mkdir and chdir one relative step at a time: no call sees the whole
    // path, as no shell's `cd` would accept it.
    python(
        dir.path(),
        "import os\n\
         os.chdir('tree')\n\
         for _ in range(17): os.mkdir('d' * 250); os.chdir('d' * 250)\n\
         open('deep.env', 'w').write('DB_PASSWORD=Xk82mQp4LzT7wN1c\\n')\n",
    );
    std::fs::write(tree.join("near.txt"), "hello\n").expect("near");
    let run = scan(dir.path(), &tree, &[]);
    record(&run, "near.txt");
    // The directory whose path is too long to open is reported by name
    // with the system's reason; the scan goes on and ends normally.
    assert!(
        run.stderr.contains("unlistable") && run.stderr.contains("File name too long"),
        "the 4 KiB path was not reported: {}",
        run.stderr
    );
    assert!(run.peak_rss_mb < 200, "peak RSS {} MB", run.peak_rss_mb);
}

#[test]
fn names_with_control_characters_and_invalid_utf8_stay_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    let names: [&[u8]; 4] = [
        b"line\nbreak.env",
        b"\x1b[31mred\x1b[0m.env",
        b"bad\xff\xfeutf8.env",
        b"tab\tand\rcarriage.env",
    ];
    for name in names {
        std::fs::write(
            tree.join(std::ffi::OsStr::from_bytes(name)),
            "DB_PASSWORD=Xk82mQp4LzT7wN1c\n",
        )
        .expect("file");
    }
    let run = scan(dir.path(), &tree, &[]);
    // Every file has its record: JSON escapes what a name holds.
    assert_eq!(run.records.len(), names.len(), "{}", run.stderr);
    for record in &run.records {
        assert!(
            record["regexes"].as_array().is_some_and(|r| !r.is_empty()),
            "{record}"
        );
    }
    // The table a terminal shows, and the log, never pass an escape
    // sequence of a name through (CSV and JSON are data: JSON escapes
    // control characters, CSV quotes them as they are).
    for format in ["table", "csv"] {
        let mut command = assay();
        command.args(["scan", "--format", format]).arg(&tree);
        let run = measured(command, dir.path());
        assert!(run.success, "--format {format}: {}", run.stderr);
        assert!(
            (format != "table" || !run.stdout.contains(&0x1b)) && !run.stderr.contains('\x1b'),
            "--format {format} passes a raw ESC from a file name to the terminal"
        );
    }
}
