//! The content-type classifier: names an object's format (an IANA media
//! type) from its first bytes.
//!
//! Order of evidence: our own signatures for binary formats `infer` does not
//! know or names too broadly (keystores, Parquet, DER keys, ELF kinds, zip
//! flavours), then `infer`'s magic numbers, then text sniffing
//! ([`text`]) for formats with no magic: PEM, e-mail, JSON, CSV, YAML, SQL,
//! logs, source code by language ([`language`]), and plain text. UTF-16 text
//! is recognised and sniffed after decoding.

mod binary;
mod language;
mod text;

pub use language::LanguageSniffer;

use crate::catalog::Catalog;
use crate::error::CatalogError;

/// How many leading bytes the sniffer looks at.
pub const HEAD_LEN: usize = 8192;
/// How many of those the text sniffers read: enough lines to judge a format.
pub const TEXT_HEAD_LEN: usize = 4096;

pub use crate::sniffed::{Sniffed, TextEncoding};

/// The content-type classifier, compiled once and shared by all threads.
pub struct ContentTypeClassifier {
    magic: infer::Infer,
    languages: LanguageSniffer,
}

impl ContentTypeClassifier {
    pub fn new(catalog: &Catalog) -> Result<Self, CatalogError> {
        Ok(Self {
            magic: infer::Infer::new(),
            languages: LanguageSniffer::new(&catalog.languages)?,
        })
    }

    /// Names the format of an object from its first bytes (up to [`HEAD_LEN`]).
    ///
    /// ```
    /// use assay_classifiers::{Catalog, content_type::{ContentTypeClassifier, TextEncoding}};
    /// let sniffer = ContentTypeClassifier::new(&Catalog::builtin().unwrap()).unwrap();
    /// let found = sniffer.sniff(b"#!/usr/bin/env python3\nimport sys\nprint(sys.argv)\n");
    /// assert_eq!(found.mime, "text/x-python");
    /// assert_eq!(found.encoding, TextEncoding::Utf8);
    /// assert_eq!(sniffer.sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").mime, "image/png");
    /// ```
    pub fn sniff(&self, head: &[u8]) -> Sniffed {
        self.sniff_named(head, None)
    }

    /// Like [`ContentTypeClassifier::sniff`], with the object's name: an
    /// extension that names a programming language settles which language a
    /// source file is in (`x.h` is C or C++, never Lua).
    pub fn sniff_named(&self, head: &[u8], name: Option<&str>) -> Sniffed {
        let head = &head[..head.len().min(HEAD_LEN)];
        if head.is_empty() {
            return Sniffed {
                mime: "application/x-empty",
                encoding: TextEncoding::Binary,
            };
        }
        if let Some(mime) = binary::sniff_signature(head) {
            return Sniffed {
                mime,
                encoding: TextEncoding::Binary,
            };
        }
        if let Some(kind) = self.magic.get(head) {
            let mime = kind.mime_type();
            // infer names any "-----BEGIN" text a certificate; the text
            // sniffer tells keys, certificates and PGP armour apart.
            let armoured_text = mime == "application/x-x509-ca-cert" && head.starts_with(b"-----");
            // infer names text that opens with "SQLite" (a README) a
            // database; the file header is the whole "SQLite format 3\0".
            let loose_sqlite =
                mime == "application/vnd.sqlite3" && !head.starts_with(b"SQLite format 3\0");
            if !mime.starts_with("text/")
                && mime != "application/octet-stream"
                && !armoured_text
                && !loose_sqlite
            {
                return Sniffed {
                    mime: binary::refine(normalise(mime), head, name),
                    encoding: TextEncoding::Binary,
                };
            }
        }
        let head = &head[..head.len().min(TEXT_HEAD_LEN)];
        match text::detect_encoding(head) {
            TextEncoding::Binary => Sniffed {
                mime: "application/octet-stream",
                encoding: TextEncoding::Binary,
            },
            TextEncoding::Utf8 => {
                // Nearly every head is valid UTF-8: `from_utf8` checks that
                // a word at a time, faster than the lossy conversion's walk.
                let text = std::str::from_utf8(head).map_or_else(
                    |_| String::from_utf8_lossy(head),
                    std::borrow::Cow::Borrowed,
                );
                Sniffed {
                    mime: text::sniff(&text, name, &self.languages),
                    encoding: TextEncoding::Utf8,
                }
            }
            encoding => {
                let text = text::decode_utf16_head(head, encoding == TextEncoding::Utf16Le);
                Sniffed {
                    mime: text::sniff(&text, name, &self.languages),
                    encoding,
                }
            }
        }
    }
}

/// Maps `infer`'s older names onto the IANA ones the catalog uses.
fn normalise(mime: &'static str) -> &'static str {
    match mime {
        "application/font-woff" => "font/woff",
        "application/font-sfnt" => "font/ttf",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    #[test]
    fn only_a_whole_sqlite_header_is_a_database() {
        let sniffer = ContentTypeClassifier::new(&Catalog::builtin().unwrap()).unwrap();
        let mut database = b"SQLite format 3\0".to_vec();
        database.extend_from_slice(&[0x10, 0x00, 0x01, 0x01, 0x00, 0x40, 0x20, 0x20]);
        assert_eq!(sniffer.sniff(&database).mime, "application/vnd.sqlite3");
        let readme =
            b"SQLite for Debian\n-----------------\n\nThe library is split in four packages.\n";
        assert_eq!(sniffer.sniff(readme).mime, "text/plain");
    }
}
