//! Every HTTP verifier in the catalog, against a local server that answers
//! as its provider documents (tests/provider_answers.toml): a live key is
//! live (with the identity the answer names), a dead one dead, a
//! rate-limited answer is retried, and the request carries the secret to
//! the catalog's path. The secrets are the ones the detectors find in their
//! own catalog examples, so detection and verification are tested together.
//! Plus the engine: timeouts, 429-then-success, the cache, placeholders.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use assay_classifiers::Classifiers;
use assay_classifiers::catalog::DetectorItem;
use assay_classifiers::object::RegexResult;
use assay_classifiers::verdict::{Secret, VerificationStatus};
use assay_verify::{Settings, Verifier};
use serde::Deserialize;

/// One scripted answer.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    body: String,
    delay: Duration,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_string(),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
}

/// A request as the server read it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// An HTTP/1.1 server on 127.0.0.1 answering each connection with the next
/// scripted answer (the last one repeats) and recording what it was sent.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start(script: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let answer = script[n.min(script.len() - 1)].clone();
                let log = log.clone();
                std::thread::spawn(move || {
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    log.lock().unwrap().push(request);
                    std::thread::sleep(answer.delay);
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                        answer.status,
                        answer.body.len()
                    );
                    for (name, value) in &answer.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(answer.body.as_bytes());
                });
            }
        });
        Self { base, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Seen> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Some(Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&data[head_end..]).to_string(),
    })
}

#[derive(Debug, Deserialize)]
struct Documented {
    live: Reply,
    dead: Reply,
    limited: Option<Reply>,
    identity: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Reply {
    status: u16,
    body: String,
}

fn answers() -> BTreeMap<String, Documented> {
    toml::from_str(include_str!("provider_answers.toml")).expect("provider_answers.toml")
}

fn classifiers() -> &'static Classifiers {
    static CLASSIFIERS: OnceLock<Classifiers> = OnceLock::new();
    CLASSIFIERS.get_or_init(|| Classifiers::builtin().unwrap().with_kept_secrets(3))
}

/// The detector's finding in the first of its examples that yields a raw
/// secret, with only that finding kept.
fn finding(item: &DetectorItem) -> RegexResult {
    for example in &item.examples {
        let mut object = classifiers().object("config.env");
        object.feed(example.as_bytes());
        let found = object.finish();
        if let Some(regex) = found
            .regexes
            .into_iter()
            .find(|r| r.id == item.id && !r.secrets.is_empty())
        {
            return regex;
        }
    }
    panic!("{}: no example yields a secret to verify", item.id);
}

fn settings(provider: &str, base: &str) -> Settings {
    Settings {
        concurrency: 4,
        rate_per_second: 1000.0,
        timeout: Duration::from_secs(5),
        retries: 1,
        backoff: Duration::from_millis(10),
        secrets_per_finding: 3,
        endpoints: [(provider.to_string(), base.to_string())].into(),
    }
}

fn http_verifiers() -> Vec<DetectorItem> {
    classifiers()
        .catalog()
        .detectors
        .iter()
        .filter(|d| d.verify.as_ref().is_some_and(|v| v.url.is_some()))
        .cloned()
        .collect()
}

/// Whether the request carries the secret where the catalog puts it.
fn carries(seen: &Seen, secret: &str) -> bool {
    use base64::Engine;
    let encoded: String =
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let decoded_target = percent_encoding::percent_decode_str(&seen.target)
        .decode_utf8_lossy()
        .to_string();
    let basic = seen
        .headers
        .iter()
        .filter(|(k, _)| k == "authorization")
        .filter_map(|(_, v)| v.strip_prefix("Basic "))
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .any(|pair| String::from_utf8_lossy(&pair).contains(secret));
    seen.headers.iter().any(|(_, v)| v.contains(secret))
        || basic
        || decoded_target.contains(secret)
        || seen.body.contains(secret)
        || seen.body.contains(&encoded)
}

fn run(item: &DetectorItem, script: Vec<Answer>, retries: u32) -> (RegexResult, Vec<Seen>, String) {
    let spec = item.verify.as_ref().unwrap();
    let server = Server::start(script);
    let mut settings = settings(&spec.provider, &server.base);
    settings.retries = retries;
    let verifier = Verifier::new(classifiers().catalog(), settings).unwrap();
    let mut regex = finding(item);
    let secret = regex.secrets[0].expose().to_string();
    verifier.verify(std::slice::from_mut(&mut regex));
    (regex, server.seen(), secret)
}

fn status(regex: &RegexResult) -> VerificationStatus {
    regex
        .verification
        .as_ref()
        .unwrap_or_else(|| panic!("{}: not verified", regex.id))
        .status
}

#[test]
fn every_http_verifier_has_documented_answers_and_no_other_answers_are_kept() {
    let answers = answers();
    let verifiers = http_verifiers();
    assert!(verifiers.len() >= 80, "{} HTTP verifiers", verifiers.len());
    let providers: std::collections::BTreeSet<String> = verifiers
        .iter()
        .map(|d| d.verify.as_ref().unwrap().provider.clone())
        .collect();
    for provider in &providers {
        assert!(
            answers.contains_key(provider),
            "{provider}: no documented answers in provider_answers.toml"
        );
    }
    for provider in answers.keys() {
        assert!(
            providers.contains(provider),
            "{provider}: not in the catalog"
        );
    }
}

#[test]
fn every_http_verifier_tells_live_from_dead_as_its_provider_documents() {
    let answers = answers();
    let mut failures = Vec::new();
    for item in http_verifiers() {
        let spec = item.verify.as_ref().unwrap();
        let documented = &answers[&spec.provider];
        // Live: the documented answer, and the request as the catalog says.
        let (regex, seen, secret) = run(
            &item,
            vec![Answer::new(documented.live.status, &documented.live.body)],
            0,
        );
        let verification = regex.verification.clone();
        if verification.as_ref().map(|v| v.status) != Some(VerificationStatus::Live) {
            failures.push(format!("{}: live answer gave {verification:?}", item.id));
            continue;
        }
        let detail = &verification.as_ref().unwrap().provider_detail;
        if spec.identity.is_some() && detail.identity != documented.identity {
            failures.push(format!(
                "{}: identity {:?}, documented {:?}",
                item.id, detail.identity, documented.identity
            ));
        }
        let request = &seen[0];
        let url = spec.url.as_deref().unwrap();
        let path = &url[spec.origin().unwrap().len()..];
        let expected = path.replace("{secret}", "");
        let target = percent_encoding::percent_decode_str(&request.target)
            .decode_utf8_lossy()
            .replace(&secret, "");
        if target != expected || request.method != spec.method.as_str() {
            failures.push(format!(
                "{}: sent {} {}, catalog says {} {}",
                item.id,
                request.method,
                request.target.replace(&secret, "{secret}"),
                spec.method.as_str(),
                path
            ));
        }
        if !carries(request, &secret) {
            failures.push(format!(
                "{}: the request does not carry the secret",
                item.id
            ));
        }
        // Dead.
        let (regex, _, _) = run(
            &item,
            vec![Answer::new(documented.dead.status, &documented.dead.body)],
            0,
        );
        if status(&regex) != VerificationStatus::Dead {
            failures.push(format!(
                "{}: dead answer gave {:?}",
                item.id,
                status(&regex)
            ));
        }
        // Rate limited, then live: retried.
        let limited = documented
            .limited
            .as_ref()
            .map_or(Answer::new(429, r#"{"error":"too many requests"}"#), |r| {
                Answer::new(r.status, &r.body)
            });
        let (regex, seen, _) = run(
            &item,
            vec![
                limited.clone(),
                Answer::new(documented.live.status, &documented.live.body),
            ],
            1,
        );
        if status(&regex) != VerificationStatus::Live || seen.len() != 2 {
            failures.push(format!(
                "{}: rate limited then live gave {:?} after {} calls",
                item.id,
                status(&regex),
                seen.len()
            ));
        }
        // Rate limited throughout: an error, not a verdict.
        let (regex, seen, _) = run(&item, vec![limited], 1);
        let verification = regex.verification.unwrap();
        if verification.status != VerificationStatus::Error
            || verification.provider_detail.message.as_deref() != Some("rate limited")
            || seen.len() != 2
        {
            failures.push(format!(
                "{}: always rate limited gave {verification:?} after {} calls",
                item.id,
                seen.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn github() -> DetectorItem {
    classifiers()
        .catalog()
        .detectors
        .iter()
        .find(|d| d.id == "github_key")
        .cloned()
        .unwrap()
}

#[test]
fn a_provider_that_does_not_answer_in_time_is_an_error_after_its_retries() {
    let item = github();
    let mut slow = Answer::new(200, r#"{"login":"octocat"}"#);
    slow.delay = Duration::from_secs(3);
    let server = Server::start(vec![slow]);
    let mut settings = settings("github", &server.base);
    settings.timeout = Duration::from_millis(300);
    settings.retries = 1;
    let verifier = Verifier::new(classifiers().catalog(), settings).unwrap();
    let mut regex = finding(&item);
    let started = std::time::Instant::now();
    verifier.verify(std::slice::from_mut(&mut regex));
    let verification = regex.verification.unwrap();
    assert_eq!(verification.status, VerificationStatus::Error);
    assert!(
        verification
            .provider_detail
            .message
            .as_deref()
            .is_some_and(|m| m.contains("no answer within")),
        "{verification:?}"
    );
    assert_eq!(server.seen().len(), 2, "one retry after the timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_429_with_retry_after_then_success_is_live_and_a_5xx_is_retried() {
    let item = github();
    let mut limited = Answer::new(429, r#"{"message":"slow down"}"#);
    limited.headers.push(("Retry-After".into(), "1".into()));
    let (regex, seen, _) = run(
        &item,
        vec![limited, Answer::new(200, r#"{"login":"octocat"}"#)],
        2,
    );
    assert_eq!(status(&regex), VerificationStatus::Live);
    assert_eq!(seen.len(), 2);
    let (regex, seen, _) = run(
        &item,
        vec![
            Answer::new(503, "unavailable"),
            Answer::new(401, r#"{"message":"Bad credentials"}"#),
        ],
        2,
    );
    assert_eq!(status(&regex), VerificationStatus::Dead);
    assert_eq!(seen.len(), 2);
    // An answer the provider does not document tells nothing.
    let (regex, seen, _) = run(&item, vec![Answer::new(418, "teapot")], 2);
    assert_eq!(status(&regex), VerificationStatus::Unknown);
    assert_eq!(seen.len(), 1, "not retried");
}

#[test]
fn a_secret_is_checked_once_per_scan_and_never_appears_in_the_verdict() {
    let item = github();
    let server = Server::start(vec![Answer::new(200, r#"{"login":"octocat"}"#)]);
    let verifier =
        Verifier::new(classifiers().catalog(), settings("github", &server.base)).unwrap();
    let mut first = finding(&item);
    let mut second = finding(&item);
    let secret = first.secrets[0].expose().to_string();
    verifier.verify(std::slice::from_mut(&mut first));
    verifier.verify(std::slice::from_mut(&mut second));
    assert_eq!(server.seen().len(), 1, "the second finding used the cache");
    assert_eq!(status(&second), VerificationStatus::Live);
    let json = serde_json::to_string(&second).unwrap();
    assert!(json.contains("\"verification\""), "{json}");
    assert!(!json.contains(&secret), "{json}");
    assert!(!format!("{second:?}").contains(&secret[4..]));
}

#[test]
fn placeholders_and_documented_examples_are_never_sent() {
    let item = github();
    let server = Server::start(vec![Answer::new(200, r#"{"login":"octocat"}"#)]);
    let verifier =
        Verifier::new(classifiers().catalog(), settings("github", &server.base)).unwrap();
    let mut regex = finding(&item);
    regex.secrets = vec![
        Secret::new("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        Secret::new("ghp_EXAMPLEaBcDeFgHiJkLmNoPqRsTuVwXyZ012"),
        Secret::new("ghp_your_token_here_0000000000000000000"),
    ];
    verifier.verify(std::slice::from_mut(&mut regex));
    assert!(regex.verification.is_none());
    assert_eq!(server.seen().len(), 0);
}

#[test]
fn only_the_first_secrets_of_a_finding_are_checked_and_any_live_one_makes_it_live() {
    let item = github();
    // Four distinct secrets; only two are checked.
    let server = Server::start(vec![Answer::new(200, r#"{"login":"octocat"}"#)]);
    let mut settings = settings("github", &server.base);
    settings.secrets_per_finding = 2;
    let verifier = Verifier::new(classifiers().catalog(), settings).unwrap();
    let mut regex = finding(&item);
    let base = regex.secrets[0].expose().to_string();
    regex.secrets = (0..4)
        .map(|n| Secret::new(&format!("{}{n}", &base[..base.len() - 1])))
        .collect();
    verifier.verify(std::slice::from_mut(&mut regex));
    assert_eq!(server.seen().len(), 2);
    assert_eq!(status(&regex), VerificationStatus::Live);
}

#[test]
fn docs_verify_md_lists_every_verifier_and_its_call() {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/verify.md"),
    )
    .unwrap();
    let mut missing = Vec::new();
    for item in &classifiers().catalog().detectors {
        let Some(spec) = &item.verify else { continue };
        if !docs.contains(&format!("`{}`", item.id)) {
            missing.push(format!("{}: detector not listed", item.id));
        }
        if let Some(url) = &spec.url {
            let call = format!("`{} {url}`", spec.method.as_str());
            if !docs.contains(&call) {
                missing.push(format!("{}: call {call} not listed", item.id));
            }
            if !docs.contains(&spec.proves) {
                missing.push(format!("{}: what it proves not said", item.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
