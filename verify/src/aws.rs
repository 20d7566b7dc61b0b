//! AWS key pairs, checked in code since the call must be SigV4-signed:
//! STS `GetCallerIdentity` with the access key id and secret access key
//! found in the same object (and a session token for temporary `ASIA`
//! keys). The call needs no permission, changes nothing, and its answer
//! names the account and the principal ARN. The SDK's standard endpoint
//! settings apply (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`).

use std::time::Duration;

use assay_classifiers::verdict::{ProviderDetail, Secret, VerificationStatus};
use aws_sdk_sts::config::{Credentials, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;

use crate::{Outcome, scrub};

/// Error codes STS answers for a key pair that does not work.
const DEAD_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "UnrecognizedClientException",
    "AuthFailure",
];

/// The `<Code>` of an AWS query-protocol error answer.
fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    let code = &text[start..end];
    code.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        .then(|| code.to_string())
}

pub struct StsChecker {
    timeout: Duration,
    attempts: u32,
    base: tokio::sync::OnceCell<aws_config::SdkConfig>,
}

impl StsChecker {
    pub fn new(timeout: Duration, retries: u32) -> Self {
        Self {
            timeout,
            attempts: retries + 1,
            base: tokio::sync::OnceCell::new(),
        }
    }

    /// The SDK configuration every check starts from: the environment's
    /// region and endpoint settings, never its credentials (each check
    /// brings the pair it found).
    async fn base(&self) -> &aws_config::SdkConfig {
        self.base
            .get_or_init(|| async {
                let region = std::env::var("AWS_REGION")
                    .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|_| "us-east-1".to_string());
                aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .region(Region::new(region))
                    .credentials_provider(Credentials::new(
                        "unused",
                        "unused",
                        None,
                        None,
                        "assay-verify",
                    ))
                    .timeout_config(
                        aws_config::timeout::TimeoutConfig::builder()
                            .operation_attempt_timeout(self.timeout)
                            .build(),
                    )
                    .retry_config(
                        aws_config::retry::RetryConfig::standard()
                            .with_max_attempts(self.attempts.max(1)),
                    )
                    .load()
                    .await
            })
            .await
    }

    pub async fn check(&self, id: &Secret, key: &Secret, token: Option<&Secret>) -> Outcome {
        let config = aws_sdk_sts::config::Builder::from(self.base().await)
            .credentials_provider(Credentials::new(
                id.expose(),
                key.expose(),
                token.map(|t| t.expose().to_string()),
                None,
                "assay-verify",
            ))
            .build();
        let client = aws_sdk_sts::Client::from_conf(config);
        let secrets: Vec<&str> = [Some(id), Some(key), token]
            .into_iter()
            .flatten()
            .map(Secret::expose)
            .collect();
        let detail = |message: Option<String>| ProviderDetail {
            provider: "aws".into(),
            message,
            ..ProviderDetail::default()
        };
        match client.get_caller_identity().send().await {
            Ok(identity) => Outcome::new(
                VerificationStatus::Live,
                ProviderDetail {
                    provider: "aws".into(),
                    account: identity.account().map(str::to_string),
                    identity: identity.arn().map(str::to_string),
                    ..ProviderDetail::default()
                },
            ),
            Err(error) => {
                // AWS-compatible servers may wrap the error differently
                // from STS (`<Errors><Error>`): then the code is read from
                // the answer itself.
                let code = error.code().map(str::to_string).or_else(|| {
                    error
                        .raw_response()
                        .and_then(|r| r.body().bytes())
                        .and_then(error_code)
                });
                match code {
                    Some(code) if DEAD_CODES.contains(&code.as_str()) => {
                        Outcome::new(VerificationStatus::Dead, detail(Some(code)))
                    }
                    Some(code) => Outcome::new(VerificationStatus::Unknown, detail(Some(code))),
                    None => {
                        let mut text = error.to_string();
                        let mut source = std::error::Error::source(&error);
                        while let Some(cause) = source {
                            text.push_str(": ");
                            text.push_str(&cause.to_string());
                            source = cause.source();
                        }
                        Outcome::new(
                            VerificationStatus::Error,
                            detail(Some(scrub(&text, &secrets))),
                        )
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_error_code_is_read_from_either_wrapping() {
        let sts = b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code></Error></ErrorResponse>";
        let wrapped = b"<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code></Error></Errors></ErrorResponse>";
        assert_eq!(
            super::error_code(sts).as_deref(),
            Some("InvalidClientTokenId")
        );
        assert_eq!(
            super::error_code(wrapped).as_deref(),
            Some("SignatureDoesNotMatch")
        );
        assert_eq!(super::error_code(b"<Code><script></Code>"), None);
    }
}
