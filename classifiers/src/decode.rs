//! Encoded content: base64 blobs and percent-encoded stretches of a buffer
//! are decoded and every detector runs over what they hold, one level deep
//! (what a decoding holds is not decoded again). A finding inside reports
//! where the encoded run starts in the original text and how it was
//! encoded ([`Encoding`]); its redaction is of the decoded secret, as
//! everywhere else.
//!
//! Ordinary text is full of base64-looking runs (hashes, identifiers,
//! paths, images in data URIs, minified code), so the search is cheap and
//! most runs are dropped before they are decoded in full:
//! - a base64 run is found by looking at every [`MIN_BASE64`]-th byte only
//!   (a run that long covers one of them) and growing the run from there;
//! - it must mix upper case, lower case and digits, use one alphabet
//!   (standard or URL-safe), and its first [`PROBE`] characters must decode
//!   to text ([`is_text`]): binary (keys in DER, images, compressed data)
//!   stops there;
//! - percent-encoded stretches start at a `%` found by `memchr`.
//!
//! A run the plain scan already flagged with a specific detector (a base64
//! PEM key, a kubeconfig's `client-key-data`) is not decoded again: its
//! finding is already reported.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};

use crate::bytemask::{Class, Classes, block_masks, masks};
use crate::detect::{AnchorHit, DetectorSet, Hit, MAX_SPAN, Scratch, Structure, redact};
use crate::keywords::KeywordPass;

/// The shortest base64 run decoded (24 bytes of text: the shortest
/// credential worth finding this way), padding included. Samples are this
/// far apart.
pub const MIN_BASE64: usize = 32;
/// The shortest run of base64 bytes that reaches [`MIN_BASE64`] with its
/// padding.
const SHORTEST_RUN: usize = MIN_BASE64 - 2;
/// The longest base64 run decoded; longer ones are files (images, fonts,
/// archives) embedded in the text.
pub const MAX_BASE64: usize = 64 * 1024;
/// Encoded characters decoded first to tell text from binary.
pub const PROBE: usize = 64;
/// Line widths at which PEM (64) and MIME (76) wrap base64: a run that
/// fills one continues on the next line.
const WRAP_WIDTHS: [usize; 2] = [64, 76];
/// Text before a run on its line, kept as context for the detectors that
/// need their keyword nearby (`password: <base64>`).
const CONTEXT: usize = 64;
/// How far a percent-encoded stretch reaches either side of its first `%`.
const PERCENT_REACH: usize = 4096;

/// How the content a finding was in had been encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Base64, standard or URL-safe alphabet, padded or not, wrapped or not.
    Base64,
    /// Percent-encoding (`%2F`), as in URLs and query strings.
    Percent,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base64 => "base64",
            Self::Percent => "percent",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding inside decoded content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedHit {
    /// Where the encoded run starts in the buffer.
    pub at: usize,
    pub detector: usize,
    pub encoding: Encoding,
    /// The decoded secret, redacted.
    pub redacted: String,
}

/// Per-object scratch space: decoding buffers, the detectors' own scratch
/// (kept apart from the plain scan's), and the hits of the last buffer.
#[derive(Default)]
pub struct EncodedScan {
    text: Vec<u8>,
    compact: Vec<u8>,
    /// The buffer's base64 bytes, by block ([`RunMasks`]).
    masks: Vec<[u64; 1]>,
    segments: Vec<(usize, usize)>,
    anchors: Vec<AnchorHit>,
    scratch: Scratch,
    hits: Vec<EncodedHit>,
}

/// Bytes of the base64 alphabets (both, standard and URL-safe), as a
/// [`bytemask`] class.
const BASE64_CLASS: Classes<1> = Classes::new([&[
    (b'+', b'+'),
    (b'-', b'-'),
    (b'/', b'9'),
    (b'A', b'Z'),
    (b'_', b'_'),
    (b'a', b'z'),
]]);

/// [`BASE64_CLASS`] by byte value, for the walks that go byte by byte.
static BASE64_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = BASE64_CLASS.contains(0, b as u8);
        b += 1;
    }
    table
};

/// The base64 bytes of a buffer as bit masks of its 64-byte blocks. The
/// samples reach every block, so all are built in one pass first (built
/// as each sample reached it, a block cost four times as much).
struct RunMasks<'a> {
    len: usize,
    masks: &'a [[u64; 1]],
}

impl<'a> RunMasks<'a> {
    fn new(buf: &[u8], masks: &'a mut Vec<[u64; 1]>) -> Self {
        block_masks(buf, &BASE64_CLASS, masks);
        Self {
            len: buf.len(),
            masks,
        }
    }

    /// The mask of block `block` (0 past the buffer's end).
    #[inline]
    fn block(&self, block: usize) -> u64 {
        self.masks.get(block).map_or(0, |m| m[0])
    }

    /// The first sample from `at` (a multiple of [`MIN_BASE64`]) and
    /// before `limit` whose run is long enough to decode with padding
    /// ([`SHORTEST_RUN`] bytes): the tests of a block's two samples, one
    /// block after the other, with nothing else in the loop (one sample at
    /// a time, the loop's bookkeeping cost more than the tests). The run's
    /// bytes either side of a sample are counted on the masks of its block
    /// and the one before, which hold at least that many when the run is
    /// longer: identifiers, the most samples in code, are turned down
    /// here, without their run being measured.
    fn next_sample(&self, at: usize, limit: usize) -> Option<usize> {
        const LONG: u32 = SHORTEST_RUN as u32;
        debug_assert_eq!(at % MIN_BASE64, 0);
        let first_block = at / 64;
        let mut second_only = !at.is_multiple_of(64);
        let mut before = match first_block {
            0 => 0,
            _ => self.block(first_block - 1),
        };
        // The blocks up to `limit`, as a slice: no bounds test per block.
        let last = limit.div_ceil(64).min(self.masks.len());
        let blocks = self.masks.get(first_block..last)?;
        for (block, &[mask]) in (first_block..).zip(blocks) {
            // Both tests as bits, and one branch on them: whether a
            // sample's byte is base64 is a coin toss in code, and a branch
            // on each missed half the time.
            let first = (mask & 1 == 1)
                & !second_only
                & (before.leading_ones() + mask.trailing_ones() >= LONG);
            let second = (mask >> 32 & 1 == 1)
                & ((mask << 32).leading_ones() + (mask >> 32).trailing_ones() >= LONG);
            if first | second {
                return if first {
                    Some(block * 64)
                } else {
                    Some(block * 64 + 32).filter(|&sample| sample < limit)
                };
            }
            second_only = false;
            before = mask;
        }
        None
    }

    /// The run of base64 bytes around `at`, as `start..end`, if the byte
    /// at `at` is base64.
    fn around(&self, at: usize) -> Option<(usize, usize)> {
        let (block, bit) = (at / 64, (at % 64) as u32);
        let mask = self.block(block);
        if mask >> bit & 1 == 0 {
            return None;
        }
        // Up from `at` (counting it), then whole blocks while they are full.
        let mut end = at + (!(mask >> bit)).trailing_zeros() as usize;
        let mut next = block + 1;
        while end == next * 64 {
            end += self.block(next).trailing_ones() as usize;
            next += 1;
        }
        // Down from `at` (counting it), likewise.
        let mut start = at + 1 - (mask << (63 - bit)).leading_ones() as usize;
        let mut before = block;
        while start == before * 64 && before > 0 {
            before -= 1;
            start -= self.block(before).leading_ones() as usize;
        }
        Some((start, end.min(self.len)))
    }
}

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

impl EncodedScan {
    /// Finds every finding inside the encoded runs that start in `owned`
    /// (the rest of `buf` is context), given the plain scan's `plain` hits
    /// of the same buffer. Returned sorted by where their run starts.
    pub fn scan(
        &mut self,
        keywords: &KeywordPass,
        detectors: &DetectorSet,
        buf: &[u8],
        owned: std::ops::Range<usize>,
        plain: &[Hit],
    ) -> &[EncodedHit] {
        self.hits.clear();
        // Runs a specific detector already flagged as they stand. Plain
        // hits are sorted by where their secret starts, and no secret is
        // longer than MAX_SPAN.
        let flagged = |start: usize, end: usize| {
            let before_end = plain.partition_point(|h| h.secret_start < end);
            plain[..before_end]
                .iter()
                .rev()
                .take_while(|h| h.secret_start + MAX_SPAN > start)
                .any(|h| start < h.secret_end && !detectors.detectors()[h.detector].item.generic)
        };
        self.base64_runs(keywords, detectors, buf, owned.clone(), &flagged);
        self.percent_stretches(keywords, detectors, buf, owned, &flagged);
        self.hits.sort_by_key(|h| h.at);
        &self.hits
    }

    fn base64_runs(
        &mut self,
        keywords: &KeywordPass,
        detectors: &DetectorSet,
        buf: &[u8],
        owned: std::ops::Range<usize>,
        flagged: &dyn Fn(usize, usize) -> bool,
    ) {
        let limit = buf.len().min(owned.end.saturating_add(MIN_BASE64));
        let mut at = owned.start.next_multiple_of(MIN_BASE64);
        let mut masks = std::mem::take(&mut self.masks);
        let runs = RunMasks::new(buf, &mut masks);
        // A run long enough (30 bytes and padding) holds the 16 bytes that
        // end at its sample or the 16 that start there: most samples, in
        // words and identifiers, fail that on the masks alone, before their
        // run is measured.
        while let Some(sample) = runs.next_sample(at, limit) {
            at = sample;
            // The masks measure the run without walking its bytes.
            let Some((start, end)) = runs.around(at) else {
                at += MIN_BASE64;
                continue;
            };
            at = end.next_multiple_of(MIN_BASE64).max(at + MIN_BASE64);
            // Padding counts towards the length, as in the run itself.
            let padding = buf[end..]
                .iter()
                .take(2)
                .take_while(|&&b| b == b'=')
                .count();
            if end + padding - start < MIN_BASE64
                || !owned.contains(&start)
                || !mixed(buf, start, end)
            {
                continue;
            }
            // Binary (images, DER keys, compressed data) stops at the probe,
            // before the run is walked again or copied.
            // A rejected wrapped block is skipped whole, not probed line by
            // line (a `base64` dump of binary is one long block).
            let Some(engines) = probe(&buf[start..end]) else {
                if WRAP_WIDTHS.contains(&(end - start)) {
                    let block_end = self.run_segments(buf, start, false);
                    at = block_end.next_multiple_of(MIN_BASE64).max(at);
                }
                continue;
            };
            let end = self.run_segments(buf, start, true);
            at = end.next_multiple_of(MIN_BASE64).max(at);
            let length: usize = self.segments.iter().map(|(s, e)| e - s).sum();
            if length > MAX_BASE64 || flagged(start, end) {
                continue;
            }
            // Context: the line's text before the run.
            let line_start = memchr::memrchr(b'\n', &buf[start.saturating_sub(CONTEXT)..start])
                .map_or(start.saturating_sub(CONTEXT), |nl| {
                    start.saturating_sub(CONTEXT) + nl + 1
                });
            // On a line of its own after the context, so that patterns of
            // whole lines (htpasswd, pgpass, shadow) still match what it holds.
            self.text.clear();
            self.text.extend_from_slice(&buf[line_start..start]);
            self.text.push(b'\n');
            let context = self.text.len();
            let decoded = engines.iter().any(|engine| {
                self.text.truncate(context);
                engine
                    .decode_vec(trim_to_decodable(&self.compact), &mut self.text)
                    .is_ok()
            });
            if !decoded || !is_text(&self.text[context..]) {
                continue;
            }
            self.detect(keywords, detectors, start, Encoding::Base64, |s, _| {
                s >= context
            });
        }
        self.masks = masks;
    }

    /// Finds the run's segments from `start` (one, or several lines of a
    /// wrapped block) into `self.segments` and, if `copy`, their characters
    /// into `self.compact`; returns where the run ends.
    fn run_segments(&mut self, buf: &[u8], start: usize, copy: bool) -> usize {
        self.segments.clear();
        self.compact.clear();
        let mut from = start;
        let mut length = 0;
        loop {
            let end = buf[from..]
                .iter()
                .position(|&b| !BASE64_BYTE[usize::from(b)])
                .map_or(buf.len(), |i| from + i);
            let width = end - from;
            length += width;
            let mut padded = end;
            while padded < buf.len() && padded - end < 2 && buf[padded] == b'=' {
                padded += 1;
            }
            self.segments.push((from, padded));
            if copy && self.compact.len() + (padded - from) <= MAX_BASE64 + 2 * PROBE {
                self.compact.extend_from_slice(&buf[from..padded]);
            }
            // A full line of a wrapped block goes on after the line break
            // (and any indentation).
            // Past MAX_BASE64 the walk stops: the next sample starts
            // again from the following line.
            let continues = padded == end && WRAP_WIDTHS.contains(&width) && length <= MAX_BASE64;
            let mut next = end;
            if continues {
                if buf.get(next) == Some(&b'\r') {
                    next += 1;
                }
                if buf.get(next) == Some(&b'\n') {
                    next += 1;
                    while next < buf.len() && next - end < 32 && matches!(buf[next], b' ' | b'\t') {
                        next += 1;
                    }
                    if next < buf.len() && BASE64_BYTE[usize::from(buf[next])] {
                        from = next;
                        continue;
                    }
                }
            }
            return padded;
        }
    }

    fn percent_stretches(
        &mut self,
        keywords: &KeywordPass,
        detectors: &DetectorSet,
        buf: &[u8],
        owned: std::ops::Range<usize>,
        flagged: &dyn Fn(usize, usize) -> bool,
    ) {
        let stops = |b: u8| {
            b.is_ascii_whitespace()
                || matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>' | b'(' | b')' | b'\\')
        };
        // A stretch belongs to the buffer that owns its start; its first
        // `%` may come up to PERCENT_REACH later.
        let limit = buf.len().min(owned.end.saturating_add(PERCENT_REACH));
        let mut from = owned.start;
        while let Some(found) = memchr::memchr(b'%', &buf[from.min(limit)..limit]) {
            let at = from + found;
            from = at + 1;
            if escape_at(buf, at).is_none() {
                continue;
            }
            let mut start = at;
            while start > 0 && at - start < PERCENT_REACH && !stops(buf[start - 1]) {
                start -= 1;
            }
            let mut end = at;
            while end < buf.len() && end - at < PERCENT_REACH && !stops(buf[end]) {
                end += 1;
            }
            from = end.max(from);
            if start >= owned.end {
                break;
            }
            if start < owned.start || flagged(start, end) {
                continue;
            }
            // Decode, noting which decoded bytes came from escapes: only
            // a secret that holds one is new (the rest the plain scan saw).
            self.text.clear();
            self.segments.clear();
            let stretch = &buf[start..end];
            let mut i = 0;
            while i < stretch.len() {
                match escape_at(stretch, i) {
                    Some(byte) => {
                        self.segments.push((self.text.len(), self.text.len() + 1));
                        self.text.push(byte);
                        i += 3;
                    }
                    None => {
                        self.text.push(stretch[i]);
                        i += 1;
                    }
                }
            }
            if self.segments.is_empty() || !is_text(&self.text) {
                continue;
            }
            let escapes = std::mem::take(&mut self.segments);
            self.detect(keywords, detectors, start, Encoding::Percent, |s, e| {
                let first = escapes.partition_point(|&(_, end)| end <= s);
                escapes.get(first).is_some_and(|&(at, _)| at < e)
            });
            self.segments = escapes;
        }
    }

    /// Runs the detectors over `self.text` and keeps the hits whose secret
    /// span `keep` accepts, as found in the run at `at`.
    fn detect(
        &mut self,
        keywords: &KeywordPass,
        detectors: &DetectorSet,
        at: usize,
        encoding: Encoding,
        keep: impl Fn(usize, usize) -> bool,
    ) {
        let text = &self.text;
        self.anchors.clear();
        keywords.run(text, 0..text.len(), 0, None, &mut self.anchors);
        let hits = detectors.scan(
            text,
            0..text.len(),
            &self.anchors,
            Structure::default(),
            &mut self.scratch,
        );
        for hit in hits {
            if keep(hit.secret_start, hit.secret_end) {
                self.hits.push(EncodedHit {
                    at,
                    detector: hit.detector,
                    encoding,
                    redacted: redact(&text[hit.secret_start..hit.secret_end]),
                });
            }
        }
    }
}

/// Whether a run's first [`PROBE`] characters are base64 of text (one
/// alphabet, decoding to text); if so, the engines to decode it with, in
/// order (standard first when the head does not tell the alphabets apart).
fn probe(run: &[u8]) -> Option<&'static [GeneralPurpose]> {
    static STANDARD_FIRST: [GeneralPurpose; 2] = [STANDARD, URL_SAFE];
    let head = &run[..run.len().min(PROBE)];
    let standard = head.iter().any(|b| matches!(b, b'+' | b'/'));
    let url = head.iter().any(|b| matches!(b, b'-' | b'_'));
    let engines: &'static [GeneralPurpose] = match (standard, url) {
        (true, true) => return None,
        (true, false) => &STANDARD_FIRST[..1],
        (false, true) => &STANDARD_FIRST[1..],
        (false, false) => &STANDARD_FIRST,
    };
    // Decoded on the stack: most runs probed are identifiers, and this
    // runs for each of them. Their first twelve characters decoded mostly
    // settle it: a UTF-8 error inside nine bytes, or two control
    // characters, fail the whole probe as they fail its start.
    let mut decoded = [0u8; PROBE / 4 * 3];
    if head.len() >= 2 * EARLY {
        let len = engines[0].decode_slice(&head[..EARLY], &mut decoded).ok()?;
        if !could_be_text(&decoded[..len]) {
            return None;
        }
    }
    let len = engines[0]
        .decode_slice(trim_to_decodable(head), &mut decoded)
        .ok()?;
    is_text(&decoded[..len]).then_some(engines)
}

/// Whether the run `buf[start..end]` mixes upper case, lower case and
/// digits, as base64 of text all but always does (hex digests, identifiers
/// and words do not). Tested 64 bytes at a time: long identifiers in code
/// are a tenth of the samples, and a byte loop over each was a fifth of
/// this pass.
fn mixed(buf: &[u8], start: usize, end: usize) -> bool {
    const UPPER: Class = &[(b'A', b'Z')];
    const LOWER: Class = &[(b'a', b'z')];
    const DIGIT: Class = &[(b'0', b'9')];
    const CASES: Classes<3> = Classes::new([UPPER, LOWER, DIGIT]);
    let mut seen = [0u64; 3];
    let mut at = start;
    while at < end {
        let take = (end - at).min(64);
        let keep = if take == 64 {
            u64::MAX
        } else {
            (1 << take) - 1
        };
        // A whole block when the buffer has one (the fast path), its
        // bytes past the run masked off.
        let block = &buf[at..buf.len().min(at + 64)];
        for (seen, mask) in seen.iter_mut().zip(masks(block, &CASES)) {
            *seen |= mask & keep;
        }
        if seen.iter().all(|&m| m != 0) {
            return true;
        }
        at += 64;
    }
    false
}

/// The byte a `%XX` escape at `at` stands for, when it stands for text (a
/// printable character, a tab or line break, or part of a UTF-8 one):
/// `%02x` in a format string is not an escape.
fn escape_at(buf: &[u8], at: usize) -> Option<u8> {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    if buf.get(at) != Some(&b'%') {
        return None;
    }
    let byte = hex(*buf.get(at + 1)?)? << 4 | hex(*buf.get(at + 2)?)?;
    (byte >= 0x20 && byte != 0x7f || matches!(byte, b'\t' | b'\n' | b'\r')).then_some(byte)
}

/// Drops a last character that cannot end a base64 text (a length of 4n+1)
/// and any padding, which the lenient engines do not need.
fn trim_to_decodable(run: &[u8]) -> &[u8] {
    let mut end = run.len();
    while end > 0 && run[end - 1] == b'=' {
        end -= 1;
    }
    if end % 4 == 1 {
        end -= 1;
    }
    &run[..end]
}

/// Characters decoded first by [`probe`] (nine bytes).
const EARLY: usize = 12;

/// Whether bytes can start what [`is_text`] accepts when more follow (at
/// least four more, and 32 in all): at most one control character, and no
/// UTF-8 error before their end.
fn could_be_text(bytes: &[u8]) -> bool {
    let control = bytes
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
        .count();
    control < 2
        && (bytes.is_ascii()
            || std::str::from_utf8(bytes).map_or_else(|e| e.error_len().is_none(), |_| true))
}

/// Whether decoded bytes are text: no control characters but tabs and
/// line breaks (one in 32 forgiven), and bytes above ASCII only as UTF-8
/// (a character cut at the end forgiven).
pub fn is_text(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let control = bytes
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
        .count();
    if control * 32 > bytes.len() {
        return false;
    }
    if bytes.is_ascii() {
        return true;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classifiers;
    use base64::engine::general_purpose::{STANDARD as PADDED, URL_SAFE_NO_PAD};

    fn found(text: &str) -> Vec<(String, u64, u64, Option<Encoding>)> {
        let classifiers = Classifiers::builtin().unwrap();
        let mut object = classifiers.object("notes.txt");
        object.feed(text.as_bytes());
        object
            .finish()
            .regexes
            .into_iter()
            .flat_map(|r| {
                r.locations
                    .into_iter()
                    .map(move |l| (r.id.clone(), l.line, l.column, l.encoding))
            })
            .collect()
    }

    /// The masks' runs against runs measured a byte at a time, at every
    /// position of buffers whose runs of every length cross block edges.
    #[test]
    fn run_masks_measure_runs_as_the_bytes_do() {
        let mut rng = crate::xorshift::XorShift(0x9e37_79b9_7f4a_7c15);
        for round in 0..200 {
            let mut buf = Vec::new();
            while buf.len() < 700 {
                let run = (rng.next() % [80, 40, 300][round % 3]) as usize;
                buf.extend((0..run).map(|i| b"aZ9+/-_Q"[(i + run) % 8]));
                buf.push(b" .=\n\x80:"[(rng.next() % 6) as usize]);
            }
            let mut masks = Vec::new();
            let runs = RunMasks::new(&buf, &mut masks);
            for at in 0..buf.len() {
                let inside = |i: usize| BASE64_BYTE[usize::from(buf[i])];
                let expected = inside(at).then(|| {
                    let start = (0..at).rev().find(|&i| !inside(i)).map_or(0, |i| i + 1);
                    let end = (at..buf.len()).find(|&i| !inside(i)).unwrap_or(buf.len());
                    (start, end)
                });
                assert_eq!(runs.around(at), expected, "round {round}, at {at}");
                // The block walk finds exactly the samples in runs long
                // enough.
                if at % MIN_BASE64 == 0 {
                    for limit in [buf.len(), (at + 1 + at * 7 % 300).min(buf.len())] {
                        let next = (at..limit).step_by(MIN_BASE64).find(|&s| {
                            runs.around(s)
                                .is_some_and(|(start, end)| end - start >= SHORTEST_RUN)
                        });
                        assert_eq!(runs.next_sample(at, limit), next, "round {round}, at {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_class_and_the_table_hold_the_same_bytes() {
        for b in 0..=255u8 {
            assert_eq!(
                BASE64_CLASS.contains(0, b),
                BASE64_BYTE[usize::from(b)],
                "{b:#x}"
            );
        }
    }

    #[test]
    fn text_and_binary_are_told_apart() {
        assert!(is_text(b"AWS_SECRET=abc\n"));
        assert!(is_text("clé: valeur".as_bytes()));
        assert!(!is_text(
            b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00"
        ));
        assert!(!is_text(b""));
        assert!(!is_text(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]));
    }

    #[test]
    fn escapes_stand_for_text_only() {
        assert_eq!(escape_at(b"a%2Fb", 1), Some(b'/'));
        assert_eq!(escape_at(b"%5f", 0), Some(b'_'));
        assert_eq!(escape_at(b"%02x", 0), None);
        assert_eq!(escape_at(b"%0A", 0), Some(b'\n'));
        assert_eq!(escape_at(b"%zz", 0), None);
        assert_eq!(escape_at(b"%2", 0), None);
    }

    #[test]
    fn a_token_in_base64_is_found_at_the_start_of_the_run() {
        let token = "ghp_Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi";
        for encoded in [
            PADDED.encode(format!("token: {token}\n")),
            URL_SAFE_NO_PAD.encode(format!("{token}??>>")),
        ] {
            let text = format!("# deploy notes\nblob = {encoded}\n");
            assert_eq!(
                found(&text),
                vec![("github_key".into(), 2, 8, Some(Encoding::Base64))],
                "{encoded}"
            );
        }
    }

    #[test]
    fn url_safe_base64_is_told_apart_past_the_probe() {
        // A URL-safe run whose `-` or `_` come only after the probe: the
        // standard alphabet is tried first and fails, then the URL-safe one.
        let token = "ghp_Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi";
        let encoded = URL_SAFE_NO_PAD.encode(format!("token: {token}\nmore ok??? >>>\n"));
        let (head, tail) = encoded.split_at(PROBE);
        assert!(!head.contains(['-', '_']) && tail.contains(['-', '_']));
        assert_eq!(
            found(&format!("blob = {encoded}\n")),
            vec![("github_key".into(), 1, 8, Some(Encoding::Base64))]
        );
    }

    #[test]
    fn wrapped_base64_is_joined() {
        let secret = format!(
            "# build settings\n{}\nGITHUB_TOKEN=ghp_Zq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi\n",
            "LOG_LEVEL=info ".repeat(8)
        );
        let encoded = PADDED.encode(&secret);
        let wrapped: Vec<&str> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        assert!(wrapped.len() >= 3);
        let text = format!(
            "Content-Transfer-Encoding: base64\n\n{}\n",
            wrapped.join("\r\n")
        );
        assert_eq!(
            found(&text),
            vec![("github_key".into(), 3, 1, Some(Encoding::Base64))]
        );
    }

    #[test]
    fn a_percent_encoded_token_is_found() {
        let text =
            "see https://ci.example.com/hook?t=ghp%5FZq3Lr8Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi&x=1";
        assert_eq!(
            found(text),
            vec![("github_key".into(), 1, 5, Some(Encoding::Percent))]
        );
    }

    #[test]
    fn binary_and_plain_runs_yield_nothing() {
        // DER-looking bytes, a hash, an identifier, a path.
        let binary: Vec<u8> = (0u32..96).map(|i| (i * 37 % 251) as u8).collect();
        let text = format!(
            "key = {}\nsha256 = {}\n{}\n/usr/lib/x86_64-linux-gnu/libAbc123def456ghi789.so\n",
            PADDED.encode(&binary),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "someVeryLongCamelCaseIdentifierNameWithoutAnyDigits"
        );
        assert_eq!(found(&text), vec![]);
    }
}
