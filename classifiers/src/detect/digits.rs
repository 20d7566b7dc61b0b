//! The digit-run prefilter for detectors of bare numbers (payment cards,
//! phone numbers, IP addresses): finds runs of digits and separators that
//! hold enough digits, walking bit masks of the text rather than its bytes.

use crate::bytemask::{Class, Classes, below, block_masks};

/// Bytes that may continue a number: digits and the separators numbers are
/// written with (space, dash, dot, parentheses).
fn in_number(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

/// Appends to `out` every run within `range` of digits and separators that
/// holds at least `min_digits` digits, as `(start, end, digits)`. `masks`
/// is scratch space for the range's masks, built in one pass.
///
/// The text is read 64 bytes at a time as two bit masks (digits, and bytes
/// that may be in a number); runs are walked on the masks, one step per run
/// that holds a digit, so text with few or scattered digits (prose, base64)
/// costs little more than building the masks.
pub fn digit_runs(
    buf: &[u8],
    range: std::ops::Range<usize>,
    min_digits: usize,
    masks: &mut Vec<[u64; 2]>,
    out: &mut Vec<(usize, usize, usize)>,
) {
    let text = &buf[range.clone()];
    block_masks(text, &NUMBERS, masks);
    // A run that reaches the end of the block before: where its first
    // digit is, and its digits so far.
    let mut open: Option<(usize, usize)> = None;
    let mut push = |first_digit: usize, end: usize, count: usize| {
        if count >= min_digits {
            let mut start = first_digit;
            while start > 0 && in_number(text[start - 1]) {
                start -= 1;
            }
            out.push((range.start + start, range.start + end, count));
        }
    };
    for (block, &[digits, numeric]) in masks.iter().enumerate() {
        if digits == 0 && open.is_none() {
            // No run starts here with a digit in it (most blocks of code
            // and prose): a run of separators reaching into the next block
            // is found from its first digit there, as any other.
            continue;
        }
        let at = block * 64;
        let len = (text.len() - at).min(64) as u32;
        let mut from = 0;
        if let Some((first, count)) = open.take() {
            let end = (!numeric).trailing_zeros().min(len);
            let count = count + (digits & below(end)).count_ones() as usize;
            if end == len {
                open = Some((first, count));
                continue;
            }
            push(first, at + end as usize, count);
            from = end;
        }
        // Bits where `min_digits` bytes in a row may be in a number: a run
        // holding that many digits starts at one, or reaches the block end
        // (and may go on in the next). Only those runs are walked: logs
        // are full of shorter ones (`08:09`, `in 318ms`).
        let mut long = numeric;
        for shift in 1..min_digits.min(64) {
            long &= numeric >> shift;
        }
        let mut candidates = long & !below(from);
        if len == 64 && numeric.leading_ones() > 0 {
            candidates |= 1 << (64 - numeric.leading_ones());
        }
        while candidates != 0 {
            let start = candidates.trailing_zeros();
            let end = start + (!(numeric >> start)).trailing_zeros().min(len - start);
            candidates &= !below(end);
            let held = digits & below(end) & !below(start);
            if held == 0 {
                continue;
            }
            let first = held.trailing_zeros();
            let count = held.count_ones() as usize;
            if end == len {
                open = Some((at + first as usize, count));
                break;
            }
            push(at + first as usize, at + end as usize, count);
        }
    }
    if let Some((first, count)) = open {
        push(first, text.len(), count);
    }
}

/// Digits.
const DIGIT: Class = &[(b'0', b'9')];
/// Bytes that may be in a number: see [`in_number`].
const NUMERIC: Class = &[(b' ', b' '), (b'(', b')'), (b'-', b'.'), (b'0', b'9')];
/// Both, for one pass of the masks.
const NUMBERS: Classes<2> = Classes::new([DIGIT, NUMERIC]);

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &str, min: usize) -> Vec<&str> {
        let mut out = Vec::new();
        digit_runs(
            text.as_bytes(),
            0..text.len(),
            min,
            &mut Vec::new(),
            &mut out,
        );
        out.iter().map(|&(s, e, _)| text[s..e].trim()).collect()
    }

    /// The plain byte-at-a-time definition the mask walk must agree with.
    fn reference(buf: &[u8], min: usize) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            if !buf[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let mut start = i;
            while start > 0 && in_number(buf[start - 1]) {
                start -= 1;
            }
            let mut end = i;
            while end < buf.len() && in_number(buf[end]) {
                end += 1;
            }
            let count = buf[start..end]
                .iter()
                .filter(|b| b.is_ascii_digit())
                .count();
            if count >= min {
                out.push((start, end, count));
            }
            i = end + 1;
        }
        out
    }

    /// The mask walk's runs of `text` are the byte walk's, at three
    /// shortest lengths.
    fn agrees_with_the_byte_walk(text: &[u8]) {
        for min in [1, 4, 13] {
            let mut got = Vec::new();
            digit_runs(text, 0..text.len(), min, &mut Vec::new(), &mut got);
            assert_eq!(
                got,
                reference(text, min),
                "{:?} min {min}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn mask_walk_agrees_with_the_byte_walk() {
        // Runs of every length across block edges, from a fixed stream.
        let alphabet = b"0123456789 -.()ab\n";
        let mut rng = crate::xorshift::XorShift(0x2545_f491_4f6c_dd1d);
        for round in 0..400 {
            let len = 1 + round % 300;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    let state = rng.next();
                    // Mostly digits early on, mostly letters later.
                    let pick = (state % 100) as usize;
                    if pick < 100 - round / 5 {
                        alphabet[pick % alphabet.len()]
                    } else {
                        b'x'
                    }
                })
                .collect();
            agrees_with_the_byte_walk(&text);
        }
    }

    #[test]
    fn separators_over_digitless_blocks_lead_into_numbers() {
        // Long stretches of separators (indentation, spaced tables) cover
        // whole blocks with no digit, then numbers continue them.
        let mut rng = crate::xorshift::XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300 {
            let mut text = Vec::new();
            while text.len() < 400 {
                let fill = [b' ', b'-', b'.'][(rng.next() % 3) as usize];
                text.extend(std::iter::repeat_n(fill, (rng.next() % 150) as usize));
                let digits = (rng.next() % 20) as usize;
                text.extend((0..digits).map(|i| b'0' + (i % 10) as u8));
                if rng.next().is_multiple_of(2) {
                    text.push(b'x');
                }
            }
            agrees_with_the_byte_walk(&text);
        }
    }

    #[test]
    fn finds_numbers_at_any_alignment_and_skips_short_ones() {
        for pad in 0..20 {
            let text = format!(
                "{}card 4539 1488 0343 6467 exp 12/29, ref 12345",
                "x".repeat(pad)
            );
            assert_eq!(runs(&text, 13), vec!["4539 1488 0343 6467"], "pad {pad}");
        }
        assert!(runs("version 1.2.3 build 2024 - 11 - 02", 13).is_empty());
        assert_eq!(runs("4539148803436467", 13), vec!["4539148803436467"]);
    }
}
