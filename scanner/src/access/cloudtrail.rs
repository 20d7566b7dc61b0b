//! The CloudTrail reader: delivered log files (`{"Records": [...]}`, gzip
//! or not) and JSON Lines of bare events (pipeline exports, EventBridge
//! `detail` wrappers). Records stream one at a time, so a month of logs is
//! read in bounded memory; duplicate `eventID`s are dropped; object data
//! events are recognised from event source, name and resources.

use std::collections::HashSet;
use std::fmt;
use std::io::BufRead;
use std::path::PathBuf;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

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
    for path in super::input_files(paths, &mut report) {
        let location = path.display().to_string();
        report.files += 1;
        let mut reader = match super::open_maybe_gzip(&path) {
            Ok(reader) => reader,
            Err(error) => {
                report.problems.push(AccessIssue {
                    location,
                    message: error.to_string(),
                });
                continue;
            }
        };
        let mut deliver = |index: usize, value: Value, report: &mut ReadReport| {
            let value = match value.get("detail") {
                Some(detail) if value.get("detail-type").is_some() => detail.clone(),
                _ => value,
            };
            match event_from(&value) {
                Ok(event) => {
                    let id = value.get("eventID").and_then(Value::as_str).map(id_hash);
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
            }
        };
        let wrapped = match reader.fill_buf() {
            Ok(head) => starts_records_object(head),
            Err(error) => {
                report.problems.push(AccessIssue {
                    location,
                    message: error.to_string(),
                });
                continue;
            }
        };
        let result = if wrapped {
            let mut index = 0;
            let mut de = serde_json::Deserializer::from_reader(reader);
            let outcome = (&mut de).deserialize_map(RecordsFile {
                on_record: &mut |value: Value| {
                    deliver(index, value, &mut report);
                    index += 1;
                },
            });
            outcome.map_err(|e| e.to_string())
        } else {
            let mut outcome = Ok(());
            for (index, value) in serde_json::Deserializer::from_reader(reader)
                .into_iter::<Value>()
                .enumerate()
            {
                match value {
                    Ok(value) => deliver(index, value, &mut report),
                    Err(error) => {
                        outcome = Err(error.to_string());
                        break;
                    }
                }
            }
            outcome
        };
        if let Err(message) = result {
            report.problems.push(AccessIssue {
                location,
                message: format!("stopped reading: {message}; earlier records were kept"),
            });
        }
    }
    report
}

fn id_hash(id: &str) -> u128 {
    // Two 64-bit FNV-1a passes with different bases: collisions between
    // distinct event ids are negligible, and 16 bytes an id keeps months of
    // ids in memory.
    let fnv = |basis: u64| {
        id.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    (u128::from(fnv(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(fnv(0x6c62_272e_07bb_0142))
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
    on_record: &'f mut dyn FnMut(Value),
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
    on_record: &'f mut dyn FnMut(Value),
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
        while let Some(record) = seq.next_element::<Value>()? {
            (self.on_record)(record);
        }
        Ok(())
    }
}

fn text<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The principal statistics group by: the role behind an assumed-role
/// session, the user's ARN, the account for cross-account callers, or
/// anonymous.
fn principal_of(record: &Value) -> Principal {
    let identity = record.get("userIdentity").unwrap_or(&Value::Null);
    let kind_text = text(identity, &["type"]).unwrap_or("");
    let account = text(identity, &["accountId"])
        .or_else(|| text(identity, &["accountid"]))
        .map(str::to_string);
    if account.as_deref() == Some("anonymous")
        || text(identity, &["principalId"]) == Some("ANONYMOUS_PRINCIPAL")
    {
        return Principal {
            id: "anonymous".into(),
            kind: PrincipalKind::Anonymous,
            account: None,
        };
    }
    let issuer = text(identity, &["sessionContext", "sessionIssuer", "arn"]);
    let (id, kind) = match kind_text {
        "Root" => (
            text(identity, &["arn"])
                .map(str::to_string)
                .unwrap_or_else(|| format!("root:{}", account.clone().unwrap_or_default())),
            PrincipalKind::Root,
        ),
        "IAMUser" => (
            text(identity, &["arn"]).unwrap_or("iam-user").to_string(),
            PrincipalKind::IamUser,
        ),
        "AssumedRole" => (
            issuer
                .or_else(|| text(identity, &["arn"]))
                .unwrap_or("assumed-role")
                .to_string(),
            PrincipalKind::Role,
        ),
        "FederatedUser" | "WebIdentityUser" | "SAMLUser" | "IdentityCenterUser" => (
            text(identity, &["arn"])
                .or(issuer)
                .or_else(|| text(identity, &["principalId"]))
                .unwrap_or("federated")
                .to_string(),
            PrincipalKind::Federated,
        ),
        "AWSService" => (
            text(identity, &["invokedBy"])
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
            text(identity, &["arn"])
                .or_else(|| text(identity, &["principalId"]))
                .unwrap_or("unknown")
                .to_string(),
            PrincipalKind::Unknown,
        ),
    };
    Principal { id, kind, account }
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

/// Normalises one CloudTrail record.
pub fn event_from(record: &Value) -> Result<AccessEvent, String> {
    let name = text(record, &["eventName"]).ok_or("record has no eventName")?;
    let event_source = text(record, &["eventSource"]).unwrap_or("");
    let time = text(record, &["eventTime"]).and_then(|t| {
        humantime::parse_rfc3339_weak(t.trim_end_matches('Z'))
            .ok()
            .or_else(|| humantime::parse_rfc3339(t).ok())
    });
    let mut bucket = text(record, &["requestParameters", "bucketName"]).map(str::to_string);
    let mut keys = Vec::new();
    let mut has_object_resource = false;
    for resource in record
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let arn = text(resource, &["ARN"])
            .or_else(|| text(resource, &["arn"]))
            .unwrap_or("");
        let Some(path) = arn.strip_prefix("arn:aws:s3:::") else {
            continue;
        };
        match text(resource, &["type"]) {
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
        if let Some(key) = text(record, &["requestParameters", "key"]) {
            keys.push(key.to_string());
        }
    }
    let principal = principal_of(record);
    let recipient = text(record, &["recipientAccountId"]);
    let cross_account = match (principal.account.as_deref(), recipient) {
        (Some(caller), Some(owner)) => caller != owner && principal.kind != PrincipalKind::Service,
        _ => false,
    };
    let kind = kind_of(name);
    let s3 = event_source.starts_with("s3.") || event_source.starts_with("s3-outposts.");
    Ok(AccessEvent {
        source: EventSource::CloudTrail,
        time,
        operation: name.to_string(),
        kind,
        principal,
        source_ip: text(record, &["sourceIPAddress"]).map(str::to_string),
        bucket: if s3 { bucket } else { None },
        keys: if s3 { keys.clone() } else { Vec::new() },
        error_code: text(record, &["errorCode"]).map(str::to_string),
        presigned: text(record, &["additionalEventData", "AuthenticationMethod"])
            == Some("QueryString"),
        cross_account,
        object_event: s3
            && (has_object_resource
                || (!keys.is_empty()
                    && matches!(
                        kind,
                        AccessKind::Read | AccessKind::Write | AccessKind::Delete
                    ))),
        request_id: text(record, &["requestID"]).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let event = event_from(&record).unwrap();
        // Management category, but the object resource makes it a data event.
        assert!(event.object_event);
        assert!(event.denied() && event.presigned && event.cross_account);
        assert_eq!(event.kind, AccessKind::Read);
        assert_eq!(event.principal.id, "arn:aws:iam::444455556666:role/Scraper");
        assert_eq!(event.keys, vec!["payroll/2026.csv"]);
        assert_eq!(event.bucket.as_deref(), Some("northwind-hr"));
        let anonymous = serde_json::json!({"eventName": "GetObject", "eventSource": "s3.amazonaws.com", "userIdentity": {"type": "AWSAccount", "accountId": "anonymous"}});
        assert_eq!(
            event_from(&anonymous).unwrap().principal.kind,
            PrincipalKind::Anonymous
        );
        assert!(event_from(&serde_json::json!({"eventSource": "s3.amazonaws.com"})).is_err());
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
