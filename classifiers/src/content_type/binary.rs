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
pub(super) fn refine(mime: &'static str, head: &[u8]) -> &'static str {
    match mime {
        "application/x-executable" if head.starts_with(b"\x7FELF") => elf_kind(head),
        "application/zip" => zip_kind(head),
        other => other,
    }
}

/// ELF e_type: relocatable object, executable, shared object or core dump.
fn elf_kind(head: &[u8]) -> &'static str {
    let little_endian = head.get(5) == Some(&1);
    let e_type = match head.get(16..18) {
        Some(b) if little_endian => u16::from_le_bytes([b[0], b[1]]),
        Some(b) => u16::from_be_bytes([b[0], b[1]]),
        None => return "application/x-executable",
    };
    match e_type {
        1 => "application/x-object",
        3 => "application/x-sharedlib",
        4 => "application/x-coredump",
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
        elf[16] = 4;
        assert_eq!(elf_kind(&elf), "application/x-coredump");
    }
}
