//! What must stand before a pattern's leading literal, worked out from the
//! pattern: an anchor hit that the pattern could not begin with opens no
//! window.
//!
//! Vendor tokens start with short prefixes that ordinary words contain:
//! `ck_` is in every `lock_` and `check_`, `re_` in `pre_`, `SK` in `TASK`.
//! Their patterns say the prefix starts a token, with a one-byte boundary
//! (`(?:^|[^A-Za-z0-9_])ck_…`) or `\b`. Every match then has an anchor hit
//! at its prefix whose byte before is one the boundary accepts (or none, at
//! the start of the buffer), so hits after any other byte can be dropped
//! before their window is searched: in C headers that was two thirds of
//! the windows the regexes ran in.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::site::ByteSet;

/// A pattern whose every match is a boundary, then one of `literals`, each
/// beginning with one of the detector's anchors (so every match has an
/// anchor hit where its literal starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Lead {
    /// The literals a match may start with after its boundary (lower
    /// case, each once).
    literals: Vec<Vec<u8>>,
    /// Bytes that may stand right before the literal.
    before: ByteSet,
}

impl Lead {
    /// The pattern's lead, when it has the shape and `anchors` begin every
    /// literal (patterns are parsed without Unicode, so a class is of
    /// bytes and `\b` is ASCII).
    pub(super) fn of(hir: &Hir, anchors: &[String]) -> Option<Self> {
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let (boundary, rest) = parts.split_first()?;
        // The boundary is read first: most patterns have none, and for them
        // the literals are not extracted.
        let mut before = ByteSet::default();
        let word_boundary = match boundary.kind() {
            HirKind::Alternation(branches) => {
                for branch in branches {
                    match branch.kind() {
                        HirKind::Look(Look::Start) => {}
                        // `(?m)^`: after a line break too.
                        HirKind::Look(Look::StartLF) => before.insert(b'\n'),
                        HirKind::Look(Look::StartCRLF) => {
                            before.insert(b'\n');
                            before.insert(b'\r');
                        }
                        HirKind::Class(Class::Bytes(class)) => before.insert_class(class),
                        _ => return None,
                    }
                }
                false
            }
            HirKind::Look(Look::WordAscii | Look::WordStartAscii | Look::WordStartHalfAscii) => {
                true
            }
            _ => return None,
        };
        let seq = Extractor::new()
            .kind(ExtractKind::Prefix)
            .extract(&Hir::concat(rest.to_vec()));
        let mut literals: Vec<Vec<u8>> = seq
            .literals()?
            .iter()
            .map(|l| l.as_bytes().to_ascii_lowercase())
            .collect();
        literals.sort_unstable();
        literals.dedup();
        let anchored = |literal: &[u8]| {
            anchors.iter().any(|a| {
                literal
                    .get(..a.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(a.as_bytes()))
            })
        };
        if literals.is_empty() || !literals.iter().all(|l| anchored(l)) {
            return None;
        }
        if word_boundary {
            // `\b` before a word byte: a byte that is not one.
            if !literals
                .iter()
                .all(|l| l.first().copied().is_some_and(is_word))
            {
                return None;
            }
            for b in (0..=255u8).filter(|&b| !is_word(b)) {
                before.insert(b);
            }
        }
        Some(Self { literals, before })
    }

    /// Whether an anchor hit at `buf[start..end]` may be where a match's
    /// literal begins, or is one this lead says nothing about (its text
    /// begins no literal).
    pub(super) fn admits(&self, buf: &[u8], start: usize, end: usize) -> bool {
        let hit = &buf[start..end];
        let leads = self.literals.iter().any(|literal| {
            literal
                .get(..hit.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(hit))
        });
        if !leads || start == 0 {
            return true;
        }
        let b = buf[start - 1];
        self.before.contains(b)
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead_with(pattern: &str, anchors: &[&str]) -> Option<Lead> {
        let hir = super::super::parse(pattern).unwrap();
        let anchors: Vec<String> = anchors.iter().map(|a| a.to_string()).collect();
        Lead::of(&hir, &anchors)
    }

    fn lead(pattern: &str) -> Option<Lead> {
        lead_with(pattern, &["ck_", "sk", "token", "x"])
    }

    #[test]
    fn a_one_byte_boundary_admits_only_its_class_before_the_literal() {
        let woo =
            lead(r"(?:^|[^A-Za-z0-9_\-])(?P<secret>ck_[0-9a-f]{40})(?:[^A-Za-z0-9_\-]|$)").unwrap();
        assert_eq!(woo.literals, [b"ck_".to_vec()]);
        assert!(woo.admits(b"key=ck_", 4, 7));
        assert!(woo.admits(b"ck_", 0, 3));
        assert!(!woo.admits(b"lock_", 2, 5));
        assert!(!woo.admits(b"x-ck_", 2, 5));
        // Case-insensitive hits are judged as their text stands.
        assert!(!woo.admits(b"LOCK_", 2, 5));
        // A hit that is not how the literal starts is not this lead's to judge.
        assert!(woo.admits(b"lock_", 3, 4));
    }

    #[test]
    fn word_boundaries_admit_only_non_word_bytes() {
        let twilio = lead(r"\b(?P<secret>SK[0-9a-fA-F]{32})\b").unwrap();
        assert!(twilio.admits(b"=SK", 1, 3));
        assert!(!twilio.admits(b"TASK", 2, 4));
        assert!(!twilio.admits(b"_SK", 1, 3));
        let lines = lead(r"(?m)(?:^|[ \t])token:").unwrap();
        assert!(lines.admits(b"a\ntoken:", 2, 7));
        assert!(lines.admits(b"a token:", 2, 7));
        assert!(!lines.admits(b"atoken:", 1, 6));
    }

    #[test]
    fn other_shapes_have_no_lead() {
        for pattern in [
            r"token=(?P<secret>[a-z]+)",
            r"(?:^|[^a-z])(?P<secret>[a-z]+)",
            r"\b(?P<secret>-x[a-z]+)",
            r"(?:^|[^a-z]|ab)sk_",
            r"(?i:sk)_[a-z]+",
            r"(?:^|[^a-z])(?:ck_|zz_)[a-z]+",
        ] {
            assert_eq!(lead(pattern), None, "{pattern}");
        }
    }

    #[test]
    fn alternatives_lead_only_when_an_anchor_begins_each() {
        let pattern = r"(?:^|[^A-Za-z0-9])(?i:vmware|csp)[a-z_]{0,25}(?i:token)=[a-z]+";
        let vmware = lead_with(pattern, &["vmware", "csp"]).unwrap();
        assert!(!vmware.admits(b"OCSP_token", 1, 4));
        assert!(vmware.admits(b"_CSP_token", 1, 4));
        assert!(!vmware.admits(b"xvmware", 1, 7));
        // A hit of an anchor no literal begins with is not judged.
        assert!(vmware.admits(b"xtoken", 1, 6));
        // "csp_" begins no match of "csp-token=": no lead.
        assert_eq!(lead_with(pattern, &["vmware", "csp_"]), None);
    }

    #[test]
    fn vendor_prefixes_that_words_contain_have_leads_in_the_catalog() {
        let catalog = crate::catalog::Catalog::builtin().unwrap();
        let mut led = 0;
        for item in &catalog.detectors {
            let hir = super::super::parse(&item.pattern).unwrap();
            let lead = Lead::of(&hir, &item.anchors);
            led += usize::from(lead.is_some());
            let (good, bad): (&[u8], &[u8]) = match item.id.as_str() {
                "woocommerce_consumer_key" => (b"key=ck_", b"lock_"),
                "resend_api_key" => (b" re_", b"pre_"),
                "vmware_cloud_services_api_token" => (b"\"csp", b"ocsp"),
                _ => continue,
            };
            let lead = lead.unwrap_or_else(|| panic!("{} has no lead", item.id));
            let n = 3;
            assert!(lead.admits(good, good.len() - n, good.len()), "{}", item.id);
            assert!(!lead.admits(bad, bad.len() - n, bad.len()), "{}", item.id);
        }
        assert!(led >= 50, "{led} detectors with a lead");
    }
}
