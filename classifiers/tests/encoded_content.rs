//! Secrets inside encoded content (`decode`): base64 blobs and
//! percent-encoded URLs are decoded and scanned, and each finding points at
//! the start of the encoded text. Near misses must stay quiet decoded too.

use assay_classifiers::decode::{Encoding, MAX_BASE64, MIN_BASE64};
use assay_classifiers::object::RegexResult;
use assay_classifiers::{Catalog, Classifiers};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

fn scan(classifiers: &Classifiers, name: &str, text: &[u8]) -> Vec<RegexResult> {
    let mut object = classifiers.object(name);
    object.feed(text);
    object.finish().regexes
}

fn only<'a>(found: &'a [RegexResult], id: &str) -> &'a RegexResult {
    found
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} not found in {found:?}"))
}

/// Every byte but letters and digits as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_base64_encoded_env_file_with_an_aws_key_pair() {
    let classifiers = Classifiers::builtin().unwrap();
    let env = "# production\nAWS_ACCESS_KEY_ID=AKIA2E4GHJ7KLMNPQR3S\nAWS_SECRET_ACCESS_KEY=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\nREGION=eu-west-1\n";
    let text = format!(
        "{{\n  \"name\": \"deploy\",\n  \"env_b64\": \"{}\"\n}}\n",
        STANDARD.encode(env)
    );
    let found = scan(&classifiers, "pipeline.json", text.as_bytes());
    for id in ["aws_access_key", "aws_secret_key"] {
        let finding = only(&found, id);
        let at = &finding.locations[0];
        // Line 3, column 15: where the base64 starts, after `"env_b64": "`.
        assert_eq!(
            (at.line, at.column, at.encoding),
            (3, 15, Some(Encoding::Base64)),
            "{id}"
        );
        assert_eq!(at.offset as usize, text.find("IyBwcm9k").unwrap());
    }
    // Redacted as ever: never the decoded secret in full.
    assert_eq!(only(&found, "aws_access_key").redacted, "AKIA…(20 chars)");
    assert_eq!(only(&found, "aws_secret_key").redacted, "9f/K…(40 chars)");
    // The plain file is not found twice: the base64 text itself holds no key.
    assert_eq!(only(&found, "aws_access_key").count, 1);
}

#[test]
fn a_kubernetes_secret_whose_data_holds_a_token() {
    let classifiers = Classifiers::builtin().unwrap();
    let token = "ghp_Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi";
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci-credentials\ntype: Opaque\ndata:\n  username: {}\n  github-token: {}\n",
        STANDARD.encode("release-bot"),
        STANDARD.encode(token)
    );
    let found = scan(&classifiers, "secret.yaml", text.as_bytes());
    let github = only(&found, "github_key");
    assert_eq!(github.count, 1);
    let at = &github.locations[0];
    assert_eq!(
        (at.line, at.column, at.encoding),
        (8, 17, Some(Encoding::Base64))
    );
    assert_eq!(github.redacted, "ghp_…(40 chars)");
}

#[test]
fn a_url_with_a_percent_encoded_token() {
    let classifiers = Classifiers::builtin().unwrap();
    let text = "GET /callback?state=ok&token=xoxb%2D1234567890%2D0987654321%2DAbCdEfGhIjKlMnOpQrStUvWx HTTP/1.1\n";
    let found = scan(&classifiers, "access.log", text.as_bytes());
    let slack = only(&found, "slack_api_token");
    let at = &slack.locations[0];
    assert_eq!(
        (at.line, at.column, at.encoding),
        (1, 5, Some(Encoding::Percent))
    );
    assert_eq!(slack.redacted, "xoxb…(51 chars)");
}

#[test]
fn content_that_decodes_to_binary_yields_nothing() {
    let classifiers = Classifiers::builtin().unwrap();
    // Bytes of no text (a DER-like header then noise), and the same noise
    // as an image in a data URI: base64 of the right size, decoded to binary.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise: Vec<u8> = vec![0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00];
    noise.extend((0..3000).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    let text = format!(
        "blob: {}\n<img src=\"data:image/png;base64,{}\">\n",
        STANDARD.encode(&noise[..600]),
        STANDARD.encode(&noise)
    );
    let found = scan(&classifiers, "page.html", text.as_bytes());
    assert!(found.is_empty(), "{found:?}");
    // A `base64` dump of binary: one block wrapped at 76 columns.
    let mut dump: Vec<u8> = Vec::new();
    for _ in 0..40 {
        dump.extend_from_slice(&noise);
    }
    let wrapped: Vec<String> = STANDARD
        .encode(&dump)
        .as_bytes()
        .chunks(76)
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect();
    let found = scan(&classifiers, "dump.b64", wrapped.join("\n").as_bytes());
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_wrapped_block_longer_than_the_limit_is_read_in_pieces() {
    let classifiers = Classifiers::builtin().unwrap();
    // 100 KiB of text with a token near its end, base64 wrapped at 76.
    let mut text = "LOG_LEVEL=info\n".repeat(100 * 1024 / 15);
    text.push_str("GITHUB_TOKEN=ghp_Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi\n");
    let encoded = STANDARD.encode(&text);
    assert!(encoded.len() > MAX_BASE64 * 2);
    let wrapped: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    let found = scan(&classifiers, "settings.b64", wrapped.join("\n").as_bytes());
    let github = only(&found, "github_key");
    assert_eq!(github.locations[0].encoding, Some(Encoding::Base64));
    assert_eq!(github.locations[0].column, 1);
}

/// Decoding must not make near misses alarm: every detector's
/// counterexamples, base64-encoded (both alphabets) and percent-encoded,
/// are not flagged by that detector. Its examples, base64-encoded, are
/// found (when long enough to be decoded) at the start of the encoded text,
/// unless a detector of the encoded form flagged that text already.
#[test]
fn every_detector_stays_quiet_on_its_near_misses_decoded() {
    let mut catalog = Catalog::builtin().unwrap();
    for detector in &mut catalog.detectors {
        detector.min_count = 1;
    }
    let cases: Vec<(String, Vec<String>, Vec<String>)> = catalog
        .detectors
        .iter()
        .map(|d| (d.id.clone(), d.examples.clone(), d.counterexamples.clone()))
        .collect();
    let classifiers = Classifiers::new(catalog).unwrap();
    let forms = |text: &str| {
        [
            (
                Encoding::Base64,
                format!("blob: {}\n", STANDARD.encode(text)),
            ),
            (
                Encoding::Base64,
                format!("blob: {}\n", URL_SAFE_NO_PAD.encode(text)),
            ),
            (
                Encoding::Percent,
                format!("https://example.net/?q={}\n", percent_encode(text)),
            ),
        ]
    };
    let mut problems = Vec::new();
    let (mut examples_tried, mut examples_found) = (0, 0);
    for (id, examples, counterexamples) in &cases {
        for near_miss in counterexamples {
            for (_, text) in forms(near_miss) {
                let found = scan(&classifiers, "example.txt", text.as_bytes());
                if found.iter().any(|r| &r.id == id) {
                    problems.push(format!("{id}: flagged near miss, encoded: {text:?}"));
                }
            }
        }
        for example in examples {
            let (_, base64) = &forms(example)[0];
            if STANDARD.encode(example).len() < MIN_BASE64 {
                continue;
            }
            examples_tried += 1;
            let found = scan(&classifiers, "example.txt", base64.as_bytes());
            if found.iter().any(|r| {
                &r.id == id
                    && r.locations
                        .iter()
                        .any(|l| l.encoding == Some(Encoding::Base64) && l.column == 7)
            }) {
                examples_found += 1;
            } else if !found.iter().any(|r| {
                !r.locations.is_empty()
                    && r.locations
                        .iter()
                        .all(|l| l.encoding.is_none() && l.line == 1)
            }) {
                // Not decoded only when a detector of the encoded form
                // (base64 PEM keys) already flagged the run as it stands.
                problems.push(format!(
                    "{id}: example not found base64-encoded: {example:?} (found {found:?})"
                ));
            }
        }
    }
    eprintln!("examples found base64-encoded: {examples_found} of {examples_tried}");
    assert!(examples_tried > 1500, "{examples_tried}");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
