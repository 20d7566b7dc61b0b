//! The walker of JSON and JSON Lines text ([`super::follow`]): it keeps
//! the current JSON path as one string edited in place, so a value costs
//! no allocation, and a value's field names count as keywords next to it
//! (`"ssn": 536221234`).
//!
//! A JSON Lines record is a line's value, a JSON document whose top level
//! is an array has a record per element, any other JSON document is record
//! 0. Malformed JSON is still read; its paths are a best effort.

use std::cell::Cell;
use std::fmt::Write as _;

use super::follow::Walk;
use crate::place::Place;

/// The longest key kept in a path.
const MAX_KEY: usize = 128;
/// Nesting followed in paths (deeper values take the deepest path kept).
const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy)]
enum Kind {
    Object { expecting_key: bool },
    Array { index: u64 },
}

#[derive(Clone)]
struct Frame {
    kind: Kind,
    /// The path's length before this frame's step.
    path_base: usize,
    /// The key chain's length before this frame's key.
    keys_base: usize,
    /// What this object frame's key is as a name, once a value asked.
    name: Cell<Name>,
}

/// An object key as a name in a value's context.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Name {
    /// Not asked since the key was read.
    Unknown,
    /// Letters, digits and `_`: a word of it may be a keyword's, or not.
    Plain { keyword_word: bool },
    /// Anything else (its context comes from the whole path).
    Other,
}

/// A JSON walker: where it stands in the structure, and the path there.
#[derive(Clone)]
pub(super) struct Walker {
    frames: Vec<Frame>,
    /// `$` and a step per frame (none for a top-level array, whose index
    /// is the record).
    path: String,
    /// Each object frame's key after its length: the path without its
    /// array indices, which is all a value's context depends on.
    keys: Vec<u8>,
    /// The key being read.
    key: Vec<u8>,
    in_string: bool,
    escaped: bool,
    /// The string being read is an object key.
    in_key: bool,
    /// Inside a number or literal.
    in_scalar: bool,
    /// Top-level values seen (the record index of JSON Lines).
    values: u64,
    /// Whether the top level is an array of records.
    top_array: bool,
    /// The last value started: its record and path.
    last: Option<u64>,
    last_path: String,
}

impl Default for Walker {
    fn default() -> Self {
        Self {
            frames: Vec::new(),
            path: String::from("$"),
            keys: Vec::new(),
            key: Vec::new(),
            in_string: false,
            escaped: false,
            in_key: false,
            in_scalar: false,
            values: 0,
            top_array: false,
            last: None,
            last_path: String::new(),
        }
    }
}

impl Walk for Walker {
    fn walk(&mut self, bytes: &[u8], base: u64, mut on_value: impl FnMut(&Self, u64)) {
        let mut at = 0;
        while at < bytes.len() {
            let b = bytes[at];
            if self.in_string {
                if !self.escaped {
                    // Straight to the string's end or next escape; a key
                    // keeps what it passes.
                    let to = memchr::memchr2(b'"', b'\\', &bytes[at..]);
                    if self.in_key {
                        let passed = &bytes[at..to.map_or(bytes.len(), |to| at + to)];
                        let room = MAX_KEY.saturating_sub(self.key.len());
                        self.key
                            .extend_from_slice(&passed[..passed.len().min(room)]);
                    }
                    match to {
                        Some(to) => at += to,
                        None => return,
                    }
                }
                let b = bytes[at];
                at += 1;
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.in_key {
                        self.end_key();
                    }
                    continue;
                }
                if self.in_key && self.key.len() < MAX_KEY {
                    self.key.push(b);
                }
                continue;
            }
            at += 1;
            if self.in_scalar {
                if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+') {
                    continue;
                }
                self.in_scalar = false;
                self.end_value();
            }
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    // Indentation comes in runs.
                    while bytes
                        .get(at)
                        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                    {
                        at += 1;
                    }
                }
                b'{' | b'[' => {
                    if self.frames.is_empty() {
                        self.top_array = b == b'[';
                    }
                    if self.frames.len() < MAX_DEPTH {
                        self.push(b == b'{');
                    }
                }
                b'}' | b']' => {
                    if let Some(frame) = self.frames.pop() {
                        self.path.truncate(frame.path_base);
                        self.keys.truncate(frame.keys_base);
                    }
                    self.end_value();
                }
                b',' => match self.frames.last_mut() {
                    Some(Frame {
                        kind: Kind::Object { expecting_key },
                        ..
                    }) => *expecting_key = true,
                    Some(Frame {
                        kind: Kind::Array { index },
                        path_base,
                        ..
                    }) => {
                        *index += 1;
                        let (index, path_base) = (*index, *path_base);
                        if self.frames.len() > 1 || !self.top_array {
                            self.path.truncate(path_base);
                            let _ = write!(self.path, "[{index}]");
                        }
                    }
                    None => {}
                },
                b':' => {
                    if let Some(Frame {
                        kind: Kind::Object { expecting_key },
                        ..
                    }) = self.frames.last_mut()
                    {
                        *expecting_key = false;
                    }
                }
                b'"' if matches!(
                    self.frames.last(),
                    Some(Frame {
                        kind: Kind::Object {
                            expecting_key: true
                        },
                        ..
                    })
                ) =>
                {
                    self.key.clear();
                    self.in_string = true;
                    self.in_key = true;
                }
                _ => {
                    // A scalar value starts: a string, a number or a literal.
                    let offset = base + (at - 1) as u64;
                    let record = self.record();
                    self.last = Some(record);
                    self.last_path.clear();
                    self.last_path.push_str(&self.path);
                    on_value(self, offset);
                    if b == b'"' {
                        self.in_string = true;
                        self.in_key = false;
                        if self.frames.is_empty() {
                            self.values += 1;
                        }
                    } else {
                        self.in_scalar = true;
                    }
                }
            }
        }
    }

    fn row(&self) -> u64 {
        self.record()
    }

    /// The last two keys when they are plain names (which holds for most
    /// values, and repeats far more than whole paths do), else every key:
    /// a context is the last two steps of the path that are not indices.
    fn context_key(&self, out: &mut Vec<u8>) {
        out.clear();
        let mut keys = self.object_keys();
        let last = [keys.next(), keys.next()];
        if last.iter().flatten().all(|key| plain(key)) {
            out.push(0);
            for key in last.iter().rev().flatten() {
                out.push(key.len() as u8);
                out.extend_from_slice(key);
            }
        } else {
            out.push(1);
            out.extend_from_slice(&self.keys);
        }
    }

    fn context(&self) -> Option<String> {
        // The last two keys when they are plain names: what the path's
        // context is, without splitting the path.
        if let Some([before, last]) = self.plain_pair() {
            let mut raw = Vec::with_capacity(64);
            if !before.is_empty() {
                raw.extend_from_slice(before);
                raw.push(b' ');
            }
            raw.extend_from_slice(last);
            let words = crate::place::split_words(std::str::from_utf8(&raw).ok()?);
            return (!words.is_empty()).then_some(words);
        }
        Place::record(0, &self.path).context()
    }

    fn may_be_keyed(&self, keyword_word: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        let mut frames = self.object_frames();
        let Some(last) = frames.next() else {
            return true;
        };
        let mut name = |frame: &Frame| {
            if frame.name.get() == Name::Unknown {
                let key = self.key_of(frame);
                frame.name.set(if plain(key) {
                    Name::Plain {
                        keyword_word: keyword_word(key),
                    }
                } else {
                    Name::Other
                });
            }
            frame.name.get()
        };
        let last = name(last);
        match (last, frames.next().map(name)) {
            (Name::Plain { keyword_word }, None) => keyword_word,
            (Name::Plain { keyword_word: a }, Some(Name::Plain { keyword_word: b })) => a || b,
            _ => true,
        }
    }

    fn last_place(&self) -> Place {
        self.last
            .map(|record| Place::record(record, &self.last_path))
            .unwrap_or_default()
    }
}

/// A key that is its own step of a path: not empty, not a number, and
/// nothing but letters, digits and `_`.
fn plain(key: &[u8]) -> bool {
    !key.is_empty()
        && !key.iter().all(u8::is_ascii_digit)
        && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

impl Walker {
    /// The object frames, deepest first.
    fn object_frames(&self) -> impl Iterator<Item = &Frame> {
        self.frames
            .iter()
            .rev()
            .filter(|f| matches!(f.kind, Kind::Object { .. }))
    }

    /// The keys of the object frames, deepest first.
    fn object_keys(&self) -> impl Iterator<Item = &[u8]> {
        self.object_frames().map(|f| self.key_of(f))
    }

    /// An object frame's key.
    fn key_of(&self, frame: &Frame) -> &[u8] {
        let len = usize::from(self.keys[frame.keys_base]);
        &self.keys[frame.keys_base + 1..frame.keys_base + 1 + len]
    }

    /// The last key and the one before it (empty at the top), when they
    /// are plain.
    fn plain_pair(&self) -> Option<[&[u8]; 2]> {
        let mut keys = self.object_keys();
        let (last, before) = (keys.next()?, keys.next());
        (plain(last) && before.is_none_or(plain)).then(|| [before.unwrap_or_default(), last])
    }

    fn push(&mut self, object: bool) {
        let frame = Frame {
            kind: if object {
                Kind::Object {
                    expecting_key: true,
                }
            } else {
                Kind::Array { index: 0 }
            },
            path_base: self.path.len(),
            keys_base: self.keys.len(),
            name: Cell::new(Name::Unknown),
        };
        let bottom = self.frames.is_empty();
        self.frames.push(frame);
        if object {
            self.keys.push(0);
            self.path.push_str("[\"\"]");
        } else if !bottom {
            self.path.push_str("[0]");
        }
    }

    /// A key was read: it names the top frame's values from here on.
    fn end_key(&mut self) {
        self.in_key = false;
        let Some(frame) = self.frames.last() else {
            return;
        };
        let (path_base, keys_base) = (frame.path_base, frame.keys_base);
        frame.name.set(Name::Unknown);
        self.path.truncate(path_base);
        let key = &self.key;
        if !key.is_empty() && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            self.path.push('.');
            // ASCII alphanumerics only: valid UTF-8.
            self.path
                .push_str(std::str::from_utf8(key).unwrap_or_default());
        } else {
            let key = String::from_utf8_lossy(key);
            let _ = write!(self.path, "[{}]", serde_json::Value::from(key.as_ref()));
        }
        self.keys.truncate(keys_base);
        // MAX_KEY fits a byte.
        self.keys.push(key.len() as u8);
        self.keys.extend_from_slice(key);
    }

    /// A value ended; at the top level it was a whole record.
    fn end_value(&mut self) {
        if self.frames.is_empty() {
            self.values += 1;
        }
    }

    fn record(&self) -> u64 {
        match self.frames.first() {
            Some(Frame {
                kind: Kind::Array { index },
                ..
            }) if self.top_array => *index,
            Some(_) if self.top_array => 0,
            _ => self.values,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::Classifiers;
    use crate::detect::DetectorSet;
    use crate::object::follow::check_places;

    /// The path rebuilt from the frames and the key chain, as the
    /// extractor built it for every value before places were lazy.
    fn rebuilt(walker: &Walker) -> String {
        let mut path = String::from("$");
        let mut keys = walker.keys.as_slice();
        for (depth, frame) in walker.frames.iter().enumerate() {
            match frame.kind {
                Kind::Array { index } => {
                    if depth > 0 || !walker.top_array {
                        path.push_str(&format!("[{index}]"));
                    }
                }
                Kind::Object { .. } => {
                    let len = usize::from(keys[0]);
                    let key = &keys[1..1 + len];
                    keys = &keys[1 + len..];
                    if !key.is_empty()
                        && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    {
                        path.push('.');
                        path.push_str(std::str::from_utf8(key).unwrap());
                    } else {
                        let key = String::from_utf8_lossy(key);
                        path.push_str(&format!("[{}]", serde_json::Value::from(key.as_ref())));
                    }
                }
            }
        }
        assert!(keys.is_empty(), "a key chain longer than its frames");
        path
    }

    #[test]
    fn walks_in_pieces_find_the_places_of_one_walk() {
        // Keys with escapes, a key longer than a path keeps, indentation.
        let long = "k".repeat(MAX_KEY + 40);
        let text = format!(
            "{{\n  \"a\\\"b\": {{\n    \"{long}\": [1,\n      \"x\"],\n    \"c\\\\\": \"v\\\"w\"\n  }},\n  \"ssn\": 7\n}}\n"
        );
        let walk = |piece: usize| {
            let mut walker = Walker::default();
            let mut seen = Vec::new();
            for (n, part) in text.as_bytes().chunks(piece).enumerate() {
                walker.walk(part, (n * piece) as u64, |walker, offset| {
                    seen.push((offset, walker.path.clone(), walker.context()));
                });
            }
            seen
        };
        let whole = walk(text.len());
        let paths: Vec<&str> = whole.iter().map(|(_, path, _)| path.as_str()).collect();
        let kept = "k".repeat(MAX_KEY);
        assert_eq!(
            paths,
            [
                format!(r#"$["a\\\"b"].{kept}[0]"#),
                format!(r#"$["a\\\"b"].{kept}[1]"#),
                r#"$["a\\\"b"]["c\\\\"]"#.to_string(),
                "$.ssn".to_string(),
            ]
        );
        for piece in 1..=9 {
            assert_eq!(walk(piece), whole, "pieces of {piece}");
        }
    }

    /// Every value's offset and place, walking the whole text at once.
    fn every_place(text: &[u8]) -> Vec<(u64, Place)> {
        every_place_and_context(text, &mut HashMap::new())
    }

    /// As [`every_place`], checking on the way that values with the same
    /// context key (the contexts' cache key) have the same context.
    fn every_place_and_context(
        text: &[u8],
        contexts: &mut HashMap<Vec<u8>, Option<String>>,
    ) -> Vec<(u64, Place)> {
        let mut walker = Walker::default();
        let mut places = Vec::new();
        let mut key = Vec::new();
        walker.walk(text, 0, |walker, offset| {
            assert_eq!(walker.path, rebuilt(walker), "at {offset}");
            let place = Place::record(walker.record(), &walker.path);
            walker.context_key(&mut key);
            let context = contexts
                .entry(key.clone())
                .or_insert_with(|| place.context());
            assert_eq!(*context, place.context(), "{place:?}");
            assert_eq!(walker.context(), place.context(), "{place:?}");
            // Settled without the words only where they hold no keyword.
            static SET: std::sync::OnceLock<DetectorSet> = std::sync::OnceLock::new();
            let set =
                SET.get_or_init(|| DetectorSet::new(&crate::Catalog::builtin().unwrap()).unwrap());
            if !walker.may_be_keyed(&mut |name| set.may_key(&[name])) {
                let words = walker.context().unwrap_or_default();
                assert!(set.keyed_by(&words).is_empty(), "{words}");
            }
            places.push((offset, place));
        });
        places
    }

    #[test]
    fn paths_edited_in_place_are_the_paths_rebuilt_from_the_frames() {
        let documents: [&[u8]; 6] = [
            br#"[{"a": 1, "b": [true, {"c d": "x", "e": [[1, 2], {"f": null}]}]}, {"a": 2}]"#,
            b"{\"k\": \"v\"}\n{\"k\": [1, {\"\\\"q\\\"\": 2}]}\n\"bare\"\n7\n",
            br#"{"deep": {"er": {"est": [[[{"x": 1}]]]}}, "": 3, "9": 4}"#,
            br#"{"broken": [1, 2}, "next": {"a" 1, "b": }}} ] "loose": 5"#,
            br#"[[1, 2], [3, {"in": [4, 5]}]]"#,
            br#"{"customer": {"cardNumber": 1, "ssn": 2, "shape": {"routing_number": 3}}}"#,
        ];
        let mut contexts = HashMap::new();
        for text in documents {
            assert!(!every_place_and_context(text, &mut contexts).is_empty());
        }
        let places = every_place(documents[0]);
        let paths: Vec<_> = places
            .iter()
            .map(|(_, p)| (p.record.unwrap(), p.path.as_deref().unwrap().to_string()))
            .collect();
        assert_eq!(paths[2], (0, r#"$.b[1]["c d"]"#.to_string()));
        assert_eq!(paths[5], (0, "$.b[1].e[1].f".to_string()));
        assert_eq!(paths[6], (1, "$.a".to_string()));
        // Random bytes of JSON's alphabet, malformed as they come.
        let alphabet = b"{}[]\",:\\ ab1_.\n";
        let mut rng = crate::xorshift::XorShift(0x2545_f491_4f6c_dd1d);
        for _ in 0..2_000 {
            let text: Vec<u8> = (0..200)
                .map(|_| {
                    let seed = rng.next();
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            every_place_and_context(&text, &mut contexts);
        }
    }

    /// A JSON Lines export larger than several buffers, with tokens and
    /// keyed numbers at places that fall on and near buffer edges.
    fn export() -> (Vec<u8>, Vec<u64>) {
        let mut text = Vec::new();
        let mut planted = Vec::new();
        let mut record = 0u64;
        while text.len() < 3 * super::super::CHUNK + 100_000 {
            let line = if record % 2_000 == 1_999 {
                let token = format!("ghp_{:036}", record);
                planted.push(text.len() as u64 + 40);
                format!("{{\"id\": {record}, \"auth\": {{\"tokens\": [\"none\", \"{token}\"]}}}}\n")
            } else if record % 3_000 == 1_500 {
                format!("{{\"id\": {record}, \"person\": {{\"ssn\": 536221234}}}}\n")
            } else {
                format!("{{\"id\": {record}, \"note\": \"nothing to see in line {record}\"}}\n")
            };
            text.extend_from_slice(line.as_bytes());
            record += 1;
        }
        (text, planted)
    }

    #[test]
    fn lazy_places_are_those_of_the_last_value_before_each_finding() {
        let (text, _) = export();
        fn start(classifiers: &Classifiers) -> crate::ObjectClassifier<'_> {
            let mut object = classifiers.document("export.jsonl", "application/x-ndjson");
            object.follow_json();
            object
        }
        let runs = check_places(start, &text, &every_place(&text), &[65_537, 1 << 20, 3_001]);
        for found in runs {
            let ssn = found
                .regexes
                .iter()
                .find(|r| r.id == "us_social_security_number")
                .expect("keyed numbers found in every buffer");
            let keyed = text
                .windows(b"\"ssn\"".len())
                .filter(|w| w == b"\"ssn\"")
                .count();
            assert_eq!(ssn.count, keyed as u64);
            assert_eq!(ssn.locations[0].place.path.as_deref(), Some("$.person.ssn"));
        }
    }
}
