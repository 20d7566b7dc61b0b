//! Spooling a stream that must be read out of order (a zip's index is at
//! its end): kept in memory when small, in an unnamed temporary file (gone
//! when closed) when not, so memory stays bounded whatever the size.

use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom, Write};

/// The most a spool keeps in memory.
/// (4 MiB: with `--jobs 32` and a zip in every worker, 128 MiB in all.)
const MEMORY_LIMIT: u64 = 4 << 20;

pub(super) enum Spool {
    Memory(Cursor<Vec<u8>>),
    File(BufReader<std::fs::File>),
}

impl Spool {
    pub(super) fn read(stream: &mut dyn Read) -> io::Result<Self> {
        let mut memory = Vec::new();
        stream.take(MEMORY_LIMIT + 1).read_to_end(&mut memory)?;
        if memory.len() as u64 <= MEMORY_LIMIT {
            return Ok(Self::Memory(Cursor::new(memory)));
        }
        let mut file = tempfile::tempfile()?;
        file.write_all(&memory)?;
        drop(memory);
        io::copy(stream, &mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Self::File(BufReader::new(file)))
    }
}

impl Read for Spool {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Memory(cursor) => cursor.read(buf),
            Self::File(file) => file.read(buf),
        }
    }
}

impl Seek for Spool {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Self::Memory(cursor) => cursor.seek(to),
            Self::File(file) => file.seek(to),
        }
    }
}
