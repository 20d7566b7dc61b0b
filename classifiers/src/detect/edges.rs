//! Where a pattern's secret sits inside its match, worked out from the
//! pattern rather than by a capture search.
//!
//! Most detectors wrap their secret in one-byte boundaries, the look-behind
//! and look-ahead the regex engine lacks: `(?:^|[^A-Za-z0-9])(?P<secret>…)
//! (?:$|[^A-Za-z0-9])`. Away from the haystack's two ends, `^` and `$`
//! cannot match, so each boundary took exactly one byte and the secret is
//! the match less its first and last bytes. A capture search per match
//! (a backtracking run over the pattern's NFA) was the largest cost of text
//! dense with e-mail addresses; this settles it with two comparisons.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A pattern that is, whole, an optional one-byte boundary, the secret's
/// capture group, and an optional one-byte boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SecretEdges {
    before: bool,
    after: bool,
}

impl SecretEdges {
    /// The pattern's shape, when it is one (patterns are parsed without
    /// Unicode, so a class is one byte, and without multi-line mode, so
    /// `^` and `$` are the haystack's ends).
    pub(super) fn of(hir: &Hir) -> Option<Self> {
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let mut rest = &parts[..];
        let before = rest.first().is_some_and(|h| boundary(h, Look::Start));
        if before {
            rest = &rest[1..];
        }
        let after = rest.last().is_some_and(|h| boundary(h, Look::End));
        if after {
            rest = &rest[..rest.len() - 1];
        }
        match rest {
            [secret] if secret_group(secret) => Some(Self { before, after }),
            _ => None,
        }
    }

    /// The secret of the match `start..end` in a haystack of `len` bytes,
    /// unless the match touches an end where the boundary may have been
    /// `^` or `$` (the capture search decides those).
    pub(super) fn secret(self, len: usize, start: usize, end: usize) -> Option<(usize, usize)> {
        let from = if self.before {
            (start > 0).then_some(start + 1)?
        } else {
            start
        };
        let to = if self.after {
            (end < len).then(|| end - 1)?
        } else {
            end
        };
        (from <= to).then_some((from, to))
    }
}

/// `(?:^|[^…])` (with `Look::Start`) or `(?:$|[^…])` (with `Look::End`),
/// either order.
fn boundary(hir: &Hir, look: Look) -> bool {
    let HirKind::Alternation(branches) = hir.kind() else {
        return false;
    };
    let is_look = |h: &Hir| matches!(h.kind(), HirKind::Look(l) if *l == look);
    let is_byte = |h: &Hir| matches!(h.kind(), HirKind::Class(Class::Bytes(_)));
    matches!(&branches[..], [a, b] if (is_look(a) && is_byte(b)) || (is_byte(a) && is_look(b)))
}

fn secret_group(hir: &Hir) -> bool {
    matches!(hir.kind(), HirKind::Capture(c) if c.name.as_deref().is_some_and(|n| n.starts_with("secret")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pattern: &str) -> Hir {
        super::super::parse(pattern).unwrap()
    }

    #[test]
    fn shapes_are_recognised_only_when_whole() {
        let both = SecretEdges::of(&parse(r"(?:^|[^a-z])(?P<secret>[a-z]+@[a-z]+)(?:$|[^a-z])"));
        assert_eq!(
            both,
            Some(SecretEdges {
                before: true,
                after: true
            })
        );
        let before = SecretEdges::of(&parse(r"(?:[^0-9]|^)(?P<secret>[0-9]{9})"));
        assert_eq!(
            before,
            Some(SecretEdges {
                before: true,
                after: false
            })
        );
        for other in [
            r"token=(?P<secret>[a-z]+)(?:$|[^a-z])",
            r"(?:^|[^a-z])(?P<secret>[a-z]+)(?:$|[^a-z])x",
            r"(?m)(?:^|[^a-z])(?P<secret>[a-z]+)",
            r"(?:^|[^a-z])(?P<key>[a-z]+)",
            r"(?:^|[^a-z]{2})(?P<secret>[a-z]+)",
        ] {
            assert_eq!(SecretEdges::of(&parse(other)), None, "{other}");
        }
    }

    #[test]
    fn the_personal_data_patterns_have_the_shape() {
        let catalog = crate::catalog::Catalog::builtin().unwrap();
        let (mut grouped, mut shaped) = (0, 0);
        for item in &catalog.detectors {
            let shape = super::super::Shape::of(&item.pattern, &item.anchors).unwrap();
            let compiled = super::super::build_pattern(&shape, false).unwrap();
            grouped += usize::from(!compiled.secret_groups.is_empty());
            shaped += usize::from(compiled.edges.is_some());
            if ["email_address", "phone_number", "date_of_birth"].contains(&item.id.as_str()) {
                let both = Some(SecretEdges {
                    before: true,
                    after: true,
                });
                assert_eq!(compiled.edges, both, "{}", item.id);
            }
        }
        // 155 of 748 when written: most secrets follow a literal prefix.
        assert!(
            shaped >= 100,
            "{shaped} of {grouped} patterns with a secret group"
        );
    }

    #[test]
    fn secrets_are_the_match_less_its_boundaries_away_from_the_ends() {
        let edges = SecretEdges {
            before: true,
            after: true,
        };
        assert_eq!(edges.secret(100, 10, 20), Some((11, 19)));
        assert_eq!(edges.secret(100, 0, 20), None);
        assert_eq!(edges.secret(20, 10, 20), None);
        let open = SecretEdges {
            before: false,
            after: false,
        };
        assert_eq!(open.secret(20, 0, 20), Some((0, 20)));
    }
}
