//! The data-driven HTTP verifier: builds the request a detector's `verify`
//! table describes (the secret in a header, basic auth, the URL's path or
//! query, or a body), sends it over TLS to the provider's fixed host, and
//! reads the answer with the table's live, dead and rate-limited matchers.
//! Timeouts, 429s and 5xx answers are retried with exponential backoff
//! (a `Retry-After` of a few seconds is honoured).

use std::time::Duration;

use assay_classifiers::verdict::{ProviderDetail, Secret, VerificationStatus};
use assay_classifiers::verify::{HttpMethod, SECRET_PLACEHOLDER, VerifySpec};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::{Inner, Outcome, VerifyError, scrub};

/// The most of an answer read: enough for any documented identity body.
const MAX_BODY: usize = 256 * 1024;
/// The longest `Retry-After` honoured; longer ones count as the backoff.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The longest wait between attempts, however many retries are set.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest identity kept from an answer.
const MAX_IDENTITY: usize = 200;
/// What is percent-encoded when the secret goes in a path or query: all but
/// unreserved characters and `:` (a Telegram token's separator, valid in a
/// path segment).
const IN_URL: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':');

/// What every verification call says it is.
pub(crate) const USER_AGENT: &str = concat!(
    "assay/",
    env!("CARGO_PKG_VERSION"),
    " (credential verification)"
);

/// An HTTPS (and, for the test hook only, plain HTTP) client on the
/// hyper/rustls stack the AWS SDK already uses.
pub struct Client {
    inner: hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<Connector>, Full<Bytes>>,
}

/// The connection under TLS: straight to the provider, or through the
/// HTTPS proxy the standard variables name (`HTTPS_PROXY`, `ALL_PROXY`,
/// `NO_PROXY`), as a CONNECT tunnel, so the proxy sees the host and port
/// and never the request. Plain-HTTP destinations (the test hook) always
/// go direct: a secret never crosses a proxy unencrypted.
#[derive(Clone)]
pub struct Connector {
    direct: HttpConnector,
    proxy: std::sync::Arc<hyper_util::client::proxy::matcher::Matcher>,
}

type Connecting = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<
                    hyper_util::rt::TokioIo<tokio::net::TcpStream>,
                    Box<dyn std::error::Error + Send + Sync>,
                >,
            > + Send,
    >,
>;

impl tower_service::Service<http::Uri> for Connector {
    type Response = hyper_util::rt::TokioIo<tokio::net::TcpStream>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Connecting;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let intercept = (dst.scheme_str() == Some("https"))
            .then(|| self.proxy.intercept(&dst))
            .flatten();
        match intercept {
            Some(intercept) => {
                let mut tunnel = hyper_util::client::legacy::connect::proxy::Tunnel::new(
                    intercept.uri().clone(),
                    self.direct.clone(),
                );
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move {
                    tunnel
                        .call(dst)
                        .await
                        .map_err(|e| format!("through the HTTPS proxy: {e}").into())
                })
            }
            None => {
                let mut direct = self.direct.clone();
                Box::pin(async move { direct.call(dst).await.map_err(Into::into) })
            }
        }
    }
}

impl Client {
    pub fn new(proxy: &Proxy) -> Result<Self, VerifyError> {
        use hyper_rustls::ConfigBuilderExt;
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| VerifyError::Tls(e.to_string()))?;
        let tls = match builder.clone().with_native_roots() {
            Ok(config) => config.with_no_client_auth(),
            Err(error) => {
                // Calls to real providers will then fail as errors, not
                // as verdicts; the scan itself goes on.
                tracing::warn!("no system TLS roots ({error}); provider calls will fail");
                builder
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            }
        };
        let mut direct = HttpConnector::new();
        direct.enforce_http(false);
        let mut matcher = hyper_util::client::proxy::matcher::Matcher::builder();
        if let Some(https) = &proxy.https {
            matcher = matcher.https(https.as_str());
        }
        if let Some(no) = &proxy.no {
            matcher = matcher.no(no.as_str());
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(Connector {
                direct,
                proxy: std::sync::Arc::new(matcher.build()),
            });
        Ok(Self {
            inner: hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .build(connector),
        })
    }
}

/// The proxy verification calls go through (`HTTPS_PROXY` and `NO_PROXY`,
/// as curl reads them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxy {
    /// The proxy for `https://` calls (`http://host:port`, with user info
    /// for basic proxy authentication).
    pub https: Option<String>,
    /// Hosts, domains and networks reached directly (`NO_PROXY`).
    pub no: Option<String>,
}

impl Proxy {
    /// `HTTPS_PROXY` (else `ALL_PROXY`) and `NO_PROXY`, upper or lower case.
    pub fn from_env() -> Self {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok())
                .filter(|v| !v.trim().is_empty())
        };
        Self {
            https: first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
            no: first(&["NO_PROXY", "no_proxy"]),
        }
    }
}

/// The URL a call goes to: the catalog's, or with its scheme and host
/// replaced by the override's base URL; `{secret}` percent-encoded.
pub fn url(spec: &VerifySpec, base: Option<&str>, secret: &str) -> Option<String> {
    let url = spec.url.as_deref()?;
    let origin = spec.origin()?;
    let rest = &url[origin.len()..];
    let encoded = percent_encoding::utf8_percent_encode(secret, IN_URL).to_string();
    Some(format!(
        "{}{}",
        base.unwrap_or(origin),
        rest.replace(SECRET_PLACEHOLDER, &encoded)
    ))
}

/// The request for one secret.
pub fn request(
    spec: &VerifySpec,
    base: Option<&str>,
    secret: &str,
) -> Result<http::Request<Full<Bytes>>, String> {
    use base64::Engine;
    let url = url(spec, base, secret).ok_or("verifier without a url")?;
    let method = match spec.method {
        HttpMethod::Get => http::Method::GET,
        HttpMethod::Post => http::Method::POST,
        HttpMethod::Head => http::Method::HEAD,
    };
    let fill = |text: &str| text.replace(SECRET_PLACEHOLDER, secret);
    let mut builder = http::Request::builder()
        .method(method)
        .uri(&url)
        .header(http::header::USER_AGENT, USER_AGENT);
    // A provider's own Accept (a versioned media type) replaces the default.
    if !spec
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("accept"))
    {
        builder = builder.header(http::header::ACCEPT, "application/json");
    }
    let mut sensitive = Vec::new();
    for (name, value) in &spec.headers {
        sensitive.push((name.clone(), fill(value)));
    }
    if let Some(basic) = &spec.basic {
        let pair = format!("{}:{}", fill(&basic.user), fill(&basic.password));
        sensitive.push((
            "Authorization".to_string(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
        ));
    }
    for (name, value) in sensitive {
        let mut value = http::HeaderValue::from_str(&value)
            .map_err(|_| format!("the secret cannot go in the {name} header"))?;
        value.set_sensitive(true);
        builder = builder.header(name.as_str(), value);
    }
    let body = match &spec.body {
        Some(template) => {
            let json = spec
                .content_type
                .as_deref()
                .is_some_and(|c| c.contains("json"));
            let value = if json {
                let quoted = serde_json::Value::String(secret.to_string()).to_string();
                quoted[1..quoted.len() - 1].to_string()
            } else {
                percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            if let Some(content_type) = &spec.content_type {
                builder = builder.header(http::header::CONTENT_TYPE, content_type.as_str());
            }
            Bytes::from(template.replace(SECRET_PLACEHOLDER, &value))
        }
        None => Bytes::new(),
    };
    builder
        .body(Full::new(body))
        .map_err(|_| "the request could not be built".to_string())
}

/// What one attempt got.
enum Attempt {
    Answer {
        status: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    Failed(String),
}

/// How one answer reads.
pub(crate) enum Reading {
    /// Accepted; who the credential acts as, and in which account.
    Live {
        identity: Option<String>,
        account: Option<String>,
    },
    /// Refused.
    Dead,
    /// "Slow down" (429 always is, unless it reads as live).
    Limited,
    /// A documented answer that tells neither (why).
    Unknown(String),
    /// Anything else: a 5xx is retried, the rest is unknown.
    Other,
}

/// Checks one secret, retrying what may pass.
pub(crate) async fn check(
    inner: &Inner,
    spec: &VerifySpec,
    base: Option<&str>,
    secret: &Secret,
) -> Outcome {
    let read = |status: u16, body: &str| {
        if spec.live.iter().any(|m| m.matches(status, body)) {
            return Reading::Live {
                identity: spec
                    .identity
                    .as_deref()
                    .and_then(|pointer| identity(body, pointer)),
                account: None,
            };
        }
        if spec.dead.iter().any(|m| m.matches(status, body)) {
            return Reading::Dead;
        }
        if spec.rate_limited.iter().any(|m| m.matches(status, body)) {
            return Reading::Limited;
        }
        Reading::Other
    };
    attempts(
        inner,
        &spec.provider,
        &[secret.expose()],
        || request(spec, base, secret.expose()),
        read,
    )
    .await
}

/// Sends the request `make` builds until an answer `read` tells live or
/// dead, retrying timeouts, rate limits and 5xx answers with backoff.
/// `secrets` are scrubbed from any message and identity.
pub(crate) async fn attempts(
    inner: &Inner,
    provider: &str,
    secrets: &[&str],
    make: impl Fn() -> Result<http::Request<Full<Bytes>>, String>,
    read: impl Fn(u16, &str) -> Reading,
) -> Outcome {
    let settings = &inner.settings;
    let detail = |http_status: Option<u16>, message: Option<String>| ProviderDetail {
        provider: provider.to_string(),
        http_status,
        message,
        ..ProviderDetail::default()
    };
    let mut last = Outcome::new(VerificationStatus::Error, detail(None, None));
    for attempt in 0..=settings.retries {
        inner.pace(provider).await;
        let answer = match make() {
            Ok(request) => {
                let _permit = inner.permits.acquire().await;
                send(inner, request, secrets, settings.timeout).await
            }
            Err(message) => Attempt::Failed(message),
        };
        let mut wait = settings
            .backoff
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(MAX_BACKOFF);
        match answer {
            Attempt::Failed(message) => {
                last = Outcome::new(VerificationStatus::Error, detail(None, Some(message)));
            }
            Attempt::Answer {
                status,
                body,
                retry_after,
            } => match read(status, &body) {
                Reading::Live { identity, account } => {
                    let mut found = detail(Some(status), None);
                    found.identity = identity.map(|id| scrub(&id, secrets));
                    found.account = account.map(|id| scrub(&id, secrets));
                    return Outcome::new(VerificationStatus::Live, found);
                }
                Reading::Dead => {
                    return Outcome::new(VerificationStatus::Dead, detail(Some(status), None));
                }
                Reading::Unknown(why) => {
                    return Outcome::new(
                        VerificationStatus::Unknown,
                        detail(Some(status), Some(why)),
                    );
                }
                reading => {
                    if status == 429 || matches!(reading, Reading::Limited) {
                        if let Some(after) = retry_after {
                            wait = wait.max(after.min(MAX_RETRY_AFTER));
                        }
                        last = Outcome::new(
                            VerificationStatus::Error,
                            detail(Some(status), Some("rate limited".into())),
                        );
                    } else if status >= 500 {
                        last = Outcome::new(
                            VerificationStatus::Error,
                            detail(Some(status), Some("provider error".into())),
                        );
                    } else {
                        return Outcome::new(
                            VerificationStatus::Unknown,
                            detail(
                                Some(status),
                                Some(
                                    "an answer the provider does not document as live or dead"
                                        .into(),
                                ),
                            ),
                        );
                    }
                }
            },
        }
        if attempt < settings.retries {
            tokio::time::sleep(wait).await;
        }
    }
    last
}

async fn send(
    inner: &Inner,
    request: http::Request<Full<Bytes>>,
    secrets: &[&str],
    timeout: Duration,
) -> Attempt {
    let call = async {
        let response = inner.http.inner.request(request).await.map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        Ok::<_, String>(Attempt::Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            retry_after,
        })
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(message)) => Attempt::Failed(scrub(&message, secrets)),
        Err(_) => Attempt::Failed(format!("no answer within {}s", timeout.as_secs_f32())),
    }
}

/// The identity a JSON pointer names in a live answer, as text.
pub(crate) fn identity(body: &str, pointer: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    let value = json.pointer(pointer)?;
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(text.chars().take(MAX_IDENTITY).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use assay_classifiers::verify::{BasicAuth, Matcher};

    fn spec() -> VerifySpec {
        VerifySpec {
            provider: "example".into(),
            aws: None,
            paired: None,
            method: HttpMethod::Get,
            url: Some("https://api.example.com/v1/check?key={secret}".into()),
            headers: Default::default(),
            basic: Some(BasicAuth {
                user: "api".into(),
                password: "{secret}".into(),
            }),
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
            proves: "works".into(),
        }
    }

    #[test]
    fn the_override_replaces_only_the_origin_and_the_secret_is_encoded() {
        let s = spec();
        assert_eq!(
            url(&s, None, "a b/c:d").unwrap(),
            "https://api.example.com/v1/check?key=a%20b%2Fc:d"
        );
        assert_eq!(
            url(&s, Some("http://127.0.0.1:9"), "k").unwrap(),
            "http://127.0.0.1:9/v1/check?key=k"
        );
        let request = request(&s, None, "k3y").unwrap();
        let auth = request.headers()["authorization"].clone();
        assert!(auth.is_sensitive());
        // "api:k3y" in base64.
        assert_eq!(auth.to_str().unwrap(), "Basic YXBpOmszeQ==");
    }

    #[test]
    fn identity_is_read_by_pointer() {
        assert_eq!(
            identity(r#"{"user":{"login":"octo"}}"#, "/user/login").as_deref(),
            Some("octo")
        );
        assert_eq!(identity("not json", "/login"), None);
    }
}
