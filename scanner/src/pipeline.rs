//! The streaming pipeline: objects from any source are read in pieces
//! (remote bodies fetched ahead of the workers), classified on a pool of
//! worker threads, and handed to the caller one record at a time. One object's failure becomes part of its record; the
//! scan goes on.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use assay_classifiers::content_type::{HEAD_LEN, Sniffed, TextEncoding};
use assay_classifiers::risk::{FactorKind, content_risk};
use assay_classifiers::{Classification, Classifiers, ObjectClassifier};
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::archive::{self, Budget};
use crate::document;
use crate::error::ScanError;
use crate::record::{Change, ErrorKind, IssueKind, ObjectError, ObjectRecord, ScanIssue};
use crate::source::{Discovered, Fetching, Location, ObjectRef, OpenError};
use crate::state::{Lookup, State, StateError};

/// Bytes read from an object at a time.
pub const READ_SIZE: usize = 256 * 1024;

/// Limits on opening what an object holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub archives: archive::Limits,
    pub documents: document::Limits,
}

/// What the pipeline hands back, in completion order.
#[derive(Debug)]
pub enum Event {
    Object(Box<ObjectRecord>),
    Issue(ScanIssue),
}

/// How much of a scan happens at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    /// Threads that classify, one object each.
    pub workers: usize,
    /// Objects in flight: those being classified and those queued behind
    /// them whose remote bodies are already downloading. Downloads wait on
    /// the network, not on a core, so a bucket scan wants many of these but
    /// only a worker per core.
    pub in_flight: usize,
}

impl Concurrency {
    /// `jobs` workers and nothing read ahead of them.
    pub fn threads(jobs: usize) -> Self {
        Self {
            workers: jobs.max(1),
            in_flight: jobs.max(1),
        }
    }
}

/// Classifies every object the source yields and passes each record (or
/// listing issue) to `sink` as soon as it is ready. The sink runs on the
/// worker that produced the event, under a lock, so records are never
/// queued and no writer thread has to be woken for each one. An archive
/// yields a record per member as each is classified, then its own.
pub fn run<I, S>(
    classifiers: &Classifiers,
    objects: I,
    concurrency: Concurrency,
    limits: &Limits,
    state: Option<&State>,
    sink: S,
) -> Result<(), ScanError>
where
    I: Iterator<Item = Discovered> + Send,
    S: FnMut(Event) + Send,
{
    run_verified(classifiers, objects, concurrency, limits, state, None, sink)
}

/// [`run`], and with a verifier (`--verify`) each record's credentials
/// are checked with their providers on the worker, before the record is
/// stored or handed on ([`crate::verify::apply`]).
pub fn run_verified<I, S>(
    classifiers: &Classifiers,
    objects: I,
    concurrency: Concurrency,
    limits: &Limits,
    state: Option<&State>,
    verifier: Option<&assay_verify::Verifier>,
    sink: S,
) -> Result<(), ScanError>
where
    I: Iterator<Item = Discovered> + Send,
    S: FnMut(Event) + Send,
{
    let verify = |record: &mut ObjectRecord| {
        if let Some(verifier) = verifier {
            crate::verify::apply(verifier, record);
        }
    };
    let workers = concurrency.workers.max(1);
    let pool = worker_pool(workers)?;
    let sink = Mutex::new(sink);
    let deliver = |event: Event| {
        // A sink that panicked already took the scan down; keep going.
        let mut sink = sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (*sink)(event);
    };
    let queue = ReadAhead {
        source: objects,
        state,
        queued: VecDeque::new(),
        depth: concurrency.in_flight.saturating_sub(workers),
    };
    pool.install(|| {
        queue.par_bridge().for_each(|work| match work {
            Work::Object(mut object, None) => {
                let opened = object.open();
                classify_opened(
                    classifiers,
                    &object.object,
                    opened,
                    limits,
                    &mut |mut record| {
                        verify(&mut record);
                        deliver(Event::Object(Box::new(record)));
                    },
                );
            }
            Work::Reuse(records) => {
                for record in records {
                    deliver(Event::Object(Box::new(record)));
                }
            }
            Work::Object(mut object, Some(Ok(change))) => {
                let opened = object.open();
                let mut made = Vec::new();
                classify_opened(
                    classifiers,
                    &object.object,
                    opened,
                    limits,
                    &mut |mut record| {
                        verify(&mut record);
                        record.change = Some(change);
                        made.push(record.clone());
                        deliver(Event::Object(Box::new(record)));
                    },
                );
                // Committed after delivery: a scan killed in between
                // classifies the object again next time.
                if let Some(Err(error)) = state.map(|s| s.store(&object.object, &made, change)) {
                    deliver(Event::Issue(state_issue(&object.object, &error)));
                }
            }
            Work::Object(mut object, Some(Err(error))) => {
                deliver(Event::Issue(state_issue(&object.object, &error)));
                let opened = object.open();
                classify_opened(
                    classifiers,
                    &object.object,
                    opened,
                    limits,
                    &mut |mut record| {
                        verify(&mut record);
                        deliver(Event::Object(Box::new(record)));
                    },
                );
            }
            Work::Issue(issue) => deliver(Event::Issue(issue)),
        });
    });
    Ok(())
}

/// The process's pool of `workers` classifying threads, made on first use
/// and kept: a fleet shard runs the pipeline once per unit, and fresh
/// threads for each would start from cold per-thread caches (the regex
/// engines' lazy DFAs) every time.
fn worker_pool(workers: usize) -> Result<std::sync::Arc<rayon::ThreadPool>, ScanError> {
    type Pools = Mutex<std::collections::HashMap<usize, std::sync::Arc<rayon::ThreadPool>>>;
    static POOLS: std::sync::OnceLock<Pools> = std::sync::OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(pool) = pools.get(&workers) {
        return Ok(std::sync::Arc::clone(pool));
    }
    let pool = std::sync::Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("assay-worker-{i}"))
            .build()
            .map_err(|e| ScanError::Threads(workers, e.to_string()))?,
    );
    pools.insert(workers, std::sync::Arc::clone(&pool));
    Ok(pool)
}

/// What a worker takes from the queue.
// Nearly all work is an object; boxing it would cost an allocation each.
#[allow(clippy::large_enum_variant)]
enum Work {
    /// An object to classify, with what the state said of it (the change
    /// its records get, or why the state could not be asked).
    Object(Fetching, Option<Result<Change, StateError>>),
    /// An unchanged object's stored records.
    Reuse(Vec<ObjectRecord>),
    Issue(ScanIssue),
}

/// The source, read up to `depth` objects ahead of the workers: each
/// queued object has been looked up in the state and, unless its stored
/// records will do, has its body on the way.
struct ReadAhead<'a, I> {
    source: I,
    state: Option<&'a State>,
    queued: VecDeque<Work>,
    depth: usize,
}

impl<I: Iterator<Item = Discovered>> ReadAhead<'_, I> {
    fn prepare(&self, discovered: Discovered) -> Work {
        let object = match discovered {
            Discovered::Object(object) => object,
            Discovered::Issue(issue) => return Work::Issue(issue),
        };
        match self.state.map(|state| state.lookup(&object)) {
            None => Work::Object(object.prefetch(), None),
            Some(Ok(Lookup::Reuse(records))) => Work::Reuse(records),
            Some(Ok(Lookup::Classify { change })) => {
                Work::Object(object.prefetch(), Some(Ok(change)))
            }
            Some(Err(error)) => Work::Object(object.prefetch(), Some(Err(error))),
        }
    }
}

impl<I: Iterator<Item = Discovered>> Iterator for ReadAhead<'_, I> {
    type Item = Work;

    fn next(&mut self) -> Option<Work> {
        while self.queued.len() <= self.depth {
            let Some(discovered) = self.source.next() else {
                break;
            };
            let work = self.prepare(discovered);
            self.queued.push_back(work);
        }
        self.queued.pop_front()
    }
}

fn state_issue(object: &ObjectRef, error: &crate::state::StateError) -> ScanIssue {
    ScanIssue {
        location: object.uri.clone(),
        kind: IssueKind::State,
        message: format!("{error}; the object was classified without the state"),
    }
}

/// Opens and classifies one object, and every member when it is an
/// archive, handing each record to `emit`; never fails (problems go in
/// the records' `errors`).
pub fn classify_object(
    classifiers: &Classifiers,
    object: &ObjectRef,
    limits: &Limits,
    emit: &mut dyn FnMut(ObjectRecord),
) {
    classify_opened(classifiers, object, object.open(), limits, emit);
}

/// Classifies one object whose opening was already tried.
fn classify_opened(
    classifiers: &Classifiers,
    object: &ObjectRef,
    opened: Result<Box<dyn Read + Send>, OpenError>,
    limits: &Limits,
    emit: &mut dyn FnMut(ObjectRecord),
) {
    match opened {
        Ok(mut reader) => {
            let budget = Budget::new(limits.archives, object.size);
            let expansion = Expansion {
                classifiers,
                budget: &budget,
                documents: limits.documents,
            };
            let seekable = match &object.location {
                Location::File(path) => Some(path.as_path()),
                Location::S3(_) => None,
            };
            expansion.classify(object, &mut reader, 0, seekable, emit);
        }
        Err(error) => {
            let kind = match error {
                OpenError::NotRegular(_) => ErrorKind::NotRegular,
                OpenError::Io(_) => ErrorKind::Unreadable,
                OpenError::Remote { kind, .. } => kind,
            };
            emit(unread_record(
                classifiers,
                object,
                ObjectError {
                    kind,
                    message: error.to_string(),
                },
            ));
        }
    }
}

/// Classification of one top-level object and, recursively, its members.
struct Expansion<'a> {
    classifiers: &'a Classifiers,
    budget: &'a Budget,
    documents: document::Limits,
}

impl Expansion<'_> {
    /// Classifies a stream at `depth` levels of nesting: plain content as
    /// one record, an archive as its members' records and then its own.
    /// `file` is where a top-level local object can be re-opened (so a zip
    /// is read in place, not spooled).
    fn classify(
        &self,
        object: &ObjectRef,
        reader: &mut dyn Read,
        depth: u32,
        file: Option<&Path>,
        emit: &mut dyn FnMut(ObjectRecord),
    ) {
        // Enough to name any format: archives need 512 bytes, text formats
        // (CSV, e-mail) the content-type sniffer's whole head.
        let mut head = Vec::with_capacity(HEAD_LEN);
        let head_error = reader.take(HEAD_LEN as u64).read_to_end(&mut head).err();
        let sniffed = self.classifiers.sniff(&head, &object.name);
        let document = document::Format::recognise(sniffed.mime, &object.name)
            .filter(|f| !f.streams() || sniffed.encoding == TextEncoding::Utf8)
            .filter(|_| head_error.is_none());
        if let Some(format) = document {
            let sniffed = Sniffed {
                mime: format.media_type(sniffed.mime, &object.name),
                ..sniffed
            };
            self.classify_document(object, format, sniffed, head, reader, depth, file, emit);
            return;
        }
        let format = archive::Format::detect(&head).filter(|_| head_error.is_none());
        let Some(format) = format else {
            let mut rest = std::io::Cursor::new(head).chain(reader);
            let classifier = self.classifiers.object_sniffed(&object.name, sniffed);
            let mut record = classify_reader_with(classifier, object, &mut rest);
            if let Some(error) = head_error {
                record.errors.push(ObjectError::read_failed(0, &error));
            }
            self.name_read_errors(&mut record, depth);
            emit(record);
            return;
        };
        if depth >= self.budget.limits().max_depth {
            let mut rest = std::io::Cursor::new(head).chain(reader);
            let classifier = self.classifiers.object_sniffed(&object.name, sniffed);
            let mut record = classify_reader_with(classifier, object, &mut rest);
            record.errors.push(ObjectError {
                kind: ErrorKind::ArchiveLimit,
                message: format!(
                    "{} archive nested {depth} levels deep: not opened (limit {})",
                    format.name(),
                    self.budget.limits().max_depth
                ),
            });
            emit(record);
            return;
        }
        // The archive's own record: what its header says it is (archives
        // have no text of their own; their members carry the findings).
        let mut classifier = self.classifiers.object_sniffed(&object.name, sniffed);
        classifier.feed(&head);
        let classification = classifier.finish();
        let mut counted = Counted {
            inner: std::io::Cursor::new(head).chain(reader),
            bytes: 0,
        };
        let input = match file.filter(|_| format == archive::Format::Zip) {
            Some(path) => match std::fs::File::open(path) {
                Ok(file) => archive::Input::File(file),
                Err(_) => archive::Input::Stream(Box::new(&mut counted)),
            },
            None => archive::Input::Stream(Box::new(&mut counted)),
        };
        let mut errors = Vec::new();
        let walked = archive::walk(format, input, &object.name, self.budget, &mut |member| {
            let member_object = member_of(object, &member);
            match member.content {
                archive::Content::Stream(stream) => {
                    self.classify(&member_object, stream, depth + 1, None, emit);
                }
                archive::Content::Encrypted => {
                    let mut record = unread_record(
                        self.classifiers,
                        &member_object,
                        ObjectError {
                            kind: ErrorKind::Encrypted,
                            message: "encrypted archive member: its content cannot be classified"
                                .into(),
                        },
                    );
                    rate_encrypted(self.classifiers, &mut record);
                    emit(record);
                }
                archive::Content::Unsupported(why) => emit(unread_record(
                    self.classifiers,
                    &member_object,
                    ObjectError {
                        kind: ErrorKind::Unsupported,
                        message: format!("archive member not decoded: {why}"),
                    },
                )),
            }
        });
        if let Err(error) = walked {
            errors.push(ObjectError {
                kind: ErrorKind::from(&error),
                message: format!(
                    "{} archive: {error}; members before it were classified",
                    format.name()
                ),
            });
        }
        let size = object.size.max(counted.bytes);
        emit(build_record(object, size, classification, errors));
    }

    /// Classifies a document from the text inside it; e-mail attachments
    /// are classified as members one level down.
    #[allow(clippy::too_many_arguments)]
    fn classify_document(
        &self,
        object: &ObjectRef,
        format: document::Format,
        sniffed: Sniffed,
        head: Vec<u8>,
        reader: &mut dyn Read,
        depth: u32,
        file: Option<&Path>,
        emit: &mut dyn FnMut(ObjectRecord),
    ) {
        let mut classifier = self.classifiers.document(&object.name, sniffed.mime);
        let mut stream = std::io::Cursor::new(head).chain(reader);
        let input = match file {
            Some(path) => document::Input::File(path),
            None => document::Input::Stream(&mut stream),
        };
        let max_depth = self.budget.limits().max_depth;
        let mut text = document::Text::new(&mut classifier, self.documents);
        let outcome = document::extract(format, sniffed.mime, input, &mut text, &mut |embedded| {
            self.classify_embedded(object, embedded, depth, max_depth, emit);
        });
        let (extracted, read) = match outcome {
            document::Outcome::Extracted { result, bytes } => (result, bytes),
            document::Outcome::TooLarge(mut rest) => {
                drop(classifier);
                let classifier = self.classifiers.object_sniffed(&object.name, sniffed);
                let mut record = classify_reader_with(classifier, object, &mut rest);
                record.errors.push(ObjectError {
                    kind: ErrorKind::DocumentLimit,
                    message: document::DocumentError::TooLarge {
                        format: format.name(),
                        limit: self.documents.max_bytes,
                    }
                    .to_string(),
                });
                emit(record);
                return;
            }
        };
        let errors = match extracted {
            Ok(()) => Vec::new(),
            Err(error) => vec![ObjectError {
                kind: ErrorKind::from(&error),
                message: error.to_string(),
            }],
        };
        let classification = classifier.finish();
        let mut record = build_record(object, object.size.max(read), classification, errors);
        rate_encrypted(self.classifiers, &mut record);
        emit(record);
    }

    /// Classifies a file embedded in a document (an e-mail attachment) as
    /// a member one level down: `<document uri>!/<name>`.
    fn classify_embedded(
        &self,
        object: &ObjectRef,
        embedded: document::Embedded<'_>,
        depth: u32,
        max_depth: u32,
        emit: &mut dyn FnMut(ObjectRecord),
    ) {
        let member = ObjectRef {
            uri: format!("{}!/{}", object.uri, embedded.name),
            name: embedded.name.clone(),
            size: embedded.size,
            etag: None,
            version_id: object.version_id.clone(),
            last_modified: object.last_modified,
            location: object.location.clone(),
            bucket_key: object.bucket_key.clone(),
        };
        if depth + 1 > max_depth {
            emit(unread_record(
                self.classifiers,
                &member,
                ObjectError {
                    kind: ErrorKind::ArchiveLimit,
                    message: format!(
                        "embedded file nested {} levels deep: not opened (limit {max_depth})",
                        depth + 1
                    ),
                },
            ));
        } else {
            self.classify(&member, embedded.content, depth + 1, None, emit);
        }
    }

    /// Names what a failed read inside an archive was: a bomb limit
    /// reached, or data that does not decode.
    fn name_read_errors(&self, record: &mut ObjectRecord, depth: u32) {
        if depth == 0 {
            return;
        }
        for error in record
            .errors
            .iter_mut()
            .filter(|e| e.kind == ErrorKind::Read)
        {
            error.kind = if self.budget.exceeded().is_some() {
                ErrorKind::ArchiveLimit
            } else {
                ErrorKind::Corrupt
            };
        }
    }
}

/// Counts the bytes an archive stream yields (a nested archive's size when
/// its parent does not declare one).
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A member as an object of its own: `<archive uri>!/<member path>`. Its
/// access is the archive's (reading the archive reads the member).
fn member_of(archive: &ObjectRef, member: &archive::Member<'_>) -> ObjectRef {
    ObjectRef {
        uri: format!("{}!/{}", archive.uri, member.path),
        name: member.path.clone(),
        size: member.size.unwrap_or(0),
        etag: None,
        version_id: archive.version_id.clone(),
        last_modified: archive.last_modified,
        location: archive.location.clone(),
        bucket_key: archive.bucket_key.clone(),
    }
}

/// Streams a reader through the classifiers. A read error part-way keeps
/// what was found so far and says where the read stopped.
pub fn classify_reader(
    classifiers: &Classifiers,
    object: &ObjectRef,
    reader: &mut dyn Read,
) -> ObjectRecord {
    classify_reader_with(classifiers.object(&object.name), object, reader)
}

/// Streams a reader through a classifier already made for it.
fn classify_reader_with(
    classifier: ObjectClassifier<'_>,
    object: &ObjectRef,
    reader: &mut dyn Read,
) -> ObjectRecord {
    thread_local! {
        // One read buffer per worker: a fresh 256 KiB allocation per object
        // costs page faults on every small file.
        static BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; READ_SIZE]);
    }
    BUFFER.with_borrow_mut(|buffer| classify_with_buffer(classifier, object, reader, buffer))
}

fn classify_with_buffer(
    mut classifier: ObjectClassifier<'_>,
    object: &ObjectRef,
    reader: &mut dyn Read,
    buffer: &mut [u8],
) -> ObjectRecord {
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
                errors.push(ObjectError::read_failed(read, &e));
                break;
            }
        }
    }
    let classification = classifier.finish();
    build_record(object, read.max(object.size), classification, errors)
}

/// An encrypted document or archive member is rated as Macie rates
/// encrypted content (the catalog's `application/pgp-encrypted` risk).
fn rate_encrypted(classifiers: &Classifiers, record: &mut ObjectRecord) {
    if !record.errors.iter().any(|e| e.kind == ErrorKind::Encrypted) {
        return;
    }
    let Some(risk) = classifiers
        .catalog()
        .content_type("application/pgp-encrypted")
        .filter(|c| c.enabled)
        .map(|c| c.risk)
    else {
        return;
    };
    record
        .risk_factors
        .push(assay_classifiers::risk::RiskFactor {
            kind: FactorKind::Content,
            detail: "encrypted".into(),
            value: risk,
        });
    assay_classifiers::risk::RiskFactor::sort(&mut record.risk_factors);
    record.risk = record.risk.max(risk);
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
        svm: None,
        encoding: TextEncoding::Binary,
        bytes: 0,
        content_scanned: false,
        low_confidence_step: classifiers.catalog().low_confidence_step,
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
        version_id: object.version_id.clone(),
        last_modified: object
            .last_modified
            .map(|t| humantime::format_rfc3339_seconds(t).to_string()),
        content_type: classification.content_type,
        extension: classification.extension,
        themes: classification.themes,
        regexes: classification.regexes,
        pii: classification.pii,
        svm: classification.svm,
        access: None,
        risk,
        risk_factors,
        errors,
        change: None,
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
            version_id: None,
            last_modified: None,
            location: Location::File("x.txt".into()),
            bucket_key: None,
        };
        let record = classify_reader(&classifiers, &object, &mut FailsAfter(1));
        assert!(record.regexes.iter().any(|r| r.id == "github_key"));
        assert_eq!(record.errors.len(), 1);
        assert_eq!(record.errors[0].kind, ErrorKind::Read);
        assert!(
            record.errors[0].message.contains("after 47 bytes"),
            "{}",
            record.errors[0].message
        );
    }
}
