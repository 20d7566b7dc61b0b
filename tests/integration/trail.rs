//! `assay trail verify` on trail copies the tests build: log files and a
//! chain of digests signed with an RSA key that openssl generates, in AWS's
//! data-to-sign format. Every kind of tampering must be caught; an
//! untouched chain passes.

use std::io::Write;
use std::path::{Path, PathBuf};

use md5::Digest as _;

use crate::util::*;

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "trail-bucket";

fn gzip(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap();
}

fn openssl(args: &[&str]) {
    let status = tool("openssl")
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(status.success(), "openssl {args:?}");
}

/// Builds a trail copy under `root`; returns the public key's path.
pub(crate) fn build_trail(root: &Path) -> PathBuf {
    build_trail_with(root, None)
}

/// `restart_at`: the hour whose digest starts a new chain (a gap).
fn build_trail_with(root: &Path, restart_at: Option<usize>) -> PathBuf {
    let key = root.join("key.pem");
    let public = root.join("public.pem");
    openssl(&["genrsa", "-out", key.to_str().unwrap(), "2048"]);
    openssl(&[
        "rsa",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    let der = root.join("public.der");
    openssl(&[
        "rsa",
        "-pubin",
        "-in",
        public.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        der.to_str().unwrap(),
    ]);
    let fingerprint = hex::encode(md5::Md5::digest(std::fs::read(&der).unwrap()));
    let trail = root.join("trail");
    let mut previous: Option<(String, String, String)> = None; // object, sha256, signature
    for hour in 0..3 {
        let log_key = format!(
            "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/02/{ACCOUNT}_CloudTrail_us-east-1_20261102T0{hour}05Z_Ab3dEf6hIj9kLm2n.json.gz"
        );
        let log = serde_json::json!({"Records": [{"eventVersion": "1.10", "eventID": format!("e{hour}"), "eventName": "GetObject", "eventSource": "s3.amazonaws.com",
            "eventTime": format!("2026-11-02T0{hour}:01:00Z"), "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{ACCOUNT}:user/ana")},
            "requestParameters": {"bucketName": "data", "key": "report.csv"}}]});
        let log_bytes = serde_json::to_vec(&log).unwrap();
        gzip(&trail.join(&log_key), &log_bytes);
        if restart_at == Some(hour) {
            previous = None;
        }
        let end = format!("2026-11-02T0{}:00:00Z", hour + 1);
        let digest_key = format!(
            "AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/02/{ACCOUNT}_CloudTrail-Digest_us-east-1_demo_us-east-1_20261102T0{}0000Z.json.gz",
            hour + 1
        );
        let (prev_object, prev_hash, prev_sig) = match &previous {
            Some((o, h, s)) => (
                serde_json::json!(o),
                serde_json::json!(h),
                serde_json::json!(s),
            ),
            None => (
                serde_json::Value::Null,
                serde_json::Value::Null,
                serde_json::Value::Null,
            ),
        };
        let digest = serde_json::json!({
            "awsAccountId": ACCOUNT, "digestStartTime": format!("2026-11-02T0{hour}:00:00Z"), "digestEndTime": end,
            "digestS3Bucket": BUCKET, "digestS3Object": digest_key, "digestPublicKeyFingerprint": fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": null, "oldestEventTime": null,
            "previousDigestS3Bucket": previous.as_ref().map(|_| BUCKET), "previousDigestS3Object": prev_object,
            "previousDigestHashValue": prev_hash, "previousDigestHashAlgorithm": previous.as_ref().map(|_| "SHA-256"),
            "previousDigestSignature": prev_sig,
            "logFiles": [{"s3Bucket": BUCKET, "s3Object": log_key, "hashValue": hex::encode(sha2::Sha256::digest(&log_bytes)), "hashAlgorithm": "SHA-256"}]
        });
        let bytes = serde_json::to_vec(&digest).unwrap();
        gzip(&trail.join(&digest_key), &bytes);
        let sha = hex::encode(sha2::Sha256::digest(&bytes));
        let to_sign = format!(
            "{end}\n{BUCKET}/{digest_key}\n{sha}\n{}",
            previous.as_ref().map_or("null", |p| p.2.as_str())
        );
        let data = root.join("to-sign.txt");
        std::fs::write(&data, to_sign).unwrap();
        let sig = root.join("sig.bin");
        openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            key.to_str().unwrap(),
            "-out",
            sig.to_str().unwrap(),
            data.to_str().unwrap(),
        ]);
        let signature = hex::encode(std::fs::read(&sig).unwrap());
        if hour == 2 {
            // The newest digest's own signature, as kept from x-amz-meta-signature.
            std::fs::write(trail.join(format!("{digest_key}.sig")), &signature).unwrap();
        }
        previous = Some((digest_key, sha, signature));
    }
    public
}

fn verify(root: &Path, public: &Path) -> (Option<i32>, serde_json::Value) {
    let output = run(&[
        "trail",
        "verify",
        root.join("trail").to_str().unwrap(),
        "--public-key",
        public.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), report)
}

fn verdicts(report: &serde_json::Value, verdict: &str) -> Vec<String> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] == verdict)
        .map(|f| format!("{} {}", f["kind"], f["file"]))
        .collect()
}

fn logs_dir(root: &Path) -> PathBuf {
    root.join(format!(
        "trail/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/02"
    ))
}

fn digests_dir(root: &Path) -> PathBuf {
    root.join(format!(
        "trail/AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/02"
    ))
}

fn first_file(dir: &Path, contains: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().contains(contains) && p.extension().is_some_and(|e| e == "gz")
        })
        .collect();
    files.sort();
    files.remove(0)
}

#[test]
fn an_untouched_chain_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["status"], "verified", "{report:#}");
    assert_eq!(
        verdicts(&report, "valid")
            .iter()
            .filter(|v| v.starts_with("\"digest\""))
            .count(),
        3
    );
    assert_eq!(
        verdicts(&report, "valid")
            .iter()
            .filter(|v| v.starts_with("\"log\""))
            .count(),
        3
    );
}

#[test]
fn a_restarted_chain_is_reported_as_a_gap_not_as_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail_with(dir.path(), Some(2));
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["status"], "unverifiable");
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["reason"].as_str().unwrap().starts_with("gap:")),
        "{report:#}"
    );
}

#[test]
fn an_edited_log_file_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    let log = first_file(&logs_dir(dir.path()), "T00");
    gzip(&log, br#"{"Records": []}"#);
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(1));
    assert_eq!(report["status"], "tampered");
    assert_eq!(verdicts(&report, "invalid").len(), 1, "{report:#}");
}

#[test]
fn a_removed_log_file_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    std::fs::remove_file(first_file(&logs_dir(dir.path()), "T01")).unwrap();
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(1));
    assert_eq!(verdicts(&report, "missing").len(), 1, "{report:#}");
}

#[test]
fn a_forged_digest_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    // Rewrite the middle digest to hide a log file, without the private key.
    let digest = first_file(&digests_dir(dir.path()), "T02");
    let mut decoder = flate2::read::GzDecoder::new(std::fs::File::open(&digest).unwrap());
    let mut text = String::new();
    std::io::Read::read_to_string(&mut decoder, &mut text).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["logFiles"] = serde_json::json!([]);
    gzip(&digest, &serde_json::to_vec(&json).unwrap());
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(1));
    let invalid = verdicts(&report, "invalid");
    assert!(
        invalid
            .iter()
            .any(|v| v.contains("digest") && v.contains("T020000Z")),
        "{report:#}"
    );
    assert!(
        invalid.iter().any(|v| v.starts_with("\"chain\"")),
        "the successor's recorded hash no longer matches: {report:#}"
    );
}

#[test]
fn a_removed_or_moved_digest_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    std::fs::remove_file(first_file(&digests_dir(dir.path()), "T01")).unwrap();
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(1));
    assert!(
        verdicts(&report, "missing")
            .iter()
            .any(|v| v.contains("CloudTrail-Digest")),
        "{report:#}"
    );

    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    let digest = first_file(&digests_dir(dir.path()), "T02");
    let moved = dir.path().join(format!(
        "trail/AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/03"
    ));
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::rename(&digest, moved.join(digest.file_name().unwrap())).unwrap();
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(1));
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["reason"].as_str().unwrap().starts_with("moved")),
        "{report:#}"
    );
}

#[test]
fn reordered_digests_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    let first = first_file(&digests_dir(dir.path()), "T01");
    let second = first_file(&digests_dir(dir.path()), "T02");
    let swap = dir.path().join("swap.gz");
    std::fs::rename(&first, &swap).unwrap();
    std::fs::rename(&second, &first).unwrap();
    std::fs::rename(&swap, &second).unwrap();
    let (code, report) = verify(dir.path(), &public);
    assert_eq!(code, Some(1), "{report:#}");
    let moved = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["reason"].as_str().unwrap().starts_with("moved"))
        .count();
    assert_eq!(moved, 2, "{report:#}");
}

#[test]
fn scan_records_the_integrity_of_its_cloudtrail_input() {
    let dir = tempfile::tempdir().unwrap();
    let public = build_trail(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("report.csv"), "name,ssn\nAna,123\n").unwrap();
    let scan = |dir: &Path| -> serde_json::Value {
        let output = run(&[
            "scan",
            data.to_str().unwrap(),
            "--cloudtrail",
            dir.join("trail").to_str().unwrap(),
            "--public-key",
            public.to_str().unwrap(),
            "--format",
            "json",
            "--quiet",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    assert_eq!(
        scan(dir.path())["scan"]["inputs"][0]["integrity"],
        "verified"
    );
    std::fs::remove_file(first_file(&logs_dir(dir.path()), "T01")).unwrap();
    assert_eq!(
        scan(dir.path())["scan"]["inputs"][0]["integrity"],
        "tampered"
    );
}
