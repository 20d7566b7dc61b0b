//! Signatures for binary formats that `infer` does not know, or names too
//! broadly for a data-leak scanner (a keystore is not just "binary").

/// Formats recognised before `infer` is asked.
pub(super) fn sniff_signature(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    let found = if at(0, b"\xFE\xED\xFE\xED") || at(0, b"\xCE\xCE\xCE\xCE") {
        "application/x-java-keystore"
    } else if at(0, b"\x03\xD9\xA2\x9A\x67\xFB\x4B\xB5")
        || at(0, b"\x03\xD9\xA2\x9A\x65\xFB\x4B\xB5")
    {
        "application/x-keepass2"
    } else if at(0, b"PAR1") {
        "application/vnd.apache.parquet"
    } else if at(0, b"Obj\x01") {
        "application/vnd.apache.avro"
    } else if at(0, b"ORC") && head.len() > 3 && !head[3].is_ascii_alphanumeric() {
        "application/x-orc"
    } else if at(0, b"\xD4\xC3\xB2\xA1") || at(0, b"\xA1\xB2\xC3\xD4") || at(0, b"\x4D\x3C\xB2\xA1")
    {
        "application/vnd.tcpdump.pcap"
    } else if at(0, b"\x0A\x0D\x0D\x0A") {
        "application/x-pcapng"
    } else if at(0, b".snd") {
        "audio/basic"
    } else if head.len() >= 16
        && at(2, b"\r\n")
        && (2900..4000).contains(&u16::from_le_bytes([head[0], head[1]]))
        && head[4..8].iter().all(|&b| b <= 3)
    {
        // CPython bytecode: a 2-byte version magic, "\r\n", then flags.
        "application/x-python-code"
    } else if at(0, b"!BDN") {
        "application/x-ms-outlook"
    } else if at(4, b"Standard Jet DB") || at(4, b"Standard ACE DB") {
        "application/msaccess"
    } else if at(12, b"\x00\x06\x15\x61")
        || at(12, b"\x61\x15\x06\x00")
        || at(12, b"\x00\x05\x31\x62")
        || at(12, b"\x62\x31\x05\x00")
    {
        "application/x-dbm"
    } else {
        der_kind(head)?
    };
    Some(found)
}

/// Tells PKCS#12 bundles and DER private keys from certificates by the
/// first fields of their ASN.1 SEQUENCE.
fn der_kind(head: &[u8]) -> Option<&'static str> {
    if head.first() != Some(&0x30) {
        return None;
    }
    let body = match head.get(1)? {
        0x82 => head.get(4..)?,
        0x81 => head.get(3..)?,
        0x83 => head.get(5..)?,
        _ => return None,
    };
    if body.starts_with(b"\x02\x01\x03\x30") {
        Some("application/x-pkcs12")
    } else if body.starts_with(b"\x02\x01\x00\x30")
        || body.starts_with(b"\x02\x01\x00\x02\x82")
        || body.starts_with(b"\x02\x01\x00\x02\x81")
    {
        Some("application/pkcs8")
    } else {
        None
    }
}

/// Sharpens what `infer` said when the header tells more.
pub(super) fn refine(mime: &'static str, head: &[u8], name: Option<&str>) -> &'static str {
    match mime {
        "application/x-executable" if head.starts_with(b"\x7FELF") => match elf_kind(head) {
            // Some libraries can run (glibc's libc.so.6 has an interpreter):
            // a shared-object name settles it.
            "application/x-executable"
                if name.is_some_and(is_shared_object_name) && head.get(16) == Some(&3) =>
            {
                "application/x-sharedlib"
            }
            kind => kind,
        },
        "font/woff" if head.starts_with(b"wOF2") => "font/woff2",
        "application/zip" => zip_kind(head),
        "application/msword" | "application/x-ole-storage" | "application/x-cfb"
            if is_outlook_item(head, name) =>
        {
            "application/vnd.ms-outlook"
        }
        other => other,
    }
}

/// An Outlook item (`.msg`): a compound file whose directory names MAPI
/// property streams (`__substg1.0_…`, `__properties_version1.0`), as
/// [MS-OXMSG] lays it out; the directory usually sits in the first
/// sectors. A `.msg` name settles a compound file whose directory is
/// further in.
fn is_outlook_item(head: &[u8], name: Option<&str>) -> bool {
    let utf16 =
        |text: &str| -> Vec<u8> { text.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let named = ["__substg1.0_", "__properties_version1.0"]
        .iter()
        .any(|stream| memchr::memmem::find(head, &utf16(stream)).is_some());
    named
        || name.is_some_and(|n| {
            crate::name::basename(n)
                .to_ascii_lowercase()
                .ends_with(".msg")
        })
}

/// `libfoo.so`, `libfoo.so.6`, `libfoo.so.1.2.3`.
fn is_shared_object_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.ends_with(".so") || base.contains(".so.")
}

/// ELF e_type: relocatable object, executable, shared object or core dump.
/// A position-independent executable is a shared object with an
/// interpreter (PT_INTERP); it is reported as an executable.
fn elf_kind(head: &[u8]) -> &'static str {
    let little_endian = head.get(5) == Some(&1);
    let wide = head.get(4) == Some(&2);
    let u16_at = |at: usize| {
        head.get(at..at + 2).map(|b| {
            if little_endian {
                u16::from_le_bytes([b[0], b[1]])
            } else {
                u16::from_be_bytes([b[0], b[1]])
            }
        })
    };
    let u32_at = |at: usize| {
        head.get(at..at + 4).map(|b| {
            let b = [b[0], b[1], b[2], b[3]];
            if little_endian {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        })
    };
    let u64_at = |at: usize| {
        head.get(at..at + 8).map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            if little_endian {
                u64::from_le_bytes(a)
            } else {
                u64::from_be_bytes(a)
            }
        })
    };
    match u16_at(16) {
        Some(1) => "application/x-object",
        Some(4) => "application/x-coredump",
        Some(3) => {
            let (phoff, entsize, count) = if wide {
                (u64_at(32).map(|v| v as usize), u16_at(54), u16_at(56))
            } else {
                (u32_at(28).map(|v| v as usize), u16_at(42), u16_at(44))
            };
            let interpreted = match (phoff, entsize, count) {
                (Some(off), Some(size), Some(n)) => {
                    (0..usize::from(n)).any(|i| u32_at(off + i * usize::from(size)) == Some(3))
                }
                _ => false,
            };
            if interpreted {
                "application/x-executable"
            } else {
                "application/x-sharedlib"
            }
        }
        _ => "application/x-executable",
    }
}

/// Zip containers whose first entries name what they are (Java and Android
/// packages) and that `infer` reports as plain zip.
fn zip_kind(head: &[u8]) -> &'static str {
    let mut offset = 0;
    let mut jar = false;
    while let Some(header) = head.get(offset..offset + 30) {
        if &header[..4] != b"PK\x03\x04" {
            break;
        }
        let compressed =
            u32::from_le_bytes([header[18], header[19], header[20], header[21]]) as usize;
        let name_len = u16::from_le_bytes([header[26], header[27]]) as usize;
        let extra_len = u16::from_le_bytes([header[28], header[29]]) as usize;
        let Some(name) = head.get(offset + 30..offset + 30 + name_len) else {
            break;
        };
        match name {
            b"AndroidManifest.xml" | b"classes.dex" | b"resources.arsc" => {
                return "application/vnd.android.package-archive";
            }
            b"META-INF/MANIFEST.MF" | b"META-INF/" => jar = true,
            _ => {}
        }
        // A streamed entry (data descriptor flag) hides its size: stop there.
        if header[6] & 0x08 != 0 {
            break;
        }
        offset += 30 + name_len + extra_len + compressed;
    }
    if jar {
        "application/java-archive"
    } else {
        "application/zip"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystores_and_data_lake_formats() {
        assert_eq!(
            sniff_signature(b"\xFE\xED\xFE\xED\0\0\0\x02"),
            Some("application/x-java-keystore")
        );
        assert_eq!(
            sniff_signature(b"PAR1\x15\x04"),
            Some("application/vnd.apache.parquet")
        );
        assert_eq!(
            sniff_signature(b"Obj\x01\x04\x14avro.schema"),
            Some("application/vnd.apache.avro")
        );
        assert_eq!(sniff_signature(b"ORCHARD"), None);
    }

    #[test]
    fn der_pkcs12_and_private_keys_are_told_apart() {
        assert_eq!(
            der_kind(b"\x30\x82\x0a\x1b\x02\x01\x03\x30\x82"),
            Some("application/x-pkcs12")
        );
        assert_eq!(
            der_kind(b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01"),
            Some("application/pkcs8")
        );
        // A certificate starts with a nested SEQUENCE, not a version INTEGER.
        assert_eq!(der_kind(b"\x30\x82\x03\x0d\x30\x82\x01\xf5"), None);
    }

    #[test]
    fn elf_types() {
        let mut elf = b"\x7FELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0".to_vec();
        assert_eq!(elf_kind(&elf), "application/x-sharedlib");
        // A PIE: ET_DYN whose first program header is PT_INTERP.
        let mut pie = elf.clone();
        pie.resize(64, 0);
        pie[32] = 64; // e_phoff
        pie[54] = 56; // e_phentsize
        pie[56] = 1; // e_phnum
        pie.extend_from_slice(&[3, 0, 0, 0]);
        assert_eq!(elf_kind(&pie), "application/x-executable");
        elf[16] = 4;
        assert_eq!(elf_kind(&elf), "application/x-coredump");
    }
}
