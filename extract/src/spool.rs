//! Spooling a stream that must be read out of order (a zip's index, a
//! PDF's cross-reference table and a Parquet footer are at the end): kept
//! in memory when small, in an unnamed temporary file (gone when closed)
//! when not, so memory stays bounded whatever the size. Archives and
//! documents read from buckets and from other archives are spooled.

use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom, Write};

/// The most a spool keeps in memory.
/// (4 MiB: with `--jobs 32` and a zip in every worker, 128 MiB in all.)
const MEMORY_LIMIT: u64 = 4 << 20;

pub(crate) enum Spool {
    Memory(Cursor<Vec<u8>>),
    File(BufReader<std::fs::File>),
}

impl Spool {
    pub(crate) fn read(stream: &mut dyn Read) -> io::Result<Self> {
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

    /// Spools at most `limit` bytes; `Err(partial)` when the stream holds
    /// more (the rest is left unread in `stream`).
    pub(crate) fn read_limited(
        stream: &mut dyn Read,
        limit: u64,
    ) -> io::Result<Result<Self, Self>> {
        let spool = Self::read(&mut stream.take(limit + 1))?;
        if spool.len()? > limit {
            Ok(Err(spool))
        } else {
            Ok(Ok(spool))
        }
    }

    /// Bytes spooled.
    pub(crate) fn len(&self) -> io::Result<u64> {
        match self {
            Self::Memory(cursor) => Ok(cursor.get_ref().len() as u64),
            Self::File(file) => Ok(file.get_ref().metadata()?.len()),
        }
    }

    /// The whole content in memory (for parsers that need a slice).
    pub(crate) fn into_bytes(self) -> io::Result<Vec<u8>> {
        match self {
            Self::Memory(cursor) => Ok(cursor.into_inner()),
            Self::File(mut file) => {
                let mut bytes = Vec::new();
                file.seek(SeekFrom::Start(0))?;
                file.read_to_end(&mut bytes)?;
                Ok(bytes)
            }
        }
    }

    /// The content as a file (for parsers that open a file, like SQLite):
    /// a temporary one when it was in memory.
    #[cfg(feature = "documents")]
    pub(crate) fn into_file(self) -> io::Result<tempfile::NamedTempFile> {
        let mut named = tempfile::NamedTempFile::new()?;
        match self {
            Self::Memory(cursor) => named.write_all(cursor.get_ref())?,
            Self::File(mut file) => {
                file.seek(SeekFrom::Start(0))?;
                io::copy(&mut file, &mut named)?;
            }
        }
        named.flush()?;
        Ok(named)
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
