//! S3 end to end: the real `aws-sdk-s3` client in `assay` against an S3
//! protocol server (`s3s-fs`, with injected faults: `tests/support/`) the
//! tests start on loopback: bucket scans, listings, versions, posture,
//! throttling and cut bodies, regions, state, and access logs read from S3.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::*;

#[path = "../../support/s3_server.rs"]
mod server;

pub use server::{ACCESS_KEY, Fault, S3Server, SECRET_KEY, start_server};

mod watch;
use watch::{run_watching_memory, run_watching_workers};

/// A client for the test server, to fill buckets.
pub(crate) fn client(server: &S3Server) -> (tokio::runtime::Runtime, aws_sdk_s3::Client) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (runtime, aws_sdk_s3::Client::from_conf(sdk_config(server)))
}

/// The SDK configuration that reaches the test server with its credentials.
pub(crate) fn sdk_config(server: &S3Server) -> aws_sdk_s3::Config {
    aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "tests",
        ))
        .build()
}

/// Uploads a local tree as a bucket; `<file>.sig` sidecars become the
/// file's `signature` metadata, as CloudTrail stores digest signatures.
pub(crate) fn upload(server: &S3Server, bucket: &str, tree: &Path) {
    let (runtime, client) = client(server);
    runtime.block_on(async {
        client.create_bucket().bucket(bucket).send().await.unwrap();
        let mut files: Vec<PathBuf> = Vec::new();
        let mut stack = vec![tree.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path)
                } else {
                    files.push(path)
                }
            }
        }
        for path in files
            .iter()
            .filter(|p| !p.to_string_lossy().ends_with(".sig"))
        {
            let key = path
                .strip_prefix(tree)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let mut put = client
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(std::fs::read(path).unwrap().into());
            if let Ok(signature) = std::fs::read_to_string(format!("{}.sig", path.display())) {
                put = put.metadata("signature", signature.trim());
            }
            put.send().await.unwrap();
        }
    });
}

/// `assay` with credentials for the test server and nothing read from the
/// user's AWS configuration or instance metadata.
pub(crate) fn assay_s3() -> Command {
    let mut command = assay();
    command
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/assay-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/assay-test-credentials",
        )
        .env("ASSAY_LOG", "error")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL");
    command
}

#[test]
fn trail_verify_and_scan_read_a_trail_from_s3() {
    let server = start_server();
    let work = tempfile::tempdir().unwrap();
    let public = crate::trail::build_trail(work.path());
    upload(&server, "trail-bucket", &work.path().join("trail"));

    let verify = || -> (Option<i32>, serde_json::Value) {
        let output = assay_s3()
            .args([
                "trail",
                "verify",
                "s3://trail-bucket/AWSLogs/",
                "--public-key",
                public.to_str().unwrap(),
                "--format",
                "json",
            ])
            .args(["--endpoint-url", &server.endpoint])
            .output()
            .unwrap();
        let report = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        (output.status.code(), report)
    };
    let (code, report) = verify();
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        report["status"], "verified",
        "the newest digest's signature came from its S3 metadata: {report:#}"
    );

    // The same trail as scan input, straight from the bucket.
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("report.csv"), "id,card\n1,4539 1488 0343 6467\n").unwrap();
    let scanned = scan_json(
        &server,
        &[
            data.to_str().unwrap(),
            "--cloudtrail",
            "s3://trail-bucket/AWSLogs/",
            "--public-key",
            public.to_str().unwrap(),
        ],
    );
    assert_eq!(
        scanned["scan"]["inputs"][0]["source"],
        "s3://trail-bucket/AWSLogs/"
    );
    assert_eq!(scanned["scan"]["inputs"][0]["events"], 3);
    assert_eq!(scanned["scan"]["inputs"][0]["integrity"], "verified");
    assert_eq!(
        scanned["identities"][0]["principal"],
        "arn:aws:iam::111122223333:user/ana"
    );

    // Tampering in the bucket is caught.
    let log = std::fs::read_dir(
        server
            .root
            .path()
            .join("trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02"),
    )
    .unwrap()
    .next()
    .unwrap()
    .unwrap()
    .path();
    std::fs::write(&log, b"not the original log").unwrap();
    let (code, report) = verify();
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["status"], "tampered");
}

#[test]
fn an_unreachable_store_is_a_clear_error() {
    let output = assay_s3()
        .args([
            "trail",
            "verify",
            "s3://nope/",
            "--public-key",
            "/dev/null",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// The records of a scan, keyed by object key (the part of `uri` below the
/// target), without the fields that differ between a file and an object.
fn by_key(records: &[Value], root: &str) -> std::collections::BTreeMap<String, Value> {
    records
        .iter()
        .map(|record| {
            let uri = record["uri"].as_str().unwrap();
            let key = uri
                .strip_prefix(root)
                .unwrap_or_else(|| panic!("{uri} is not under {root}"))
                .trim_start_matches('/')
                .to_string();
            let mut record = record.clone();
            for field in ["uri", "etag", "last_modified"] {
                record.as_object_mut().unwrap().remove(field);
            }
            (key, record)
        })
        .collect()
}

fn jsonl(output: &std::process::Output) -> Vec<Value> {
    assert!(
        output.status.success() || output.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    json_lines(&output.stdout)
}

/// Creates a bucket holding `objects` (key, body).
pub(crate) fn fill(server: &S3Server, bucket: &str, objects: &[(impl AsRef<str>, Vec<u8>)]) {
    let (runtime, client) = client(server);
    runtime.block_on(async {
        client.create_bucket().bucket(bucket).send().await.unwrap();
        for (key, body) in objects {
            client
                .put_object()
                .bucket(bucket)
                .key(key.as_ref())
                .body(body.clone().into())
                .send()
                .await
                .unwrap();
        }
    });
}

/// `assay scan ARGS --format json` against the server; the report.
pub(crate) fn scan_json(server: &S3Server, args: &[&str]) -> Value {
    let output = assay_s3()
        .arg("scan")
        .args(args)
        .args([
            "--format",
            "json",
            "--quiet",
            "--endpoint-url",
            &server.endpoint,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_bucket_scan_gives_the_records_of_a_local_scan() {
    let server = start_server();
    let tree = repo().join("demo/bucket");
    upload(&server, "demo", &tree);
    let remote = assay_s3()
        .args(["scan", "s3://demo", "--format", "jsonl", "--quiet"])
        .args(["--endpoint-url", &server.endpoint])
        .output()
        .unwrap();
    let remote = jsonl(&remote);
    let (_, local) = scan_records(&tree, &[]);
    let remote = by_key(&remote, "s3://demo");
    let local = by_key(&local, tree.to_str().unwrap());
    assert_eq!(remote.len(), 26, "23 objects and 3 archive members");
    assert_eq!(
        remote.keys().collect::<Vec<_>>(),
        local.keys().collect::<Vec<_>>()
    );
    for (key, record) in &remote {
        assert_eq!(record, &local[key], "{key} differs between S3 and local");
    }
    assert!(
        remote.values().any(|r| r["risk"].as_u64().unwrap() >= 7),
        "the demo bucket holds high-risk objects"
    );
}

#[test]
fn listing_follows_pages_and_prefixes() {
    let server = start_server();
    let keys: Vec<String> = (0..1_050)
        .map(|i| format!("p{}/s{}/note-{i:04}.txt", i % 3, i % 7))
        .collect();
    let objects: Vec<(&str, Vec<u8>)> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let body = if i % 100 == 0 {
                format!("deploy token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234{i:05}\n")
            } else {
                format!("meeting note {i}\n")
            };
            (key.as_str(), body.into_bytes())
        })
        .collect();
    fill(&server, "many", &objects);
    let scan = |target: &str| {
        jsonl(
            &assay_s3()
                .args([
                    "scan", target, "--format", "jsonl", "--quiet", "--jobs", "4",
                ])
                .args(["--endpoint-url", &server.endpoint])
                .output()
                .unwrap(),
        )
    };
    let all = scan("s3://many");
    assert_eq!(all.len(), keys.len(), "every page is listed once");
    let uris: std::collections::BTreeSet<&str> =
        all.iter().map(|r| r["uri"].as_str().unwrap()).collect();
    assert_eq!(uris.len(), keys.len(), "no object is scanned twice");
    let with_token: std::collections::BTreeSet<String> = all
        .iter()
        .filter(|r| regex_ids(r).iter().any(|id| id == "github_key"))
        .map(|r| r["uri"].as_str().unwrap().to_string())
        .collect();
    let expected: std::collections::BTreeSet<String> = keys
        .iter()
        .step_by(100)
        .map(|k| format!("s3://many/{k}"))
        .collect();
    assert_eq!(with_token, expected);
    for record in &all {
        assert_eq!(
            record["errors"].as_array().map_or(0, Vec::len),
            0,
            "{record}"
        );
    }

    let scoped = jsonl(
        &assay_s3()
            .args(["scan", "s3://many", "--format", "jsonl", "--quiet"])
            .args(["--include", "p2/**", "--exclude", "*-00*.txt"])
            .args(["--endpoint-url", &server.endpoint])
            .output()
            .unwrap(),
    );
    let expected: std::collections::BTreeSet<String> = keys
        .iter()
        .filter(|k| k.starts_with("p2/") && !k.contains("-00"))
        .map(|k| format!("s3://many/{k}"))
        .collect();
    let got: std::collections::BTreeSet<String> = scoped
        .iter()
        .map(|r| r["uri"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);

    let sample = |pct: &str| -> std::collections::BTreeSet<String> {
        jsonl(
            &assay_s3()
                .args(["scan", "s3://many", "--format", "jsonl", "--quiet"])
                .args(["--sample", pct, "--endpoint-url", &server.endpoint])
                .output()
                .unwrap(),
        )
        .iter()
        .map(|r| r["uri"].as_str().unwrap().to_string())
        .collect()
    };
    let tenth = sample("10");
    assert!((60..160).contains(&tenth.len()), "{}", tenth.len());
    assert_eq!(tenth, sample("10"), "a sample is the same on every run");
    assert!(
        tenth.is_subset(&sample("30")),
        "a larger sample contains a smaller one"
    );

    let prefixed = scan("s3://many/p1/");
    assert_eq!(
        prefixed.len(),
        keys.iter().filter(|k| k.starts_with("p1/")).count()
    );
    assert!(
        prefixed
            .iter()
            .all(|r| r["uri"].as_str().unwrap().starts_with("s3://many/p1/"))
    );
}

#[test]
fn an_object_deleted_after_listing_is_reported_and_the_rest_scanned() {
    use assay_scanner::pipeline::Limits;
    use assay_scanner::pipeline::classify_object;
    use assay_scanner::source::Discovered;
    use assay_scanner::source::s3::S3Client;

    let server = start_server();
    fill(
        &server,
        "gone",
        &[
            (
                "a.env",
                b"GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n".to_vec(),
            ),
            ("b.txt", b"soon deleted\n".to_vec()),
            (
                "c.env",
                b"GITHUB_TOKEN=ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210\n".to_vec(),
            ),
        ],
    );
    let (runtime, client) = client(&server);
    let scanner = std::sync::Arc::new(S3Client::from_sdk_config(client.config().clone()).unwrap());
    let listed: Vec<_> = scanner
        .objects("gone", "", assay_scanner::source::s3::Versions::Current)
        .map(|d| match d {
            Discovered::Object(object) => object,
            Discovered::Issue(issue) => panic!("{issue:?}"),
        })
        .collect();
    assert_eq!(listed.len(), 3);
    runtime.block_on(async {
        client
            .delete_object()
            .bucket("gone")
            .key("b.txt")
            .send()
            .await
            .unwrap();
    });
    let classifiers = assay_classifiers::Classifiers::builtin().unwrap();
    let records: Vec<_> = listed
        .iter()
        .map(|o| {
            let mut records = Vec::new();
            classify_object(&classifiers, o, &Limits::default(), &mut |r| {
                records.push(r)
            });
            assert_eq!(records.len(), 1, "plain objects yield one record each");
            records.remove(0)
        })
        .collect();
    assert_eq!(records[1].uri, "s3://gone/b.txt");
    assert_eq!(records[1].errors.len(), 1);
    assert_eq!(
        records[1].errors[0].kind.as_str(),
        "deleted",
        "{:?}",
        records[1].errors
    );
    for record in [&records[0], &records[2]] {
        assert!(record.errors.is_empty(), "{:?}", record.errors);
        assert!(
            record.regexes.iter().any(|r| r.id == "github_key"),
            "{}",
            record.uri
        );
    }
}

#[test]
fn throttling_errors_resets_and_cut_bodies_are_retried_and_what_stays_broken_is_reported() {
    let server = start_server();
    // A body big enough to be cut mid-way, with secrets in both halves and
    // one across the middle, so a resumed read must join exactly.
    let mut big = Vec::new();
    big.extend_from_slice(b"GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n");
    while big.len() < 600_000 {
        big.extend_from_slice(b"lorem ipsum dolor sit amet, plain filler text\n");
    }
    big.truncate(600_000 - 20);
    big.extend_from_slice(b"\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\n");
    while big.len() < 1_200_000 {
        big.extend_from_slice(b"more filler text, nothing to see here at all\n");
    }
    big.extend_from_slice(b"SLACK=xoxb-1234567890-1234567890123-aBcDeFgHiJkLmNoPqRsTuVwX\n");
    let small = b"GITHUB_TOKEN=ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210\n".to_vec();
    // Big bodies, so that a cut falls after the headers went out.
    let mut objects: Vec<(&str, Vec<u8>)> =
        vec![("cut.env", big.clone()), ("broken.env", big.clone())];
    for key in [
        "slow.env",
        "flaky.env",
        "reset.env",
        "denied.env",
        "throttled.env",
    ] {
        objects.push((key, small.clone()));
    }
    fill(&server, "faults", &objects);
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("cut.env"), &big).unwrap();
    let (_, local_records) = scan_records(&local.path().join("cut.env"), &[]);

    let faults = &server.faults;
    faults.plan("/faults/", &[Fault::Status(503, "SlowDown")]);
    faults.plan("/faults/slow.env", &[Fault::Status(503, "SlowDown"); 2]);
    faults.plan(
        "/faults/flaky.env",
        &[Fault::Status(500, "InternalError"); 2],
    );
    faults.plan("/faults/reset.env", &[Fault::Reset]);
    faults.plan("/faults/cut.env", &[Fault::Cut, Fault::Cut]);
    faults.plan(
        "/faults/denied.env",
        &[Fault::Status(403, "AccessDenied"); 50],
    );
    faults.plan(
        "/faults/throttled.env",
        &[Fault::Status(503, "SlowDown"); 50],
    );
    faults.plan("/faults/broken.env", &[Fault::Cut; 50]);
    let output = assay_s3()
        .env("AWS_MAX_ATTEMPTS", "4")
        .args([
            "scan",
            "s3://faults",
            "--format",
            "jsonl",
            "--quiet",
            "--jobs",
            "4",
        ])
        .args(["--endpoint-url", &server.endpoint])
        .output()
        .unwrap();
    let records = jsonl(&output);
    assert_eq!(
        records.len(),
        7,
        "{:?} {}",
        records
            .iter()
            .map(|r| r["uri"].as_str().unwrap())
            .collect::<Vec<_>>(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        faults.gets("/faults/") >= 2,
        "the throttled listing was retried"
    );

    for key in ["slow.env", "flaky.env", "reset.env"] {
        let record = record(&records, &format!("/{key}"));
        assert_eq!(record["errors"], serde_json::json!([]), "{key}");
        assert!(
            regex_ids(record).contains(&"github_key".to_string()),
            "{key}"
        );
    }
    assert_eq!(faults.gets("/faults/slow.env"), 3);
    assert_eq!(faults.gets("/faults/flaky.env"), 3);
    assert_eq!(faults.gets("/faults/reset.env"), 2);

    // Cut twice, resumed twice: the same record as the local file.
    let cut = record(&records, "/cut.env");
    assert_eq!(faults.gets("/faults/cut.env"), 3);
    let local_cut = &local_records[0];
    assert_eq!(cut["errors"], serde_json::json!([]));
    assert_eq!(cut["size"], local_cut["size"]);
    assert_eq!(cut["regexes"], local_cut["regexes"]);
    assert_eq!(cut["risk"], local_cut["risk"]);
    assert!(regex_ids(cut).len() >= 3, "{cut}");

    let kind = |key: &str| {
        let record = record(&records, &format!("/{key}"));
        let errors = record["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{key}: {errors:?}");
        (
            errors[0]["kind"].as_str().unwrap().to_string(),
            errors[0]["message"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(kind("denied.env").0, "access_denied");
    assert_eq!(
        faults.gets("/faults/denied.env"),
        1,
        "AccessDenied is not retried"
    );
    let (throttled, message) = kind("throttled.env");
    assert_eq!(throttled, "unreadable");
    assert!(message.contains("SlowDown"), "{message}");
    assert_eq!(faults.gets("/faults/throttled.env"), 4);
    // Cut on every try: what was read is kept, and the record says so.
    let (broken, message) = kind("broken.env");
    assert_eq!(broken, "read");
    assert!(
        message.contains("findings cover those bytes only"),
        "{message}"
    );
    assert!(
        message.contains("body interrupted after 3 retries"),
        "{message}"
    );
    // One GET and three resumes (the SDK may retry a GET cut before its headers).
    assert!(faults.gets("/faults/broken.env") >= 4);
    let broken = record(&records, "/broken.env");
    assert!(regex_ids(broken).contains(&"github_key".to_string()));
    assert!(
        !String::from_utf8_lossy(&output.stdout)
            .contains("ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210")
    );
}

#[test]
fn bucket_posture_raises_a_public_buckets_risk_and_unread_checks_are_reported() {
    let server = start_server();
    // A web server log: risk 3, so the +5 of exposure shows uncapped.
    let log = std::fs::read(repo().join("demo/bucket/logs/access-2026-11-02.log")).unwrap();
    for bucket in ["open", "plain"] {
        fill(&server, bucket, &[("logs/access.log", log.clone())]);
    }
    let faults = &server.faults;
    let error = |code: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>none</Message></Error>"
        )
    };
    faults.answer(
        "/open/",
        "policyStatus",
        200,
        "<PolicyStatus><IsPublic>true</IsPublic></PolicyStatus>",
    );
    faults.answer(
        "/open/",
        "publicAccessBlock",
        404,
        &error("NoSuchPublicAccessBlockConfiguration"),
    );
    faults.answer(
        "/open/",
        "encryption",
        404,
        &error("ServerSideEncryptionConfigurationNotFoundError"),
    );
    faults.answer(
        "/open/",
        "acl",
        200,
        r#"<AccessControlPolicy><Owner><ID>owner1</ID></Owner><AccessControlList>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>owner1</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>partner9</ID></Grantee><Permission>READ</Permission></Grant>
</AccessControlList></AccessControlPolicy>"#,
    );
    faults.answer(
        "/open/",
        "versioning",
        200,
        "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>",
    );
    faults.answer(
        "/open/",
        "logging",
        200,
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>open/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>",
    );
    faults.answer("/plain/", "acl", 403, &error("AccessDenied"));
    let report = scan_json(&server, &["s3://open", "s3://plain"]);
    let object_risk = report["objects"][0]["risk"].as_u64().unwrap();
    assert_eq!(object_risk, 3);
    let buckets = report["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 2, "{buckets:?}");
    let open = &buckets[0];
    assert_eq!(open["name"], "open");
    assert_eq!(open["public"], true);
    let posture = &open["posture"];
    assert_eq!(posture["policy_public"], true);
    assert_eq!(posture["public_access_block"], Value::Null);
    assert_eq!(posture["default_encryption"], Value::Null);
    assert_eq!(posture["versioning"], "Suspended");
    assert_eq!(posture["access_logging"], "s3://logs/open/");
    assert_eq!(
        posture["acl_grants"],
        serde_json::json!([
            {"grantee": "everyone", "permission": "READ"},
            {"grantee": {"other_account": "partner9"}, "permission": "READ"},
        ])
    );
    assert_eq!(open["risk"].as_u64().unwrap(), 8);
    let explained: Vec<&str> = open["risk_factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["detail"].as_str().unwrap())
        .collect();
    assert!(explained.contains(&"the bucket is public"), "{explained:?}");

    // A store that implements none of these calls, and a denied ACL read:
    // each check says why it is unknown; the bucket keeps its content risk.
    let plain = &buckets[1];
    assert_eq!(plain["name"], "plain");
    assert_eq!(plain["public"], Value::Null);
    assert_eq!(plain["risk"].as_u64().unwrap(), object_risk);
    let reason = |check: &str| {
        plain["posture"][check]["unknown"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        reason("acl_grants").starts_with("AccessDenied"),
        "{}",
        reason("acl_grants")
    );
    for check in [
        "policy_public",
        "default_encryption",
        "versioning",
        "access_logging",
    ] {
        assert!(
            reason(check).contains("NotImplemented"),
            "{check}: {}",
            reason(check)
        );
    }

    // --fail-at counts buckets: no object reaches 8, the exposed bucket does.
    let gate = |threshold: &str| {
        assay_s3()
            .args(["scan", "s3://open", "--format", "jsonl", "--quiet"])
            .args(["--fail-at", threshold, "--endpoint-url", &server.endpoint])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(gate("8"), Some(1));
    assert_eq!(gate("9"), Some(0));
}

#[test]
fn a_256_mib_object_streams_through_in_bounded_memory() {
    const SIZE: usize = 256 << 20;
    let server = start_server();
    // Written straight into the served directory: s3s-fs serves files as
    // objects, and a 256 MiB PUT through a debug-built SDK would only slow
    // the test.
    let bucket = server.root.path().join("large");
    std::fs::create_dir_all(&bucket).unwrap();
    let token = b"token=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n";
    let line = b"2026-11-02T08:00:00.112Z INFO request served in 12ms path=/catalog/teas\n";
    let mut body = Vec::with_capacity(SIZE);
    for mark in [1 << 20, SIZE / 2, SIZE - (1 << 20)] {
        while body.len() + line.len() < mark {
            body.extend_from_slice(line);
        }
        body.extend_from_slice(token);
    }
    while body.len() + line.len() <= SIZE {
        body.extend_from_slice(line);
    }
    body.resize(SIZE, b'\n');
    std::fs::write(bucket.join("huge.log"), &body).unwrap();
    drop(body);

    let (output, peak) = run_watching_memory(
        assay_s3()
            .args(["scan", "s3://large", "--format", "jsonl", "--quiet"])
            .args(["--jobs", "2", "--endpoint-url", &server.endpoint]),
    );
    let records = jsonl(&output);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["size"].as_u64(), Some(SIZE as u64));
    assert_eq!(record["errors"], serde_json::json!([]));
    let github = record["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "github_key")
        .unwrap_or_else(|| panic!("{record}"));
    assert_eq!(github["count"], 3, "all three planted tokens, start to end");
    assert!(peak > 0, "the peak was read");
    assert!(peak < 96 << 20, "peak RSS {} MiB", peak >> 20);
}

#[test]
fn s3_alone_scans_every_bucket_the_credentials_can_list() {
    let server = start_server();
    for bucket in ["alpha", "beta"] {
        let objects: Vec<(&str, Vec<u8>)> = ["one.txt", "deep/two.txt"]
            .into_iter()
            .map(|key| (key, format!("{bucket} {key}\n").into_bytes()))
            .collect();
        fill(&server, bucket, &objects);
    }
    let report = scan_json(&server, &["s3://"]);
    let uris: Vec<&str> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "s3://alpha/deep/two.txt",
            "s3://alpha/one.txt",
            "s3://beta/deep/two.txt",
            "s3://beta/one.txt"
        ]
    );
    let buckets: Vec<&str> = report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(buckets, ["alpha", "beta"]);
}

#[test]
fn a_bucket_in_another_region_is_read_through_a_client_for_that_region() {
    let server = start_server();
    fill(
        &server,
        "far",
        &[(
            "keys/.env",
            b"GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n".to_vec(),
        )],
    );
    server.faults.place_bucket("far", "eu-west-1");
    let before = server.faults.signed().len();
    let report = scan_json(&server, &["s3://far"]);
    let objects = report["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["errors"], serde_json::json!([]));
    assert!(regex_ids(&objects[0]).contains(&"github_key".to_string()));
    let signed = server.faults.signed().split_off(before);
    // Asked once in our region (us-east-1), answered with a 301 naming
    // eu-west-1; everything after is signed for eu-west-1.
    let far: Vec<&(String, String, String)> = signed
        .iter()
        .filter(|(_, path, _)| path.starts_with("/far"))
        .collect();
    assert_eq!(far[0].0, "HEAD");
    assert_eq!(far[0].2, "us-east-1");
    let heads = far.iter().filter(|(m, _, _)| m == "HEAD").count();
    assert_eq!(
        heads, 1,
        "the listing and the posture checks share one answer"
    );
    let listing_and_reads: Vec<_> = far.iter().filter(|(m, _, _)| m == "GET").collect();
    assert!(listing_and_reads.len() >= 2, "{far:?}");
    assert!(
        listing_and_reads
            .iter()
            .all(|(_, _, region)| region == "eu-west-1"),
        "{far:?}"
    );
}

#[test]
fn archives_in_a_bucket_are_opened_as_in_a_local_tree() {
    let server = start_server();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(
        app.join(".env"),
        "# deploy\nGITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
    )
    .unwrap();
    // Over the 4 MiB a zip is spooled in memory: this one goes to a temp file.
    sh(
        work.path(),
        "head -c 9000000 /dev/urandom > app/noise.bin
         mkdir bucket
         zip -qr bucket/bundle.zip app
         tar czf bucket/bundle.tgz app",
    );
    let tree = work.path().join("bucket");
    upload(&server, "archives", &tree);
    let remote = assay_s3()
        .args(["scan", "s3://archives", "--format", "jsonl", "--quiet"])
        .args(["--endpoint-url", &server.endpoint])
        .output()
        .unwrap();
    let remote = by_key(&jsonl(&remote), "s3://archives");
    let (_, local) = scan_records(&tree, &[]);
    let local = by_key(&local, tree.to_str().unwrap());
    assert_eq!(
        remote.keys().collect::<Vec<_>>(),
        [
            "bundle.tgz",
            "bundle.tgz!/app/.env",
            "bundle.tgz!/app/noise.bin",
            "bundle.zip",
            "bundle.zip!/app/.env",
            "bundle.zip!/app/noise.bin",
        ]
    );
    assert_eq!(remote, local);
    for archive in ["bundle.zip", "bundle.tgz"] {
        let env = &remote[&format!("{archive}!/app/.env")];
        assert_eq!(env["regexes"][0]["id"], "github_key");
        assert_eq!(env["regexes"][0]["locations"][0]["line"], 2);
        assert_eq!(remote[archive]["errors"], serde_json::json!([]));
    }
}

/// One `<Version>` of a ListObjectVersions answer.
fn version_xml(key: &str, id: &str, latest: bool, body: &str) -> String {
    use md5::Digest;
    format!(
        "<Version><Key>{key}</Key><VersionId>{id}</VersionId><IsLatest>{latest}</IsLatest>\
         <LastModified>2026-10-0{}T00:00:00.000Z</LastModified><ETag>\"{:x}\"</ETag>\
         <Size>{}</Size><StorageClass>STANDARD</StorageClass></Version>",
        if latest { 2 } else { 1 },
        md5::Md5::digest(body.as_bytes()),
        body.len()
    )
}

#[test]
fn all_versions_scans_old_and_deleted_versions_too() {
    let server = start_server();
    let current = "# rotated: the token now lives in the vault\n";
    let leaked = "# deploy\nGITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n";
    let deleted = "x\nTOKEN=ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210\n";
    fill(
        &server,
        "versioned",
        &[("a.env", current.as_bytes().to_vec())],
    );
    let page = |versions: &str, next: Option<(&str, &str)>| {
        let (truncated, markers) = match next {
            Some((key, id)) => (
                true,
                format!(
                    "<NextKeyMarker>{key}</NextKeyMarker><NextVersionIdMarker>{id}</NextVersionIdMarker>"
                ),
            ),
            None => (false, String::new()),
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Name>versioned</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>\
             <IsTruncated>{truncated}</IsTruncated>{markers}{versions}</ListVersionsResult>"
        )
    };
    // Two pages: a.env's versions, then b.txt hidden by a delete marker.
    let first =
        version_xml("a.env", "v2", true, current) + &version_xml("a.env", "v1", false, leaked);
    let second = "<DeleteMarker><Key>b.txt</Key><VersionId>d1</VersionId><IsLatest>true</IsLatest>\
                  <LastModified>2026-10-03T00:00:00.000Z</LastModified></DeleteMarker>"
        .to_string()
        + &version_xml("b.txt", "b1", false, deleted);
    let faults = &server.faults;
    faults.answer(
        "/versioned/",
        "versions",
        200,
        &page(&first, Some(("a.env", "v1"))),
    );
    faults.answer("/versioned/", "key-marker=a.env", 200, &page(&second, None));
    faults.answer("/versioned/a.env", "versionId=v2", 200, current);
    faults.answer("/versioned/a.env", "versionId=v1", 200, leaked);
    faults.answer("/versioned/b.txt", "versionId=b1", 200, deleted);

    let report = scan_json(&server, &["s3://versioned", "--all-versions"]);

    let objects: Vec<(&str, &str, Vec<&str>)> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["uri"].as_str().unwrap(),
                o["version_id"].as_str().unwrap(),
                o["regexes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        objects,
        [
            ("s3://versioned/a.env", "v2", vec![]),
            (
                "s3://versioned/a.env?versionId=v1",
                "v1",
                vec!["github_key"]
            ),
            (
                "s3://versioned/b.txt?versionId=b1",
                "b1",
                vec!["github_key"]
            ),
        ]
    );
    assert_eq!(
        report["objects"][1]["regexes"][0]["locations"][0]["line"],
        2
    );
    assert_eq!(report["buckets"][0]["objects"], 2, "two keys");

    // A store that says "truncated" without a new marker cannot loop the
    // listing: what it listed is scanned and the stop is reported.
    fill(&server, "stuck", &[] as &[(&str, Vec<u8>)]);
    faults.answer(
        "/stuck/",
        "versions",
        200,
        &page(&version_xml("a.env", "v1", false, leaked), None).replace(
            "<IsTruncated>false</IsTruncated>",
            "<IsTruncated>true</IsTruncated>",
        ),
    );
    faults.answer("/stuck/a.env", "versionId=v1", 200, leaked);
    let stuck = scan_json(&server, &["s3://stuck", "--all-versions"]);
    assert_eq!(stuck["objects"][0]["regexes"][0]["id"], "github_key");
    assert_eq!(stuck["errors"][0]["kind"], "unlistable");
    assert!(
        stuck["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("without a new marker")
    );

    // Without the flag only current objects are listed, with no version field.
    let current_only = scan_json(&server, &["s3://versioned"]);
    let objects = current_only["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["uri"], "s3://versioned/a.env");
    assert!(objects[0].get("version_id").is_none());
}

#[test]
fn a_rescan_with_state_reads_no_unchanged_object() {
    let server = start_server();
    let objects: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("k{i}.txt"), format!("object {i}\n").into_bytes()))
        .collect();
    fill(&server, "kept", &objects);
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state.db");
    let state = state.to_str().unwrap();
    let gets = || -> usize {
        (0..5)
            .map(|i| server.faults.gets(&format!("/kept/k{i}.txt")))
            .sum()
    };

    let first = scan_json(&server, &["s3://kept", "--state", state]);
    assert_eq!(first["summary"]["changes"]["new"], 5);
    assert_eq!(gets(), 5);

    let second = scan_json(&server, &["s3://kept", "--state", state]);
    assert_eq!(second["summary"]["changes"]["unchanged"], 5);
    assert_eq!(gets(), 5, "an unchanged bucket costs a listing, no GETs");
    assert_eq!(
        second["objects"][0]["content_type"],
        first["objects"][0]["content_type"]
    );

    let (runtime, client) = client(&server);
    runtime.block_on(async {
        client
            .put_object()
            .bucket("kept")
            .key("k3.txt")
            .body(b"object 3, rewritten\n".to_vec().into())
            .send()
            .await
            .unwrap();
    });
    let third = scan_json(&server, &["s3://kept", "--state", state]);
    assert_eq!(third["summary"]["changes"]["changed"], 1);
    assert_eq!(third["summary"]["changes"]["unchanged"], 4);
    assert_eq!(
        server.faults.gets("/kept/k3.txt"),
        2,
        "only the rewritten object is read"
    );
    assert_eq!(gets(), 6);
}

#[test]
fn bodies_download_ahead_of_classification_up_to_jobs_at_once() {
    let server = start_server();
    let objects: Vec<(String, Vec<u8>)> = (0..24)
        .map(|i| {
            let mut body = format!("object {i}\n").repeat(20_000).into_bytes();
            if i == 17 {
                body.extend_from_slice(b"GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n");
            }
            (format!("k{i:02}.txt"), body)
        })
        .collect();
    fill(&server, "ahead", &objects);
    // Every GET is answered after 150 ms: the requests a scan keeps
    // waiting at once are the bodies it has in flight.
    server
        .faults
        .slow_down_gets(std::time::Duration::from_millis(150));
    let jobs = 6;
    let (output, workers) = run_watching_workers(
        assay_s3()
            .args(["scan", "s3://ahead", "--format", "json", "--quiet"])
            .args([
                "--jobs",
                &jobs.to_string(),
                "--endpoint-url",
                &server.endpoint,
            ]),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let records = report["objects"].as_array().unwrap();
    assert_eq!(records.len(), 24);
    assert!(
        records
            .iter()
            .all(|r| r["errors"].as_array().unwrap().is_empty())
    );
    let found: Vec<&str> = records
        .iter()
        .filter(|r| {
            r["regexes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == "github_key")
        })
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["s3://ahead/k17.txt"]);
    let most = server.faults.most_gets_waiting();
    assert!(most <= jobs, "{most} bodies in flight with --jobs {jobs}");
    // Classification runs on a thread per core at most; the other bodies
    // download meanwhile.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        (1..=cores.min(jobs)).contains(&workers),
        "{workers} classifying threads on {cores} cores"
    );
    if cores < jobs {
        assert!(
            most > cores,
            "only {most} bodies in flight with {cores} cores and --jobs {jobs}"
        );
    }

    // Without --jobs, a bucket scan still reads ahead: eight bodies per core.
    let report = scan_json(&server, &["s3://ahead"]);
    assert_eq!(report["objects"].as_array().unwrap().len(), 24);
    let most = server.faults.most_gets_waiting();
    assert!(
        most > cores && most <= (8 * cores).min(24),
        "{most} bodies in flight by default on {cores} cores"
    );
}

#[test]
fn a_bucket_that_cannot_be_listed_stops_the_scan_in_one_line_with_what_to_do() {
    let server = start_server();
    fill(
        &server,
        "faraway",
        &[(
            "a.env",
            b"GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n".to_vec(),
        )],
    );
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.json");
    let out = report.to_str().unwrap();
    let scan = |target: &str, env: &[(&str, &str)], endpoint: &str| {
        let mut command = assay_s3();
        command
            .args(["scan", target, "--format", "json", "--output", out])
            .args(["--endpoint-url", endpoint]);
        for (name, value) in env {
            match value {
                &"" => command.env_remove(name),
                _ => command.env(name, value),
            };
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{target} {env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("assay: error: s3://"), "{stderr}");
        assert!(!report.exists(), "{target} {env:?} left a report");
        assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
        stderr
    };
    let endpoint = server.endpoint.as_str();

    let unknown_key = scan(
        "s3://faraway",
        &[("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN")],
        endpoint,
    );
    assert!(
        unknown_key.contains("credentials were refused"),
        "{unknown_key}"
    );
    assert!(unknown_key.contains("AWS_ACCESS_KEY_ID"), "{unknown_key}");
    let wrong_secret = scan(
        "s3://faraway",
        &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")],
        endpoint,
    );
    assert!(
        wrong_secret.contains("SignatureDoesNotMatch"),
        "{wrong_secret}"
    );
    assert!(!wrong_secret.contains("not-the-secret"), "{wrong_secret}");

    let nobody = scan(
        "s3://faraway",
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        endpoint,
    );
    assert!(nobody.contains("no AWS credentials were found"), "{nobody}");
    assert!(nobody.contains("--profile"), "{nobody}");

    let unreachable = scan("s3://faraway", &[], "http://127.0.0.1:9");
    assert!(
        unreachable.contains("cannot reach http://127.0.0.1:9")
            && unreachable.contains("--endpoint-url"),
        "{unreachable}"
    );

    let missing = scan("s3://no-such-bucket", &[], endpoint);
    assert!(missing.contains("no such bucket"), "{missing}");

    // In another region, and these credentials may not list it.
    server.faults.place_bucket("faraway", "eu-west-2");
    for path in ["/faraway", "/faraway/"] {
        server
            .faults
            .plan(path, &[Fault::Status(403, "AccessDenied"); 4]);
    }
    let denied = scan("s3://faraway/keys/", &[], endpoint);
    assert!(
        denied.contains("s3://faraway/keys/: access denied"),
        "{denied}"
    );
    assert!(
        denied.contains("eu-west-2") && denied.contains("s3:ListBucket"),
        "{denied}"
    );
}
