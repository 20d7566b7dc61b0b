//! A pull tokenizer for the XML of spreadsheet parts, streamed from a
//! reader: start tags (with their raw attributes), end tags, text and CDATA;
//! comments, processing instructions and declarations are passed over.
//!
//! Why not quick-xml or xmlparser: a sheet is millions of small elements
//! (`<c r="B7" t="s"><v>12</v></c>`), and both spend 400 to 570
//! instructions on each event, checking names character by character,
//! copying and validating UTF-8: four times the cost of classifying the
//! cells' text. This tokenizer finds each token with `memchr` and checks
//! nothing it does not need: names are bytes compared with the few a
//! spreadsheet reader asks for, and text is validated once, where a value
//! is taken.
//!
//! A token is always whole in the buffer: one that does not fit is read on,
//! up to [`MAX_TOKEN`], past which the part is reported corrupt (a sheet's
//! longest token is a cell's text, at most 32,767 characters in Excel).

use std::io::Read;

use memchr::arch::all::memchr::{One, Three};
use memchr::{memchr, memmem};

/// The longest token read, in bytes.
pub(super) const MAX_TOKEN: usize = 16 << 20;

/// Tokens between two [`Markup::lap`]s.
pub(super) const LAP: u64 = 1 << 16;

/// The bytes read at a time.
const READ: usize = 64 << 10;

/// One piece of markup. Names are local (a prefix such as `x:` dropped).
#[derive(Debug, PartialEq)]
pub(super) enum Token<'a> {
    /// `<name attributes>`, or `<name attributes/>` when `empty`.
    Start(Tag<'a>),
    /// `</name>`, the name as written (see [`local`]).
    End(&'a [u8]),
    /// Text as written, entities and all.
    Text(&'a [u8]),
    /// The content of `<![CDATA[…]]>`, which is text as it is.
    CData(&'a [u8]),
}

/// A start tag.
#[derive(Debug, PartialEq)]
pub(super) struct Tag<'a> {
    /// The local name (`c` for `x:c`).
    pub name: &'a [u8],
    /// The name as written, prefix and all.
    pub qualified: &'a [u8],
    /// What follows the name, up to `>` or `/>`.
    pub attributes: &'a [u8],
    /// Written `<name/>`: no content and no end tag follow.
    pub empty: bool,
}

impl<'a> Tag<'a> {
    /// The raw value of the attribute named `key` (its whole name, prefix
    /// included), if the tag has it.
    pub fn attribute(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.attributes()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }

    /// The raw value of the first attribute whose local name is `key`
    /// (`r:id` for `id`).
    pub fn local_attribute(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.attributes()
            .find(|(name, _)| local(name) == key)
            .map(|(_, value)| value)
    }

    /// Each attribute as `(name, raw value)`, in order; iteration stops at
    /// the first that is not written `name="value"` or `name='value'`.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes(self.attributes)
    }
}

/// A tag's attributes (see [`Tag::attributes`]). Names and values are
/// short: the portable word-at-a-time search finds their ends (`memchr`'s
/// vector one costs more to call).
pub(super) struct Attributes<'a>(&'a [u8]);

impl<'a> Iterator for Attributes<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.0.trim_ascii_start();
        let equals = One::new(b'=').find(rest)?;
        let name = rest[..equals].trim_ascii_end();
        let after = rest[equals + 1..].trim_ascii_start();
        let (&quote, value) = after.split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = One::new(quote).find(value)?;
        self.0 = &value[close + 1..];
        Some((name, &value[..close]))
    }
}

/// A name without its prefix.
pub(super) fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// Why a part could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum MarkupError {
    #[error("reading: {0}")]
    Read(#[from] std::io::Error),
    #[error("markup of more than {} MiB at byte {at}", MAX_TOKEN >> 20)]
    TooLong { at: u64 },
    #[error("the part ends inside markup at byte {at}")]
    Cut { at: u64 },
    #[error("unknown entity {entity:?}")]
    Entity { entity: String },
}

/// The tokenizer over one part.
pub(super) struct Markup<R> {
    input: R,
    buf: Vec<u8>,
    /// The next byte to read in `buf`, and the end of what it holds.
    at: usize,
    end: usize,
    /// Bytes dropped from `buf`'s front so far (for error offsets).
    dropped: u64,
    done: bool,
    /// Tokens read, and the count at which [`Markup::lap`] next says so.
    tokens: u64,
    lap_at: u64,
    /// What ends a tag or opens a quoted value in it, and what closes one.
    tag_end: Three,
    double: One,
    single: One,
}

/// What the bytes at the reading point hold: a token, or markup passed
/// over (a comment, a processing instruction, a declaration) up to `end`.
enum Found {
    Token(Kind),
    Skip { end: usize },
}

/// A token's kind and where it and its content lie.
enum Kind {
    Start { name_end: usize, end: usize },
    End { end: usize },
    Text { end: usize },
    CData { end: usize },
}

impl<R: Read> Markup<R> {
    pub fn new(input: R) -> Self {
        Self {
            input,
            buf: Vec::new(),
            at: 0,
            end: 0,
            dropped: 0,
            done: false,
            tokens: 0,
            lap_at: LAP,
            tag_end: Three::new(b'>', b'"', b'\''),
            double: One::new(b'"'),
            single: One::new(b'\''),
        }
    }

    /// True once every [`LAP`] tokens: a reader's cue to check its time,
    /// for parts that are all markup and write nothing (a sheet of a
    /// billion empty rows inflated from a small file).
    pub fn lap(&mut self) -> bool {
        if self.tokens < self.lap_at {
            return false;
        }
        self.lap_at = self.tokens + LAP;
        true
    }

    /// The next token, or `None` at the part's end.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Token<'_>>, MarkupError> {
        let (start, kind) = loop {
            if self.at == self.end && !self.fill()? {
                return Ok(None);
            }
            match self.find(self.at) {
                None if self.done => {
                    return Err(MarkupError::Cut {
                        at: self.dropped + self.at as u64,
                    });
                }
                None => {
                    self.fill()?;
                }
                Some(Found::Skip { end }) => self.at = end,
                Some(Found::Token(kind)) => break (self.at, kind),
            }
        };
        self.tokens += 1;
        let buf = &self.buf[..self.end];
        Ok(Some(match kind {
            Kind::Text { end } => {
                self.at = end;
                Token::Text(&buf[start..end])
            }
            Kind::Start { name_end, end } => {
                self.at = end + 1;
                let empty = buf[end - 1] == b'/';
                let inner_end = if empty { end - 1 } else { end };
                let qualified = &buf[start + 1..name_end];
                Token::Start(Tag {
                    name: local(qualified),
                    qualified,
                    attributes: &buf[name_end..inner_end.max(name_end)],
                    empty,
                })
            }
            Kind::End { end } => {
                self.at = end + 1;
                Token::End(buf[start + 2..end].trim_ascii_end())
            }
            Kind::CData { end } => {
                self.at = end + 3;
                Token::CData(&buf[start + 9..end])
            }
        }))
    }

    /// The token starting at `at`, if the buffer holds all of it (text runs
    /// to the next `<`, or to the part's end).
    fn find(&self, at: usize) -> Option<Found> {
        let buf = &self.buf[at..self.end];
        if buf[0] != b'<' {
            return match memchr(b'<', buf) {
                Some(lt) => Some(Found::Token(Kind::Text { end: at + lt })),
                None if self.done => Some(Found::Token(Kind::Text { end: self.end })),
                None => None,
            };
        }
        let after = |needle: &[u8], from: usize| {
            memmem::find(buf.get(from..)?, needle).map(|i| at + from + i + needle.len())
        };
        match *buf.get(1)? {
            b'/' => buf
                .iter()
                .position(|&b| b == b'>')
                .map(|gt| Found::Token(Kind::End { end: at + gt })),
            b'?' => after(b"?>", 2).map(|end| Found::Skip { end }),
            b'!' if buf.len() < 9 && !self.done => None,
            b'!' if buf.starts_with(b"<!--") => after(b"-->", 4).map(|end| Found::Skip { end }),
            b'!' if buf.starts_with(b"<![CDATA[") => memmem::find(&buf[9..], b"]]>")
                .map(|i| Found::Token(Kind::CData { end: at + 9 + i })),
            // A declaration (`<!DOCTYPE …>`); an internal subset is not
            // followed, as OOXML has none.
            b'!' => memchr(b'>', buf).map(|gt| Found::Skip { end: at + gt + 1 }),
            _ => {
                let name_end = buf
                    .iter()
                    .position(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))?;
                // The tag's `>`, not one inside a quoted value: from quote
                // to quote. Tags are short, so the portable word-at-a-time
                // search serves (`memchr`'s vector one costs more to call).
                let mut from = name_end;
                loop {
                    let i = from + self.tag_end.find(&buf[from..])?;
                    if buf[i] == b'>' {
                        return Some(Found::Token(Kind::Start {
                            name_end: at + name_end,
                            end: at + i,
                        }));
                    }
                    let quote = if buf[i] == b'"' {
                        &self.double
                    } else {
                        &self.single
                    };
                    from = i + 1 + quote.find(&buf[i + 1..])? + 1;
                }
            }
        }
    }

    /// Reads more of the part, keeping the unread bytes; false at its end.
    fn fill(&mut self) -> Result<bool, MarkupError> {
        if self.done {
            return Ok(false);
        }
        if self.at > 0 {
            self.buf.copy_within(self.at..self.end, 0);
            self.dropped += self.at as u64;
            self.end -= self.at;
            self.at = 0;
        }
        if self.end + READ > self.buf.len() {
            if self.end >= MAX_TOKEN {
                return Err(MarkupError::TooLong { at: self.dropped });
            }
            self.buf.resize((self.end + READ).max(self.buf.len()), 0);
        }
        let read = loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(read) => break read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        };
        self.end += read;
        if read == 0 {
            self.done = true;
        }
        Ok(self.end > self.at)
    }
}

/// Appends `raw` text or attribute value to `out` with its entities and
/// character references decoded and its line ends made `\n` (as an XML
/// processor hands text on).
pub(super) fn unescape_into(raw: &[u8], out: &mut Vec<u8>) -> Result<(), MarkupError> {
    let mut rest = raw;
    while let Some(i) = memchr::memchr2(b'&', b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        if rest[i] == b'\r' {
            out.push(b'\n');
            rest = &rest[i + 1..];
            if rest.first() == Some(&b'\n') {
                rest = &rest[1..];
            }
            continue;
        }
        let entity = &rest[i + 1..];
        let semicolon =
            memchr(b';', &entity[..entity.len().min(12)]).ok_or_else(|| MarkupError::Entity {
                entity: String::from_utf8_lossy(&entity[..entity.len().min(12)]).into_owned(),
            })?;
        let name = &entity[..semicolon];
        let decoded = match name {
            b"lt" => '<',
            b"gt" => '>',
            b"amp" => '&',
            b"quot" => '"',
            b"apos" => '\'',
            _ => character_reference(name).ok_or_else(|| MarkupError::Entity {
                entity: format!("&{};", String::from_utf8_lossy(name)),
            })?,
        };
        out.extend_from_slice(decoded.encode_utf8(&mut [0; 4]).as_bytes());
        rest = &entity[semicolon + 1..];
    }
    out.extend_from_slice(rest);
    Ok(())
}

/// Appends CDATA content to `out` with its line ends made `\n` (it holds
/// no entities).
pub(super) fn cdata_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut rest = raw;
    while let Some(i) = memchr(b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        out.push(b'\n');
        rest = rest[i + 1..].strip_prefix(b"\n").unwrap_or(&rest[i + 1..]);
    }
    out.extend_from_slice(rest);
}

/// A raw attribute value as text: entities decoded, invalid UTF-8
/// replaced.
pub(super) fn decode(raw: &[u8]) -> Result<String, MarkupError> {
    let mut out = Vec::with_capacity(raw.len());
    unescape_into(raw, &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `#65` or `#x41`, as the character it names.
fn character_reference(name: &[u8]) -> Option<char> {
    let digits = std::str::from_utf8(name.strip_prefix(b"#")?).ok()?;
    let code = match digits.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    char::from_u32(code).filter(|&c| c != '\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `xml`, read `chunk` bytes at a time, as text.
    fn tokens(xml: &[u8], chunk: usize) -> Result<Vec<String>, MarkupError> {
        struct Chunked<'a>(&'a [u8], usize);
        impl Read for Chunked<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut markup = Markup::new(Chunked(xml, chunk));
        let mut out = Vec::new();
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        while let Some(token) = markup.next()? {
            out.push(match token {
                Token::Start(tag) => format!(
                    "<{} [{}]{}",
                    show(tag.name),
                    show(tag.attributes.trim_ascii()),
                    if tag.empty { "/" } else { "" }
                ),
                Token::End(name) => format!("</{}", show(local(name))),
                Token::Text(text) => format!("'{}'", show(text)),
                Token::CData(text) => format!("cdata '{}'", show(text)),
            });
        }
        Ok(out)
    }

    #[test]
    fn tokens_are_the_same_however_the_part_is_read() {
        let xml = b"<?xml version=\"1.0\"?>\r\n<!DOCTYPE x><x:row r=\"7\" spans='1:2'>\
            <!-- a < b --><c r=\"A7\" t=\"s\" x=\"a>b\" y='\"'><v>12</v></c>\
            <c r=\"B7\"/><is><t xml:space=\"preserve\"> a &amp; b </t></is>\
            <t><![CDATA[<raw> & ]]></t></x:row >tail";
        let expected = [
            "'\r\n'",
            "<row [r=\"7\" spans='1:2']",
            "<c [r=\"A7\" t=\"s\" x=\"a>b\" y='\"']",
            "<v []",
            "'12'",
            "</v",
            "</c",
            "<c [r=\"B7\"]/",
            "<is []",
            "<t [xml:space=\"preserve\"]",
            "' a &amp; b '",
            "</t",
            "</is",
            "<t []",
            "cdata '<raw> & '",
            "</t",
            "</row",
            "'tail'",
        ];
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            assert_eq!(
                tokens(xml, chunk).unwrap(),
                expected,
                "read {chunk} at a time"
            );
        }
    }

    /// Byte soup from markup's own characters, read whole and in pieces of
    /// every small size: no panic, and the same tokens or the same error.
    #[test]
    fn any_bytes_give_the_same_tokens_however_they_are_read() {
        const ALPHABET: &[u8] = b"<<>>//\"'= !-[]CDATA?xc:&;#\r\n\xc3\xa9t";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2_000 {
            let len = (state % 60) as usize;
            let soup: Vec<u8> = (0..len)
                .map(|_| {
                    // xorshift64
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ALPHABET[(state % ALPHABET.len() as u64) as usize]
                })
                .collect();
            let whole = tokens(&soup, 1 << 20).map_err(|e| e.to_string());
            for chunk in [1, 2, 3, 5, 8] {
                let pieces = tokens(&soup, chunk).map_err(|e| e.to_string());
                assert_eq!(
                    pieces,
                    whole,
                    "{:?} read {chunk} at a time",
                    String::from_utf8_lossy(&soup)
                );
            }
        }
    }

    #[test]
    fn laps_come_every_lap_of_tokens() {
        let xml = b"<row/>".repeat(3 * LAP as usize + 5);
        let mut markup = Markup::new(&xml[..]);
        let (mut tokens, mut laps) = (0u64, Vec::new());
        while markup.next().unwrap().is_some() {
            tokens += 1;
            if markup.lap() {
                laps.push(tokens);
            }
        }
        assert_eq!(laps, [LAP, 2 * LAP, 3 * LAP]);
    }

    #[test]
    fn a_cut_part_is_an_error_that_says_where() {
        for cut in [
            "<row><c r=\"A1",
            "<row><!-- never closed",
            "<a><![CDATA[x]]",
        ] {
            let error = tokens(cut.as_bytes(), 3).unwrap_err();
            assert!(matches!(error, MarkupError::Cut { .. }), "{cut}: {error}");
        }
        let error = tokens(b"<a></a><row><c r=\"A1", 64)
            .unwrap_err()
            .to_string();
        assert_eq!(error, "the part ends inside markup at byte 12");
    }

    #[test]
    fn a_token_longer_than_the_limit_is_refused() {
        let mut xml = b"<t>".to_vec();
        xml.resize(MAX_TOKEN + READ * 2, b'a');
        let error = tokens(&xml, 1 << 20).unwrap_err();
        assert!(matches!(error, MarkupError::TooLong { .. }), "{error}");
    }

    #[test]
    fn attributes_by_name_and_by_local_name() {
        let tag = Tag {
            name: b"sheet",
            qualified: b"sheet",
            attributes: b" name=\"R&amp;D\"  sheetId = '2' r:id=\"rId3\" broken",
            empty: true,
        };
        assert_eq!(tag.attribute(b"name"), Some(&b"R&amp;D"[..]));
        assert_eq!(tag.attribute(b"sheetId"), Some(&b"2"[..]));
        assert_eq!(tag.attribute(b"id"), None);
        assert_eq!(tag.local_attribute(b"id"), Some(&b"rId3"[..]));
        assert_eq!(tag.attribute(b"broken"), None);
    }

    #[test]
    fn entities_references_and_line_ends_are_decoded() {
        let mut out = Vec::new();
        unescape_into(
            b"a&lt;b&gt;&amp;&quot;&apos;&#65;&#x263A;\r\nx\ry",
            &mut out,
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a<b>&\"'A\u{263A}\nx\ny");
        for bad in [
            &b"&nbsp;"[..],
            b"&#0;",
            b"&#xD800;",
            b"& alone",
            b"&#x110000;",
        ] {
            assert!(unescape_into(bad, &mut Vec::new()).is_err(), "{bad:?}");
        }
    }
}
