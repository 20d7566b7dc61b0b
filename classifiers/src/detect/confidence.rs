//! Confidence: how sure assay is that a finding is what its detector names.
//! One rule ([`derive`]), from what the engine already knows about a
//! detector; a detector's `confidence` in the catalog (or an `[[override]]`
//! in `assay.toml`) replaces it where the rule is wrong. README
//! "Confidence" has the worked examples (tested below).

use super::Validator;
use crate::catalog::DetectorItem;

pub use crate::catalog::Confidence;

/// The shortest exact-case anchor that makes a token distinctive: `ghp_`,
/// `AKIA` and `-----BEGIN RSA PRIVATE KEY-----` are; `SG.`, `hf_` and `SK`
/// (three characters or fewer) match too much text by chance.
pub const DISTINCTIVE_PREFIX: usize = 4;

/// The confidence of every finding of a detector (`validators` are its
/// parsed `validator` list). In order:
///
/// 1. the catalog's `confidence`, when set;
/// 2. `generic = true`: **low**;
/// 3. a validator that proves something (see [`Validator::proves`]): **high**;
/// 4. a free-form value judged by heuristics (`password_like`,
///    `secret_like`): **medium**, whatever names it — the prefix names the
///    setting, not the secret;
/// 5. exact-case anchors (`anchor_case`), each at least
///    [`DISTINCTIVE_PREFIX`] characters: **high**;
/// 6. otherwise **medium**.
pub fn derive(item: &DetectorItem, validators: &[Validator]) -> Confidence {
    if let Some(confidence) = item.confidence {
        return confidence;
    }
    if item.generic {
        return Confidence::Low;
    }
    if validators.iter().any(Validator::proves) {
        return Confidence::High;
    }
    if validators.iter().any(Validator::judges_free_form) {
        return Confidence::Medium;
    }
    let distinctive = item.anchor_case
        && !item.anchors.is_empty()
        && item
            .anchors
            .iter()
            .all(|a| a.chars().count() >= DISTINCTIVE_PREFIX);
    if distinctive {
        Confidence::High
    } else {
        Confidence::Medium
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn of(id: &str) -> Confidence {
        let catalog = Catalog::builtin().unwrap();
        let item = catalog.detectors.iter().find(|d| d.id == id).unwrap();
        let validators =
            Validator::parse_list(&item.id, item.validator.as_deref().unwrap_or("")).unwrap();
        derive(item, &validators)
    }

    /// README "Confidence": each worked example, by the step of the rule
    /// that decides it.
    #[test]
    fn the_readme_worked_examples_hold() {
        // Step 2: generic.
        assert_eq!(of("generic_password_assignment"), Confidence::Low);
        assert_eq!(of("password_in_url"), Confidence::Low);
        // Step 3: proved by a validator.
        assert_eq!(of("credit_card_number"), Confidence::High); // Luhn + issuer
        assert_eq!(of("iban"), Confidence::High); // mod 97
        assert_eq!(of("jwt"), Confidence::High); // header parsed, though `eyJ` is short
        assert_eq!(of("openssh_private_key"), Confidence::High); // key parsed
        // Step 4: a free-form value behind a fixed name.
        assert_eq!(of("cli_password_env"), Confidence::Medium);
        // Step 5: distinctive exact-case prefix.
        assert_eq!(of("github_key"), Confidence::High); // ghp_
        assert_eq!(of("aws_access_key"), Confidence::High); // AKIA
        assert_eq!(of("rsa_private_key"), Confidence::High); // PEM header
        // Step 6: specific but unproved.
        assert_eq!(of("aws_secret_key"), Confidence::Medium); // 40 chars next to its name
        assert_eq!(of("sendgrid_api_key"), Confidence::Medium); // `SG.` is 3 characters
        assert_eq!(of("us_social_security_number"), Confidence::Medium); // ranges, no check digit
        assert_eq!(of("email_address"), Confidence::Medium);
    }

    #[test]
    fn the_catalog_field_overrides_the_rule() {
        let mut catalog = Catalog::builtin().unwrap();
        let item = catalog
            .detectors
            .iter_mut()
            .find(|d| d.id == "generic_password_assignment")
            .unwrap();
        item.confidence = Some(Confidence::High);
        assert_eq!(derive(item, &[]), Confidence::High);
        item.confidence = None;
        assert_eq!(derive(item, &[]), Confidence::Low);
        // Without `generic`, the same detector would be medium (its
        // validators are heuristics).
        item.generic = false;
        let validators = Validator::parse_list("x", "password_like").unwrap();
        assert_eq!(derive(item, &validators), Confidence::Medium);
    }

    #[test]
    fn short_or_case_insensitive_anchors_are_not_distinctive() {
        let mut catalog = Catalog::builtin().unwrap();
        let item = catalog
            .detectors
            .iter_mut()
            .find(|d| d.id == "github_key")
            .unwrap();
        assert_eq!(derive(item, &[]), Confidence::High);
        item.anchors = vec!["gh_".into()];
        assert_eq!(derive(item, &[]), Confidence::Medium);
        item.anchors = vec!["ghp_".into()];
        item.anchor_case = false;
        assert_eq!(derive(item, &[]), Confidence::Medium);
    }

    #[test]
    fn serde_names_are_lower_case() {
        assert_eq!(
            serde_json::to_string(&Confidence::High).unwrap(),
            "\"high\""
        );
        let low: Confidence = serde_json::from_str("\"low\"").unwrap();
        assert_eq!(low, Confidence::Low);
        assert!(Confidence::Low < Confidence::Medium && Confidence::Medium < Confidence::High);
    }
}
