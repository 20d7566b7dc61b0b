//! `assay scan --verify`: AWS key pairs checked with STS against a real,
//! separately run moto server; HTTP verifiers against a local server; no
//! provider contacted without `--verify`; `--verify-only-live`; verdicts in
//! every report format; secrets never in the output.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{assay, json_lines, record, repo};

/// The first requests moto serves without checking signatures (the script
/// spends them all making keys).
const MOTO_FREE_REQUESTS: &str = "120";

/// The test venv's program, else one on PATH; a missing one fails the test
/// with how to install it.
fn venv_program(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let venv = target.join("test-python/bin").join(name);
    if venv.is_file() {
        return venv;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: run tests/run, which installs moto[server] into \
                 target/test-python (or: pip install 'moto[server]')"
            )
        })
}

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_moto() -> Moto {
    let port = free_port();
    let child = Command::new(venv_program("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("INITIAL_NO_AUTH_ACTION_COUNT", MOTO_FREE_REQUESTS)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// Runs `assay scan --format jsonl` with extra arguments and environment;
/// returns the records and stderr.
fn scan(
    target: &Path,
    args: &[&str],
    env: &[(String, String)],
) -> (std::process::Output, Vec<Value>) {
    let mut command = assay();
    command
        .args(["scan", target.to_str().unwrap(), "--format", "jsonl"])
        .args(args)
        .current_dir(target);
    for var in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        command.env_remove(var);
    }
    for (key, _) in std::env::vars() {
        if key.starts_with("ASSAY_VERIFY_ENDPOINT_") {
            command.env_remove(key);
        }
    }
    command.env("AWS_REGION", "us-east-1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("assay runs");
    let records = json_lines(&output.stdout);
    (output, records)
}

fn finding<'a>(record: &'a Value, id: &str) -> &'a Value {
    record["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {record}"))
}

#[test]
fn aws_keys_are_checked_with_sts_the_live_one_names_its_arn_and_the_deleted_one_is_dead() {
    let moto = start_moto();
    let output = Command::new(venv_program("python3"))
        .arg(repo().join("tests/verify/moto_keys.py"))
        .args([&moto.url, MOTO_FREE_REQUESTS])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "moto_keys.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let keys: Value = serde_json::from_slice(&output.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, key) in [("live", &keys["live"]), ("deleted", &keys["dead"])] {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
        std::fs::write(
            dir.path().join(name).join("credentials"),
            format!(
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = us-east-1\n",
                key["id"].as_str().unwrap(),
                key["secret"].as_str().unwrap()
            ),
        )
        .unwrap();
    }
    let (output, records) = scan(
        dir.path(),
        &["--verify"],
        &[("AWS_ENDPOINT_URL_STS".into(), moto.url.clone())],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // Whom it may contact is said before the scan starts.
    assert!(
        stderr.contains("providers may be contacted")
            && stderr.contains(&format!("aws            {} (overridden)", moto.url)),
        "{stderr}"
    );

    let live = record(&records, "live/credentials");
    let arn = keys["live"]["arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:iam::") && arn.contains(":user/leaky-"),
        "{arn}"
    );
    for id in ["aws_access_key", "aws_secret_key"] {
        let verification = &finding(live, id)["verification"];
        assert_eq!(verification["status"], "live", "{live}");
        assert_eq!(verification["provider_detail"]["identity"], arn);
        assert_eq!(
            verification["provider_detail"]["account"],
            keys["live"]["account"]
        );
        assert!(
            verification["checked_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
    }
    assert_eq!(live["risk"], 10);
    let factor = live["risk_factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "verification")
        .unwrap_or_else(|| panic!("no verification factor: {live}"));
    assert_eq!(factor["value"], 10);
    assert!(factor["detail"].as_str().unwrap().contains(arn), "{factor}");

    let dead = record(&records, "deleted/credentials");
    for id in ["aws_access_key", "aws_secret_key"] {
        let verification = &finding(dead, id)["verification"];
        assert_eq!(verification["status"], "dead", "{dead}");
        assert_eq!(
            verification["provider_detail"]["message"],
            "InvalidClientTokenId"
        );
    }
    assert!(
        !dead["risk_factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "verification")
    );
    // The secrets themselves appear nowhere.
    let all = format!("{}{stderr}", String::from_utf8_lossy(&output.stdout));
    for key in [&keys["live"], &keys["dead"]] {
        assert!(!all.contains(key["secret"].as_str().unwrap()));
        assert!(!all.contains(key["id"].as_str().unwrap()));
    }
}

/// Made-up tokens in the vendors' formats.
const GITHUB_LIVE: &str = "ghp_Qm4xT8rLw2VbN6yHc0ZsJp3KfD9aUe7GiR5t";
const GITHUB_DEAD: &str = "ghp_Wz7nB2kXq5MvT9cLr4HsYd8PfA3gEj6NuK1o";
const SLACK: &str = "xoxb-48213906571-702938471652-Tq8WmZr3Lx5VbN2cHk7YsDpJ";
const STRIPE: &str = "sk_live_51Hq7TgK2xWbN8mZr4Lc9VsYd3PfA6jEuG0iTo5Q";
const OPENAI: &str =
    "sk-proj-Zq3Wx8Rt5Yv2Nb7Mc4Lk9Jh6Gf1Ds0Ap8Oi5Uy2T3BlbkFJTr6Ew9Qa3Sd8Fg5Hj2Kl7Zx4Cv1Bn0Mq";

/// A live and a dead GitHub token, each in its own file, and a file
/// with no secret.
fn plant_github(dir: &Path) {
    std::fs::write(
        dir.join("live.env"),
        format!("GITHUB_TOKEN={GITHUB_LIVE}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("dead.env"),
        format!("GITHUB_TOKEN={GITHUB_DEAD}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing secret here\n").unwrap();
}

/// [`plant_github`]'s files and one with a token of each of several
/// providers.
fn plant(dir: &Path) {
    plant_github(dir);
    let more = format!(
        "SLACK_BOT_TOKEN={SLACK}\nSTRIPE_API_KEY={STRIPE}\nOPENAI_API_KEY={OPENAI}\n\
         aws_access_key_id = AKIAQ3ZT7RBX4MWK2NPL\n\
         aws_secret_access_key = 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\n"
    );
    std::fs::write(dir.join("more.env"), more).unwrap();
}

/// A listener that counts the connections made to it and closes them.
fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

/// Every provider's endpoint override, pointed at `url`.
fn every_provider_at(url: &str) -> Vec<(String, String)> {
    let catalog = assay_classifiers::Catalog::builtin().unwrap();
    let mut env: Vec<(String, String)> = catalog
        .detectors
        .iter()
        .filter_map(|d| d.verify.as_ref())
        .map(|v| {
            (
                format!("ASSAY_VERIFY_ENDPOINT_{}", v.provider.to_ascii_uppercase()),
                url.to_string(),
            )
        })
        .collect();
    env.sort();
    env.dedup();
    env.push(("AWS_ENDPOINT_URL_STS".into(), url.to_string()));
    env
}

#[test]
fn a_scan_without_verify_contacts_no_provider() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let (url, connections) = counting_listener();
    let env = every_provider_at(&url);
    assert!(env.len() > 40, "{} overrides", env.len());
    let (output, records) = scan(dir.path(), &["--quiet"], &env);
    assert!(output.status.success());
    assert!(records.len() >= 3);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a provider was contacted"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("\"verification\""));
    assert!(String::from_utf8_lossy(&output.stderr).is_empty());

    // The same scan with --verify does call out (to the listener): the
    // overrides work, so the zero above is not for want of them.
    std::fs::write(
        dir.path().join("verify.toml"),
        "[verify]\nretries = 0\ntimeout_seconds = 2\n",
    )
    .unwrap();
    let (output, records) = scan(
        dir.path(),
        &["--quiet", "--verify", "--config", "verify.toml"],
        &env,
    );
    assert!(output.status.success());
    // github x2, slack, stripe, openai, and the AWS pair.
    assert!(connections.load(Ordering::SeqCst) >= 6);
    let more = record(&records, "more.env");
    for id in [
        "slack_api_token",
        "stripe_secret_key",
        "openai_api_key",
        "aws_access_key",
    ] {
        assert_eq!(
            finding(more, id)["verification"]["status"],
            "error",
            "{id}: {more}"
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    for secret in [GITHUB_LIVE, SLACK, STRIPE, OPENAI] {
        assert!(!stdout.contains(secret));
    }
}

/// Answers as GitHub documents for `GET /user`: the live token's user, 401
/// for any other.
fn github_like() -> String {
    github_counting().0
}

/// A provider on loopback: each request's head goes to `answer`, which
/// gives the status line and the JSON body to send back.
fn provider_like(answer: impl Fn(&str) -> (&'static str, String) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let (status, body) = answer(&String::from_utf8_lossy(&head));
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// [`github_like`], counting the requests that carry the live token.
fn github_counting() -> (String, Arc<AtomicUsize>) {
    let live_calls = Arc::new(AtomicUsize::new(0));
    let counted = live_calls.clone();
    let url = provider_like(move |head| {
        if head.contains(GITHUB_LIVE) {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        if head.starts_with("GET /user ") && head.contains(&format!("Bearer {GITHUB_LIVE}")) {
            ("200 OK", r#"{"login":"octocat","id":583231}"#.to_string())
        } else {
            (
                "401 Unauthorized",
                r#"{"message":"Bad credentials"}"#.to_string(),
            )
        }
    });
    (url, live_calls)
}

#[test]
fn live_and_dead_findings_are_marked_in_every_format_and_only_live_filters() {
    let dir = tempfile::tempdir().unwrap();
    plant_github(dir.path());
    let env = vec![("ASSAY_VERIFY_ENDPOINT_GITHUB".to_string(), github_like())];

    let (_, plain) = scan(dir.path(), &["--quiet"], &env);
    let (output, records) = scan(dir.path(), &["--quiet", "--verify"], &env);
    assert!(output.status.success());
    assert_eq!(records.len(), 3);
    let validator = crate::schema::record_validator();
    for r in &records {
        crate::schema::assert_valid(&validator, r, "verified record");
    }
    let live = record(&records, "live.env");
    let verification = &finding(live, "github_key")["verification"];
    assert_eq!(verification["status"], "live");
    assert_eq!(verification["provider_detail"]["identity"], "octocat");
    assert_eq!(verification["provider_detail"]["http_status"], 200);
    assert_eq!(live["risk"], 10);
    let dead = record(&records, "dead.env");
    assert_eq!(
        finding(dead, "github_key")["verification"]["status"],
        "dead"
    );
    // A dead key keeps its content risk.
    assert_eq!(dead["risk"], record(&plain, "dead.env")["risk"]);
    assert!(record(&plain, "live.env")["risk"].as_u64().unwrap() < 10);

    let (output, records) = scan(dir.path(), &["--quiet", "--verify-only-live"], &env);
    assert!(output.status.success());
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(records[0]["uri"].as_str().unwrap().ends_with("live.env"));

    let report = |format: &str| {
        let mut command = assay();
        command
            .args([
                "scan",
                dir.path().to_str().unwrap(),
                "--quiet",
                "--verify",
                "--format",
                format,
            ])
            .current_dir(dir.path());
        for (key, value) in &env {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let table = report("table");
    assert!(table.contains("verified live as octocat"), "{table}");
    assert!(table.contains("dead: github refused it"), "{table}");
    let csv = report("csv");
    assert!(csv.contains("[dead: github refused it]"), "{csv}");
    let sarif: Value = serde_json::from_str(&report("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let status_of = |file: &str| {
        results
            .iter()
            .find(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with(file)
            })
            .map(|r| r["properties"]["verification"]["status"].clone())
    };
    assert_eq!(status_of("live.env"), Some(Value::from("live")));
    assert_eq!(status_of("dead.env"), Some(Value::from("dead")));
    let html = report("html");
    assert!(html.contains("line-through"), "dead is struck through");
    assert!(html.contains("verified live as octocat"));
    let json: Value = serde_json::from_str(&report("json")).unwrap();
    crate::schema::assert_valid(&crate::schema::report_validator(), &json, "json report");
    for text in [&table, &csv, &html] {
        assert!(!text.contains(GITHUB_LIVE) && !text.contains(GITHUB_DEAD));
    }
}

#[test]
fn a_bad_verify_setting_is_a_usage_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.env"),
        format!("GITHUB_TOKEN={GITHUB_LIVE}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("assay.toml"),
        "[verify]\nenabled = true\ntimeout_seconds = 0\n",
    )
    .unwrap();
    let (output, records) = scan(dir.path(), &["--quiet"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(records.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("timeout_seconds"), "{stderr}");
    std::fs::write(dir.path().join("assay.toml"), "[verify]\nenable = true\n").unwrap();
    let (output, _) = scan(dir.path(), &["--quiet"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("assay.toml:2"));
}

const TWILIO_SID: &str = "AC7d2e9f4a1b6c3d8e5f0a7b2c9d4e1f63";
const TWILIO_TOKEN: &str = "e4b9c2a7f1d8e3b6a0c5f9d2e7b4a1c8";

/// Answers as Twilio documents for `GET /2010-04-01/Accounts/{SID}.json`:
/// the account for its SID and auth token in basic auth, 401 otherwise.
fn twilio_like() -> String {
    use base64::Engine;
    let pair =
        base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}"));
    provider_like(move |head| {
        if head.starts_with(&format!("GET /2010-04-01/Accounts/{TWILIO_SID}.json "))
            && head.contains(&format!("Basic {pair}"))
        {
            (
                "200 OK",
                format!(
                    r#"{{"sid":"{TWILIO_SID}","friendly_name":"Ops Pager","status":"active"}}"#
                ),
            )
        } else {
            (
                "401 Unauthorized",
                r#"{"code":20003,"message":"Authenticate","status":401}"#.to_string(),
            )
        }
    })
}

#[test]
fn a_twilio_token_is_verified_with_the_account_sid_of_its_own_file_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pager.env"),
        format!("TWILIO_ACCOUNT_SID={TWILIO_SID}\nTWILIO_AUTH_TOKEN={TWILIO_TOKEN}\n"),
    )
    .unwrap();
    // The same token alone; the SID is in another file.
    std::fs::write(
        dir.path().join("token.env"),
        format!("TWILIO_AUTH_TOKEN={TWILIO_TOKEN}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sid.env"),
        format!("TWILIO_ACCOUNT_SID={TWILIO_SID}\n"),
    )
    .unwrap();
    let env = vec![("ASSAY_VERIFY_ENDPOINT_TWILIO".to_string(), twilio_like())];
    let (output, records) = scan(dir.path(), &["--verify"], &env);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("twilio"), "{stderr}");
    let pager = record(&records, "pager.env");
    let verification = &finding(pager, "twilio_auth_token")["verification"];
    assert_eq!(verification["status"], "live", "{pager}");
    assert_eq!(verification["provider_detail"]["identity"], "Ops Pager");
    assert_eq!(verification["provider_detail"]["account"], TWILIO_SID);
    assert_eq!(pager["risk"], 10);
    let alone = record(&records, "token.env");
    assert!(
        finding(alone, "twilio_auth_token")
            .get("verification")
            .is_none(),
        "{alone}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains(TWILIO_TOKEN), "the token in the report");
}

#[test]
fn fleet_shards_verify_like_a_scan_and_the_merge_keeps_the_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    plant_github(&tree);
    let github = github_like();
    let shards_then_merge = |run: &Path, shard_args: &[&str]| -> Vec<Value> {
        let run = run.to_str().unwrap();
        let output = assay()
            .args([
                "plan",
                tree.to_str().unwrap(),
                "--shards",
                "2",
                "--run",
                run,
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for shard in ["0/2", "1/2"] {
            let output = assay()
                .args(["scan", "--plan", run, "--shard", shard, "--quiet"])
                .args(shard_args)
                .env("ASSAY_VERIFY_ENDPOINT_GITHUB", &github)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let merged = assay()
            .args(["merge", run, "--format", "jsonl", "--quiet"])
            .output()
            .unwrap();
        assert!(
            merged.status.success(),
            "{}",
            String::from_utf8_lossy(&merged.stderr)
        );
        json_lines(&merged.stdout)
    };
    let verified = shards_then_merge(&dir.path().join("run-verified"), &["--verify"]);
    assert_eq!(verified.len(), 3);
    let live = record(&verified, "live.env");
    let verification = &finding(live, "github_key")["verification"];
    assert_eq!(verification["status"], "live", "{live}");
    assert_eq!(verification["provider_detail"]["identity"], "octocat");
    assert_eq!(live["risk"], 10);
    assert_eq!(
        finding(record(&verified, "dead.env"), "github_key")["verification"]["status"],
        "dead"
    );
    // Without --verify the shards call nobody and the records carry no verdict.
    let plain = shards_then_merge(&dir.path().join("run-plain"), &[]);
    assert_eq!(plain.len(), 3);
    for r in &plain {
        assert!(!r.to_string().contains("\"verification\""), "{r}");
    }
    assert!(record(&plain, "live.env")["risk"].as_u64().unwrap() < 10);
    // --verify-only-live keeps only the live object.
    let only = shards_then_merge(&dir.path().join("run-live"), &["--verify-only-live"]);
    assert_eq!(only.len(), 1, "{only:?}");
    assert!(only[0]["uri"].as_str().unwrap().ends_with("live.env"));
}

/// Objects that all hold the live and the dead GitHub token, enough of
/// them that each of two shards gets some.
fn holders() -> Vec<(String, Vec<u8>)> {
    (0..8)
        .map(|i| {
            (
                format!("app{i}/deploy.env"),
                format!(
                    "GITHUB_TOKEN={GITHUB_LIVE}\nOLD_GITHUB_TOKEN={GITHUB_DEAD}\nREPLICAS={i}\n"
                )
                .into_bytes(),
            )
        })
        .collect()
}

/// Where a secret's shared verdict lives under a run location's root: the
/// hex of the verifier's cache key, never the secret.
fn verdict_path(root: &Path, run_id: &str, provider: &str, secret: &str) -> PathBuf {
    let name = hex::encode(assay_verify::cache::key(provider, &[secret]));
    root.join(format!("runs/{run_id}/verdicts/{name}.json"))
}

/// Every file under `root`, as bytes, is free of `secret`.
fn assert_nowhere_under(root: &Path, secret: &str) {
    let mut stack = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the secret is in {}",
                path.display()
            );
        }
    }
    assert!(files > 3, "only {files} files under {}", root.display());
}

/// Plans `target` over two shards into `run`; the plan read back from
/// `plan_json`, after checking that both shards have units.
fn plan_two_shards(
    command: &dyn Fn(&[&str]) -> Command,
    target: &str,
    run: &str,
    plan_json: &Path,
) -> Value {
    let output = command(&["plan", target, "--shards", "2", "--run", run])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan: Value = serde_json::from_slice(&std::fs::read(plan_json).unwrap()).unwrap();
    let shards: std::collections::BTreeSet<u64> = plan["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["shard"].as_u64().unwrap())
        .collect();
    assert_eq!(shards.len(), 2, "both shards must hold the secret: {plan}");
    plan
}

/// Runs both shards with `--verify`, one after the other; their stderr.
fn verify_shards(command: &dyn Fn(&[&str]) -> Command, run: &str) -> Vec<String> {
    ["0/2", "1/2"]
        .iter()
        .map(|shard| {
            let output = command(&["scan", "--plan", run, "--shard", shard, "--verify"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr).to_string();
            assert!(output.status.success(), "{stderr}");
            assert!(!stderr.contains(GITHUB_LIVE) && !stderr.contains(GITHUB_DEAD));
            stderr
        })
        .collect()
}

/// The merged records of a run; every one holds the live token, so each
/// must carry the same live verdict (and the dead token the same dead
/// one), to the second it was checked at when the shards shared it: the
/// verification of the live finding, which is returned.
fn merged_verdict(command: &dyn Fn(&[&str]) -> Command, run: &str, shared: bool) -> Value {
    let output = command(&["merge", run, "--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = json_lines(&output.stdout);
    assert_eq!(records.len(), 8);
    let verdicts = |record: &Value| -> Vec<Value> {
        record["regexes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["id"] == "github_key")
            .map(|r| r["verification"].clone())
            .collect()
    };
    let first = verdicts(&records[0]);
    let statuses: Vec<&Value> = first.iter().map(|v| &v["status"]).collect();
    assert!(statuses.contains(&&Value::from("live")), "{first:?}");
    let unshared = |verdicts: Vec<Value>| -> Vec<Value> {
        verdicts
            .into_iter()
            .map(|mut v| {
                if !shared {
                    v["checked_at"] = Value::Null;
                }
                v
            })
            .collect()
    };
    for record in &records {
        assert_eq!(
            unshared(verdicts(record)),
            unshared(first.clone()),
            "{}",
            record["uri"]
        );
        assert_eq!(record["risk"], 10);
    }
    let live = first.iter().find(|v| v["status"] == "live").unwrap();
    assert_eq!(live["provider_detail"]["identity"], "octocat");
    live.clone()
}

/// Plans a two-shard run of `tree` at the local location `run` and puts
/// `content` where the run keeps the live GitHub token's verdict; returns
/// that file.
fn plan_with_stored_live_verdict(
    command: &dyn Fn(&[&str]) -> Command,
    tree: &str,
    run: &Path,
    content: &str,
) -> PathBuf {
    let plan = plan_two_shards(command, tree, run.to_str().unwrap(), &run.join("plan.json"));
    let stored = verdict_path(run, plan["run_id"].as_str().unwrap(), "github", GITHUB_LIVE);
    std::fs::create_dir_all(stored.parent().unwrap()).unwrap();
    std::fs::write(&stored, content).unwrap();
    stored
}

/// How many verdicts a shard says it took from the run's shared verdicts.
fn taken_from_store(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| {
            l.strip_suffix(" verdicts taken from the run's shared verdicts instead of a call")
                .and_then(|l| l.strip_prefix("assay: "))
        })
        .unwrap_or_else(|| panic!("no count of shared verdicts in {stderr}"))
        .parse()
        .unwrap()
}

#[test]
fn fleet_shards_check_a_secret_they_share_once_through_a_local_run_location() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    for (key, body) in holders() {
        let path = tree.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    let (github, live_calls) = github_counting();
    let command = |args: &[&str]| {
        let mut command = assay();
        command
            .args(args)
            .env("ASSAY_VERIFY_ENDPOINT_GITHUB", &github);
        command
    };
    let tree = tree.to_str().unwrap();

    // Both shards hold the live token: one call in all, and the second
    // shard takes the first one's verdict (the dead token's too).
    let run = dir.path().join("run-a");
    let plan = plan_two_shards(
        &command,
        tree,
        run.to_str().unwrap(),
        &run.join("plan.json"),
    );
    let run_id = plan["run_id"].as_str().unwrap();
    let stderr = verify_shards(&command, run.to_str().unwrap());
    assert_eq!(live_calls.load(Ordering::SeqCst), 1);
    assert_eq!(taken_from_store(&stderr[0]), 0, "{}", stderr[0]);
    assert_eq!(taken_from_store(&stderr[1]), 2, "{}", stderr[1]);
    let live = merged_verdict(&command, run.to_str().unwrap(), true);
    let stored: Value = serde_json::from_slice(
        &std::fs::read(verdict_path(&run, run_id, "github", GITHUB_LIVE)).unwrap(),
    )
    .unwrap();
    assert_eq!(stored, live, "the store holds what the records say");
    let dead: Value = serde_json::from_slice(
        &std::fs::read(verdict_path(&run, run_id, "github", GITHUB_DEAD)).unwrap(),
    )
    .unwrap();
    assert_eq!(dead["status"], "dead");
    let verdicts = std::fs::read_dir(run.join(format!("runs/{run_id}/verdicts")))
        .unwrap()
        .count();
    assert_eq!(verdicts, 2);
    assert_nowhere_under(&run, GITHUB_LIVE);
    assert_nowhere_under(&run, GITHUB_DEAD);

    // An `error` verdict in the store (no answer, another time) is not
    // trusted: the first shard asks again and replaces it, the second
    // uses that.
    let run = dir.path().join("run-b");
    let stored = plan_with_stored_live_verdict(
        &command,
        tree,
        &run,
        r#"{"status":"error","checked_at":"2026-12-07T01:00:00Z","provider_detail":{"provider":"github","message":"timed out"}}"#,
    );
    verify_shards(&command, run.to_str().unwrap());
    assert_eq!(live_calls.load(Ordering::SeqCst), 2);
    let live = merged_verdict(&command, run.to_str().unwrap(), true);
    let now: Value = serde_json::from_slice(&std::fs::read(&stored).unwrap()).unwrap();
    assert_eq!(now, live);

    // A file that is no verdict is reported, with where it is, and
    // ignored: the provider is asked and the file replaced.
    let run = dir.path().join("run-c");
    let stored =
        plan_with_stored_live_verdict(&command, tree, &run, r#"{"status":"live","checked_at":"#);
    let stderr = verify_shards(&command, run.to_str().unwrap());
    assert_eq!(live_calls.load(Ordering::SeqCst), 3);
    let reported = stderr.concat();
    assert_eq!(reported.matches("not a verdict").count(), 1, "{reported}");
    assert!(
        reported.contains(&stored.display().to_string()),
        "{reported}"
    );
    let live = merged_verdict(&command, run.to_str().unwrap(), true);
    let now: Value = serde_json::from_slice(&std::fs::read(&stored).unwrap()).unwrap();
    assert_eq!(now, live);
}

#[test]
fn fleet_shards_share_verdicts_through_an_s3_run_location_and_go_on_without_it() {
    use crate::s3::{assay_s3, fill, start_server};
    let server = start_server();
    fill(&server, "fleet", &holders());
    fill(&server, "runs", &[] as &[(String, Vec<u8>)]);
    let (github, live_calls) = github_counting();
    let endpoint = server.endpoint.clone();
    let command = |args: &[&str]| {
        let mut command = assay_s3();
        command
            .args(args)
            .env("ASSAY_VERIFY_ENDPOINT_GITHUB", &github)
            .env("ASSAY_LOG", "warn")
            .args(["--endpoint-url", &endpoint]);
        command
    };
    // s3s-fs keeps each object as a file under its bucket's directory.
    let runs = server.root.path().join("runs");

    let plan = plan_two_shards(
        &command,
        "s3://fleet",
        "s3://runs/shared",
        &runs.join("shared/plan.json"),
    );
    let run_id = plan["run_id"].as_str().unwrap();
    let stderr = verify_shards(&command, "s3://runs/shared");
    assert_eq!(live_calls.load(Ordering::SeqCst), 1);
    assert_eq!(taken_from_store(&stderr[1]), 2, "{}", stderr[1]);
    let live = merged_verdict(&command, "s3://runs/shared", true);
    let stored: Value = serde_json::from_slice(
        &std::fs::read(verdict_path(
            &runs.join("shared"),
            run_id,
            "github",
            GITHUB_LIVE,
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(stored, live);
    assert_nowhere_under(&runs, GITHUB_LIVE);
    assert_nowhere_under(&runs, GITHUB_DEAD);

    // The store refuses the verdicts (a role without access to them): the
    // shards still verify, each calling itself, and each says so once,
    // naming where.
    server.faults.set_policy(|path| {
        path.contains("/verdicts/")
            .then_some(crate::s3::Fault::Status(403, "AccessDenied"))
    });
    plan_two_shards(
        &command,
        "s3://fleet",
        "s3://runs/denied",
        &runs.join("denied/plan.json"),
    );
    let stderr = verify_shards(&command, "s3://runs/denied");
    assert_eq!(live_calls.load(Ordering::SeqCst), 3);
    for said in &stderr {
        assert_eq!(
            said.matches("shared verdicts cannot be used").count(),
            1,
            "{said}"
        );
        assert!(said.contains("s3://runs/denied/runs/"), "{said}");
        assert_eq!(taken_from_store(said), 0);
    }
    merged_verdict(&command, "s3://runs/denied", false);
}
