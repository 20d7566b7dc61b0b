//! Archives and compressed streams: recognising them from their first
//! bytes, walking their members as streams, and the limits that stop a
//! decompression bomb.
//!
//! This module knows nothing of classifiers. [`walk`] hands each member to
//! a visitor as a reader; the pipeline classifies it, and when the member
//! is itself an archive it calls [`walk`] again, one level deeper. Every
//! level of one top-level object shares a [`Budget`], so a bomb nested ten
//! deep is measured against the bytes actually stored.
//!
//! ```
//! use assay_extract::archive::Format;
//!
//! assert_eq!(Format::detect(b"\x1f\x8b\x08\x00"), Some(Format::Gzip));
//! assert_eq!(Format::detect(b"PK\x03\x04"), Some(Format::Zip));
//! assert_eq!(Format::detect(b"plain text"), None);
//! ```

mod budget;
mod zstd;

use std::io::{self, Cursor, Read};

pub use budget::{Budget, LimitExceeded, Limits};

/// Bytes of a stream needed to recognise every format (tar's magic sits
/// at offset 257).
pub const HEAD_LEN: usize = 512;

/// The archive and compression formats assay opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Format {
    /// Recognises a format from the first bytes of a stream (at least
    /// [`HEAD_LEN`] of them when there are that many).
    pub fn detect(head: &[u8]) -> Option<Self> {
        const BZIP2_BLOCK: &[u8] = &[0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
        const BZIP2_END: &[u8] = &[0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(Self::Zip)
        } else if head.starts_with(&[0x1f, 0x8b, 0x08]) {
            Some(Self::Gzip)
        } else if head.len() >= 10
            && head.starts_with(b"BZh")
            && (b'1'..=b'9').contains(&head[3])
            && (&head[4..10] == BZIP2_BLOCK || &head[4..10] == BZIP2_END)
        {
            Some(Self::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Self::Xz)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Self::Zstd)
        } else if head.len() >= 262 && &head[257..262] == b"ustar" {
            Some(Self::Tar)
        } else {
            None
        }
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::Tar => "tar",
            Self::Gzip => "gzip",
            Self::Bzip2 => "bzip2",
            Self::Xz => "xz",
            Self::Zstd => "zstd",
        }
    }

    /// Name suffixes of this format and what a name becomes without them
    /// (`.tgz` holds a `.tar`).
    fn suffixes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Gzip => &[(".tgz", ".tar"), (".gz", ""), (".gzip", ""), (".z", "")],
            Self::Bzip2 => &[(".tbz2", ".tar"), (".tbz", ".tar"), (".bz2", "")],
            Self::Xz => &[(".txz", ".tar"), (".xz", "")],
            Self::Zstd => &[(".tzst", ".tar"), (".zst", ""), (".zstd", "")],
            Self::Zip | Self::Tar => &[],
        }
    }
}

/// Why an archive could not be walked to the end. Members met before the
/// problem have already been visited.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("corrupt {format} data: {message}")]
    Corrupt {
        format: &'static str,
        message: String,
    },
    #[error("stopped as a likely decompression bomb: {0}")]
    Limit(LimitExceeded),
    #[error("cannot buffer the archive for reading: {0}")]
    Spool(io::Error),
}

impl ArchiveError {
    fn corrupt(format: Format, error: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            format: format.name(),
            message: error.to_string(),
        }
    }
}

/// How an archive's bytes are reached: a stream, or a file zip can seek in
/// (a stream holding a zip is spooled first: its index is at the end).
pub enum Input<'a> {
    Stream(Box<dyn Read + 'a>),
    File(std::fs::File),
}

/// One member of an archive, as the visitor sees it.
pub struct Member<'r> {
    /// The member's path inside the archive.
    pub path: String,
    /// The size the archive declares, when it declares one.
    pub size: Option<u64>,
    pub content: Content<'r>,
}

/// A member's bytes, or why they cannot be read.
pub enum Content<'r> {
    Stream(&'r mut dyn Read),
    /// Encrypted with a password we do not have.
    Encrypted,
    /// Stored with a method this build cannot decode.
    Unsupported(String),
}

/// Visits every member of an archive in stored order. `name` is the
/// archive's own name; a compressed stream's single member is named after
/// it (`app.log.gz` holds `app.log`).
pub fn walk(
    format: Format,
    input: Input<'_>,
    name: &str,
    budget: &Budget,
    visit: &mut dyn FnMut(Member<'_>),
) -> Result<(), ArchiveError> {
    match format {
        Format::Zip => walk_zip(input, budget, visit),
        Format::Tar => walk_tar(Format::Tar, into_stream(input), budget, visit),
        Format::Gzip => {
            let decoder = flate2::read::MultiGzDecoder::new(into_stream(input));
            walk_compressed(format, Box::new(decoder), name, budget, visit)
        }
        Format::Bzip2 => {
            let decoder = bzip2::read::MultiBzDecoder::new(into_stream(input));
            walk_compressed(format, Box::new(decoder), name, budget, visit)
        }
        Format::Xz => {
            let decoder = lzma_rust2::XzReader::new(into_stream(input), true);
            walk_compressed(format, Box::new(decoder), name, budget, visit)
        }
        Format::Zstd => {
            let decoder = zstd::Frames::new(into_stream(input));
            walk_compressed(format, Box::new(decoder), name, budget, visit)
        }
    }
}

fn into_stream<'a>(input: Input<'a>) -> Box<dyn Read + 'a> {
    match input {
        Input::Stream(stream) => stream,
        Input::File(file) => Box::new(io::BufReader::new(file)),
    }
}

/// A compressed stream holds one member; when that member is a tar (a
/// `.tgz`), its entries are the archive's members, one level, as users
/// expect of `a.tgz!/etc/passwd`.
fn walk_compressed(
    format: Format,
    decoder: Box<dyn Read + '_>,
    name: &str,
    budget: &Budget,
    visit: &mut dyn FnMut(Member<'_>),
) -> Result<(), ArchiveError> {
    let mut decoded = budget::Metered::new(decoder, budget);
    let mut head = Vec::with_capacity(HEAD_LEN);
    if let Err(error) = (&mut decoded).take(HEAD_LEN as u64).read_to_end(&mut head) {
        return Err(budget
            .exceeded()
            .map_or_else(|| ArchiveError::corrupt(format, error), ArchiveError::Limit));
    }
    let mut stream = Cursor::new(head).chain(decoded);
    if Format::detect(stream.get_ref().0.get_ref()) == Some(Format::Tar) {
        return walk_tar(format, Box::new(stream), budget, visit);
    }
    budget.count_entry().map_err(ArchiveError::Limit)?;
    visit(Member {
        path: inner_name(format, name),
        size: None,
        content: Content::Stream(&mut stream),
    });
    budget
        .exceeded()
        .map_or(Ok(()), |e| Err(ArchiveError::Limit(e)))
}

/// The member name of a compressed stream: the archive's file name without
/// the format's suffix.
fn inner_name(format: Format, name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    let lower = file.to_ascii_lowercase();
    for (suffix, replacement) in format.suffixes() {
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            return format!("{}{replacement}", &file[..file.len() - suffix.len()]);
        }
    }
    file.to_string()
}

/// A member's path as reports show it: `./etc/passwd` and `/etc/passwd`
/// are both `etc/passwd`.
fn member_path(stored: &str) -> String {
    let mut path = stored;
    loop {
        let trimmed = path.trim_start_matches('/');
        let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
        if trimmed == path {
            return path.to_string();
        }
        path = trimmed;
    }
}

fn walk_tar(
    format: Format,
    stream: Box<dyn Read + '_>,
    budget: &Budget,
    visit: &mut dyn FnMut(Member<'_>),
) -> Result<(), ArchiveError> {
    let failed = |error: io::Error| {
        budget
            .exceeded()
            .map_or_else(|| ArchiveError::corrupt(format, error), ArchiveError::Limit)
    };
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries().map_err(failed)? {
        let mut entry = entry.map_err(failed)?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_gnu_sparse()) {
            continue;
        }
        budget.count_entry().map_err(ArchiveError::Limit)?;
        let path = member_path(&String::from_utf8_lossy(&entry.path_bytes()));
        let size = entry.size();
        visit(Member {
            path,
            size: Some(size),
            content: Content::Stream(&mut entry),
        });
        if let Some(exceeded) = budget.exceeded() {
            return Err(ArchiveError::Limit(exceeded));
        }
    }
    Ok(())
}

fn walk_zip(
    input: Input<'_>,
    budget: &Budget,
    visit: &mut dyn FnMut(Member<'_>),
) -> Result<(), ArchiveError> {
    let corrupt = |error: zip::result::ZipError| ArchiveError::corrupt(Format::Zip, error);
    let mut archive = match input {
        Input::File(file) => {
            Walkable::File(zip::ZipArchive::new(io::BufReader::new(file)).map_err(corrupt)?)
        }
        Input::Stream(mut stream) => {
            let spool = crate::spool::Spool::read(&mut stream).map_err(|error| {
                budget
                    .exceeded()
                    .map_or_else(|| ArchiveError::Spool(error), ArchiveError::Limit)
            })?;
            Walkable::Spool(zip::ZipArchive::new(spool).map_err(corrupt)?)
        }
    };
    match &mut archive {
        Walkable::File(archive) => zip_members(archive, budget, visit),
        Walkable::Spool(archive) => zip_members(archive, budget, visit),
    }
}

enum Walkable {
    File(zip::ZipArchive<io::BufReader<std::fs::File>>),
    Spool(zip::ZipArchive<crate::spool::Spool>),
}

fn zip_members<R: Read + io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    budget: &Budget,
    visit: &mut dyn FnMut(Member<'_>),
) -> Result<(), ArchiveError> {
    for index in 0..archive.len() {
        let (path, size, is_dir) = match archive.by_index_raw(index) {
            Ok(raw) => (member_path(raw.name()), raw.size(), raw.is_dir()),
            Err(error) => return Err(ArchiveError::corrupt(Format::Zip, error)),
        };
        if is_dir {
            continue;
        }
        budget.count_entry().map_err(ArchiveError::Limit)?;
        match archive.by_index(index) {
            Ok(file) => {
                let mut metered = budget::Metered::new(file, budget);
                visit(Member {
                    path,
                    size: Some(size),
                    content: Content::Stream(&mut metered),
                });
            }
            Err(zip::result::ZipError::UnsupportedArchive(
                zip::result::ZipError::PASSWORD_REQUIRED,
            )) => visit(Member {
                path,
                size: Some(size),
                content: Content::Encrypted,
            }),
            Err(zip::result::ZipError::UnsupportedArchive(why)) => visit(Member {
                path,
                size: Some(size),
                content: Content::Unsupported(why.to_string()),
            }),
            Err(error) => return Err(ArchiveError::corrupt(Format::Zip, error)),
        }
        if let Some(exceeded) = budget.exceeded() {
            return Err(ArchiveError::Limit(exceeded));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    type Seen = Vec<(String, Vec<u8>)>;

    fn members(
        format: Format,
        bytes: Vec<u8>,
        name: &str,
        budget: &Budget,
    ) -> (Seen, Result<(), ArchiveError>) {
        let mut seen = Vec::new();
        let result = walk(
            format,
            Input::Stream(Box::new(Cursor::new(bytes))),
            name,
            budget,
            &mut |member| {
                let mut data = Vec::new();
                if let Content::Stream(reader) = member.content {
                    let _ = reader.read_to_end(&mut data);
                }
                seen.push((member.path, data));
            },
        );
        (seen, result)
    }

    #[test]
    fn a_gzip_member_is_named_after_the_archive() {
        assert_eq!(inner_name(Format::Gzip, "logs/app.log.gz"), "app.log");
        assert_eq!(inner_name(Format::Gzip, "backup.TGZ"), "backup.tar");
        assert_eq!(inner_name(Format::Zstd, "blob"), "blob");
        let budget = Budget::new(Limits::default(), 100);
        let (seen, result) = members(Format::Gzip, gzip(b"hello"), "a/app.log.gz", &budget);
        assert!(result.is_ok());
        assert_eq!(seen, vec![("app.log".to_string(), b"hello".to_vec())]);
    }

    #[test]
    fn a_bomb_stops_at_the_ratio_limit_without_expanding_it_all() {
        let zeros = vec![0u8; 64 << 20];
        let bomb = gzip(&zeros);
        let limits = Limits {
            max_ratio: 100,
            ratio_floor: 1 << 20,
            ..Limits::default()
        };
        let budget = Budget::new(limits, bomb.len() as u64);
        let (seen, result) = members(Format::Gzip, bomb, "zeros.gz", &budget);
        let Err(ArchiveError::Limit(LimitExceeded::Ratio { expanded, .. })) = result else {
            panic!("expected the ratio limit, got {result:?}");
        };
        assert!(
            expanded < 16 << 20,
            "expanded {expanded} of 64 MiB bytes before stopping"
        );
        assert!(seen[0].1.len() < 16 << 20);
    }

    #[test]
    fn truncated_gzip_is_corrupt_after_the_bytes_it_had() {
        let text = b"line one\nline two\n".repeat(1000);
        let mut bytes = gzip(&text);
        bytes.truncate(bytes.len() - 10);
        let budget = Budget::new(Limits::default(), bytes.len() as u64);
        let mut read_error = None;
        let result = walk(
            Format::Gzip,
            Input::Stream(Box::new(Cursor::new(bytes))),
            "t.gz",
            &budget,
            &mut |member| {
                if let Content::Stream(reader) = member.content {
                    let mut data = Vec::new();
                    read_error = reader.read_to_end(&mut data).err();
                }
            },
        );
        assert!(
            result.is_ok(),
            "a single-member stream reports through its member"
        );
        assert!(
            read_error.is_some(),
            "the truncation must surface as a read error"
        );
    }
}
