//! How fed bytes become the UTF-8 the classifiers read: as they are, or
//! decoded from UTF-16 with `encoding_rs`, a piece at a time.

use super::gathered::Gathered;
use crate::sniffed::TextEncoding;

/// How fed bytes become the UTF-8 the classifiers read: as they are, or
/// decoded from UTF-16 (a leading byte-order mark dropped; a pair or
/// surrogate cut between two pieces is carried over to the next).
pub(super) enum Decoder {
    Identity,
    Utf16(Box<encoding_rs::Decoder>),
}

impl Decoder {
    pub(super) fn for_encoding(encoding: TextEncoding) -> Self {
        match encoding {
            TextEncoding::Utf16Le => Self::Utf16(Box::new(
                encoding_rs::UTF_16LE.new_decoder_with_bom_removal(),
            )),
            TextEncoding::Utf16Be => Self::Utf16(Box::new(
                encoding_rs::UTF_16BE.new_decoder_with_bom_removal(),
            )),
            TextEncoding::Utf8 | TextEncoding::Binary => Self::Identity,
        }
    }

    pub(super) fn push(&mut self, data: &[u8], out: &mut Gathered) {
        let Decoder::Utf16(decoder) = self else {
            out.extend(data);
            return;
        };
        // UTF-16 takes at most 3 bytes of UTF-8 per 2 bytes in, plus what a
        // carried-over half pair completes.
        let room = decoder
            .max_utf8_buffer_length(data.len())
            .unwrap_or(data.len() * 2 + 8);
        let (_, _, written, _) = decoder.decode_to_utf8(data, out.room(room), false);
        out.commit(written);
    }

    /// Whether bytes read in are the text as they are.
    pub(super) fn is_identity(&self) -> bool {
        matches!(self, Decoder::Identity)
    }
}
