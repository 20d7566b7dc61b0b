//! E-mail messages (RFC 5322 and MIME), parsed with `mail-parser`: the
//! header block as it is, then every text body decoded from its transfer
//! encoding and charset (an HTML-only message is read as text). Each
//! attachment, base64 and quoted-printable decoded, goes back to the
//! pipeline as an embedded file (`message.eml!/report.xlsx`), so a
//! spreadsheet, an archive or a forwarded message inside is read too.

use assay_classifiers::place::Place;
use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::{DocumentError, Embedded, Format, Text};

pub(super) fn extract(
    bytes: &[u8],
    text: &mut Text<'_>,
    embedded: &mut dyn FnMut(Embedded<'_>),
) -> Result<(), DocumentError> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| DocumentError::corrupt(Format::Mail, "no message headers"))?;
    let root = message.root_part();
    let headers = bytes
        .get(root.offset_header as usize..root.offset_body as usize)
        .unwrap_or_default();
    text.mark(Place::part("headers"))?;
    text.write(&String::from_utf8_lossy(headers))?;
    text.end_line()?;
    for index in 0..message.text_body.len() {
        if let Some(body) = message.body_text(index) {
            text.mark(Place::part("body"))?;
            text.write(&body)?;
            text.end_line()?;
        }
    }
    for (index, part) in message.attachments().enumerate() {
        text.check_time()?;
        let name = match (part.attachment_name(), &part.body) {
            (Some(name), _) => name.replace('/', "_"),
            (None, PartType::Message(_)) => format!("attachment-{}.eml", index + 1),
            (None, _) => format!("attachment-{}", index + 1),
        };
        let contents = part.contents();
        embedded(Embedded {
            name,
            size: contents.len() as u64,
            content: &mut std::io::Cursor::new(contents),
        });
    }
    Ok(())
}
