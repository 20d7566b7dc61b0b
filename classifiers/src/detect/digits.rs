//! The digit-run prefilter for detectors of bare numbers (payment cards,
//! phone numbers, IP addresses): finds runs of digits and separators that
//! hold enough digits, skipping digit-free text eight bytes at a time.

/// Bytes that may continue a number: digits and the separators numbers are
/// written with (space, dash, dot, parentheses).
fn in_number(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

/// Appends to `out` every run within `range` of digits and separators that
/// holds at least `min_digits` digits, as `(start, end, digits)`.
pub fn digit_runs(
    buf: &[u8],
    range: std::ops::Range<usize>,
    min_digits: usize,
    out: &mut Vec<(usize, usize, usize)>,
) {
    let mut i = range.start;
    while i < range.end {
        let Some(digit) = next_digit(buf, i, range.end) else {
            break;
        };
        // No digit lies between `i` and `digit`, so the run's digits are
        // all ahead: count them first, and look back over its leading
        // separators only for a run long enough (most are a lone digit).
        let mut end = digit;
        let mut count = 0;
        while end < range.end && in_number(buf[end]) {
            count += usize::from(buf[end].is_ascii_digit());
            end += 1;
        }
        if count >= min_digits {
            let mut start = digit;
            while start > range.start && in_number(buf[start - 1]) {
                start -= 1;
            }
            out.push((start, end, count));
        }
        i = end + 1;
    }
}

/// The position of the next ASCII digit in `buf[from..to]`, eight bytes at a
/// time: after XOR with `0x30` a digit is a byte below 10, which the
/// "has a byte less than n" bit trick finds without looking at bytes one by one.
fn next_digit(buf: &[u8], from: usize, to: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while i + 8 <= to {
        let word = u64::from_le_bytes(buf[i..i + 8].try_into().ok()?) ^ (ONES * 0x30);
        if word.wrapping_sub(ONES * 10) & !word & HIGHS != 0 {
            return (i..i + 8).find(|&j| buf[j].is_ascii_digit());
        }
        i += 8;
    }
    (i..to).find(|&j| buf[j].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &str, min: usize) -> Vec<&str> {
        let mut out = Vec::new();
        digit_runs(text.as_bytes(), 0..text.len(), min, &mut out);
        out.iter().map(|&(s, e, _)| text[s..e].trim()).collect()
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
