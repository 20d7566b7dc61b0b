//! PDF, read with `lopdf`: the text of each page, marked with its page
//! number. Documents encrypted with an empty user password (print or copy
//! restrictions only) are decrypted and read; others are reported as
//! encrypted.

use assay_classifiers::place::Place;

use super::{DocumentError, Format, Text};

/// Decompressed bytes of one page's content streams (a bomb guard).
const MAX_PAGE_CONTENT: usize = 64 << 20;

pub(super) fn extract(bytes: &[u8], text: &mut Text<'_, '_>) -> Result<(), DocumentError> {
    let document = match lopdf::Document::load_mem(bytes) {
        Ok(document) => document,
        Err(lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword) => {
            return Err(DocumentError::Encrypted {
                format: Format::Pdf.name(),
            });
        }
        Err(error) => return Err(DocumentError::corrupt(Format::Pdf, error)),
    };
    if document.is_encrypted() && document.encryption_state.is_none() {
        return Err(DocumentError::Encrypted {
            format: Format::Pdf.name(),
        });
    }
    let mut failed = None;
    for number in document.get_pages().into_keys() {
        text.check_time()?;
        match document.extract_text_with_limit(&[number], MAX_PAGE_CONTENT) {
            Ok(page) => {
                text.mark(Place::page(number))?;
                text.write(&page)?;
                text.end_line()?;
            }
            // One unreadable page does not hide the others.
            Err(error) => {
                failed.get_or_insert_with(|| format!("page {number}: {error}"));
            }
        }
    }
    match failed {
        Some(message) => Err(DocumentError::corrupt(Format::Pdf, message)),
        None => Ok(()),
    }
}
