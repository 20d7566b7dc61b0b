//! Places found by following a text's own structure (JSON, CSV) rather
//! than marked value by value by an extractor.
//!
//! A [`Walk`] follows the structure byte by byte and knows, at each value,
//! its row or record and what its context (field or column name) depends
//! on. A [`Follower`] runs it over each buffer before the detectors do,
//! and keeps what they need: the spans of values whose names are detector
//! keywords and each row's extent. A finding's own place is resolved after
//! the fact, only for the locations an object reports, by walking again
//! from the walker saved at the buffer's start; so a value costs no
//! allocation.

use std::collections::VecDeque;
use std::sync::Arc;

use super::places::{Contexts, Places};
use crate::detect::{ContextSpan, DetectorSet};
use crate::place::Place;

/// A walker over structured text.
pub(super) trait Walk: Clone {
    /// Walks `bytes`, which start at offset `base` of the text, calling
    /// `on_value` at each value's first byte with the walker as it stands
    /// there and the value's offset.
    fn walk(&mut self, bytes: &[u8], base: u64, on_value: impl FnMut(&Self, u64));
    /// The row or record of the value at hand: a run of values with the
    /// same one is a row.
    fn row(&self) -> u64;
    /// What the context of the value at hand depends on, written to `out`
    /// as a key to remember it by ([`Contexts`]; JSON's keys start with 0
    /// or 1, CSV's with 2, marks' with 3 (a column name) or 4 (a path)).
    fn context_key(&self, out: &mut Vec<u8>);
    /// The words of the value at hand's context ([`Place::context`]).
    fn context(&self) -> Option<String>;
    /// Whether the context of the value at hand may hold keywords, where
    /// `keyword_word` says whether a plain name (ASCII letters, digits and
    /// `_`) has a word of one: `false` settles it (most field names have
    /// none, which a walker can tell from the names alone, with no context
    /// key built).
    fn may_be_keyed(&self, _keyword_word: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        true
    }
    /// The place of the last value started.
    fn last_place(&self) -> Place;
}

/// A value whose field or column name holds keywords of some detectors.
struct KeyedSpan {
    start: u64,
    end: Option<u64>,
    detectors: Arc<[usize]>,
}

/// The places of one object's structured text.
pub(super) struct Follower<W: Walk> {
    /// Walked up to `walked`, the end of the buffer at the last walk.
    walker: W,
    walked: u64,
    /// The walker as it stood at the buffer's start.
    at_start: W,
    /// As it stood where the next buffer will start.
    at_next: Option<W>,
    /// A walker that resolves findings' places, and how far into the
    /// buffer it has walked.
    resolver: Option<(W, usize)>,
    spans: Vec<KeyedSpan>,
    /// Where each row's first value starts (the one covering the buffer's
    /// start first).
    rows: VecDeque<(u64, u64)>,
    /// The context key being looked up.
    key: Vec<u8>,
}

impl<W: Walk> Follower<W> {
    pub(super) fn new(walker: W) -> Self {
        Self {
            at_start: walker.clone(),
            walker,
            walked: 0,
            at_next: None,
            resolver: None,
            spans: Vec::new(),
            rows: VecDeque::new(),
            key: Vec::new(),
        }
    }

    fn walk_span(&mut self, detectors: &DetectorSet, bytes: &[u8], base: u64) {
        let Self {
            walker,
            spans,
            rows,
            key,
            ..
        } = self;
        Contexts::with(detectors, |contexts| {
            walker.walk(bytes, base, |walker, offset| {
                let row = walker.row();
                if rows.back().is_none_or(|&(_, r)| r != row) {
                    rows.push_back((offset, row));
                }
                if let Some(open) = spans.last_mut().filter(|s| s.end.is_none()) {
                    open.end = Some(offset);
                }
                if !walker.may_be_keyed(&mut |name| contexts.may_key(detectors, name)) {
                    return;
                }
                walker.context_key(key);
                if let Some(keyed) = contexts.keyed(detectors, key, || walker.context()) {
                    spans.push(KeyedSpan {
                        start: offset,
                        end: None,
                        detectors: keyed,
                    });
                }
            });
        });
    }
}

impl<W: Walk + Send> Places for Follower<W> {
    fn walk(&mut self, detectors: &DetectorSet, buf: &[u8], base: u64, next_start: Option<u64>) {
        let from = (self.walked.saturating_sub(base) as usize).min(buf.len());
        let split = next_start.map_or(buf.len(), |n| {
            (n.saturating_sub(base) as usize).clamp(from, buf.len())
        });
        self.walk_span(detectors, &buf[from..split], base + from as u64);
        if next_start.is_some() {
            self.at_next = Some(self.walker.clone());
        }
        self.walk_span(detectors, &buf[split..], base + split as u64);
        self.walked = base + buf.len() as u64;
    }

    fn structure(&self, base: u64, len: usize) -> (Vec<ContextSpan<'_>>, Vec<(usize, usize)>) {
        let to_buf = |at: u64| (at.saturating_sub(base) as usize).min(len);
        let contexts = self
            .spans
            .iter()
            .map(|span| ContextSpan {
                start: to_buf(span.start),
                end: span.end.map_or(len, to_buf),
                detectors: &span.detectors,
            })
            .filter(|c| c.start < c.end)
            .collect();
        let ends = self.rows.iter().skip(1).map(|&(at, _)| to_buf(at));
        let mut rows: Vec<(usize, usize)> = self
            .rows
            .iter()
            .zip(ends.chain([len]))
            .map(|(&(start, _), end)| (to_buf(start), end))
            .collect();
        rows.retain(|(start, end)| start < end);
        (contexts, rows)
    }

    fn place_at(&mut self, buf: &[u8], base: u64, offset: u64) -> Place {
        let through = (offset.saturating_sub(base) as usize + 1).min(buf.len());
        let (mut resolver, resolved) = match self.resolver.take() {
            Some((walker, at)) if at <= through => (walker, at),
            _ => (self.at_start.clone(), 0),
        };
        resolver.walk(&buf[resolved..through], base + resolved as u64, |_, _| {});
        let place = resolver.last_place();
        self.resolver = Some((resolver, through));
        place
    }

    fn moved(&mut self, base: u64) {
        if let Some(at_next) = self.at_next.take() {
            self.at_start = at_next;
        }
        self.resolver = None;
        self.spans.retain(|s| s.end.is_none_or(|end| end > base));
        while self.rows.get(1).is_some_and(|&(at, _)| at <= base) {
            self.rows.pop_front();
        }
    }
}

/// Test support for the walkers: feeds `text` to objects made by `start`,
/// in pieces of each size of `pieces`, checks that every location reported
/// carries the place of the last value started at or before it (`places`,
/// from one walk of the whole text), and returns each classification.
#[cfg(test)]
pub(super) fn check_places(
    start: impl Fn(&crate::Classifiers) -> crate::ObjectClassifier<'_>,
    text: &[u8],
    places: &[(u64, Place)],
    pieces: &[usize],
) -> Vec<crate::Classification> {
    let classifiers = crate::Classifiers::builtin().unwrap();
    let place_at = |offset: u64| {
        let after = places.partition_point(|(at, _)| *at <= offset);
        places[after - 1].1.clone()
    };
    pieces
        .iter()
        .map(|&piece| {
            let mut object = start(&classifiers);
            for part in text.chunks(piece) {
                object.feed(part);
            }
            let found = object.finish();
            let mut checked = 0;
            for regex in &found.regexes {
                for location in &regex.locations {
                    assert_eq!(location.place, place_at(location.offset), "{}", regex.id);
                    checked += 1;
                }
            }
            assert!(checked > 16, "{checked} locations");
            found
        })
        .collect()
}
