//! Places in extracted text: each mark says where the text from an offset
//! on comes from (a cell, page, record, part), and a finding takes the place
//! of the mark before it.

use std::collections::VecDeque;
use std::sync::Arc;

use super::places::{Contexts, Places};
use crate::detect::{ContextSpan, DetectorSet};
use crate::place::Place;

/// Text from `at` (an offset in the decoded text) on belongs to `place`.
struct Mark {
    at: u64,
    place: Place,
    keyed: Option<Arc<[usize]>>,
}

/// The marks of one object, from the one covering the start of the buffer
/// on; older ones are dropped as the buffer moves.
#[derive(Default)]
pub(super) struct Marked {
    marks: VecDeque<Mark>,
    /// The context key being looked up.
    key: Vec<u8>,
    /// The names marked last and their keyword detectors: a table marks
    /// its few column names over and over, each found here (by address,
    /// or by comparing a short string) before the worker's map is hashed.
    recent: Vec<Named>,
}

/// A column name or JSON path marked lately (`kind` tells them apart, as
/// in the worker's map) and the detectors it holds keywords of.
struct Named {
    kind: u8,
    name: Arc<str>,
    keyed: Option<Arc<[usize]>>,
}

/// Names a table's marks are told apart by before the map is asked.
const RECENT: usize = 32;

impl Marked {
    /// Text from `at` on belongs to `place`, whose column name or path
    /// counts as a keyword next to it.
    pub(super) fn mark(&mut self, detectors: &DetectorSet, at: u64, place: Place) {
        // Remembered by the column name or path as written: a table marks
        // the same few names over and over.
        let named = match (&place.column_name, &place.path) {
            (Some(name), _) => Some((3, name)),
            (None, Some(path)) => Some((4, path)),
            (None, None) => None,
        };
        let keyed = match named {
            None => None,
            Some((kind, raw)) => {
                let seen = self.recent.iter().find(|named| {
                    named.kind == kind && (Arc::ptr_eq(&named.name, raw) || *named.name == **raw)
                });
                if let Some(named) = seen {
                    named.keyed.clone()
                } else {
                    self.key.clear();
                    self.key.push(kind);
                    self.key.extend_from_slice(raw.as_bytes());
                    let key = &self.key;
                    let keyed = Contexts::with(detectors, |contexts| {
                        contexts.keyed(detectors, key, || place.context())
                    });
                    if self.recent.len() == RECENT {
                        self.recent.clear();
                    }
                    self.recent.push(Named {
                        kind,
                        name: raw.clone(),
                        keyed: keyed.clone(),
                    });
                    keyed
                }
            }
        };
        if self.marks.back().is_some_and(|m| m.at == at) {
            self.marks.pop_back();
        }
        self.marks.push_back(Mark { at, place, keyed });
    }
}

impl Places for Marked {
    /// Marks come as they are made: nothing to read.
    fn walk(&mut self, _: &DetectorSet, _: &[u8], _: u64, _: Option<u64>) {}

    fn structure(&self, base: u64, len: usize) -> (Vec<ContextSpan<'_>>, Vec<(usize, usize)>) {
        structure(&self.marks, base, len)
    }

    fn place_at(&mut self, _: &[u8], _: u64, offset: u64) -> Place {
        place_at(&self.marks, offset)
    }

    fn moved(&mut self, base: u64) {
        // Keep the mark covering the new start of the buffer.
        while self.marks.get(1).is_some_and(|m| m.at <= base) {
            self.marks.pop_front();
        }
    }
}

/// Whether two places are in the same row or record.
fn same_row(a: &Place, b: &Place) -> bool {
    a.row == b.row && a.record == b.record && a.sheet == b.sheet && a.table == b.table
}

/// The place that holds decoded offset `offset`.
fn place_at(marks: &VecDeque<Mark>, offset: u64) -> Place {
    let after = marks.partition_point(|m| m.at <= offset);
    after
        .checked_sub(1)
        .map(|at| marks[at].place.clone())
        .unwrap_or_default()
}

/// The spans of keyed marks and of rows in a buffer of `len` bytes
/// starting at `base`, as the detectors take them.
fn structure(
    marks: &VecDeque<Mark>,
    base: u64,
    len: usize,
) -> (Vec<ContextSpan<'_>>, Vec<(usize, usize)>) {
    let to_buf = |at: u64| (at.saturating_sub(base) as usize).min(len);
    let contexts: Vec<ContextSpan<'_>> = marks
        .iter()
        .enumerate()
        .filter_map(|(i, mark)| {
            let keyed = mark.keyed.as_deref()?;
            let end = marks.get(i + 1).map_or(len, |m| to_buf(m.at));
            Some(ContextSpan {
                start: to_buf(mark.at),
                end,
                detectors: keyed,
            })
        })
        .filter(|c| c.start < c.end)
        .collect();
    // Consecutive marks of one row or record make its extent.
    let mut rows: Vec<(usize, usize)> = Vec::new();
    let mut open: Option<(&Place, usize)> = None;
    for (i, mark) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(len, |m| to_buf(m.at));
        let place = &mark.place;
        if place.row.is_none() && place.record.is_none() {
            if let Some((_, start)) = open.take() {
                rows.push((start, to_buf(mark.at)));
            }
            continue;
        }
        match open {
            Some((row, _)) if same_row(row, place) => {}
            Some((_, start)) => {
                rows.push((start, to_buf(mark.at)));
                open = Some((place, to_buf(mark.at)));
            }
            None => open = Some((place, to_buf(mark.at))),
        }
        if i + 1 == marks.len() {
            if let Some((_, start)) = open.take() {
                rows.push((start, end));
            }
        }
    }
    rows.retain(|(start, end)| start < end);
    (contexts, rows)
}
