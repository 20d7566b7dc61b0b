//! The keyword pass: one case-insensitive Aho-Corasick search per buffer
//! finds both the themes' keywords and the regex detectors' anchors, so the
//! text is walked once for both classifiers.
//!
//! With about a thousand patterns no literal prefilter applies, and a DFA
//! walk is bound by the latency of its table lookups, each waiting for the
//! last. So a buffer is cut into blocks of [`LANES`] stretches walked side
//! by side in one loop: their lookups are independent and overlap in the
//! CPU. Each stretch but the buffer's first starts a pattern's length
//! early, from the start state, and keeps only matches that end inside it,
//! which gives exactly the matches of one walk over the whole buffer, in
//! the same order.
//!
//! [`Table`] is the Aho-Corasick DFA laid out so that each step is one
//! class lookup, a shift and an add, and one load (with aho-corasick's own
//! DFA lookups, the lanes' states did not fit in registers), built straight
//! on its dense table: aho-corasick's automata cost the start-up every
//! process pays twice over, and cannot walk a marker (below). The DFA walks
//! only the first bytes of each pattern (as many as keep its ids in `u16`)
//! and confirms longer patterns in the text where those first bytes
//! matched; it walks the patterns' gates on the byte before them too
//! ([`Layout`]). aho-corasick remains the tests' reference.

use aho_corasick::PatternID;

use crate::detect::{AnchorHit, DetectorSet, MAX_SPAN};
use crate::theme::{ThemeCounts, ThemeMatcher};

/// What an automaton pattern stands for: a theme keyword, a detector
/// anchor, or both (the same text can be each).
#[derive(Debug, Clone, Copy, Default)]
struct Role {
    keyword: Option<usize>,
    anchor: Option<usize>,
}

impl Role {
    /// What a match needs on each side to count for any of its roles.
    fn gate(self, themes: &ThemeMatcher, detectors: &DetectorSet) -> Gate {
        let keyword = self
            .keyword
            .map(|k| Gate::bounded(themes.bounded(k), Side::NotWord));
        let anchor = self.anchor.map(|a| {
            detectors
                .anchor_stands_alone(a)
                .map_or(Gate::default(), |sides| {
                    Gate::bounded(sides, Side::NotAlnum)
                })
        });
        match (keyword, anchor) {
            (Some(k), Some(a)) => Gate {
                before: k.before.or(a.before),
                after: k.after.or(a.after),
            },
            (Some(gate), None) | (None, Some(gate)) => gate,
            (None, None) => Gate::default(),
        }
    }
}

/// What may stand next to a match, on one side, for it to count: a theme
/// keyword or a keyword anchor that begins with a letter is no match
/// after one ("sin" in "using"), so the walk drops such matches before
/// they are reported (each cost some 300 instructions on the way to being
/// dropped; `ck_` alone is in every `check_` of C).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Side {
    #[default]
    Any,
    /// Anything but an ASCII letter or digit (a keyword anchor's rule).
    NotAlnum,
    /// Anything but an ASCII letter, digit or `_` (a theme keyword's rule).
    NotWord,
}

impl Side {
    /// The side that admits what either admits.
    fn or(self, other: Side) -> Side {
        match (self, other) {
            (Side::Any, _) | (_, Side::Any) => Side::Any,
            (Side::NotWord, Side::NotWord) => Side::NotWord,
            _ => Side::NotAlnum,
        }
    }

    /// Whether `byte` (`None`: the buffer's edge) may stand there.
    fn admits(self, byte: Option<&u8>) -> bool {
        match (self, byte) {
            (Side::Any, _) | (_, None) => true,
            (Side::NotAlnum, Some(b)) => !b.is_ascii_alphanumeric(),
            (Side::NotWord, Some(b)) => !(b.is_ascii_alphanumeric() || *b == b'_'),
        }
    }
}

/// A pattern's [`Side`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Gate {
    before: Side,
    after: Side,
}

impl Gate {
    /// `rule` on the sides that are bounded (`(before, after)`), any byte
    /// on the others.
    fn bounded((before, after): (bool, bool), rule: Side) -> Self {
        let side = |bounded| if bounded { rule } else { Side::Any };
        Self {
            before: side(before),
            after: side(after),
        }
    }

    fn admits(self, buf: &[u8], start: usize, end: usize) -> bool {
        self.before
            .admits(start.checked_sub(1).and_then(|b| buf.get(b)))
            && self.after.admits(buf.get(end))
    }
}

/// Stretches of a buffer walked side by side: measured on C headers and
/// logs, 6 beat 4 by about 15%, and 5 and 8 too.
const LANES: usize = 6;
/// The stretch of each lane in the blocks the walk takes first, and in
/// those it takes in what is left: fixed widths, so the lanes read one
/// block at fixed distances and need one pointer, not six (the six spilled
/// to the stack). Each lane re-walks the longest prefix before its stretch,
/// a small share of 512 bytes; the narrow blocks keep the tail of a small
/// file off the one-lane walk.
const WIDE: usize = 512;
const NARROW: usize = 64;

/// The compiled automaton over every keyword and anchor.
pub struct KeywordPass {
    table: Option<Table>,
    roles: Vec<Role>,
}

/// A pattern match: which pattern, and where it ends.
type Found = (PatternID, usize);

impl KeywordPass {
    pub fn new(themes: &ThemeMatcher, detectors: &DetectorSet) -> Self {
        let (texts, roles) = patterns(themes, detectors);
        let table = if texts.is_empty() {
            None
        } else {
            let gates: Vec<Gate> = roles
                .iter()
                .map(|role| role.gate(themes, detectors))
                .collect();
            Some(Table::new(&texts, &gates, usize::MAX))
        };
        Self { table, roles }
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
        // Taken, not borrowed: a nested run would find it empty, not panic.
        let mut scratch = SCRATCH.take();
        scratch.found.clear();
        table.walk(buf, from..to, &mut scratch.found, &mut scratch.lanes);
        for &(pattern, end) in &scratch.found {
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
        SCRATCH.set(scratch);
    }
}

/// A thread's match lists, kept from one run to the next: most objects of
/// a tree are one run, and growing seven lists afresh for each was some
/// sixty allocations per file.
#[derive(Default)]
struct Scratch {
    found: Vec<Found>,
    lanes: [Vec<Found>; LANES],
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
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

/// What the walked automaton's pattern (a pattern's first bytes) stands
/// for: the pattern itself when it is that short, and the longer patterns
/// that begin with it, to be confirmed in the text.
#[derive(Debug, Default)]
struct Prefix {
    /// Several only where shared classes spell different prefixes alike.
    exact: Vec<PatternID>,
    longer: Vec<PatternID>,
}

/// The automaton laid out again as one flat table the walk can index with
/// nothing in the way: case-folded byte classes, `u16` ids that are row
/// offsets in units of 8 entries, and match states numbered last so one
/// comparison tells a lane it has something to report.
///
/// Only each pattern's first bytes are walked (for the built-in catalog
/// seven, and eight where those seven are letters); a longer pattern is
/// confirmed where its first bytes matched. Text rarely
/// walks that deep (in C headers 0.5% of the steps reach depth 7), and
/// leaving out the deeper states is what lets the ids fit in `u16`: the
/// table of the 791 detectors' anchors and the themes' keywords shrinks
/// from 5 MB of `u32` to under 1 MB, and the part the walk touches shrinks
/// with it.
struct Table {
    /// `trans[byte]` is the byte's class (see [`Layout`]: letters and
    /// digits have their own, the other bytes of the walked prefixes their
    /// own or a shared one); every other byte shares class 0 (from any
    /// state it leads back to the start). Then
    /// `trans[ROWS + id * 8 + class]` is the id of the next state; an id is
    /// its row's offset in units of 8 (rows are as wide as the classes
    /// rounded up to 8), so a step is one `lea` and one load, with no
    /// multiply. Classes and rows in one table: the walk holds one base
    /// for both (with two, its loop ran out of registers).
    ///
    /// Its length covers every index a `u16` id and a `u16` class make, so
    /// the walk's lookups need no bounds checks (a dozen instructions of
    /// about sixty per step of the six lanes); the rows past the states
    /// are zeros no step reaches, and their pages are never touched.
    trans: Box<[u16; TRANS_LEN]>,
    start: u16,
    /// The start at a buffer's edge or after a byte that is no letter or
    /// digit (the start after the marker; the start itself without one).
    edge: u16,
    /// Ids from here on are match states.
    first_match: u16,
    /// Ids per row (the row width over 8).
    row_ids: u16,
    /// Per match state: the patterns it reports, in the automaton's order
    /// (longest first), and the longer patterns to confirm in the text
    /// (only a state as deep as the walk has any).
    matches: Vec<Reports>,
    /// The patterns of [`Reports::exact`].
    exact: Vec<Exact>,
    /// The patterns of [`Reports::longer`].
    longer: Vec<Longer>,
    /// `(id - first_match) * state_magic >> 16` is the match state's index
    /// (a division by `row_ids`, which was a fifth of reporting's time).
    state_magic: u32,
    pattern_lens: Vec<usize>,
    /// Patterns (lower case) for confirming the longer ones past the
    /// eight bytes [`Longer`] holds.
    folded: Vec<Box<[u8]>>,
    /// How many bytes of each pattern are walked (words one more, see
    /// [`Layout::new`]; each [`Longer`] says its own).
    #[cfg(test)]
    depth: usize,
    /// The longest walked prefix: how far before its stretch a lane starts.
    longest: usize,
}

/// A match state's patterns, and the longer ones to confirm: ranges of
/// [`Table::exact`] and [`Table::longer`] (one small record per state,
/// where two boxed lists made a cache miss of most reports).
struct Reports {
    exact: std::ops::Range<u32>,
    longer: std::ops::Range<u32>,
    /// Whether an exact pattern has a [`Gate`] to pass, or is compared in
    /// the text.
    gated: bool,
}

/// A pattern a match state reports as it stands, with what reporting it
/// needs: a report reads this one record, where looking up the pattern's
/// length and gate in tables of their own was a cache miss each.
#[derive(Debug, Clone, Copy)]
struct Exact {
    pattern: PatternID,
    len: u32,
    gate: Gate,
    /// Whether the match is compared in the text (see [`Layout`]).
    verify: bool,
}

/// A longer pattern whose walked prefix a match state ends, with the
/// (folded) bytes it needs next: up to eight, compared with the text's
/// next eight in one step, so most candidates fail without their text
/// being looked up (the bytes after the eighth are in [`Table::folded`]).
#[derive(Debug, Clone, Copy)]
struct Longer {
    /// The bytes after the walked prefix, little-endian.
    next: u64,
    /// The bits of `next` that count.
    mask: u64,
    pattern: PatternID,
    len: u32,
    /// How many of its bytes the automaton walks.
    walked: u32,
    gate: Gate,
    /// Whether the walked prefix is compared in the text (see [`Layout`]).
    verify: bool,
}

impl Longer {
    fn new(folded: &[u8], walked: usize, pattern: PatternID) -> Self {
        let after = &folded[walked..];
        let mut next = [0u8; 8];
        let take = after.len().min(8);
        next[..take].copy_from_slice(&after[..take]);
        Self {
            next: u64::from_le_bytes(next),
            mask: below_bytes(take),
            pattern,
            len: folded.len() as u32,
            walked: walked as u32,
            gate: Gate::default(),
            verify: false,
        }
    }
}

/// The low `n` bytes' bits of a word (`n` up to 8).
fn below_bytes(n: usize) -> u64 {
    u64::MAX.checked_shr(64 - 8 * n as u32).unwrap_or(0)
}

/// ASCII capitals of a word's eight bytes to lower case, the others kept
/// (as [`u8::to_ascii_lowercase`] does for each).
fn lower_word(x: u64) -> u64 {
    const TOP: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !TOP;
    // A byte's top bit is set by the add when its low seven bits are at
    // least 'A' (0x41), and by the second when they are past 'Z' (0x5a).
    let from_a = low7 + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = low7 + 0x2525_2525_2525_2525;
    let capital = from_a & !past_z & !x & TOP;
    x | capital >> 2
}

/// Where [`Table::trans`]'s rows start, after the byte classes.
const ROWS: usize = 256;
/// Every index `ROWS + id * 8 + class` can reach.
const TRANS_LEN: usize = ROWS + u16::MAX as usize * 8 + u16::MAX as usize + 1;
/// At most this many byte classes: rows of 64 entries, so that 8,192
/// states fit in `u16` ids (rows of 72 fitted 7,281, a walk one byte
/// shallower once gates were walked too).
const MAX_CLASSES: usize = 64;

/// How the automaton spells the patterns' walked prefixes at one depth.
///
/// **Gates in the walk.** A pattern whose gate rules out a letter or digit
/// before it (`sin`, `ck_`, most keywords) would be reported inside every
/// word that holds it and dropped there, at some 100 ns a report (in C
/// headers a fifth of the walk's reports). So the automaton reads a *marker*,
/// a byte no pattern holds, after every byte that is not a letter or
/// digit: such a pattern is spelled with the marker before it, and every
/// pattern with the marker after each such byte of its own. One step of
/// the walk takes a byte and, when it is no letter or digit, the marker
/// after it: the gated patterns then match only where the byte before
/// them allows (what the gate still checks, `_` before a keyword and the
/// byte after, is rarer).
///
/// **Shared classes.** Letters and digits have classes of their own; when
/// the other bytes of the walked prefixes make more than
/// [`MAX_CLASSES`], the rarest (in the fewest prefixes) share one, and a
/// prefix that holds one is compared in the text where it matches.
struct Layout {
    /// Each byte's class (upper case as lower case).
    classes: [u8; 256],
    /// Per class, the byte the automaton's patterns spell it with (none
    /// for class 0, the bytes no walked prefix holds).
    representatives: Vec<Option<u8>>,
    /// Per class, whether its bytes are letters or digits.
    alnum: Vec<bool>,
    /// Per pattern, its walked prefix as the automaton reads it.
    walked: Vec<Vec<u8>>,
    /// Per pattern, how many of its bytes that prefix holds.
    lens: Vec<usize>,
    /// Per pattern, whether its walked prefix holds a shared-class byte.
    verify: Vec<bool>,
    /// At least as many states as the walk has: each prefix of a walked
    /// text but those a marker always follows, and the start state.
    states: usize,
}

impl Layout {
    /// The layout of the first `depth` bytes of each pattern, and one more
    /// where those are all letters when `deeper` (a word: what text
    /// repeats, so that `version`, `default` and `private` do not send most
    /// of their matches to be confirmed in the text).
    fn new(
        folded: &[Box<[u8]>],
        gates: &[Gate],
        marker: Option<u8>,
        depth: usize,
        deeper: bool,
    ) -> Self {
        let lens: Vec<usize> = folded
            .iter()
            .map(|p| match p.get(..depth) {
                Some(word)
                    if deeper && p.len() > depth && word.iter().all(u8::is_ascii_alphabetic) =>
                {
                    depth + 1
                }
                _ => p.len().min(depth),
            })
            .collect();
        let prefix = |index: usize| -> std::ops::Range<usize> { 0..lens[index] };
        let mut holders = [0usize; 256];
        for (index, p) in folded.iter().enumerate() {
            let mut seen = [false; 256];
            for &b in &p[prefix(index)] {
                if !std::mem::replace(&mut seen[usize::from(b)], true) {
                    holders[usize::from(b)] += 1;
                }
            }
        }
        let mut others: Vec<u8> = (0..=255u8)
            .filter(|&b| holders[usize::from(b)] > 0 && !b.is_ascii_alphanumeric())
            .collect();
        // Class 0, 36 letters and digits, and the others in what is left.
        let room = MAX_CLASSES - 1 - 36;
        let mut shared = [false; 256];
        if others.len() > room {
            others.sort_by_key(|&b| (holders[usize::from(b)], b));
            for b in others.drain(..others.len() - room + 1) {
                shared[usize::from(b)] = true;
            }
        }
        let mut classes = [0u8; 256];
        let mut representatives = vec![None];
        let mut alnum = vec![false];
        let mut shared_class = None;
        let owned = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || others.contains(&b);
        let order = (0..=255u8)
            .filter(|&b| owned(b))
            .chain((0..=255u8).filter(|&b| shared[usize::from(b)]));
        for b in order {
            if classes[usize::from(b)] != 0 {
                continue;
            }
            let class = match shared_class {
                Some(class) if shared[usize::from(b)] => class,
                _ => {
                    representatives.push(Some(b));
                    alnum.push(b.is_ascii_alphanumeric());
                    representatives.len() as u8 - 1
                }
            };
            if shared[usize::from(b)] {
                shared_class = Some(class);
            }
            classes[usize::from(b)] = class;
        }
        for b in 0..=255u8 {
            classes[usize::from(b)] = classes[usize::from(b.to_ascii_lowercase())];
        }
        let mut verify = Vec::with_capacity(folded.len());
        let walked: Vec<Vec<u8>> = folded
            .iter()
            .zip(gates)
            .enumerate()
            .map(|(index, (p, gate))| {
                let mut text = Vec::with_capacity(2 * lens[index] + 1);
                let mut shares = false;
                if let Some(marker) = marker.filter(|_| gate.before != Side::Any) {
                    text.push(marker);
                }
                for &b in &p[prefix(index)] {
                    let class = usize::from(classes[usize::from(b)]);
                    shares |= shared[usize::from(b)];
                    text.extend(representatives[class]);
                    if let Some(marker) = marker.filter(|_| !alnum[class]) {
                        text.push(marker);
                    }
                }
                verify.push(shares);
                text
            })
            .collect();
        let mut sorted: Vec<&[u8]> = walked.iter().map(|w| &w[..]).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut states = 1;
        let mut previous: &[u8] = &[];
        for text in sorted {
            let common = text
                .iter()
                .zip(previous)
                .take_while(|(a, b)| a == b)
                .count();
            states += text[common..]
                .iter()
                .filter(|&&b| marker.is_none() || Some(b) == marker || b.is_ascii_alphanumeric())
                .count();
            previous = text;
        }
        Self {
            classes,
            representatives,
            alnum,
            walked,
            lens,
            verify,
            states,
        }
    }

    /// Ids per row: the classes rounded up to 8.
    fn row_ids(&self) -> usize {
        self.representatives.len().div_ceil(8)
    }

    fn fits(&self) -> bool {
        self.states * self.row_ids() <= usize::from(u16::MAX) + 1
    }
}

/// The deepest walk (at most `max_depth`) whose ids fit in `u16`, from
/// one pass over the patterns: the states each depth adds (a prefix that
/// ends in a letter, a digit or a marker) and the classes it needs. Shared
/// classes can only merge states, so the count is a bound; depth 1 always
/// fits (at most 2 + 3 * 63 states of 8 ids).
fn walk_depth(folded: &[Box<[u8]>], gates: &[Gate], marker: Option<u8>, max_depth: usize) -> usize {
    let deepest = folded
        .iter()
        .map(|p| p.len())
        .max()
        .unwrap_or(0)
        .min(max_depth)
        .max(1);
    // Each pattern as the automaton spells it walked whole, and the depth
    // at which each of its bytes makes a state (0: none, it leads to the
    // marker after it).
    let mut spelled: Vec<(Vec<u8>, Vec<usize>)> = Vec::with_capacity(folded.len());
    let mut first_at = [usize::MAX; 256];
    for (p, gate) in folded.iter().zip(gates) {
        let (mut text, mut depths) = (Vec::new(), Vec::new());
        if let Some(marker) = marker.filter(|_| gate.before != Side::Any) {
            text.push(marker);
            depths.push(1);
        }
        for (at, &b) in p.iter().enumerate().take(deepest) {
            let depth = at + 1;
            text.push(b);
            if b.is_ascii_alphanumeric() {
                depths.push(depth);
                continue;
            }
            first_at[usize::from(b)] = first_at[usize::from(b)].min(depth);
            match marker {
                Some(marker) => {
                    depths.push(0);
                    text.push(marker);
                    depths.push(depth);
                }
                None => depths.push(depth),
            }
        }
        spelled.push((text, depths));
    }
    spelled.sort_unstable();
    let mut added = vec![0usize; deepest + 1];
    let mut previous: &[u8] = &[];
    for (text, depths) in &spelled {
        let common = text
            .iter()
            .zip(previous)
            .take_while(|(a, b)| a == b)
            .count();
        for &depth in &depths[common..] {
            added[depth] += 1;
        }
        previous = text;
    }
    let (mut states, mut others, mut fits) = (1, 0, 1);
    for (depth, &added) in added.iter().enumerate().skip(1) {
        states += added;
        others += first_at.iter().filter(|&&at| at == depth).count();
        let classes = (1 + 36 + others).min(MAX_CLASSES);
        if states * classes.div_ceil(8) > usize::from(u16::MAX) + 1 {
            break;
        }
        fits = depth;
    }
    fits
}

/// The marker [`Layout`] walks gates with: the first byte no pattern holds
/// that no case folding reaches (none when no pattern has a gate before
/// it, or every such byte is taken).
fn marker_for(folded: &[Box<[u8]>], gates: &[Gate]) -> Option<u8> {
    let mut held = [false; 256];
    for &b in folded.iter().flat_map(|p| p.iter()) {
        held[usize::from(b)] = true;
    }
    gates
        .iter()
        .any(|gate| gate.before != Side::Any)
        .then_some(())?;
    (0..=255u8).find(|&b| !held[usize::from(b)] && !b.is_ascii_alphabetic())
}

impl Table {
    /// Builds the DFA of `patterns` (case-insensitive) with their `gates`,
    /// walking at most `max_depth` bytes of each, and fewer if the `u16`
    /// ids need it.
    fn new(patterns: &[String], gates: &[Gate], max_depth: usize) -> Self {
        debug_assert_eq!(patterns.len(), gates.len());
        let folded: Vec<Box<[u8]>> = patterns
            .iter()
            .map(|p| p.as_bytes().to_ascii_lowercase().into_boxed_slice())
            .collect();
        let marker = marker_for(&folded, gates);
        let depth = walk_depth(&folded, gates, marker, max_depth);
        // Words one byte deeper where the ids, not the caller, set the depth
        // and leave room.
        let layout = Some(Layout::new(&folded, gates, marker, depth, true))
            .filter(|layout| depth < max_depth && layout.fits())
            .unwrap_or_else(|| Layout::new(&folded, gates, marker, depth, false));
        debug_assert!(layout.fits());
        let classes = layout.representatives.len();
        let row_ids = layout.row_ids();
        let width = row_ids * 8;

        let mut prefixes: Vec<Prefix> = Vec::new();
        let mut texts: Vec<&[u8]> = Vec::new();
        let mut slot_of: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
        for (index, walked) in layout.walked.iter().enumerate() {
            let slot = *slot_of.entry(&walked[..]).or_insert_with(|| {
                texts.push(walked);
                prefixes.push(Prefix::default());
                texts.len() - 1
            });
            let id = PatternID::new_unchecked(index);
            if folded[index].len() <= layout.lens[index] {
                prefixes[slot].exact.push(id);
            } else {
                prefixes[slot].longer.push(id);
            }
        }
        // The trie of the walked texts, one column per class and the
        // marker's last; then, state by state in breadth-first order, each
        // missing step filled in with its failure state's (Aho-Corasick's
        // construction, on a table as dense as the walk's).
        let columns = classes + 1;
        let column = |b: u8| match marker {
            Some(m) if m == b => classes,
            _ => usize::from(layout.classes[usize::from(b)]),
        };
        const NONE: u32 = u32::MAX;
        let mut rows: Vec<u32> = vec![NONE; columns];
        // The walked text (its slot in `prefixes`) each state spells.
        let mut own: Vec<Option<u32>> = vec![None];
        for (slot, text) in texts.iter().enumerate() {
            let mut state = 0;
            for &b in text.iter() {
                let at = state * columns + column(b);
                if rows[at] == NONE {
                    rows[at] = own.len() as u32;
                    own.push(None);
                    rows.resize(rows.len() + columns, NONE);
                }
                state = rows[at] as usize;
            }
            own[state] = Some(slot as u32);
        }
        let mut fail = vec![0u32; own.len()];
        let mut queue = std::collections::VecDeque::from([0u32]);
        while let Some(state) = queue.pop_front() {
            let (row, fail_row) = (
                state as usize * columns,
                fail[state as usize] as usize * columns,
            );
            for c in 0..columns {
                let child = rows[row + c];
                if child == NONE {
                    rows[row + c] = if state == 0 { 0 } else { rows[fail_row + c] };
                } else {
                    fail[child as usize] = if state == 0 { 0 } else { rows[fail_row + c] };
                    queue.push_back(child);
                }
            }
        }
        // What each state reports: its own text's patterns, then those of
        // the states down its failure chain (longest first).
        let reported = |state: u32| {
            std::iter::successors(Some(state), |&s| (s != 0).then(|| fail[s as usize]))
                .filter_map(|s| own[s as usize])
                .map(|slot| &prefixes[slot as usize])
        };
        // A step of the walk: the class's byte, and the marker after it
        // when it is no letter or digit.
        let step = |state: u32, class: usize| -> u32 {
            let to = rows[state as usize * columns + class];
            match marker {
                Some(_) if !layout.alnum[class] => rows[to as usize * columns + classes],
                _ => to,
            }
        };
        // The walk's states, those its steps reach from the start and from
        // the start after a marker (a buffer's edge).
        let edge = match marker {
            Some(_) => rows[classes],
            None => 0,
        };
        let mut kept: Vec<u32> = vec![0];
        let mut kept_index = vec![u32::MAX; own.len()];
        kept_index[0] = 0;
        if kept_index[edge as usize] == u32::MAX {
            kept_index[edge as usize] = 1;
            kept.push(edge);
        }
        let mut at = 0;
        while at < kept.len() {
            for class in 0..classes {
                let to = step(kept[at], class) as usize;
                if kept_index[to] == u32::MAX {
                    kept_index[to] = kept.len() as u32;
                    kept.push(to as u32);
                }
            }
            at += 1;
        }
        debug_assert!(
            kept.len() <= layout.states,
            "{} > {}",
            kept.len(),
            layout.states
        );

        // Number the match states last, keeping the order otherwise.
        let is_match = |old: u32| reported(old).next().is_some();
        let mut order: Vec<u32> = kept.clone();
        order.sort_by_key(|&old| is_match(old));
        let mut renumbered = vec![0u32; own.len()];
        for (new, &old) in order.iter().enumerate() {
            renumbered[old as usize] = new as u32;
        }
        let Ok(mut trans) = <Box<[u16; TRANS_LEN]>>::try_from(vec![0u16; TRANS_LEN]) else {
            unreachable!("the vector has the array's length")
        };
        for (entry, &class) in trans.iter_mut().zip(&layout.classes) {
            *entry = u16::from(class);
        }
        let id = |old: u32| (renumbered[old as usize] as usize * row_ids) as u16;
        for &old in &kept {
            let at = ROWS + usize::from(id(old)) * 8;
            for class in 0..width {
                // Columns past the classes are never read.
                let to = if class < classes { step(old, class) } else { 0 };
                trans[at + class] = id(to);
            }
        }
        let first = order
            .iter()
            .position(|&old| is_match(old))
            .unwrap_or(order.len());
        let (mut exact, mut longer) = (Vec::new(), Vec::new());
        let matches = order[first..]
            .iter()
            .map(|&old| {
                let reported = reported(old);
                let (exact_from, longer_from) = (exact.len() as u32, longer.len() as u32);
                exact.extend(reported.clone().flat_map(|p| &p.exact).map(|&p| Exact {
                    pattern: p,
                    len: folded[p.as_usize()].len() as u32,
                    gate: gates[p.as_usize()],
                    verify: layout.verify[p.as_usize()],
                }));
                longer.extend(reported.flat_map(|p| &p.longer).map(|&p| Longer {
                    gate: gates[p.as_usize()],
                    verify: layout.verify[p.as_usize()],
                    ..Longer::new(&folded[p.as_usize()], layout.lens[p.as_usize()], p)
                }));
                let gated = exact[exact_from as usize..]
                    .iter()
                    .any(|e| e.gate != Gate::default() || e.verify);
                Reports {
                    exact: exact_from..exact.len() as u32,
                    longer: longer_from..longer.len() as u32,
                    gated,
                }
            })
            .collect();
        // The longest walked prefix, and the byte before it a marker stands for.
        let longest =
            layout.lens.iter().copied().max().unwrap_or(0) + usize::from(marker.is_some());
        Self {
            trans,
            start: id(0),
            edge: id(edge),
            // One past the last id when nothing matches.
            first_match: (first * row_ids).min(usize::from(u16::MAX)) as u16,
            row_ids: row_ids as u16,
            matches,
            exact,
            longer,
            state_magic: 65536u32.div_ceil(row_ids as u32),
            pattern_lens: patterns.iter().map(String::len).collect(),
            folded,
            #[cfg(test)]
            depth,
            longest,
        }
    }

    fn pattern_len(&self, pattern: PatternID) -> usize {
        self.pattern_lens[pattern.as_usize()]
    }

    #[inline(always)]
    fn next(&self, id: u16, byte: u8) -> u16 {
        self.trans[ROWS + usize::from(id) * 8 + usize::from(self.trans[usize::from(byte)])]
    }

    /// Appends the patterns state `id` reports, its walked prefixes ending
    /// at `end`: the short ones themselves, and the longer ones that the
    /// text in `buf[..limit]` holds whole. Says whether it appended a
    /// longer one (which ends later, out of order).
    #[inline(always)]
    fn report(
        &self,
        buf: &[u8],
        limit: usize,
        id: u16,
        end: usize,
        found: &mut Vec<Found>,
    ) -> bool {
        if id < self.first_match {
            return false;
        }
        // Exact for multiples of row_ids below 65536: their quotient times
        // row_ids * state_magic, which is 65536 plus less than 65536.
        debug_assert_eq!((id - self.first_match) % self.row_ids, 0);
        let state = ((u32::from(id - self.first_match) * self.state_magic) >> 16) as usize;
        let reports = &self.matches[state];
        let exact = &self.exact[reports.exact.start as usize..reports.exact.end as usize];
        if reports.gated {
            found.extend(exact.iter().filter_map(|exact| {
                let start = end - exact.len as usize;
                (exact.gate.admits(buf, start, end)
                    && (!exact.verify
                        || buf[start..end]
                            .eq_ignore_ascii_case(&self.folded[exact.pattern.as_usize()])))
                .then_some((exact.pattern, end))
            }));
        } else {
            found.extend(exact.iter().map(|exact| (exact.pattern, end)));
        }
        if reports.longer.is_empty() {
            return false;
        }
        let longer = &self.longer[reports.longer.start as usize..reports.longer.end as usize];
        self.confirm(buf, limit, longer, end, found)
    }

    /// Appends the `longer` patterns whose walked bytes end
    /// at `end` and that `buf[..limit]` holds whole.
    #[cold]
    #[inline(never)]
    fn confirm(
        &self,
        buf: &[u8],
        limit: usize,
        longer: &[Longer],
        end: usize,
        found: &mut Vec<Found>,
    ) -> bool {
        let text = &buf[end..limit];
        let word = match text.first_chunk::<8>() {
            Some(eight) => u64::from_le_bytes(*eight),
            None => {
                let mut eight = [0u8; 8];
                eight[..text.len()].copy_from_slice(text);
                u64::from_le_bytes(eight)
            }
        };
        let word = lower_word(word);
        let mut any = false;
        for candidate in longer {
            if (word ^ candidate.next) & candidate.mask != 0 {
                continue;
            }
            let (len, walked) = (candidate.len as usize, candidate.walked as usize);
            let start = end - walked;
            let folded = &self.folded[candidate.pattern.as_usize()];
            // The eight bytes compared may run past `limit` (as zeros),
            // and the pattern past eight bytes is compared here.
            let whole = start + len <= limit
                && (len <= walked + 8
                    || buf[end + 8..start + len].eq_ignore_ascii_case(&folded[walked + 8..]));
            let spelled =
                !candidate.verify || buf[start..end].eq_ignore_ascii_case(&folded[..walked]);
            if whole && spelled && candidate.gate.admits(buf, start, start + len) {
                found.push((candidate.pattern, start + len));
                any = true;
            }
        }
        any
    }

    /// Appends every match in `buf[range]`, in the order one walk from
    /// `range.start` reports them: by end, then longest first (the
    /// automaton's order).
    /// `lanes` is scratch space for [`Table::walk_blocks`].
    fn walk(
        &self,
        buf: &[u8],
        range: std::ops::Range<usize>,
        found: &mut Vec<Found>,
        lanes: &mut [Vec<Found>; LANES],
    ) {
        let from = found.len();
        let limit = range.end;
        // The first lane of the first block starts where the range does;
        // every other lane starts the longest prefix before its stretch, so
        // the range's first bytes are walked alone.
        let head = range.end.min(range.start + self.longest);
        // The range starts as a buffer does: a match in it needs nothing
        // before it but what its gate asks of the byte there.
        let first = match range.start.checked_sub(1).map(|b| buf[b]) {
            Some(b) if b.is_ascii_alphanumeric() => self.start,
            _ => self.edge,
        };
        let mut longer = self.walk_one(buf, first, range.start..head, range.start, limit, found);
        let mut at = head;
        at = self.walk_blocks::<WIDE>(buf, at, range.end, limit, found, lanes, &mut longer);
        at = self.walk_blocks::<NARROW>(buf, at, range.end, limit, found, lanes, &mut longer);
        if at < range.end {
            let warm = (at - range.start).min(self.longest);
            let id = if at - warm == range.start {
                first
            } else {
                self.start
            };
            longer |= self.walk_one(buf, id, at - warm..range.end, at, limit, found);
        }
        if longer {
            // Longer patterns were appended where their first bytes ended.
            let lens = &self.pattern_lens;
            found[from..].sort_by_key(|&(p, end)| (end, std::cmp::Reverse(lens[p.as_usize()])));
        }
    }

    /// One walk over `range` from state `id`, appending the matches that
    /// end past `after`; says whether it appended a longer pattern.
    fn walk_one(
        &self,
        buf: &[u8],
        mut id: u16,
        range: std::ops::Range<usize>,
        after: usize,
        limit: usize,
        found: &mut Vec<Found>,
    ) -> bool {
        let mut longer = false;
        for at in range {
            id = self.next(id, buf[at]);
            if id >= self.first_match && at >= after {
                longer |= self.report(buf, limit, id, at + 1, found);
            }
        }
        longer
    }

    /// Reports the states of the lanes of stretches `S` bytes apart, the
    /// first lane's matches ending at `end`.
    #[inline(never)]
    fn report_lanes<const S: usize>(
        &self,
        ids: [u16; LANES],
        end: usize,
        buf: &[u8],
        limit: usize,
        lanes: &mut [Vec<Found>; LANES],
    ) -> bool {
        let mut longer = false;
        // Only the lanes in a match state (mostly one): looping over all
        // six, each a branch on its state, was most of reporting's cost.
        let mut matched = ids.iter().enumerate().fold(0u32, |bits, (k, &id)| {
            bits | u32::from(id >= self.first_match) << k
        });
        while matched != 0 {
            let k = matched.trailing_zeros() as usize;
            matched &= matched - 1;
            longer |= self.report(buf, limit, ids[k], end + k * S, &mut lanes[k]);
        }
        longer
    }

    /// Walks `buf[at..end]` in blocks of [`LANES`] stretches of `S` bytes
    /// side by side, as long as whole blocks fit, and returns where they
    /// ended. Each lane starts the longest prefix before its stretch (the
    /// range holds that much before `at`) and appends the matches that end
    /// in its stretch.
    #[allow(clippy::too_many_arguments)]
    fn walk_blocks<const S: usize>(
        &self,
        buf: &[u8],
        mut at: usize,
        end: usize,
        limit: usize,
        found: &mut Vec<Found>,
        lanes: &mut [Vec<Found>; LANES],
        longer: &mut bool,
    ) -> usize {
        let warm = self.longest;
        let steps = S + warm;
        let first_match = self.first_match;
        while end - at >= LANES * S {
            let block = &buf[at - warm..at + LANES * S];
            // Slices at fixed distances in one block: one pointer and
            // constant offsets for all six.
            let (s0, s1, s2) = (
                &block[..steps],
                &block[S..S + steps],
                &block[2 * S..2 * S + steps],
            );
            let (s3, s4, s5) = (
                &block[3 * S..3 * S + steps],
                &block[4 * S..4 * S + steps],
                &block[5 * S..5 * S + steps],
            );
            for lane in lanes.iter_mut() {
                lane.clear();
            }
            // The six states as plain locals, not an array: so the
            // compiler keeps them in registers instead of storing each to
            // the stack and loading it back, which put a store-to-load
            // forward on every lane's chain of lookups.
            let [mut a, mut b, mut c, mut d, mut e, mut f] = [self.start; LANES];
            // One step of the six lanes (a macro, not a closure: the states
            // stay plain locals).
            macro_rules! step {
                ($i:expr) => {
                    a = self.next(a, s0[$i]);
                    b = self.next(b, s1[$i]);
                    c = self.next(c, s2[$i]);
                    d = self.next(d, s3[$i]);
                    e = self.next(e, s4[$i]);
                    f = self.next(f, s5[$i]);
                };
            }
            // The first `warm` steps are each lane's run-up: what matches
            // there ends before its stretch, in the lane before (a test of
            // the step in the loop below cost 3% more instructions).
            for i in 0..warm {
                step!(i);
            }
            for i in warm..steps {
                step!(i);
                if a.max(b).max(c.max(d)).max(e.max(f)) >= first_match {
                    let end = at - warm + i + 1;
                    *longer |= self.report_lanes::<S>([a, b, c, d, e, f], end, buf, limit, lanes);
                }
            }
            for lane in lanes.iter() {
                found.extend_from_slice(lane);
            }
            at += LANES * S;
        }
        at
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
        let texts: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(patterns)
            .unwrap();
        let mut rng = crate::xorshift::XorShift(0x853c_49e6_748f_ea9b);
        let mut text: Vec<u8> = (0..40_000)
            .map(|_| {
                let state = rng.next();
                b"aAbBc@x"[(state % 7) as usize]
            })
            .collect();
        // The long pattern across where lanes meet.
        for at in [10_000 - 20, 20_000 - 1, 30_000 - 39] {
            text[at..at + 40].copy_from_slice(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac");
        }
        // A one-byte match ending right where lanes meet belongs to the
        // earlier lane only. Lanes meet every multiple of the narrow width
        // past the first walked prefix of the range (1, 2, 3 or 40 bytes).
        let (from, to) = (517, 37_000);
        for at in (from..to).step_by(NARROW) {
            for prefix in [1, 2, 3, 40] {
                text[at + prefix - 1] = b'@';
            }
        }
        // Ranges that end in each part of the walk: the first prefix,
        // wide blocks, narrow blocks and the rest.
        let lengths = [
            0, 1, 2, 39, 40, 41, 383, 384, 385, 700, 3071, 3072, 3073, 3500, 9000,
        ];
        // Whole patterns walked, and only their first bytes (the longer
        // ones confirmed in the text), which must find the same.
        for (depth, range) in [usize::MAX, 3, 2, 1].into_iter().flat_map(|depth| {
            [0..text.len(), 3..text.len() - 5, 0..1000, from..to]
                .into_iter()
                .chain(lengths.map(|n| from..from + n))
                .map(move |range| (depth, range))
        }) {
            let table = Table::new(&texts, &vec![Gate::default(); texts.len()], depth);
            assert_eq!(table.depth, depth.min(40));
            let mut found = Vec::new();
            table.walk(&text, range.clone(), &mut found, &mut Default::default());
            let expected: Vec<Found> = reference
                .find_overlapping_iter(aho_corasick::Input::new(&text).span(range.clone()))
                .map(|m| (m.pattern(), m.end()))
                .collect();
            assert!(expected.len() > 1000 || range.len() < 10_000);
            assert_eq!(found, expected, "depth {depth}, range {range:?}");
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
        let (texts, gates) = builtin();
        let pass = KeywordPass::new(&themes, &detectors);
        let table = pass.table.as_ref().unwrap();
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&texts)
            .unwrap();
        let mut rng = crate::xorshift::XorShift(0x2545_f491_4f6c_dd1d);
        let mut text = Vec::new();
        while text.len() < 60_000 {
            let pick = &texts[(rng.next() % texts.len() as u64) as usize];
            let cut = 1 + (rng.next() % pick.len() as u64) as usize;
            for &b in &pick.as_bytes()[..if rng.next().is_multiple_of(3) {
                cut
            } else {
                pick.len()
            }] {
                text.push(if rng.next().is_multiple_of(2) {
                    b.to_ascii_uppercase()
                } else {
                    b
                });
            }
            for _ in 0..rng.next() % 4 {
                text.push([b' ', b'\n', 0x00, 0xfe, b'~', b'q'][(rng.next() % 6) as usize]);
            }
        }
        // Real text too: this crate's sources and catalog.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut real = Vec::new();
        for sub in ["src", "src/detect", "catalog", "catalog/detectors"] {
            let mut paths: Vec<_> = std::fs::read_dir(dir.join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect();
            paths.sort();
            for path in paths {
                real.extend(std::fs::read(path).unwrap());
            }
        }
        assert!(real.len() > 500_000, "{}", real.len());
        // The walk the keyword pass uses, and shallower ones (more longer
        // patterns confirmed in the text).
        let shallower = [3, 5].map(|depth| Table::new(&texts, &gates, depth));
        for table in std::iter::once(table).chain(&shallower) {
            for (text, least) in [(&text, 3_000), (&real, 10_000)] {
                let mut found = Vec::new();
                table.walk(text, 0..text.len(), &mut found, &mut Default::default());
                // Less what the gates drop.
                let expected: Vec<Found> = reference
                    .find_overlapping_iter(text)
                    .filter(|m| gates[m.pattern().as_usize()].admits(text, m.start(), m.end()))
                    .map(|m| (m.pattern(), m.end()))
                    .collect();
                assert!(expected.len() > least, "{}", expected.len());
                assert!(found == expected, "depth {}", table.depth);
            }
            let width = usize::from(table.row_ids) * 8;
            assert!(
                table.trans[..ROWS]
                    .iter()
                    .all(|&class| usize::from(class) < width)
            );
            assert!(
                table.trans[ROWS..]
                    .iter()
                    .all(|&id| ROWS + usize::from(id) * 8 + width <= TRANS_LEN)
            );
        }
        // Deep enough that confirming is rare, small enough for the cache.
        assert!(table.depth >= 6, "{}", table.depth);
        let used = (table.matches.len() + usize::from(table.first_match / table.row_ids))
            * usize::from(table.row_ids)
            * 8;
        assert!(used * 2 < 1 << 20, "{used}");
    }

    #[test]
    fn the_gates_drop_only_what_themes_and_detectors_drop() {
        let catalog = crate::Catalog::builtin().unwrap();
        let themes = ThemeMatcher::new(&catalog).unwrap();
        let detectors = DetectorSet::new(&catalog).unwrap();
        let gated = KeywordPass::new(&themes, &detectors);
        let (texts, roles) = patterns(&themes, &detectors);
        let open = KeywordPass {
            table: Some(Table::new(
                &texts,
                &vec![Gate::default(); texts.len()],
                usize::MAX,
            )),
            roles,
        };
        // Anchors and keywords glued to letters, digits, `_` and
        // punctuation on either side, with a value after each.
        let mut rng = crate::xorshift::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut text = Vec::new();
        while text.len() < 200_000 {
            let pick = texts[(rng.next() % texts.len() as u64) as usize].as_bytes();
            let side = |rng: &mut crate::xorshift::XorShift| {
                [
                    b"" as &[u8],
                    b"q",
                    b"7",
                    b"_",
                    b" ",
                    b"\n",
                    b"=",
                    b"(",
                    b"\"",
                    b"Q",
                ][(rng.next() % 10) as usize]
            };
            text.extend_from_slice(side(&mut rng));
            text.extend_from_slice(pick);
            text.extend_from_slice(side(&mut rng));
            text.extend_from_slice(
                [
                    b" = \"f3Kx9_Qm2Lp8Zt4Wv7Yb1Nc6Hd0Rj5Gs\"\n" as &[u8],
                    b"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 ",
                    b": 4111 1111 1111 1111\n",
                    b" ",
                ][(rng.next() % 4) as usize],
            );
        }
        let mut reports = Vec::new();
        for pass in [&gated, &open] {
            let mut counts = themes.counts();
            let mut anchors = Vec::new();
            pass.run(
                &text,
                0..text.len(),
                0,
                Some((&themes, &mut counts)),
                &mut anchors,
            );
            let mut scratch = crate::detect::Scratch::default();
            let hits = detectors
                .scan(
                    &text,
                    0..text.len(),
                    &anchors,
                    Default::default(),
                    &mut scratch,
                )
                .to_vec();
            reports.push((themes.results(&counts), hits, anchors.len()));
        }
        let [
            (gated_themes, gated_hits, gated_anchors),
            (themes, hits, anchors),
        ] = <[_; 2]>::try_from(reports).unwrap();
        assert!(
            hits.len() > 100 && themes.len() > 5,
            "{} {}",
            hits.len(),
            themes.len()
        );
        assert_eq!(gated_hits, hits);
        assert_eq!(gated_themes, themes);
        // And the gates do drop some.
        assert!(
            gated_anchors * 20 < anchors * 19,
            "{gated_anchors} of {anchors}"
        );
    }

    #[test]
    fn the_state_magic_divides_every_match_id_exactly() {
        for row_ids in 1..=32u32 {
            let magic = 65536u32.div_ceil(row_ids);
            for state in 0..=65535 / row_ids {
                assert_eq!((state * row_ids * magic) >> 16, state, "{row_ids}");
            }
        }
    }

    #[test]
    fn lower_word_lowers_what_to_ascii_lowercase_lowers() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                // The byte among neighbours that are and are not capitals.
                let mut bytes = *b"Az@[`{\x80\xdb";
                bytes[lane] = b;
                let lowered = lower_word(u64::from_le_bytes(bytes)).to_le_bytes();
                assert_eq!(
                    lowered,
                    bytes.map(|b| b.to_ascii_lowercase()),
                    "{b:#x} at {lane}"
                );
            }
        }
        assert_eq!(below_bytes(0), 0);
        assert_eq!(below_bytes(3), 0xff_ffff);
        assert_eq!(below_bytes(8), u64::MAX);
    }

    /// The builtin catalog's patterns and their gates.
    fn builtin() -> (Vec<String>, Vec<Gate>) {
        let catalog = crate::Catalog::builtin().unwrap();
        let themes = ThemeMatcher::new(&catalog).unwrap();
        let detectors = DetectorSet::new(&catalog).unwrap();
        let (texts, roles) = patterns(&themes, &detectors);
        let gates = roles
            .iter()
            .map(|role| role.gate(&themes, &detectors))
            .collect();
        (texts, gates)
    }

    #[test]
    fn the_layout_counts_the_walks_states() {
        let (texts, gates) = builtin();
        let folded: Vec<Box<[u8]>> = texts
            .iter()
            .map(|t| t.as_bytes().to_ascii_lowercase().into_boxed_slice())
            .collect();
        let marker = marker_for(&folded, &gates);
        assert!(marker.is_some());
        for depth in [1, 2, 4, 6] {
            let table = Table::new(&texts, &gates, depth);
            assert_eq!(table.depth, depth);
            let states = usize::from(table.first_match / table.row_ids) + table.matches.len();
            let layout = Layout::new(&folded, &gates, marker, depth, false);
            assert_eq!(states, layout.states, "depth {depth}");
            assert!(layout.representatives.len() <= MAX_CLASSES);
        }
        // The catalog's walk needs the shared class, and each byte in it
        // leaves the prefixes that hold it compared in the text.
        let table = Table::new(&texts, &gates, usize::MAX);
        let layout = Layout::new(&folded, &gates, marker, table.depth, true);
        assert_eq!(table.depth, 7);
        assert!(layout.fits() && layout.lens.contains(&8));
        let states = usize::from(table.first_match / table.row_ids) + table.matches.len();
        assert_eq!(states, layout.states);
        assert_eq!(layout.representatives.len(), MAX_CLASSES);
        assert!(layout.verify.iter().any(|&v| v));
        assert!(!Layout::new(&folded, &gates, marker, table.depth + 1, false).fits());
    }

    #[test]
    fn gates_and_shared_classes_find_what_aho_corasick_finds() {
        // Every printable byte in some pattern (more classes than fit, so
        // the rarest share one), gated and open patterns that nest, over
        // text of the same bytes.
        let mut patterns: Vec<String> = (0x21..0x7fu8)
            .filter(|b| !b.is_ascii_alphanumeric())
            .map(|b| format!("k{}", b as char))
            .collect();
        patterns.extend(
            [
                "ab", "abc", "b_c", "c-ab", "x", "ab cd", "a%b", "q~", "bcd~e",
            ]
            .map(String::from),
        );
        let sides = [Side::Any, Side::NotAlnum, Side::NotWord];
        let gates: Vec<Gate> = (0..patterns.len())
            .map(|i| Gate {
                before: sides[i % 3],
                after: sides[i / 3 % 3],
            })
            .collect();
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .unwrap();
        let mut rng = crate::xorshift::XorShift(0x5851_f42d_4c95_7f2d);
        let text: Vec<u8> = (0..30_000)
            .map(|_| b"aAbBcCdDeE_ -k%~q!\n\0x"[(rng.next() % 21) as usize])
            .collect();
        for depth in [usize::MAX, 3, 2, 1] {
            let table = Table::new(&patterns, &gates, depth);
            assert!(table.exact.iter().any(|exact| exact.verify) || depth < 2);
            for range in [0..text.len(), 1..text.len() - 1, 1000..9000, 5..6] {
                let mut found = Vec::new();
                table.walk(&text, range.clone(), &mut found, &mut Default::default());
                let expected: Vec<Found> = reference
                    .find_overlapping_iter(aho_corasick::Input::new(&text).span(range.clone()))
                    .filter(|m| gates[m.pattern().as_usize()].admits(&text, m.start(), m.end()))
                    .map(|m| (m.pattern(), m.end()))
                    .collect();
                assert!(expected.len() > 500 || range.len() < 10_000);
                assert_eq!(found, expected, "depth {depth}, range {range:?}");
            }
        }
    }
}
