//! The SVM document classifier end to end: a corpus from the project's
//! generator, `assay train` (deterministic), `assay eval`, and `svm` in
//! scan records (SPEC "Object record").

use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// `assay eval --corpus corpus` with `extra` options, its JSON report.
fn eval_json(corpus: &str, extra: &[&str]) -> Value {
    let mut args = vec!["eval", "--corpus", corpus];
    args.extend_from_slice(extra);
    args.extend(["--format", "json"]);
    let output = run(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn generate(out: &Path, docs: u32, seed: u32) {
    let (docs, seed) = (docs.to_string(), seed.to_string());
    python(
        &repo().join("corpus/generate.py"),
        &[
            "--out".as_ref(),
            out.as_os_str(),
            "--docs".as_ref(),
            docs.as_ref(),
            "--seed".as_ref(),
            seed.as_ref(),
        ],
    );
}

#[test]
fn training_is_deterministic_and_eval_reports_every_category() {
    let work = tempfile::tempdir().unwrap();
    let corpus = work.path().join("corpus");
    // 45 training documents a category: fewer leave some of a category's
    // families (36 languages and library modules for source code) unseen.
    generate(&corpus, 60, 7);
    let first = work.path().join("a.json");
    let second = work.path().join("b.json");
    for out in [&first, &second] {
        let output = run(&[
            "train",
            "--corpus",
            corpus.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
        "same corpus and options, same model bytes"
    );
    let report = eval_json(
        corpus.to_str().unwrap(),
        &["--model", first.to_str().unwrap()],
    );
    assert_eq!(
        report["documents"], 180,
        "15 test documents of each of 12 categories"
    );
    let categories = report["categories"].as_array().unwrap();
    assert_eq!(categories.len(), 12);
    for row in categories {
        assert_eq!(row["support"], 15, "{row}");
    }
    let macro_f1 = report["macro_f1"].as_f64().unwrap();
    assert!(macro_f1 >= 0.9, "macro-F1 {macro_f1} on a held-out split");
    let confusion = report["confusion"].as_array().unwrap();
    let diagonal: u64 = (0..12).map(|k| confusion[k][k].as_u64().unwrap()).sum();
    assert!(diagonal >= 162, "{diagonal} of 180 on the diagonal");
}

#[test]
fn the_shipped_model_holds_up_on_a_corpus_it_never_saw() {
    // Another seed: documents the shipped model was not trained on.
    let work = tempfile::tempdir().unwrap();
    generate(work.path(), 40, 99);
    let report = eval_json(work.path().to_str().unwrap(), &[]);
    let macro_f1 = report["macro_f1"].as_f64().unwrap();
    assert!(macro_f1 >= 0.95, "macro-F1 {macro_f1}");
}

#[test]
fn scan_records_carry_the_document_class() {
    let (output, records) = scan_records(&repo().join("demo/bucket"), &[]);
    assert!(output.status.success());
    let svm = |suffix: &str| record(&records, suffix)["svm"].clone();
    assert_eq!(svm("src/billing.py")["category"], "source_code");
    assert_eq!(svm("src/billing.py")["subtype"], "python");
    assert_eq!(svm("legal/re-harbour-privileged.eml")["category"], "email");
    assert_eq!(svm("keys/deploy_key")["category"], "encryption_keys");
    assert_eq!(svm("keys/deploy_key")["subtype"], "openssh");
    assert_eq!(svm("backups/orders-2026-10-01.sql")["category"], "database");
    // Documents are judged by the text extracted from them (issue 19):
    // the payroll workbook by its rows, the customer export by its records.
    for (document, kinds) in [
        (
            "finance/payroll-2026-10.xlsx",
            &["personal_records", "financial"][..],
        ),
        ("exports/customers.jsonl", &["personal_records"][..]),
    ] {
        let verdict = svm(document);
        assert_eq!(verdict["uncertain"], false, "{document}: {verdict}");
        assert!(
            kinds.contains(&verdict["category"].as_str().unwrap()),
            "{document}: {verdict}"
        );
    }
    for r in &records {
        if let Some(conf) = r["svm"]["confidence"].as_f64() {
            assert!((0.0..=1.0).contains(&conf), "{}", r["uri"]);
            assert!(r["svm"]["risk"].as_u64().unwrap() >= 1);
        }
    }
    // No text, no class: an image and an archive.
    assert_eq!(svm("assets/logo.png"), Value::Null);
    assert_eq!(svm("backups/web-release-2026-09.tgz"), Value::Null);
    // A CloudTrail record file is JSON of the CloudTrail kind.
    let (_, trail) = scan_records(&repo().join("demo/logs/cloudtrail"), &[]);
    let file = trail
        .iter()
        .find(|r| !r["svm"].is_null())
        .expect("a CloudTrail file with text");
    assert_eq!(file["svm"]["category"], "json", "{file}");
    assert_eq!(file["svm"]["subtype"], "cloudtrail", "{file}");
    // Text inside an archive is classified too.
    assert_eq!(
        svm("web-release-2026-09.tgz!/web/.npmrc")["category"],
        "configuration"
    );
}

#[test]
fn a_broken_model_file_is_a_clear_error() {
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("model.json");
    std::fs::write(&bad, "{\"features_version\": 1}").unwrap();
    let output = run(&[
        "scan",
        repo().join("demo/bucket/src").to_str().unwrap(),
        "--model",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("loading the SVM model") && stderr.contains("model.json"),
        "{stderr}"
    );
}

/// The held-out part of the real-file set (classifiers/models/realset.py:
/// files of pinned PyPI, npm and Debian packages that nobody on the project
/// wrote), which no threshold or corpus change was tuned on. The floor sits
/// a little under what the model card reports for it.
const HELD_OUT_MACRO_F1: f64 = 0.92;
/// Of confident `other` verdicts on it, at least this share are right.
const HELD_OUT_OTHER_PRECISION: f64 = 0.8;

#[test]
fn the_shipped_model_holds_up_on_held_out_real_files() {
    let set = realset_dir();
    assert!(
        set.join("heldout").is_dir(),
        "the real-file set is not in {}: run tests/run, which fetches it \
         (python3 classifiers/models/realset.py fetch {})",
        set.display(),
        set.display()
    );
    let report = eval_json(set.to_str().unwrap(), &["--split", "heldout"]);
    let rows = report["categories"].as_array().unwrap();
    let covered: Vec<&str> = rows
        .iter()
        .filter(|r| r["support"].as_u64().unwrap() > 0)
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        covered.len(),
        12,
        "every category has held-out files: {covered:?}"
    );
    let macro_f1 = report["macro_f1"].as_f64().unwrap();
    let table: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {:.2}", r["category"], r["f1"].as_f64().unwrap()))
        .collect();
    assert!(
        macro_f1 >= HELD_OUT_MACRO_F1,
        "held-out macro-F1 {macro_f1:.3} under {HELD_OUT_MACRO_F1}: {table:?}"
    );
    let other = rows.iter().find(|r| r["category"] == "other").unwrap();
    let precision = other["precision"].as_f64().unwrap();
    assert!(
        precision >= HELD_OUT_OTHER_PRECISION,
        "`other` is said of documents of other kinds: precision {precision:.3}"
    );
}

#[test]
fn uncertain_verdicts_say_so_and_rate_as_other() {
    // An impossible threshold makes every verdict uncertain.
    let work = tempfile::tempdir().unwrap();
    let mut model: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("classifiers/models/svm.json")).unwrap(),
    )
    .unwrap();
    model["threshold"] = 1.01.into();
    let unsure = work.path().join("unsure.json");
    std::fs::write(&unsure, model.to_string()).unwrap();
    let (output, records) = scan_records(
        &repo().join("demo/bucket"),
        &["--model", unsure.to_str().unwrap()],
    );
    assert!(output.status.success());
    let keys = record(&records, "keys/deploy_key");
    assert_eq!(keys["svm"]["uncertain"], true);
    assert_eq!(keys["svm"]["risk"], 1, "an unsure verdict rates as `other`");
    assert_eq!(keys["svm"]["subtype"], Value::Null);
    let factors = keys["risk_factors"].as_array().unwrap();
    assert!(
        factors
            .iter()
            .any(|f| f["detail"] == "svm:uncertain" && f["value"] == 1),
        "{factors:?}"
    );
    assert!(
        !factors.iter().any(|f| f["detail"] == "svm:encryption_keys"),
        "{factors:?}"
    );
    // The shipped model is sure of the same key.
    let (_, records) = scan_records(&repo().join("demo/bucket/keys"), &[]);
    let keys = record(&records, "deploy_key");
    assert_eq!(keys["svm"]["uncertain"], false);
    assert_eq!(keys["svm"]["category"], "encryption_keys");
}

#[test]
fn reports_name_the_document_kind_only_when_confident() {
    let demo = repo().join("demo/bucket");
    let (_, records) = scan_records(&demo, &[]);
    let unsure: Vec<&str> = records
        .iter()
        .filter(|r| r["svm"]["uncertain"] == true)
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    let sure = record(&records, "keys/deploy_key");
    assert_eq!(sure["svm"]["uncertain"], false);
    assert!(
        !unsure.is_empty(),
        "the demo has documents the model is unsure of"
    );
    // CSV: the last column is the verdict, or "uncertain" with the confidence.
    let output = run(&["scan", demo.to_str().unwrap(), "--format", "csv"]);
    let csv = String::from_utf8_lossy(&output.stdout);
    assert!(csv.lines().next().unwrap().ends_with(",document"), "{csv}");
    let row = |uri: &str| {
        csv.lines()
            .find(|l| l.starts_with(uri))
            .unwrap_or_else(|| panic!("{uri} in {csv}"))
            .to_string()
    };
    let key_row = row(sure["uri"].as_str().unwrap());
    assert!(
        key_row.ends_with(&format!(
            ",encryption_keys/openssh ({:.2})",
            sure["svm"]["confidence"].as_f64().unwrap()
        )),
        "{key_row}"
    );
    for uri in &unsure {
        let line = row(uri);
        assert!(line.contains(",uncertain ("), "{line}");
    }
    // HTML: "document: uncertain" for the unsure, the category otherwise.
    let output = run(&["scan", demo.to_str().unwrap(), "--format", "html"]);
    let html = String::from_utf8_lossy(&output.stdout);
    assert!(
        html.contains("document: encryption_keys/openssh ("),
        "no confident verdict"
    );
    assert!(
        html.contains("document: uncertain ("),
        "no uncertain verdict"
    );
}
