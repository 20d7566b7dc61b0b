//! `assay train` and `assay eval`: the SVM document model and its corpus.
//!
//! A corpus is `DIR/{train,test}/<category>/<files>` (what
//! `corpus/generate.py` writes), or `DIR/<category>/<files>` for a set of
//! real files. Training reads the start of each document; evaluation runs
//! each document through the same classifiers a scan does.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use assay_classifiers::Classifiers;
use assay_classifiers::content_type::TextEncoding;
use assay_classifiers::svm::{self, CATEGORIES, DocumentClassifier, DocumentModel, TrainOptions};

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
    /// confusion[true][predicted]; the last column counts documents with no text.
    confusion: Vec<Vec<u64>>,
}

impl Scores {
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
}

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
    let docs = documents(&args.corpus, &args.split)?;
    let n = CATEGORIES.len();
    let mut scores = Scores {
        confusion: vec![vec![0; n + 1]; n],
    };
    let mut mistakes = Vec::new();
    let started = Instant::now();
    for (path, label) in &docs {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.to_string_lossy();
        let mut object = classifiers.object(&name);
        object.feed(&bytes);
        let found = object.finish();
        let predicted = found.svm.as_ref().map(|s| s.category.index()).unwrap_or(n);
        scores.confusion[*label][predicted] += 1;
        if predicted != *label {
            mistakes.push((
                path.clone(),
                CATEGORIES[*label],
                CATEGORIES.get(predicted).copied().unwrap_or("no text"),
            ));
        }
    }
    let elapsed = started.elapsed();
    if matches!(args.format, RulesFormat::Json) {
        let per: Vec<serde_json::Value> = (0..n)
            .map(|k| {
                let (support, p, r, f1) = scores.row(k);
                serde_json::json!({"category": CATEGORIES[k], "support": support, "precision": p, "recall": r, "f1": f1})
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "model": classifiers.documents().version(),
                "documents": docs.len(),
                "macro_f1": scores.macro_f1(),
                "categories": per,
                "confusion": scores.confusion,
                "columns": CATEGORIES.iter().copied().chain(["no_text"]).collect::<Vec<_>>(),
            })
        );
        return Ok(EXIT_OK);
    }
    println!(
        "model {}  ({} documents, {:.2} ms each with every classifier)",
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
    println!(
        "macro-F1 {:.3} over the categories present",
        scores.macro_f1()
    );
    println!(
        "\nconfusion (rows: true category; columns: predicted, the 12 categories in SPEC order, then no text)"
    );
    for (category, row) in CATEGORIES.iter().zip(&scores.confusion) {
        if row.iter().sum::<u64>() > 0 {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:>4}")).collect();
            println!("{category:18} {}", cells.join(""));
        }
    }
    if args.verbose {
        println!("\nmisclassified:");
        for (path, truth, predicted) in &mistakes {
            println!("  {} ({truth} -> {predicted})", path.display());
        }
    }
    Ok(EXIT_OK)
}
