//! The fuzz targets: one function per parser of untrusted bytes, each
//! checking more than "no panic" where it can (redacted findings never show
//! more than the redaction rule allows, outputs stay bounded, errors name
//! what went wrong without quoting the input at length).
//!
//! This file is compiled twice: into the `assay-fuzz` crate (the libFuzzer
//! driver, `fuzz/src/bin/fuzz.rs`) and, through `#[path]`, into the main
//! workspace's `fuzz_replay` test, which replays every committed corpus and
//! crash input (`fuzz/corpus/TARGET/`, `fuzz/crashes/TARGET/`) through
//! the same functions without instrumentation.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use assay_classifiers::{Catalog, Classification, Classifiers};
use assay_scanner::access::{TimeWindow, cloudtrail, digest, s3log};
use assay_scanner::archive::{self, Budget};
use assay_scanner::baseline::Baseline;
use assay_scanner::config::Config;
use assay_scanner::document::{self, Format};
use assay_scanner::inventory::{self, DataFile, InventoryFormat, Manifest};
use assay_scanner::pipeline;
use assay_scanner::record::{Change, ErrorKind, ObjectRecord};
use assay_scanner::source::{Location, ObjectRef};
use assay_scanner::state::State;

/// A fuzz target: its name (the corpus folder) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, in the order `fuzz/run.sh all` runs them.
pub const TARGETS: &[Target] = &[
    ("content_type", content_type),
    ("object", object),
    ("archive", archive_walk),
    ("pipeline", pipeline_object),
    ("office", office),
    ("legacy_office", legacy_office),
    ("pdf", pdf),
    ("rtf", rtf),
    ("mail", mail),
    ("parquet", parquet),
    ("avro", avro),
    ("sqlite", sqlite),
    ("notebook", notebook),
    ("csv", csv),
    ("json", json),
    ("cloudtrail", cloudtrail_file),
    ("s3log", s3_access_log),
    ("digest", digest_files),
    ("config", config),
    ("baseline", baseline),
    ("state", state_db),
    ("inventory_manifest", inventory_manifest),
    ("inventory_data", inventory_data),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The builtin classifiers, compiled once per process.
fn classifiers() -> &'static Classifiers {
    static CLASSIFIERS: OnceLock<Classifiers> = OnceLock::new();
    CLASSIFIERS.get_or_init(|| Classifiers::builtin().expect("the builtin catalog compiles"))
}

/// A scratch directory per process (files some parsers only read by path).
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        // /dev/shm keeps the per-input file writes off the disk.
        let shm = Path::new("/dev/shm");
        let builder = tempfile::Builder::new()
            .prefix("assay-fuzz")
            .tempdir_in(shm);
        builder.unwrap_or_else(|_| tempfile::tempdir().expect("a temporary directory"))
    })
    .path()
}

/// Writes `data` to `name` in the scratch directory, replacing what was there.
fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("scratch directories");
    }
    std::fs::write(&path, data).expect("scratch file written");
    path
}

/// Longest message a parser error may carry: errors name the problem and
/// where, they do not quote the input back.
const MAX_MESSAGE: usize = 2048;

fn check_message(what: &str, message: &str) {
    assert!(
        message.len() <= MAX_MESSAGE,
        "{what}: a {}-byte error message (they should say what and where, not quote input)",
        message.len()
    );
}

/// The redaction rule (README "Secrets never appear in full"): at most the
/// first four characters, a quarter of short secrets, then `…(N chars)`.
pub fn check_redacted(id: &str, redacted: &str) {
    let Some((prefix, rest)) = redacted.split_once('…') else {
        panic!(
            "{id}: redacted text without the ellipsis: {} chars",
            redacted.len()
        );
    };
    let count: usize = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(" chars)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{id}: redacted text does not end in (N chars)"));
    let shown = prefix.chars().count();
    assert!(
        shown <= (count / 4).min(4),
        "{id}: redaction shows {shown} of {count} characters"
    );
    assert!(
        !prefix.chars().any(char::is_control),
        "{id}: control characters in a redacted prefix"
    );
}

/// What every classification must satisfy.
fn check_classification(found: &Classification) {
    for regex in &found.regexes {
        check_redacted(&regex.id, &regex.redacted);
        assert!(regex.count >= 1, "{}: a finding counted 0 times", regex.id);
        assert!(
            regex.locations.len() <= assay_classifiers::object::MAX_LOCATIONS,
            "{}: {} locations kept",
            regex.id,
            regex.locations.len()
        );
        assert!(
            (1..=10).contains(&regex.risk),
            "{}: risk {}",
            regex.id,
            regex.risk
        );
    }
}

/// What every record must satisfy.
fn check_record(record: &ObjectRecord) {
    for regex in &record.regexes {
        check_redacted(&regex.id, &regex.redacted);
        assert!(regex.locations.len() <= assay_classifiers::object::MAX_LOCATIONS);
    }
    assert!(
        (1..=10).contains(&record.risk),
        "{}: risk {}",
        record.uri,
        record.risk
    );
    for error in &record.errors {
        check_message(&record.uri, &error.message);
    }
}

/// Content sniffing: deterministic, and the same whatever follows the head.
fn content_type(data: &[u8]) {
    let classifiers = classifiers();
    let head = &data[..data.len().min(assay_classifiers::content_type::HEAD_LEN)];
    let sniffed = classifiers.sniff(data, "fuzz.bin");
    assert_eq!(sniffed, classifiers.sniff(head, "fuzz.bin"));
    assert!(!sniffed.mime.is_empty());
    let named = classifiers.sniff(data, "fuzz.json");
    assert!(!named.mime.is_empty());
}

/// The whole object classifier on arbitrary bytes, fed in pieces whose
/// sizes the input's first byte chooses; what it finds matches feeding the
/// same bytes at once.
fn object(data: &[u8]) {
    let classifiers = classifiers();
    let (piece, body) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first).max(1) * 97, rest),
        None => (1, data),
    };
    let mut whole = classifiers.object("fuzz/config.env");
    whole.feed(body);
    let whole = whole.finish();
    check_classification(&whole);
    let mut pieces = classifiers.object("fuzz/config.env");
    for chunk in body.chunks(piece) {
        pieces.feed(chunk);
    }
    let pieces = pieces.finish();
    check_classification(&pieces);
    assert_eq!(whole.bytes, pieces.bytes);
    assert_eq!(whole.content_type, pieces.content_type);
}

/// Small archive limits, so a bomb is caught in milliseconds.
fn archive_limits() -> archive::Limits {
    archive::Limits {
        max_depth: 4,
        max_entries: 2_000,
        max_bytes: 32 << 20,
        max_ratio: 100,
        ratio_floor: 1 << 20,
    }
}

/// The archive walker: every format (recognised by magic, or chosen by the
/// first byte when none is), members read to the end, nested archives
/// walked as the pipeline does, all against one budget.
fn archive_walk(data: &[u8]) {
    const FORMATS: [archive::Format; 6] = [
        archive::Format::Zip,
        archive::Format::Tar,
        archive::Format::Gzip,
        archive::Format::Bzip2,
        archive::Format::Xz,
        archive::Format::Zstd,
    ];
    let format = archive::Format::detect(data)
        .unwrap_or(FORMATS[usize::from(data.first().copied().unwrap_or(0)) % FORMATS.len()]);
    let limits = archive_limits();
    let budget = Budget::new(limits, data.len() as u64);
    let mut members = 0u64;
    walk_level(format, data, "fuzz.bin", &budget, 0, &mut members);
    assert!(
        members <= limits.max_entries + 1,
        "{members} members visited past the {}-entry limit",
        limits.max_entries
    );
}

fn walk_level(
    format: archive::Format,
    data: &[u8],
    name: &str,
    budget: &Budget,
    depth: u32,
    members: &mut u64,
) {
    let input = archive::Input::Stream(Box::new(Cursor::new(data)));
    let result = archive::walk(format, input, name, budget, &mut |member| {
        *members += 1;
        assert!(
            member.path.len() <= 64 * 1024,
            "a member path of {} bytes",
            member.path.len()
        );
        if let archive::Content::Stream(stream) = member.content {
            let mut bytes = Vec::new();
            // A member's bytes are metered by the budget; past it the read fails.
            let _ = stream.take(64 << 20).read_to_end(&mut bytes);
            if depth + 1 < budget.limits().max_depth {
                if let Some(inner) = archive::Format::detect(&bytes) {
                    walk_level(inner, &bytes, &member.path, budget, depth + 1, members);
                }
            }
        }
    });
    if let Err(error) = result {
        check_message("archive", &error.to_string());
        let _ = ErrorKind::from(&error);
    }
}

/// The whole pipeline on one object: sniffing, archives, documents, nested.
/// The first byte picks the object's name (names decide CSV, JSON and
/// notebooks); the rest is the object.
fn pipeline_object(data: &[u8]) {
    const NAMES: [&str; 12] = [
        "fuzz.bin",
        "fuzz.zip",
        "fuzz.tar.gz",
        "fuzz.docx",
        "fuzz.pdf",
        "fuzz.eml",
        "fuzz.csv",
        "fuzz.json",
        "fuzz.ipynb",
        "fuzz.xlsx",
        "fuzz.sqlite",
        "fuzz.jsonl",
    ];
    let (name, body) = match data.split_first() {
        Some((first, rest)) => (NAMES[usize::from(*first) % NAMES.len()], rest),
        None => (NAMES[0], data),
    };
    let path = scratch_file(name, body);
    let object = ObjectRef {
        uri: path.display().to_string(),
        name: name.to_string(),
        size: body.len() as u64,
        etag: None,
        version_id: None,
        last_modified: None,
        location: Location::File(path.clone()),
        bucket_key: None,
    };
    let limits = pipeline::Limits {
        archives: archive_limits(),
        documents: document_limits(),
    };
    let mut records = 0u64;
    pipeline::classify_object(classifiers(), &object, &limits, &mut |record| {
        records += 1;
        check_record(&record);
    });
    assert!(records >= 1, "the object itself gets a record");
    assert!(
        records <= limits.archives.max_entries + 2,
        "{records} records"
    );
}

fn document_limits() -> document::Limits {
    document::Limits {
        max_bytes: 16 << 20,
        max_text: 32 << 20,
        timeout: Duration::from_secs(10),
    }
}

/// One document extractor: the format the pipeline would pick from the
/// sniffed type and `name` when it is one of `family`, else `fallback`.
fn extract(data: &[u8], name: &str, family: &[Format], fallback: (Format, &'static str)) {
    let classifiers = classifiers();
    let sniffed = classifiers.sniff(data, name);
    let (format, mime) = match Format::recognise(sniffed.mime, name) {
        Some(format) if family.contains(&format) => (format, format.media_type(sniffed.mime, name)),
        _ => fallback,
    };
    let limits = document_limits();
    let mut classifier = classifiers.document(name, mime);
    let mut text = document::Text::new(&mut classifier, limits);
    let mut stream = Cursor::new(data);
    let mut embedded = 0u64;
    let outcome = document::extract(
        format,
        mime,
        document::Input::Stream(&mut stream),
        &mut text,
        &mut |file| {
            embedded += 1;
            let _ = std::io::copy(&mut file.content.take(64 << 20), &mut std::io::sink());
        },
    );
    match outcome {
        document::Outcome::Extracted { result, bytes } => {
            assert!(
                bytes <= data.len() as u64,
                "{bytes} bytes read of {}",
                data.len()
            );
            if let Err(error) = result {
                check_message(format.name(), &error.to_string());
                let _ = ErrorKind::from(&error);
            }
        }
        document::Outcome::TooLarge(_) => {
            assert!(
                data.len() as u64 > limits.max_bytes,
                "a small document called too large"
            );
        }
    }
    assert!(
        embedded <= data.len() as u64,
        "{embedded} attachments from {} bytes",
        data.len()
    );
    check_classification(&classifier.finish());
}

fn office(data: &[u8]) {
    extract(
        data,
        "fuzz",
        &[
            Format::Word,
            Format::Presentation,
            Format::OpenDocument,
            Format::Spreadsheet,
        ],
        (
            Format::Word,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    );
}

fn legacy_office(data: &[u8]) {
    extract(
        data,
        "fuzz",
        &[Format::LegacyWord, Format::Spreadsheet],
        (Format::LegacyWord, "application/msword"),
    );
}

fn pdf(data: &[u8]) {
    extract(data, "fuzz.pdf", &[], (Format::Pdf, "application/pdf"));
}

fn rtf(data: &[u8]) {
    extract(data, "fuzz.rtf", &[], (Format::Rtf, "application/rtf"));
}

fn mail(data: &[u8]) {
    extract(data, "fuzz.eml", &[], (Format::Mail, "message/rfc822"));
}

fn parquet(data: &[u8]) {
    extract(
        data,
        "fuzz.parquet",
        &[],
        (Format::Parquet, "application/vnd.apache.parquet"),
    );
}

fn avro(data: &[u8]) {
    extract(data, "fuzz.avro", &[], (Format::Avro, "application/avro"));
}

fn sqlite(data: &[u8]) {
    extract(
        data,
        "fuzz.sqlite",
        &[],
        (Format::Sqlite, "application/vnd.sqlite3"),
    );
}

fn notebook(data: &[u8]) {
    extract(
        data,
        "fuzz.ipynb",
        &[],
        (Format::Notebook, "application/x-ipynb+json"),
    );
}

fn csv(data: &[u8]) {
    extract(data, "fuzz.csv", &[], (Format::Csv, "text/csv"));
}

fn json(data: &[u8]) {
    extract(data, "fuzz.json", &[], (Format::Json, "application/json"));
}

fn check_read_report(report: &assay_scanner::access::ReadReport) {
    assert_eq!(report.files, 1);
    for problem in &report.problems {
        check_message(&problem.location, &problem.message);
    }
}

/// A CloudTrail log file (JSON, or gzip by magic).
fn cloudtrail_file(data: &[u8]) {
    let path = scratch_file("cloudtrail.json", data);
    let mut events = 0u64;
    let report = cloudtrail::read(&[path], TimeWindow::default(), &mut |event| {
        events += 1;
        assert!(!event.operation.is_empty(), "an event without an operation");
    });
    assert_eq!(report.events, events);
    check_read_report(&report);
}

/// An S3 server access log file.
fn s3_access_log(data: &[u8]) {
    let path = scratch_file("access.log", data);
    let mut events = 0u64;
    let report = s3log::read(&[path], TimeWindow::default(), &mut |_| events += 1);
    assert_eq!(report.events, events);
    check_read_report(&report);
    if data.first() != Some(&0x1f) {
        // A problem or an event per line at most.
        let lines = data.split(|b| *b == b'\n').count() as u64;
        assert!(
            report.problems.len() as u64 <= lines,
            "{} problems from {lines} lines",
            report.problems.len()
        );
        let lines = data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64;
        assert!(events <= lines, "{events} events from {lines} lines");
    }
}

/// A key file for the digest target, made once: a 1024-bit RSA key is
/// plenty to exercise the code and quick to generate.
fn digest_keys() -> &'static digest::PublicKeys {
    static KEYS: OnceLock<digest::PublicKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let path = scratch_file("keys.pem", include_bytes!("../digest-key.pem"));
        digest::PublicKeys::load(&[path]).expect("the committed test key loads")
    })
}

/// A trail copy: the input is a digest's JSON, then optionally (after a
/// line `--`) its `.sig` sidecar and (after another) a log file it covers.
fn digest_files(data: &[u8]) {
    let mut parts = split_parts(data);
    let digest_json = parts.next().unwrap_or_default();
    let signature = parts.next();
    let log = parts.next();
    let root = scratch().join("trail");
    let _ = std::fs::remove_dir_all(&root);
    let dir = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02";
    let name = format!(
        "{dir}/111122223333_CloudTrail-Digest_us-east-1_fuzz_us-east-1_20260102T000000Z.json.gz"
    );
    let digest_path = scratch_file(&format!("trail/{name}"), &gzip(digest_json));
    if let Some(signature) = signature {
        let mut sig = digest_path.clone().into_os_string();
        sig.push(".sig");
        std::fs::write(sig, signature).expect("signature sidecar");
    }
    if let Some(log) = log {
        scratch_file(
            "trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0000Z_fuzz.json.gz",
            &gzip(log),
        );
    }
    // Public key files are parsed as well (PEM, DER or list-public-keys JSON).
    let keys_path = scratch_file("fuzz-keys", digest_json);
    let _ = digest::PublicKeys::load(&[keys_path]);
    let report = digest::verify(&root, digest_keys());
    let _ = report.status();
    let _ = report.tampered();
}

fn split_parts(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    const SEPARATOR: &[u8] = b"\n--\n";
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match current
            .windows(SEPARATOR.len())
            .position(|w| w == SEPARATOR)
        {
            Some(at) => {
                rest = Some(&current[at + SEPARATOR.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// `assay.toml`: parsed, then applied to the builtin catalog, which must
/// still check (or the error says where).
fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| Catalog::builtin().expect("the builtin catalog"));
    match Config::parse(text, Path::new("assay.toml")) {
        Ok(config) => {
            let _ = config.version();
            let mut catalog = catalog.clone();
            match config.apply(&mut catalog) {
                Ok(()) => {
                    if let Err(error) = catalog.check() {
                        check_message("assay.toml", &error.to_string());
                    }
                }
                Err(error) => check_message("assay.toml", &error.to_string()),
            }
        }
        Err(error) => check_message("assay.toml", &error.to_string()),
    }
}

/// A baseline file (a SARIF or JSON report), then applied to a record.
fn baseline(data: &[u8]) {
    let path = scratch_file("baseline.json", data);
    match Baseline::load(&path) {
        Ok(baseline) => {
            let mut record = sample_record();
            let before = record.regexes.len() as u64;
            let accepted = baseline.apply(&mut record);
            assert!(accepted <= before);
        }
        Err(error) => check_message("baseline", &error.to_string()),
    }
}

/// A record with one finding, classified from a made-up token.
fn sample_record() -> ObjectRecord {
    let path = scratch_file(
        "sample.env",
        b"GITHUB_TOKEN=ghp_Qx7vT2mLk9RwZ4bN8cYp3HsD6fJa1Ge5UiOq\n",
    );
    let object = sample_object(&path);
    let mut records = Vec::new();
    pipeline::classify_object(
        classifiers(),
        &object,
        &pipeline::Limits::default(),
        &mut |r| records.push(r),
    );
    records.pop().expect("a record")
}

fn sample_object(path: &Path) -> ObjectRef {
    ObjectRef {
        uri: path.display().to_string(),
        name: "sample.env".into(),
        size: 56,
        etag: Some("\"0123\"".into()),
        version_id: None,
        last_modified: None,
        location: Location::File(path.to_path_buf()),
        bucket_key: None,
    }
}

/// The state database: whatever bytes the file holds, opening, looking up,
/// storing and finishing either work or fail with a typed error.
fn state_db(data: &[u8]) {
    let path = scratch().join("state.db");
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut side = path.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    std::fs::write(&path, data).expect("state file");
    let target = vec![scratch().display().to_string()];
    let state = match State::open(&path, &target, "catalog", "model") {
        Ok(state) => state,
        Err(error) => return check_message("state", &error.to_string()),
    };
    let sample = scratch_file("sample.env", b"nothing here\n");
    let object = sample_object(&sample);
    if let Err(error) = state.lookup(&object) {
        return check_message("state", &error.to_string());
    }
    let record = {
        let mut records = Vec::new();
        pipeline::classify_object(
            classifiers(),
            &object,
            &pipeline::Limits::default(),
            &mut |r| records.push(r),
        );
        records
    };
    if let Err(error) = state.store(&object, &record, Change::New) {
        return check_message("state", &error.to_string());
    }
    if let Err(error) = state.finish(&target) {
        check_message("state", &error.to_string());
    }
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

/// An inventory `manifest.json`, checked against its own MD5 (and refused
/// against another).
fn inventory_manifest(data: &[u8]) {
    let checksum = md5_hex(data);
    match Manifest::parse(data, checksum.as_bytes()) {
        Ok(manifest) => {
            for file in &manifest.files {
                assert!(!file.key.is_empty(), "a data file without a key");
            }
            assert!(
                Manifest::parse(data, md5_hex(b"another file").as_bytes()).is_err(),
                "a manifest accepted against the wrong checksum"
            );
        }
        Err(error) => check_message("manifest", &error.to_string()),
    }
}

/// An inventory data file (Parquet by magic, else CSV, gzipped here when it
/// is not already), read against a manifest that lists it.
fn inventory_data(data: &[u8]) {
    let parquet = data.starts_with(b"PAR1");
    let (bytes, key, format, schema) = if parquet {
        (
            data.to_vec(),
            "data/fuzz.parquet",
            InventoryFormat::Parquet,
            "bucket, key, version_id, is_latest, is_delete_marker, size, last_modified_date, e_tag",
        )
    } else {
        (
            if data.starts_with(&[0x1f, 0x8b]) {
                data.to_vec()
            } else {
                gzip(data)
            },
            "data/fuzz.csv.gz",
            InventoryFormat::Csv,
            "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag",
        )
    };
    let manifest = Manifest {
        source_bucket: "source".into(),
        destination_bucket: "destination".into(),
        version: "2016-11-30".into(),
        creation_timestamp_ms: 1_767_225_600_000,
        file_format: format,
        file_schema: schema.split(", ").map(str::to_string).collect(),
        files: vec![DataFile {
            key: key.into(),
            size: bytes.len() as u64,
            md5: md5_hex(&bytes),
        }],
    };
    let path = scratch_file("inventory.data", &bytes);
    let mut rows = 0u64;
    let result = inventory::read_data_file(&manifest, &manifest.files[0], &path, &mut |row| {
        rows += 1;
        let _ = row.unreadable();
        Ok(())
    });
    match result {
        Ok(n) => assert_eq!(n, rows),
        Err(error) => check_message("inventory", &error.to_string()),
    }
}
