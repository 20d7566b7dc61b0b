//! Opt-in verification of found credentials (`assay scan --verify`): for
//! each finding whose detector has a `verify` table, one read-only call to
//! the credential's own provider tells live from dead.
//!
//! HTTP verifiers are data (the catalog's `verify` tables, run by
//! [`http`]); AWS keys need SigV4 signing and are checked in code
//! ([`aws`], STS GetCallerIdentity), as are the credentials checked with
//! values found next to them ([`paired`]: Twilio, GCP key files, Azure,
//! Shopify, Docker Hub). Calls run on a small runtime of their
//! own with a global concurrency limit, a request rate per provider,
//! timeouts and retries with backoff, and a [`cache`] keyed by a hash of
//! the secret so each secret is checked once per scan (and, in a fleet
//! run, verdicts [`shared`] through the run's store, so once per run). A
//! secret goes only to the fixed host of its provider's `verify.url`; the
//! only other place it can go is the test and self-hosted hook `ASSAY_VERIFY_ENDPOINT_<PROVIDER>`
//! (and the AWS SDK's own `AWS_ENDPOINT_URL_STS`), which the caller shows
//! before it starts ([`Verifier::destinations`]).

pub mod aws;
pub mod cache;
pub mod http;
pub mod paired;
pub mod shared;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use assay_classifiers::Catalog;
use assay_classifiers::catalog::DetectorItem;
use assay_classifiers::object::RegexResult;
use assay_classifiers::verdict::{
    ProviderDetail, Secret, Verification, VerificationStatus, looks_like_example,
};
use assay_classifiers::verify::AwsPart;

pub use shared::{SharedError, SharedVerdicts};

/// Environment variables naming another base URL for one provider's calls
/// (`ASSAY_VERIFY_ENDPOINT_GITHUB=http://127.0.0.1:8080`): for tests and
/// self-hosted installations only.
pub const ENDPOINT_ENV_PREFIX: &str = "ASSAY_VERIFY_ENDPOINT_";

/// Why verification could not start.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot start the verification runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("{var} is not an http(s) base URL")]
    Endpoint { var: String },
}

/// How verification runs (`[verify]` in `assay.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Calls in flight at once, over all providers.
    pub concurrency: usize,
    /// Calls started per second and provider.
    pub rate_per_second: f64,
    /// Time for one call, answer included.
    pub timeout: Duration,
    /// Further attempts after a timeout, a 429 or a 5xx answer.
    pub retries: u32,
    /// The first wait before a retry; it doubles each time.
    pub backoff: Duration,
    /// Distinct secrets checked per finding (a finding can hold many).
    pub secrets_per_finding: usize,
    /// Base URLs that replace a provider's (from [`ENDPOINT_ENV_PREFIX`]).
    pub endpoints: HashMap<String, String>,
    /// The HTTPS proxy of HTTP verifiers ([`Settings::with_env_proxy`]).
    pub proxy: http::Proxy,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 8,
            rate_per_second: 5.0,
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(500),
            secrets_per_finding: 3,
            endpoints: HashMap::new(),
            proxy: http::Proxy::default(),
        }
    }
}

impl Settings {
    /// Reads the standard proxy variables (`HTTPS_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`) for the HTTP verifiers.
    pub fn with_env_proxy(mut self) -> Self {
        self.proxy = http::Proxy::from_env();
        self
    }

    /// Reads the `ASSAY_VERIFY_ENDPOINT_<PROVIDER>` overrides.
    pub fn with_env_endpoints(mut self) -> Result<Self, VerifyError> {
        for (var, value) in std::env::vars() {
            let Some(provider) = var.strip_prefix(ENDPOINT_ENV_PREFIX) else {
                continue;
            };
            if !(value.starts_with("http://") || value.starts_with("https://")) {
                return Err(VerifyError::Endpoint { var });
            }
            self.endpoints.insert(
                provider.to_ascii_lowercase(),
                value.trim_end_matches('/').to_string(),
            );
        }
        Ok(self)
    }
}

/// One provider a scan may contact, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Destination {
    pub provider: String,
    /// Scheme and host (or the override's base URL).
    pub origin: String,
    /// Whether the origin comes from an override, not the catalog.
    pub overridden: bool,
}

/// The verdict on one secret (or AWS key pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: VerificationStatus,
    pub checked_at: String,
    pub detail: ProviderDetail,
}

impl Outcome {
    fn new(status: VerificationStatus, detail: ProviderDetail) -> Self {
        Self {
            status,
            checked_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            detail,
        }
    }

    fn into_verification(self) -> Verification {
        Verification {
            status: self.status,
            checked_at: self.checked_at,
            provider_detail: self.detail,
        }
    }
}

/// The verifier of a scan: share it between workers.
pub struct Verifier {
    runtime: tokio::runtime::Runtime,
    inner: Arc<Inner>,
}

struct Inner {
    detectors: HashMap<String, Arc<DetectorItem>>,
    settings: Settings,
    http: http::Client,
    aws: aws::StsChecker,
    cache: cache::Cache,
    /// The fleet run's verdicts, when the scan is one of its shards.
    shared: std::sync::OnceLock<shared::Shared>,
    limits: std::sync::Mutex<HashMap<String, Arc<RateLimit>>>,
    permits: tokio::sync::Semaphore,
}

impl Verifier {
    pub fn new(catalog: &Catalog, settings: Settings) -> Result<Self, VerifyError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("assay-verify")
            .enable_all()
            .build()
            .map_err(VerifyError::Runtime)?;
        let detectors = catalog
            .detectors
            .iter()
            .filter(|d| d.enabled && d.verify.is_some())
            .map(|d| (d.id.clone(), Arc::new(d.clone())))
            .collect();
        let inner = Inner {
            detectors,
            http: http::Client::new(&settings.proxy)?,
            aws: aws::StsChecker::new(settings.timeout, settings.retries),
            cache: cache::Cache::default(),
            shared: std::sync::OnceLock::new(),
            limits: std::sync::Mutex::new(HashMap::new()),
            permits: tokio::sync::Semaphore::new(settings.concurrency.max(1)),
            settings,
        };
        Ok(Self {
            runtime,
            inner: Arc::new(inner),
        })
    }

    /// Every provider the scan may contact and where, sorted: shown before
    /// the scan starts.
    pub fn destinations(&self) -> Vec<Destination> {
        let mut out: Vec<Destination> = Vec::new();
        for item in self.inner.detectors.values() {
            let Some(spec) = &item.verify else { continue };
            let (origin, overridden) = match (
                self.inner.settings.endpoints.get(&spec.provider),
                spec.aws,
                spec.origin(),
            ) {
                (Some(base), _, _) => (base.clone(), true),
                (None, None, None) if spec.paired.is_some() => match spec.paired {
                    Some(paired) => (paired.origin().to_string(), false),
                    None => continue,
                },
                (None, Some(_), _) => match std::env::var("AWS_ENDPOINT_URL_STS")
                    .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
                {
                    Ok(url) => (url, true),
                    Err(_) => ("https://sts.amazonaws.com".to_string(), false),
                },
                (None, None, Some(origin)) => (origin.to_string(), false),
                (None, None, None) => continue,
            };
            let destination = Destination {
                provider: spec.provider.clone(),
                origin,
                overridden,
            };
            if !out.contains(&destination) {
                out.push(destination);
            }
        }
        out.sort();
        out
    }

    /// Shares verdicts through `store` from now on (a fleet shard's run
    /// location): a verdict found there is used instead of a call, and each
    /// call's live, dead or unknown verdict is left there. False, and no
    /// change, when the verifier already shares through a store.
    pub fn share_verdicts(&self, store: Arc<dyn SharedVerdicts>) -> bool {
        self.inner.shared.set(shared::Shared::new(store)).is_ok()
    }

    /// Verdicts taken from the shared store instead of a call.
    pub fn shared_verdicts_used(&self) -> u64 {
        self.inner.shared.get().map_or(0, shared::Shared::found)
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Verifies the findings of one object in place, blocking the calling
    /// (worker) thread; findings with nothing to check are left as they
    /// are. Must not be called from inside an async runtime.
    pub fn verify(&self, regexes: &mut [RegexResult]) {
        if !regexes.iter().any(|r| !r.secrets.is_empty()) {
            return;
        }
        let inner = self.inner.clone();
        self.runtime.block_on(inner.verify(regexes));
    }
}

impl Inner {
    async fn verify(&self, regexes: &mut [RegexResult]) {
        let per_finding = self.settings.secrets_per_finding.max(1);
        // AWS key parts are checked together; the rest one secret each.
        let mut parts: HashMap<AwsPart, Vec<(usize, Secret)>> = HashMap::new();
        let mut jobs = Vec::new();
        for (at, regex) in regexes.iter().enumerate() {
            let Some(item) = self.detectors.get(&regex.id) else {
                continue;
            };
            let Some(spec) = &item.verify else { continue };
            if spec.paired.is_some() {
                continue;
            }
            let secrets = regex
                .secrets
                .iter()
                .filter(|s| !looks_like_example(item, s.expose()))
                .take(per_finding);
            match spec.aws {
                Some(part) => parts
                    .entry(part)
                    .or_default()
                    .extend(secrets.map(|s| (at, s.clone()))),
                None => jobs.extend(secrets.map(|s| (at, item.clone(), s.clone()))),
            }
        }
        let http = jobs.iter().map(|(at, item, secret)| async move {
            let outcome = self.check_http(item, secret).await;
            (*at, outcome)
        });
        let mut verdicts: Vec<(usize, Outcome)> = join_all(http).await;
        verdicts.extend(self.check_aws(&parts).await);
        let plans = paired::plans(regexes, &self.detectors, per_finding);
        let checks = plans.iter().map(|plan| async move {
            let outcome = self
                .once(paired::cache_key(plan), &plan.provider, || async {
                    let base = self.settings.endpoints.get(&plan.provider).cloned();
                    paired::check(self, plan, base.as_deref()).await
                })
                .await;
            plan.at
                .iter()
                .map(|at| (*at, outcome.clone()))
                .collect::<Vec<_>>()
        });
        verdicts.extend(join_all(checks).await.into_iter().flatten());
        for (at, outcome) in verdicts {
            let Some(regex) = regexes.get_mut(at) else {
                continue;
            };
            let keep = regex
                .verification
                .as_ref()
                .is_some_and(|current| current.status.precedence() <= outcome.status.precedence());
            if !keep {
                regex.verification = Some(outcome.into_verification());
            }
        }
    }

    async fn check_http(&self, item: &DetectorItem, secret: &Secret) -> Outcome {
        let Some(spec) = &item.verify else {
            return Outcome::new(VerificationStatus::Unknown, ProviderDetail::default());
        };
        let key = cache::key(&spec.provider, &[secret.expose()]);
        self.once(key, &spec.provider, || async {
            let base = self.settings.endpoints.get(&spec.provider).cloned();
            http::check(self, spec, base.as_deref(), secret).await
        })
        .await
    }

    /// Every access key id found with every secret key found in the same
    /// object (a session token for temporary ASIA keys); a part's verdict
    /// is the best of its pairs.
    async fn check_aws(
        &self,
        parts: &HashMap<AwsPart, Vec<(usize, Secret)>>,
    ) -> Vec<(usize, Outcome)> {
        let (Some(ids), Some(keys)) = (
            parts.get(&AwsPart::AccessKeyId),
            parts.get(&AwsPart::SecretAccessKey),
        ) else {
            return Vec::new();
        };
        let token = parts
            .get(&AwsPart::SessionToken)
            .and_then(|tokens| tokens.first());
        let pairs = ids
            .iter()
            .flat_map(|id| keys.iter().map(move |key| (id, key)));
        let checks = pairs.map(|((id_at, id), (key_at, key))| async move {
            let token = token
                .filter(|_| id.expose().starts_with("ASIA"))
                .map(|(at, t)| (*at, t));
            let mut parts = vec![id.expose(), key.expose()];
            if let Some((_, t)) = token {
                parts.push(t.expose());
            }
            let cache_key = cache::key("aws", &parts);
            let outcome = self
                .once(cache_key, "aws", || async {
                    self.pace("aws").await;
                    let _permit = self.permits.acquire().await;
                    self.aws.check(id, key, token.map(|(_, t)| t)).await
                })
                .await;
            let mut out = vec![(*id_at, outcome.clone()), (*key_at, outcome.clone())];
            if let Some((token_at, _)) = token {
                out.push((token_at, outcome));
            }
            out
        });
        join_all(checks).await.into_iter().flatten().collect()
    }

    /// The verdict for `key`: from this scan's cache, else from the fleet
    /// run's shared verdicts, else from `check` (whose verdict is then
    /// shared, unless it is an error).
    async fn once<F, Fut>(&self, key: cache::Key, provider: &str, check: F) -> Outcome
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Outcome>,
    {
        self.cache
            .get_or_check(key, || async move {
                let Some(shared) = self.shared.get() else {
                    return check().await;
                };
                let replace = match shared.lookup(&key, provider).await {
                    shared::Lookup::Found(outcome) => return outcome,
                    shared::Lookup::Absent => false,
                    shared::Lookup::Unusable => true,
                };
                let outcome = check().await;
                shared.record(&key, &outcome, replace).await;
                outcome
            })
            .await
    }

    /// Waits for the provider's next slot ([`Settings::rate_per_second`]).
    async fn pace(&self, provider: &str) {
        let limit = {
            let mut limits = self
                .limits
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            limits
                .entry(provider.to_string())
                .or_insert_with(|| Arc::new(RateLimit::new(self.settings.rate_per_second)))
                .clone()
        };
        limit.wait().await;
    }
}

/// Calls started per second for one provider: each call takes the next
/// free slot.
struct RateLimit {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl RateLimit {
    fn new(per_second: f64) -> Self {
        let interval = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        Self {
            interval,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Runs futures concurrently on the current task and collects their
/// outputs in order (the calls themselves are bounded by the semaphore).
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (at, future) in set.iter_mut().enumerate() {
            if out[at].is_some() {
                continue;
            }
            match future.as_mut().poll(cx) {
                std::task::Poll::Ready(value) => out[at] = Some(value),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// A message with every occurrence of the secrets replaced by their
/// redacted form: provider and library errors may echo a request.
pub(crate) fn scrub(message: &str, secrets: &[&str]) -> String {
    let mut text = message.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(
            secret,
            &assay_classifiers::detect::redact(secret.as_bytes()),
        );
    }
    text
}
