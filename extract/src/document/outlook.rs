//! Outlook items (`.msg`, [MS-OXMSG]): a compound file (read with `cfb`)
//! whose MAPI properties are streams named `__substg1.0_PPPPTTTT` (property
//! id, then type). The string properties (type `001F`, UTF-16LE; `001E`,
//! 8-bit) of the message, its recipients and its attachments are its text:
//! subject, sender, recipients, body, transport headers. Each attachment's
//! data (property `3701`, binary) goes back to the pipeline as an embedded
//! file named by its long or short file name (`3707`, `3704`), so a
//! workbook or an archive inside is read too, as with e-mail.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use assay_classifiers::place::Place;

use super::{DocumentError, Embedded, Format, Text};

const FORMAT: Format = Format::OutlookItem;
/// A property stream larger than this is not read (a body or attachment of
/// half a gigabyte is a bomb, not a message).
const MAX_STREAM: u64 = 512 << 20;

/// An attachment storage's file name and where its data is.
#[derive(Default)]
struct Attachment {
    name: Option<String>,
    data: Option<PathBuf>,
}

pub(super) fn extract<R: Read + Seek>(
    input: R,
    text: &mut Text<'_>,
    embedded: &mut dyn FnMut(Embedded<'_>),
) -> Result<(), DocumentError> {
    let mut file = cfb::CompoundFile::open(input).map_err(|e| DocumentError::corrupt(FORMAT, e))?;
    let mut streams: Vec<PathBuf> = file
        .walk()
        .filter(|entry| entry.is_stream())
        .map(|entry| entry.path().to_path_buf())
        .collect();
    streams.sort();
    let mut attachments: BTreeMap<PathBuf, Attachment> = BTreeMap::new();
    for path in &streams {
        let Some((id, kind)) = property(path) else {
            continue;
        };
        let storage = path.parent().unwrap_or(Path::new("/"));
        let storage_name = storage
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let in_attachment = storage_name.starts_with("__attach_version1.0_");
        match kind {
            "001F" | "001E" => {
                text.check_time()?;
                let bytes = read_stream(&mut file, path)?;
                let value = if kind == "001F" {
                    let (value, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(&bytes);
                    value.into_owned()
                } else {
                    let (value, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
                    value.into_owned()
                };
                let value = value.trim_end_matches('\0');
                if value.is_empty() {
                    continue;
                }
                if in_attachment && matches!(id, "3707" | "3704") {
                    let entry = attachments.entry(storage.to_path_buf()).or_default();
                    // The long name (3707) wins over the 8.3 one.
                    if id == "3707" || entry.name.is_none() {
                        entry.name = Some(value.replace('/', "_"));
                    }
                }
                text.mark(Place::part(&part_name(&storage_name, id)))?;
                text.write(value)?;
                text.end_line()?;
            }
            "0102" if in_attachment && id == "3701" => {
                attachments.entry(storage.to_path_buf()).or_default().data = Some(path.clone());
            }
            _ => {}
        }
    }
    for (index, attachment) in attachments.values().enumerate() {
        let Some(data) = &attachment.data else {
            continue;
        };
        text.check_time()?;
        let contents = read_stream(&mut file, data)?;
        let name = attachment
            .name
            .clone()
            .unwrap_or_else(|| format!("attachment-{}", index + 1));
        embedded(Embedded {
            name,
            size: contents.len() as u64,
            content: &mut std::io::Cursor::new(contents),
        });
    }
    Ok(())
}

/// A property stream's id and type (`__substg1.0_0037001F` → `0037`, `001F`).
fn property(path: &Path) -> Option<(&str, &str)> {
    let name = path.file_name()?.to_str()?;
    let tag = name.strip_prefix("__substg1.0_")?;
    (tag.len() == 8 && tag.is_ascii()).then(|| tag.split_at(4))
}

/// Where a string property's text is said to be: the message's own
/// well-known properties by name, others by id, prefixed by the recipient
/// or attachment they belong to.
fn part_name(storage: &str, id: &str) -> String {
    let property = match id {
        "0037" => "subject",
        "1000" => "body",
        "007D" => "headers",
        "0C1A" | "0042" => "from",
        "0C1F" | "5D01" | "0065" => "from address",
        "0E04" => "to",
        "0E03" => "cc",
        "0E02" => "bcc",
        "3001" => "name",
        "3003" | "39FE" => "address",
        "3707" | "3704" => "file name",
        other => return owned(storage, &format!("property 0x{other}")),
    };
    owned(storage, property)
}

fn owned(storage: &str, property: &str) -> String {
    if let Some(n) = storage.strip_prefix("__recip_version1.0_#") {
        format!("recipient {} {property}", trim_number(n))
    } else if let Some(n) = storage.strip_prefix("__attach_version1.0_#") {
        format!("attachment {} {property}", trim_number(n))
    } else {
        property.to_string()
    }
}

/// `00000001` → `1` (storages number their items in eight hex digits).
fn trim_number(hex: &str) -> u64 {
    u64::from_str_radix(hex, 16).map_or(0, |n| n + 1)
}

fn read_stream<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    path: &Path,
) -> Result<Vec<u8>, DocumentError> {
    let mut stream = file
        .open_stream(path)
        .map_err(|e| DocumentError::corrupt(FORMAT, format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    (&mut stream)
        .take(MAX_STREAM)
        .read_to_end(&mut bytes)
        .map_err(|e| DocumentError::corrupt(FORMAT, format!("{}: {e}", path.display())))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_streams_and_their_parts_are_named() {
        let stream = Path::new("/__substg1.0_0037001F");
        assert_eq!(property(stream), Some(("0037", "001F")));
        assert_eq!(property(Path::new("/__properties_version1.0")), None);
        assert_eq!(part_name("", "0037"), "subject");
        assert_eq!(
            part_name("__recip_version1.0_#00000000", "39FE"),
            "recipient 1 address"
        );
        assert_eq!(
            part_name("__attach_version1.0_#0000000A", "3707"),
            "attachment 11 file name"
        );
        assert_eq!(part_name("", "8005"), "property 0x8005");
    }
}
