//! Redaction: the only form in which a detected secret leaves the engine.

/// Keeps at most the first four characters (fewer for short secrets, never
/// more than a quarter) and the length.
///
/// ```
/// use assay_classifiers::detect::redact;
/// assert_eq!(redact(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzzzz"), "wJal…(42 chars)");
/// assert_eq!(redact(b"hunter22"), "hu…(8 chars)");
/// assert_eq!(redact(b"abc"), "…(3 chars)");
/// ```
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let count = text.chars().count();
    let keep = (count / 4).min(4);
    let prefix: String = text
        .chars()
        .take(keep)
        .filter(|c| !c.is_control())
        .collect();
    format!("{prefix}…({count} chars)")
}
