//! Verification as data: the `verify` table a detector may carry (how one
//! read-only call to the credential's own provider tells a live secret from
//! a dead one). The verdicts are in [`crate::verdict`].
//!
//! Nothing here performs I/O: the `assay-verify` crate makes the calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::companion::Companion;

/// The placeholder replaced by the secret in a verifier's URL query,
/// headers, basic-auth fields and body.
pub const SECRET_PLACEHOLDER: &str = "{secret}";

/// How a detector's findings are verified (the `verify` table of a
/// detector in `catalog/detectors*.toml`; the header of `detectors.toml`
/// documents every field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySpec {
    /// Short name of the provider (`github`, `slack`, `aws`): rate limits,
    /// the cache and the `ASSAY_VERIFY_ENDPOINT_<PROVIDER>` test hook are
    /// per provider.
    pub provider: String,
    /// For AWS key parts: which part of the key this detector finds. The
    /// call (STS GetCallerIdentity, SigV4-signed) is code, not data.
    #[serde(default)]
    pub aws: Option<AwsPart>,
    /// For credentials checked with values found next to them in the same
    /// object (an account SID, a key file's email, a shop domain): which
    /// check. Its call is code ([`Paired::origin`]), listed in
    /// docs/verify.md.
    #[serde(default)]
    pub paired: Option<Paired>,
    #[serde(default)]
    pub method: HttpMethod,
    /// The provider's fixed `https://` URL; `{secret}` may appear only in
    /// the path or query, never in the host.
    #[serde(default)]
    pub url: Option<String>,
    /// Request headers; values may hold `{secret}`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// HTTP basic authentication; either field may hold `{secret}`.
    #[serde(default)]
    pub basic: Option<BasicAuth>,
    /// A request body (with `content_type`); may hold `{secret}`.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// Answers that prove the secret works.
    #[serde(default)]
    pub live: Vec<Matcher>,
    /// Answers that say the provider refused it (revoked, unknown).
    #[serde(default)]
    pub dead: Vec<Matcher>,
    /// Answers that mean "slow down": retried with backoff (429 always is).
    #[serde(default)]
    pub rate_limited: Vec<Matcher>,
    /// A JSON pointer into a live answer naming the identity the secret
    /// grants (a login, an account), reported in `provider_detail`.
    #[serde(default)]
    pub identity: Option<String>,
    /// What a live answer proves, for docs/verify.md.
    pub proves: String,
}

/// A check in code that pairs the credential with companion values found
/// in the same object ([`crate::companion`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paired {
    /// An auth token (or API key SID and secret) with its account SID.
    Twilio,
    /// A service-account key file: a signed JWT exchanged for a token.
    GcpServiceAccount,
    /// A storage account key with its account name (Shared Key signing).
    AzureStorage,
    /// An Entra ID client secret with its tenant and client id.
    AzureEntra,
    /// An Admin API access token with its shop domain.
    Shopify,
    /// A Docker Hub personal access token with its username.
    DockerHub,
}

impl Paired {
    /// The companion values the check needs, each found in the same object.
    pub fn companions(self) -> &'static [Companion] {
        match self {
            Self::Twilio => &[Companion::TwilioAccountSid],
            Self::GcpServiceAccount => &[
                Companion::GcpClientEmail,
                Companion::GcpPrivateKey,
                Companion::GcpProjectId,
            ],
            Self::AzureStorage => &[Companion::AzureAccountName, Companion::AzureEndpointSuffix],
            Self::AzureEntra => &[Companion::AzureTenantId, Companion::AzureClientId],
            Self::Shopify => &[Companion::ShopifyShop],
            Self::DockerHub => &[Companion::DockerUsername],
        }
    }

    /// Where the call goes; `{account}` and `{shop}` stand for a name that
    /// is validated against the provider's format before it is used.
    pub fn origin(self) -> &'static str {
        match self {
            Self::Twilio => "https://api.twilio.com",
            Self::GcpServiceAccount => "https://oauth2.googleapis.com",
            Self::AzureStorage => "https://{account}.blob.core.windows.net",
            Self::AzureEntra => "https://login.microsoftonline.com",
            Self::Shopify => "https://{shop}.myshopify.com",
            Self::DockerHub => "https://hub.docker.com",
        }
    }
}

/// Which part of an AWS key pair a detector finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsPart {
    AccessKeyId,
    SecretAccessKey,
    SessionToken,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpMethod {
    #[default]
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "HEAD")]
    Head,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Head => "HEAD",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub user: String,
    #[serde(default)]
    pub password: String,
}

/// One kind of answer: its status is one of `status` (any when empty) and
/// its body contains every string of `body`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    #[serde(default)]
    pub status: Vec<u16>,
    #[serde(default)]
    pub body: Vec<String>,
}

impl Matcher {
    pub fn matches(&self, status: u16, body: &str) -> bool {
        (self.status.is_empty() || self.status.contains(&status))
            && self
                .body
                .iter()
                .all(|needle| body.contains(needle.as_str()))
    }
}

impl VerifySpec {
    /// Problems with the table, for [`crate::Catalog::check`].
    pub fn problem(&self) -> Option<String> {
        if self.provider.is_empty()
            || !self
                .provider
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Some("verify.provider must be lower-case letters, digits and _".into());
        }
        match (&self.aws, &self.paired, &self.url) {
            (Some(_), None, None) | (None, Some(_), None) => return None,
            (None, None, Some(_)) => {}
            (None, None, None) => return Some("verify needs a url (or aws, or paired)".into()),
            _ => return Some("verify has more than one of aws, paired and url".into()),
        }
        let url = self.url.as_deref().unwrap_or_default();
        let Some(rest) = url.strip_prefix("https://") else {
            return Some("verify.url must be https://".into());
        };
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        if host.is_empty() || host.contains('{') || host.contains('@') {
            return Some("verify.url needs a fixed host (no {secret}, no user info)".into());
        }
        if self.live.is_empty() || self.dead.is_empty() {
            return Some("verify needs live and dead matchers".into());
        }
        let uses_secret = url.contains(SECRET_PLACEHOLDER)
            || self
                .headers
                .values()
                .any(|v| v.contains(SECRET_PLACEHOLDER))
            || self.basic.as_ref().is_some_and(|b| {
                b.user.contains(SECRET_PLACEHOLDER) || b.password.contains(SECRET_PLACEHOLDER)
            })
            || self
                .body
                .as_deref()
                .is_some_and(|b| b.contains(SECRET_PLACEHOLDER));
        if !uses_secret {
            return Some("verify never sends {secret}".into());
        }
        None
    }

    /// The scheme and host the call goes to (`https://api.github.com`).
    pub fn origin(&self) -> Option<&str> {
        let url = self.url.as_deref()?;
        let after = url.find("://")? + 3;
        let end = url[after..]
            .find(['/', '?'])
            .map_or(url.len(), |at| after + at);
        Some(&url[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str) -> VerifySpec {
        VerifySpec {
            provider: "example".into(),
            aws: None,
            paired: None,
            method: HttpMethod::Get,
            url: Some(url.into()),
            headers: BTreeMap::from([("Authorization".into(), "Bearer {secret}".into())]),
            basic: None,
            body: None,
            content_type: None,
            live: vec![Matcher {
                status: vec![200],
                body: vec![],
            }],
            dead: vec![Matcher {
                status: vec![401],
                body: vec![],
            }],
            rate_limited: vec![],
            identity: None,
            proves: "it works".into(),
        }
    }

    #[test]
    fn hosts_are_fixed_and_tls() {
        assert_eq!(spec("https://api.example.com/v1/me").problem(), None);
        assert_eq!(
            spec("https://api.example.com/v1/me").origin(),
            Some("https://api.example.com")
        );
        assert!(spec("http://api.example.com/v1/me").problem().is_some());
        assert!(spec("https://{secret}.example.com/").problem().is_some());
        assert!(
            spec("https://user:{secret}@example.com/")
                .problem()
                .is_some()
        );
        let mut silent = spec("https://api.example.com/");
        silent.headers.clear();
        assert!(silent.problem().is_some());
        // A paired check is code: it has no url of its own.
        let mut paired = spec("https://api.example.com/");
        paired.paired = Some(Paired::Shopify);
        assert!(paired.problem().is_some(), "paired and url");
        paired.url = None;
        assert_eq!(paired.problem(), None);
        assert_eq!(Paired::Shopify.origin(), "https://{shop}.myshopify.com");
    }

    #[test]
    fn matchers_need_status_and_every_body_part() {
        let m = Matcher {
            status: vec![200],
            body: vec!["\"ok\":true".into()],
        };
        assert!(m.matches(200, "{\"ok\":true,\"user\":\"u\"}"));
        assert!(!m.matches(200, "{\"ok\":false}"));
        assert!(!m.matches(201, "{\"ok\":true}"));
    }
}
