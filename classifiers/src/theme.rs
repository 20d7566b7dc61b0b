//! The theme classifier: counts whole-word, case-insensitive keyword hits per
//! theme and assigns each theme whose count reaches its minimum. The
//! keywords are found by the shared keyword pass ([`crate::keywords`]).

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, ThemeItem};
use crate::error::CatalogError;

/// A theme assigned to an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeResult {
    pub id: String,
    pub risk: u8,
    pub hits: u32,
}

/// Every enabled theme and its keywords, ready for the keyword pass
/// ([`crate::keywords`]) that finds them together with the detectors' anchors.
pub struct ThemeMatcher {
    /// Distinct lower-case keywords (with `-` and `_` variants of spaced ones).
    keywords: Vec<String>,
    /// Per keyword: the themes it counts for and its word-boundary needs.
    patterns: Vec<PatternInfo>,
    themes: Vec<ThemeItem>,
}

struct PatternInfo {
    themes: Vec<u16>,
    boundary_left: bool,
    boundary_right: bool,
}

/// Longest keyword allowed; the streaming classifier's overlap covers it.
pub const MAX_KEYWORD_LEN: usize = 128;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Per-object counting state: hits per theme, and where each theme's last
/// counted hit ended (overlapping keywords of one theme count once).
#[derive(Debug, Clone, Default)]
pub struct ThemeCounts {
    hits: Vec<u32>,
    last_end: Vec<u64>,
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
                if keyword.len() > MAX_KEYWORD_LEN || keyword.is_empty() {
                    return Err(CatalogError::Invalid {
                        classifier: "theme",
                        id: theme.id.clone(),
                        problem: format!(
                            "keyword {keyword:?} is empty or longer than {MAX_KEYWORD_LEN} bytes"
                        ),
                    });
                }
                // "credit card" also matches credit-card and credit_card.
                let lower = keyword.to_ascii_lowercase();
                let mut variants = vec![lower.clone()];
                if lower.contains(' ') {
                    variants.push(lower.replace(' ', "-"));
                    variants.push(lower.replace(' ', "_"));
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
        Ok(Self {
            keywords,
            patterns,
            themes,
        })
    }

    /// The keywords, in the order [`ThemeMatcher::record`] refers to them.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Whether keyword `keyword` counts only with no word byte before it,
    /// and after it: the checks [`ThemeMatcher::record`] makes first.
    pub(crate) fn bounded(&self, keyword: usize) -> (bool, bool) {
        let info = &self.patterns[keyword];
        (info.boundary_left, info.boundary_right)
    }

    /// Fresh counting state for one object.
    pub fn counts(&self) -> ThemeCounts {
        ThemeCounts {
            hits: vec![0; self.themes.len()],
            last_end: vec![0; self.themes.len()],
        }
    }

    /// Counts one keyword hit at `start..end` of `buf` (whose first byte is
    /// at `base` in the object) if it stands as a whole word.
    pub fn record(
        &self,
        keyword: usize,
        buf: &[u8],
        start: usize,
        end: usize,
        base: u64,
        counts: &mut ThemeCounts,
    ) {
        let info = &self.patterns[keyword];
        if info.boundary_left && start > 0 && is_word_byte(buf[start - 1]) {
            return;
        }
        if info.boundary_right && buf.get(end).is_some_and(|&b| is_word_byte(b)) {
            return;
        }
        let (start, end) = (base + start as u64, base + end as u64);
        for &theme in &info.themes {
            let theme = theme as usize;
            // "strictly confidential" holds "confidential": one hit, not two.
            if start < counts.last_end[theme] {
                continue;
            }
            counts.hits[theme] += 1;
            counts.last_end[theme] = end;
        }
    }

    /// The themes whose counts reach their minimum.
    pub fn results(&self, counts: &ThemeCounts) -> Vec<ThemeResult> {
        self.themes
            .iter()
            .zip(&counts.hits)
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

    fn themes_of(text: &str) -> Vec<(String, u32)> {
        let classifiers = crate::Classifiers::builtin().unwrap();
        let mut object = classifiers.object("doc.txt");
        object.feed(text.as_bytes());
        object
            .finish()
            .themes
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
    fn overlapping_keywords_of_one_theme_count_once() {
        let found = themes_of("STRICTLY CONFIDENTIAL. Confidential information follows.");
        assert!(
            found.contains(&("confidential_markings".to_string(), 2)),
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
