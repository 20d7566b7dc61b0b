//! One object in, records out: an object opened (or not), sniffed, read
//! as plain content, extracted as a document or walked as an archive whose
//! members are classified in turn within the archive limits, each record
//! rated and its errors named.

use std::io::Read;
use std::path::Path;

use assay_classifiers::content_type::{HEAD_LEN, Sniffed, TextEncoding};
use assay_classifiers::risk::{FactorKind, content_risk};
use assay_classifiers::{Classification, Classifiers, ObjectClassifier};

use super::{Limits, READ_SIZE};
use crate::archive::{self, Budget};
use crate::document;
use crate::record::{ErrorKind, ObjectError, ObjectRecord};
use crate::source::{Location, ObjectRef, OpenError};

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
pub(super) fn classify_opened(
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
            // The rest of a stream whose head failed usually fails the
            // same way: the error is said once.
            let said = record.errors.iter().any(|e| e.kind == ErrorKind::Read);
            if let Some(error) = head_error.filter(|_| !said) {
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
        match classifier.read_from(reader, buffer) {
            Ok(0) => break,
            Ok(n) => read += n as u64,
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
