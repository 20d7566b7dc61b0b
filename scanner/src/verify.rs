//! `--verify` in the pipeline: a record's credentials are checked with
//! their providers ([`assay_verify::Verifier`]), a live one becomes a risk
//! factor of its own (kind `verification`, value 10, naming the identity
//! the credential grants), and the raw secrets are dropped from memory.
//! Dead ones keep their content risk; reports mark them.

use assay_classifiers::risk::{FactorKind, RiskFactor};
use assay_classifiers::verdict::VerificationStatus;

use crate::record::ObjectRecord;

/// The risk of an object holding a credential its provider accepts.
pub const LIVE_RISK: u8 = 10;

/// Verifies the record's findings and scores what is live.
pub fn apply(verifier: &assay_verify::Verifier, record: &mut ObjectRecord) {
    verifier.verify(&mut record.regexes);
    for regex in &mut record.regexes {
        regex.forget_secrets();
    }
    score(record);
}

/// Adds a `verification` risk factor per live finding and raises the
/// object to [`LIVE_RISK`].
pub fn score(record: &mut ObjectRecord) {
    let mut added = false;
    for regex in &record.regexes {
        let Some(verification) = &regex.verification else {
            continue;
        };
        if verification.status != VerificationStatus::Live {
            continue;
        }
        let detail = &verification.provider_detail;
        let who = match (&detail.identity, &detail.account) {
            (Some(identity), _) => format!(" as {identity}"),
            (None, Some(account)) => format!(" in account {account}"),
            (None, None) => String::new(),
        };
        record.risk_factors.push(RiskFactor {
            kind: FactorKind::Verification,
            detail: format!(
                "regexes:{} is live ({} accepted it{who})",
                regex.id, detail.provider
            ),
            value: LIVE_RISK,
        });
        added = true;
    }
    if added {
        RiskFactor::sort(&mut record.risk_factors);
        record.risk = record.risk.max(LIVE_RISK);
    }
}

/// A finding's verdict in a few words for tables, CSV, SARIF messages and
/// HTML (`verified live as arn:…`, `dead: the provider refused it`); none
/// when it was not checked.
pub fn describe(regex: &assay_classifiers::object::RegexResult) -> Option<String> {
    let verification = regex.verification.as_ref()?;
    let detail = &verification.provider_detail;
    Some(match verification.status {
        VerificationStatus::Live => match (&detail.identity, &detail.account) {
            (Some(identity), _) => format!("verified live as {identity}"),
            (None, Some(account)) => format!("verified live in account {account}"),
            (None, None) => format!("verified live with {}", detail.provider),
        },
        VerificationStatus::Dead => format!("dead: {} refused it", detail.provider),
        VerificationStatus::Unknown => format!("unverified: {} did not say", detail.provider),
        VerificationStatus::Error => format!(
            "unverified: {}: {}",
            detail.provider,
            detail.message.as_deref().unwrap_or("did not answer")
        ),
    })
}

/// Whether a record holds a finding its provider accepted
/// (`--verify-only-live` keeps only these).
pub fn has_live(record: &ObjectRecord) -> bool {
    record.regexes.iter().any(|r| {
        r.verification
            .as_ref()
            .is_some_and(|v| v.status == VerificationStatus::Live)
    })
}
