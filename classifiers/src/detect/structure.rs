//! Structure checks for tokens that carry their own format: a JWT's header
//! and payload are JSON, a basic-auth credential decodes to `user:password`,
//! an OpenSSH private key names its cipher.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

fn decode_base64url(part: &[u8]) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(part.strip_suffix(b"=").unwrap_or(part))
        .ok()
}

fn decode_base64_prefix(text: &[u8], max: usize) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .take(max)
        .collect();
    let usable = clean.len() / 4 * 4;
    STANDARD_NO_PAD.decode(&clean[..usable]).ok()
}

/// A JWT whose header decodes to a JSON object naming an `alg` and whose
/// payload decodes to a JSON object.
pub fn jwt(s: &[u8]) -> bool {
    let mut parts = s.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let header = decode_base64url(header).unwrap_or_default();
    let payload = decode_base64url(payload).unwrap_or_default();
    header.starts_with(b"{")
        && header.windows(5).any(|w| w == b"\"alg\"")
        && payload.starts_with(b"{")
}

/// HTTP basic credentials: base64 of printable `user:password`.
pub fn basic_auth(s: &[u8]) -> bool {
    let trimmed: Vec<u8> = s.iter().copied().filter(|&b| b != b'=').collect();
    let Ok(decoded) = STANDARD_NO_PAD.decode(&trimmed) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && colon + 1 < decoded.len()
        && decoded.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
}

/// The cipher an OpenSSH private key's body names (`none` when the key is
/// stored in the clear).
pub fn openssh_cipher(body: &[u8]) -> Option<String> {
    let decoded = decode_base64_prefix(body, 96)?;
    let rest = decoded.strip_prefix(b"openssh-key-v1\0")?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let name = rest.get(4..4 + len)?;
    Some(String::from_utf8_lossy(name).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_and_basic_auth_structure() {
        // {"alg":"HS256","typ":"JWT"}.{"sub":"1234567890"}.sig
        assert!(jwt(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"));
        assert!(!jwt(
            b"eyJub3RoaW5nIjoiaGVyZSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
        ));
        assert!(basic_auth(b"YWxhZGRpbjpvcGVuc2VzYW1l"));
        assert!(!basic_auth(b"bm9jb2xvbmhlcmVhdGFsbA=="));
    }

    #[test]
    fn openssh_cipher_is_read_from_the_body() {
        let plain = b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
        assert_eq!(openssh_cipher(plain).as_deref(), Some("none"));
        let encrypted = b"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABB";
        assert_eq!(openssh_cipher(encrypted).as_deref(), Some("aes256-ctr"));
    }
}
