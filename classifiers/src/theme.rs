//! The theme classifier: counts whole-word, case-insensitive keyword hits per
//! theme in one Aho-Corasick pass, and assigns each theme whose count reaches
//! its minimum.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Serialize;

use crate::catalog::{Catalog, ThemeItem};
use crate::error::CatalogError;

/// A theme assigned to an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeResult {
    pub id: String,
    pub risk: u8,
    pub hits: u32,
}

/// The compiled keyword automaton of every enabled theme.
pub struct ThemeMatcher {
    automaton: AhoCorasick,
    /// Per automaton pattern: the themes it counts for, and whether a word
    /// boundary is required on its left and right.
    patterns: Vec<PatternInfo>,
    themes: Vec<ThemeItem>,
}

struct PatternInfo {
    themes: Vec<u16>,
    boundary_left: bool,
    boundary_right: bool,
}

/// Longest keyword the automaton may hold; longer ones are refused.
const MAX_KEYWORD_LEN: usize = 128;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl ThemeMatcher {
    pub fn new(catalog: &Catalog) -> Result<Self, CatalogError> {
        let themes: Vec<ThemeItem> = catalog
            .themes
            .iter()
            .filter(|t| t.enabled)
            .cloned()
            .collect();
        let mut keywords: Vec<String> = Vec::new();
        let mut patterns: Vec<PatternInfo> = Vec::new();
        for (index, theme) in themes.iter().enumerate() {
            for keyword in &theme.keywords {
                // "credit card" also matches credit-card and credit_card.
                let mut variants = vec![keyword.to_ascii_lowercase()];
                if keyword.contains(' ') {
                    variants.push(keyword.to_ascii_lowercase().replace(' ', "-"));
                    variants.push(keyword.to_ascii_lowercase().replace(' ', "_"));
                }
                if keyword.len() > MAX_KEYWORD_LEN {
                    return Err(CatalogError::Invalid {
                        classifier: "theme",
                        id: theme.id.clone(),
                        problem: format!("keyword longer than {MAX_KEYWORD_LEN} bytes"),
                    });
                }
                for variant in variants {
                    if let Some(existing) = keywords.iter().position(|k| *k == variant) {
                        if !patterns[existing].themes.contains(&(index as u16)) {
                            patterns[existing].themes.push(index as u16);
                        }
                        continue;
                    }
                    let bytes = variant.as_bytes();
                    patterns.push(PatternInfo {
                        themes: vec![index as u16],
                        boundary_left: bytes.first().is_some_and(|&b| is_word_byte(b)),
                        boundary_right: bytes.last().is_some_and(|&b| is_word_byte(b)),
                    });
                    keywords.push(variant);
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .map_err(|e| CatalogError::Automaton {
                what: "themes",
                message: e.to_string(),
            })?;
        Ok(Self {
            automaton,
            patterns,
            themes,
        })
    }

    pub fn theme_count(&self) -> usize {
        self.themes.len()
    }

    /// Adds the keyword hits that start in `owned` to `counts` (one slot per
    /// theme). Bytes outside `owned` are context for word boundaries only.
    pub fn count(&self, buf: &[u8], owned: std::ops::Range<usize>, counts: &mut [u32]) {
        // A keyword starting in `owned` may end a little past it.
        let end = buf.len().min(owned.end + MAX_KEYWORD_LEN);
        let input = aho_corasick::Input::new(buf).span(owned.start..end);
        for hit in self.automaton.find_iter(input) {
            if hit.start() >= owned.end {
                break;
            }
            let info = &self.patterns[hit.pattern().as_usize()];
            if info.boundary_left && hit.start() > 0 && is_word_byte(buf[hit.start() - 1]) {
                continue;
            }
            if info.boundary_right && buf.get(hit.end()).is_some_and(|&b| is_word_byte(b)) {
                continue;
            }
            for &theme in &info.themes {
                counts[theme as usize] += 1;
            }
        }
    }

    /// The themes whose counts reach their minimum.
    pub fn results(&self, counts: &[u32]) -> Vec<ThemeResult> {
        self.themes
            .iter()
            .zip(counts)
            .filter(|(theme, hits)| **hits >= theme.min_count)
            .map(|(theme, &hits)| ThemeResult {
                id: theme.id.clone(),
                risk: theme.risk,
                hits,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn themes_of(text: &str) -> Vec<(String, u32)> {
        let matcher = ThemeMatcher::new(&Catalog::builtin().unwrap()).unwrap();
        let mut counts = vec![0; matcher.theme_count()];
        matcher.count(text.as_bytes(), 0..text.len(), &mut counts);
        matcher
            .results(&counts)
            .into_iter()
            .map(|t| (t.id, t.hits))
            .collect()
    }

    #[test]
    fn counts_whole_words_case_insensitively_against_minimums() {
        let found = themes_of(
            "PRIVILEGED AND CONFIDENTIAL. Attorney work product prepared for Outside Counsel.",
        );
        assert!(
            found.contains(&("attorney_client_privileged".to_string(), 3)),
            "{found:?}"
        );
        // One hit is below Attorney Client Privileged's minimum of 2.
        let found = themes_of("We asked outside counsel about lunch.");
        assert!(
            !found
                .iter()
                .any(|(id, _)| id == "attorney_client_privileged"),
            "{found:?}"
        );
    }

    #[test]
    fn word_boundaries_and_separator_variants() {
        // "visa" inside "visage" and "advisable" must not count.
        assert!(
            !themes_of("her visage was advisable")
                .iter()
                .any(|(id, _)| id == "visa_credit_card_keywords")
        );
        assert!(
            themes_of("Pay with VISA")
                .iter()
                .any(|(id, _)| id == "visa_credit_card_keywords")
        );
        assert!(
            themes_of("the credit_card field")
                .iter()
                .any(|(id, _)| id == "credit_card_keywords")
        );
    }
}
