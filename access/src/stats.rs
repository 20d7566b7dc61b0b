//! Access statistics: what the events say about each object, bucket,
//! principal and source IP, and the API-event catalog that rates calls and
//! errors (`access/catalog/api_events.toml`).

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{AccessEvent, AccessKind, Principal, PrincipalKind};

const API_EVENTS: &str = include_str!("../catalog/api_events.toml");

/// A rated API event or error code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiItem {
    #[serde(alias = "code")]
    pub name: String,
    pub risk: u8,
    pub why: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

#[derive(Deserialize)]
struct ApiFile {
    api_event: Vec<ApiItem>,
    error_code: Vec<ApiItem>,
}

/// CloudTrail event names and error codes with their risks.
#[derive(Debug, Clone)]
pub struct ApiCatalog {
    pub events: Vec<ApiItem>,
    pub errors: Vec<ApiItem>,
    event_index: HashMap<String, usize>,
    error_index: HashMap<String, usize>,
}

impl ApiCatalog {
    /// The catalog shipped with assay.
    pub fn builtin() -> Result<Self, toml::de::Error> {
        let file: ApiFile = toml::from_str(API_EVENTS)?;
        Ok(Self::new(file.api_event, file.error_code))
    }

    pub fn new(events: Vec<ApiItem>, errors: Vec<ApiItem>) -> Self {
        let index = |items: &[ApiItem]| {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (item.name.clone(), i))
                .collect()
        };
        Self {
            event_index: index(&events),
            error_index: index(&errors),
            events,
            errors,
        }
    }

    pub fn event_risk(&self, name: &str) -> Option<u8> {
        self.event_index
            .get(name)
            .map(|&i| &self.events[i])
            .filter(|e| e.enabled)
            .map(|e| e.risk)
    }

    pub fn error_risk(&self, code: &str) -> Option<u8> {
        self.error_index
            .get(code)
            .map(|&i| &self.errors[i])
            .filter(|e| e.enabled)
            .map(|e| e.risk)
    }
}

/// What the logs say about one object (SPEC `access`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ObjectAccess {
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
    /// Distinct principals that made any request on the object.
    pub principals: u64,
    pub access_denied: u64,
    pub denied_principals: u64,
    pub presigned_reads: u64,
    /// Successful anonymous requests.
    pub anonymous_requests: u64,
    /// Successful requests from another account.
    pub cross_account_requests: u64,
    /// Principals flagged as scrapers (see [`IdentityStats::scraper`]) that
    /// touched or were denied this object.
    pub scrapers: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Default)]
struct ObjectTally {
    access: ObjectAccess,
    principals: HashSet<String>,
    denied: HashSet<String>,
    first: Option<SystemTime>,
    last: Option<SystemTime>,
}

/// What the logs say about one principal.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityStats {
    pub principal: String,
    pub kind: PrincipalKind,
    pub account: Option<String>,
    pub calls: u64,
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
    pub access_denied: u64,
    /// Share of its calls that were denied (0 to 1).
    pub denied_ratio: f64,
    pub other_errors: u64,
    pub objects: u64,
    pub denied_objects: u64,
    pub buckets: u64,
    pub source_ips: Vec<String>,
    pub cross_account: bool,
    pub presigned_reads: u64,
    /// The riskiest API call it made, and that call's risk.
    pub riskiest_call: Option<(String, u8)>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Many denials across many objects, most of its calls denied.
    pub scraper: bool,
    /// Its riskiest error code seen at least [`REPEATED_ERROR`] times, with
    /// the count and the code's risk.
    pub riskiest_error: Option<(String, u64, u8)>,
    /// First seen in the last [`NEW_PRINCIPAL_WINDOW`] of the logs.
    pub new_principal: bool,
}

/// An error code counts toward an identity's score from this many on.
pub const REPEATED_ERROR: u64 = 3;
/// A principal first seen this close to the end of the logs is new.
pub const NEW_PRINCIPAL_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// What the logs say about one source IP address.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceIpStats {
    pub ip: String,
    pub calls: u64,
    pub access_denied: u64,
    pub principals: u64,
    pub objects: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Default)]
struct IpTally {
    calls: u64,
    denied: u64,
    principals: HashSet<String>,
    objects: HashSet<(String, String)>,
    first: Option<SystemTime>,
    last: Option<SystemTime>,
}

#[derive(Debug)]
struct PrincipalTally {
    principal: Principal,
    stats: IdentityStats,
    objects: HashSet<(String, String)>,
    denied_objects: HashSet<(String, String)>,
    buckets: HashSet<String>,
    ips: HashSet<String>,
    errors: HashMap<String, u64>,
    first: Option<SystemTime>,
    last: Option<SystemTime>,
}

/// What the logs say about one bucket.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BucketAccess {
    pub requests: u64,
    pub access_denied: u64,
    pub principals: u64,
    /// The riskiest configuration call on the bucket, and its risk.
    pub riskiest_call: Option<(String, u8)>,
}

/// The scraper pattern: at least this many denials...
pub const SCRAPER_MIN_DENIALS: u64 = 10;
/// ...over at least this many distinct objects...
pub const SCRAPER_MIN_OBJECTS: u64 = 5;
/// ...with at least half of its calls denied.
pub const SCRAPER_MIN_DENIED_SHARE: f64 = 0.5;

/// Statistics over every event read.
#[derive(Debug, Default)]
pub struct AccessStats {
    objects: HashMap<(String, String), ObjectTally>,
    buckets: HashMap<String, (BucketAccess, HashSet<String>)>,
    principals: HashMap<String, PrincipalTally>,
    ips: HashMap<String, IpTally>,
    latest: Option<SystemTime>,
    pub events: u64,
}

fn stamp(time: Option<SystemTime>) -> Option<String> {
    time.map(|t| humantime::format_rfc3339_seconds(t).to_string())
}

fn widen(first: &mut Option<SystemTime>, last: &mut Option<SystemTime>, time: Option<SystemTime>) {
    if let Some(t) = time {
        *first = Some(first.map_or(t, |f| f.min(t)));
        *last = Some(last.map_or(t, |l| l.max(t)));
    }
}

impl AccessStats {
    /// Counts one event.
    pub fn add(&mut self, event: &AccessEvent, api: &ApiCatalog) {
        self.events += 1;
        let denied = event.denied();
        let pid = event.principal.id.clone();
        let tally = self
            .principals
            .entry(pid.clone())
            .or_insert_with(|| PrincipalTally {
                principal: event.principal.clone(),
                stats: IdentityStats {
                    principal: pid.clone(),
                    kind: event.principal.kind,
                    account: event.principal.account.clone(),
                    calls: 0,
                    reads: 0,
                    writes: 0,
                    deletes: 0,
                    access_denied: 0,
                    denied_ratio: 0.0,
                    other_errors: 0,
                    objects: 0,
                    denied_objects: 0,
                    buckets: 0,
                    source_ips: Vec::new(),
                    cross_account: false,
                    presigned_reads: 0,
                    riskiest_call: None,
                    first_seen: None,
                    last_seen: None,
                    scraper: false,
                    riskiest_error: None,
                    new_principal: false,
                },
                objects: HashSet::new(),
                denied_objects: HashSet::new(),
                buckets: HashSet::new(),
                ips: HashSet::new(),
                errors: HashMap::new(),
                first: None,
                last: None,
            });
        let s = &mut tally.stats;
        s.calls += 1;
        match event.kind {
            AccessKind::Read => s.reads += 1,
            AccessKind::Write => s.writes += 1,
            AccessKind::Delete => s.deletes += 1,
            _ => {}
        }
        if denied {
            s.access_denied += 1;
        } else if event.error_code.is_some() {
            s.other_errors += 1;
        }
        s.cross_account |= event.cross_account;
        if event.presigned && event.kind == AccessKind::Read {
            s.presigned_reads += 1;
        }
        if let Some(risk) = api.event_risk(&event.operation) {
            if s.riskiest_call.as_ref().is_none_or(|(_, r)| risk > *r) {
                s.riskiest_call = Some((event.operation.clone(), risk));
            }
        }
        if let Some(code) = &event.error_code {
            *tally.errors.entry(code.clone()).or_default() += 1;
        }
        if let Some(ip) = &event.source_ip {
            tally.ips.insert(ip.clone());
            let ip_tally = self.ips.entry(ip.clone()).or_default();
            ip_tally.calls += 1;
            ip_tally.denied += u64::from(denied);
            ip_tally.principals.insert(pid.clone());
            if let Some(bucket) = &event.bucket {
                ip_tally
                    .objects
                    .extend(event.keys.iter().map(|k| (bucket.clone(), k.clone())));
            }
            widen(&mut ip_tally.first, &mut ip_tally.last, event.time);
        }
        widen(&mut tally.first, &mut tally.last, event.time);
        if let Some(t) = event.time {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        let Some(bucket) = &event.bucket else { return };
        tally.buckets.insert(bucket.clone());
        let (bucket_access, bucket_principals) = self.buckets.entry(bucket.clone()).or_default();
        bucket_access.requests += 1;
        bucket_access.access_denied += u64::from(denied);
        bucket_principals.insert(pid.clone());
        if event.kind == AccessKind::Config && !denied && event.error_code.is_none() {
            if let Some(risk) = api.event_risk(&event.operation) {
                if bucket_access
                    .riskiest_call
                    .as_ref()
                    .is_none_or(|(_, r)| risk > *r)
                {
                    bucket_access.riskiest_call = Some((event.operation.clone(), risk));
                }
            }
        }
        for key in &event.keys {
            let id = (bucket.clone(), key.clone());
            tally.objects.insert(id.clone());
            if denied {
                tally.denied_objects.insert(id.clone());
            }
            let object = self.objects.entry(id).or_default();
            let a = &mut object.access;
            match event.kind {
                AccessKind::Read => a.reads += u64::from(!denied),
                AccessKind::Write => a.writes += u64::from(!denied),
                AccessKind::Delete => a.deletes += u64::from(!denied),
                _ => {}
            }
            a.access_denied += u64::from(denied);
            a.presigned_reads +=
                u64::from(event.presigned && event.kind == AccessKind::Read && !denied);
            // Exposure is what succeeded; denied requests count as denials.
            a.anonymous_requests +=
                u64::from(event.principal.kind == PrincipalKind::Anonymous && !denied);
            a.cross_account_requests += u64::from(event.cross_account && !denied);
            object.principals.insert(pid.clone());
            if denied {
                object.denied.insert(pid.clone());
            }
            widen(&mut object.first, &mut object.last, event.time);
        }
    }

    /// Finishes the per-principal figures and flags scrapers; call once
    /// after the last event. `api` rates the error codes.
    pub fn finish(&mut self, api: &ApiCatalog) {
        let new_since = self
            .latest
            .and_then(|l| l.checked_sub(NEW_PRINCIPAL_WINDOW));
        let long_enough = self.span_over(NEW_PRINCIPAL_WINDOW);
        for tally in self.principals.values_mut() {
            tally.stats.riskiest_error = tally
                .errors
                .iter()
                .filter(|(_, n)| **n >= REPEATED_ERROR)
                .filter_map(|(code, n)| api.error_risk(code).map(|risk| (code.clone(), *n, risk)))
                .max_by(|a, b| a.2.cmp(&b.2).then(a.1.cmp(&b.1)).then(b.0.cmp(&a.0)));
            tally.stats.new_principal = long_enough
                && matches!((tally.first, new_since), (Some(first), Some(since)) if first >= since);
            let s = &mut tally.stats;
            s.objects = tally.objects.len() as u64;
            s.denied_objects = tally.denied_objects.len() as u64;
            s.buckets = tally.buckets.len() as u64;
            let mut ips: Vec<String> = tally.ips.iter().cloned().collect();
            ips.sort();
            s.source_ips = ips;
            s.first_seen = stamp(tally.first);
            s.last_seen = stamp(tally.last);
            s.denied_ratio = if s.calls == 0 {
                0.0
            } else {
                s.access_denied as f64 / s.calls as f64
            };
            s.scraper = s.access_denied >= SCRAPER_MIN_DENIALS
                && s.denied_objects >= SCRAPER_MIN_OBJECTS
                && s.access_denied as f64 >= SCRAPER_MIN_DENIED_SHARE * s.calls as f64;
        }
        let scrapers: HashSet<&String> = self
            .principals
            .iter()
            .filter(|(_, t)| t.stats.scraper)
            .map(|(id, _)| id)
            .collect();
        for object in self.objects.values_mut() {
            let a = &mut object.access;
            a.principals = object.principals.len() as u64;
            a.denied_principals = object.denied.len() as u64;
            a.scrapers = object
                .principals
                .iter()
                .filter(|p| scrapers.contains(p))
                .count() as u64;
            a.first_seen = stamp(object.first);
            a.last_seen = stamp(object.last);
        }
        for (access, principals) in self.buckets.values_mut() {
            access.principals = principals.len() as u64;
        }
    }

    /// Whether the logs cover more than `window` (otherwise every principal
    /// would look new).
    fn span_over(&self, window: std::time::Duration) -> bool {
        let earliest = self.principals.values().filter_map(|t| t.first).min();
        matches!((earliest, self.latest), (Some(e), Some(l)) if l.duration_since(e).unwrap_or_default() > window)
    }

    /// Every source IP, most denials first.
    pub fn source_ips(&self) -> Vec<SourceIpStats> {
        let mut ips: Vec<SourceIpStats> = self
            .ips
            .iter()
            .map(|(ip, t)| SourceIpStats {
                ip: ip.clone(),
                calls: t.calls,
                access_denied: t.denied,
                principals: t.principals.len() as u64,
                objects: t.objects.len() as u64,
                first_seen: stamp(t.first),
                last_seen: stamp(t.last),
            })
            .collect();
        ips.sort_by(|a, b| {
            b.access_denied
                .cmp(&a.access_denied)
                .then(b.calls.cmp(&a.calls))
                .then(a.ip.cmp(&b.ip))
        });
        ips
    }

    pub fn object(&self, bucket: &str, key: &str) -> Option<&ObjectAccess> {
        self.objects
            .get(&(bucket.to_string(), key.to_string()))
            .map(|o| &o.access)
    }

    pub fn bucket(&self, bucket: &str) -> Option<&BucketAccess> {
        self.buckets.get(bucket).map(|(b, _)| b)
    }

    /// Every principal with the objects it touched.
    pub fn identities(&self) -> impl Iterator<Item = (&IdentityStats, &HashSet<(String, String)>)> {
        self.principals.values().map(|t| (&t.stats, &t.objects))
    }

    pub fn principal_kind(&self, id: &str) -> Option<PrincipalKind> {
        self.principals.get(id).map(|t| t.principal.kind)
    }
}
