//! `assay train` and `assay eval`: the SVM document model and its corpus.
//!
//! A corpus is `DIR/{train,test}/<category>/<files>` (what
//! `corpus/generate.py` writes), or `DIR/<category>/<files>` for a set of
//! real files (`DIR/{tune,heldout}/<category>/` for the real-file set of
//! `classifiers/models/realset.py`). Training reads the start of each
//! document; evaluation runs each file through what a scan does to it
//! (documents extracted, archives opened) and scores the SVM verdict of its
//! own record, uncertain verdicts counting as misses.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use assay_classifiers::Classifiers;
use assay_classifiers::content_type::TextEncoding;
use assay_classifiers::svm::{self, CATEGORIES, DocumentClassifier, DocumentModel, TrainOptions};
use assay_scanner::pipeline::{self, Limits};
use assay_scanner::source::{Location, ObjectRef};

use crate::EXIT_OK;
use crate::args::{EvalArgs, RulesFormat, TrainArgs};

/// The documents of one split, labelled with their category index.
fn documents(corpus: &Path, split: &str) -> anyhow::Result<Vec<(PathBuf, usize)>> {
    let root = if corpus.join(split).is_dir() {
        corpus.join(split)
    } else if split == "train" || corpus.join("train").is_dir() {
        bail!("{} has no {split}/ split", corpus.display());
    } else {
        corpus.to_path_buf()
    };
    let mut found = Vec::new();
    for (label, category) in CATEGORIES.iter().enumerate() {
        let dir = root.join(category);
        if !dir.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = files_under(&dir)?;
        files.sort();
        found.extend(files.into_iter().map(|f| (f, label)));
    }
    if found.is_empty() {
        bail!(
            "{} holds no documents in category folders ({})",
            root.display(),
            CATEGORIES.join(", ")
        );
    }
    Ok(found)
}

/// Every file under `dir`, links not followed.
fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

fn head(path: &Path) -> anyhow::Result<(Vec<u8>, u64)> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata()?.len();
    let mut head = Vec::new();
    file.take(svm::features::HEAD as u64)
        .read_to_end(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok((head, size))
}

pub fn train(args: TrainArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    let docs = documents(&args.corpus, "train")?;
    let mut samples = Vec::with_capacity(docs.len());
    for (path, label) in &docs {
        let (text, size) = head(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        samples.push((
            svm::features::extract(&text, &name, size, TextEncoding::Utf8),
            *label,
        ));
    }
    let featured = started.elapsed();
    let options = TrainOptions {
        c: args.c,
        threshold: args.threshold,
    };
    let model = DocumentModel::train(&samples, options).context("training the SVM")?;
    let json = model.to_json().context("writing the model")?;
    std::fs::write(&args.out, &json).with_context(|| format!("writing {}", args.out.display()))?;
    let right = samples
        .iter()
        .filter(|(x, label)| model.predict(x).0 == *label)
        .count();
    eprintln!(
        "assay: trained on {} documents ({} features each, C {}) in {:.1} s ({:.1} s of it reading); \
         temperature {:.3}; training accuracy {:.3}; wrote {} ({} bytes)",
        samples.len(),
        svm::features::DIM,
        args.c,
        started.elapsed().as_secs_f64(),
        featured.as_secs_f64(),
        model.temperature,
        right as f64 / samples.len() as f64,
        args.out.display(),
        json.len()
    );
    Ok(EXIT_OK)
}

/// Per-category precision, recall and F1, and the confusion matrix.
struct Scores {
    /// confusion[true][predicted]; the last two columns count uncertain
    /// verdicts and documents with no text.
    confusion: Vec<Vec<u64>>,
}

/// The confusion matrix's extra columns, after the twelve categories.
const UNCERTAIN: usize = CATEGORIES.len();
const NO_TEXT: usize = CATEGORIES.len() + 1;

impl Scores {
    /// Scores verdicts at an uncertainty threshold: a verdict under it
    /// counts as uncertain, a miss of the document's category that no
    /// category's precision pays for.
    fn at(verdicts: &[Verdict], threshold: f64) -> Self {
        let n = CATEGORIES.len();
        let mut confusion = vec![vec![0; n + 2]; n];
        for verdict in verdicts {
            let column = match verdict.guess {
                None => NO_TEXT,
                Some(_) if verdict.confidence < threshold => UNCERTAIN,
                Some(guess) => guess,
            };
            confusion[verdict.label][column] += 1;
        }
        Self { confusion }
    }

    fn row(&self, k: usize) -> (u64, f64, f64, f64) {
        let n = CATEGORIES.len();
        let tp = self.confusion[k][k];
        let actual: u64 = self.confusion[k].iter().sum();
        let predicted: u64 = (0..n).map(|t| self.confusion[t][k]).sum();
        let precision = if predicted == 0 {
            0.0
        } else {
            tp as f64 / predicted as f64
        };
        let recall = if actual == 0 {
            0.0
        } else {
            tp as f64 / actual as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        (actual, precision, recall, f1)
    }

    /// Macro-F1 over the categories the set has documents of.
    fn macro_f1(&self) -> f64 {
        let rows: Vec<f64> = (0..CATEGORIES.len())
            .map(|k| self.row(k))
            .filter(|r| r.0 > 0)
            .map(|r| r.3)
            .collect();
        rows.iter().sum::<f64>() / rows.len().max(1) as f64
    }

    /// Of all documents: the share given a confident verdict, and the
    /// share of those verdicts that are right.
    fn coverage_and_precision(&self) -> (f64, f64) {
        let n = CATEGORIES.len();
        let total: u64 = self.confusion.iter().flatten().sum();
        let confident: u64 = self
            .confusion
            .iter()
            .map(|r| r[..n].iter().sum::<u64>())
            .sum();
        let right: u64 = (0..n).map(|k| self.confusion[k][k]).sum();
        (
            confident as f64 / total.max(1) as f64,
            right as f64 / confident.max(1) as f64,
        )
    }
}

/// What the classifiers said of one labelled document.
struct Verdict {
    path: PathBuf,
    label: usize,
    /// The SVM's best guess; None when the document had no text for it.
    guess: Option<usize>,
    confidence: f64,
}

/// Runs one file through what a scan does to it (documents extracted,
/// archives opened) and returns its own record's SVM verdict.
fn classify_file(
    classifiers: &Classifiers,
    path: &Path,
) -> anyhow::Result<Option<assay_classifiers::svm::SvmResult>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let uri = path.to_string_lossy().into_owned();
    let object = ObjectRef {
        uri: uri.clone(),
        name: uri,
        size,
        etag: None,
        version_id: None,
        last_modified: None,
        location: Location::File(path.to_path_buf()),
        bucket_key: None,
    };
    let mut svm = None;
    let mut failed = None;
    pipeline::classify_object(classifiers, &object, &Limits::default(), &mut |record| {
        if record.uri == object.uri {
            if let Some(error) = record
                .errors
                .iter()
                .find(|e| e.kind == assay_scanner::record::ErrorKind::Unreadable)
            {
                failed = Some(error.message.clone());
            }
            svm = record.svm;
        }
    });
    if let Some(message) = failed {
        bail!("reading {}: {message}", path.display());
    }
    Ok(svm)
}

/// Uncertainty thresholds the JSON report scores, for choosing one.
const SWEEP: [f64; 14] = [
    0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9,
];

pub fn eval(args: EvalArgs) -> anyhow::Result<u8> {
    let mut classifiers = Classifiers::builtin().context("compiling the classifiers")?;
    if let Some(path) = &args.model {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        classifiers = classifiers.with_documents(
            DocumentClassifier::from_json(&text)
                .with_context(|| format!("loading {}", path.display()))?,
        );
    }
    let threshold = args
        .threshold
        .unwrap_or(classifiers.documents().model().threshold);
    let docs = documents(&args.corpus, &args.split)?;
    let n = CATEGORIES.len();
    let started = Instant::now();
    let mut verdicts = Vec::with_capacity(docs.len());
    for (path, label) in &docs {
        let svm = classify_file(&classifiers, path)?;
        verdicts.push(Verdict {
            path: path.clone(),
            label: *label,
            guess: svm.as_ref().map(|s| s.category.index()),
            confidence: svm.as_ref().map_or(0.0, |s| s.confidence),
        });
    }
    let elapsed = started.elapsed();
    let scores = Scores::at(&verdicts, threshold);
    let columns: Vec<&str> = CATEGORIES
        .iter()
        .copied()
        .chain(["uncertain", "no_text"])
        .collect();
    if matches!(args.format, RulesFormat::Json) {
        let per: Vec<serde_json::Value> = (0..n)
            .map(|k| {
                let (support, p, r, f1) = scores.row(k);
                serde_json::json!({"category": CATEGORIES[k], "support": support, "precision": p, "recall": r, "f1": f1})
            })
            .collect();
        let (coverage, confident_precision) = scores.coverage_and_precision();
        let sweep: Vec<serde_json::Value> = SWEEP
            .iter()
            .map(|&t| {
                let at = Scores::at(&verdicts, t);
                let (coverage, precision) = at.coverage_and_precision();
                serde_json::json!({"threshold": t, "macro_f1": at.macro_f1(), "coverage": coverage, "precision": precision})
            })
            .collect();
        let listed: Vec<serde_json::Value> = verdicts
            .iter()
            .map(|v| {
                serde_json::json!({
                    "path": v.path.to_string_lossy(),
                    "label": CATEGORIES[v.label],
                    "guess": v.guess.map(|g| CATEGORIES[g]),
                    "confidence": v.confidence,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "model": classifiers.documents().version(),
                "threshold": threshold,
                "documents": docs.len(),
                "macro_f1": scores.macro_f1(),
                "coverage": coverage,
                "confident_precision": confident_precision,
                "categories": per,
                "confusion": scores.confusion,
                "columns": columns,
                "sweep": sweep,
                "verdicts": listed,
            })
        );
        return Ok(EXIT_OK);
    }
    println!(
        "model {}  ({} documents, {:.2} ms each with every classifier; uncertain below {threshold})",
        classifiers.documents().version(),
        docs.len(),
        elapsed.as_secs_f64() * 1000.0 / docs.len() as f64
    );
    println!(
        "{:18} {:>7} {:>9} {:>7} {:>7}",
        "category", "support", "precision", "recall", "F1"
    );
    for (k, category) in CATEGORIES.iter().enumerate() {
        let (support, p, r, f1) = scores.row(k);
        if support > 0 || (0..n).any(|t| scores.confusion[t][k] > 0) {
            println!("{category:18} {support:>7} {p:>9.3} {r:>7.3} {f1:>7.3}");
        }
    }
    let (coverage, precision) = scores.coverage_and_precision();
    println!(
        "macro-F1 {:.3} over the categories present (uncertain verdicts count as misses); \
         {:.1}% of documents get a confident verdict, {:.1}% of those right",
        scores.macro_f1(),
        coverage * 100.0,
        precision * 100.0
    );
    println!(
        "\nconfusion (rows: true category; columns: predicted, the 12 categories in SPEC order, then uncertain, then no text)"
    );
    for (category, row) in CATEGORIES.iter().zip(&scores.confusion) {
        if row.iter().sum::<u64>() > 0 {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:>4}")).collect();
            println!("{category:18} {}", cells.join(""));
        }
    }
    if args.verbose {
        println!("\nmisclassified or uncertain:");
        for v in &verdicts {
            let said = match v.guess {
                None => "no text".to_string(),
                Some(g) if v.confidence < threshold => {
                    format!("uncertain, guess {} {:.2}", CATEGORIES[g], v.confidence)
                }
                Some(g) if g == v.label => continue,
                Some(g) => format!("{} {:.2}", CATEGORIES[g], v.confidence),
            };
            println!("  {} ({} -> {said})", v.path.display(), CATEGORIES[v.label]);
        }
    }
    Ok(EXIT_OK)
}
