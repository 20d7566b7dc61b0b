//! The S3 server access log reader: one request per line, fields by
//! position. `[time]` and the quoted fields (Request-URI, Referer,
//! User-Agent) are one token each and may be a bare `-`. Old logs have 18
//! fields, current ones 24 to 27; fields past the ones used are ignored,
//! as AWS asks of consumers. Keys are URL-encoded.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{
    AccessEvent, AccessIssue, AccessKind, EventSource, Principal, PrincipalKind, ReadReport,
    TimeWindow,
};

/// Lines longer than this are reported and skipped (a log line is a few
/// hundred bytes; a huge one is not a log line).
const MAX_LINE: usize = 64 * 1024;

/// Reads every access-log file under `paths` and hands each request in
/// the window to `sink`; malformed lines are reported with file and line.
pub fn read(
    paths: &[PathBuf],
    window: TimeWindow,
    sink: &mut dyn FnMut(AccessEvent),
) -> ReadReport {
    let mut report = ReadReport::default();
    super::each_input(paths, &mut report, |_, location, mut reader, report| {
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            number += 1;
            match std::io::Read::take(&mut reader, MAX_LINE as u64 + 1).read_until(b'\n', &mut line)
            {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => {
                    report.problems.push(AccessIssue {
                        location: format!("{location} line {number}"),
                        message: format!("stopped reading: {error}"),
                    });
                    break;
                }
            }
            if line.len() > MAX_LINE && !line.ends_with(b"\n") {
                report.problems.push(AccessIssue {
                    location: format!("{location} line {number}"),
                    message: format!("line longer than {MAX_LINE} bytes skipped"),
                });
                // Skip to the end of the overlong line.
                let _ = reader.read_until(b'\n', &mut Vec::new());
                continue;
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            if text.is_empty() {
                continue;
            }
            match parse_line(text) {
                Ok(event) if window.contains(event.time) => {
                    report.events += 1;
                    sink(event);
                }
                Ok(_) => report.outside_window += 1,
                Err(message) => report.problems.push(AccessIssue {
                    location: format!("{location} line {number}"),
                    message,
                }),
            }
        }
    });
    report
}

/// Splits a line into tokens: `[...]`, `"..."` or a run of non-spaces.
pub fn tokens(line: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::with_capacity(27);
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let (close, start) = match bytes[i] {
            b'[' => (b']', i + 1),
            b'"' => (b'"', i + 1),
            _ => (b' ', i),
        };
        let end = bytes[start..]
            .iter()
            .position(|&b| b == close)
            .map(|p| start + p);
        match (close, end) {
            (b' ', None) => {
                out.push(&line[start..]);
                break;
            }
            (b' ', Some(end)) => {
                out.push(&line[start..end]);
                i = end + 1;
            }
            (_, Some(end)) => {
                out.push(&line[start..end]);
                i = end + 1;
            }
            (_, None) => {
                return Err(format!(
                    "unterminated {} field",
                    if close == b']' { "[time]" } else { "quoted" }
                ));
            }
        }
    }
    Ok(out)
}

fn field(tokens: &[&str], index: usize) -> Option<String> {
    tokens
        .get(index)
        .filter(|t| **t != "-" && !t.is_empty())
        .map(|t| t.to_string())
}

/// `06/Feb/2019:00:00:38 +0000`.
fn parse_time(text: &str) -> Option<SystemTime> {
    let (stamp, zone) = text.split_once(' ')?;
    let mut parts = stamp.splitn(4, [':', '/']);
    let (day, month, year, rest) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)?
        + 1;
    let rfc3339 = format!("{year}-{month:02}-{day:0>2}T{rest}Z");
    let utc = humantime::parse_rfc3339(&rfc3339).ok()?;
    let sign = if zone.starts_with('-') { -1i64 } else { 1 };
    let digits = zone.trim_start_matches(['+', '-']);
    let offset =
        digits.get(..2)?.parse::<i64>().ok()? * 3600 + digits.get(2..4)?.parse::<i64>().ok()? * 60;
    let seconds = utc.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64 - sign * offset;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// Read, write, delete, list or configuration, from the operation.
fn kind_of(operation: &str) -> AccessKind {
    let op = operation.to_ascii_uppercase();
    if op.contains("DELETE.OBJECT") || op.starts_with("S3.EXPIRE") {
        AccessKind::Delete
    } else if op.starts_with("REST.GET.OBJECT")
        || op.starts_with("REST.HEAD.OBJECT")
        || op.starts_with("WEBSITE.GET.OBJECT")
        || op.starts_with("REST.COPY.OBJECT_GET")
        || op.starts_with("REST.POST.SELECT")
    {
        AccessKind::Read
    } else if op.starts_with("REST.PUT.OBJECT")
        || op.starts_with("REST.POST.OBJECT")
        || op.starts_with("REST.POST.UPLOAD")
        || op.starts_with("REST.PUT.PART")
        || op.starts_with("REST.COPY.OBJECT")
        || op.starts_with("REST.POST.RESTORE")
    {
        AccessKind::Write
    } else if op == "REST.GET.BUCKET"
        || op.starts_with("REST.GET.BUCKETVERSIONS")
        || op.starts_with("REST.GET.UPLOADS")
    {
        AccessKind::List
    } else if op.starts_with("REST.PUT.") || op.starts_with("REST.DELETE.") {
        AccessKind::Config
    } else {
        AccessKind::Other
    }
}

fn principal_of(requester: Option<String>) -> Principal {
    match requester {
        None => Principal {
            id: "anonymous".into(),
            kind: PrincipalKind::Anonymous,
            account: None,
        },
        Some(arn) if arn.starts_with("arn:aws:sts::") && arn.contains(":assumed-role/") => {
            // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION -> the role.
            let account = arn.split(':').nth(4).map(str::to_string);
            let role = arn.split('/').nth(1).unwrap_or("");
            Principal {
                id: format!(
                    "arn:aws:iam::{}:role/{role}",
                    account.clone().unwrap_or_default()
                ),
                kind: PrincipalKind::Role,
                account,
            }
        }
        Some(arn) if arn.starts_with("arn:aws:iam::") => {
            let account = arn.split(':').nth(4).map(str::to_string);
            let kind = if arn.ends_with(":root") {
                PrincipalKind::Root
            } else {
                PrincipalKind::IamUser
            };
            Principal {
                id: arn,
                kind,
                account,
            }
        }
        Some(service) if service.starts_with("svc:") || service == "AmazonS3" => Principal {
            id: service,
            kind: PrincipalKind::Service,
            account: None,
        },
        Some(id) => Principal {
            id,
            kind: PrincipalKind::CanonicalUser,
            account: None,
        },
    }
}

/// Parses one access-log line.
pub fn parse_line(line: &str) -> Result<AccessEvent, String> {
    let tokens = tokens(line)?;
    if tokens.len() < 18 {
        return Err(format!(
            "{} fields, an access-log line has at least 18",
            tokens.len()
        ));
    }
    let operation = field(&tokens, 6).ok_or("no operation")?;
    let time = parse_time(tokens[2]).ok_or_else(|| format!("bad time [{}]", tokens[2]))?;
    let key = field(&tokens, 7).map(|k| {
        percent_encoding::percent_decode_str(&k.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    });
    let status = tokens[9];
    if status != "-" && status.parse::<u16>().is_err() {
        return Err(format!("bad HTTP status {status:?}"));
    }
    let kind = kind_of(&operation);
    Ok(AccessEvent {
        source: EventSource::S3AccessLog,
        time: Some(time),
        object_event: key.is_some()
            && matches!(
                kind,
                AccessKind::Read | AccessKind::Write | AccessKind::Delete
            ),
        kind,
        operation,
        principal: principal_of(field(&tokens, 4)),
        source_ip: field(&tokens, 3),
        bucket: field(&tokens, 1),
        keys: key.into_iter().collect(),
        error_code: field(&tokens, 10),
        presigned: tokens.get(21).is_some_and(|t| *t == "QueryString"),
        cross_account: false,
        request_id: field(&tokens, 5),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

    fn line(fields_after_18: &str) -> String {
        format!(
            "{OWNER} northwind-hr [06/Feb/2026:00:00:38 +0000] 192.0.2.3 arn:aws:sts::444455556666:assumed-role/Scraper/i-0abc 3E57427F33A59F07 REST.GET.OBJECT payroll/2026+Q1%2Freport.csv \"GET /northwind-hr/payroll/2026+Q1%2Freport.csv HTTP/1.1\" 403 AccessDenied 243 - 7 - \"-\" \"aws-cli/2.15 Python/3.11 Linux/6.1, botocore\" -{fields_after_18}"
        )
    }

    #[test]
    fn every_field_variant_parses_by_position() {
        let tail24 = " s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString northwind-hr.s3.us-east-1.amazonaws.com TLSV1.2";
        for extra in [
            "",
            tail24,
            &format!("{tail24} -"),
            &format!("{tail24} - Yes"),
            &format!("{tail24} arn:aws:s3:us-east-1:111122223333:accesspoint/ap Yes us-east-1"),
        ] {
            let event = parse_line(&line(extra)).unwrap_or_else(|e| panic!("{e}: {extra}"));
            assert_eq!(event.bucket.as_deref(), Some("northwind-hr"));
            assert_eq!(event.keys, vec!["payroll/2026 Q1/report.csv"]);
            assert!(event.denied() && event.object_event);
            assert_eq!(event.kind, AccessKind::Read);
            assert_eq!(event.principal.id, "arn:aws:iam::444455556666:role/Scraper");
            assert_eq!(event.presigned, !extra.is_empty());
            assert_eq!(
                event.time,
                Some(humantime::parse_rfc3339("2026-02-06T00:00:38Z").unwrap())
            );
        }
    }

    #[test]
    fn dashes_anonymous_requesters_and_batch_deletes() {
        let line = format!(
            "{OWNER} web-assets [06/Feb/2026:10:00:00 -0500] 198.51.100.9 - 7B4A0FABBEXAMPLE BATCH.DELETE.OBJECT img/a.png - 204 - - 1024 - - - - -"
        );
        let event = parse_line(&line).unwrap();
        assert_eq!(event.principal.kind, PrincipalKind::Anonymous);
        assert_eq!(event.kind, AccessKind::Delete);
        assert!(!event.denied());
        // -0500 is five hours behind UTC.
        assert_eq!(
            event.time,
            Some(humantime::parse_rfc3339("2026-02-06T15:00:00Z").unwrap())
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_their_place() {
        assert!(
            parse_line("not a log line")
                .unwrap_err()
                .contains("at least 18")
        );
        assert!(
            parse_line(&format!("{OWNER} b [06/Feb/2026:10:00:00 +0000 x"))
                .unwrap_err()
                .contains("unterminated")
        );
        let dir = tempfile::tempdir().unwrap();
        let good = format!(
            "{OWNER} b [06/Feb/2026:10:00:00 +0000] 192.0.2.1 - 1 REST.GET.OBJECT k \"GET /b/k HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"curl\" -"
        );
        std::fs::write(
            dir.path().join("2026-02-06-10-00-00-ABC"),
            format!("{good}\ngarbage line\n{}\n{good}\n", "x".repeat(70_000)),
        )
        .unwrap();
        let mut events = Vec::new();
        let report = read(
            &[dir.path().to_path_buf()],
            TimeWindow::default(),
            &mut |e| events.push(e),
        );
        assert_eq!(events.len(), 2);
        let places: Vec<&str> = report
            .problems
            .iter()
            .map(|p| p.location.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(places, vec!["2", "3"], "{:?}", report.problems);
    }
}
