//! The document features the SVM reads: what Macie's SVM used (length,
//! extension, encoding, header bytes) and what the content shows
//! (character classes, line shapes, punctuation and keyword densities,
//! hashed word and character n-grams over the first [`HEAD`] bytes).
//! Every block is scaled to roughly `[0, 1]` so no block drowns another.

use crate::content_type::TextEncoding;

/// Bytes of a document's (decoded) text the features look at.
pub const HEAD: usize = 16 * 1024;

const PUNCTUATION: &[u8] = b"{}[]()<>;:=,.\"'#/\\|$%@&*-+_!?`~^";
/// Words whose density separates the categories (structure words of code,
/// queries, logs, mail, books, money and people).
const KEYWORDS: &[&str] = &[
    "def",
    "function",
    "class",
    "return",
    "import",
    "include",
    "public",
    "private",
    "static",
    "void",
    "int",
    "var",
    "let",
    "const",
    "end",
    "then",
    "else",
    "select",
    "insert",
    "create",
    "table",
    "values",
    "from",
    "where",
    "null",
    "true",
    "false",
    "get",
    "post",
    "http",
    "error",
    "info",
    "warn",
    "debug",
    "subject",
    "to",
    "date",
    "re",
    "chapter",
    "said",
    "copyright",
    "invoice",
    "total",
    "balance",
    "amount",
    "name",
    "email",
    "phone",
    "address",
    "birth",
    "patient",
    "key",
    "begin",
    "private",
    "the",
    "and",
    "of",
];
const EXTENSION_BUCKETS: usize = 64;
const PREFIX_BUCKETS: usize = 64;
const WORD_BUCKETS: usize = 512;
const CHAR_BUCKETS: usize = 512;
const LINE_FEATURES: usize = 16;
const CLASS_FEATURES: usize = 8;

/// Length of a feature vector.
pub const DIM: usize = 1
    + 3
    + CLASS_FEATURES
    + LINE_FEATURES
    + PUNCTUATION.len()
    + KEYWORDS.len()
    + EXTENSION_BUCKETS
    + PREFIX_BUCKETS
    + WORD_BUCKETS
    + CHAR_BUCKETS;

/// FNV-1a: stable across builds and platforms (feature hashing must not
/// change between training and use).
fn fnv(bytes: &[u8], seed: u64) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn bucket(bytes: &[u8], seed: u64, buckets: usize) -> usize {
    (fnv(bytes, seed) % buckets as u64) as usize
}

/// The feature vector of a document: `text` is the start of its decoded
/// text, `name` its key or path, `size` its full length in bytes.
pub fn extract(text: &[u8], name: &str, size: u64, encoding: TextEncoding) -> Vec<f64> {
    let text = &text[..text.len().min(HEAD)];
    let mut features = Vec::with_capacity(DIM);
    features.push(((size as f64).ln_1p() / 20.0).min(1.0));
    features.extend(match encoding {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => [0.0, 0.0, 1.0],
        TextEncoding::Binary => [1.0, 0.0, 0.0],
        _ => [0.0, 1.0, 0.0],
    });
    let len = text.len().max(1) as f64;
    let mut classes = [0usize; CLASS_FEATURES];
    for &b in text {
        let class = match b {
            b'a'..=b'z' => 0,
            b'A'..=b'Z' => 1,
            b'0'..=b'9' => 2,
            b' ' | b'\t' => 3,
            b'\n' | b'\r' => 4,
            0x80..=0xff => 5,
            0..=0x1f | 0x7f => 6,
            _ => 7,
        };
        classes[class] += 1;
    }
    features.extend(classes.iter().map(|&c| c as f64 / len));
    features.extend(line_features(text));
    let mut punctuation = [0usize; 256];
    for &b in text {
        punctuation[usize::from(b)] += 1;
    }
    features.extend(
        PUNCTUATION
            .iter()
            .map(|&p| (punctuation[usize::from(p)] as f64 / len * 10.0).min(1.0)),
    );
    let words = words(text);
    let word_count = words.len().max(1) as f64;
    features.extend(KEYWORDS.iter().map(|k| {
        let hits = words
            .iter()
            .filter(|w| w.as_slice() == k.as_bytes())
            .count();
        (hits as f64 / word_count * 10.0).min(1.0)
    }));
    let mut extension = [0.0; EXTENSION_BUCKETS];
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    match file.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() => {
            extension[bucket(ext.as_bytes(), 1, EXTENSION_BUCKETS)] = 1.0
        }
        _ => extension[0] = 1.0,
    }
    features.extend(extension);
    features.extend(prefix_features(text));
    features.extend(hashed_words(&words));
    features.extend(hashed_chars(text));
    debug_assert_eq!(features.len(), DIM);
    features
}

fn line_features(text: &[u8]) -> [f64; LINE_FEATURES] {
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let n = lines.len().max(1) as f64;
    let lengths: Vec<f64> = lines.iter().map(|l| l.len() as f64).collect();
    let mean = lengths.iter().sum::<f64>() / n;
    let var = lengths.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n;
    let max = lengths.iter().copied().fold(0.0, f64::max);
    let share = |test: &dyn Fn(&[u8]) -> bool| lines.iter().filter(|l| test(l)).count() as f64 / n;
    let trimmed_end =
        |l: &[u8]| -> Option<u8> { l.iter().rev().copied().find(|b| !b.is_ascii_whitespace()) };
    let first = |l: &[u8]| -> Option<u8> { l.iter().copied().find(|b| !b.is_ascii_whitespace()) };
    [
        (mean / 80.0).min(2.0) / 2.0,
        (var.sqrt() / 80.0).min(2.0) / 2.0,
        (max / 400.0).min(1.0),
        (n.ln_1p() / 10.0).min(1.0),
        share(&|l| l.iter().all(|b| b.is_ascii_whitespace())),
        share(&|l| l.first().is_some_and(|b| *b == b' ' || *b == b'\t')),
        share(&|l| trimmed_end(l) == Some(b';')),
        share(&|l| matches!(trimmed_end(l), Some(b'{' | b'}'))),
        share(&|l| trimmed_end(l) == Some(b':')),
        share(&|l| trimmed_end(l) == Some(b',')),
        share(&|l| first(l) == Some(b'#')),
        share(&|l| {
            l.trim_ascii_start().starts_with(b"//") || l.trim_ascii_start().starts_with(b"--")
        }),
        share(&|l| first(l) == Some(b'<')),
        share(&|l| first(l).is_some_and(|b| b.is_ascii_digit())),
        share(&|l| l.contains(&b'=')),
        share(&|l| l.windows(2).any(|w| w == b": ")),
    ]
}

/// The document's first two visible characters and its first token: file
/// headers (`<?xml`, `-----BEGIN`, `From:`, `{`, `#!`) live here.
fn prefix_features(text: &[u8]) -> [f64; PREFIX_BUCKETS] {
    let mut prefix = [0.0; PREFIX_BUCKETS];
    let start = text.trim_ascii_start();
    prefix[bucket(&start[..start.len().min(2)], 2, PREFIX_BUCKETS)] = 1.0;
    let token: Vec<u8> = start
        .iter()
        .take_while(|b| !b.is_ascii_whitespace())
        .take(16)
        .copied()
        .collect();
    prefix[bucket(&token, 3, PREFIX_BUCKETS)] = 1.0;
    prefix
}

/// Lower-cased word tokens (letters, digits and `_`, starting with a letter).
fn words(text: &[u8]) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut current = Vec::new();
    for &b in text {
        if b.is_ascii_alphanumeric() || b == b'_' {
            if !(current.is_empty() && b.is_ascii_digit()) {
                current.push(b.to_ascii_lowercase());
            }
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Word unigrams and bigrams, log term frequency, L2-normalised.
fn hashed_words(words: &[Vec<u8>]) -> Vec<f64> {
    let mut counts = vec![0.0f64; WORD_BUCKETS];
    for word in words {
        counts[bucket(word, 4, WORD_BUCKETS)] += 1.0;
    }
    for pair in words.windows(2) {
        let mut joined = pair[0].clone();
        joined.push(b' ');
        joined.extend_from_slice(&pair[1]);
        counts[bucket(&joined, 5, WORD_BUCKETS)] += 1.0;
    }
    normalise(counts)
}

/// Character trigrams over lower-cased bytes with digits folded to `0`.
fn hashed_chars(text: &[u8]) -> Vec<f64> {
    let folded: Vec<u8> = text
        .iter()
        .map(|b| {
            if b.is_ascii_digit() {
                b'0'
            } else {
                b.to_ascii_lowercase()
            }
        })
        .collect();
    let mut counts = vec![0.0f64; CHAR_BUCKETS];
    for gram in folded.windows(3) {
        counts[bucket(gram, 6, CHAR_BUCKETS)] += 1.0;
    }
    normalise(counts)
}

fn normalise(mut counts: Vec<f64>) -> Vec<f64> {
    for c in &mut counts {
        *c = c.ln_1p();
    }
    let norm = counts.iter().map(|c| c * c).sum::<f64>().sqrt();
    if norm > 0.0 {
        for c in &mut counts {
            *c /= norm;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_gets_a_vector_of_the_same_length() {
        for text in [&b""[..], b"x", b"def f():\n    return 1\n", &[0xff; 40000]] {
            let v = extract(text, "a/b.py", text.len() as u64, TextEncoding::Utf8);
            assert_eq!(v.len(), DIM);
            assert!(
                v.iter()
                    .all(|x| x.is_finite() && *x >= 0.0 && *x <= 1.0 + 1e-9)
            );
        }
    }

    #[test]
    fn the_same_document_gives_the_same_features() {
        let text = b"SELECT id FROM users WHERE name = 'x';\n";
        assert_eq!(
            extract(text, "q.sql", 40, TextEncoding::Utf8),
            extract(text, "q.sql", 40, TextEncoding::Utf8)
        );
    }
}
