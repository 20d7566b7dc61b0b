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
        let next = std::sync::atomic::AtomicUsize::new(0);
        Self::respond(move |_| {
            let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            script[n.min(script.len() - 1)].clone()
        })
    }

    /// A server whose answer to each request is `answer`'s.
    fn respond(answer: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Self {
        let answer = Arc::new(answer);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let log = log.clone();
                let answer = answer.clone();
                std::thread::spawn(move || {
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    let answer = answer(&request);
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
        proxy: Default::default(),
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

// ---------------------------------------------------------------------------
// Paired verifiers: the credential and the values it is checked with, found
// in the same object. The server checks the request as the provider would
// (the credential where it belongs, a JWT signed by a key it knows, a
// Shared Key signature it recomputes) and answers live only when it passes.

/// Two RSA keys made by openssl for this run (PKCS#8 PEM), and the
/// public half (PKCS#1 DER) of the first, the only one the GCP server knows.
struct GcpKeys {
    known: String,
    unknown: String,
    known_public: Vec<u8>,
}

fn gcp_keys() -> &'static GcpKeys {
    static KEYS: OnceLock<GcpKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("assay-verify-gcp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("openssl is installed (it makes the test's RSA keys)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        for name in ["known.pem", "unknown.pem"] {
            openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                name,
            ]);
        }
        openssl(&[
            "rsa",
            "-in",
            "known.pem",
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-out",
            "known.der",
        ]);
        let keys = GcpKeys {
            known: std::fs::read_to_string(dir.join("known.pem")).unwrap(),
            unknown: std::fs::read_to_string(dir.join("unknown.pem")).unwrap(),
            known_public: std::fs::read(dir.join("known.der")).unwrap(),
        };
        let _ = std::fs::remove_dir_all(&dir);
        keys
    })
}

const GCP_EMAIL: &str = "deploy@demo-rk2f9q.iam.gserviceaccount.com";

fn gcp_key_file(pem: &str) -> String {
    // The order Google writes: type first, then the project and key.
    format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo-rk2f9q\",\n  \"private_key_id\": \"4be0c1f29a7d83e65b0f1c2d3e4a5b6c7d8e9f01\",\n  \"private_key\": {},\n  \"client_email\": \"{GCP_EMAIL}\",\n  \"client_id\": \"104857362910384756102\",\n  \"token_uri\": \"https://evil.example/token\"\n}}\n",
        serde_json::Value::String(pem.to_string())
    )
}

fn form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .to_string()
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn basic(seen: &Seen) -> Option<String> {
    use base64::Engine;
    let value = header(seen, "authorization")?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    String::from_utf8(decoded).ok()
}

/// Google's side of a JWT-bearer grant: the assertion is RS256-signed by
/// the known key, issued by the key file's account, for Google's fixed
/// token URL, with a scope.
fn gcp_accepts(seen: &Seen) -> bool {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let fields = form(&seen.body);
    if fields.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return false;
    }
    let Some(jwt) = fields.get("assertion") else {
        return false;
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    let [head, claims, signature] = parts[..] else {
        return false;
    };
    let (Ok(head_json), Ok(claims_json), Ok(signature)) =
        (b64.decode(head), b64.decode(claims), b64.decode(signature))
    else {
        return false;
    };
    let head: serde_json::Value = serde_json::from_slice(&head_json).unwrap_or_default();
    let claims: serde_json::Value = serde_json::from_slice(&claims_json).unwrap_or_default();
    let key = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        &gcp_keys().known_public,
    );
    head["alg"] == "RS256"
        && claims["iss"] == GCP_EMAIL
        && claims["aud"] == "https://oauth2.googleapis.com/token"
        && claims["scope"]
            .as_str()
            .is_some_and(|s| s.starts_with("https://www.googleapis.com/auth/"))
        && claims["exp"].as_u64() > claims["iat"].as_u64()
        && key
            .verify(
                format!("{head}.{claims}", head = parts[0], claims = parts[1]).as_bytes(),
                &signature,
            )
            .is_ok()
}

const AZURE_KEY: &str =
    "pU3KGCUwux1tEyze1iN7LtkeP3IfyxlxF0SU1kk8nVw0YL4xIB5p/tqg7ui5mX9cfCmZ/a/lkyU81lSvTfrXFA==";

/// Azure's side of Shared Key: the signature recomputed from the request
/// as it arrived, by Microsoft's documented layout, with the account key.
fn azure_accepts(seen: &Seen) -> bool {
    use base64::Engine;
    let Some(auth) = header(seen, "authorization") else {
        return false;
    };
    let Some(signature) = auth.strip_prefix("SharedKey demostore7q:") else {
        return false;
    };
    let (Some(date), Some(version)) = (header(seen, "x-ms-date"), header(seen, "x-ms-version"))
    else {
        return false;
    };
    let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    params.sort();
    let mut to_sign = format!("{}\n", seen.method);
    for _ in 0..11 {
        to_sign.push('\n');
    }
    to_sign.push_str(&format!(
        "x-ms-date:{date}\nx-ms-version:{version}\n/demostore7q{path}"
    ));
    for (k, v) in params {
        to_sign.push_str(&format!("\n{k}:{v}"));
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(AZURE_KEY)
        .unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
    let expected = base64::engine::general_purpose::STANDARD
        .encode(aws_lc_rs::hmac::sign(&key, to_sign.as_bytes()));
    seen.method == "GET" && query.contains("comp=properties") && signature == expected
}

/// One paired verifier's case: an object holding the credential and its
/// companions, the provider's documented answers, and the provider's own
/// check of a request (live is answered only when it passes).
struct PairedCase {
    detector: &'static str,
    text: String,
    /// An object whose credential the provider does not know (else the
    /// dead answer is scripted).
    dead_text: Option<String>,
    accepts: fn(&Seen) -> bool,
    /// Whether a request is the one checking this detector's finding (a
    /// Twilio API key is tried with the account SID as well).
    concerns: fn(&Seen) -> bool,
    live: Answer,
    dead: Answer,
    limited: Answer,
    identity: Option<&'static str>,
    account: Option<&'static str>,
}

const TWILIO_SID: &str = "AC5e0f3c9d2b8a47e1f6c3d9a0b2e4f718";
const TWILIO_TOKEN: &str = "9c2e7a41d06b38f5e1a4c7d2b9f03e68";
const TWILIO_KEY: &str = "SK3b8d1e6f0a2c4e7b9d1f3a5c7e9b0d2f";
const TENANT: &str = "7c1e4b9a-2f3d-4e8b-9a6c-5d0f1e2a3b4c";
const CLIENT: &str = "0b9f8e7d-6c5b-4a39-8271-605f4e3d2c1b";
const ENTRA_SECRET: &str = "fYb6Q~IbSKgbTlTUONtl4WNzM0hcPt7tyKykxiEW";
const SHOP_TOKENS: [(&str, &str); 3] = [
    (
        "shopify_access_token",
        "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",
    ),
    (
        "shopify_custom_app_token",
        "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",
    ),
    (
        "shopify_private_app_token",
        "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",
    ),
];
const DOCKER_PAT: &str = "dckr_pat_Xr7kP2mQ9vL4nB8wT1zY6cJ3hF5";

fn any(_: &Seen) -> bool {
    true
}

fn paired_cases() -> Vec<PairedCase> {
    let keys = gcp_keys();
    let mut cases = vec![
        PairedCase {
            detector: "twilio_auth_token",
            text: format!("TWILIO_ACCOUNT_SID={TWILIO_SID}\nTWILIO_AUTH_TOKEN={TWILIO_TOKEN}\n"),
            dead_text: None,
            accepts: |seen| {
                seen.method == "GET"
                    && seen.target == format!("/2010-04-01/Accounts/{TWILIO_SID}.json")
                    && basic(seen) == Some(format!("{TWILIO_SID}:{TWILIO_TOKEN}"))
            },
            concerns: any,
            live: Answer::new(
                200,
                &format!(
                    r#"{{"sid":"{TWILIO_SID}","friendly_name":"Acme Alerts","status":"active","type":"Full"}}"#
                ),
            ),
            dead: Answer::new(
                401,
                r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#,
            ),
            limited: Answer::new(
                429,
                r#"{"code":20429,"message":"Too Many Requests","status":429}"#,
            ),
            identity: Some("Acme Alerts"),
            account: Some(TWILIO_SID),
        },
        PairedCase {
            detector: "twilio_api_key",
            text: format!(
                "TWILIO_API_KEY={TWILIO_KEY}\nTWILIO_API_SECRET={TWILIO_TOKEN}\nTWILIO_ACCOUNT_SID={TWILIO_SID}\n"
            ),
            dead_text: None,
            accepts: |seen| {
                seen.target == format!("/2010-04-01/Accounts/{TWILIO_SID}.json")
                    && basic(seen) == Some(format!("{TWILIO_KEY}:{TWILIO_TOKEN}"))
            },
            concerns: |seen| basic(seen).is_some_and(|b| b.starts_with("SK")),
            live: Answer::new(
                200,
                &format!(
                    r#"{{"sid":"{TWILIO_SID}","friendly_name":"Acme Alerts","status":"active"}}"#
                ),
            ),
            dead: Answer::new(
                401,
                r#"{"code":20003,"message":"Authenticate","status":401}"#,
            ),
            limited: Answer::new(
                429,
                r#"{"code":20429,"message":"Too Many Requests","status":429}"#,
            ),
            identity: Some("Acme Alerts"),
            account: Some(TWILIO_SID),
        },
        PairedCase {
            detector: "gcp_service_account_key",
            text: gcp_key_file(&keys.known),
            dead_text: Some(gcp_key_file(&keys.unknown)),
            accepts: |seen| seen.method == "POST" && seen.target == "/token" && gcp_accepts(seen),
            concerns: any,
            live: Answer::new(
                200,
                r#"{"access_token":"ya29.c.b0AXv0zTN3x","expires_in":3599,"token_type":"Bearer"}"#,
            ),
            dead: Answer::new(
                400,
                r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
            ),
            limited: Answer::new(429, r#"{"error":"rate_limit_exceeded"}"#),
            identity: Some(GCP_EMAIL),
            account: Some("demo-rk2f9q"),
        },
        PairedCase {
            detector: "azure_storage_account_key",
            text: format!(
                "STORAGE=DefaultEndpointsProtocol=https;AccountName=demostore7q;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net\n"
            ),
            dead_text: None,
            accepts: azure_accepts,
            concerns: any,
            live: Answer::new(
                200,
                r#"<?xml version="1.0" encoding="utf-8"?><StorageServiceProperties><DefaultServiceVersion>2021-08-06</DefaultServiceVersion></StorageServiceProperties>"#,
            ),
            dead: Answer::new(
                403,
                r#"<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message></Error>"#,
            ),
            limited: Answer::new(
                503,
                r#"<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>Ingress is over the account limit.</Message></Error>"#,
            ),
            identity: Some("demostore7q"),
            account: None,
        },
        PairedCase {
            detector: "azure_ad_client_secret",
            text: format!(
                "AZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_ID={CLIENT}\nAZURE_CLIENT_SECRET=\"{ENTRA_SECRET}\"\n"
            ),
            dead_text: None,
            accepts: |seen| {
                let f = form(&seen.body);
                seen.method == "POST"
                    && seen.target == format!("/{TENANT}/oauth2/v2.0/token")
                    && f.get("client_id").map(String::as_str) == Some(CLIENT)
                    && f.get("client_secret").map(String::as_str) == Some(ENTRA_SECRET)
                    && f.get("grant_type").map(String::as_str) == Some("client_credentials")
                    && f.get("scope").map(String::as_str)
                        == Some("https://graph.microsoft.com/.default")
            },
            concerns: any,
            live: Answer::new(
                200,
                r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.x"}"#,
            ),
            dead: Answer::new(
                401,
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.","error_codes":[7000215]}"#,
            ),
            limited: Answer::new(
                429,
                r#"{"error":"temporarily_unavailable","error_description":"AADSTS50196: The server terminated an operation because it encountered a client request loop."}"#,
            ),
            identity: Some(CLIENT),
            account: Some(TENANT),
        },
        PairedCase {
            detector: "docker_hub_pat",
            text: format!("DOCKER_USERNAME=buildbot7\nDOCKER_PASSWORD={DOCKER_PAT}\n"),
            dead_text: None,
            accepts: |seen| {
                let body: serde_json::Value = serde_json::from_str(&seen.body).unwrap_or_default();
                seen.method == "POST"
                    && seen.target == "/v2/auth/token"
                    && body["identifier"] == "buildbot7"
                    && body["secret"] == DOCKER_PAT
            },
            concerns: any,
            live: Answer::new(200, r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.x"}"#),
            dead: Answer::new(
                401,
                r#"{"detail":"Incorrect authentication credentials","message":"Incorrect authentication credentials"}"#,
            ),
            limited: Answer::new(429, r#"{"detail":"Too many requests"}"#),
            identity: Some("buildbot7"),
            account: None,
        },
    ];
    for (detector, token) in SHOP_TOKENS {
        cases.push(PairedCase {
            detector,
            text: format!("SHOPIFY_STORE_DOMAIN=demo-store-41.myshopify.com\nSHOPIFY_TOKEN={token}\n"),
            dead_text: None,
            accepts: |seen| {
                seen.method == "GET"
                    && seen.target == "/admin/api/2024-10/shop.json"
                    && SHOP_TOKENS
                        .iter()
                        .any(|(_, t)| header(seen, "x-shopify-access-token") == Some(t))
            },
            concerns: any,
            live: Answer::new(200, r#"{"shop":{"id":548380009,"name":"Demo Store","myshopify_domain":"demo-store-41.myshopify.com"}}"#),
            dead: Answer::new(401, r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#),
            limited: Answer::new(429, r#"{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}"#),
            identity: Some("demo-store-41.myshopify.com"),
            account: None,
        });
    }
    cases
}

fn paired_provider(detector: &str) -> String {
    classifiers()
        .catalog()
        .detectors
        .iter()
        .find(|d| d.id == detector)
        .and_then(|d| d.verify.as_ref())
        .map(|v| v.provider.clone())
        .unwrap_or_else(|| panic!("{detector}: no verifier"))
}

/// Every finding of one object, secrets and companions kept.
fn object_findings(text: &str) -> Vec<RegexResult> {
    let mut object = classifiers().object("settings.json");
    object.feed(text.as_bytes());
    object.finish().regexes
}

/// Verifies one object against a server that answers `limited` to the
/// first `limited_first` requests concerning the detector, then as the
/// provider judges; returns the detector's verdict and those requests.
fn run_paired(
    case: &PairedCase,
    text: &str,
    limited_first: usize,
    retries: u32,
) -> (Option<assay_classifiers::verdict::Verification>, Vec<Seen>) {
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (accepts, concerns) = (case.accepts, case.concerns);
    let (live, dead, limited) = (case.live.clone(), case.dead.clone(), case.limited.clone());
    let count = answered.clone();
    let server = Server::respond(move |seen| {
        if concerns(seen) && count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < limited_first
        {
            return limited.clone();
        }
        if accepts(seen) {
            live.clone()
        } else {
            dead.clone()
        }
    });
    let mut settings = settings(&paired_provider(case.detector), &server.base);
    settings.retries = retries;
    let verifier = Verifier::new(classifiers().catalog(), settings).unwrap();
    let mut regexes = object_findings(text);
    verifier.verify(&mut regexes);
    let verdict = regexes
        .iter()
        .find(|r| r.id == case.detector)
        .unwrap_or_else(|| panic!("{}: not found in its object", case.detector))
        .verification
        .clone();
    let seen = server.seen().into_iter().filter(concerns).collect();
    (verdict, seen)
}

#[test]
fn every_paired_verifier_tells_live_from_dead_with_the_values_found_beside_it() {
    let cases = paired_cases();
    // Every paired verifier in the catalog has its case.
    for item in &classifiers().catalog().detectors {
        if item.verify.as_ref().is_some_and(|v| v.paired.is_some()) {
            assert!(
                cases.iter().any(|c| c.detector == item.id),
                "{}: a paired verifier without a case",
                item.id
            );
        }
    }
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.detector;
        // Live, with the identity; the request passed the provider's check.
        let (verdict, seen) = run_paired(case, &case.text, 0, 0);
        match &verdict {
            Some(v) if v.status == VerificationStatus::Live => {
                let detail = &v.provider_detail;
                if detail.identity.as_deref() != case.identity
                    || detail.account.as_deref() != case.account
                {
                    failures.push(format!(
                        "{name}: live as {:?} in {:?}",
                        detail.identity, detail.account
                    ));
                }
                let json = serde_json::to_string(v).unwrap();
                for secret in [TWILIO_TOKEN, ENTRA_SECRET, DOCKER_PAT, &AZURE_KEY[..40]] {
                    if json.contains(secret) {
                        failures.push(format!("{name}: a secret in the verdict {json}"));
                    }
                }
            }
            other => failures.push(format!(
                "{name}: live gave {other:?} after {} requests",
                seen.len()
            )),
        }
        // Dead: the provider refuses the credential.
        let (verdict, _) = match &case.dead_text {
            Some(text) => run_paired(case, text, 0, 0),
            None => {
                let refused = PairedCase {
                    accepts: |_| false,
                    ..clone_case(case)
                };
                run_paired(&refused, &refused.text, 0, 0)
            }
        };
        if verdict.as_ref().map(|v| v.status) != Some(VerificationStatus::Dead) {
            failures.push(format!("{name}: dead gave {verdict:?}"));
        }
        // Rate limited, then live: retried once.
        let (verdict, seen) = run_paired(case, &case.text, 1, 1);
        if verdict.as_ref().map(|v| v.status) != Some(VerificationStatus::Live) || seen.len() != 2 {
            failures.push(format!(
                "{name}: limited then live gave {verdict:?} after {} requests",
                seen.len()
            ));
        }
        // Rate limited throughout: an error, not a verdict.
        let (verdict, seen) = run_paired(case, &case.text, usize::MAX, 1);
        let limited = verdict.as_ref().is_some_and(|v| {
            v.status == VerificationStatus::Error
                && v.provider_detail.message.as_deref() == Some("rate limited")
        });
        if !limited || seen.len() != 2 {
            failures.push(format!(
                "{name}: always limited gave {verdict:?} after {} requests",
                seen.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn clone_case(case: &PairedCase) -> PairedCase {
    PairedCase {
        detector: case.detector,
        text: case.text.clone(),
        dead_text: case.dead_text.clone(),
        accepts: case.accepts,
        concerns: case.concerns,
        live: case.live.clone(),
        dead: case.dead.clone(),
        limited: case.limited.clone(),
        identity: case.identity,
        account: case.account,
    }
}

#[test]
fn values_found_in_another_object_are_not_paired() {
    for case in paired_cases() {
        // Each line its own object: the credential's object holds no
        // companion, so nothing is sent.
        let server = Server::start(vec![case.live.clone()]);
        let verifier = Verifier::new(
            classifiers().catalog(),
            settings(&paired_provider(case.detector), &server.base),
        )
        .unwrap();
        let mut verified = 0;
        // The key file split in two: id and key apart from the email; the
        // connection string with its name apart from its key.
        let split = match case.detector {
            "gcp_service_account_key" => case.text.find("\"client_email\""),
            "azure_storage_account_key" => case.text.find(";AccountKey"),
            _ => None,
        };
        let lines: Vec<&str> = if let Some(at) = split {
            vec![&case.text[..at], &case.text[at..]]
        } else {
            case.text.lines().collect()
        };
        for line in lines {
            let mut regexes = object_findings(line);
            verifier.verify(&mut regexes);
            verified += regexes.iter().filter(|r| r.verification.is_some()).count();
        }
        assert_eq!(
            verified, 0,
            "{}: verified without its companion",
            case.detector
        );
        assert_eq!(server.seen().len(), 0, "{}: a call was made", case.detector);
    }
}

#[test]
fn a_malformed_account_or_shop_name_or_another_cloud_is_never_called() {
    let server = Server::start(vec![Answer::new(200, "{}")]);
    let mut settings = settings("shopify", &server.base);
    settings
        .endpoints
        .insert("azure_storage".into(), server.base.clone());
    settings
        .endpoints
        .insert("dockerhub".into(), server.base.clone());
    let verifier = Verifier::new(classifiers().catalog(), settings).unwrap();
    let token = SHOP_TOKENS[0].1;
    let objects = [
        format!("SHOP=https://demo_store.myshopify.com\nSHOPIFY_TOKEN={token}\n"),
        format!("SHOP=evil.com/x.demo.myshopify.com\nSHOPIFY_TOKEN={token}\n"),
        format!("AccountName=Demo_Store;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net\n"),
        format!("AccountName=demo.evil.com;AccountKey={AZURE_KEY}\n"),
        format!(
            "AccountName=demostore7q;AccountKey={AZURE_KEY};EndpointSuffix=core.chinacloudapi.cn\n"
        ),
        format!("DOCKER_USERNAME=ci\nDOCKER_PASSWORD={DOCKER_PAT}\n"),
    ];
    for text in &objects {
        let mut regexes = object_findings(text);
        assert!(
            regexes.iter().any(|r| !r.secrets.is_empty()),
            "the credential is found in {text}"
        );
        verifier.verify(&mut regexes);
        assert!(
            regexes.iter().all(|r| r.verification.is_none()),
            "verified: {text}"
        );
    }
    assert_eq!(server.seen().len(), 0, "a call was made");
    // The startup notice names the composed hosts as templates.
    let destinations = Verifier::new(classifiers().catalog(), Settings::default())
        .unwrap()
        .destinations();
    for origin in [
        "https://{account}.blob.core.windows.net",
        "https://{shop}.myshopify.com",
        "https://oauth2.googleapis.com",
        "https://login.microsoftonline.com",
        "https://api.twilio.com",
        "https://hub.docker.com",
    ] {
        assert!(
            destinations
                .iter()
                .any(|d| d.origin == origin && !d.overridden),
            "{origin} not announced: {destinations:?}"
        );
    }
}

/// A CONNECT proxy on 127.0.0.1 that records each request head it gets
/// and refuses the tunnel (the test has no TLS server to tunnel to).
fn refusing_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let log = heads.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).to_string());
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, heads)
}

#[test]
fn https_calls_go_through_the_https_proxy_as_a_tunnel_unless_no_proxy_names_the_host() {
    let item = github();
    let mut regex = finding(&item);
    let secret = regex.secrets[0].expose().to_string();
    let (proxy, heads) = refusing_proxy();
    let mut settings = settings("unused", "http://127.0.0.1:9");
    settings.retries = 0;
    settings.timeout = Duration::from_secs(3);
    settings.proxy.https = Some(proxy.clone());
    let verifier = Verifier::new(classifiers().catalog(), settings.clone()).unwrap();
    verifier.verify(std::slice::from_mut(&mut regex));
    let verification = regex.verification.take().unwrap();
    assert_eq!(verification.status, VerificationStatus::Error);
    assert!(
        verification
            .provider_detail
            .message
            .as_deref()
            .is_some_and(|m| m.contains("proxy")),
        "{verification:?}"
    );
    let seen = heads.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("CONNECT api.github.com:443 HTTP/1.1"),
        "{seen:?}"
    );
    assert!(!seen[0].contains(&secret), "the proxy saw the secret");

    // NO_PROXY names the host: the proxy is not used.
    settings.proxy.no = Some("localhost,.github.com".into());
    settings.timeout = Duration::from_millis(500);
    let verifier = Verifier::new(classifiers().catalog(), settings.clone()).unwrap();
    verifier.verify(std::slice::from_mut(&mut regex));
    assert_eq!(heads.lock().unwrap().len(), 1, "the proxy was used");

    // A plain-HTTP destination (the test hook) never goes through it.
    let server = Server::start(vec![Answer::new(200, r#"{"login":"octocat"}"#)]);
    let mut settings = settings_with(&server.base);
    settings.proxy.https = Some(proxy);
    settings.proxy.no = None;
    let verifier = Verifier::new(classifiers().catalog(), settings).unwrap();
    let mut regex = finding(&item);
    verifier.verify(std::slice::from_mut(&mut regex));
    assert_eq!(status(&regex), VerificationStatus::Live);
    assert_eq!(heads.lock().unwrap().len(), 1, "the proxy was used");
}

fn settings_with(base: &str) -> Settings {
    settings("github", base)
}

#[test]
fn entra_ids_that_name_no_app_or_tenant_leave_the_secret_unknown() {
    let case = paired_cases()
        .into_iter()
        .find(|c| c.detector == "azure_ad_client_secret")
        .unwrap();
    for (code, says) in [
        ("AADSTS700016", "no application"),
        ("AADSTS90002", "no such tenant"),
    ] {
        let answer = Answer::new(
            400,
            &format!(
                r#"{{"error":"unauthorized_client","error_description":"{code}: not found.","error_codes":[{}]}}"#,
                &code[6..]
            ),
        );
        let server = Server::start(vec![answer]);
        let verifier = Verifier::new(
            classifiers().catalog(),
            settings("azure_entra", &server.base),
        )
        .unwrap();
        let mut regexes = object_findings(&case.text);
        verifier.verify(&mut regexes);
        let verification = regexes
            .iter()
            .find(|r| r.id == case.detector)
            .and_then(|r| r.verification.clone())
            .unwrap();
        assert_eq!(verification.status, VerificationStatus::Unknown, "{code}");
        assert!(
            verification
                .provider_detail
                .message
                .as_deref()
                .is_some_and(|m| m.contains(says)),
            "{verification:?}"
        );
        assert_eq!(server.seen().len(), 1, "not retried");
    }
}
