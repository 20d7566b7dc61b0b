//! The keyword pass: one case-insensitive Aho-Corasick search per buffer
//! finds both the themes' keywords and the regex detectors' anchors, so the
//! text is walked once for both classifiers.
//!
//! With about a thousand patterns no literal prefilter applies, and a DFA
//! walk is bound by the latency of its table lookups, each waiting for the
//! last. So a buffer is cut into [`LANES`] stretches walked side by side in
//! one loop: their lookups are independent and overlap in the CPU. Each
//! stretch but the first starts a pattern's length early, from the start
//! state, and keeps only matches that end inside it, which gives exactly
//! the matches of one walk over the whole buffer, in the same order.

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, PatternID};

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

/// Stretches of a buffer walked side by side.
const LANES: usize = 4;
/// Below this many bytes per lane, one plain walk.
const MIN_LANE: usize = 512;

/// The compiled automaton over every keyword and anchor.
pub struct KeywordPass {
    automaton: Option<DFA>,
    roles: Vec<Role>,
}

/// A pattern match: which pattern, and where it ends.
type Found = (PatternID, usize);

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
                DFA::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    // The walk below has no use for one; without it only
                    // match states are special.
                    .prefilter(false)
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
        let mut found = Vec::new();
        walk(automaton, buf, from..to, &mut found);
        for (pattern, end) in found {
            let start = end - automaton.pattern_len(pattern);
            let role = self.roles[pattern.as_usize()];
            if let Some(anchor) = role.anchor {
                anchors.push(AnchorHit { anchor, start, end });
            }
            if let (Some(keyword), Some((matcher, counts))) = (role.keyword, themes.as_mut()) {
                if owned.contains(&start) {
                    matcher.record(keyword, buf, start, end, base, counts);
                }
            }
        }
    }
}

/// Appends every match of `dfa` in `buf[range]`, in the order one walk
/// from `range.start` reports them: by end, then by pattern order.
fn walk(dfa: &DFA, buf: &[u8], range: std::ops::Range<usize>, found: &mut Vec<Found>) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let len = range.end.saturating_sub(range.start);
    if len < LANES * MIN_LANE {
        let mut sid = start;
        for at in range {
            sid = dfa.next_state(Anchored::No, sid, buf[at]);
            if dfa.is_special(sid) && dfa.is_match(sid) {
                push_matches(dfa, sid, at + 1, found);
            }
        }
        return;
    }
    // Lane k owns matches ending in (bounds[k], bounds[k + 1]] and starts
    // walking early enough to see the longest pattern whole.
    let lead = dfa.max_pattern_len();
    let bounds: [usize; LANES + 1] = std::array::from_fn(|k| range.start + len * k / LANES);
    let mut at: [usize; LANES] = std::array::from_fn(|k| {
        if k == 0 {
            bounds[0]
        } else {
            bounds[k].saturating_sub(lead).max(range.start)
        }
    });
    let mut sid = [start; LANES];
    let mut lanes: [Vec<Found>; LANES] = Default::default();
    // Walk all lanes together as far as the shortest one goes.
    let steps = (0..LANES).map(|k| bounds[k + 1] - at[k]).min().unwrap_or(0);
    for _ in 0..steps {
        for k in 0..LANES {
            sid[k] = dfa.next_state(Anchored::No, sid[k], buf[at[k]]);
            at[k] += 1;
        }
        for k in 0..LANES {
            if dfa.is_special(sid[k]) && dfa.is_match(sid[k]) && at[k] > bounds[k] {
                push_matches(dfa, sid[k], at[k], &mut lanes[k]);
            }
        }
    }
    for k in 0..LANES {
        while at[k] < bounds[k + 1] {
            sid[k] = dfa.next_state(Anchored::No, sid[k], buf[at[k]]);
            at[k] += 1;
            if dfa.is_special(sid[k]) && dfa.is_match(sid[k]) && at[k] > bounds[k] {
                push_matches(dfa, sid[k], at[k], &mut lanes[k]);
            }
        }
    }
    for lane in lanes {
        found.extend(lane);
    }
}

/// Appends the patterns that match in state `sid`, ending at `end`.
fn push_matches(
    dfa: &DFA,
    sid: aho_corasick::automaton::StateID,
    end: usize,
    found: &mut Vec<Found>,
) {
    for index in 0..dfa.match_len(sid) {
        found.push((dfa.match_pattern(sid, index), end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_lanes_find_what_one_walk_finds() {
        // Short, long and nested patterns over a small alphabet, so matches
        // fall across every lane boundary.
        let patterns = [
            "ab",
            "abc",
            "bca",
            "cab",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac",
            "C",
            "@",
        ];
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(patterns)
            .unwrap();
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(patterns)
            .unwrap();
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let mut text: Vec<u8> = (0..40_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                b"aAbBc@x"[(state % 7) as usize]
            })
            .collect();
        // The long pattern across where lanes meet.
        for at in [10_000 - 20, 20_000 - 1, 30_000 - 39] {
            text[at..at + 40].copy_from_slice(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac");
        }
        for range in [0..text.len(), 3..text.len() - 5, 0..1000] {
            let mut found = Vec::new();
            walk(&dfa, &text, range.clone(), &mut found);
            let expected: Vec<Found> = reference
                .find_overlapping_iter(aho_corasick::Input::new(&text).span(range.clone()))
                .map(|m| (m.pattern(), m.end()))
                .collect();
            assert!(expected.len() > 1000 || range.len() < 2000);
            assert_eq!(found, expected, "range {range:?}");
        }
    }
}
