//! Places in extracted text: each mark says where the text from an offset
//! on comes from (a cell, page, record, part), and a finding takes the place
//! of the mark before it.

use std::collections::VecDeque;

use crate::detect::ContextSpan;
use crate::place::Place;

/// Text from `at` (an offset in the decoded text) on belongs to `place`.
pub(super) struct Mark {
    pub(super) at: u64,
    pub(super) place: Place,
    pub(super) keyed: Option<std::sync::Arc<[usize]>>,
}

/// Whether two places are in the same row or record.
fn same_row(a: &Place, b: &Place) -> bool {
    a.row == b.row && a.record == b.record && a.sheet == b.sheet && a.table == b.table
}

/// The place that holds decoded offset `offset`.
pub(super) fn place_at(marks: &VecDeque<Mark>, offset: u64) -> Place {
    let after = marks.partition_point(|m| m.at <= offset);
    after
        .checked_sub(1)
        .map(|at| marks[at].place.clone())
        .unwrap_or_default()
}

/// The spans of keyed marks and of rows in a buffer of `len` bytes
/// starting at `base`, as the detectors take them.
pub(super) fn structure(
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
