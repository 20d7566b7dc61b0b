//! CloudTrail log file integrity validation (`assay trail verify`), as AWS
//! defines it: each digest is signed (RSA PKCS#1 v1.5, SHA-256) over
//! `digestEndTime \n bucket/key \n sha256(digest) \n previousDigestSignature`,
//! lists the SHA-256 of every log file it covers, and names the previous
//! digest with its hash and signature, so the digests form a chain.
//!
//! The source is a local copy of a trail's delivery location. A digest's
//! own signature lives in S3 object metadata (`x-amz-meta-signature`); a copy
//! keeps it beside the digest as `<digest>.sig` (hex) or `<digest>.metadata.json`
//! (`aws s3api head-object` output). Older digests are checked with the
//! signature their successor records, as AWS's own validator does.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use md5::Digest as _;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

/// Why public keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error(
        "{0}: no RSA public key (PEM, DER, or `aws cloudtrail list-public-keys` JSON) could be read"
    )]
    Format(PathBuf),
}

/// CloudTrail public keys, by fingerprint (hex MD5 of the DER key).
#[derive(Default)]
pub struct PublicKeys {
    by_fingerprint: HashMap<String, RsaPublicKey>,
}

fn key_from_der(der: &[u8]) -> Option<RsaPublicKey> {
    RsaPublicKey::from_pkcs1_der(der)
        .ok()
        .or_else(|| RsaPublicKey::from_public_key_der(der).ok())
}

impl PublicKeys {
    /// Loads keys from PEM files, DER files, or the JSON `aws cloudtrail
    /// list-public-keys` prints.
    pub fn load(paths: &[PathBuf]) -> Result<Self, KeyError> {
        let mut keys = PublicKeys::default();
        for path in paths {
            let bytes = std::fs::read(path).map_err(|e| KeyError::Read(path.clone(), e))?;
            let before = keys.by_fingerprint.len();
            if let Ok(json) = serde_json::from_slice::<Value>(&bytes) {
                for entry in json
                    .get("PublicKeyList")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let der = entry
                        .get("Value")
                        .and_then(Value::as_str)
                        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok());
                    if let Some(der) = der {
                        keys.add_der(&der);
                    }
                }
            } else if let Ok(text) = std::str::from_utf8(&bytes) {
                for block in text.split("-----BEGIN ").skip(1) {
                    let body: String = block
                        .lines()
                        .skip(1)
                        .take_while(|l| !l.starts_with("-----END"))
                        .collect();
                    if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body.trim()) {
                        keys.add_der(&der);
                    }
                }
            } else {
                keys.add_der(&bytes);
            }
            if keys.by_fingerprint.len() == before {
                return Err(KeyError::Format(path.clone()));
            }
        }
        Ok(keys)
    }

    fn add_der(&mut self, der: &[u8]) {
        if let Some(key) = key_from_der(der) {
            self.by_fingerprint
                .insert(hex::encode(md5::Md5::digest(der)), key);
        }
    }

    pub fn fingerprints(&self) -> impl Iterator<Item = &String> {
        self.by_fingerprint.keys()
    }
}

/// The verdict on one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    /// Edited, forged, or not where it says it belongs.
    Invalid,
    /// Named by a digest but not there.
    Missing,
    /// Cannot be checked (no signature, no key, not covered by a digest).
    Unverifiable,
}

/// One file's verdict and why.
#[derive(Debug, Clone, Serialize)]
pub struct FileVerdict {
    pub file: String,
    pub kind: &'static str,
    pub verdict: Verdict,
    pub reason: String,
}

/// The result of checking a trail copy.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub files: Vec<FileVerdict>,
}

impl VerifyReport {
    /// Any file invalid or missing: the logs were tampered with.
    pub fn tampered(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.verdict, Verdict::Invalid | Verdict::Missing))
    }

    /// `tampered`, `verified` (every digest and log file valid) or `unverifiable`.
    pub fn status(&self) -> &'static str {
        if self.tampered() {
            "tampered"
        } else if !self.files.is_empty() && self.files.iter().all(|f| f.verdict == Verdict::Valid) {
            "verified"
        } else {
            "unverifiable"
        }
    }

    fn push(
        &mut self,
        file: &str,
        kind: &'static str,
        verdict: Verdict,
        reason: impl Into<String>,
    ) {
        self.files.push(FileVerdict {
            file: file.to_string(),
            kind,
            verdict,
            reason: reason.into(),
        });
    }
}

struct DigestFile {
    rel: String,
    sha256: String,
    json: Value,
    own_signature: Option<String>,
}

fn gunzip(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path)?).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn sidecar_signature(path: &Path) -> Option<String> {
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", path.display()));
    if let Ok(text) = std::fs::read_to_string(with(".sig")) {
        return Some(text.trim().to_string());
    }
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(with(".metadata.json")).ok()?).ok()?;
    let signature = meta
        .pointer("/Metadata/signature")
        .or_else(|| meta.get("signature"))?;
    signature.as_str().map(str::to_string)
}

fn field<'v>(json: &'v Value, name: &str) -> Option<&'v str> {
    json.get(name).and_then(Value::as_str)
}

/// Checks every digest and log file of a trail copy rooted at `root`.
pub fn verify(root: &Path, keys: &PublicKeys) -> VerifyReport {
    let mut report = VerifyReport::default();
    let mut digests: Vec<DigestFile> = Vec::new();
    let mut logs: HashMap<String, PathBuf> = HashMap::new();
    for entry in walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !rel.ends_with(".json.gz") {
            continue;
        }
        if rel.contains("CloudTrail-Digest") {
            match gunzip(entry.path())
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    let json: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                    Ok((hex::encode(Sha256::digest(&bytes)), json))
                }) {
                Ok((sha256, json)) => digests.push(DigestFile {
                    rel,
                    sha256,
                    json,
                    own_signature: sidecar_signature(entry.path()),
                }),
                Err(message) => report.push(
                    &rel,
                    "digest",
                    Verdict::Invalid,
                    format!("not a gzip JSON digest: {message}"),
                ),
            }
        } else if rel.contains("/CloudTrail/") || rel.contains("CloudTrail_") {
            logs.insert(rel, entry.path().to_path_buf());
        }
    }
    // Where each digest says it lives, and which digest names it as previous.
    let by_object: HashMap<&str, usize> = digests
        .iter()
        .enumerate()
        .filter_map(|(i, d)| field(&d.json, "digestS3Object").map(|o| (o, i)))
        .collect();
    let mut successor_signature: HashMap<String, String> = HashMap::new();
    for digest in &digests {
        if let (Some(previous), Some(signature)) = (
            field(&digest.json, "previousDigestS3Object"),
            field(&digest.json, "previousDigestSignature"),
        ) {
            successor_signature.insert(previous.to_string(), signature.to_string());
        }
    }
    let mut covered: Vec<&str> = Vec::new();
    for digest in &digests {
        let json = &digest.json;
        let required = [
            "digestPublicKeyFingerprint",
            "digestS3Bucket",
            "digestS3Object",
            "digestEndTime",
            "digestStartTime",
        ];
        if let Some(missing) = required.iter().find(|f| field(json, f).is_none()) {
            report.push(
                &digest.rel,
                "digest",
                Verdict::Invalid,
                format!("digest lacks {missing}"),
            );
            continue;
        }
        let object = field(json, "digestS3Object").unwrap_or_default();
        let bucket = field(json, "digestS3Bucket").unwrap_or_default();
        if digest.rel != object && !digest.rel.ends_with(&format!("/{object}")) {
            report.push(
                &digest.rel,
                "digest",
                Verdict::Invalid,
                format!("moved: it says it belongs at {bucket}/{object}"),
            );
            continue;
        }
        let signature = digest
            .own_signature
            .clone()
            .or_else(|| successor_signature.get(object).cloned());
        let fingerprint = field(json, "digestPublicKeyFingerprint").unwrap_or_default();
        let verdict = match (signature, keys.by_fingerprint.get(fingerprint)) {
            (None, _) => (
                Verdict::Unverifiable,
                "no signature: keep the newest digest's x-amz-meta-signature as <digest>.sig"
                    .to_string(),
            ),
            (_, None) => (
                Verdict::Unverifiable,
                format!("no public key with fingerprint {fingerprint} was given"),
            ),
            (Some(signature), Some(key)) => {
                let previous = json
                    .get("previousDigestSignature")
                    .and_then(Value::as_str)
                    .unwrap_or("null");
                let message = format!(
                    "{}\n{bucket}/{object}\n{}\n{previous}",
                    field(json, "digestEndTime").unwrap_or_default(),
                    digest.sha256
                );
                let verified = hex::decode(signature.trim())
                    .ok()
                    .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
                    .is_some_and(|sig| {
                        VerifyingKey::<Sha256>::new(key.clone())
                            .verify(message.as_bytes(), &sig)
                            .is_ok()
                    });
                if verified {
                    (Verdict::Valid, "signature verified".to_string())
                } else {
                    (
                        Verdict::Invalid,
                        "signature does not match: the digest was edited or the chain forged"
                            .to_string(),
                    )
                }
            }
        };
        report.push(&digest.rel, "digest", verdict.0, verdict.1);
        // The chain: the previous digest must exist and hash as recorded.
        match field(json, "previousDigestS3Object") {
            None => {
                // A restart with older digests before it for the same
                // region and trail is a gap: validation was off, or
                // digests were removed.
                let region_dir = digest
                    .rel
                    .rsplit_once("/CloudTrail-Digest/")
                    .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
                    .unwrap_or("");
                let start = field(json, "digestStartTime").unwrap_or_default();
                let older = digests.iter().any(|other| {
                    other
                        .rel
                        .contains(&format!("/CloudTrail-Digest/{region_dir}/"))
                        && field(&other.json, "digestEndTime").is_some_and(|end| end < start)
                });
                if older {
                    report.push(&digest.rel, "chain", Verdict::Unverifiable, "gap: the chain restarts here although older digests exist (validation was off, or digests were removed)");
                } else {
                    report.push(&digest.rel, "chain", Verdict::Valid, "chain starts here");
                }
            }
            Some(previous) => match by_object.get(previous) {
                None => report.push(
                    previous,
                    "digest",
                    Verdict::Missing,
                    format!("named as previous by {} but not found", digest.rel),
                ),
                Some(&index) => {
                    let expected = field(json, "previousDigestHashValue").unwrap_or_default();
                    if digests[index].sha256 != expected {
                        report.push(
                            &digests[index].rel,
                            "chain",
                            Verdict::Invalid,
                            format!("hash differs from the one {} recorded", digest.rel),
                        );
                    }
                }
            },
        }
        for log in json
            .get("logFiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(log_object) = field(log, "s3Object") else {
                continue;
            };
            covered.push(log_object);
            let found = logs
                .iter()
                .find(|(rel, _)| *rel == log_object || rel.ends_with(&format!("/{log_object}")));
            match found {
                None => report.push(
                    log_object,
                    "log",
                    Verdict::Missing,
                    format!("listed by {} but not found", digest.rel),
                ),
                Some((rel, path)) => {
                    let expected = field(log, "hashValue").unwrap_or_default();
                    match gunzip(path) {
                        Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == expected => {
                            report.push(rel, "log", Verdict::Valid, "hash matches its digest")
                        }
                        Ok(_) => report.push(
                            rel,
                            "log",
                            Verdict::Invalid,
                            format!("edited: hash differs from the one {} recorded", digest.rel),
                        ),
                        Err(error) => report.push(
                            rel,
                            "log",
                            Verdict::Invalid,
                            format!("unreadable: {error}"),
                        ),
                    }
                }
            }
        }
    }
    for rel in logs.keys() {
        if !covered
            .iter()
            .any(|c| rel == c || rel.ends_with(&format!("/{c}")))
        {
            report.push(
                rel,
                "log",
                Verdict::Unverifiable,
                "not listed by any digest (newer than the last digest, or added)",
            );
        }
    }
    report
        .files
        .sort_by(|a, b| a.file.cmp(&b.file).then(a.kind.cmp(b.kind)));
    report
}
