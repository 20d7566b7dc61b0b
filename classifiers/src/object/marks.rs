//! Places in extracted text: each mark says where the text from an offset
//! on comes from (a cell, page, record, part), and a finding takes the place
//! of the mark before it.

use crate::place::Place;

/// Text from `at` (an offset in the decoded text) on belongs to `place`.
pub(super) struct Mark {
    pub(super) at: u64,
    pub(super) place: std::sync::Arc<Place>,
    pub(super) keyed: Option<std::sync::Arc<[usize]>>,
}

/// Whether two places are in the same row or record.
pub(super) fn same_row(a: &Place, b: &Place) -> bool {
    a.row == b.row && a.record == b.record && a.sheet == b.sheet && a.table == b.table
}

/// The place that holds decoded offset `offset`.
pub(super) fn place_at(marks: &std::collections::VecDeque<Mark>, offset: u64) -> Place {
    let after = marks.partition_point(|m| m.at <= offset);
    after
        .checked_sub(1)
        .map(|at| (*marks[at].place).clone())
        .unwrap_or_default()
}
