//! Where an anchor sits in its pattern, worked out from the pattern: how
//! far a match can reach either side of it, and which bytes can stand
//! right before and after it.
//!
//! A detector's window is as wide both ways as its farthest match needs,
//! but most patterns fix the anchor's place: NetNTLM's `::` opens the
//! match, so nothing before it can belong to one, and an e-mail address's
//! `@` follows a local-part character and precedes a domain one, which the
//! `@param` of every documentation comment does not. A hit whose
//! neighbours the pattern rules out opens no window, and the others open
//! only as much as the pattern can reach: in C headers that halved the
//! text the detectors' regexes read.
//!
//! The reasoning: when the anchor is a literal of the pattern's top-level
//! sequence (capture groups see through), every match holds the anchor at
//! that place, so it has a hit there whose neighbours the pattern's parts
//! allow and whose distance to the match's ends their longest lengths
//! bound. Hits elsewhere may be dropped: they are not the one that finds
//! the match.

use regex_syntax::hir::{Class, ClassBytes, Hir, HirKind};

/// An anchor's place in a pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Site {
    /// The longest a match reaches before the anchor's start, if bounded.
    pub(super) before_reach: Option<usize>,
    /// The longest a match reaches past the anchor's end, if bounded.
    pub(super) after_reach: Option<usize>,
    /// Bytes that can stand right before the anchor in a match, when the
    /// pattern says.
    before: Option<ByteSet>,
    /// Bytes that can stand right after it.
    after: Option<ByteSet>,
}

impl Site {
    /// The place of `anchor` in the pattern, when it is a literal of the
    /// pattern's top-level sequence (its first such place).
    pub(super) fn of(hir: &Hir, anchor: &str) -> Option<Self> {
        let mut parts = Vec::new();
        flatten(hir, &mut parts);
        let anchor = anchor.as_bytes();
        let (at, literal) = parts
            .iter()
            .enumerate()
            .find_map(|(i, part)| match part.kind() {
                HirKind::Literal(literal)
                    if literal
                        .0
                        .get(..anchor.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(anchor)) =>
                {
                    Some((i, &literal.0))
                }
                _ => None,
            })?;
        let (before, after) = (&parts[..at], &parts[at + 1..]);
        let tail = &literal[anchor.len()..];
        let reach = |parts: &[&Hir]| {
            parts.iter().try_fold(0usize, |sum, part| {
                Some(sum + part.properties().maximum_len()?)
            })
        };
        Some(Self {
            before_reach: reach(before),
            after_reach: reach(after).map(|n| n + tail.len()),
            before: edge_bytes(before.iter().rev(), Edge::Last),
            after: match tail.first() {
                Some(&b) => {
                    let mut set = ByteSet::default();
                    set.insert(b);
                    Some(set)
                }
                None => edge_bytes(after.iter(), Edge::First),
            },
        })
    }

    /// Whether a hit at `buf[start..end]` has neighbours the pattern
    /// allows (a missing neighbour, at the buffer's ends, is allowed).
    pub(super) fn admits(&self, buf: &[u8], start: usize, end: usize) -> bool {
        let allowed = |set: &Option<ByteSet>, b: Option<&u8>| match (set, b) {
            (Some(set), Some(&b)) => set.contains(b),
            _ => true,
        };
        allowed(&self.before, start.checked_sub(1).and_then(|i| buf.get(i)))
            && allowed(&self.after, buf.get(end))
    }
}

/// The pattern as one sequence: nested sequences and capture groups
/// opened up.
fn flatten<'h>(hir: &'h Hir, out: &mut Vec<&'h Hir>) {
    match hir.kind() {
        HirKind::Concat(parts) => parts.iter().for_each(|p| flatten(p, out)),
        HirKind::Capture(capture) => flatten(&capture.sub, out),
        _ => out.push(hir),
    }
}

#[derive(Clone, Copy)]
enum Edge {
    First,
    Last,
}

/// The bytes the first (or last) byte of what `parts` match can be, taken
/// in that order, when each is a class, a literal, a repetition of one, or
/// zero-width; `None` when something else comes first, or when all of
/// them may match nothing (then the match may end there, and any byte can
/// follow).
fn edge_bytes<'h>(parts: impl Iterator<Item = &'h &'h Hir>, edge: Edge) -> Option<ByteSet> {
    let mut set = ByteSet::default();
    for part in parts {
        let (element, min) = match part.kind() {
            HirKind::Repetition(repetition) => (&*repetition.sub, repetition.min),
            HirKind::Look(_) => continue,
            _ => (*part, 1),
        };
        match element.kind() {
            HirKind::Literal(literal) => {
                let b = match edge {
                    Edge::First => literal.0.first(),
                    Edge::Last => literal.0.last(),
                };
                set.insert(*b?);
            }
            HirKind::Class(Class::Bytes(class)) => set.insert_class(class),
            _ => return None,
        }
        if min >= 1 {
            return Some(set);
        }
    }
    None
}

/// A set of bytes, a bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ByteSet([u64; 4]);

impl ByteSet {
    pub(super) fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    pub(super) fn insert_class(&mut self, class: &ClassBytes) {
        for range in class.ranges() {
            (range.start()..=range.end()).for_each(|b| self.insert(b));
        }
    }

    pub(super) fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(pattern: &str, anchor: &str) -> Option<Site> {
        let hir = super::super::parse(pattern).unwrap();
        Site::of(&hir, anchor)
    }

    #[test]
    fn an_opening_anchor_reaches_only_forward() {
        let ntlm = site(
            r"::[A-Za-z0-9._-]*:(?P<secret>[0-9a-f]{16}:[0-9a-f]{32})",
            "::",
        )
        .unwrap();
        assert_eq!(ntlm.before_reach, Some(0));
        // Unbounded: `*`.
        assert_eq!(ntlm.after_reach, None);
        assert!(ntlm.admits(b"user::dom:", 4, 6));
        assert!(ntlm.admits(b"std::vector", 3, 5));
        assert!(!ntlm.admits(b"a:: b", 1, 3));
    }

    #[test]
    fn an_anchor_inside_is_bounded_by_its_neighbours() {
        let email = site(
            r"(?:^|[^A-Za-z0-9._%+\-:/!])(?P<secret>[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)(?:$|[^A-Za-z0-9_\-])",
            "@",
        )
        .unwrap();
        assert_eq!(email.before_reach, Some(65));
        assert_eq!(email.after_reach, Some(1 + 62 + 1));
        assert!(email.admits(b"jo@example", 2, 3));
        assert!(email.admits(b"j.@x", 2, 3));
        assert!(!email.admits(b" * @param", 3, 4));
        assert!(!email.admits(b"jo@ x", 2, 3));
        // At the buffer's ends nothing rules a hit out.
        assert!(email.admits(b"@x", 0, 1));
    }

    #[test]
    fn a_longer_literal_fixes_the_byte_after_the_anchor() {
        let sk = site(r"\bsk_live_[0-9a-z]{24}", "sk_").unwrap();
        assert!(sk.admits(b" sk_live_", 1, 4));
        assert!(!sk.admits(b" sk_test_", 1, 4));
        assert_eq!(sk.after_reach, Some(5 + 24));
    }

    #[test]
    fn anchors_not_in_the_top_level_sequence_have_no_site() {
        assert_eq!(site(r"(?:token|secret)=[a-z]+", "token"), None);
        assert_eq!(site(r"(?i:token)=[a-z]+", "token"), None);
        assert_eq!(site(r"key=[a-z]+", "token"), None);
    }

    #[test]
    fn the_catalog_has_sites_where_costs_were_measured() {
        let catalog = crate::catalog::Catalog::builtin().unwrap();
        let mut sited = 0;
        for item in &catalog.detectors {
            let hir = super::super::parse(&item.pattern).unwrap();
            let sites: Vec<Option<Site>> = item.anchors.iter().map(|a| Site::of(&hir, a)).collect();
            sited += sites.iter().filter(|s| s.is_some()).count();
            match item.id.as_str() {
                "netntlm_hash" => assert_eq!(sites[0].as_ref().unwrap().before_reach, Some(0)),
                "email_address" => assert!(!sites[0].as_ref().unwrap().admits(b" @param", 1, 2)),
                _ => {}
            }
        }
        assert!(sited >= 100, "{sited} anchors with a site");
    }
}
