//! What `--verify` says of a finding (`verification` in records: status,
//! when, and what the provider said), and [`Secret`], the raw match kept in
//! memory for that call only. Apart from [`crate::verify`] (the catalog's
//! `verify` tables) so the catalog does not depend on detection.

use serde::{Deserialize, Serialize};

/// Whether a secret looks like a documented example or a placeholder: such
/// a value is never sent anywhere, whatever the detector's own validators
/// let through (its `ignore` values, then the `not_placeholder` check).
pub fn looks_like_example(item: &crate::catalog::DetectorItem, secret: &str) -> bool {
    item.ignore
        .iter()
        .any(|value| secret.contains(value.as_str()))
        || !crate::detect::Validator::NotPlaceholder.check(secret.as_bytes())
}

/// A verdict on a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationStatus {
    /// The provider accepted it: it works now.
    Live,
    /// The provider refused it (revoked, deleted, never valid).
    Dead,
    /// The provider answered in a way that does not tell.
    Unknown,
    /// No answer (timeout, connection failure, still rate limited).
    Error,
}

impl VerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Dead => "dead",
            Self::Unknown => "unknown",
            Self::Error => "error",
        }
    }

    /// Which of two verdicts on one finding's secrets stands: any live one
    /// makes the finding live; dead only when every checked one is dead.
    pub fn precedence(self) -> u8 {
        match self {
            Self::Live => 0,
            Self::Error => 1,
            Self::Unknown => 2,
            Self::Dead => 3,
        }
    }
}

/// `verification` on a `regexes` entry: the verdict on the secrets of that
/// finding that were checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub status: VerificationStatus,
    /// RFC 3339, when the provider answered (or the call gave up).
    pub checked_at: String,
    pub provider_detail: ProviderDetail,
}

/// What the provider said, never the secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderDetail {
    pub provider: String,
    /// The HTTP status of the deciding answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The account the credential belongs to (AWS account id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Who the credential acts as (AWS principal ARN, a login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Why the verdict is unknown or an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A raw secret kept in memory for verification only: never serialized,
/// and its `Debug` shows only the redacted form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Box<str>);

impl Secret {
    pub fn new(value: &str) -> Self {
        Self(value.into())
    }

    /// The secret itself, to send to its provider.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", crate::detect::redact(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_debug_prints_redacted() {
        let secret = Secret::new("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
        let printed = format!("{secret:?} {:?}", vec![secret.clone()]);
        assert!(!printed.contains("aBcDeFgHiJ"), "{printed}");
        assert!(printed.contains("ghp_"), "{printed}");
    }
}
