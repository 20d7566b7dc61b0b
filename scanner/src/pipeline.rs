//! The streaming pipeline: objects from any source are read in pieces,
//! classified on a pool of `--jobs` threads, and handed to the caller one
//! record at a time. One object's failure becomes part of its record; the
//! scan goes on.

use std::io::Read;
use std::sync::Mutex;

use assay_classifiers::content_type::TextEncoding;
use assay_classifiers::risk::content_risk;
use assay_classifiers::{Classification, Classifiers};
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::error::ScanError;
use crate::record::{ObjectError, ObjectRecord, ScanIssue};
use crate::source::{Discovered, ObjectRef, OpenError};

/// Bytes read from an object at a time.
pub const READ_SIZE: usize = 256 * 1024;

/// What the pipeline hands back, in completion order.
#[derive(Debug)]
pub enum Event {
    Object(Box<ObjectRecord>),
    Issue(ScanIssue),
}

/// Classifies every object the source yields on `jobs` threads and passes
/// each record (or listing issue) to `sink` as soon as it is ready. The sink
/// runs on the worker that produced the event, under a lock, so records are
/// never queued and no writer thread has to be woken for each one.
pub fn run<I, S>(
    classifiers: &Classifiers,
    objects: I,
    jobs: usize,
    sink: S,
) -> Result<(), ScanError>
where
    I: Iterator<Item = Discovered> + Send,
    S: FnMut(Event) + Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .thread_name(|i| format!("assay-worker-{i}"))
        .build()
        .map_err(|e| ScanError::Threads(jobs, e.to_string()))?;
    let sink = Mutex::new(sink);
    pool.install(|| {
        objects.par_bridge().for_each(|discovered| {
            let event = match discovered {
                Discovered::Object(object) => {
                    Event::Object(Box::new(classify_object(classifiers, &object)))
                }
                Discovered::Issue(issue) => Event::Issue(issue),
            };
            // A sink that panicked already took the scan down; keep going.
            let mut sink = sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (*sink)(event);
        });
    });
    Ok(())
}

/// Opens and classifies one object; never fails (problems go in `errors`).
pub fn classify_object(classifiers: &Classifiers, object: &ObjectRef) -> ObjectRecord {
    match object.open() {
        Ok(mut reader) => classify_reader(classifiers, object, &mut reader),
        Err(error) => {
            let kind = match error {
                OpenError::NotRegular(_) => "not_regular",
                OpenError::Io(_) => "unreadable",
                OpenError::Remote { kind, .. } => kind,
            };
            unread_record(
                classifiers,
                object,
                ObjectError {
                    kind,
                    message: error.to_string(),
                },
            )
        }
    }
}

/// Streams a reader through the classifiers. A read error part-way keeps
/// what was found so far and says where the read stopped.
pub fn classify_reader(
    classifiers: &Classifiers,
    object: &ObjectRef,
    reader: &mut dyn Read,
) -> ObjectRecord {
    thread_local! {
        // One read buffer per worker: a fresh 256 KiB allocation per object
        // costs page faults on every small file.
        static BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; READ_SIZE]);
    }
    BUFFER.with_borrow_mut(|buffer| classify_with_buffer(classifiers, object, reader, buffer))
}

fn classify_with_buffer(
    classifiers: &Classifiers,
    object: &ObjectRef,
    reader: &mut dyn Read,
    buffer: &mut [u8],
) -> ObjectRecord {
    let mut classifier = classifiers.object(&object.name);
    let mut errors = Vec::new();
    let mut read = 0u64;
    loop {
        match reader.read(buffer) {
            Ok(0) => break,
            Ok(n) => {
                read += n as u64;
                classifier.feed(&buffer[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                errors.push(ObjectError {
                    kind: "read",
                    message: format!(
                        "read failed after {read} bytes: {e}; findings cover those bytes only"
                    ),
                });
                break;
            }
        }
    }
    let classification = classifier.finish();
    build_record(object, read.max(object.size), classification, errors)
}

fn unread_record(
    classifiers: &Classifiers,
    object: &ObjectRef,
    error: ObjectError,
) -> ObjectRecord {
    let classification = Classification {
        content_type: None,
        extension: classifiers.extension(&object.name),
        themes: Vec::new(),
        regexes: Vec::new(),
        pii: assay_classifiers::pii::PiiImpact::rate(0, 0, 0, 0),
        encoding: TextEncoding::Binary,
        bytes: 0,
        content_scanned: false,
    };
    build_record(object, object.size, classification, vec![error])
}

fn build_record(
    object: &ObjectRef,
    size: u64,
    classification: Classification,
    errors: Vec<ObjectError>,
) -> ObjectRecord {
    let (risk, risk_factors) = content_risk(&classification);
    ObjectRecord {
        uri: object.uri.clone(),
        size,
        etag: object.etag.clone(),
        last_modified: object
            .last_modified
            .map(|t| humantime::format_rfc3339_seconds(t).to_string()),
        content_type: classification.content_type,
        extension: classification.extension,
        themes: classification.themes,
        regexes: classification.regexes,
        pii: classification.pii,
        svm: None,
        access: None,
        risk,
        risk_factors,
        errors,
        bucket_key: object.bucket_key.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Location;

    struct FailsAfter(usize);
    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("device error"));
            }
            let text = b"token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n";
            let n = text.len().min(buf.len());
            buf[..n].copy_from_slice(&text[..n]);
            self.0 -= 1;
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_keeps_earlier_findings_and_says_so() {
        let classifiers = Classifiers::builtin().unwrap();
        let object = ObjectRef {
            uri: "x.txt".into(),
            name: "x.txt".into(),
            size: 0,
            etag: None,
            last_modified: None,
            location: Location::File("x.txt".into()),
            bucket_key: None,
        };
        let record = classify_reader(&classifiers, &object, &mut FailsAfter(1));
        assert!(record.regexes.iter().any(|r| r.id == "github_key"));
        assert_eq!(record.errors.len(), 1);
        assert_eq!(record.errors[0].kind, "read");
        assert!(
            record.errors[0].message.contains("after 47 bytes"),
            "{}",
            record.errors[0].message
        );
    }
}
