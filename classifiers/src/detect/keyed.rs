//! Which detectors a field or column name holds keywords of
//! ([`super::DetectorSet::keyed_by`]): every detector keyword in one
//! automaton, and the same keywords indexed by their first word.
//!
//! Names come split into lower-case words (`customerCardNumber` is
//! `customer card number`), so in the usual case, ASCII letters and digits
//! in single-spaced words, a keyword matches exactly where its words are
//! a run of the name's words: a look-up per word finds it. Any other text
//! goes through the automaton. In JSON whose field names rarely repeat
//! (API models, schemas), each value's name was a new one, and the
//! automaton's search was most of what a name cost.

use aho_corasick::AhoCorasick;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::stands_alone;

/// The detectors' keywords, for finding them in names.
pub(super) struct KeywordIndex {
    automaton: AhoCorasick,
    /// Per keyword (ASCII lower case), the detectors that have it.
    owners: Vec<Vec<usize>>,
    keywords: Vec<Box<[u8]>>,
    /// The keywords of ASCII letters and digits in single-spaced words, by
    /// their first word; `None` when a keyword of those bytes has another
    /// shape (a leading, trailing or double space), which a run of words
    /// cannot stand for.
    by_first_word: Option<HashMap<Box<[u8]>, Vec<usize>>>,
    /// Every word of those keywords, and the longest one's length.
    words: HashSet<Box<[u8]>>,
    longest_word: usize,
}

/// A byte of split words: ASCII lower case or a digit.
fn word_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Whether `text` is ASCII words of [`word_byte`]s, single-spaced.
fn is_words(text: &[u8]) -> bool {
    !text.is_empty()
        && text
            .split(|&b| b == b' ')
            .all(|word| !word.is_empty() && word.iter().all(|&b| word_byte(b)))
}

impl KeywordIndex {
    /// The index of `keywords` (each with its detectors), or `None` when
    /// there are none.
    pub(super) fn new(keywords: Vec<String>, owners: Vec<Vec<usize>>) -> Option<Self> {
        if keywords.is_empty() {
            return None;
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&keywords)
            .ok()?;
        let keywords: Vec<Box<[u8]>> = keywords
            .iter()
            .map(|k| k.as_bytes().to_ascii_lowercase().into_boxed_slice())
            .collect();
        let mut by_first_word: Option<HashMap<Box<[u8]>, Vec<usize>>> = Some(HashMap::new());
        let mut words: HashSet<Box<[u8]>> = HashSet::new();
        for (at, keyword) in keywords.iter().enumerate() {
            // A keyword holding any other byte never matches words.
            if !keyword.iter().all(|&b| word_byte(b) || b == b' ') {
                continue;
            }
            if !is_words(keyword) {
                by_first_word = None;
                break;
            }
            let first = keyword.split(|&b| b == b' ').next().unwrap_or_default();
            if let Some(index) = &mut by_first_word {
                index.entry(first.into()).or_default().push(at);
            }
            words.extend(keyword.split(|&b| b == b' ').map(Box::from));
        }
        Some(Self {
            automaton,
            owners,
            keywords,
            by_first_word,
            longest_word: words.iter().map(|w| w.len()).max().unwrap_or(0),
            words,
        })
    }

    /// The detectors whose keywords stand alone in `words` (sorted, each
    /// once).
    pub(super) fn keyed_by(&self, words: &str) -> Vec<usize> {
        let text = words.as_bytes();
        let mut keyed: Vec<usize> = match &self.by_first_word {
            Some(index) if is_words(text) => {
                let mut keyed = Vec::new();
                let starts = std::iter::once(0)
                    .chain(memchr::memchr_iter(b' ', text).map(|space| space + 1));
                for start in starts {
                    let rest = &text[start..];
                    let word = rest.split(|&b| b == b' ').next().unwrap_or_default();
                    let Some(candidates) = index.get(word) else {
                        continue;
                    };
                    for &at in candidates {
                        let keyword = &self.keywords[at];
                        if rest.starts_with(keyword)
                            && rest.get(keyword.len()).is_none_or(|&b| b == b' ')
                        {
                            keyed.extend_from_slice(&self.owners[at]);
                        }
                    }
                }
                keyed
            }
            _ => self
                .automaton
                .find_overlapping_iter(words)
                .filter(|m| stands_alone(text, m.start(), m.end()))
                .flat_map(|m| self.owners[m.pattern().as_usize()].iter().copied())
                .collect(),
        };
        keyed.sort_unstable();
        keyed.dedup();
        keyed
    }

    /// Whether the words of `names` (plain names: ASCII letters, digits and
    /// `_`, split as [`crate::place::split_words`] splits them) may hold a
    /// keyword: `false` when none of them is a word of any keyword, which
    /// settles it without building the words.
    pub(super) fn may_key(&self, names: &[&[u8]]) -> bool {
        let mut folded = [0u8; 64];
        if self.by_first_word.is_none() || self.longest_word > folded.len() {
            return true;
        }
        names.iter().any(|name| {
            crate::place::ascii_words(name).any(|word| {
                if word.len() > self.longest_word {
                    return false;
                }
                let folded = &mut folded[..word.len()];
                for (to, &b) in folded.iter_mut().zip(word) {
                    *to = b.to_ascii_lowercase();
                }
                self.words.contains(&*folded)
            })
        })
    }

    /// [`KeywordIndex::keyed_by`] by the automaton alone.
    #[cfg(test)]
    fn keyed_by_automaton(&self, words: &str) -> Vec<usize> {
        let mut keyed: Vec<usize> = self
            .automaton
            .find_overlapping_iter(words)
            .filter(|m| stands_alone(words.as_bytes(), m.start(), m.end()))
            .flat_map(|m| self.owners[m.pattern().as_usize()].iter().copied())
            .collect();
        keyed.sort_unstable();
        keyed.dedup();
        keyed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;

    #[test]
    fn words_find_what_the_automaton_finds() {
        let set = DetectorSet::new(&crate::Catalog::builtin().unwrap()).unwrap();
        let index = set.keyword_index().unwrap();
        assert!(index.by_first_word.is_some());
        // Names of keyword words, their pieces and other words, split or
        // not, with the shapes the automaton alone reads (capitals, other
        // bytes, spaces at the edges, accents).
        let mut pieces: Vec<String> = index
            .keywords
            .iter()
            .flat_map(|k| {
                String::from_utf8_lossy(k)
                    .split(' ')
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        pieces.extend(
            [
                "card",
                "number",
                "id",
                "x",
                "2",
                "cardnumber",
                "numbers",
                "Card",
                "no.",
                "é",
                " ",
                "_",
            ]
            .map(str::to_string),
        );
        let mut rng = crate::xorshift::XorShift(0x243f_6a88_85a3_08d3);
        let (mut by_words, mut hits) = (0, 0);
        for _ in 0..100_000 {
            let n = 1 + (rng.next() % 5) as usize;
            let words: Vec<&str> = (0..n)
                .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize].as_str())
                .collect();
            let joint = if rng.next().is_multiple_of(8) {
                ""
            } else {
                " "
            };
            let text = words.join(joint);
            let keyed = index.keyed_by(&text);
            assert_eq!(keyed, index.keyed_by_automaton(&text), "{text:?}");
            by_words += usize::from(is_words(text.as_bytes()));
            hits += usize::from(!keyed.is_empty());
        }
        // Both ways were taken, and both found keywords.
        assert!(by_words > 50_000 && by_words < 100_000, "{by_words}");
        assert!(hits > 20_000, "{hits}");
    }

    #[test]
    fn names_without_keyword_words_are_keyed_by_nothing() {
        let set = DetectorSet::new(&crate::Catalog::builtin().unwrap()).unwrap();
        let index = set.keyword_index().unwrap();
        // Plain names glued from keyword words (as written, capitalised,
        // upper case) and other words, in camel and snake case.
        let mut keyword_words: Vec<String> = index
            .words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        keyword_words.sort();
        let other = [
            "shape",
            "Request",
            "member",
            "x9",
            "ID",
            "cardNumber",
            "SSN",
            "type",
            "list",
            "output",
        ]
        .map(str::to_string);
        let mut rng = crate::xorshift::XorShift(0x1319_8a2e_0370_7344);
        let mut name = || {
            let n = 1 + (rng.next() % 3) as usize;
            let snake = rng.next().is_multiple_of(2);
            let mut name = String::new();
            for i in 0..n {
                let words: &[String] = if rng.next().is_multiple_of(4) {
                    &keyword_words
                } else {
                    &other
                };
                let word = &words[(rng.next() % words.len() as u64) as usize];
                let word = match rng.next() % 3 {
                    0 => word.clone(),
                    1 => word[..1].to_uppercase() + &word[1..],
                    _ => word.to_uppercase(),
                };
                if i > 0 && snake {
                    name.push('_');
                }
                name.push_str(&word);
            }
            name
        };
        let (mut settled, mut open) = (0, 0);
        for _ in 0..50_000 {
            let (before, last) = (name(), name());
            let names = [before.as_bytes(), last.as_bytes()];
            let keyed = index.keyed_by(&crate::place::split_words(&format!("{before} {last}")));
            if index.may_key(&names) {
                open += 1;
            } else {
                assert!(keyed.is_empty(), "{before} {last}: {keyed:?}");
                settled += 1;
            }
        }
        assert!(settled > 5_000 && open > 5_000, "{settled} {open}");
    }
}
