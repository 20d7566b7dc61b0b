//! The regex classifier: runs every enabled detector of the catalog over a
//! buffer.
//!
//! The anchors of all detectors are found by the shared keyword pass
//! ([`crate::keywords`]). Each anchor hit opens a window around it for the
//! detectors that own the anchor; windows are merged per detector and the
//! detector's regex runs only there. Detectors of bare numbers run around
//! long digit runs ([`digits`]), and only where one gate regex of all
//! their patterns says one of them can match; any other detector without anchors runs
//! over the whole buffer. Every candidate then passes the detector's ignore list,
//! validators and keyword-proximity rule, and generic detectors yield to
//! specific ones that matched the same span.

pub mod checksums;
pub mod confidence;
mod digits;
mod edges;
mod keyed;
mod lead;
mod redact;
mod site;
mod structure;
pub mod validate;

pub use confidence::Confidence;
pub use redact::redact;
pub use validate::Validator;

use aho_corasick::AhoCorasick;
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

use crate::catalog::{Catalog, DetectorItem, Origin};
use crate::error::CatalogError;

/// A detector anchor found in a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorHit {
    pub anchor: usize,
    pub start: usize,
    pub end: usize,
}

/// The longest match (plus context) a detector may need, in bytes. The
/// streaming classifier keeps this much overlap between buffers.
pub const MAX_SPAN: usize = 8192;

/// The longest stretch of touching digit runs the number gate is asked
/// about at once.
const MAX_STRETCH: usize = 4096;

/// Bytes of windows a detector searches without a literal prefilter: past
/// this, a build with one (about 0.6 million instructions more) costs less
/// than the lazy DFA reading every byte (about 5 instructions a byte more
/// than skipping to the literals). In C headers 20 of 172 detectors with
/// windows pass it; NetNTLM's, at `::`, add up to 13 MB.
const UNFILTERED_BYTES: u64 = 128 << 10;

/// One detector, compiled.
pub struct Detector {
    pub item: DetectorItem,
    /// Read on first use: most detectors never see their anchors in a
    /// given tree, and compiling all of them would dominate short scans.
    shape: std::sync::OnceLock<Option<Shape>>,
    /// Compiled on the first window the shape lets through: in C headers
    /// two detectors in three whose anchors occur open none. This build
    /// has no literal prefilter, which is half of a regex's build cost
    /// (about 0.6 of 1.2 million instructions) and saves little in windows
    /// a few hundred bytes wide around an anchor.
    unfiltered: std::sync::OnceLock<Option<CompiledPattern>>,
    /// The build with its literal prefilters, made once the detector's
    /// windows add up to [`UNFILTERED_BYTES`] (or from the start for a
    /// detector searching whole buffers).
    prefiltered: std::sync::OnceLock<Option<CompiledPattern>>,
    /// Bytes of windows searched so far, by every thread.
    searched: std::sync::atomic::AtomicU64,
    validators: Vec<Validator>,
    keywords: Option<AhoCorasick>,
    /// Derived on first use, as the pattern ([`confidence::derive`]).
    confidence: std::sync::OnceLock<Confidence>,
}

/// A match that passed every check. Holds positions, never the secret text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub detector: usize,
    pub start: usize,
    pub end: usize,
    pub secret_start: usize,
    pub secret_end: usize,
}

/// Every enabled detector, compiled once and shared by all threads.
pub struct DetectorSet {
    detectors: Vec<Detector>,
    /// Distinct lower-case anchors, and per anchor the detectors that own
    /// it (with the exact bytes to require when the detector's anchors are
    /// case-sensitive).
    anchors: Vec<String>,
    anchor_owners: Vec<Vec<AnchorOwner>>,
    digit_runs: Vec<usize>,
    /// The patterns of every number detector as one regex, built on first
    /// use: asked once per stretch of digit runs which of them match there,
    /// so each detector's own regex runs only where it can. In logs and
    /// tables most runs (dates, ids, amounts) are no detector's, and one
    /// pass over the stretch costs less than a pass per detector.
    number_gate: std::sync::OnceLock<Option<Regex>>,
    /// Every detector keyword in one automaton, for [`DetectorSet::keyed_by`];
    /// built on first use (only structured documents ask).
    keyword_index: std::sync::OnceLock<Option<keyed::KeywordIndex>>,
    /// Per digit count (16 standing for 16 and more): the widest window of
    /// the number detectors a run with that many digits can be for (their
    /// `run_needs` aside: the gate only needs to see enough).
    number_reach: [usize; 17],
    full_scan: Vec<usize>,
    /// Values never reported (the catalog's allow list).
    allowed_texts: std::collections::HashSet<Vec<u8>>,
    allowed_patterns: Option<regex::bytes::RegexSet>,
    /// Tells sets apart, for what is remembered per set across objects.
    id: u64,
}

/// A detector that owns an anchor: its index, the exact bytes to require
/// (case-sensitive anchors), and whether the anchor is one of its keywords
/// (and so must stand as a whole word).
type AnchorOwner = (usize, Option<Vec<u8>>, bool, usize);

/// A stretch of a buffer (a cell, a field's value) whose column or field
/// name is a keyword of these detectors: it counts as their keyword next
/// to every match that starts inside it. A buffer's spans are disjoint and
/// in order.
#[derive(Debug, Clone, Copy)]
pub struct ContextSpan<'a> {
    pub start: usize,
    pub end: usize,
    pub detectors: &'a [usize],
}

/// The structure marked in a buffer: spans whose column or field names are
/// keywords, and the extent of each row or record (a keyword counts only
/// inside its own row: a CSV header line is not next to the first row).
#[derive(Debug, Clone, Copy, Default)]
pub struct Structure<'a> {
    pub contexts: &'a [ContextSpan<'a>],
    /// Sorted, disjoint `(start, end)` spans.
    pub rows: &'a [(usize, usize)],
}

/// Per-thread scratch space, reused across buffers.
#[derive(Default)]
pub struct Scratch {
    windows: Vec<Vec<(usize, usize)>>,
    runs: Vec<(usize, usize, usize)>,
    digit_masks: Vec<[u64; 2]>,
    hits: Vec<Hit>,
    gated: Option<regex_automata::PatternSet>,
    invalid: Vec<(usize, u64)>,
}

impl Scratch {
    /// Per detector with a [`crate::catalog::DetectorItem::min_valid_share`]:
    /// matches of the last scan that failed its validators.
    pub fn invalid(&self) -> &[(usize, u64)] {
        &self.invalid
    }
}

/// Why a pattern match is not a hit.
enum Rejected {
    /// The validators (checksum, ranges) refused it.
    Invalid,
    /// The pattern cannot be built (size limits) or has no secret group
    /// in this match.
    NoSecret,
    /// It holds a documented example or placeholder (`ignore`).
    Ignored,
    /// None of the detector's keywords is near it or names its column.
    NoKeyword,
}

/// What a detector's pattern says of where its anchors may stand, read
/// before any window is searched.
struct Shape {
    hir: regex_syntax::hir::Hir,
    /// What must stand before the literal every match starts with.
    lead: Option<lead::Lead>,
    /// Each anchor's place in the pattern (by its index in the item's
    /// anchors), when the pattern fixes one.
    sites: Vec<Option<site::Site>>,
}

impl Shape {
    fn of(pattern: &str, anchors: &[String]) -> Result<Self, String> {
        let hir = parse(pattern)?;
        Ok(Self {
            lead: lead::Lead::of(&hir, anchors),
            sites: anchors.iter().map(|a| site::Site::of(&hir, a)).collect(),
            hir,
        })
    }
}

/// A detector's regex and the capture groups that hold its secret.
struct CompiledPattern {
    regex: Regex,
    /// Capture groups whose name starts with `secret`, in order.
    secret_groups: Vec<usize>,
    /// Where the secret sits in a match, when the pattern's shape says so
    /// without a capture search.
    edges: Option<edges::SecretEdges>,
}

/// A detector's pattern as the engine reads it: bytes, not Unicode, so a
/// class is one byte and `\b` is ASCII.
fn parse(pattern: &str) -> Result<regex_syntax::hir::Hir, String> {
    syntax::parse_with(pattern, &syntax::Config::new().unicode(false).utf8(false))
        .map_err(|e| e.to_string())
}

fn build_pattern(shape: &Shape, prefilter: bool) -> Result<CompiledPattern, String> {
    let hir = &shape.hir;
    let regex = Regex::builder()
        .configure(
            Regex::config()
                .utf8_empty(false)
                .auto_prefilter(prefilter)
                .nfa_size_limit(Some(32 << 20)),
        )
        .build_from_hir(hir)
        .map_err(|e| e.to_string())?;
    let secret_groups: Vec<usize> = regex
        .group_info()
        .all_names()
        .filter(|(_, _, name)| name.is_some_and(|n| n.starts_with("secret")))
        .map(|(_, index, _)| index)
        .collect();
    let edges = (secret_groups.len() == 1)
        .then(|| edges::SecretEdges::of(hir))
        .flatten();
    Ok(CompiledPattern {
        regex,
        secret_groups,
        edges,
    })
}

fn compile(item: &DetectorItem) -> Result<Detector, CatalogError> {
    let pattern_error = |message: String| CatalogError::Pattern {
        classifier: "regex",
        id: item.id.clone(),
        message,
    };
    // A user's pattern is checked now, so a bad one is reported when the
    // catalog loads; the automaton is built on first use. The built-in
    // patterns are compiled whole by the catalog's tests (every detector's
    // examples run), and parsing all of them here was a fifth of the
    // start-up, paid again by every shard of a fleet run.
    if item.source == Origin::Custom {
        parse(&item.pattern).map_err(pattern_error)?;
    }
    let keywords = if item.keywords.is_empty() {
        None
    } else {
        Some(
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::Standard)
                // A few words searched in small windows: a DFA per
                // detector (aho-corasick's choice for so few) cost more to
                // build at start-up than it ever saved.
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(&item.keywords)
                .map_err(|e| CatalogError::Automaton {
                    what: "detector keywords",
                    message: e.to_string(),
                })?,
        )
    };
    if item.window > MAX_SPAN / 2 {
        return Err(CatalogError::Invalid {
            classifier: "regex",
            id: item.id.clone(),
            problem: format!("window above {}", MAX_SPAN / 2),
        });
    }
    Ok(Detector {
        validators: Validator::parse_list(&item.id, item.validator.as_deref().unwrap_or(""))?,
        item: item.clone(),
        shape: std::sync::OnceLock::new(),
        unfiltered: std::sync::OnceLock::new(),
        prefiltered: std::sync::OnceLock::new(),
        searched: std::sync::atomic::AtomicU64::new(0),
        keywords,
        confidence: std::sync::OnceLock::new(),
    })
}

impl DetectorSet {
    /// Whether a matched value is on the allow list.
    fn allowed(&self, secret: &[u8]) -> bool {
        self.allowed_texts.contains(secret)
            || self
                .allowed_patterns
                .as_ref()
                .is_some_and(|set| set.is_match(secret))
    }

    pub fn new(catalog: &Catalog) -> Result<Self, CatalogError> {
        let detectors = catalog
            .detectors
            .iter()
            .filter(|d| d.enabled)
            .map(compile)
            .collect::<Result<Vec<_>, _>>()?;
        let mut anchors: Vec<String> = Vec::new();
        let mut anchor_owners: Vec<Vec<AnchorOwner>> = Vec::new();
        let mut anchor_index: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        let mut digit_runs = Vec::new();
        let mut full_scan = Vec::new();
        for (index, detector) in detectors.iter().enumerate() {
            if detector.item.digit_run.is_some() {
                digit_runs.push(index);
            } else if detector.searches_whole_buffers() {
                full_scan.push(index);
            }
            for (place, anchor) in detector.item.anchors.iter().enumerate() {
                let lower = anchor.to_ascii_lowercase();
                let is_keyword = detector
                    .item
                    .keywords
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(anchor));
                let owner = (
                    index,
                    detector
                        .item
                        .anchor_case
                        .then(|| anchor.as_bytes().to_vec()),
                    is_keyword,
                    place,
                );
                match anchor_index.entry(lower) {
                    std::collections::hash_map::Entry::Occupied(existing) => {
                        anchor_owners[*existing.get()].push(owner)
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        anchors.push(slot.key().clone());
                        slot.insert(anchor_owners.len());
                        anchor_owners.push(vec![owner]);
                    }
                }
            }
        }
        let mut number_reach = [0usize; 17];
        for &detector in &digit_runs {
            let item: &DetectorItem = &detectors[detector].item;
            let from = item.digit_run.unwrap_or(1).min(number_reach.len() - 1);
            for widest in &mut number_reach[from..] {
                *widest = (*widest).max(item.window);
            }
        }
        let allowed_patterns = if catalog.allow.patterns.is_empty() {
            None
        } else {
            // Anchored both ends: a pattern allows whole values only.
            let anchored: Vec<String> = catalog
                .allow
                .patterns
                .iter()
                .map(|p| format!("^(?:{p})$"))
                .collect();
            Some(
                regex::bytes::RegexSet::new(&anchored).map_err(|e| CatalogError::Pattern {
                    classifier: "allow_list",
                    id: catalog.allow.patterns.join(" | "),
                    message: e.to_string(),
                })?,
            )
        };
        static SETS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Ok(Self {
            id: SETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            detectors,
            anchors,
            anchor_owners,
            digit_runs,
            number_gate: std::sync::OnceLock::new(),
            keyword_index: std::sync::OnceLock::new(),
            number_reach,
            full_scan,
            allowed_texts: catalog
                .allow
                .texts
                .iter()
                .map(|t| t.as_bytes().to_vec())
                .collect(),
            allowed_patterns,
        })
    }

    /// Every distinct anchor (lower case), in the order [`AnchorHit::anchor`] counts.
    pub fn anchors(&self) -> &[String] {
        &self.anchors
    }

    /// When every detector of anchor `anchor` takes it only as a word
    /// ([`stands_alone`]): whether that needs no letter or digit before a
    /// hit, and none after. `None` when some detector takes any hit.
    pub(crate) fn anchor_stands_alone(&self, anchor: usize) -> Option<(bool, bool)> {
        if !self.anchor_owners[anchor]
            .iter()
            .all(|&(_, _, word, _)| word)
        {
            return None;
        }
        let text = self.anchors[anchor].as_bytes();
        let word = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
        Some((word(text.first()), word(text.last())))
    }

    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// This set's identity, unique in the process.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The detectors with a keyword among `words` (a column or field name
    /// split into words), as whole words ([`keyed`]).
    ///
    /// All detectors' keywords at once: JSON documents ask this for each
    /// new path, and asking each detector in turn made a schema of 180,000
    /// values cost forty times its text.
    pub fn keyed_by(&self, words: &str) -> Vec<usize> {
        self.keyword_index()
            .map_or_else(Vec::new, |index| index.keyed_by(words))
    }

    /// Whether the words of these plain names (ASCII letters, digits and
    /// `_`) may hold a detector keyword; `false` settles that
    /// [`DetectorSet::keyed_by`] finds none in them.
    pub(crate) fn may_key(&self, names: &[&[u8]]) -> bool {
        self.keyword_index()
            .is_some_and(|index| index.may_key(names))
    }

    /// The index behind [`DetectorSet::keyed_by`], built on first use.
    fn keyword_index(&self) -> Option<&keyed::KeywordIndex> {
        self.keyword_index
            .get_or_init(|| self.index_keywords())
            .as_ref()
    }

    /// Every detector keyword (ASCII case folded) and the detectors that
    /// have it.
    fn index_keywords(&self) -> Option<keyed::KeywordIndex> {
        let mut words: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (detector, item) in self.detectors.iter().map(|d| &d.item).enumerate() {
            for keyword in &item.keywords {
                let folded = keyword.to_ascii_lowercase();
                let at = *index.entry(folded.clone()).or_insert_with(|| {
                    words.push(folded);
                    owners.push(Vec::new());
                    owners.len() - 1
                });
                if owners[at].last() != Some(&detector) {
                    owners[at].push(detector);
                }
            }
        }
        keyed::KeywordIndex::new(words, owners)
    }

    /// Finds every valid match that starts in `owned`; the rest of `buf` is
    /// context. Hits are returned sorted by where their secret starts.
    pub fn scan<'s>(
        &self,
        buf: &[u8],
        owned: std::ops::Range<usize>,
        anchor_hits: &[AnchorHit],
        structure: Structure<'_>,
        scratch: &'s mut Scratch,
    ) -> &'s [Hit] {
        let contexts = structure.contexts;
        scratch.hits.clear();
        scratch.invalid.clear();
        scratch.windows.resize_with(self.detectors.len(), Vec::new);
        for hit in anchor_hits {
            for &(detector, ref exact, word, place) in &self.anchor_owners[hit.anchor] {
                if exact
                    .as_deref()
                    .is_some_and(|text| buf.get(hit.start..hit.end) != Some(text))
                {
                    continue;
                }
                // Keyword anchors are words: "sin" opens no window inside "using".
                if word && !stands_alone(buf, hit.start, hit.end) {
                    continue;
                }
                let shape = self.detectors[detector].shape();
                // "ck_" inside "lock_" cannot start a token that must follow
                // a boundary.
                if shape
                    .and_then(|p| p.lead.as_ref())
                    .is_some_and(|lead| !lead.admits(buf, hit.start, hit.end))
                {
                    continue;
                }
                // Nor can the "@" of "@param" be an address's.
                let site = shape.and_then(|p| p.sites.get(place)?.as_ref());
                if site.is_some_and(|site| !site.admits(buf, hit.start, hit.end)) {
                    continue;
                }
                let window = self.detectors[detector].item.window;
                let reach = |bound: Option<usize>| bound.map_or(window, |b| b.min(window));
                let (before, after) = site.map_or((window, window), |s| {
                    (reach(s.before_reach), reach(s.after_reach))
                });
                let span = (
                    hit.start.saturating_sub(before),
                    (hit.end + after).min(buf.len()),
                );
                scratch.windows[detector].push(span);
            }
        }
        for context in contexts {
            for &detector in context.detectors {
                let window = self.detectors[detector].item.window;
                scratch.windows[detector].push((
                    context.start.saturating_sub(window),
                    (context.end + window).min(buf.len()),
                ));
            }
        }
        if let Some(shortest) = self
            .digit_runs
            .iter()
            .filter_map(|&d| self.detectors[d].item.digit_run)
            .min()
        {
            // One pass finds the runs for every number detector; each keeps
            // the runs long enough for it.
            let reach =
                (owned.start.saturating_sub(MAX_SPAN / 2))..buf.len().min(owned.end + MAX_SPAN / 2);
            scratch.runs.clear();
            digits::digit_runs(
                buf,
                reach,
                shortest,
                &mut scratch.digit_masks,
                &mut scratch.runs,
            );
            self.open_number_windows(buf, scratch);
        }
        for &detector in &self.full_scan {
            scratch.windows[detector].push((0, buf.len()));
        }
        for (index, windows) in scratch.windows.iter_mut().enumerate() {
            if windows.is_empty() {
                continue;
            }
            windows.sort_unstable();
            // Overlapping windows are merged in place, and searched once.
            let mut merged = 0;
            for at in 1..windows.len() {
                let (from, to) = windows[at];
                if from <= windows[merged].1 {
                    windows[merged].1 = windows[merged].1.max(to);
                } else {
                    merged += 1;
                    windows[merged] = (from, to);
                }
            }
            windows.truncate(merged + 1);
            let detector = &self.detectors[index];
            let span = windows.iter().map(|(from, to)| to - from).sum();
            let Some(pattern) = detector.pattern(span) else {
                windows.clear();
                continue;
            };
            let mut last_start = None;
            let mut invalid = 0u64;
            let counts_invalid = detector.item.min_valid_share.is_some();
            // Made on the detector's first match in the buffer, then reused.
            let mut caps = None;
            for &(from, to) in windows.iter() {
                for m in pattern.regex.find_iter(Input::new(buf).range(from..to)) {
                    if m.start() < owned.start
                        || m.start() >= owned.end
                        || last_start == Some(m.start())
                    {
                        continue;
                    }
                    last_start = Some(m.start());
                    let found = detector.confirm(index, buf, m, pattern, structure, &mut caps);
                    match found {
                        Ok(hit) => {
                            if !self.allowed(&buf[hit.secret_start..hit.secret_end]) {
                                scratch.hits.push(hit);
                            }
                        }
                        Err(Rejected::Invalid) if counts_invalid => invalid += 1,
                        Err(_) => {}
                    }
                }
            }
            if invalid > 0 {
                scratch.invalid.push((index, invalid));
            }
            windows.clear();
        }
        self.drop_shadowed_generic(&mut scratch.hits);
        // Each detector's hits came in order: a stable sort merges those
        // runs, where the unstable one sorted them afresh (a sixth of the
        // detectors' time on text dense with addresses).
        scratch.hits.sort_by_key(|h| (h.secret_start, h.detector));
        &scratch.hits
    }

    /// Opens each number detector's windows around the digit runs in
    /// `scratch.runs` that hold enough digits for it and where the number
    /// gate says its pattern matches.
    fn open_number_windows(&self, buf: &[u8], scratch: &mut Scratch) {
        let wants = |detector: usize, (start, end, count): (usize, usize, usize)| {
            let item = &self.detectors[detector].item;
            count >= item.digit_run.unwrap_or(1)
                && item
                    .run_needs
                    .as_deref()
                    .and_then(|s| s.bytes().next())
                    .is_none_or(|b| buf[start..end].contains(&b))
        };
        let window_of = |detector: usize, (start, end, _): (usize, usize, usize)| {
            let window = self.detectors[detector].item.window;
            (start.saturating_sub(window), (end + window).min(buf.len()))
        };
        let Some(gate) = self.number_gate() else {
            for &detector in &self.digit_runs {
                for &run in &scratch.runs {
                    if wants(detector, run) {
                        scratch.windows[detector].push(window_of(detector, run));
                    }
                }
            }
            return;
        };
        let gated = scratch
            .gated
            .get_or_insert_with(|| regex_automata::PatternSet::new(gate.pattern_len()));
        if gated.capacity() != gate.pattern_len() {
            *gated = regex_automata::PatternSet::new(gate.pattern_len());
        }
        let reach = &self.number_reach;
        let reach_of = |count: usize| reach[count.min(reach.len() - 1)];
        // Runs are in order: group those whose windows touch into one
        // stretch (of bounded length, so one match elsewhere does not open
        // every window of a buffer), ask the gate once per stretch, then
        // open the windows of the detectors it names.
        let mut first = 0;
        while first < scratch.runs.len() {
            let (start, end, count) = scratch.runs[first];
            let (mut from, mut to) = (
                start.saturating_sub(reach_of(count)),
                (end + reach_of(count)).min(buf.len()),
            );
            let mut last = first + 1;
            while let Some(&(start, end, count)) = scratch.runs.get(last) {
                let left = start.saturating_sub(reach_of(count));
                if left > to || to - from > MAX_STRETCH {
                    break;
                }
                from = from.min(left);
                to = to.max((end + reach_of(count)).min(buf.len()));
                last += 1;
            }
            // Most stretches (dates, ids, amounts) match nothing: a plain
            // search says so faster than the overlapping one that names
            // the patterns.
            let input = Input::new(buf).range(from..to);
            if gate.is_match(input.clone()) {
                gated.clear();
                gate.which_overlapping_matches(&input, gated);
                for (slot, &detector) in self.digit_runs.iter().enumerate() {
                    if !gated.contains(regex_automata::PatternID::new_unchecked(slot)) {
                        continue;
                    }
                    for &run in &scratch.runs[first..last] {
                        if wants(detector, run) {
                            scratch.windows[detector].push(window_of(detector, run));
                        }
                    }
                }
            }
            first = last;
        }
    }

    /// The number gate: `None` when there are no number detectors or their
    /// patterns are too big to join (every window is then opened).
    fn number_gate(&self) -> Option<&Regex> {
        self.number_gate
            .get_or_init(|| {
                let patterns: Vec<&str> = self
                    .digit_runs
                    .iter()
                    .map(|&d| self.detectors[d].item.pattern.as_str())
                    .collect();
                if patterns.is_empty() {
                    return None;
                }
                Regex::builder()
                    .syntax(syntax::Config::new().unicode(false).utf8(false))
                    .configure(
                        Regex::config()
                            .match_kind(regex_automata::MatchKind::All)
                            .utf8_empty(false)
                            .nfa_size_limit(Some(32 << 20)),
                    )
                    .build_many(&patterns)
                    .ok()
            })
            .as_ref()
    }

    /// A generic detector's hit yields to a specific detector's hit whose
    /// secret overlaps it.
    fn drop_shadowed_generic(&self, hits: &mut Vec<Hit>) {
        if !hits.iter().any(|h| self.detectors[h.detector].item.generic) {
            return;
        }
        let specific: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| !self.detectors[h.detector].item.generic)
            .map(|h| (h.secret_start, h.secret_end))
            .collect();
        hits.retain(|h| {
            !self.detectors[h.detector].item.generic
                || !specific
                    .iter()
                    .any(|&(s, e)| s < h.secret_end && h.secret_start < e)
        });
    }
}

impl Detector {
    /// The pattern's shape; `None` if it does not parse (a custom
    /// pattern's error is reported when the catalog loads).
    fn shape(&self) -> Option<&Shape> {
        self.shape
            .get_or_init(|| Shape::of(&self.item.pattern, &self.item.anchors).ok())
            .as_ref()
    }

    /// Whether the detector's regex searches whole buffers: it has neither
    /// anchors nor a digit run to open windows around.
    fn searches_whole_buffers(&self) -> bool {
        self.item.anchors.is_empty() && self.item.digit_run.is_none()
    }

    /// The compiled pattern to search `span` bytes of windows with: the
    /// build without literal prefilters until the detector's windows add
    /// up to [`UNFILTERED_BYTES`], the prefiltered one after (and always
    /// for whole buffers). `None` if it parsed but cannot be built (size
    /// limits), in which case the detector finds nothing.
    fn pattern(&self, span: usize) -> Option<&CompiledPattern> {
        use std::sync::atomic::Ordering::Relaxed;
        // Counted only until the budget is spent: an atomic add per
        // detector and buffer showed under `perf`.
        let prefiltered = self.searches_whole_buffers()
            || self.searched.load(Relaxed) > UNFILTERED_BYTES
            || self.searched.fetch_add(span as u64, Relaxed) + span as u64 > UNFILTERED_BYTES;
        let (lock, prefilter) = if prefiltered {
            (&self.prefiltered, true)
        } else {
            (&self.unfiltered, false)
        };
        lock.get_or_init(|| build_pattern(self.shape()?, prefilter).ok())
            .as_ref()
    }

    /// How sure this detector's findings are.
    pub fn confidence(&self) -> Confidence {
        *self
            .confidence
            .get_or_init(|| confidence::derive(&self.item, &self.validators))
    }

    /// Builds the pattern now, reporting why it cannot be built.
    pub fn check_builds(&self) -> Result<(), CatalogError> {
        Shape::of(&self.item.pattern, &self.item.anchors)
            .and_then(|shape| build_pattern(&shape, true))
            .map(|_| ())
            .map_err(|message| CatalogError::Pattern {
                classifier: "regex",
                id: self.item.id.clone(),
                message,
            })
    }

    /// Runs the secret extraction and every check on one regex match
    /// (the allow list is the set's to check).
    fn confirm(
        &self,
        index: usize,
        buf: &[u8],
        found: regex_automata::Match,
        pattern: &CompiledPattern,
        structure: Structure<'_>,
        caps: &mut Option<regex_automata::util::captures::Captures>,
    ) -> Result<Hit, Rejected> {
        let (start, end) = (found.start(), found.end());
        let edges = pattern.edges.and_then(|e| e.secret(buf.len(), start, end));
        let (secret_start, secret_end) = if pattern.secret_groups.is_empty() {
            (start, end)
        } else if let Some(secret) = edges.filter(|_| !cfg!(debug_assertions)) {
            secret
        } else {
            let caps = caps.get_or_insert_with(|| pattern.regex.create_captures());
            pattern.regex.search_captures(
                &Input::new(buf).range(start..end).anchored(Anchored::Yes),
                caps,
            );
            let span = pattern
                .secret_groups
                .iter()
                .find_map(|&g| caps.get_group(g))
                .ok_or(Rejected::NoSecret)?;
            // Test builds check the shape's answer against the search's.
            debug_assert!(
                edges.is_none_or(|e| e == (span.start, span.end)),
                "{}: edges {edges:?}, captures {:?}",
                self.item.id,
                (span.start, span.end)
            );
            (span.start, span.end)
        };
        let secret = &buf[secret_start..secret_end];
        if self
            .item
            .ignore
            .iter()
            .any(|ignored| contains(&buf[start..end], ignored.as_bytes()))
        {
            return Err(Rejected::Ignored);
        }
        if !self.validators.iter().all(|v| v.check(secret)) {
            return Err(Rejected::Invalid);
        }
        if let Some(keywords) = &self.keywords {
            let mut from = start.saturating_sub(self.item.proximity);
            let mut to = (end + self.item.proximity).min(buf.len());
            let row = structure
                .rows
                .partition_point(|&(_, row_end)| row_end <= secret_start);
            if let Some(&(row_start, row_end)) = structure.rows.get(row) {
                if row_start <= secret_start {
                    from = from.max(row_start);
                    to = to.min(row_end.max(end));
                }
            }
            let contexts = structure.contexts;
            // Context spans are disjoint and in order: the one holding the
            // secret is found by bisection (a table has one per cell).
            // Asked first: in a table the column's name usually answers,
            // and the keyword search of the row costs far more.
            let named = {
                let at = contexts.partition_point(|c| c.end <= secret_start);
                contexts
                    .get(at)
                    .is_some_and(|c| c.start <= secret_start && c.detectors.contains(&index))
            };
            let near = || {
                keywords
                    .find_overlapping_iter(&buf[from..to])
                    .any(|k| stands_alone(buf, from + k.start(), from + k.end()))
            };
            if !named && !near() {
                return Err(Rejected::NoKeyword);
            }
        }
        Ok(Hit {
            detector: index,
            start,
            end,
            secret_start,
            secret_end,
        })
    }
}

/// Whether `buf[start..end]` is a whole word: no letter or digit runs on
/// into it on a side where it begins or ends with one.
fn stands_alone(buf: &[u8], start: usize, end: usize) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric();
    let inner_left = buf.get(start).copied().is_some_and(word);
    let inner_right = end > 0 && buf.get(end - 1).copied().is_some_and(word);
    let left_ok = !inner_left || start == 0 || !word(buf[start - 1]);
    let right_ok = !inner_right || buf.get(end).is_none_or(|&b| !word(b));
    left_ok && right_ok
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        let classifiers = crate::Classifiers::builtin().unwrap();
        let mut object = classifiers.object("notes.txt");
        object.feed(text.as_bytes());
        object.finish().regexes.into_iter().map(|r| r.id).collect()
    }

    #[test]
    fn keyed_by_finds_what_each_detectors_own_keywords_find() {
        let set = DetectorSet::new(&Catalog::builtin().unwrap()).unwrap();
        let one_by_one = |words: &str| -> Vec<usize> {
            set.detectors
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    d.keywords.as_ref().is_some_and(|k| {
                        k.find_overlapping_iter(words)
                            .any(|m| stands_alone(words.as_bytes(), m.start(), m.end()))
                    })
                })
                .map(|(index, _)| index)
                .collect()
        };
        let keywords: Vec<String> = set
            .detectors
            .iter()
            .flat_map(|d| d.item.keywords.iter().cloned())
            .collect();
        assert!(keywords.len() > 100, "{}", keywords.len());
        let mut asked = 0;
        for (i, keyword) in keywords.iter().enumerate() {
            let other = &keywords[(i * 7919) % keywords.len()];
            for words in [
                keyword.clone(),
                keyword.to_ascii_uppercase(),
                format!("billing {keyword} {other}"),
                format!("x{keyword}x"),
                format!("{other} {keyword}s"),
            ] {
                let keyed = set.keyed_by(&words);
                assert_eq!(keyed, one_by_one(&words), "{words}");
                asked += usize::from(!keyed.is_empty());
            }
        }
        assert!(asked > keywords.len(), "most of them name a detector");
        assert!(set.keyed_by("nothing here at all").is_empty());
    }

    #[test]
    fn aws_keys_with_context_and_example_keys_ignored() {
        let found = ids(
            "[default]\naws_access_key_id = AKIA2E4GHJ7KLMNPQR3S\naws_secret_access_key = 9f/Kq2Lr7Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi+\n",
        );
        assert!(found.contains(&"aws_access_key".to_string()), "{found:?}");
        assert!(found.contains(&"aws_secret_key".to_string()), "{found:?}");
        let examples = ids(
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        );
        assert!(
            !examples.contains(&"aws_access_key".to_string())
                && !examples.contains(&"aws_secret_key".to_string()),
            "{examples:?}"
        );
    }

    #[test]
    fn ssn_needs_its_keyword_nearby() {
        assert!(
            ids("Employee SSN: 536-22-1234").contains(&"us_social_security_number".to_string())
        );
        assert!(
            !ids("Order number 536-22-1234 shipped")
                .contains(&"us_social_security_number".to_string())
        );
        let far = format!("ssn{}536-22-1234", " ".repeat(60));
        assert!(!ids(&far).contains(&"us_social_security_number".to_string()));
    }

    #[test]
    fn many_windows_switch_a_detector_to_its_prefiltered_build() {
        let classifiers = crate::Classifiers::builtin().unwrap();
        let detectors = classifiers.detectors.detectors();
        let github = detectors
            .iter()
            .find(|d| d.item.id == "github_key")
            .unwrap();
        let token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
        let count = |text: &str| {
            let mut object = classifiers.object("notes.txt");
            object.feed(text.as_bytes());
            let found = object.finish();
            found
                .regexes
                .iter()
                .find(|r| r.id == "github_key")
                .map_or(0, |r| r.count)
        };
        // A few windows: the build without prefilters.
        assert_eq!(count(&format!("token = {token}\n")), 1);
        assert!(github.unfiltered.get().is_some() && github.prefiltered.get().is_none());
        // Thousands of windows around prefixes that start no token, with
        // tokens among them: past the budget the prefiltered build searches
        // on, and finds what the first one would.
        let filler = "see ghp_Example in the docs, and ghp_more again\n".repeat(4000);
        let text = format!("a = {token}\n{filler}b = {token}\n{filler}c = {token}\n");
        assert_eq!(count(&text), 3);
        let searched = github.searched.load(std::sync::atomic::Ordering::Relaxed);
        assert!(searched > UNFILTERED_BYTES, "{searched}");
        assert!(github.prefiltered.get().is_some());
    }

    #[test]
    fn generic_yields_to_specific() {
        let found = ids("slack_token = \"xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx\"\n");
        assert_eq!(found, vec!["slack_api_token".to_string()]);
    }

    #[test]
    fn matches_outside_the_owned_range_are_left_to_the_neighbour() {
        let set = DetectorSet::new(&Catalog::builtin().unwrap()).unwrap();
        let anchor = set.anchors().iter().position(|a| a == "ghp_").unwrap();
        let mut scratch = Scratch::default();
        let text = b"xxxxxxxxxx ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 yyyy";
        let hits = [AnchorHit {
            anchor,
            start: 11,
            end: 15,
        }];
        assert_eq!(
            set.scan(text, 0..5, &hits, Structure::default(), &mut scratch)
                .len(),
            0
        );
        assert_eq!(
            set.scan(
                text,
                5..text.len(),
                &hits,
                Structure::default(),
                &mut scratch
            )
            .len(),
            1
        );
    }

    #[test]
    fn card_shaped_numeric_data_is_not_a_card_list() {
        // Numbers that look like cards: a fixed stream, most failing Luhn.
        let mut rng = crate::xorshift::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut numbers = Vec::new();
        for _ in 0..200 {
            let state = rng.next();
            numbers.push(format!("4{:015}", state % 1_000_000_000_000_000));
        }
        let valid = numbers
            .iter()
            .filter(|n| checksums::luhn(n.as_bytes()))
            .count();
        assert!(valid > 5 && valid < 60, "{valid} of 200 pass Luhn");
        let data: String = numbers
            .iter()
            .enumerate()
            .map(|(i, n)| format!("dd{i} add {n} 1 -> result\n"))
            .collect();
        assert!(!ids(&data).contains(&"credit_card_number".to_string()));
        // A real list: all valid. A few valid among a few others: kept.
        let list: String = (0..25).map(|_| "paid 4539 1488 0343 6467\n").collect();
        assert!(ids(&list).contains(&"credit_card_number".to_string()));
        let few = format!("{}card 4539 1488 0343 6467\n", &data[..data.len() / 20]);
        assert!(
            ids(&few).contains(&"credit_card_number".to_string()),
            "{few}"
        );
    }

    #[test]
    fn numbers_among_dense_digit_runs_are_all_found() {
        // A log where every line holds a date, an id and an amount, so the
        // digit runs touch and the number gate sees one long stretch; every
        // planted card and IPv4 address must still be found.
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&format!(
                "2026-11-02T08:{:02}:{:02}Z INFO order id={} amount={}.{:02}\n",
                i % 60,
                i % 59,
                100_000 + i * 7,
                i % 1000,
                i % 100
            ));
            match i % 500 {
                17 => text.push_str("paid with 4539 1488 0343 6467\n"),
                101 => text.push_str("peer=198.51.100.23;connected\n"),
                _ => {}
            }
        }
        let classifiers = crate::Classifiers::builtin().unwrap();
        let mut object = classifiers.object("service.log");
        object.feed(text.as_bytes());
        let found = object.finish().regexes;
        let count = |id: &str| found.iter().find(|r| r.id == id).map_or(0, |r| r.count);
        assert_eq!(count("credit_card_number"), 6, "{found:?}");
        assert_eq!(count("ipv4_address"), 6, "{found:?}");
    }

    #[test]
    fn cards_are_found_through_the_digit_prefilter_and_bad_ones_dropped() {
        assert_eq!(
            ids("paid with 4539 1488 0343 6467 yesterday"),
            vec!["credit_card_number"]
        );
        assert_eq!(ids("order 4539-1488-0343-6467"), vec!["credit_card_number"]);
        assert!(ids("order 4539 1488 0343 6468").is_empty(), "Luhn fails");
        assert!(ids("#define BIG 18446744073709551615ULL").is_empty());
    }
}
