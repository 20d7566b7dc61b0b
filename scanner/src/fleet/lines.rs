//! The compressed JSON Lines files of a run location: a unit's item list
//! (`items.jsonl.zst`) and its records (`records.jsonl.zst`).
//!
//! They are written with zstd at its fastest level: measured on a shard of
//! small files, gzip's deflate and CRC were about 5% of the shard's CPU,
//! which the one-machine scan it is compared with never pays; zstd costs a
//! fraction of that and reads back several times faster at merge. The
//! window is kept small because a merge holds one decoder per unit open at
//! once. Files are read by their name, so parts written as `.jsonl.gz` (by
//! tools that only have gzip) are still merged.

use std::io::{BufRead, BufReader, Read, Write};

/// The name ending of a file written here.
pub const EXTENSION: &str = "jsonl.zst";

/// zstd's fastest level.
const LEVEL: i32 = 1;
/// 128 KiB: a decoder's window, per open unit at merge.
const WINDOW_LOG: u32 = 17;

/// A writer that compresses what it is given, buffered: serde_json writes
/// a record in dozens of small pieces, and each unbuffered write was a
/// call into zstd (a sixth of a shard's own work). [`Writer::finish`] ends
/// the file.
pub struct Writer<W: Write>(std::io::BufWriter<zstd::stream::write::Encoder<'static, W>>);

/// Starts a file on `inner`.
pub fn writer<W: Write>(inner: W) -> std::io::Result<Writer<W>> {
    let mut encoder = zstd::stream::write::Encoder::new(inner, LEVEL)?;
    encoder.window_log(WINDOW_LOG)?;
    // A damaged or cut file then fails to read instead of yielding less.
    encoder.include_checksum(true)?;
    Ok(Writer(std::io::BufWriter::with_capacity(1 << 16, encoder)))
}

impl<W: Write> Writer<W> {
    /// Ends the file and gives back what it was written to.
    pub fn finish(self) -> std::io::Result<W> {
        self.0.into_inner().map_err(|e| e.into_error())?.finish()
    }
}

impl<W: Write> Write for Writer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Reads the file `name` holds (by its ending: `.gz` is gzip, anything
/// else zstd), a line at a time.
pub fn reader<'r, R: Read + 'r>(name: &str, inner: R) -> std::io::Result<Box<dyn BufRead + 'r>> {
    Ok(if name.ends_with(".gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(inner)))
    } else {
        Box::new(BufReader::new(zstd::stream::read::Decoder::new(inner)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(lines: &[&str]) -> Vec<u8> {
        let mut out = writer(Vec::new()).unwrap();
        for line in lines {
            out.write_all(line.as_bytes()).unwrap();
            out.write_all(b"\n").unwrap();
        }
        out.finish().unwrap()
    }

    #[test]
    fn lines_come_back_as_written_and_gzip_is_still_read() {
        let lines: Vec<String> = (0..5000).map(|i| format!("{{\"n\":{i}}}")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let bytes = written(&refs);
        let back: Vec<String> = reader("records.jsonl.zst", &bytes[..])
            .unwrap()
            .lines()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, lines);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a\nb\n").unwrap();
        let gz = gz.finish().unwrap();
        let back: Vec<String> = reader("records.jsonl.gz", &gz[..])
            .unwrap()
            .lines()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, ["a", "b"]);
    }

    #[test]
    fn a_cut_or_damaged_file_is_an_error_not_fewer_lines() {
        let lines: Vec<String> = (0..5000).map(|i| format!("line {i}")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let bytes = written(&refs);
        let read_all = |bytes: &[u8]| -> std::io::Result<Vec<String>> {
            reader("x.jsonl.zst", bytes)?.lines().collect()
        };
        assert!(read_all(&bytes[..bytes.len() - 7]).is_err());
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        assert!(read_all(&flipped).is_err());
    }
}
