//! Scope: which listed objects a scan reads. Globs over keys
//! (`--include`/`--exclude`), a size cap, a modification cut-off and a
//! deterministic sample, applied the same way to local trees and buckets.

use std::time::SystemTime;

use globset::{Glob, GlobSet, GlobSetBuilder};
use sha2::{Digest, Sha256};

use crate::record::ScanIssue;
use crate::source::{Discovered, ObjectRef};

/// An invalid scope setting.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("bad glob {pattern:?}")]
    Glob {
        pattern: String,
        source: globset::Error,
    },
    #[error("--sample must be more than 0 and at most 100, not {0}")]
    Sample(f64),
}

/// What a scan reads of what its sources list. Globs match the whole key
/// (or path below the target); a glob with no `/` also matches the last
/// component alone, as in `.gitignore`.
///
/// ```
/// use assay_scanner::scope::Scope;
/// let scope = Scope::new(&["*.env".into()], &["vendor/**".into()], None, None, None).unwrap();
/// assert!(scope.matches_key("config/prod.env"));
/// assert!(!scope.matches_key("vendor/lib/x.env"));
/// assert!(!scope.matches_key("README.md"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Scope {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    max_object_size: Option<u64>,
    modified_since: Option<SystemTime>,
    /// Parts per million of objects kept.
    sample_ppm: Option<u32>,
}

impl Scope {
    /// Whether the scope lets every listed object through (so an object
    /// not seen is gone, not filtered out).
    pub fn is_everything(&self) -> bool {
        self.include.is_none()
            && self.exclude.is_none()
            && self.max_object_size.is_none()
            && self.modified_since.is_none()
            && self.sample_ppm.is_none()
    }

    pub fn new(
        include: &[String],
        exclude: &[String],
        max_object_size: Option<u64>,
        modified_since: Option<SystemTime>,
        sample_percent: Option<f64>,
    ) -> Result<Self, ScopeError> {
        let sample_ppm = match sample_percent {
            None => None,
            Some(pct) if pct > 0.0 && pct <= 100.0 => Some((pct * 10_000.0).round() as u32),
            Some(pct) => return Err(ScopeError::Sample(pct)),
        };
        Ok(Self {
            include: glob_set(include)?,
            exclude: glob_set(exclude)?,
            max_object_size,
            modified_since,
            sample_ppm,
        })
    }

    /// Whether a key passes `--include`/`--exclude`.
    pub fn matches_key(&self, key: &str) -> bool {
        let name = key.rsplit('/').next().unwrap_or(key);
        let hit = |set: &GlobSet| set.is_match(key) || set.is_match(name);
        self.include.as_ref().is_none_or(hit) && !self.exclude.as_ref().is_some_and(hit)
    }

    /// Whether a URI falls in the sample. The choice depends only on the
    /// URI, so reruns and other machines pick the same objects.
    pub fn sampled(&self, uri: &str) -> bool {
        let Some(ppm) = self.sample_ppm else {
            return true;
        };
        let digest = Sha256::digest(uri.as_bytes());
        let draw = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000;
        draw < ppm
    }

    /// Applies the scope to what a source yields: objects out of scope are
    /// dropped; objects too big to read become a `skipped` issue, since an
    /// unread object is a blind spot the report must show.
    pub fn apply(&self, discovered: Discovered) -> Option<Discovered> {
        let Discovered::Object(object) = discovered else {
            return Some(discovered);
        };
        if !self.matches_key(key_of(&object)) || !self.sampled(&object.uri) {
            return None;
        }
        if let (Some(since), Some(modified)) = (self.modified_since, object.last_modified) {
            if modified < since {
                return None;
            }
        }
        if let Some(max) = self.max_object_size {
            if object.size > max {
                return Some(Discovered::Issue(ScanIssue {
                    location: object.uri,
                    kind: crate::record::IssueKind::Skipped,
                    message: format!(
                        "{} bytes is over --max-object-size {max}; not read",
                        object.size
                    ),
                }));
            }
        }
        Some(Discovered::Object(object))
    }
}

/// The key globs are matched against: the object key, or the path below
/// the scanned directory.
fn key_of(object: &ObjectRef) -> &str {
    object
        .bucket_key
        .as_ref()
        .map_or(object.name.as_str(), |(_, key)| key.as_str())
}

fn glob_set(patterns: &[String]) -> Result<Option<GlobSet>, ScopeError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|source| ScopeError::Glob {
            pattern: pattern.clone(),
            source,
        })?;
        builder.add(glob);
    }
    builder
        .build()
        .map(Some)
        .map_err(|source| ScopeError::Glob {
            pattern: patterns.join(" "),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_stable_and_close_to_its_share() {
        let scope = Scope::new(&[], &[], None, None, Some(10.0)).unwrap();
        let uris: Vec<String> = (0..20_000).map(|i| format!("s3://b/k{i}")).collect();
        let kept: Vec<&String> = uris.iter().filter(|u| scope.sampled(u)).collect();
        assert!((1_800..2_200).contains(&kept.len()), "{}", kept.len());
        let again: Vec<&String> = uris.iter().filter(|u| scope.sampled(u)).collect();
        assert_eq!(kept, again);
        assert!(Scope::new(&[], &[], None, None, Some(0.0)).is_err());
        assert!(Scope::new(&[], &[], None, None, Some(100.5)).is_err());
        let all = Scope::new(&[], &[], None, None, Some(100.0)).unwrap();
        assert!(uris.iter().all(|u| all.sampled(u)));
    }

    #[test]
    fn oversized_objects_are_reported_and_old_ones_dropped() {
        let object = |size, age_days: u64| {
            Discovered::Object(ObjectRef {
                uri: "s3://b/a.csv".into(),
                name: "a.csv".into(),
                size,
                etag: None,
                version_id: None,
                last_modified: Some(
                    SystemTime::now() - std::time::Duration::from_secs(age_days * 86_400),
                ),
                location: crate::source::Location::File("a.csv".into()),
                bucket_key: Some(("b".into(), "a.csv".into())),
            })
        };
        let since = SystemTime::now() - std::time::Duration::from_secs(30 * 86_400);
        let scope = Scope::new(&[], &[], Some(1_000), Some(since), None).unwrap();
        assert!(matches!(
            scope.apply(object(10, 1)),
            Some(Discovered::Object(_))
        ));
        assert!(scope.apply(object(10, 90)).is_none());
        match scope.apply(object(5_000, 1)) {
            Some(Discovered::Issue(issue)) => {
                assert_eq!(issue.kind, crate::record::IssueKind::Skipped);
                assert!(issue.message.contains("5000 bytes"), "{}", issue.message);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Scope::new(&["[".into()], &[], None, None, None),
            Err(ScopeError::Glob { .. })
        ));
    }
}
