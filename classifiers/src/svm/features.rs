//! The document features the SVM reads: what Macie's SVM used (length,
//! extension, encoding, header bytes) and what the content shows
//! (character classes, line shapes, punctuation and keyword densities,
//! hashed word and character n-grams over the first [`HEAD`] bytes).
//! Every block is scaled to roughly `[0, 1]` so no block drowns another.

use crate::hash::{OFFSET_BASIS, fnv1a_continue as fnv_continue};
use crate::sniffed::TextEncoding;

/// Bytes of a document's (decoded) text the features look at.
pub const HEAD: usize = 8 * 1024;

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
const LINE_FEATURES: usize = 20;
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
    fnv_continue(OFFSET_BASIS ^ seed, bytes)
}

/// Bucket counts are powers of two, so the modulo is a mask (a division
/// per character trigram is most of the cost otherwise).
fn bucket(bytes: &[u8], seed: u64, buckets: usize) -> usize {
    debug_assert!(buckets.is_power_of_two());
    (fnv(bytes, seed) & (buckets as u64 - 1)) as usize
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
    // One histogram serves the character classes and the punctuation.
    let histogram = byte_histogram(text);
    let sum = |range: std::ops::RangeInclusive<u8>| -> usize {
        histogram[usize::from(*range.start())..=usize::from(*range.end())]
            .iter()
            .sum()
    };
    let spaces = histogram[usize::from(b' ')] + histogram[usize::from(b'\t')];
    let newlines = histogram[usize::from(b'\n')] + histogram[usize::from(b'\r')];
    let (lower, upper, digits, high) = (
        sum(b'a'..=b'z'),
        sum(b'A'..=b'Z'),
        sum(b'0'..=b'9'),
        sum(0x80..=0xff),
    );
    let control = sum(0..=0x1f) + histogram[0x7f] - histogram[usize::from(b'\t')] - newlines;
    let other = text.len() - lower - upper - digits - spaces - newlines - high - control;
    let classes = [lower, upper, digits, spaces, newlines, high, control, other];
    features.extend(classes.iter().map(|&c| c as f64 / len));
    features.extend(line_features(text));
    features.extend(
        PUNCTUATION
            .iter()
            .map(|&p| (histogram[usize::from(p)] as f64 / len * 10.0).min(1.0)),
    );
    let lowered = text.to_ascii_lowercase();
    let tokens = Tokens::new(&lowered);
    let word_count = tokens.count.max(1) as f64;
    features.extend(
        tokens
            .keyword_hits
            .iter()
            .map(|&hits| (hits as f64 / word_count * 10.0).min(1.0)),
    );
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
    normalise(&tokens.hashed, &mut features);
    normalise(&hashed_chars(&lowered), &mut features);
    debug_assert_eq!(features.len(), DIM);
    features
}

/// Counts of each byte value. Four tables take turns, so a run of one
/// byte (indentation, say) does not wait on its own last increment.
fn byte_histogram(text: &[u8]) -> [usize; 256] {
    let mut tables = [[0u32; 256]; 4];
    let mut quads = text.chunks_exact(4);
    for quad in &mut quads {
        tables[0][usize::from(quad[0])] += 1;
        tables[1][usize::from(quad[1])] += 1;
        tables[2][usize::from(quad[2])] += 1;
        tables[3][usize::from(quad[3])] += 1;
    }
    for &b in quads.remainder() {
        tables[0][usize::from(b)] += 1;
    }
    std::array::from_fn(|b| tables.iter().map(|t| t[b] as usize).sum())
}

fn line_features(text: &[u8]) -> [f64; LINE_FEATURES] {
    // One pass per line: 16 shares of lines with a shape, and lengths.
    let mut shares = [0usize; 16];
    let (mut n, mut sum, mut sum_sq, mut max) = (0usize, 0f64, 0f64, 0f64);
    // The same pieces as `split` on `\n`, found a word at a time.
    let mut from = 0;
    let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    for end in ends {
        let line = &text[from..end];
        from = end + 1;
        n += 1;
        let len = line.len() as f64;
        sum += len;
        sum_sq += len * len;
        max = f64::max(max, len);
        let trimmed = line.trim_ascii();
        let first = trimmed.first().copied();
        let last = trimmed.last().copied();
        let flags = [
            trimmed.is_empty(),
            line.first().is_some_and(|b| *b == b' ' || *b == b'\t'),
            last == Some(b';'),
            matches!(last, Some(b'{' | b'}')),
            last == Some(b':'),
            last == Some(b','),
            first == Some(b'#'),
            trimmed.starts_with(b"//") || trimmed.starts_with(b"--"),
            first == Some(b'<'),
            first.is_some_and(|b| b.is_ascii_digit()),
            memchr::memchr(b'=', line).is_some(),
            memchr::memchr_iter(b':', line).any(|i| line.get(i + 1) == Some(&b' ')),
            // Documentation against a book's wrapped prose: heading rules
            // (`=====`), reST directives and comments, dialogue, and lines
            // that end a sentence.
            trimmed.len() >= 3
                && matches!(first, Some(b'=' | b'-' | b'*' | b'~' | b'^' | b'#'))
                && trimmed.iter().all(|b| Some(*b) == first),
            trimmed.starts_with(b".. "),
            matches!(first, Some(b'"' | b'\'')) || trimmed.starts_with("\u{201c}".as_bytes()),
            last == Some(b'.'),
        ];
        for (share, flag) in shares.iter_mut().zip(flags) {
            *share += usize::from(flag);
        }
    }
    let n = n.max(1) as f64;
    let mean = sum / n;
    let var = (sum_sq / n - mean * mean).max(0.0);
    let mut features = [0.0; LINE_FEATURES];
    features[0] = (mean / 80.0).min(2.0) / 2.0;
    features[1] = (var.sqrt() / 80.0).min(2.0) / 2.0;
    features[2] = (max / 400.0).min(1.0);
    features[3] = (n.ln_1p() / 10.0).min(1.0);
    for (feature, share) in features[4..].iter_mut().zip(shares) {
        *feature = share as f64 / n;
    }
    // The rare shapes (rules, directives, dialogue) count for more.
    for feature in &mut features[16..19] {
        *feature = (*feature * 5.0).min(1.0);
    }
    features
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

/// Keywords by the hash their word-unigram bucket already computes (so a
/// token is hashed once), each with its positions in [`KEYWORDS`].
type KeywordIndex = Vec<(u64, &'static [u8], Vec<usize>)>;

/// One pass over the word tokens of lower-cased text (runs of letters,
/// digits and `_`, leading digits dropped): keyword counts and hashed
/// unigrams and bigrams (log term frequency comes later), with no
/// allocation per word.
struct Tokens {
    count: usize,
    keyword_hits: [usize; KEYWORDS.len()],
    hashed: [u32; WORD_BUCKETS],
}

impl Tokens {
    fn new(lowered: &[u8]) -> Self {
        static KEYWORD_INDEX: std::sync::OnceLock<KeywordIndex> = std::sync::OnceLock::new();
        let index = KEYWORD_INDEX.get_or_init(|| {
            let mut index = KeywordIndex::new();
            for (i, k) in KEYWORDS.iter().enumerate() {
                let k = k.as_bytes();
                match index.iter_mut().find(|(_, word, _)| *word == k) {
                    Some((_, _, positions)) => positions.push(i),
                    None => index.push((fnv(k, 4), k, vec![i])),
                }
            }
            index.sort_by_key(|(hash, _, _)| *hash);
            index
        });
        static KEYWORD_FILTER: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
        let filter = KEYWORD_FILTER.get_or_init(|| {
            let mut bits = vec![0u64; 1024];
            for (hash, _, _) in index {
                let bit = (hash & 0xffff) as usize;
                bits[bit / 64] |= 1 << (bit % 64);
            }
            bits
        });
        let mut tokens = Self {
            count: 0,
            keyword_hits: [0; KEYWORDS.len()],
            hashed: [0; WORD_BUCKETS],
        };
        // The FNV state of the bigram "previous " waiting for its second word.
        let mut bigram: Option<u64> = None;
        let mut at = 0;
        while at < lowered.len() {
            // The next run of word bytes (a table lookup per byte: this
            // loop sees every byte of the head).
            while at < lowered.len() && !WORD_BYTE[usize::from(lowered[at])] {
                at += 1;
            }
            let begin = at;
            while at < lowered.len() && WORD_BYTE[usize::from(lowered[at])] {
                at += 1;
            }
            let run = &lowered[begin..at];
            let start = run
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(run.len());
            let word = &run[start..];
            if word.is_empty() {
                continue;
            }
            tokens.count += 1;
            let (hash, as_first, pair) = word_hashes(word, bigram);
            // Most words are not keywords: a bit per low hash settles that
            // before the search.
            let bit = (hash & 0xffff) as usize;
            let maybe_keyword = filter[bit / 64] & (1 << (bit % 64)) != 0;
            let found = maybe_keyword
                .then(|| index.binary_search_by_key(&hash, |(h, _, _)| *h).ok())
                .flatten();
            if let Some(at) = found {
                let (_, keyword, positions) = &index[at];
                if *keyword == word {
                    for &i in positions {
                        tokens.keyword_hits[i] += 1;
                    }
                }
            }
            tokens.hashed[(hash & (WORD_BUCKETS as u64 - 1)) as usize] += 1;
            if let Some(hash) = pair {
                tokens.hashed[(hash & (WORD_BUCKETS as u64 - 1)) as usize] += 1;
            }
            bigram = Some(fnv_continue(as_first, b" "));
        }
        tokens
    }
}

/// A word's hashes, in one loop over its bytes (three independent FNV
/// chains, so their multiplications overlap): as a unigram (seed 4), as
/// the first word of a bigram (seed 5), and as the second word of the
/// bigram whose first word and space `bigram` has hashed. The same values
/// as hashing each on its own.
fn word_hashes(word: &[u8], bigram: Option<u64>) -> (u64, u64, Option<u64>) {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut unigram = 0xcbf2_9ce4_8422_2325 ^ 4;
    let mut first = 0xcbf2_9ce4_8422_2325 ^ 5;
    let mut second = bigram.unwrap_or(0);
    for &b in word {
        unigram = (unigram ^ u64::from(b)).wrapping_mul(PRIME);
        first = (first ^ u64::from(b)).wrapping_mul(PRIME);
        second = (second ^ u64::from(b)).wrapping_mul(PRIME);
    }
    (unigram, first, bigram.map(|_| second))
}

/// Bytes of word tokens: ASCII letters, digits and `_`.
const WORD_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || byte == b'_';
        b += 1;
    }
    table
};

/// Each byte as the character trigrams see it: lower case, digits as `0`.
const FOLDED: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if byte.is_ascii_digit() {
            b'0'
        } else {
            byte.to_ascii_lowercase()
        };
        b += 1;
    }
    table
};

/// Character trigrams over lower-cased bytes with digits folded to `0`,
/// the three bytes rolled into one key as the text goes by.
fn hashed_chars(text: &[u8]) -> [u32; CHAR_BUCKETS] {
    // Multiply-shift (Fibonacci) hashing of the three bytes: a trigram is
    // too short for FNV's byte loop to pay.
    const SHIFT: u32 = 32 - CHAR_BUCKETS.trailing_zeros();
    let bucket = |key: u32| ((key & 0x00ff_ffff).wrapping_mul(0x9e37_79b1) >> SHIFT) as usize;
    let fold = |b: u8| u32::from(FOLDED[usize::from(b)]);
    // Four tables take turns, as in `byte_histogram`: a run of spaces is
    // one trigram over and over.
    let mut tables = [[0u32; CHAR_BUCKETS]; 4];
    if text.len() < 3 {
        return tables[0];
    }
    let mut key = (fold(text[0]) << 8) | fold(text[1]);
    let mut quads = text[2..].chunks_exact(4);
    for quad in &mut quads {
        for (table, &b) in tables.iter_mut().zip(quad) {
            key = (key << 8) | fold(b);
            table[bucket(key)] += 1;
        }
    }
    for &b in quads.remainder() {
        key = (key << 8) | fold(b);
        tables[0][bucket(key)] += 1;
    }
    std::array::from_fn(|i| tables.iter().map(|t| t[i]).sum())
}

/// Appends `counts` as log term frequencies scaled to unit length.
fn normalise(counts: &[u32], features: &mut Vec<f64>) {
    let start = features.len();
    let table = ln_1p_table();
    features.extend(counts.iter().map(|&c| ln_1p_from(table, c)));
    let scaled = &mut features[start..];
    // No test for empty buckets: which are empty is random, and the
    // mispredicted branches cost more than the arithmetic they skip.
    let norm = scaled.iter().map(|c| c * c).sum::<f64>().sqrt();
    if norm > 0.0 {
        for c in scaled {
            *c /= norm;
        }
    }
}

/// `ln(1 + c)` for small counts (nearly all of them), computed once.
fn ln_1p_table() -> &'static [f64] {
    const LEN: usize = 8193;
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| (0..LEN).map(|i| (i as f64).ln_1p()).collect())
}

/// `ln(1 + c)` for a count, from `table` when it holds it: the same value.
fn ln_1p_from(table: &[f64], c: u32) -> f64 {
    table
        .get(c as usize)
        .copied()
        .unwrap_or_else(|| f64::from(c).ln_1p())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_same_logarithm_from_the_table() {
        for c in [0, 1, 2, 17, 8192, 8193, 1_000_000] {
            assert_eq!(
                ln_1p_from(ln_1p_table(), c).to_bits(),
                f64::ln_1p(f64::from(c)).to_bits(),
                "{c}"
            );
        }
    }

    #[test]
    fn interleaved_counts_are_plain_counts() {
        // Every remainder of four, runs of one byte, and all byte values.
        let mut rng = crate::xorshift::XorShift(0x6a09_e667_f3bc_c908);
        let mut texts: Vec<Vec<u8>> = (0..12).map(|n| vec![b' '; n]).collect();
        texts.push((0..=255u8).cycle().take(3001).collect());
        texts.push(
            (0..5000)
                .map(|_| {
                    let state = rng.next();
                    b"aA0 9\nxZ_{"[(state % 10) as usize]
                })
                .collect(),
        );
        for text in &texts {
            let mut bytes = [0usize; 256];
            let mut trigrams = [0u32; CHAR_BUCKETS];
            for &b in text {
                bytes[usize::from(b)] += 1;
            }
            for window in text.windows(3) {
                let key = window.iter().fold(0u32, |key, &b| {
                    (key << 8) | u32::from(FOLDED[usize::from(b)])
                });
                let shift = 32 - CHAR_BUCKETS.trailing_zeros();
                trigrams[(key.wrapping_mul(0x9e37_79b1) >> shift) as usize] += 1;
            }
            assert_eq!(byte_histogram(text), bytes, "{} bytes", text.len());
            assert_eq!(hashed_chars(text), trigrams, "{} bytes", text.len());
        }
    }

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
    fn word_hashes_are_the_separate_hashes() {
        for (word, before) in [(&b"select"[..], None), (b"x", Some(7)), (b"", Some(9))] {
            let bigram = before.map(|seed| fnv_continue(fnv(b"from", seed), b" "));
            let (unigram, first, pair) = word_hashes(word, bigram);
            assert_eq!(unigram, fnv(word, 4));
            assert_eq!(first, fnv(word, 5));
            assert_eq!(pair, bigram.map(|state| fnv_continue(state, word)));
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
