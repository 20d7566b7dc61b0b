//! Access logs read from S3: the real `aws-sdk-s3` client in `assay`
//! against an S3 protocol server (`s3s-fs`) the tests start on loopback.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

const ACCESS_KEY: &str = "assay-test";
const SECRET_KEY: &str = "assay-test-secret-key";

/// An S3 server on 127.0.0.1 serving a temporary directory (one
/// subdirectory per bucket). It runs until the test process ends.
pub struct S3Server {
    pub endpoint: String,
    pub root: tempfile::TempDir,
}

pub fn start_server() -> S3Server {
    let root = tempfile::tempdir().unwrap();
    let served = root.path().to_path_buf();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let fs = s3s_fs::FileSystem::new(&served).unwrap();
            let mut builder = s3s::service::S3ServiceBuilder::new(fs);
            builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            let service = builder.build();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            let http =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = http
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
    });
    let address = receiver.recv().unwrap();
    S3Server {
        endpoint: format!("http://{address}"),
        root,
    }
}

/// A client for the test server, to fill buckets.
fn client(server: &S3Server) -> (tokio::runtime::Runtime, aws_sdk_s3::Client) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "tests",
        ))
        .build();
    (runtime, aws_sdk_s3::Client::from_conf(config))
}

/// Uploads a local tree as a bucket; `<file>.sig` sidecars become the
/// file's `signature` metadata, as CloudTrail stores digest signatures.
fn upload(server: &S3Server, bucket: &str, tree: &Path) {
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
fn assay_s3() -> Command {
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
    let output = assay_s3()
        .args([
            "scan",
            data.to_str().unwrap(),
            "--cloudtrail",
            "s3://trail-bucket/AWSLogs/",
            "--public-key",
            public.to_str().unwrap(),
        ])
        .args([
            "--endpoint-url",
            &server.endpoint,
            "--format",
            "json",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scanned: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
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
