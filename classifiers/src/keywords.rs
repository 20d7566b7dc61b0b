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
//!
//! aho-corasick builds the trie and its failure links (a noncontiguous
//! NFA); [`Table`] turns it into a DFA laid out so that each step is one
//! class lookup, one add and one load (with aho-corasick's own DFA
//! lookups, the lanes' states did not fit in registers). Building the
//! table straight from the NFA, rather than from aho-corasick's DFA, halves
//! the start-up every process pays.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::noncontiguous::NFA;
use aho_corasick::{Anchored, MatchKind, PatternID};

use crate::detect::{AnchorHit, DetectorSet, MAX_SPAN};
use crate::error::CatalogError;
use crate::theme::{ThemeCounts, ThemeMatcher};

/// What an automaton pattern stands for: a theme keyword, a detector
/// anchor, or both (the same text can be each).
#[derive(Debug, Clone, Copy, Default)]
struct Role {
    keyword: Option<usize>,
    anchor: Option<usize>,
}

/// Stretches of a buffer walked side by side: measured on C headers and
/// logs, 6 beat 4 by about 15% and 8 (the states no longer fit in
/// registers).
const LANES: usize = 6;
/// Below this many bytes per lane, one plain walk (the longest pattern,
/// re-walked at each lane's start, should stay a small share).
const MIN_LANE: usize = 192;

/// The compiled automaton over every keyword and anchor.
pub struct KeywordPass {
    table: Option<Table>,
    roles: Vec<Role>,
}

/// A pattern match: which pattern, and where it ends.
type Found = (PatternID, usize);

impl KeywordPass {
    pub fn new(themes: &ThemeMatcher, detectors: &DetectorSet) -> Result<Self, CatalogError> {
        let (texts, roles) = patterns(themes, detectors);
        let table = if texts.is_empty() {
            None
        } else {
            let nfa = NFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                // The walk below has no use for one.
                .prefilter(false)
                .build(&texts)
                .map_err(|e| CatalogError::Automaton {
                    what: "keywords and anchors",
                    message: e.to_string(),
                })?;
            Some(Table::new(&nfa, &texts))
        };
        Ok(Self { table, roles })
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
        let Some(table) = &self.table else {
            return;
        };
        let from = owned.start.saturating_sub(MAX_SPAN / 2);
        let to = buf.len().min(owned.end + MAX_SPAN / 2);
        let mut found = Vec::new();
        table.walk(buf, from..to, &mut found);
        for (pattern, end) in found {
            let start = end - table.pattern_len(pattern);
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

/// The automaton's patterns, each distinct text once, and what each stands for.
fn patterns(themes: &ThemeMatcher, detectors: &DetectorSet) -> (Vec<String>, Vec<Role>) {
    let mut texts: Vec<String> = Vec::new();
    let mut roles: Vec<Role> = Vec::new();
    let mut slots: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut slot = |text: &str| {
        *slots.entry(text.to_string()).or_insert_with(|| {
            texts.push(text.to_string());
            roles.push(Role::default());
            texts.len() - 1
        })
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
    (texts, roles)
}

/// The automaton laid out again as one flat table the walk can index with
/// nothing in the way: case-folded byte classes, `u32` ids that are row
/// offsets, and match states numbered last so one comparison tells a lane
/// it has something to report.
struct Table {
    /// Byte to class. Each byte of the patterns, folded to lower case, has
    /// its own class; every other byte shares class 0 (from any state it
    /// leads back to the start).
    classes: [u16; 256],
    /// `trans[id + class]` is the id of the next state; an id is its row's
    /// offset, `index * width`. Rows are as wide as the classes, not
    /// rounded up to a power of two: with 1,500 anchors and a thousand
    /// keywords the table is some 18,000 rows of 71 classes, and padding
    /// them to 128 made it 9 MB instead of 5.
    trans: Box<[u32]>,
    width: u32,
    start: u32,
    /// Ids from here on are match states.
    first_match: u32,
    /// The patterns each match state reports, in the automaton's order.
    matches: Vec<Box<[PatternID]>>,
    pattern_lens: Vec<usize>,
    /// The longest pattern: how far before its stretch a lane starts.
    longest: usize,
}

impl Table {
    /// Builds the DFA of `nfa`, built case-insensitively from `patterns`:
    /// breadth first, each state's row is its failure state's row with the
    /// state's own trie transitions written over it (the failure state is
    /// shallower, so its row is complete by then).
    fn new(nfa: &NFA, patterns: &[String]) -> Self {
        let mut classes = [0u16; 256];
        let mut representatives = vec![None];
        for &b in patterns.iter().flat_map(|p| p.as_bytes()) {
            let folded = b.to_ascii_lowercase();
            if classes[usize::from(folded)] == 0 {
                classes[usize::from(folded)] = representatives.len() as u16;
                representatives.push(Some(folded));
            }
        }
        for b in 0..=255u8 {
            classes[usize::from(b)] = classes[usize::from(b.to_ascii_lowercase())];
        }
        let width = representatives.len();

        let Ok(start) = nfa.start_state(Anchored::No) else {
            unreachable!("an unanchored automaton has an unanchored start state")
        };
        // Our index of each NFA state id seen (ids index the NFA's own
        // state list).
        let mut index_of: Vec<u32> = Vec::new();
        let mut number = |sid: StateID, states: &mut Vec<StateID>| -> (u32, bool) {
            let at = sid.as_usize();
            if at >= index_of.len() {
                index_of.resize(at + 1, u32::MAX);
            }
            let new = index_of[at] == u32::MAX;
            if new {
                index_of[at] = states.len() as u32;
                states.push(sid);
            }
            (index_of[at], new)
        };
        let mut states = Vec::new();
        number(start, &mut states);
        let mut fail: Vec<u32> = vec![0];
        let mut rows: Vec<u32> = Vec::new();
        let mut next = 0;
        while next < states.len() {
            let sid = states[next];
            let fail_row = fail[next] as usize * width;
            for (class, representative) in representatives.iter().enumerate() {
                // An anchored step takes only the state's own transitions
                // (the start state's include its loop to itself).
                let own = representative
                    .map(|b| nfa.next_state(Anchored::Yes, sid, b))
                    .filter(|&to| !nfa.is_dead(to));
                let to = match own {
                    Some(to) => {
                        let (index, new) = number(to, &mut states);
                        if new {
                            // A child of the start state fails to it; any
                            // other to where its parent's failure state
                            // goes on the same byte.
                            fail.push(if next == 0 { 0 } else { rows[fail_row + class] });
                        }
                        index
                    }
                    None if next == 0 => 0,
                    None => rows[fail_row + class],
                };
                rows.push(to);
            }
            next += 1;
        }

        // Number the match states last, keeping the order otherwise.
        let is_match = |sid: StateID| nfa.is_match(sid);
        let mut order: Vec<u32> = (0..states.len() as u32).collect();
        order.sort_by_key(|&i| is_match(states[i as usize]));
        let mut renumbered = vec![0u32; states.len()];
        for (new, &old) in order.iter().enumerate() {
            renumbered[old as usize] = new as u32;
        }
        let mut trans = vec![0u32; states.len() * width].into_boxed_slice();
        let id = |index: u32| index * width as u32;
        for (old, row) in rows.chunks_exact(width).enumerate() {
            let at = id(renumbered[old]) as usize;
            for (class, &to) in row.iter().enumerate() {
                trans[at + class] = id(renumbered[to as usize]);
            }
        }
        let first = order
            .iter()
            .position(|&i| is_match(states[i as usize]))
            .unwrap_or(states.len());
        let matches = order[first..]
            .iter()
            .map(|&i| {
                let sid = states[i as usize];
                (0..nfa.match_len(sid))
                    .map(|k| nfa.match_pattern(sid, k))
                    .collect()
            })
            .collect();
        Self {
            classes,
            trans,
            width: width as u32,
            start: id(renumbered[0]),
            first_match: id(first as u32),
            matches,
            pattern_lens: patterns.iter().map(String::len).collect(),
            longest: patterns.iter().map(String::len).max().unwrap_or(0),
        }
    }

    fn pattern_len(&self, pattern: PatternID) -> usize {
        self.pattern_lens[pattern.as_usize()]
    }

    #[inline(always)]
    fn next(&self, id: u32, byte: u8) -> u32 {
        self.trans[(id + u32::from(self.classes[usize::from(byte)])) as usize]
    }

    /// Appends the patterns state `id` reports, ending at `end`.
    fn report(&self, id: u32, end: usize, found: &mut Vec<Found>) {
        if id >= self.first_match {
            let state = ((id - self.first_match) / self.width) as usize;
            found.extend(self.matches[state].iter().map(|&p| (p, end)));
        }
    }

    /// Appends every match in `buf[range]`, in the order one walk from
    /// `range.start` reports them: by end, then by pattern order.
    fn walk(&self, buf: &[u8], range: std::ops::Range<usize>, found: &mut Vec<Found>) {
        let len = range.end.saturating_sub(range.start);
        if len < LANES * MIN_LANE {
            let mut id = self.start;
            for at in range {
                id = self.next(id, buf[at]);
                if id >= self.first_match {
                    self.report(id, at + 1, found);
                }
            }
            return;
        }
        // Lane k owns matches ending in (bounds[k], bounds[k + 1]] and
        // starts walking early enough to see the longest pattern whole.
        let bounds: [usize; LANES + 1] = std::array::from_fn(|k| range.start + len * k / LANES);
        let mut at: [usize; LANES] = std::array::from_fn(|k| {
            if k == 0 {
                bounds[0]
            } else {
                bounds[k].saturating_sub(self.longest).max(range.start)
            }
        });
        let mut lanes: [Vec<Found>; LANES] = Default::default();
        // All lanes together as far as the shortest one goes: one index
        // into equal slices, the states in registers, one test for "any
        // lane matched" per step.
        let steps = (0..LANES).map(|k| bounds[k + 1] - at[k]).min().unwrap_or(0);
        let slices: [&[u8]; LANES] = std::array::from_fn(|k| &buf[at[k]..at[k] + steps]);
        let mut ids = [self.start; LANES];
        let first_match = self.first_match;
        for i in 0..steps {
            for (id, slice) in ids.iter_mut().zip(&slices) {
                *id = self.next(*id, slice[i]);
            }
            if ids.iter().fold(0, |m, &id| m.max(id)) >= first_match {
                for (k, &id) in ids.iter().enumerate() {
                    let end = at[k] + i + 1;
                    if end > bounds[k] {
                        self.report(id, end, &mut lanes[k]);
                    }
                }
            }
        }
        for k in 0..LANES {
            at[k] += steps;
            while at[k] < bounds[k + 1] {
                ids[k] = self.next(ids[k], buf[at[k]]);
                at[k] += 1;
                if at[k] > bounds[k] {
                    self.report(ids[k], at[k], &mut lanes[k]);
                }
            }
        }
        for lane in lanes {
            found.extend(lane);
        }
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
        let nfa = NFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(patterns)
            .unwrap();
        let texts: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let table = Table::new(&nfa, &texts);
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
        // A one-byte match ending right where lanes meet belongs to the
        // earlier lane only.
        let (from, to) = (517, 37_000);
        for k in 1..LANES {
            text[from + (to - from) * k / LANES - 1] = b'@';
        }
        for range in [0..text.len(), 3..text.len() - 5, 0..1000, from..to] {
            let mut found = Vec::new();
            table.walk(&text, range.clone(), &mut found);
            let expected: Vec<Found> = reference
                .find_overlapping_iter(aho_corasick::Input::new(&text).span(range.clone()))
                .map(|m| (m.pattern(), m.end()))
                .collect();
            assert!(expected.len() > 1000 || range.len() < 2000);
            assert_eq!(found, expected, "range {range:?}");
        }
    }

    #[test]
    fn the_table_finds_what_aho_corasick_finds_with_the_builtin_catalog() {
        // About 1,600 patterns over 68 byte classes, UTF-8 keywords among
        // them: text made of pieces of them, case flipped, between bytes
        // that no pattern holds.
        let catalog = crate::Catalog::builtin().unwrap();
        let themes = ThemeMatcher::new(&catalog).unwrap();
        let detectors = DetectorSet::new(&catalog).unwrap();
        let (texts, _) = patterns(&themes, &detectors);
        let pass = KeywordPass::new(&themes, &detectors).unwrap();
        let table = pass.table.as_ref().unwrap();
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&texts)
            .unwrap();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut text = Vec::new();
        while text.len() < 60_000 {
            let pick = &texts[(next() % texts.len() as u64) as usize];
            let cut = 1 + (next() % pick.len() as u64) as usize;
            for &b in &pick.as_bytes()[..if next() % 3 == 0 { cut } else { pick.len() }] {
                text.push(if next() % 2 == 0 {
                    b.to_ascii_uppercase()
                } else {
                    b
                });
            }
            for _ in 0..next() % 4 {
                text.push([b' ', b'\n', 0x00, 0xfe, b'~', b'q'][(next() % 6) as usize]);
            }
        }
        let mut found = Vec::new();
        table.walk(&text, 0..text.len(), &mut found);
        let expected: Vec<Found> = reference
            .find_overlapping_iter(&text)
            .map(|m| (m.pattern(), m.end()))
            .collect();
        assert!(expected.len() > 3_000, "{}", expected.len());
        assert_eq!(found, expected);
        assert!(
            table
                .trans
                .iter()
                .all(|&id| (id as usize) < table.trans.len())
        );
    }
}
