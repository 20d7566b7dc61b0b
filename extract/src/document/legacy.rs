//! Word 97-2003 documents (`.doc`): the text of the piece table in the
//! `WordDocument` stream of the compound file (read with `cfb`), following
//! [MS-DOC] 2.4.1 "Retrieving Text". Also recognises an encrypted Office
//! 2007+ file, which is a compound file holding an `EncryptedPackage`.

use std::io::{Read, Seek};

use super::{DocumentError, Format, Text};

const FORMAT: Format = Format::LegacyWord;

pub(super) fn extract<R: Read + Seek>(input: R, text: &mut Text<'_>) -> Result<(), DocumentError> {
    let mut file = cfb::CompoundFile::open(input).map_err(|e| DocumentError::corrupt(FORMAT, e))?;
    if file.exists("/EncryptedPackage") || file.exists("/EncryptionInfo") {
        return Err(DocumentError::Encrypted {
            format: "Office document",
        });
    }
    let word = read_stream(&mut file, "/WordDocument")?;
    let u16_at = |at: usize| {
        word.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        word.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if u16_at(0) != Some(0xA5EC) {
        return Err(DocumentError::corrupt(FORMAT, "no Word FIB"));
    }
    let flags = u16_at(0x0A).unwrap_or(0);
    if flags & 0x0100 != 0 {
        return Err(DocumentError::Encrypted {
            format: FORMAT.name(),
        });
    }
    let table_name = if flags & 0x0200 != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    let table = read_stream(&mut file, table_name)?;
    let (Some(fc_clx), Some(lcb_clx)) = (u32_at(0x01A2), u32_at(0x01A6)) else {
        return Err(DocumentError::corrupt(FORMAT, "FIB too short"));
    };
    let clx = table
        .get(fc_clx as usize..(fc_clx as usize).saturating_add(lcb_clx as usize))
        .ok_or_else(|| DocumentError::corrupt(FORMAT, "piece table outside the table stream"))?;
    // Skip Prc entries (property modifiers) to the Pcdt.
    let mut at = 0;
    while clx.get(at) == Some(&0x01) {
        let size = clx
            .get(at + 1..at + 3)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        at += 3 + usize::from(size);
    }
    if clx.get(at) != Some(&0x02) {
        return Err(DocumentError::corrupt(FORMAT, "no piece table"));
    }
    let plc = clx
        .get(at + 5..)
        .ok_or_else(|| DocumentError::corrupt(FORMAT, "cut piece table"))?;
    let pieces = plc.len().saturating_sub(4) / 12;
    let cp = |i: usize| {
        plc.get(i * 4..i * 4 + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let mut out = String::new();
    for piece in 0..pieces {
        let chars = cp(piece + 1).saturating_sub(cp(piece));
        let pcd = (pieces + 1) * 4 + piece * 8;
        let Some(fc) = plc
            .get(pcd + 2..pcd + 6)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        else {
            break;
        };
        let compressed = fc & 0x4000_0000 != 0;
        let fc = (fc & 0x3FFF_FFFF) as usize;
        if compressed {
            let start = fc / 2;
            let bytes = word.get(start..start + chars).unwrap_or_default();
            out.extend(bytes.iter().map(|&b| char::from(b)).map(control));
        } else {
            let bytes = word.get(fc..fc + chars * 2).unwrap_or_default();
            let units = bytes
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]));
            out.extend(char::decode_utf16(units).map(|c| control(c.unwrap_or('\u{FFFD}'))));
        }
    }
    out.retain(|c| !matches!(c, '\u{13}' | '\u{14}' | '\u{15}' | '\u{1}' | '\u{8}'));
    text.write(&out)?;
    text.end_line()
}

/// Word's control characters as text: paragraph and line ends, cell marks.
fn control(c: char) -> char {
    match c {
        '\r' | '\u{0B}' | '\u{0C}' => '\n',
        '\u{07}' => '\t',
        other => other,
    }
}

fn read_stream<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    path: &str,
) -> Result<Vec<u8>, DocumentError> {
    let mut stream = file
        .open_stream(path)
        .map_err(|e| DocumentError::corrupt(FORMAT, format!("{path}: {e}")))?;
    let mut bytes = Vec::new();
    (&mut stream)
        .take(512 << 20)
        .read_to_end(&mut bytes)
        .map_err(|e| DocumentError::corrupt(FORMAT, format!("{path}: {e}")))?;
    Ok(bytes)
}
