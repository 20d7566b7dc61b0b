//! The report's object records, in URI order, in bounded memory: kept in
//! memory while few, and beyond that written to temporary files as sorted
//! runs that are merged as the report reads them. A one-machine scan of
//! millions of objects and a fleet merge of millions of records write
//! `json`, `csv` and `sarif` reports without holding every record.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufRead, BufReader, BufWriter, Write};

use serde::{Deserialize, Serialize};

use crate::access::stats::ObjectAccess;
use crate::record::ObjectRecord;

/// Records kept in memory before a sorted run goes to disk.
const IN_MEMORY: usize = 20_000;

/// One spooled record: the record and its access statistics (which a
/// record does not read back by itself).
#[derive(Serialize, Deserialize)]
struct Spooled {
    record: ObjectRecord,
    access: Option<ObjectAccess>,
}

/// Takes records in any order; gives them back in URI order.
#[derive(Default)]
pub struct ObjectSorter {
    buffer: Vec<ObjectRecord>,
    runs: Vec<tempfile::TempPath>,
    count: usize,
}

impl ObjectSorter {
    pub fn push(&mut self, record: ObjectRecord) -> io::Result<()> {
        self.count += 1;
        self.buffer.push(record);
        if self.buffer.len() >= IN_MEMORY {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buffer.sort_by(|a, b| a.uri.cmp(&b.uri));
        let (file, path) = tempfile::NamedTempFile::new()?.into_parts();
        let mut out = BufWriter::new(file);
        for record in self.buffer.drain(..) {
            let access = record.access.clone();
            serde_json::to_writer(&mut out, &Spooled { record, access })?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        self.runs.push(path);
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<Objects> {
        if self.runs.is_empty() {
            self.buffer.sort_by(|a, b| a.uri.cmp(&b.uri));
            return Ok(Objects::Memory(self.buffer));
        }
        if !self.buffer.is_empty() {
            self.spill()?;
        }
        Ok(Objects::Spooled {
            runs: self.runs,
            count: self.count,
        })
    }
}

/// A report's records in URI order.
pub enum Objects {
    Memory(Vec<ObjectRecord>),
    Spooled {
        runs: Vec<tempfile::TempPath>,
        count: usize,
    },
}

impl Default for Objects {
    fn default() -> Self {
        Self::Memory(Vec::new())
    }
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Objects({})", self.len())
    }
}

impl From<Vec<ObjectRecord>> for Objects {
    /// Records already in URI order.
    fn from(records: Vec<ObjectRecord>) -> Self {
        Self::Memory(records)
    }
}

impl Objects {
    pub fn len(&self) -> usize {
        match self {
            Self::Memory(records) => records.len(),
            Self::Spooled { count, .. } => *count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records in URI order; a spooled one read back fails with the
    /// temporary file's error.
    pub fn iter(&self) -> ObjectsIter<'_> {
        match self {
            Self::Memory(records) => ObjectsIter::Memory(records.iter()),
            Self::Spooled { runs, .. } => {
                let mut readers = Vec::new();
                let mut heap = BinaryHeap::new();
                let mut heads = Vec::new();
                let mut failed = None;
                for (i, path) in runs.iter().enumerate() {
                    let reader = std::fs::File::open(path).map(|f| BufReader::new(f).lines());
                    let mut lines = match reader {
                        Ok(lines) => lines,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    };
                    let head = match next_record(&mut lines) {
                        Some(Err(e)) => {
                            failed = Some(e);
                            break;
                        }
                        Some(Ok(record)) => {
                            heap.push(Reverse((record.uri.clone(), i)));
                            Some(record)
                        }
                        None => None,
                    };
                    heads.push(head);
                    readers.push(lines);
                }
                ObjectsIter::Spooled {
                    readers,
                    heads,
                    heap,
                    failed,
                }
            }
        }
    }
}

type Lines = std::io::Lines<BufReader<std::fs::File>>;

fn next_record(lines: &mut Lines) -> Option<io::Result<ObjectRecord>> {
    let line = match lines.next()? {
        Ok(line) => line,
        Err(e) => return Some(Err(e)),
    };
    Some(
        serde_json::from_str::<Spooled>(&line)
            .map(|spooled| {
                let mut record = spooled.record;
                record.access = spooled.access;
                record
            })
            .map_err(io::Error::other),
    )
}

/// Records in URI order, borrowed from memory or read back from runs.
pub enum ObjectsIter<'a> {
    Memory(std::slice::Iter<'a, ObjectRecord>),
    Spooled {
        readers: Vec<Lines>,
        /// Each run's next record.
        heads: Vec<Option<ObjectRecord>>,
        heap: BinaryHeap<Reverse<(String, usize)>>,
        /// A run that could not be read: the next item, then the end.
        failed: Option<io::Error>,
    },
}

impl<'a> Iterator for ObjectsIter<'a> {
    type Item = io::Result<Cow<'a, ObjectRecord>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Memory(records) => records.next().map(|r| Ok(Cow::Borrowed(r))),
            Self::Spooled {
                readers,
                heads,
                heap,
                failed,
            } => {
                if let Some(error) = failed.take() {
                    heap.clear();
                    return Some(Err(error));
                }
                let Reverse((_, i)) = heap.pop()?;
                let record = heads[i].take()?;
                match next_record(&mut readers[i]) {
                    Some(Ok(next)) => {
                        heap.push(Reverse((next.uri.clone(), i)));
                        heads[i] = Some(next);
                    }
                    // Reported after this record, which was read whole.
                    Some(Err(error)) => *failed = Some(error),
                    None => {}
                }
                Some(Ok(Cow::Owned(record)))
            }
        }
    }
}

impl Serialize for Objects {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for record in self.iter() {
            let record = record.map_err(S::Error::custom)?;
            seq.serialize_element(record.as_ref())?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(uri: &str) -> ObjectRecord {
        let mut record: ObjectRecord = serde_json::from_value(serde_json::json!({
            "uri": uri, "size": 1, "etag": null, "last_modified": null, "content_type": null,
            "extension": {"ext": null, "risk": 1, "mismatch": false}, "themes": [], "regexes": [],
            "pii": {"impact": "none", "names": 0, "emails": 0, "other": 0, "cards": 0},
            "svm": null, "risk": 1, "risk_factors": [], "errors": []
        }))
        .unwrap();
        record.access = Some(ObjectAccess {
            reads: uri.len() as u64,
            ..ObjectAccess::default()
        });
        record
    }

    #[test]
    fn many_records_come_back_in_uri_order_with_their_access() {
        let mut sorter = ObjectSorter::default();
        let total = IN_MEMORY * 2 + 17;
        // A scrambled order: multiplying by a number prime to the count.
        for i in 0..total {
            sorter
                .push(record(&format!("s3://b/{:06}", (i * 7919) % total)))
                .unwrap();
        }
        let objects = sorter.finish().unwrap();
        assert!(matches!(objects, Objects::Spooled { ref runs, .. } if runs.len() == 3));
        assert_eq!(objects.len(), total);
        let uris: Vec<String> = objects.iter().map(|r| r.unwrap().uri.clone()).collect();
        let expected: Vec<String> = (0..total).map(|i| format!("s3://b/{i:06}")).collect();
        assert_eq!(uris, expected);
        let first = objects.iter().next().unwrap().unwrap();
        assert_eq!(first.access.as_ref().unwrap().reads, first.uri.len() as u64);
        // Serialized like the vector it stands for.
        let json = serde_json::to_value(&objects).unwrap();
        assert_eq!(json.as_array().unwrap().len(), total);
    }

    #[test]
    fn a_damaged_run_ends_the_records_with_its_error() {
        let mut sorter = ObjectSorter::default();
        for i in 0..IN_MEMORY + 5 {
            sorter.push(record(&format!("s3://b/{i:06}"))).unwrap();
        }
        let objects = sorter.finish().unwrap();
        let Objects::Spooled { runs, .. } = &objects else {
            panic!("spooled");
        };
        let text = std::fs::read_to_string(&runs[0]).unwrap();
        let cut: Vec<&str> = text.lines().take(10).chain(["{not json"]).collect();
        std::fs::write(&runs[0], cut.join("\n")).unwrap();
        let read: Vec<io::Result<Cow<'_, ObjectRecord>>> = objects.iter().collect();
        let errors = read.iter().filter(|r| r.is_err()).count();
        assert_eq!(errors, 1, "one error, then the end");
        assert!(read.last().unwrap().is_err());
        assert!(serde_json::to_string(&objects).is_err());
    }

    #[test]
    fn few_records_stay_in_memory_sorted() {
        let mut sorter = ObjectSorter::default();
        for uri in ["c", "a", "b"] {
            sorter.push(record(uri)).unwrap();
        }
        let objects = sorter.finish().unwrap();
        assert!(matches!(objects, Objects::Memory(_)));
        let uris: Vec<String> = objects.iter().map(|r| r.unwrap().uri.clone()).collect();
        assert_eq!(uris, ["a", "b", "c"]);
    }
}
