//! The CloudTrail reader: delivered log files (`{"Records": [...]}`, gzip
//! or not) and JSON Lines of bare events (pipeline exports, EventBridge
//! `detail` wrappers). Records stream one at a time, so a month of logs is
//! read in bounded memory; duplicate `eventID`s are dropped; object data
//! events are recognised from event source, name and resources.

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;

use super::{
    AccessEvent, AccessIssue, AccessKind, EventSource, Principal, PrincipalKind, ReadReport,
    TimeWindow,
};

/// Reads every CloudTrail file under `paths` and hands each event in the
/// window to `sink`. Problems (unreadable files, bad JSON, records without
/// an event name) are reported with their location; reading goes on.
pub fn read(
    paths: &[PathBuf],
    window: TimeWindow,
    sink: &mut dyn FnMut(AccessEvent),
) -> ReadReport {
    let mut report = ReadReport::default();
    let mut seen: HashSet<u128> = HashSet::new();
    super::each_input(paths, &mut report, |path, location, mut reader, report| {
        let mut deliver =
            |index: usize, text: &str, report: &mut ReadReport| match parse_record(text) {
                Ok((event, id)) => {
                    if id.is_some_and(|id| !seen.insert(id)) {
                        report.duplicates += 1;
                    } else if !window.contains(event.time) {
                        report.outside_window += 1;
                    } else {
                        report.events += 1;
                        sink(event);
                    }
                }
                Err(message) => report.problems.push(AccessIssue {
                    location: format!("{location} record {index}"),
                    message,
                }),
            };
        // Parsing from memory is several times faster than from a reader;
        // a file over the limit is streamed instead, so memory stays bounded.
        let mut bytes = Vec::new();
        let mut read_error = None;
        let in_memory =
            match std::io::Read::take(&mut reader, IN_MEMORY_LIMIT + 1).read_to_end(&mut bytes) {
                Ok(_) => bytes.len() as u64 <= IN_MEMORY_LIMIT,
                Err(error) => {
                    // A truncated or corrupt gzip stream: parse what was read.
                    read_error = Some(error.to_string());
                    true
                }
            };
        let result = if in_memory {
            parse_stream(
                serde_json::Deserializer::from_slice(&bytes),
                starts_records_object(&bytes),
                &mut deliver,
                report,
            )
        } else {
            drop(bytes);
            match super::open_maybe_gzip(path) {
                Ok(reader) => {
                    let wrapped = true;
                    parse_stream(
                        serde_json::Deserializer::from_reader(reader),
                        wrapped,
                        &mut deliver,
                        report,
                    )
                }
                Err(error) => Err(error.to_string()),
            }
        };
        let message = match (read_error, result) {
            (Some(read), _) => Some(format!(
                "truncated or corrupt ({read}); earlier records were kept"
            )),
            (None, Err(parse)) => Some(format!(
                "stopped reading: {parse}; earlier records were kept"
            )),
            (None, Ok(())) => None,
        };
        if let Some(message) = message {
            report.problems.push(AccessIssue { location, message });
        }
    });
    report
}

/// Files up to this size (uncompressed) are parsed from memory.
const IN_MEMORY_LIMIT: u64 = 256 << 20;

/// Parses a delivered `{"Records": [...]}` object, or a stream of
/// JSON values (JSON Lines), handing each record's text to `deliver`.
fn parse_stream<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    wrapped: bool,
    deliver: &mut dyn FnMut(usize, &str, &mut ReadReport),
    report: &mut ReadReport,
) -> Result<(), String> {
    if wrapped {
        let mut index = 0;
        let outcome = (&mut de).deserialize_map(RecordsFile {
            on_record: &mut |text: &str| {
                deliver(index, text, report);
                index += 1;
            },
        });
        return outcome.map_err(|e| e.to_string());
    }
    for (index, value) in de.into_iter::<Box<RawValue>>().enumerate() {
        match value {
            Ok(value) => deliver(index, value.get(), report),
            Err(error) => return Err(error.to_string()),
        }
    }
    Ok(())
}

fn id_hash(id: &str) -> u128 {
    // Two 64-bit SipHash passes with different keys: collisions between
    // distinct event ids are negligible, and 16 bytes an id keeps months of
    // ids in memory. (Only this process compares them.)
    use std::hash::{Hash, Hasher};
    let pass = |key: u8| {
        let mut hasher = std::hash::DefaultHasher::new();
        key.hash(&mut hasher);
        id.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(pass(0)) << 64) | u128::from(pass(1))
}

/// Whether the text starts a `{"Records": ...}` object.
fn starts_records_object(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(256)]);
    let rest = text.trim_start().strip_prefix('{').map(str::trim_start);
    rest.is_some_and(|r| r.starts_with("\"Records\""))
}

/// Visits the top-level object of a delivered log file, streaming the
/// `Records` array and skipping every other key.
struct RecordsFile<'f> {
    on_record: &'f mut dyn FnMut(&str),
}

impl<'de> Visitor<'de> for RecordsFile<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail log object with a Records array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" {
                map.next_value_seed(RecordsArray {
                    on_record: &mut *self.on_record,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct RecordsArray<'f> {
    on_record: &'f mut dyn FnMut(&str),
}

impl<'de> DeserializeSeed<'de> for RecordsArray<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsArray<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Box<RawValue>>()? {
            (self.on_record)(record.get());
        }
        Ok(())
    }
}

/// The fields of a CloudTrail record assay reads; every other field is
/// skipped without being built. Strings borrow from the record's text.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawRecord<'a> {
    #[serde(borrow)]
    event_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_time: Option<Cow<'a, str>>,
    #[serde(rename = "eventID", borrow)]
    event_id: Option<Cow<'a, str>>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(rename = "requestID", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    recipient_account_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_identity: Option<RawIdentity<'a>>,
    #[serde(borrow)]
    request_parameters: Option<RawParams<'a>>,
    #[serde(borrow)]
    additional_event_data: Option<RawAdditional<'a>>,
    #[serde(borrow)]
    resources: Option<Vec<RawResource<'a>>>,
    /// EventBridge wraps the record: `{"detail-type": ..., "detail": {...}}`.
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawIdentity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    principal_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
    // One published sample spells it in lower case.
    #[serde(alias = "accountid", borrow)]
    account_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow)]
    session_context: Option<RawSession<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawSession<'a> {
    #[serde(borrow)]
    session_issuer: Option<RawIssuer<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawIssuer<'a> {
    #[serde(borrow)]
    arn: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawParams<'a> {
    #[serde(borrow)]
    bucket_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    key: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAdditional<'a> {
    #[serde(rename = "AuthenticationMethod", borrow)]
    authentication_method: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResource<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(rename = "ARN", alias = "arn", borrow)]
    arn: Option<Cow<'a, str>>,
}

fn non_empty<'s>(value: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    value.as_deref().filter(|s| !s.is_empty())
}

/// The principal statistics group by: the role behind an assumed-role
/// session, the user's ARN, the account for cross-account callers, or
/// anonymous.
fn principal_of(identity: Option<&RawIdentity>) -> Principal {
    let empty = RawIdentity::default();
    let identity = identity.unwrap_or(&empty);
    let kind_text = non_empty(&identity.kind).unwrap_or("");
    let account = non_empty(&identity.account_id).map(str::to_string);
    if account.as_deref() == Some("anonymous")
        || non_empty(&identity.principal_id) == Some("ANONYMOUS_PRINCIPAL")
    {
        return Principal {
            id: "anonymous".into(),
            kind: PrincipalKind::Anonymous,
            account: None,
        };
    }
    let arn = non_empty(&identity.arn);
    let issuer = identity
        .session_context
        .as_ref()
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|i| non_empty(&i.arn));
    let (id, kind) = match kind_text {
        "Root" => (
            arn.map(str::to_string)
                .unwrap_or_else(|| format!("root:{}", account.clone().unwrap_or_default())),
            PrincipalKind::Root,
        ),
        "IAMUser" => (
            arn.unwrap_or("iam-user").to_string(),
            PrincipalKind::IamUser,
        ),
        "AssumedRole" => (
            issuer.or(arn).unwrap_or("assumed-role").to_string(),
            PrincipalKind::Role,
        ),
        "FederatedUser" | "WebIdentityUser" | "SAMLUser" | "IdentityCenterUser" => (
            arn.or(issuer)
                .or(non_empty(&identity.principal_id))
                .unwrap_or("federated")
                .to_string(),
            PrincipalKind::Federated,
        ),
        "AWSService" => (
            non_empty(&identity.invoked_by)
                .unwrap_or("aws-service")
                .to_string(),
            PrincipalKind::Service,
        ),
        "AWSAccount" => (
            issuer
                .map(str::to_string)
                .unwrap_or_else(|| format!("account:{}", account.clone().unwrap_or_default())),
            PrincipalKind::Account,
        ),
        _ => (
            arn.or(non_empty(&identity.principal_id))
                .unwrap_or("unknown")
                .to_string(),
            PrincipalKind::Unknown,
        ),
    };
    Principal { id, kind, account }
}

/// Parses one record's JSON text (unwrapping an EventBridge envelope) into
/// an event and its event-id hash.
fn parse_record(text: &str) -> Result<(AccessEvent, Option<u128>), String> {
    let raw: RawRecord =
        serde_json::from_str(text).map_err(|e| format!("not a CloudTrail record: {e}"))?;
    if let (Some(_), Some(detail)) = (&raw.detail_type, raw.detail) {
        return parse_record(detail.get());
    }
    let id = non_empty(&raw.event_id).map(id_hash);
    Ok((event_from_raw(&raw)?, id))
}

/// Normalises one CloudTrail record given as JSON text.
pub fn event_from_json(text: &str) -> Result<AccessEvent, String> {
    parse_record(text).map(|(event, _)| event)
}

/// Read, write, delete, list or configuration, from the event name.
pub fn kind_of(name: &str) -> AccessKind {
    let object_read = [
        "GetObject",
        "HeadObject",
        "SelectObjectContent",
        "GetObjectAcl",
        "GetObjectTagging",
        "GetObjectAttributes",
        "GetObjectTorrent",
        "GetObjectRetention",
        "GetObjectLegalHold",
    ];
    if object_read.contains(&name) {
        AccessKind::Read
    } else if name.starts_with("DeleteObject")
        || name == "DeleteObjects"
        || name == "AbortMultipartUpload"
    {
        AccessKind::Delete
    } else if matches!(
        name,
        "PutObject"
            | "CopyObject"
            | "RestoreObject"
            | "UploadPart"
            | "UploadPartCopy"
            | "CompleteMultipartUpload"
            | "CreateMultipartUpload"
            | "PutObjectAcl"
            | "PutObjectTagging"
            | "PutObjectRetention"
            | "PutObjectLegalHold"
    ) {
        AccessKind::Write
    } else if name.starts_with("List") {
        AccessKind::List
    } else if name.starts_with("PutBucket")
        || name.starts_with("DeleteBucket")
        || name.starts_with("PutPublicAccessBlock")
        || name.starts_with("DeletePublicAccessBlock")
        || name == "CreateBucket"
    {
        AccessKind::Config
    } else {
        AccessKind::Other
    }
}

fn event_from_raw(record: &RawRecord) -> Result<AccessEvent, String> {
    let name = non_empty(&record.event_name).ok_or("record has no eventName")?;
    let event_source = non_empty(&record.event_source).unwrap_or("");
    let time = non_empty(&record.event_time).and_then(|t| {
        humantime::parse_rfc3339(t)
            .ok()
            .or_else(|| humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).ok())
    });
    let mut bucket = record
        .request_parameters
        .as_ref()
        .and_then(|p| non_empty(&p.bucket_name))
        .map(str::to_string);
    let mut keys = Vec::new();
    let mut has_object_resource = false;
    for resource in record.resources.iter().flatten() {
        let Some(path) = non_empty(&resource.arn).and_then(|a| a.strip_prefix("arn:aws:s3:::"))
        else {
            continue;
        };
        match non_empty(&resource.kind) {
            Some("AWS::S3::Object") => {
                has_object_resource = true;
                if let Some((b, key)) = path.split_once('/') {
                    bucket.get_or_insert_with(|| b.to_string());
                    keys.push(key.to_string());
                }
            }
            Some("AWS::S3::Bucket") => {
                bucket.get_or_insert_with(|| path.to_string());
            }
            _ => {}
        }
    }
    if keys.is_empty() {
        if let Some(key) = record
            .request_parameters
            .as_ref()
            .and_then(|p| non_empty(&p.key))
        {
            keys.push(key.to_string());
        }
    }
    let principal = principal_of(record.user_identity.as_ref());
    let cross_account = match (
        principal.account.as_deref(),
        non_empty(&record.recipient_account_id),
    ) {
        (Some(caller), Some(owner)) => caller != owner && principal.kind != PrincipalKind::Service,
        _ => false,
    };
    let kind = kind_of(name);
    let s3 = event_source.starts_with("s3.") || event_source.starts_with("s3-outposts.");
    let object_event = s3
        && (has_object_resource
            || (!keys.is_empty()
                && matches!(
                    kind,
                    AccessKind::Read | AccessKind::Write | AccessKind::Delete
                )));
    Ok(AccessEvent {
        source: EventSource::CloudTrail,
        time,
        operation: name.to_string(),
        kind,
        principal,
        source_ip: non_empty(&record.source_ip).map(str::to_string),
        bucket: if s3 { bucket } else { None },
        keys: if s3 { keys } else { Vec::new() },
        error_code: non_empty(&record.error_code).map(str::to_string),
        presigned: record
            .additional_event_data
            .as_ref()
            .and_then(|a| non_empty(&a.authentication_method))
            == Some("QueryString"),
        cross_account,
        object_event,
        request_id: non_empty(&record.request_id).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn samples() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/logs")
    }

    fn read_all(paths: &[PathBuf]) -> (ReadReport, Vec<AccessEvent>) {
        let mut events = Vec::new();
        let report = read(paths, TimeWindow::default(), &mut |e| events.push(e));
        (report, events)
    }

    #[test]
    fn real_format_samples_parse_with_duplicates_dropped() {
        let dir = samples();
        if !dir.exists() {
            eprintln!("{} not present", dir.display());
            return;
        }
        let panther = dir.join("ct_panther_s3_events.json");
        let (report, events) = read_all(std::slice::from_ref(&panther));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        // Records repeat event ids; those without an id are all kept.
        let records: Value = serde_json::from_slice(&std::fs::read(&panther).unwrap()).unwrap();
        let records = records["Records"].as_array().unwrap();
        let ids: HashSet<&str> = records
            .iter()
            .filter_map(|r| r["eventID"].as_str())
            .collect();
        let without_id = records
            .iter()
            .filter(|r| r["eventID"].as_str().is_none())
            .count();
        assert_eq!(report.events as usize, ids.len() + without_id);
        assert_eq!((report.events + report.duplicates) as usize, records.len());
        // 10 AccessDenied and 1 VpceAccessDenied, before de-duplication.
        assert!(events.iter().filter(|e| e.denied()).count() >= 1);
        assert!(events.iter().all(|e| e.source == EventSource::CloudTrail));
        let gz = dir.join("ct_trailscraper_111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz");
        let (report, events) = read_all(&[gz]);
        assert_eq!((report.events, report.problems.len()), (2, 0));
        assert!(events.iter().all(|e| e.time.is_some()));
        let (report, events) = read_all(&[dir.join("ct_trailscraper_events-for-smoke-test.json")]);
        assert_eq!(report.events, 3);
        assert!(
            events
                .iter()
                .any(|e| e.principal.kind == PrincipalKind::Root)
        );
    }

    #[test]
    fn object_events_denials_roles_and_presigned_reads() {
        let record = serde_json::json!({
            "eventVersion": "1.09", "eventTime": "2026-11-02T08:14:02Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "eventCategory": "Management",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Scraper/i-0abc", "accountId": "444455556666",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::444455556666:role/Scraper"}}},
            "sourceIPAddress": "198.51.100.7", "errorCode": "AccessDenied",
            "requestParameters": {"bucketName": "northwind-hr", "key": "payroll/2026.csv"},
            "additionalEventData": {"AuthenticationMethod": "QueryString"},
            "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::northwind-hr/payroll/2026.csv"}, {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::northwind-hr"}],
            "recipientAccountId": "111122223333", "eventID": "e1"
        });
        let event = event_from_json(&record.to_string()).unwrap();
        // Management category, but the object resource makes it a data event.
        assert!(event.object_event);
        assert!(event.denied() && event.presigned && event.cross_account);
        assert_eq!(event.kind, AccessKind::Read);
        assert_eq!(event.principal.id, "arn:aws:iam::444455556666:role/Scraper");
        assert_eq!(event.keys, vec!["payroll/2026.csv"]);
        assert_eq!(event.bucket.as_deref(), Some("northwind-hr"));
        let anonymous = serde_json::json!({"eventName": "GetObject", "eventSource": "s3.amazonaws.com", "userIdentity": {"type": "AWSAccount", "accountId": "anonymous"}});
        assert_eq!(
            event_from_json(&anonymous.to_string())
                .unwrap()
                .principal
                .kind,
            PrincipalKind::Anonymous
        );
        assert!(
            event_from_json(&serde_json::json!({"eventSource": "s3.amazonaws.com"}).to_string())
                .is_err()
        );
    }

    #[test]
    fn json_lines_gzip_bad_records_and_truncation() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let line = |id: &str, name: &str| {
            format!(
                "{{\"eventID\":\"{id}\",\"eventName\":\"{name}\",\"eventSource\":\"s3.amazonaws.com\",\"eventTime\":\"2026-11-02T08:00:00Z\",\"userIdentity\":{{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/ana\"}}}}\n"
            )
        };
        std::fs::write(
            dir.path().join("a.jsonl"),
            format!(
                "{}{}{}",
                line("1", "GetObject"),
                "{\"eventSource\":\"s3.amazonaws.com\"}\n",
                line("2", "PutObject")
            ),
        )
        .unwrap();
        // A truncated gzip file keeps the records before the cut.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(
            format!(
                "{{\"Records\":[{},{}",
                line("3", "GetObject").trim(),
                line("4", "GetObject").trim()
            )
            .as_bytes(),
        )
        .unwrap();
        let bytes = gz.finish().unwrap();
        std::fs::write(dir.path().join("b.json.gz"), &bytes[..bytes.len() - 6]).unwrap();
        let (report, events) = read_all(&[dir.path().to_path_buf()]);
        assert_eq!(report.files, 2);
        assert_eq!(events.len(), 4, "{report:?}");
        assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
        assert!(report.problems[0].location.ends_with("a.jsonl record 1"));
        assert!(
            report.problems[1]
                .message
                .contains("earlier records were kept")
        );
        let window = TimeWindow {
            since: Some(humantime::parse_rfc3339("2026-11-03T00:00:00Z").unwrap()),
            until: None,
        };
        let report = read(&[dir.path().to_path_buf()], window, &mut |_| {});
        assert_eq!((report.events, report.outside_window), (0, 4));
    }
}
