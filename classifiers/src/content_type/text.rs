//! Sniffing of text formats that have no magic number: key material,
//! markup, data records, e-mail, SQL, logs, configuration and source code.
//!
//! Each check looks at the first lines only and asks for a clear majority of
//! lines in the format, so a file that merely mentions a format is not
//! mistaken for it.

use super::{LanguageSniffer, TextEncoding};

/// Decides whether a head is text (and in which encoding) or binary.
pub(super) fn detect_encoding(head: &[u8]) -> TextEncoding {
    if head.starts_with(b"\xFF\xFE") {
        return TextEncoding::Utf16Le;
    }
    if head.starts_with(b"\xFE\xFF") {
        return TextEncoding::Utf16Be;
    }
    if head.contains(&0) {
        return utf16_without_bom(head);
    }
    let controls = control_bytes(head);
    // Text outside UTF-8 (Latin-1, Windows-1252) is still text; only control
    // bytes say binary.
    if controls * 20 > head.len() {
        return TextEncoding::Binary;
    }
    if std::str::from_utf8(head).is_err() {
        let high = head.iter().filter(|&&b| b >= 0x80).count();
        if high * 3 > head.len() {
            return TextEncoding::Binary;
        }
    }
    TextEncoding::Utf8
}

/// Control bytes other than the whitespace and escape text uses.
fn control_bytes(head: &[u8]) -> usize {
    // Branch-free per byte, so the count runs many bytes a step.
    head.chunks(4096)
        .map(|chunk| {
            chunk
                .iter()
                .map(|&b| {
                    let kept =
                        (b == b'\n') | (b == b'\r') | (b == b'\t') | (b == 0x0C) | (b == 0x1B);
                    u32::from(((b < 0x20) & !kept) | (b == 0x7F))
                })
                .sum::<u32>() as usize
        })
        .sum()
}

/// UTF-16 without a byte-order mark: ASCII-range text has a zero in every
/// other byte.
fn utf16_without_bom(head: &[u8]) -> TextEncoding {
    let pairs = head.len() / 2;
    if pairs < 4 {
        return TextEncoding::Binary;
    }
    let (mut zero_even, mut zero_odd, mut printable) = (0, 0, 0);
    for pair in head.chunks_exact(2) {
        zero_even += usize::from(pair[0] == 0);
        zero_odd += usize::from(pair[1] == 0);
        let other = if pair[0] == 0 { pair[1] } else { pair[0] };
        printable +=
            usize::from(other.is_ascii_graphic() || matches!(other, b' ' | b'\n' | b'\r' | b'\t'));
    }
    if printable * 10 < pairs * 9 {
        TextEncoding::Binary
    } else if zero_odd * 10 >= pairs * 9 {
        TextEncoding::Utf16Le
    } else if zero_even * 10 >= pairs * 9 {
        TextEncoding::Utf16Be
    } else {
        TextEncoding::Binary
    }
}

/// Decodes a UTF-16 head for sniffing (lossily; a byte-order mark dropped).
pub(super) fn decode_utf16_head(head: &[u8], little_endian: bool) -> String {
    let encoding = if little_endian {
        encoding_rs::UTF_16LE
    } else {
        encoding_rs::UTF_16BE
    };
    // A head cut inside a pair or a surrogate ends in a replacement
    // character; the sniffers judge whole lines only.
    let (text, _) = encoding.decode_with_bom_removal(head);
    text.trim_start_matches('\u{FEFF}').to_string()
}

/// Names a text format.
/// `name` is the object's name, if known: its extension or whole name can
/// name the language of source code (see [`LanguageSniffer::from_extension`]).
pub(super) fn sniff(text: &str, name: Option<&str>, languages: &LanguageSniffer) -> &'static str {
    let ext = name.and_then(|n| crate::name::extension_of(n, |_| false));
    let base = name.map(crate::name::basename);
    let text = text.trim_start_matches('\u{FEFF}');
    let start = text.trim_start();
    // The last line of a head may be cut short: judge on whole lines.
    let first = whole_lines(text)
        .take(200)
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");

    if let Some(mime) = key_material(start) {
        return mime;
    }
    if first.starts_with("#!") {
        if let Some(mime) = languages.from_shebang(first) {
            return mime;
        }
    }
    if start.starts_with("<?php") {
        return "text/x-php";
    }
    if start.starts_with('<') {
        return markup(start);
    }
    if let Some(mime) = fixed_prefix(start) {
        return mime;
    }
    let named = base.and_then(|b| languages.from_filename(b)).or_else(|| {
        ext.as_deref()
            .and_then(|e| languages.from_extension(e, text.as_bytes()))
    });
    if let Some(mime) = named {
        return mime;
    }
    // Only the checks below read the lines (a name decides most source).
    let lines: Vec<&str> = whole_lines(text).take(200).collect();
    if start.starts_with('{') || start.starts_with('[') {
        if let Some(mime) = json(start, &lines) {
            return mime;
        }
    }
    if let Some(mime) = email(&lines) {
        return mime;
    }
    let content: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if content.is_empty() {
        return "text/plain";
    }
    if is_diff(&content) {
        return "text/x-diff";
    }
    if is_sql(&content) {
        return "text/x-sql";
    }
    if is_log(&content) {
        return "text/x-log";
    }
    if let Some(mime) = delimited(&content) {
        return mime;
    }
    if let Some(mime) = config(&content) {
        return mime;
    }
    if is_css(&content) || (content.len() <= 3 && is_minified_css(start)) {
        return "text/css";
    }
    if let Some(mime) = languages.from_cues(text.as_bytes()) {
        return mime;
    }
    if is_markdown(&content) {
        return "text/markdown";
    }
    "text/plain"
}

fn whole_lines(text: &str) -> impl Iterator<Item = &str> {
    let end = if text.len() >= super::TEXT_HEAD_LEN - 4 {
        text.rfind('\n').unwrap_or(text.len())
    } else {
        text.len()
    };
    text[..end].lines()
}

/// The text after any leading `#` comment lines and blank lines.
fn skip_comment_lines(text: &str) -> &str {
    let mut rest = text;
    loop {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = rest[..line_end].trim();
        if line.is_empty() && line_end < rest.len() || line.starts_with('#') {
            rest = &rest[line_end..];
        } else {
            return rest;
        }
    }
}

/// Whether every PEM block that starts in `text` is a certificate or a
/// revocation list: public material, published by design.
fn only_certificates(text: &str) -> bool {
    let mut labels = text
        .match_indices("-----BEGIN ")
        .map(|(i, m)| &text[i + m.len()..])
        .peekable();
    labels.peek().is_some()
        && labels.all(|label| {
            // A label cut off by the end of the head is not judged.
            let Some(end) = label.find("-----") else {
                return true;
            };
            matches!(
                &label[..end],
                "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" | "X509 CRL"
            )
        })
}

/// PEM, PGP armour, PuTTY and OpenSSH key files.
fn key_material(start: &str) -> Option<&'static str> {
    // CA bundles (certifi's `cacert.pem`, curl's) open with `#` comment
    // lines naming each certificate; the armour comes after them.
    let armour = skip_comment_lines(start);
    if armour.starts_with("-----BEGIN ") && only_certificates(armour) {
        return Some("application/x-x509-ca-cert");
    }
    // `openssl x509 -text` writes the decoded certificate before its PEM.
    if start.starts_with("Certificate:\n") && start[12..].trim_start().starts_with("Data:") {
        return Some(if only_certificates(start) {
            "application/x-x509-ca-cert"
        } else {
            "application/x-pem-file"
        });
    }
    if let Some(label) = armour.strip_prefix("-----BEGIN ") {
        return Some(
            if label.starts_with("PGP PRIVATE KEY BLOCK")
                || label.starts_with("PGP PUBLIC KEY BLOCK")
            {
                "application/pgp-keys"
            } else if label.starts_with("PGP MESSAGE") {
                "application/pgp-encrypted"
            } else if label.starts_with("PGP SIGNED MESSAGE") || label.starts_with("PGP SIGNATURE")
            {
                "application/pgp-signature"
            } else {
                "application/x-pem-file"
            },
        );
    }
    // `openssl pkcs12 -nodes` and friends put "Bag Attributes" lines first.
    if (start.starts_with("Bag Attributes") || start.starts_with("Key Attributes"))
        && start.contains("\n-----BEGIN ")
    {
        return Some("application/x-pem-file");
    }
    if start.starts_with("PuTTY-User-Key-File-") {
        return Some("application/x-putty-private-key");
    }
    let first = start.lines().next().unwrap_or("");
    let key_types = [
        "ssh-rsa AAAA",
        "ssh-ed25519 AAAA",
        "ssh-dss AAAA",
        "ecdsa-sha2-nistp",
        "sk-ssh-ed25519@openssh.com AAAA",
        "sk-ecdsa-sha2-nistp256@openssh.com AAAA",
    ];
    if key_types
        .iter()
        .any(|k| first.starts_with(k) || first.contains(&format!(" {k}")))
    {
        return Some("text/x-ssh-public-key");
    }
    None
}

/// Formats announced by their first characters.
fn fixed_prefix(start: &str) -> Option<&'static str> {
    let table: &[(&str, &str)] = &[
        ("BEGIN:VCARD", "text/x-vcard"),
        ("BEGIN:VCALENDAR", "text/calendar"),
        ("{\\rtf", "application/rtf"),
        ("%!PS", "application/postscript"),
        ("\\documentclass", "text/x-tex"),
        ("\\input texinfo", "application/x-texinfo"),
        ("CACHE MANIFEST", "text/cache-manifest"),
        ("digraph ", "text/vnd.graphviz"),
        ("graph ", "text/vnd.graphviz"),
        ("strict digraph", "text/vnd.graphviz"),
        ("[InternetShortcut]", "text/x-url"),
        ("%YAML", "application/yaml"),
        (".TH ", "application/x-troff-man"),
        (".\\\" ", "application/x-troff-man"),
        ("'\\\" ", "application/x-troff-man"),
    ];
    table
        .iter()
        .find(|(prefix, _)| start.starts_with(prefix))
        .map(|&(_, mime)| mime)
}

fn markup(start: &str) -> &'static str {
    let head: String = start
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    let mut body = head.as_str();
    // Skip the prolog, comments and doctype to find the root element.
    loop {
        body = body.trim_start();
        if let Some(rest) = body.strip_prefix("<?") {
            body = rest.split_once("?>").map_or("", |(_, r)| r);
        } else if let Some(rest) = body.strip_prefix("<!--") {
            body = rest.split_once("-->").map_or("", |(_, r)| r);
        } else if body.starts_with("<!doctype html") {
            return "text/html";
        } else if let Some(rest) = body.strip_prefix("<!") {
            body = rest.split_once('>').map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let root: String = body
        .trim_start_matches('<')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
        .collect();
    match root.as_str() {
        "html" | "head" | "body" | "div" | "p" | "table" | "span" | "meta" | "title" | "script"
        | "link" | "style" | "form" | "a" | "br" | "h1" | "h2" | "ul" => "text/html",
        "svg" => "image/svg+xml",
        "rss" => "application/rss+xml",
        "rdf:rdf" => "application/rdf+xml",
        "window" | "overlay" if head.contains("there.is.only.xul") => {
            "application/vnd.mozilla.xul+xml"
        }
        _ if head.contains("<html") && head.contains("xmlns=\"http://www.w3.org/1999/xhtml\"") => {
            "application/xhtml+xml"
        }
        _ => "text/xml",
    }
}

fn json(start: &str, lines: &[&str]) -> Option<&'static str> {
    let content: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if start.starts_with('{') && start.contains("\"nbformat\"") && start.contains("\"cells\"") {
        return Some("application/x-ipynb+json");
    }
    // JSON Lines: several lines, each a complete object or array.
    let records = content
        .iter()
        .filter(|l| {
            (l.starts_with('{') && l.ends_with('}')) || (l.starts_with('[') && l.ends_with(']'))
        })
        .count();
    if content.len() >= 2 && records == content.len() && content[0].contains('"') {
        return Some("application/x-ndjson");
    }
    let after = start[1..].trim_start();
    let next = after.chars().next()?;
    if start.starts_with('{') && matches!(next, '"' | '}') {
        return Some("application/json");
    }
    // `[section]` is INI or TOML, not a JSON array.
    if start.starts_with('[')
        && (matches!(next, '{' | '[' | ']' | '"' | '-')
            || next.is_ascii_digit()
            || after.starts_with("true")
            || after.starts_with("false")
            || after.starts_with("null"))
    {
        let first = content.first().copied().unwrap_or("");
        let section = first.ends_with(']')
            && !first.contains(',')
            && first.len() > 2
            && !first[1..].starts_with('[')
            || first.starts_with("[[") && first.ends_with("]]") && !first.contains('"');
        if !section {
            return Some("application/json");
        }
    }
    None
}

/// RFC 5322 headers at the top (or an mbox `From ` line before them).
fn email(lines: &[&str]) -> Option<&'static str> {
    let mut known = 0;
    let mut headers = 0;
    let mut mime_version = false;
    let mut multipart = false;
    let mbox = lines
        .first()
        .is_some_and(|l| l.starts_with("From ") && l.split_whitespace().count() >= 3);
    for line in lines.iter().skip(usize::from(mbox)) {
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        let (name, value) = line.split_once(": ")?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
        headers += 1;
        let name = name.to_ascii_lowercase();
        mime_version |= name == "mime-version";
        multipart |= name == "content-type"
            && value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/");
        if matches!(
            name.as_str(),
            "from"
                | "to"
                | "subject"
                | "date"
                | "message-id"
                | "received"
                | "return-path"
                | "mime-version"
                | "delivered-to"
                | "reply-to"
                | "cc"
                | "in-reply-to"
                | "references"
                | "dkim-signature"
                | "x-mailer"
        ) {
            known += 1;
        }
    }
    // A web archive (MHTML, RFC 2557) saved by Word or a browser may carry
    // no more than its MIME headers; it is read as a MIME message.
    let mime_archive = mime_version && multipart && headers >= 2;
    (headers >= 3 && known >= 3 || mime_archive).then_some(if mbox {
        "application/mbox"
    } else {
        "message/rfc822"
    })
}

fn is_diff(lines: &[&str]) -> bool {
    let starts = |p: &str| lines.iter().any(|l| l.starts_with(p));
    (starts("diff --git ") || starts("--- ") && starts("+++ ")) && starts("@@ -")
}

fn is_sql(lines: &[&str]) -> bool {
    let head = lines.first().copied().unwrap_or("");
    if [
        "-- MySQL dump",
        "-- PostgreSQL database dump",
        "-- MariaDB dump",
        "-- phpMyAdmin SQL Dump",
        "PRAGMA foreign_keys",
    ]
    .iter()
    .any(|p| head.starts_with(p))
    {
        return true;
    }
    let statements = [
        "create table",
        "create index",
        "create unique index",
        "create view",
        "create database",
        "create schema",
        "create sequence",
        "create or replace",
        "create function",
        "create type",
        "create extension",
        "create trigger",
        "insert into",
        "drop table",
        "drop database",
        "drop index",
        "drop view",
        "alter table",
        "select ",
        "update ",
        "delete from",
        "copy ",
        "grant ",
        "revoke ",
        "use `",
        "begin;",
        "commit;",
        "set ",
        "lock tables",
        "unlock tables",
        "truncate ",
        "with ",
        "values",
    ];
    let mut sql = 0;
    let mut code = 0;
    let mut strong = 0;
    for line in lines {
        let l = line.trim_start().to_ascii_lowercase();
        if l.starts_with("--")
            || l.starts_with("/*")
            || l.starts_with(')')
            || l.starts_with('(')
            || line.starts_with(' ')
            || line.starts_with('\t')
        {
            continue;
        }
        code += 1;
        if statements.iter().any(|s| l.starts_with(s)) {
            sql += 1;
            if l.starts_with("create table")
                || l.starts_with("insert into")
                || l.starts_with("alter table")
                || l.starts_with("create index")
                || l.starts_with("drop table")
            {
                strong += 1;
            }
        }
    }
    strong >= 1 && sql * 2 >= code
}

fn is_log(lines: &[&str]) -> bool {
    let months = [
        "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ",
        "Dec ",
    ];
    let is_log_line = |l: &str| {
        let b = l.as_bytes();
        let digits =
            |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
        // syslog: "Mar  3 14:02:01 host proc[12]:"
        (months.iter().any(|m| l.starts_with(m)) && b.get(9) == Some(&b':') && b.get(12) == Some(&b':'))
            // ISO 8601 / RFC 3339 or "2024/01/02 03:04:05" timestamps first
            || (digits(0..4) && matches!(b.get(4), Some(b'-' | b'/')) && digits(5..7) && matches!(b.get(7), Some(b'-' | b'/')) && digits(8..10) && matches!(b.get(10), Some(b'T' | b' ')) && digits(11..13) && b.get(13) == Some(&b':'))
            // Common/combined log format: 'host ident user [dd/Mon/yyyy:hh:mm:ss zone] "GET ...'
            || (l.contains(" [") && l.contains("] \"") && l.split(" [").nth(1).is_some_and(|t| t.len() > 20 && t.as_bytes().get(2) == Some(&b'/') && t.as_bytes().get(11) == Some(&b':')))
            // S3 server access log: 64-hex owner id, bucket, [time]
            || (b.len() > 70 && b[..64].iter().all(u8::is_ascii_hexdigit) && b[64] == b' ' && l[65..].contains(" ["))
            // Apache error log: "[Mon Jan 02 03:04:05.678 2024] [level]"
            || (l.starts_with('[') && l.get(1..4).is_some_and(|d| ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&d)) && l.contains("] ["))
            // bracketed timestamp first: "[2024-01-02 03:04:05] level"
            || (l.starts_with('[') && digits(1..5) && b.get(5) == Some(&b'-'))
    };
    let sample: Vec<&&str> = lines.iter().take(50).collect();
    let hits = sample.iter().filter(|l| is_log_line(l)).count();
    sample.len() >= 2 && hits * 10 >= sample.len() * 6
}

/// CSV and TSV: every line has the same number of delimiters (outside quotes).
fn delimited(lines: &[&str]) -> Option<&'static str> {
    let sample: Vec<&str> = lines.iter().take(40).copied().collect();
    if sample.len() < 2 {
        return None;
    }
    for (delimiter, mime) in [
        ('\t', "text/tab-separated-values"),
        (',', "text/csv"),
        (';', "text/csv"),
        ('|', "text/csv"),
    ] {
        let count = |line: &str| {
            let mut quoted = false;
            line.chars()
                .filter(|&c| {
                    if c == '"' {
                        quoted = !quoted;
                    }
                    c == delimiter && !quoted
                })
                .count()
        };
        let first = count(sample[0]);
        let needed = if sample.len() >= 3 { 1 } else { 2 };
        if first < needed || !sample.iter().all(|l| count(l) == first) {
            continue;
        }
        // Code has delimiters too, but also statement punctuation.
        let code_like = sample
            .iter()
            .filter(|l| {
                l.trim_end().ends_with(';')
                    || l.trim_end().ends_with('{')
                    || l.trim_end().ends_with(')')
            })
            .count();
        if delimiter != ';' && code_like * 2 > sample.len() {
            continue;
        }
        if delimiter == ';' && sample.iter().any(|l| l.trim_end().ends_with(';')) {
            continue;
        }
        return Some(mime);
    }
    None
}

/// How many lines start inside a bracket or a triple-quoted string opened
/// on an earlier line (quoted text is skipped when counting brackets).
fn continuation_lines(lines: &[&str]) -> usize {
    let (mut depth, mut in_string, mut continued) = (0usize, false, 0);
    for line in lines {
        if depth > 0 || in_string {
            continued += 1;
        }
        if line.matches("\"\"\"").count() % 2 == 1 || line.matches("'''").count() % 2 == 1 {
            in_string = !in_string;
            continue;
        }
        if in_string {
            continue;
        }
        let mut quote = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => depth += 1,
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    continued
}

/// YAML, TOML and INI-style configuration.
fn config(lines: &[&str]) -> Option<&'static str> {
    let significant: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with(';'))
        .collect();
    if significant.is_empty() {
        return None;
    }
    let n = significant.len();
    let yaml_line = |l: &str| {
        let t = l.trim_start();
        if t == "---" || t == "..." || t.starts_with("- ") || t == "-" {
            return true;
        }
        let Some((key, rest)) = t.split_once(':') else {
            return false;
        };
        (rest.is_empty() || rest.starts_with(' '))
            && !key.is_empty()
            && key.len() < 64
            && !key.contains(' ')
            || key.starts_with('"') && key.ends_with('"')
    };
    let yaml = significant.iter().filter(|l| yaml_line(l)).count();
    let statement_ends = significant
        .iter()
        .filter(|l| {
            let t = l.trim_end();
            t.ends_with(';') || t.ends_with('{') || t.ends_with(")")
        })
        .count();
    if significant[0].trim() == "---" && statement_ends * 5 < n
        || yaml * 10 >= n * 8 && yaml >= 2 && statement_ends * 10 < n
    {
        return Some("application/yaml");
    }
    let section = |l: &str| {
        let t = l.trim();
        t.starts_with('[') && t.ends_with(']') && t.len() > 2 && !t.contains(", ")
    };
    let pair = |l: &str| {
        l.split_once('=').is_some_and(|(k, _)| {
            let k = k.trim();
            !k.is_empty()
                && k.len() < 64
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-\"' ".contains(&b))
                && !k.contains("  ")
        })
    };
    let sections = significant.iter().filter(|l| section(l)).count();
    let pairs = significant.iter().filter(|l| pair(l)).count();
    // Lines inside a value that spans lines (TOML's `classifiers = [` ...
    // `]`, inline tables, `"""` strings) belong to the pair above them.
    let continued = continuation_lines(&significant);
    if pairs >= 2 && (sections + pairs) * 10 >= (n - continued) * 8 && statement_ends * 10 < n {
        let toml_value = |l: &str| {
            let v = l.split_once('=').map_or("", |(_, v)| v.trim());
            v.starts_with('"')
                || v.starts_with('\'')
                || v.starts_with('[')
                || v.starts_with('{')
                || v == "true"
                || v == "false"
                || v.parse::<f64>().is_ok()
                || v.bytes().take(4).all(|b| b.is_ascii_digit()) && v.len() >= 10
        };
        let typed = significant
            .iter()
            .filter(|l| pair(l) && toml_value(l))
            .count();
        return Some(if typed == pairs && sections > 0 {
            "application/toml"
        } else if sections > 0 {
            "text/x-ini"
        } else if typed == pairs {
            "application/toml"
        } else {
            "text/x-ini"
        });
    }
    None
}

/// Minified CSS: long lines of `selector{property:value;...}` rules.
fn is_minified_css(text: &str) -> bool {
    let rules = text
        .match_indices('{')
        .filter(|&(at, _)| {
            let after = &text[at + 1..];
            let property: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            !property.is_empty() && after[property.len()..].starts_with(':')
        })
        .count();
    rules >= 3 && !text.contains("function") && !text.contains("=>") && !text.contains(" = ")
}

fn is_css(lines: &[&str]) -> bool {
    let rules = lines
        .iter()
        .filter(|l| {
            let t = l.trim_end();
            t.ends_with('{')
                && !t.contains('(')
                && !t.contains('=')
                && (t.starts_with(['.', '#', '@', '*', ':'])
                    || t.bytes().next().is_some_and(|b| b.is_ascii_lowercase()))
        })
        .count();
    let declarations = lines
        .iter()
        .filter(|l| {
            let t = l.trim();
            t.ends_with(';')
                && t.split_once(':').is_some_and(|(p, _)| {
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                })
        })
        .count();
    rules >= 1 && declarations >= 2 && (rules + declarations) * 2 >= lines.len()
}

fn is_markdown(lines: &[&str]) -> bool {
    let headings = lines
        .iter()
        .filter(|l| l.starts_with("# ") || l.starts_with("## ") || l.starts_with("### "))
        .count();
    let fences = lines.iter().filter(|l| l.starts_with("```")).count();
    let links = lines.iter().filter(|l| l.contains("](")).count();
    let lists = lines
        .iter()
        .filter(|l| l.starts_with("- ") || l.starts_with("* ") || l.starts_with("1. "))
        .count();
    // Underlined titles alone are common in plain text (licences, READMEs).
    headings >= 1 && fences + links + lists + headings >= 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn sniff_str(text: &str) -> &'static str {
        let languages = LanguageSniffer::new(&Catalog::builtin().unwrap().languages).unwrap();
        sniff(text, None, &languages)
    }

    #[test]
    fn structured_text_formats() {
        assert_eq!(
            sniff_str("{\"Records\": [{\"eventVersion\": \"1.08\"}]}"),
            "application/json"
        );
        assert_eq!(
            sniff_str("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"),
            "application/x-ndjson"
        );
        assert_eq!(sniff_str("[1, 2, 3]"), "application/json");
        assert_eq!(
            sniff_str("[server]\nhost = \"db\"\nport = 5432\n"),
            "application/toml"
        );
        assert_eq!(
            sniff_str("[mysqld]\nuser=mysql\ndatadir=/var/lib/mysql\n"),
            "text/x-ini"
        );
        // Tables first, and arrays that span lines (pyproject.toml).
        assert_eq!(
            sniff_str(
                "# build settings\n\n[build-system]\nrequires = [\"flit_core>=3.9\"]\n\
                 build-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"harbour\"\n\
                 authors = [\n  {name = \"Ana Lima\", email = \"ana@example.org\"},\n]\n\
                 classifiers = [\n  \"Programming Language :: Python :: 3\",\n  \
                 \"License :: OSI Approved :: MIT License\",\n  \"Operating System :: OS Independent\",\n]\n\
                 description = \"\"\"\nTide tables\nfor harbours\n\"\"\"\n"
            ),
            "application/toml"
        );
        assert_eq!(
            sniff_str("name,email,ssn\nAna,ana@example.com,1\nBo,bo@example.com,2\n"),
            "text/csv"
        );
        assert_eq!(
            sniff_str("id\tname\tcity\n1\tAna\tLyon\n2\tBo\tOslo\n"),
            "text/tab-separated-values"
        );
        assert_eq!(
            sniff_str(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: c2VjcmV0\n"
            ),
            "application/yaml"
        );
        assert_eq!(
            sniff_str("-- MySQL dump 10.13\n--\nCREATE TABLE t (id int);\n"),
            "text/x-sql"
        );
        assert_eq!(
            sniff_str("CREATE TABLE users (\n  id serial\n);\nINSERT INTO users VALUES (1);\n"),
            "text/x-sql"
        );
    }

    #[test]
    fn web_archives_are_mime_messages() {
        assert_eq!(
            sniff_str(
                "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_Part_7\"\r\n\r\n\
                 This document is a Single File Web Page.\r\n\r\n------=_Part_7\r\n"
            ),
            "message/rfc822"
        );
        // MIME headers of a single part are not a message.
        assert_ne!(
            sniff_str("MIME-Version: 1.0\nContent-Type: text/plain\n\nhello\n"),
            "message/rfc822"
        );
    }

    #[test]
    fn keys_mail_markup_logs() {
        assert_eq!(
            sniff_str("-----BEGIN CERTIFICATE-----\nMIIB\n"),
            "application/x-x509-ca-cert"
        );
        // A CA bundle whose certificates are preceded by `#` comments.
        assert_eq!(
            sniff_str(
                "\n# Issuer: CN=Harbour Root R2 O=Harbour Trust\n# Label: \"Harbour Root R2\"\n\
                 -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\n\
                 # Issuer: CN=Quay ECC Root\n-----BEGIN CERTIFICATE-----\nMIIC\n"
            ),
            "application/x-x509-ca-cert"
        );
        // A certificate with its key is key material, whatever comes first;
        // a label cut by the end of the head is not judged.
        assert_eq!(
            sniff_str(
                "# web\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n"
            ),
            "application/x-pem-file"
        );
        assert_eq!(
            sniff_str(
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN CER"
            ),
            "application/x-x509-ca-cert"
        );
        assert_eq!(
            sniff_str(
                "Certificate:\n    Data:\n        Version: 3 (0x2)\n-----BEGIN CERTIFICATE-----\nMIIB\n"
            ),
            "application/x-x509-ca-cert"
        );
        assert_eq!(
            sniff_str("# not a key\n-----BEGIN PUBLIC KEY-----\nMFww\n"),
            "application/x-pem-file"
        );
        assert_eq!(
            sniff_str("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ\n"),
            "application/pgp-keys"
        );
        assert_eq!(
            sniff_str("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"),
            "application/x-putty-private-key"
        );
        assert_eq!(
            sniff_str("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI user@host\n"),
            "text/x-ssh-public-key"
        );
        assert_eq!(
            sniff_str(
                "From: a@example.com\nTo: b@example.com\nSubject: hi\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n"
            ),
            "message/rfc822"
        );
        assert_eq!(
            sniff_str("<!DOCTYPE html>\n<html><body>x</body></html>"),
            "text/html"
        );
        assert_eq!(
            sniff_str("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml"
        );
        assert_eq!(
            sniff_str("<?xml version=\"1.0\"?>\n<config><a/></config>"),
            "text/xml"
        );
        assert_eq!(
            sniff_str(
                "Mar  3 14:02:01 web1 sshd[812]: Accepted publickey\nMar  3 14:02:05 web1 CRON[900]: (root) CMD\n"
            ),
            "text/x-log"
        );
        assert_eq!(
            sniff_str(
                "10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] \"GET / HTTP/1.1\" 200 2326\n10.0.0.2 - - [10/Oct/2024:13:55:37 +0000] \"GET /a HTTP/1.1\" 404 12\n"
            ),
            "text/x-log"
        );
        assert_eq!(
            sniff_str("body { color: red; margin: 0; }\n.a {\n  padding: 0;\n  border: none;\n}\n"),
            "text/css"
        );
    }

    #[test]
    fn near_misses_stay_plain_text() {
        assert_eq!(
            sniff_str("Meeting notes: we agreed on the plan.\nNext steps: ship it, then rest.\n"),
            "text/plain"
        );
        assert_eq!(sniff_str("Hello, world\n"), "text/plain");
        assert_eq!(
            sniff_str("From the desk of Ana: nothing to add.\n"),
            "text/plain"
        );
    }

    #[test]
    fn encodings() {
        assert_eq!(detect_encoding(b"plain ascii\n"), TextEncoding::Utf8);
        assert_eq!(
            detect_encoding("caf\u{e9} cr\u{e8}me\n".as_bytes()),
            TextEncoding::Utf8
        );
        assert_eq!(detect_encoding(b"\xFF\xFEh\0i\0"), TextEncoding::Utf16Le);
        assert_eq!(
            detect_encoding(b"h\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0"),
            TextEncoding::Utf16Le
        );
        assert_eq!(
            detect_encoding(b"\x7FELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0"),
            TextEncoding::Binary
        );
        assert_eq!(decode_utf16_head(b"\xFF\xFEh\0i\0", true), "hi");
    }

    #[test]
    fn control_bytes_are_those_below_space_but_text_whitespace_and_escape() {
        for b in 0..=255u8 {
            let text = [b'a', b, b'z'].repeat(3000);
            let control =
                (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C | 0x1B)) || b == 0x7F;
            assert_eq!(
                control_bytes(&text),
                if control { 3000 } else { 0 },
                "{b:#04x}"
            );
        }
    }
}
