//! The keyword pass: one case-insensitive Aho-Corasick search per buffer
//! finds both the themes' keywords and the regex detectors' anchors, so the
//! text is walked once for both classifiers.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::detect::{DetectorSet, MAX_SPAN};
use crate::error::CatalogError;
use crate::theme::{ThemeCounts, ThemeMatcher};

/// A detector anchor found in a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorHit {
    pub anchor: usize,
    pub start: usize,
    pub end: usize,
}

/// What an automaton pattern stands for: a theme keyword, a detector
/// anchor, or both (the same text can be each).
#[derive(Debug, Clone, Copy, Default)]
struct Role {
    keyword: Option<usize>,
    anchor: Option<usize>,
}

/// The compiled automaton over every keyword and anchor.
pub struct KeywordPass {
    automaton: Option<AhoCorasick>,
    roles: Vec<Role>,
}

impl KeywordPass {
    pub fn new(themes: &ThemeMatcher, detectors: &DetectorSet) -> Result<Self, CatalogError> {
        let mut texts: Vec<String> = Vec::new();
        let mut roles: Vec<Role> = Vec::new();
        let mut slot = |text: &str| match texts.iter().position(|t| t == text) {
            Some(index) => index,
            None => {
                texts.push(text.to_string());
                roles.push(Role::default());
                texts.len() - 1
            }
        };
        let mut assignments = Vec::new();
        for (index, keyword) in themes.keywords().iter().enumerate() {
            assignments.push((slot(keyword), Some(index), None));
        }
        for (index, anchor) in detectors.anchors().iter().enumerate() {
            assignments.push((slot(anchor), None, Some(index)));
        }
        for (at, keyword, anchor) in assignments {
            roles[at].keyword = roles[at].keyword.or(keyword);
            roles[at].anchor = roles[at].anchor.or(anchor);
        }
        let automaton = if texts.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&texts)
                    .map_err(|e| CatalogError::Automaton {
                        what: "keywords and anchors",
                        message: e.to_string(),
                    })?,
            )
        };
        Ok(Self { automaton, roles })
    }

    /// Searches `buf` around `owned`: theme keywords that start in `owned`
    /// are counted (when `themes` is given); anchors anywhere within reach
    /// of `owned` are collected for the detectors.
    pub fn run(
        &self,
        buf: &[u8],
        owned: std::ops::Range<usize>,
        base: u64,
        mut themes: Option<(&ThemeMatcher, &mut ThemeCounts)>,
        anchors: &mut Vec<AnchorHit>,
    ) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let from = owned.start.saturating_sub(MAX_SPAN / 2);
        let to = buf.len().min(owned.end + MAX_SPAN / 2);
        let input = aho_corasick::Input::new(buf).span(from..to);
        for hit in automaton.find_overlapping_iter(input) {
            let role = self.roles[hit.pattern().as_usize()];
            if let Some(anchor) = role.anchor {
                anchors.push(AnchorHit {
                    anchor,
                    start: hit.start(),
                    end: hit.end(),
                });
            }
            if let (Some(keyword), Some((matcher, counts))) = (role.keyword, themes.as_mut()) {
                if owned.contains(&hit.start()) {
                    matcher.record(keyword, buf, hit.start(), hit.end(), base, counts);
                }
            }
        }
    }
}
