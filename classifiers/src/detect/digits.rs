//! The digit-run prefilter for detectors of bare numbers (payment cards,
//! phone numbers, IP addresses): finds runs of digits and separators that
//! hold enough digits, sampling every `min_digits`-th byte so text without
//! long numbers is skipped quickly.

/// Bytes that may continue a number: digits and the separators numbers are
/// written with (space, dash, dot, parentheses).
fn in_number(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

/// Appends to `out` every run within `range` of digits and separators that
/// holds at least `min_digits` digits, as `(start, end)`.
pub fn digit_runs(
    buf: &[u8],
    range: std::ops::Range<usize>,
    min_digits: usize,
    out: &mut Vec<(usize, usize)>,
) {
    let step = min_digits.max(1);
    let mut i = range.start;
    while i < range.end {
        if !in_number(buf[i]) || (buf[i] == b' ' && !near_digit(buf, i)) {
            i += step;
            continue;
        }
        let mut start = i;
        while start > range.start && in_number(buf[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < range.end && in_number(buf[end]) {
            end += 1;
        }
        if buf[start..end]
            .iter()
            .filter(|b| b.is_ascii_digit())
            .count()
            >= min_digits
        {
            out.push((start, end));
        }
        i = end + 1;
    }
}

/// Whether a space sits next to a digit (a separator inside a number).
fn near_digit(buf: &[u8], i: usize) -> bool {
    (i > 0 && buf[i - 1].is_ascii_digit()) || buf.get(i + 1).is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &str, min: usize) -> Vec<&str> {
        let mut out = Vec::new();
        digit_runs(text.as_bytes(), 0..text.len(), min, &mut out);
        out.iter().map(|&(s, e)| text[s..e].trim()).collect()
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
