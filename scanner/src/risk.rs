//! Scores with access evidence (the rule in `docs/risk.md`): an object's
//! content risk raised by what the logs say, identity scores (the scraper
//! pattern, reads of sensitive objects, risky calls) and bucket scores.
//! Every point is a [`RiskFactor`].

use assay_classifiers::risk::{FactorKind, RiskFactor};

use crate::access::stats::{BucketAccess, IdentityStats, ObjectAccess};
use crate::posture::BucketPosture;

/// Access evidence adds at most this many points to an object.
pub const MAX_ACCESS_BOOST: u8 = 3;
/// Read by this many principals or more counts as wide exposure.
pub const MANY_PRINCIPALS: u64 = 5;
/// A configuration call this risky on the bucket raises its objects.
pub const RISKY_BUCKET_CALL: u8 = 7;
/// An object whose content scores this much is sensitive to identities.
pub const SENSITIVE_CONTENT: u8 = 7;

fn factor(kind: FactorKind, detail: String, value: u8) -> RiskFactor {
    RiskFactor {
        kind,
        detail,
        value,
    }
}

/// An object's risk: its content risk plus one point per kind of access
/// evidence, at most [`MAX_ACCESS_BOOST`], never above 10, never lower
/// than the content risk, and only for objects that hold something
/// sensitive (a regex finding or a theme).
pub fn object_risk(
    content_risk: u8,
    sensitive: bool,
    access: Option<&ObjectAccess>,
    bucket: Option<&BucketAccess>,
) -> (u8, Vec<RiskFactor>) {
    if !sensitive {
        return (content_risk, Vec::new());
    }
    let mut evidence = Vec::new();
    if let Some(a) = access {
        if a.scrapers > 0 {
            evidence.push(format!("scraper principals touched it: {}", a.scrapers));
        }
        if a.access_denied > 0 {
            evidence.push(format!(
                "access denied {} times to {} principals",
                a.access_denied, a.denied_principals
            ));
        }
        if a.anonymous_requests + a.cross_account_requests + a.presigned_reads > 0 {
            evidence.push(format!(
                "exposed: {} anonymous, {} cross-account, {} pre-signed reads",
                a.anonymous_requests, a.cross_account_requests, a.presigned_reads
            ));
        }
        if a.principals >= MANY_PRINCIPALS {
            evidence.push(format!("read by {} principals", a.principals));
        }
    }
    if let Some((call, risk)) = bucket.and_then(|b| b.riskiest_call.as_ref()) {
        if *risk >= RISKY_BUCKET_CALL {
            evidence.push(format!("bucket call {call} (risk {risk})"));
        }
    }
    let points = evidence.len().min(usize::from(MAX_ACCESS_BOOST));
    let factors: Vec<RiskFactor> = evidence
        .into_iter()
        .take(points)
        .map(|detail| factor(FactorKind::Access, detail, 1))
        .collect();
    ((content_risk + points as u8).min(10), factors)
}

/// An identity's risk from 1 to 10.
///
/// - the scraper pattern (many denials over many objects, mostly denied): 7;
/// - otherwise three or more denials: 4;
/// - reading or being denied sensitive objects: +2;
/// - anonymous or cross-account access to sensitive objects: +1;
/// - first seen in the last day of the logs and touching sensitive objects: +1;
/// - an error code repeated 3 times or more: at least that code's risk;
/// - its riskiest API call: the score is at least that call's risk.
pub fn identity_risk(stats: &IdentityStats, sensitive_objects: u64) -> (u8, Vec<RiskFactor>) {
    let mut factors = Vec::new();
    let mut score = 1u8;
    if stats.scraper {
        score = 7;
        factors.push(factor(
            FactorKind::Identity,
            format!(
                "scraper: {} denials over {} objects, {} of {} calls",
                stats.access_denied, stats.denied_objects, stats.access_denied, stats.calls
            ),
            7,
        ));
    } else if stats.access_denied >= 3 {
        score = 4;
        factors.push(factor(
            FactorKind::Identity,
            format!("{} denied calls", stats.access_denied),
            4,
        ));
    }
    if sensitive_objects > 0 {
        score = (score + 2).min(10);
        factors.push(factor(
            FactorKind::Identity,
            format!("touched {sensitive_objects} sensitive objects"),
            2,
        ));
        let outside =
            matches!(stats.kind, crate::access::PrincipalKind::Anonymous) || stats.cross_account;
        if outside {
            score = (score + 1).min(10);
            factors.push(factor(
                FactorKind::Identity,
                "anonymous or cross-account access to sensitive objects".into(),
                1,
            ));
        }
    }
    if stats.new_principal && sensitive_objects > 0 {
        score = (score + 1).min(10);
        factors.push(factor(
            FactorKind::Identity,
            "first seen in the last day of the logs, and touched sensitive objects".into(),
            1,
        ));
    }
    if let Some((code, count, risk)) = &stats.riskiest_error {
        if *risk > score {
            score = *risk;
            factors.push(factor(
                FactorKind::ErrorCode,
                format!("{code} ×{count} (risk {risk})"),
                *risk,
            ));
        }
    }
    if let Some((call, risk)) = &stats.riskiest_call {
        if *risk > score {
            score = *risk;
            factors.push(factor(
                FactorKind::ApiEvent,
                format!("{call} (risk {risk})"),
                *risk,
            ));
        }
    }
    (score, factors)
}

/// Objects below this risk are not raised by bucket exposure: an open
/// bucket of public assets is not a leak.
pub const EXPOSURE_MIN_RISK: u8 = 3;

/// A bucket's risk: its riskiest object, raised by its exposure (public
/// +3, ACL grants to other accounts +1, no default encryption +1) when it
/// holds anything of risk 3 or more; or its riskiest configuration call if
/// that is higher.
pub fn bucket_risk(
    max_object_risk: u8,
    access: Option<&BucketAccess>,
    posture: Option<&BucketPosture>,
) -> (u8, Vec<RiskFactor>) {
    let mut factors = vec![factor(
        FactorKind::Bucket,
        format!("riskiest object: {max_object_risk}"),
        max_object_risk,
    )];
    let mut score = max_object_risk.max(1);
    if let Some(posture) = posture.filter(|_| max_object_risk >= EXPOSURE_MIN_RISK) {
        if posture.public() == Some(true) {
            factors.push(factor(
                FactorKind::Exposure,
                "the bucket is public".into(),
                3,
            ));
            score += 3;
        }
        let grants = posture.cross_account_grants();
        if grants > 0 {
            factors.push(factor(
                FactorKind::Exposure,
                format!("ACL grants to {grants} other account(s)"),
                1,
            ));
            score += 1;
        }
        if posture.unencrypted() {
            factors.push(factor(
                FactorKind::Exposure,
                "no default encryption".into(),
                1,
            ));
            score += 1;
        }
        score = score.min(10);
    }
    if let Some((call, risk)) = access.and_then(|a| a.riskiest_call.as_ref()) {
        factors.push(factor(
            FactorKind::ApiEvent,
            format!("{call} (risk {risk})"),
            *risk,
        ));
        score = score.max(*risk);
    }
    (score, factors)
}

/// The worked examples of `docs/risk.md`, one test each.
#[cfg(test)]
mod worked_examples {
    use super::*;
    use crate::access::PrincipalKind;

    fn access(scrapers: u64, denied: u64, exposed: u64, principals: u64) -> ObjectAccess {
        ObjectAccess {
            scrapers,
            access_denied: denied,
            denied_principals: denied.min(1),
            presigned_reads: exposed,
            principals,
            ..ObjectAccess::default()
        }
    }

    fn identity(
        calls: u64,
        denied: u64,
        denied_objects: u64,
        cross_account: bool,
        riskiest: Option<(&str, u8)>,
    ) -> IdentityStats {
        IdentityStats {
            principal: "p".into(),
            kind: PrincipalKind::Role,
            account: None,
            calls,
            reads: calls - denied,
            writes: 0,
            deletes: 0,
            access_denied: denied,
            denied_ratio: denied as f64 / calls.max(1) as f64,
            other_errors: 0,
            objects: denied_objects,
            denied_objects,
            buckets: 1,
            source_ips: Vec::new(),
            cross_account,
            presigned_reads: 0,
            riskiest_call: riskiest.map(|(c, r)| (c.to_string(), r)),
            first_seen: None,
            last_seen: None,
            riskiest_error: None,
            new_principal: false,
            scraper: denied >= crate::access::stats::SCRAPER_MIN_DENIALS
                && denied_objects >= crate::access::stats::SCRAPER_MIN_OBJECTS
                && denied * 2 >= calls,
        }
    }

    #[test]
    fn private_key_denied_to_a_scraper() {
        let (risk, factors) = object_risk(8, true, Some(&access(1, 2, 0, 1)), None);
        assert_eq!(risk, 10);
        assert_eq!(factors.len(), 2);
    }

    #[test]
    fn nothing_sensitive_gets_no_points() {
        assert_eq!(
            object_risk(5, false, Some(&access(1, 2, 3, 9)), None),
            (5, Vec::new())
        );
    }

    #[test]
    fn customer_export_read_widely_and_presigned() {
        assert_eq!(object_risk(7, true, Some(&access(0, 0, 1, 6)), None).0, 9);
    }

    #[test]
    fn access_points_are_capped_at_three() {
        let bucket = BucketAccess {
            riskiest_call: Some(("PutBucketPolicy".into(), 8)),
            ..BucketAccess::default()
        };
        let (risk, factors) = object_risk(5, true, Some(&access(1, 4, 2, 9)), Some(&bucket));
        assert_eq!((risk, factors.len()), (8, 3));
        assert_eq!(
            object_risk(9, true, Some(&access(1, 4, 2, 9)), Some(&bucket)).0,
            10
        );
    }

    #[test]
    fn identities() {
        assert_eq!(identity_risk(&identity(25, 24, 12, true, None), 8).0, 10);
        assert_eq!(identity_risk(&identity(6, 0, 0, false, None), 1).0, 3);
        assert_eq!(
            identity_risk(&identity(1, 0, 0, false, Some(("StopLogging", 10))), 0).0,
            10
        );
        let mut anonymous = identity(4, 4, 4, false, None);
        anonymous.kind = PrincipalKind::Anonymous;
        assert_eq!(identity_risk(&anonymous, 4).0, 7);
    }

    #[test]
    fn repeated_errors_and_new_principals() {
        let mut prober = identity(5, 0, 0, false, None);
        prober.riskiest_error = Some(("InvalidAccessKeyId".into(), 5, 5));
        assert_eq!(identity_risk(&prober, 0).0, 5);
        let mut newcomer = identity(2, 0, 0, false, None);
        newcomer.new_principal = true;
        assert_eq!(identity_risk(&newcomer, 1).0, 4);
        newcomer.new_principal = false;
        assert_eq!(identity_risk(&newcomer, 1).0, 3);
    }

    #[test]
    fn buckets() {
        let versioning = BucketAccess {
            riskiest_call: Some(("PutBucketVersioning".into(), 4)),
            ..BucketAccess::default()
        };
        assert_eq!(bucket_risk(8, Some(&versioning), None).0, 8);
        let unblocked = BucketAccess {
            riskiest_call: Some(("DeleteBucketPublicAccessBlock".into(), 9)),
            ..BucketAccess::default()
        };
        assert_eq!(bucket_risk(6, Some(&unblocked), None).0, 9);
    }

    fn posture(public: bool, other_accounts: usize, encrypted: bool) -> BucketPosture {
        use crate::posture::{AclGrant, Check, Grantee};
        let grants = (0..other_accounts)
            .map(|i| AclGrant {
                grantee: Grantee::OtherAccount(format!("c{i}")),
                permission: "READ".into(),
            })
            .collect();
        BucketPosture {
            default_encryption: Check::Known(encrypted.then(|| "AES256".to_string())),
            public_access_block: Check::Known(None),
            policy_public: Check::Known(public),
            acl_grants: Check::Known(grants),
            versioning: Check::Known("Off".into()),
            access_logging: Check::Known(None),
        }
    }

    #[test]
    fn bucket_exposure() {
        let (score, factors) = bucket_risk(6, None, Some(&posture(true, 0, true)));
        assert_eq!(score, 9);
        assert!(factors.iter().any(|f| f.detail == "the bucket is public"));
        assert_eq!(bucket_risk(8, None, Some(&posture(true, 1, false))).0, 10);
        assert_eq!(bucket_risk(5, None, Some(&posture(false, 1, false))).0, 7);
        // Nothing sensitive: an open bucket of public assets stays low.
        assert_eq!(bucket_risk(2, None, Some(&posture(true, 1, false))).0, 2);
        // Exposure never lowers a configuration call's risk.
        let unblocked = BucketAccess {
            riskiest_call: Some(("DeleteBucketPublicAccessBlock".into(), 9)),
            ..BucketAccess::default()
        };
        assert_eq!(
            bucket_risk(2, Some(&unblocked), Some(&posture(true, 0, true))).0,
            9
        );
    }
}
