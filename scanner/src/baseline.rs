//! `--baseline`: findings accepted earlier, by fingerprint (rule, object,
//! redacted match: [`crate::record::fingerprint`]), so a pre-release check
//! fails only on new ones. A baseline is any earlier `--format sarif` or
//! `--format json` report.

use std::collections::HashSet;
use std::path::Path;

use crate::record::ObjectRecord;
use crate::record::fingerprint;

/// Why a baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("baseline {path} is not JSON: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("baseline {path} is neither a SARIF nor a JSON report of assay")]
    Shape { path: String },
}

/// The fingerprints of accepted findings.
#[derive(Debug, Default)]
pub struct Baseline {
    accepted: HashSet<String>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: name.clone(),
            source,
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| BaselineError::Parse {
                path: name.clone(),
                source,
            })?;
        let mut accepted = HashSet::new();
        if let Some(runs) = value["runs"].as_array() {
            for result in runs
                .iter()
                .filter_map(|r| r["results"].as_array())
                .flatten()
            {
                if let Some(print) = result["partialFingerprints"]["assayFinding/v1"].as_str() {
                    accepted.insert(print.to_string());
                }
            }
        } else if let Some(objects) = value["objects"].as_array() {
            for object in objects {
                let uri = object["uri"].as_str().unwrap_or_default();
                for regex in object["regexes"].as_array().into_iter().flatten() {
                    accepted.insert(fingerprint(
                        regex["id"].as_str().unwrap_or_default(),
                        uri,
                        regex["redacted"].as_str().unwrap_or_default(),
                    ));
                }
            }
        } else {
            return Err(BaselineError::Shape { path: name });
        }
        Ok(Self { accepted })
    }

    pub fn len(&self) -> usize {
        self.accepted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accepted.is_empty()
    }

    /// Drops accepted findings from a record (and their risk factors, so
    /// the content risk is that of what is new) and says how many.
    pub fn apply(&self, record: &mut ObjectRecord) -> u64 {
        let before = record.regexes.len();
        let uri = record.uri.clone();
        let mut dropped = Vec::new();
        record.regexes.retain(|r| {
            let known = self
                .accepted
                .contains(&fingerprint(&r.id, &uri, &r.redacted));
            if known {
                dropped.push(format!("regexes:{}", r.id));
            }
            !known
        });
        if dropped.is_empty() {
            return 0;
        }
        // A low-confidence finding's detail goes on after its id
        // ("regexes:x (low confidence: 6 - 2)").
        record.risk_factors.retain(|f| {
            !dropped.iter().any(|d| {
                f.detail
                    .strip_prefix(d.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
            })
        });
        record.risk = record
            .risk_factors
            .iter()
            .map(|f| f.value)
            .max()
            .unwrap_or(1)
            .clamp(1, 10);
        (before - record.regexes.len()) as u64
    }
}
