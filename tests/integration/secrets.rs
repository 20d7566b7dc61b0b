//! Secrets never leave in full (issue 22, point 4): every detector example
//! of the catalog is scanned from a tree, and no output holds any of their
//! secrets whole: not a report in any format, not the state database, not
//! stderr with every log level on (`ASSAY_LOG=trace` prints every level's
//! lines), not the progress line a terminal shows.
//!
//! A secret is what the detector's pattern captures in its `secret*` groups
//! (the whole match when it has none), found here with the pattern itself,
//! independently of the scanner. Failures name the detector and the output,
//! never the secret.

use std::path::Path;

use aho_corasick::AhoCorasick;
use assay_classifiers::Catalog;

use crate::util::{assay, tool};

/// Secrets shorter than this are left out: three digits of a card's
/// security code occur in any report (sizes, offsets, timestamps) by
/// chance, not by a leak.
const MIN_SECRET: usize = 8;

struct Secret {
    detector: String,
    example: usize,
    text: Vec<u8>,
}

/// Each example's secrets, by the detector's own pattern.
fn secrets(catalog: &Catalog) -> (Vec<(String, usize, String)>, Vec<Secret>) {
    let mut examples = Vec::new();
    let mut secrets = Vec::new();
    for detector in catalog.detectors.iter().filter(|d| d.enabled) {
        let regex = regex::bytes::RegexBuilder::new(&detector.pattern)
            .unicode(false)
            .size_limit(64 << 20)
            .build()
            .unwrap_or_else(|e| panic!("{}: pattern does not compile: {e}", detector.id));
        let groups: Vec<usize> = regex
            .capture_names()
            .enumerate()
            .filter(|(_, name)| name.is_some_and(|n| n.starts_with("secret")))
            .map(|(i, _)| i)
            .collect();
        for (n, example) in detector.examples.iter().enumerate() {
            examples.push((detector.id.clone(), n, example.clone()));
            let Some(captures) = regex.captures(example.as_bytes()) else {
                continue;
            };
            let parts: Vec<&[u8]> = if groups.is_empty() {
                vec![captures.get(0).map_or(&[][..], |m| m.as_bytes())]
            } else {
                groups
                    .iter()
                    .filter_map(|&g| captures.get(g).map(|m| m.as_bytes()))
                    .collect()
            };
            for part in parts.into_iter().filter(|p| p.len() >= MIN_SECRET) {
                secrets.push(Secret {
                    detector: detector.id.clone(),
                    example: n,
                    text: part.to_vec(),
                });
            }
        }
    }
    (examples, secrets)
}

/// The detectors (and examples) whose secret `output` holds whole: every
/// secret searched at once, overlapping matches included (a secret inside
/// another is still seen).
fn leaks(secrets: &[Secret], searcher: &AhoCorasick, output: &[u8]) -> Vec<String> {
    let mut found: Vec<usize> = searcher
        .find_overlapping_iter(output)
        .map(|m| m.pattern().as_usize())
        .collect();
    found.sort_unstable();
    found.dedup();
    found
        .into_iter()
        .map(|i| format!("{} (example {})", secrets[i].detector, secrets[i].example))
        .collect()
}

#[test]
fn no_output_holds_a_detector_examples_secret_whole() {
    let catalog = Catalog::builtin().expect("the builtin catalog");
    let (examples, secrets) = secrets(&catalog);
    assert!(examples.len() >= 400, "only {} examples", examples.len());
    // Nearly every example yields a secret of the checked length; if the
    // patterns' groups stopped matching, this test would check nothing.
    assert!(
        secrets.len() * 10 >= examples.len() * 7,
        "{} secrets from {} examples",
        secrets.len(),
        examples.len()
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("tree");
    for (i, (_, _, example)) in examples.iter().enumerate() {
        std::fs::write(tree.join(format!("e{i:04}.txt")), format!("{example}\n"))
            .expect("example file");
    }

    let mut problems = Vec::new();
    let searcher = AhoCorasick::new(secrets.iter().map(|s| &s.text)).expect("secrets automaton");
    // The search itself: the examples hold every secret.
    let all_examples: Vec<u8> = examples.iter().flat_map(|(_, _, e)| e.bytes()).collect();
    assert_eq!(
        leaks(&secrets, &searcher, &all_examples).len(),
        secrets.len(),
        "the search misses secrets in the examples themselves"
    );
    let mut check = |what: &str, output: &[u8]| {
        let found = leaks(&secrets, &searcher, output);
        if !found.is_empty() {
            problems.push(format!("{what}: {}", found.join(", ")));
        }
    };

    // Every report format, to a file and (jsonl) to stdout, with every
    // log line on stderr.
    let mut findings_seen = false;
    for format in ["jsonl", "json", "csv", "sarif", "html", "table"] {
        let report = dir.path().join(format!("report.{format}"));
        let output = assay()
            .args(["scan", "--format", format, "--output"])
            .arg(&report)
            .arg(&tree)
            .env("ASSAY_LOG", "trace")
            .output()
            .expect("assay runs");
        assert!(
            output.status.success(),
            "scan --format {format} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let written = std::fs::read(&report).expect("the report");
        findings_seen |= format == "json" && written.windows(9).any(|w| w == b"\"regexes\"");
        check(&format!("--format {format} report"), &written);
        check(&format!("--format {format} stdout"), &output.stdout);
        check(
            &format!("--format {format} stderr (ASSAY_LOG=trace)"),
            &output.stderr,
        );
    }
    assert!(
        findings_seen,
        "the json report has no findings: nothing was checked"
    );

    // The state database, written and then read back by a second scan.
    let state = dir.path().join("state.db");
    for run in ["first", "second"] {
        let output = assay()
            .args(["scan", "--format", "jsonl", "--state"])
            .arg(&state)
            .arg(&tree)
            .env("ASSAY_LOG", "trace")
            .output()
            .expect("assay runs");
        assert!(output.status.success(), "--state scan ({run}) failed");
        check(&format!("--state ({run} scan) stdout"), &output.stdout);
        check(&format!("--state ({run} scan) stderr"), &output.stderr);
    }
    let mut database = std::fs::read(&state).expect("state database");
    for side in ["state.db-wal", "state.db-journal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(side)) {
            database.extend(bytes);
        }
    }
    assert!(database.len() > 4096, "the state database is empty");
    check("the state database", &database);

    // The progress line and table a person sees on a terminal: `script`
    // gives the scan a pseudo-terminal and records everything it shows.
    let typescript = dir.path().join("terminal.txt");
    let command = format!(
        "{} scan {} --jobs 1",
        shell_quote(Path::new(env!("CARGO_BIN_EXE_assay"))),
        shell_quote(&tree)
    );
    let output = tool("script")
        .args(["-q", "-e", "-c", &command])
        .arg(&typescript)
        .env("ASSAY_LOG", "trace")
        .env("COLUMNS", "200")
        .output()
        .expect("script runs");
    let shown = std::fs::read(&typescript).expect("the terminal's record");
    assert!(
        output.status.success(),
        "scan on a terminal failed: {}",
        String::from_utf8_lossy(&shown)
    );
    assert!(
        shown.len() > 1000,
        "the terminal showed {} bytes",
        shown.len()
    );
    check("the terminal (progress line, table, log)", &shown);

    assert!(
        problems.is_empty(),
        "outputs holding a secret whole (detector and example number):\n{}",
        problems.join("\n")
    );
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}
