//! The streaming pipeline: objects from any source are read in pieces
//! (remote bodies fetched ahead of the workers), classified on a pool of
//! worker threads, and handed to the caller one record at a time. One
//! object's failure becomes part of its record; the scan goes on. What
//! happens to one object (documents, archives, records) is in
//! [`classify`].

use std::collections::VecDeque;
use std::sync::Mutex;

use assay_classifiers::Classifiers;
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::archive;
use crate::document;
use crate::error::ScanError;
use crate::record::{Change, IssueKind, ObjectRecord, ScanIssue};
use crate::source::{Discovered, Fetching, ObjectRef};
use crate::state::{Lookup, State, StateError};

mod classify;
use classify::classify_opened;
pub use classify::{classify_object, classify_reader};

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
            // No state, or a state that could not be asked: classified
            // without it (and the failure reported).
            Work::Object(mut object, lookup) => {
                if let Some(Err(error)) = lookup {
                    deliver(Event::Issue(state_issue(&object.object, &error)));
                }
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::record::ErrorKind;
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
