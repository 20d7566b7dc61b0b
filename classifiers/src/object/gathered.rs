//! The text gathered for the classifiers' next pass over an object: a
//! buffer whose filled length is kept apart from its size, so a reader can
//! write into it in place and an object's bytes are not copied once more
//! on their way in.
//!
//! Its memory stays with the worker from object to object: a small file
//! costs neither an allocation nor a zero-fill of the room it reads into.

use super::CHUNK;

thread_local! {
    /// Each worker's buffer, handed from object to object.
    static POOL: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest buffer a worker keeps for its next object: a chunk and one
/// read of a quarter chunk beyond it (the scanner reads 256 KiB at a time).
/// Growth stops there, rather than doubling to 2 MiB that would stay
/// touched; a larger buffer, grown by a long UTF-16 piece or a larger
/// read, is freed with its object.
const KEPT: usize = CHUNK + CHUNK / 4;

/// Text gathered for the next pass: the first [`Gathered::len`] bytes of
/// its buffer.
pub(super) struct Gathered {
    /// Every byte initialised; those from `filled` on are room.
    bytes: Vec<u8>,
    filled: usize,
}

impl Gathered {
    /// The worker's buffer, or a new one when it is in use (a classifier
    /// made while another is open).
    pub(super) fn take() -> Self {
        Self {
            bytes: POOL.with_borrow_mut(std::mem::take),
            filled: 0,
        }
    }

    /// The gathered text.
    pub(super) fn text(&self) -> &[u8] {
        &self.bytes[..self.filled]
    }

    pub(super) fn len(&self) -> usize {
        self.filled
    }

    /// Appends `data` to the text.
    pub(super) fn extend(&mut self, data: &[u8]) {
        self.room(data.len())[..data.len()].copy_from_slice(data);
        self.filled += data.len();
    }

    /// At least `len` bytes of room after the text, to write into and then
    /// [`Gathered::commit`]. The buffer grows (and is zero-filled) only
    /// past the largest size it has had.
    pub(super) fn room(&mut self, len: usize) -> &mut [u8] {
        let end = self.filled + len;
        if self.bytes.len() < end {
            // Doubling, as a `Vec` grows, but not past `KEPT` unless `end`
            // needs more.
            let size = (2 * self.bytes.len()).min(KEPT).max(end);
            self.bytes.resize(size, 0);
        }
        &mut self.bytes[self.filled..]
    }

    /// Adds the first `len` bytes of the room to the text.
    pub(super) fn commit(&mut self, len: usize) {
        debug_assert!(self.filled + len <= self.bytes.len());
        self.filled = (self.filled + len).min(self.bytes.len());
    }

    /// Drops the text before `from`, moving the rest to the start.
    pub(super) fn keep_from(&mut self, from: usize) {
        self.bytes.copy_within(from..self.filled, 0);
        self.filled -= from;
    }
}

impl Drop for Gathered {
    fn drop(&mut self) {
        if self.bytes.len() <= KEPT {
            let bytes = std::mem::take(&mut self.bytes);
            POOL.with_borrow_mut(|pool| {
                if pool.len() < bytes.len() {
                    *pool = bytes;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_written_in_place_or_appended_is_kept_in_order() {
        let mut gathered = Gathered::take();
        gathered.extend(b"abc");
        let room = gathered.room(4);
        room[..2].copy_from_slice(b"de");
        gathered.commit(2);
        gathered.extend(b"fgh");
        assert_eq!(gathered.text(), b"abcdefgh");
        gathered.keep_from(5);
        assert_eq!(gathered.text(), b"fgh");
        gathered.extend(b"ij");
        assert_eq!(gathered.text(), b"fghij");
    }

    #[test]
    fn a_workers_next_object_starts_empty_in_the_same_memory() {
        let mut first = Gathered::take();
        first.extend(&[7u8; 100_000]);
        let size = first.bytes.len();
        drop(first);
        let mut second = Gathered::take();
        assert_eq!((second.len(), second.bytes.len()), (0, size));
        // Room already made is not filled again: what the last object left
        // there is overwritten by the reader, never read as text.
        assert!(second.room(10).iter().all(|&b| b == 7));
        assert!(second.text().is_empty());
        // A classifier opened while another holds the buffer gets its own.
        let nested = Gathered::take();
        assert_eq!(nested.bytes.len(), 0);
    }
}
