//! Content risk: Macie Classic's rule. An object's content risk is the
//! highest risk among its classifications; every classification is listed as
//! a risk factor so the score can be traced to the item behind it. A
//! low-confidence regex finding counts for less ([`finding_risk`]).

use serde::{Deserialize, Serialize};

use crate::detect::Confidence;
use crate::object::Classification;

/// What kind of evidence a risk factor is. Variants are in the order of
/// their names, so sorting by kind sorts as the names do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// What the access logs say of an object (scrapers, denials, exposure).
    Access,
    /// A risky API call seen in the logs.
    ApiEvent,
    /// A bucket's score from the riskiest content it holds.
    Bucket,
    /// What an object holds: a classification of its content or name.
    Content,
    /// An error code an identity met.
    ErrorCode,
    /// A bucket's configuration exposes it (public, unencrypted).
    Exposure,
    /// What an identity did (scraping, reads of sensitive objects).
    Identity,
    /// A credential its own provider accepted (`--verify`).
    Verification,
}

impl FactorKind {
    /// The name reports and `docs/risk.md` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::ApiEvent => "api_event",
            Self::Bucket => "bucket",
            Self::Content => "content",
            Self::ErrorCode => "error_code",
            Self::Exposure => "exposure",
            Self::Identity => "identity",
            Self::Verification => "verification",
        }
    }
}

impl std::fmt::Display for FactorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One point of evidence behind a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFactor {
    /// [`FactorKind::Content`] for what an object holds; the scanner adds
    /// the access, identity and bucket kinds.
    pub kind: FactorKind,
    /// The classifier and item, e.g. `regexes:aws_secret_key`.
    pub detail: String,
    pub value: u8,
}

impl RiskFactor {
    /// The order reports list factors in: highest value first, then by
    /// detail, so the first is the one behind the score.
    pub fn sort(factors: &mut [RiskFactor]) {
        factors.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.detail.cmp(&b.detail)));
    }
}

/// What one regex finding adds to content risk: its detector's risk, less
/// `low_confidence_step` points (down to 1) when its confidence is low.
/// Medium and high findings count in full: a specific detector's risk is
/// already set for what it finds.
///
/// ```
/// use assay_classifiers::{detect::Confidence, risk::finding_risk};
/// assert_eq!(finding_risk(6, Confidence::Low, 2), 4);
/// assert_eq!(finding_risk(2, Confidence::Low, 2), 1);
/// assert_eq!(finding_risk(10, Confidence::Medium, 2), 10);
/// ```
pub fn finding_risk(risk: u8, confidence: Confidence, low_confidence_step: u8) -> u8 {
    match confidence {
        Confidence::Low => risk.saturating_sub(low_confidence_step).max(1),
        Confidence::Medium | Confidence::High => risk,
    }
}

/// The content risk (1 to 10) and its factors, highest first.
///
/// ```
/// use assay_classifiers::{Classifiers, risk::content_risk};
/// let classifiers = Classifiers::builtin().unwrap();
/// let mut object = classifiers.object("id_rsa");
/// object.feed(b"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAxyz0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH\n");
/// let (risk, factors) = content_risk(&object.finish());
/// assert_eq!(risk, 8);
/// assert_eq!(factors[0].detail, "regexes:rsa_private_key");
/// ```
pub fn content_risk(classification: &Classification) -> (u8, Vec<RiskFactor>) {
    let mut factors = Vec::new();
    let mut add = |detail: String, value: u8| {
        factors.push(RiskFactor {
            kind: FactorKind::Content,
            detail,
            value,
        })
    };
    if let Some(content_type) = &classification.content_type {
        add(
            format!("content_type:{}", content_type.mime),
            content_type.risk,
        );
    }
    if let (true, Some(ext)) = (
        classification.extension.in_catalog,
        &classification.extension.ext,
    ) {
        add(format!("extension:{ext}"), classification.extension.risk);
    }
    for theme in &classification.themes {
        add(format!("themes:{}", theme.id), theme.risk);
    }
    for regex in &classification.regexes {
        let value = finding_risk(
            regex.risk,
            regex.confidence,
            classification.low_confidence_step,
        );
        // The detail says why a finding counts for less than its risk.
        let detail = if value < regex.risk {
            format!(
                "regexes:{} (low confidence: {} - {})",
                regex.id,
                regex.risk,
                regex.risk - value
            )
        } else {
            format!("regexes:{}", regex.id)
        };
        add(detail, value);
    }
    if let Some(svm) = &classification.svm {
        // An uncertain verdict names no category: its guess is not evidence.
        match svm.uncertain {
            true => add("svm:uncertain".to_string(), svm.risk),
            false => add(format!("svm:{}", svm.category), svm.risk),
        }
    }
    RiskFactor::sort(&mut factors);
    let risk = factors.first().map_or(1, |f| f.value).clamp(1, 10);
    (risk, factors)
}

#[cfg(test)]
mod factor_kind_tests {
    use super::FactorKind;

    #[test]
    fn factor_kinds_sort_and_serialise_as_their_names() {
        let all = [
            FactorKind::Access,
            FactorKind::ApiEvent,
            FactorKind::Bucket,
            FactorKind::Content,
            FactorKind::ErrorCode,
            FactorKind::Exposure,
            FactorKind::Identity,
        ];
        let mut by_value = all;
        by_value.reverse();
        by_value.sort();
        let mut by_name = all;
        by_name.reverse();
        by_name.sort_by_key(|k| k.as_str());
        assert_eq!(by_value, by_name, "variants in the order of their names");
        for kind in all {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
    }
}
