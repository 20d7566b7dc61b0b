//! PII impact, as Macie Classic rated it after NIST SP 800-122: from the
//! number of full names, e-mail addresses and other personal data in an
//! object, an impact of high, moderate or low.
//!
//! Full names are found with dictionaries built from public-domain
//! name-frequency data (`catalog/names/`, US Census 1990): a given name
//! followed by a surname, both capitalised, with an optional middle initial
//! (`Ana Silva`, `JOHN A. SMITH`, `Amara,Okafor` in a CSV row).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::bytemask::{Class, masks};

/// A name dictionary: the names (upper case), and a bit per hash of each,
/// which turns most words away before the set's slower hash is computed.
struct NameSet {
    names: HashSet<&'static [u8]>,
    filter: Vec<u64>,
}

impl NameSet {
    const FILTER_BITS: u64 = 1 << 16;

    fn new(list: &'static str) -> Self {
        let names: HashSet<&'static [u8]> = list
            .lines()
            .filter(|l| !l.starts_with('#') && l.len() >= 2)
            .map(str::as_bytes)
            .collect();
        let mut filter = vec![0u64; (Self::FILTER_BITS / 64) as usize];
        for name in &names {
            let bit = Self::bit(name);
            filter[bit / 64] |= 1 << (bit % 64);
        }
        Self { names, filter }
    }

    /// FNV-1a of the (upper-case) word, folded to a filter bit.
    fn bit(upper: &[u8]) -> usize {
        let hash = crate::hash::fnv1a(upper);
        (hash % Self::FILTER_BITS) as usize
    }

    fn contains(&self, upper: &[u8]) -> bool {
        let bit = Self::bit(upper);
        self.filter[bit / 64] & (1 << (bit % 64)) != 0 && self.names.contains(upper)
    }
}

const UPPER: Class = &[(b'A', b'Z')];
const ALNUM: Class = &[(b'0', b'9'), (b'A', b'Z'), (b'a', b'z')];

const GIVEN_NAMES: &str = include_str!("../catalog/names/given_names.txt");
const SURNAMES: &str = include_str!("../catalog/names/surnames.txt");

/// The impact level of the personal data in an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    None,
    Low,
    Moderate,
    High,
}

/// An object's PII counts and the impact they give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiImpact {
    pub impact: Impact,
    pub names: u64,
    pub emails: u64,
    /// Personal, financial and health identifiers other than e-mail
    /// addresses (cards, SSNs, phone numbers, national ids, ...).
    pub other: u64,
    pub cards: u64,
}

impl PiiImpact {
    /// Macie Classic's rule: high for a full name with a card number, or 50
    /// or more names and e-mail addresses with any other PII; moderate for 5
    /// or more with other PII; low for fewer, or for other PII alone. Names
    /// and e-mail addresses alone are PII too and rate low.
    ///
    /// ```
    /// use assay_classifiers::pii::{Impact, PiiImpact};
    /// assert_eq!(PiiImpact::rate(1, 0, 1, 1).impact, Impact::High);
    /// assert_eq!(PiiImpact::rate(30, 30, 2, 0).impact, Impact::High);
    /// assert_eq!(PiiImpact::rate(3, 2, 1, 0).impact, Impact::Moderate);
    /// assert_eq!(PiiImpact::rate(0, 0, 4, 0).impact, Impact::Low);
    /// assert_eq!(PiiImpact::rate(0, 0, 0, 0).impact, Impact::None);
    /// ```
    pub fn rate(names: u64, emails: u64, other: u64, cards: u64) -> Self {
        let people = names + emails;
        let impact = if (names >= 1 && cards >= 1) || (people >= 50 && other >= 1) {
            Impact::High
        } else if people >= 5 && other >= 1 {
            Impact::Moderate
        } else if people >= 1 || other >= 1 {
            Impact::Low
        } else {
            Impact::None
        };
        Self {
            impact,
            names,
            emails,
            other,
            cards,
        }
    }
}

/// Finds full names in text.
pub struct NameFinder {
    given: NameSet,
    surnames: NameSet,
}

/// The end of the word of letters starting at `start`.
fn word_end(buf: &[u8], start: usize, limit: usize) -> usize {
    let mut end = start;
    while end < limit && (buf[end].is_ascii_alphabetic() || (buf[end] == b'\'' && end > start)) {
        end += 1;
    }
    end
}

/// Title case (`Smith`) or all capitals (`SMITH`), at least two letters.
fn capitalised(word: &[u8]) -> bool {
    word.len() >= 2
        && word[0].is_ascii_uppercase()
        && (word[1..].iter().all(|b| !b.is_ascii_uppercase())
            || word.iter().all(|b| !b.is_ascii_lowercase()))
}

impl NameFinder {
    pub fn new() -> Self {
        Self {
            given: NameSet::new(GIVEN_NAMES),
            surnames: NameSet::new(SURNAMES),
        }
    }

    fn in_list(list: &NameSet, word: &[u8]) -> bool {
        let mut upper = [0u8; 24];
        if word.len() > upper.len() {
            return false;
        }
        for (slot, b) in upper.iter_mut().zip(word) {
            *slot = b.to_ascii_uppercase();
        }
        list.contains(&upper[..word.len()])
    }

    /// Counts the full names that start in `owned`; bytes after it are
    /// context for a name that runs over the edge.
    pub fn count(&self, buf: &[u8], owned: std::ops::Range<usize>) -> u64 {
        let limit = buf.len().min(owned.end + 64);
        // A full name has a space or comma between its parts: text with
        // neither (base64, hex dumps) holds none, found at memchr speed.
        if memchr::memchr2(b' ', b',', &buf[owned.start..limit]).is_none() {
            return 0;
        }
        let mut names = 0;
        let mut i = owned.start;
        // A name starts a word with a capital. Such starts are found 64
        // bytes at a time from masks: the bytes between them (lower-case
        // words, digits, punctuation) are never looked at one by one.
        let mut block = owned.start;
        while block < owned.end {
            let len = (owned.end - block).min(64);
            let [upper, alnum] = masks(&buf[block..block + len], [UPPER, ALNUM]);
            let after_alnum =
                (alnum << 1) | u64::from(block > 0 && buf[block - 1].is_ascii_alphanumeric());
            let mut starts = upper & !after_alnum;
            while starts != 0 {
                let at = block + starts.trailing_zeros() as usize;
                if at >= i {
                    let (found, next) = self.name_at(buf, at, limit);
                    names += u64::from(found);
                    i = next;
                }
                starts &= starts - 1;
            }
            block = (block + len).max(i);
        }
        names
    }

    /// Whether a full name starts at `at` (a capital that starts a word),
    /// and where to look for the next one.
    fn name_at(&self, buf: &[u8], at: usize, limit: usize) -> (bool, usize) {
        let end = word_end(buf, at, limit);
        let first = &buf[at..end];
        if !capitalised(first) || !Self::in_list(&self.given, first) {
            return (false, end.max(at + 1));
        }
        // Separator: spaces, or a comma (CSV columns), then an optional initial.
        let mut j = end;
        if buf.get(j) == Some(&b',') {
            j += 1;
        }
        while buf.get(j) == Some(&b' ') && j < limit {
            j += 1;
        }
        if j + 2 < limit && buf[j].is_ascii_uppercase() && buf[j + 1] == b'.' && buf[j + 2] == b' '
        {
            j += 3;
        }
        if j == end || j >= limit || !buf[j].is_ascii_uppercase() {
            return (false, end);
        }
        let last_end = word_end(buf, j, limit);
        let last = &buf[j..last_end];
        if capitalised(last)
            && Self::in_list(&self.surnames, last)
            && buf.get(last_end).is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            (true, last_end)
        } else {
            (false, end)
        }
    }
}

impl Default for NameFinder {
    fn default() -> Self {
        Self::new()
    }
}

/// The PII impact from the names counted and the matches of the personal,
/// financial and health detectors (`tallies`: detector index and count),
/// each counted as its catalog `pii` field says (bulk thresholds aside: ten
/// phone numbers are PII even below Macie's hundred).
pub(crate) fn impact(
    detectors: &[crate::detect::Detector],
    names: u64,
    tallies: impl Iterator<Item = (usize, u64)>,
) -> PiiImpact {
    use crate::catalog::{DetectorCategory, PiiKind};
    let (mut emails, mut other, mut cards) = (0, 0, 0);
    for (detector, count) in tallies {
        let item = &detectors[detector].item;
        match (item.pii, item.category) {
            (Some(PiiKind::Email), _) => emails += count,
            (Some(PiiKind::Card), _) => {
                cards += count;
                other += count;
            }
            (
                None,
                DetectorCategory::Personal | DetectorCategory::Financial | DetectorCategory::Health,
            ) => other += count,
            (None, _) => {}
        }
    }
    PiiImpact::rate(names, emails, other, cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_in_prose_csv_and_capitals() {
        let finder = NameFinder::new();
        let count = |t: &str| finder.count(t.as_bytes(), 0..t.len());
        assert_eq!(
            count("Signed by Mary Johnson and JOHN A. SMITH on Friday."),
            2
        );
        assert_eq!(
            count("E1040,Amara,Okafor,amara@example.com\nE1041,Linda,Garcia,x"),
            1
        );
        assert_eq!(count("Linda Garcia"), 1);
    }

    #[test]
    fn the_filter_lets_every_listed_name_through() {
        for list in [GIVEN_NAMES, SURNAMES] {
            let set = NameSet::new(list);
            assert!(set.names.len() > 1000);
            assert!(set.names.iter().all(|name| set.contains(name)));
            assert!(!set.contains(b"INFO") || set.names.contains(&b"INFO"[..]));
        }
    }

    #[test]
    fn near_misses_are_not_names() {
        let finder = NameFinder::new();
        let count = |t: &str| finder.count(t.as_bytes(), 0..t.len());
        // Lower case, a given name alone, code identifiers, camel case.
        assert_eq!(count("mary johnson"), 0);
        assert_eq!(count("Dear Mary, thanks."), 0);
        assert_eq!(count("MaryJohnson = getUser(); JohnSmith2"), 0);
        assert_eq!(count("Mary Qwertyuiop"), 0);
    }

    /// The byte-at-a-time walk the mask walk replaced.
    fn walk_bytes(finder: &NameFinder, buf: &[u8], owned: std::ops::Range<usize>) -> u64 {
        let limit = buf.len().min(owned.end + 64);
        let (mut names, mut i) = (0, owned.start);
        while i < owned.end {
            let b = buf[i];
            if !b.is_ascii_uppercase() || (i > 0 && buf[i - 1].is_ascii_alphanumeric()) {
                i += 1;
                continue;
            }
            let (found, next) = finder.name_at(buf, i, limit);
            names += u64::from(found);
            i = next;
        }
        names
    }

    #[test]
    fn the_mask_walk_counts_what_the_byte_walk_counts() {
        let finder = NameFinder::new();
        let words = [
            "Mary", "Johnson", "JOHN", "A.", "SMITH", "Linda", "Garcia", "mary", "xyzMary", "9",
            "O'Brien", ",", ", ", "  ", "\n", "Zq", "the", "42",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut total = 0;
        for round in 0..300 {
            let text: String = (0..round % 97 + 1)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let word = words[(state % words.len() as u64) as usize];
                    if state >> 60 < 8 {
                        format!("{word} ")
                    } else {
                        word.to_string()
                    }
                })
                .collect();
            let buf = text.as_bytes();
            for owned in [0..buf.len(), buf.len() / 3..buf.len() * 2 / 3] {
                let names = finder.count(buf, owned.clone());
                assert_eq!(
                    names,
                    walk_bytes(&finder, buf, owned.clone()),
                    "{text:?} {owned:?}"
                );
                total += names;
            }
        }
        assert!(total > 100, "{total}");
    }

    #[test]
    fn words_are_skipped_whole_and_separator_free_text_holds_none() {
        let finder = NameFinder::new();
        let count = |t: &str| finder.count(t.as_bytes(), 0..t.len());
        // A capital inside a word starts nothing; the next word still does.
        assert_eq!(count("xyzMary Johnson and abcDEF Mary Johnson"), 1);
        assert_eq!(count("9Mary Johnson"), 0);
        // Base64 holds capitalised words but no spaces or commas.
        assert_eq!(count("Mary+Johnson/MaryJohnson+Abc/Def=="), 0);
    }
}
