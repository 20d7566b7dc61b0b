//! Criterion benchmarks of the classifiers alone (no I/O): throughput of the
//! streaming object classifier on generated source-like text, prose and
//! base64-heavy text, of the content-type sniffer, and of a newline-count
//! baseline over the same bytes in the same run.

use assay_classifiers::Classifiers;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// A deterministic generator (xorshift) so every run sees the same bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn source_like(len: usize) -> Vec<u8> {
    let mut rng = Rng(0x5eed);
    let idents = [
        "buffer", "count", "state", "handle", "offset", "token", "config", "result", "index",
        "length",
    ];
    let types = ["int", "size_t", "const char *", "struct node *", "uint64_t"];
    let mut out = String::with_capacity(len + 256);
    while out.len() < len {
        match rng.next() % 6 {
            0 => out.push_str(&format!(
                "/* {} the {} before the {} is read. */\n",
                rng.pick(&["Check", "Reset", "Update"]),
                rng.pick(&idents),
                rng.pick(&idents)
            )),
            1 => out.push_str(&format!(
                "#define {}_MAX {}\n",
                rng.pick(&idents).to_uppercase(),
                rng.next() % 65536
            )),
            2 => out.push_str(&format!(
                "extern {} {}_{}({} {});\n",
                rng.pick(&types),
                rng.pick(&idents),
                rng.pick(&idents),
                rng.pick(&types),
                rng.pick(&idents)
            )),
            3 => out.push_str(&format!(
                "    if ({}->{} > {}) return -{};\n",
                rng.pick(&idents),
                rng.pick(&idents),
                rng.next() % 1000,
                rng.next() % 40
            )),
            4 => out.push_str(&format!(
                "    {} = {}({}, {});\n",
                rng.pick(&idents),
                rng.pick(&idents),
                rng.pick(&idents),
                rng.next() % 4096
            )),
            _ => out.push_str("}\n\n"),
        }
    }
    out.into_bytes()
}

fn base64_heavy(len: usize) -> Vec<u8> {
    let mut rng = Rng(0xb64);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(len + 80);
    while out.len() < len {
        for _ in 0..76 {
            out.push(alphabet[(rng.next() % 64) as usize]);
        }
        out.push(b'\n');
    }
    out
}

fn prose(len: usize) -> Vec<u8> {
    let mut rng = Rng(0x9e05e);
    let words = [
        "the",
        "quarterly",
        "report",
        "shows",
        "revenue",
        "growth",
        "in",
        "all",
        "regions",
        "and",
        "our",
        "team",
        "will",
        "review",
        "budget",
        "plan",
        "customer",
        "account",
        "with",
        "next",
    ];
    let mut out = String::with_capacity(len + 64);
    while out.len() < len {
        for _ in 0..12 {
            out.push_str(rng.pick(&words));
            out.push(' ');
        }
        out.push_str(".\n");
    }
    out.into_bytes()
}

fn classify(c: &mut Criterion) {
    let classifiers = Classifiers::builtin().expect("catalog compiles");
    let inputs = [
        ("source", "lib.h", source_like(8 << 20)),
        ("base64", "blob.txt", base64_heavy(8 << 20)),
        ("prose", "notes.txt", prose(8 << 20)),
    ];
    let mut group = c.benchmark_group("object");
    group.sample_size(10);
    for (label, name, bytes) in &inputs {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("baseline_newline_count", label),
            bytes,
            |b, bytes| {
                b.iter(|| memchr_count(bytes));
            },
        );
        group.bench_with_input(BenchmarkId::new("classify", label), bytes, |b, bytes| {
            b.iter(|| {
                let mut object = classifiers.object(name);
                for piece in bytes.chunks(256 * 1024) {
                    object.feed(piece);
                }
                object.finish()
            });
        });
    }
    group.finish();

    // Many small files: the per-object cost (sniffing, setup) dominates.
    let small: Vec<Vec<u8>> = (0..200).map(|i| source_like(4000 + i * 37)).collect();
    let total: usize = small.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("small_files");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("classify_200_headers", |b| {
        b.iter(|| {
            for bytes in &small {
                let mut object = classifiers.object("x.h");
                object.feed(bytes);
                criterion::black_box(object.finish());
            }
        });
    });
    group.finish();
}

fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// The cost of each detector family: one category enabled at a time (themes
/// and the other classifiers stay on), against no detectors at all, over
/// the same source-like text.
fn families(c: &mut Criterion) {
    let bytes = source_like(4 << 20);
    let mut group = c.benchmark_group("family");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    let families = [
        "none",
        "credentials",
        "encryption_keys",
        "financial",
        "personal",
        "health",
        "infrastructure",
        "all",
    ];
    for family in families {
        let mut catalog = assay_classifiers::Catalog::builtin().expect("catalog loads");
        for detector in &mut catalog.detectors {
            detector.enabled = family == "all" || detector.category.as_str() == family;
        }
        let classifiers = Classifiers::new(catalog).expect("catalog compiles");
        group.bench_function(family, |b| {
            b.iter(|| {
                let mut object = classifiers.object("lib.h");
                object.feed(&bytes);
                object.finish()
            });
        });
    }
    group.finish();
}

/// The SVM document classifier alone: features and 12 decision values for
/// one document (it reads at most the first 16 KiB), against the newline
/// count of the same bytes.
fn svm(c: &mut Criterion) {
    let documents = assay_classifiers::svm::DocumentClassifier::builtin().expect("model loads");
    let mut group = c.benchmark_group("svm_document");
    group.sample_size(20);
    for (label, name, bytes) in [
        ("source_4k", "lib.h", source_like(4096)),
        ("prose_16k", "notes.txt", prose(16 * 1024)),
        ("base64_16k", "blob.txt", base64_heavy(16 * 1024)),
    ] {
        group.bench_with_input(
            BenchmarkId::new("baseline_newline_count", label),
            &bytes,
            |b, bytes| {
                b.iter(|| memchr_count(bytes));
            },
        );
        group.bench_with_input(BenchmarkId::new("classify", label), &bytes, |b, bytes| {
            b.iter(|| {
                documents.classify(
                    bytes,
                    name,
                    bytes.len() as u64,
                    assay_classifiers::content_type::TextEncoding::Utf8,
                    None,
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, classify, families, svm);
criterion_main!(benches);
