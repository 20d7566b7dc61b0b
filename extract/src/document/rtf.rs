//! RTF: the text of a Rich Text Format document without its control
//! words. Destinations that hold no document text (font and colour tables,
//! style sheets, embedded pictures and objects, `\*` groups but field
//! instructions, whose hyperlinks can carry a password) are skipped;
//! `\par` and `\line` end lines, `\tab` is a tab, `\'hh` is a byte in the
//! document's ANSI code page (read as Windows-1252) and `\uN` a Unicode
//! character. No crate for this is maintained well enough to prefer.

use super::{DocumentError, Format, Text};

/// Destinations whose content is not text.
const SKIPPED: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"info",
    b"pict",
    b"object",
    b"objdata",
    b"themedata",
    b"colorschememapping",
    b"datastore",
    b"latentstyles",
    b"listtable",
    b"listoverridetable",
    b"rsidtbl",
    b"generator",
    b"xmlnstbl",
    b"mmathPr",
];

pub(super) fn extract(bytes: &[u8], text: &mut Text<'_>) -> Result<(), DocumentError> {
    if !bytes.starts_with(b"{\\rtf") {
        return Err(DocumentError::corrupt(Format::Rtf, "no {\\rtf header"));
    }
    let mut out = String::new();
    // Per group: whether its text is skipped, and \ucN (bytes after \uN).
    let mut stack: Vec<(bool, usize)> = vec![(false, 1)];
    let mut skip_after_unicode = 0usize;
    let mut starred = false;
    let mut i = 0;
    while i < bytes.len() {
        let (skipping, uc) = *stack.last().unwrap_or(&(false, 1));
        let b = bytes[i];
        match b {
            b'{' => {
                stack.push((skipping, uc));
                i += 1;
            }
            b'}' => {
                stack.pop();
                if stack.is_empty() {
                    break;
                }
                i += 1;
            }
            b'\\' => {
                let Some(&next) = bytes.get(i + 1) else { break };
                if next == b'\'' {
                    let hex = bytes
                        .get(i + 2..i + 4)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        if skip_after_unicode > 0 {
                            skip_after_unicode -= 1;
                        } else if !skipping {
                            out.push(windows_1252(byte));
                        }
                    }
                    i += 4;
                    continue;
                }
                if !next.is_ascii_alphabetic() {
                    // Control symbols: escaped braces and backslash, `\*`.
                    match next {
                        b'{' | b'}' | b'\\' if !skipping => out.push(next as char),
                        // An ignorable destination: skipped, unless it is a
                        // field instruction (a hyperlink's URL can hold a
                        // password), decided at its control word.
                        b'*' if !skipping => starred = true,
                        b'~' if !skipping => out.push(' '),
                        b'\n' | b'\r' if !skipping => out.push('\n'),
                        _ => {}
                    }
                    i += 2;
                    continue;
                }
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end].is_ascii_alphabetic() {
                    end += 1;
                }
                let word = &bytes[start..end];
                let mut number_end = end;
                if bytes.get(number_end) == Some(&b'-') {
                    number_end += 1;
                }
                while number_end < bytes.len() && bytes[number_end].is_ascii_digit() {
                    number_end += 1;
                }
                let argument: Option<i64> = std::str::from_utf8(&bytes[end..number_end])
                    .ok()
                    .and_then(|n| n.parse().ok());
                i = number_end;
                if bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
                let was_starred = std::mem::take(&mut starred);
                if SKIPPED.contains(&word) || (was_starred && word != b"fldinst") {
                    if let Some(top) = stack.last_mut() {
                        top.0 = true;
                    }
                    continue;
                }
                if word == b"fldinst" {
                    out.push(' ');
                }
                if skipping {
                    continue;
                }
                match word {
                    b"par" | b"line" | b"row" | b"sect" | b"page" => out.push('\n'),
                    b"tab" | b"cell" => out.push('\t'),
                    b"uc" => {
                        if let Some(top) = stack.last_mut() {
                            top.1 = argument.unwrap_or(1).max(0) as usize;
                        }
                    }
                    b"u" => {
                        let code = argument.unwrap_or(0);
                        let code = if code < 0 { code + 65536 } else { code };
                        out.push(char::from_u32(code as u32).unwrap_or('\u{FFFD}'));
                        skip_after_unicode = uc;
                    }
                    _ => {}
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                if skip_after_unicode > 0 {
                    skip_after_unicode -= 1;
                } else if !skipping {
                    out.push(b as char);
                }
                i += 1;
            }
        }
        if out.len() >= 64 * 1024 {
            text.check_time()?;
            text.write(&out)?;
            out.clear();
        }
    }
    text.write(&out)?;
    text.end_line()
}

/// A byte of Windows-1252 (RTF's usual ANSI code page) as a character.
fn windows_1252(byte: u8) -> char {
    let byte = [byte];
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
    text.chars().next().unwrap_or('\u{FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_escapes_read_as_windows_1252() {
        let text: String = [0x41, 0xe9, 0x80, 0x93, 0x9f, 0x81]
            .into_iter()
            .map(windows_1252)
            .collect();
        assert_eq!(text, "Aé€“Ÿ\u{81}");
    }

    fn plain(rtf: &str) -> String {
        let classifiers = assay_classifiers::Classifiers::builtin().unwrap();
        let mut object = classifiers.document("a.rtf", "application/rtf");
        extract(
            rtf.as_bytes(),
            &mut Text::new(&mut object, super::super::Limits::default()),
        )
        .unwrap();
        let found = object.finish();
        found
            .regexes
            .iter()
            .map(|r| r.id.clone())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn control_words_do_not_split_a_token() {
        let rtf = r"{\rtf1\ansi{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}\f0 token: gh\b p_aBcDeFgHiJkLmNoPqRsT\b0 uVwXyZ0123456789\par}";
        assert_eq!(plain(rtf), "github_key");
        let hidden = r"{\rtf1{\*\generator ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789;}}";
        assert_eq!(plain(hidden), "");
        // A hyperlink's URL is read (it may carry a password).
        let link = r#"{\rtf1{\field{\*\fldinst{HYPERLINK "https://deploy:Vx7pQ2mZ9kLs@db.northwind-internal.com/x"}}{\fldrslt{the runbook}}}}"#;
        assert_eq!(plain(link), "password_in_url");
    }
}
