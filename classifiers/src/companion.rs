//! Companion values: what a credential needs beside itself to be verified
//! (Twilio's account SID next to an auth token, the client email and
//! private key of a GCP key file, the account name of an Azure connection
//! string, a tenant and client id, a shop domain, a Docker Hub username).
//! They are found only with `--verify`, in the same object as the
//! credential, by the names they go by; they are never reported and, like
//! raw secrets, only kept in memory for the call.
//!
//! The patterns here are deliberately loose about the value itself: the
//! verifier validates each value strictly (a shop or account name that
//! becomes part of a host name must match the provider's own format), so a
//! malformed one is refused there, visibly, rather than silently missed.

use regex::bytes::Regex;

/// A kind of companion value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Companion {
    /// `AC` and 32 hex digits: the account a Twilio auth token or API key
    /// belongs to (the user name of its basic auth and part of the path).
    TwilioAccountSid,
    /// A GCP key file's `client_email` (the service account).
    GcpClientEmail,
    /// A GCP key file's `private_key` (PKCS#8 PEM, JSON-escaped).
    GcpPrivateKey,
    /// A GCP key file's `project_id` (reported, never sent).
    GcpProjectId,
    /// `AccountName=` of an Azure storage connection string.
    AzureAccountName,
    /// `EndpointSuffix=` of an Azure storage connection string (the cloud).
    AzureEndpointSuffix,
    /// A directory (tenant) id by its usual names (`AZURE_TENANT_ID`, ...).
    AzureTenantId,
    /// An application (client) id by its usual names (`AZURE_CLIENT_ID`, ...).
    AzureClientId,
    /// The shop of a `{shop}.myshopify.com` domain.
    ShopifyShop,
    /// A Docker Hub username (`DOCKER_USERNAME=`, `docker login -u`, ...).
    DockerUsername,
}

/// `[0-9a-f]{8}-...`: a GUID as Microsoft writes them.
const GUID: &str = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}";
/// An assignment after a name: `=`, `:`, `=>`, quotes around either side.
const ASSIGN: &str = r#"["'`]?\s*(?:[:=]|=>)\s*["'`]?"#;

impl Companion {
    pub const ALL: [Companion; 10] = [
        Self::TwilioAccountSid,
        Self::GcpClientEmail,
        Self::GcpPrivateKey,
        Self::GcpProjectId,
        Self::AzureAccountName,
        Self::AzureEndpointSuffix,
        Self::AzureTenantId,
        Self::AzureClientId,
        Self::ShopifyShop,
        Self::DockerUsername,
    ];

    /// The pattern; its group 1 is the value.
    fn pattern(self) -> String {
        match self {
            Self::TwilioAccountSid => r"\b(AC[0-9a-f]{32})\b".into(),
            Self::GcpClientEmail => r#""client_email"\s*:\s*"([^"\s]{1,254})""#.into(),
            Self::GcpPrivateKey => {
                r#""private_key"\s*:\s*"(-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\\\s]+-----END PRIVATE KEY-----(?:\\n)?)""#.into()
            }
            Self::GcpProjectId => r#""project_id"\s*:\s*"([a-z][a-z0-9-]{4,28}[a-z0-9])""#.into(),
            Self::AzureAccountName => r#"(?i:\bAccountName)\s*=\s*([^;"'`\s]{1,64})"#.into(),
            Self::AzureEndpointSuffix => {
                r#"(?i:\bEndpointSuffix)\s*=\s*([^;"'`\s]{1,128})"#.into()
            }
            Self::AzureTenantId => format!(
                r"(?i:(?:\b|_)(?:tenant|directory)(?:[_\-]?id)?){ASSIGN}({GUID})\b"
            ),
            Self::AzureClientId => format!(
                r"(?i:(?:\b|_)(?:client|app|application)[_\-]?id){ASSIGN}({GUID})\b"
            ),
            Self::ShopifyShop => r"(?i)\b([a-z0-9][a-z0-9_.\-]{0,80})\.myshopify\.com\b".into(),
            Self::DockerUsername => format!(
                r#"(?i:(?:\b|_)docker(?:hub)?[_\-]?(?:user(?:name)?|login|id){ASSIGN}|\bdocker\s+login\b[^\n|;&]*?\s(?:-u|--username)(?:\s+|=)["']?|"username"\s*:\s*")([A-Za-z0-9_.\-]{{1,64}})"#
            ),
        }
    }
}

/// The compiled companion patterns.
#[derive(Debug)]
pub struct CompanionSet {
    patterns: Vec<(Companion, Regex)>,
}

impl CompanionSet {
    pub fn new() -> Result<Self, regex::Error> {
        let patterns = Companion::ALL
            .iter()
            .map(|&c| Regex::new(&format!("(?-u){}", c.pattern())).map(|r| (c, r)))
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    /// Hands each value of `text` whose match starts in `owned` to
    /// `take`, kind by kind, until `take` says it wants no more of a kind.
    pub fn scan(
        &self,
        text: &[u8],
        owned: std::ops::Range<usize>,
        mut take: impl FnMut(Companion, &str) -> More,
    ) {
        for (kind, regex) in &self.patterns {
            for caps in regex.captures_iter(&text[owned.start..]) {
                let (Some(whole), Some(value)) = (caps.get(0), caps.get(1)) else {
                    continue;
                };
                if owned.start + whole.start() >= owned.end {
                    break;
                }
                let value = String::from_utf8_lossy(value.as_bytes());
                if take(*kind, &value) == More::Enough {
                    break;
                }
            }
        }
    }
}

/// Whether [`CompanionSet::scan`] goes on with a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum More {
    Wanted,
    Enough,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Vec<(Companion, String)> {
        let set = CompanionSet::new().unwrap();
        let mut found = Vec::new();
        set.scan(text.as_bytes(), 0..text.len(), |kind, value| {
            found.push((kind, value.to_string()));
            More::Wanted
        });
        found
    }

    #[test]
    fn each_companion_is_found_by_its_names() {
        let text = r#"TWILIO_ACCOUNT_SID=AC5e0f3c9d2b8a47e1f6c3d9a0b2e4f718
{"type": "service_account", "project_id": "demo-rk2f9q", "client_email": "ci@demo-rk2f9q.iam.gserviceaccount.com"}
DefaultEndpointsProtocol=https;AccountName=demostore7q;AccountKey=abc==;EndpointSuffix=core.windows.net
AZURE_TENANT_ID=7c1e4b9a-2f3d-4e8b-9a6c-5d0f1e2a3b4c
"appId": "0b9f8e7d-6c5b-4a39-8271-605f4e3d2c1b"
SHOP=demo-store-41.myshopify.com
echo $PAT | docker login -u buildbot7 --password-stdin
"#;
        let found = find(text);
        let get = |kind| {
            found
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            get(Companion::TwilioAccountSid),
            ["AC5e0f3c9d2b8a47e1f6c3d9a0b2e4f718"]
        );
        assert_eq!(get(Companion::GcpProjectId), ["demo-rk2f9q"]);
        assert_eq!(
            get(Companion::GcpClientEmail),
            ["ci@demo-rk2f9q.iam.gserviceaccount.com"]
        );
        assert_eq!(get(Companion::AzureAccountName), ["demostore7q"]);
        assert_eq!(get(Companion::AzureEndpointSuffix), ["core.windows.net"]);
        assert_eq!(
            get(Companion::AzureTenantId),
            ["7c1e4b9a-2f3d-4e8b-9a6c-5d0f1e2a3b4c"]
        );
        assert_eq!(
            get(Companion::AzureClientId),
            ["0b9f8e7d-6c5b-4a39-8271-605f4e3d2c1b"]
        );
        assert_eq!(get(Companion::ShopifyShop), ["demo-store-41"]);
        assert_eq!(get(Companion::DockerUsername), ["buildbot7"]);
    }

    #[test]
    fn values_need_their_names_and_matches_outside_the_owned_range_wait() {
        // A bare GUID is no tenant, a bare word no username.
        assert!(find("id 7c1e4b9a-2f3d-4e8b-9a6c-5d0f1e2a3b4c and buildbot7").is_empty());
        let text = "x AZURE_CLIENT_ID=0b9f8e7d-6c5b-4a39-8271-605f4e3d2c1b";
        let set = CompanionSet::new().unwrap();
        let mut found = 0;
        set.scan(text.as_bytes(), 0..1, |_, _| {
            found += 1;
            More::Wanted
        });
        assert_eq!(found, 0, "the match starts after the owned range");
        set.scan(text.as_bytes(), 1..text.len(), |_, _| {
            found += 1;
            More::Wanted
        });
        assert_eq!(found, 1);
    }
}
