//! Where a match sits inside a structured document: the cell of a
//! spreadsheet or CSV file, the page of a PDF, the slide of a deck, the
//! record and JSON path of JSON, Parquet and Avro data, the table of a
//! database, the part of an e-mail. Extractors mark places as they feed
//! text ([`crate::ObjectClassifier::mark`]), and every location found after
//! a mark carries it; JSON and CSV are not marked but followed
//! ([`crate::ObjectClassifier::follow_json`]), their places worked out for
//! the locations reported.
//!
//! A place can also name its *context*: the column name or the last steps
//! of the JSON path. A detector that needs a keyword near a bare number
//! (an SSN, a card number's "card") accepts a value whose column or field
//! is named with that keyword, as Macie does for structured data.
//!
//! ```
//! use assay_classifiers::place::Place;
//! let cell = Place::cell(Some("Customers"), 7, 2, Some("ssn"));
//! assert_eq!(cell.cell.as_deref(), Some("C7"));
//! assert_eq!(cell.context().as_deref(), Some("ssn"));
//! let field = Place::record(3, "$.customer.cardNumber");
//! assert_eq!(field.context().as_deref(), Some("customer card number"));
//! assert_eq!(field.describe(), "record 3, $.customer.cardNumber");
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A place inside a document. Only the fields that apply are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// A named part: `body`, `headers`, `attachment report.txt`, a Word
    /// header or footnote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Arc<str>>,
    /// PDF page, 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Presentation slide, 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slide: Option<u32>,
    /// Spreadsheet sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<Arc<str>>,
    /// Database table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Arc<str>>,
    /// Row, 1-based as spreadsheets number them (a CSV file's header is row 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// Cell reference, `C7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<Arc<str>>,
    /// The column's name, from the header row or schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_name: Option<Arc<str>>,
    /// Record index, 0-based (JSON Lines line, Parquet/Avro row, notebook cell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// JSON path of the value inside its record, `$.customer.card_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Arc<str>>,
}

impl Place {
    /// A spreadsheet, CSV or database cell: `row` 1-based, `column` 0-based.
    pub fn cell(sheet: Option<&str>, row: u64, column: u32, name: Option<&str>) -> Self {
        Self {
            sheet: sheet.map(Arc::from),
            row: Some(row),
            cell: Some(Arc::from(format!("{}{row}", column_letters(column)))),
            column_name: name.filter(|n| !n.is_empty()).map(Arc::from),
            ..Self::default()
        }
    }

    /// A value in a record of JSON-shaped data.
    pub fn record(index: u64, path: &str) -> Self {
        Self {
            record: Some(index),
            path: Some(Arc::from(path)),
            ..Self::default()
        }
    }

    /// A PDF page (1-based).
    pub fn page(page: u32) -> Self {
        Self {
            page: Some(page),
            ..Self::default()
        }
    }

    /// A slide (1-based).
    pub fn slide(slide: u32) -> Self {
        Self {
            slide: Some(slide),
            ..Self::default()
        }
    }

    /// A named part of a document.
    pub fn part(part: &str) -> Self {
        Self {
            part: Some(Arc::from(part)),
            ..Self::default()
        }
    }

    /// Whether no field is set (plain text).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The words that stand as a keyword next to the value: the column
    /// name, or the last two named steps of the JSON path, split into
    /// words (`cardNumber`, `card_number` and `card-number` all read
    /// `card number`).
    pub fn context(&self) -> Option<String> {
        let raw = if let Some(name) = &self.column_name {
            name.to_string()
        } else {
            let path = self.path.as_deref()?;
            let steps: Vec<&str> = path
                .split(['.', '[', ']'])
                .filter(|s| !s.is_empty() && *s != "$" && !s.bytes().all(|b| b.is_ascii_digit()))
                .map(|s| s.trim_matches(['\'', '"']))
                .collect();
            steps[steps.len().saturating_sub(2)..].join(" ")
        };
        let words = split_words(&raw);
        (!words.is_empty()).then_some(words)
    }

    /// The place in words, for tables and messages: `sheet Customers, cell
    /// C7 (ssn)`, `page 2`, `record 3, $.customer.card_number`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(part) = &self.part {
            parts.push(part.to_string());
        }
        if let Some(page) = self.page {
            parts.push(format!("page {page}"));
        }
        if let Some(slide) = self.slide {
            parts.push(format!("slide {slide}"));
        }
        if let Some(sheet) = &self.sheet {
            parts.push(format!("sheet {sheet}"));
        }
        if let Some(table) = &self.table {
            parts.push(format!("table {table}"));
        }
        match (&self.cell, self.row) {
            (Some(cell), _) => parts.push(format!("cell {cell}")),
            (None, Some(row)) => parts.push(format!("row {row}")),
            _ => {}
        }
        if let Some(name) = &self.column_name {
            parts.push(format!("({name})"));
        }
        if let Some(record) = self.record {
            parts.push(format!("record {record}"));
        }
        if let Some(path) = &self.path {
            parts.push(path.to_string());
        }
        parts.join(", ").replace(", (", " (")
    }
}

/// Spreadsheet column letters for a 0-based index: 0 is `A`, 26 is `AA`.
pub fn column_letters(column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(column) + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// `customerCardNumber`, `customer_card-number` → `customer card number`.
pub(crate) fn split_words(raw: &str) -> String {
    if raw.is_ascii() {
        // Most names: the same steps on bytes.
        let mut out = String::with_capacity(raw.len() + 4);
        for word in ascii_words(raw.as_bytes()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(word.iter().map(|b| char::from(b.to_ascii_lowercase())));
        }
        return out;
    }
    split_chars(raw)
}

/// The words of an ASCII name, as [`split_words`] has them before lower
/// casing: runs of letters and digits, cut where a lower-case letter meets
/// a capital.
pub(crate) fn ascii_words(raw: &[u8]) -> AsciiWords<'_> {
    AsciiWords { raw, at: 0 }
}

/// The iterator of [`ascii_words`].
pub(crate) struct AsciiWords<'a> {
    raw: &'a [u8],
    at: usize,
}

impl<'a> Iterator for AsciiWords<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let raw = self.raw;
        let mut at = self.at;
        while raw.get(at).is_some_and(|b| !b.is_ascii_alphanumeric()) {
            at += 1;
        }
        if at == raw.len() {
            self.at = at;
            return None;
        }
        let start = at;
        at += 1;
        while let Some(&b) = raw.get(at) {
            let capital_after_lower = b.is_ascii_uppercase() && raw[at - 1].is_ascii_lowercase();
            if !b.is_ascii_alphanumeric() || capital_after_lower {
                break;
            }
            at += 1;
        }
        self.at = at;
        Some(&raw[start..at])
    }
}

/// [`split_words`] for any text.
fn split_chars(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 4);
    let mut previous: Option<char> = None;
    for c in raw.chars() {
        if c.is_alphanumeric() {
            let boundary = previous.is_some_and(|p| p.is_lowercase() && c.is_uppercase());
            if boundary || previous.is_some_and(|p| !p.is_alphanumeric()) && !out.is_empty() {
                out.push(' ');
            }
            out.extend(c.to_lowercase());
        }
        previous = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_like_spreadsheets() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn ascii_names_split_as_any_text_does() {
        let chars = "aZ09_- .Ωé".chars().collect::<Vec<_>>();
        let mut rng = crate::xorshift::XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5_000 {
            let raw: String = (0..12)
                .map(|_| {
                    let seed = rng.next();
                    chars[(seed % chars.len() as u64) as usize]
                })
                .collect();
            // With the non-ASCII letters swapped for ASCII ones, the fast
            // path runs; the result must be what the char path gives.
            let ascii = raw.replace('Ω', "Q").replace('é', "e");
            assert_eq!(split_words(&ascii), split_chars(&ascii), "{ascii:?}");
            assert!(!split_words(&raw).is_empty() || !raw.chars().any(char::is_alphanumeric));
        }
    }

    #[test]
    fn contexts_are_words() {
        assert_eq!(
            split_words("Social_Security-Number"),
            "social security number"
        );
        assert_eq!(split_words("  SSN "), "ssn");
        let nested = Place::record(0, "$.people[4].taxId");
        assert_eq!(nested.context().as_deref(), Some("people tax id"));
        assert_eq!(Place::page(2).context(), None);
        assert_eq!(
            Place::cell(Some("HR"), 2, 27, Some("iban")).describe(),
            "sheet HR, cell AB2 (iban)"
        );
    }
}
