//! What the content sniffer concludes of an object: its media type and the
//! text encoding the other classifiers read it in. A leaf, so that the
//! classifiers that take a sniff need not depend on the sniffer.

/// The text encoding the sniffer found, which decides how the other
/// classifiers read the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, ASCII, or another ASCII-compatible 8-bit text.
    Utf8,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// No text to read (images, executables, compressed or encrypted data).
    Binary,
}

/// What the sniffer concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub mime: &'static str,
    pub encoding: TextEncoding,
}
