//! Decompression-bomb limits and the budget one top-level object spends
//! across every level of nesting.

use std::cell::Cell;
use std::io::{self, Read};

/// Limits on opening archives. Expansion is measured on decompressed
/// output, against the bytes the top-level object actually stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Archives nested deeper than this are classified but not opened
    /// (Macie opens ten levels). 0 opens none.
    pub max_depth: u32,
    /// Members (files) per top-level object, all levels together.
    pub max_entries: u64,
    /// Decompressed bytes per top-level object, all levels together.
    pub max_bytes: u64,
    /// Decompressed bytes per stored byte...
    pub max_ratio: u64,
    /// ...once this many bytes have been decompressed (small files compress
    /// far beyond any sane ratio; bombs show themselves in bulk).
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 10,
            max_entries: 100_000,
            max_bytes: 16 << 30,
            max_ratio: 100,
            ratio_floor: 64 << 20,
        }
    }
}

/// Which limit an archive reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error("expanded past {limit} bytes")]
    Bytes { limit: u64 },
    #[error("expanded {expanded} bytes from {stored} stored, past the {limit}:1 ratio limit")]
    Ratio {
        expanded: u64,
        stored: u64,
        limit: u64,
    },
    #[error("more than {limit} members")]
    Entries { limit: u64 },
}

/// What one top-level object has spent; shared by every level of it.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    stored: u64,
    expanded: Cell<u64>,
    entries: Cell<u64>,
    exceeded: Cell<Option<LimitExceeded>>,
}

impl Budget {
    /// A budget for an object that stores `stored` bytes.
    pub fn new(limits: Limits, stored: u64) -> Self {
        Self {
            limits,
            stored: stored.max(1),
            expanded: Cell::new(0),
            entries: Cell::new(0),
            exceeded: Cell::new(None),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The first limit reached, if any.
    pub fn exceeded(&self) -> Option<LimitExceeded> {
        self.exceeded.get()
    }

    /// Decompressed bytes so far.
    pub fn expanded(&self) -> u64 {
        self.expanded.get()
    }

    pub(super) fn count_entry(&self) -> Result<(), LimitExceeded> {
        let entries = self.entries.get() + 1;
        self.entries.set(entries);
        if entries > self.limits.max_entries {
            return Err(self.trip(LimitExceeded::Entries {
                limit: self.limits.max_entries,
            }));
        }
        Ok(())
    }

    fn expand(&self, bytes: u64) -> Result<(), LimitExceeded> {
        let expanded = self.expanded.get().saturating_add(bytes);
        self.expanded.set(expanded);
        if expanded > self.limits.max_bytes {
            return Err(self.trip(LimitExceeded::Bytes {
                limit: self.limits.max_bytes,
            }));
        }
        if expanded > self.limits.ratio_floor && expanded / self.stored >= self.limits.max_ratio {
            return Err(self.trip(LimitExceeded::Ratio {
                expanded,
                stored: self.stored,
                limit: self.limits.max_ratio,
            }));
        }
        Ok(())
    }

    fn trip(&self, exceeded: LimitExceeded) -> LimitExceeded {
        if self.exceeded.get().is_none() {
            self.exceeded.set(Some(exceeded));
        }
        exceeded
    }
}

/// Decompressed output, counted against the budget. Once any limit is
/// reached every metered stream of the object fails.
pub(super) struct Metered<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<'b, R> Metered<'b, R> {
    pub(super) fn new(inner: R, budget: &'b Budget) -> Self {
        Self { inner, budget }
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(exceeded) = self.budget.exceeded() {
            return Err(io::Error::other(exceeded));
        }
        let n = self.inner.read(buf)?;
        self.budget.expand(n as u64).map_err(io::Error::other)?;
        Ok(n)
    }
}
