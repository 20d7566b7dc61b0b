//! The streaming object classifier: feeds an object's bytes, in pieces of
//! any size, through every classifier in bounded memory.
//!
//! Bytes are gathered into buffers of [`CHUNK`] bytes. Consecutive buffers
//! overlap by `2 * MAX_SPAN` bytes and each buffer *owns* only the
//! positions at least `MAX_SPAN` bytes from its inner edges, so every match
//! is found exactly once, with full context, wherever it falls. Line and
//! column numbers are tracked across buffers. UTF-16 text is transcoded to
//! UTF-8 on the way in (offsets then count bytes of the transcoded text).

use crate::Classifiers;
use crate::catalog::ContentClass;
use crate::content_type::HEAD_LEN;
use crate::decode::{EncodedHit, EncodedScan};
use crate::detect::{AnchorHit, Hit, MAX_SPAN, Scratch, Structure, redact};
use crate::place::Place;
use crate::sniffed::{Sniffed, TextEncoding};
use crate::theme::ThemeCounts;

mod delimited;
mod follow;
mod gathered;
mod json;
mod marks;
mod places;
mod result;
mod transcode;
use follow::Follower;
use gathered::Gathered;
use marks::Marked;
use places::Places;
pub use result::{Classification, ContentTypeResult, Location, RegexResult};
use transcode::Decoder;

thread_local! {
    /// Each worker's detector scratch space, handed from object to object.
    static SCRATCH: std::cell::RefCell<Option<Scratch>> = const { std::cell::RefCell::new(None) };
    /// Each worker's decoding space, likewise.
    static ENCODED: std::cell::RefCell<Option<EncodedScan>> = const { std::cell::RefCell::new(None) };
}

/// Bytes gathered before a buffer is classified.
pub const CHUNK: usize = 1 << 20;
/// Locations kept per detector and object (the count covers all matches).
pub const MAX_LOCATIONS: usize = 16;

/// Matches of one detector in one object. Only detectors that matched get
/// one, so an object costs nothing per detector of a large catalog.
struct DetectorTally {
    detector: usize,
    count: u64,
    locations: Vec<Location>,
    first_redacted: Option<String>,
    secrets: Vec<crate::verdict::Secret>,
}

impl Classifiers {
    /// Starts classifying one object; `name` is its key or path (for the
    /// extension classifier).
    pub fn object(&self, name: &str) -> ObjectClassifier<'_> {
        ObjectClassifier::new(self, name)
    }

    /// Starts classifying an object whose first bytes were already sniffed
    /// (by [`Classifiers::sniff`]): they are not sniffed twice.
    pub fn object_sniffed(&self, name: &str, sniffed: Sniffed) -> ObjectClassifier<'_> {
        ObjectClassifier::sniffed(self, name, sniffed)
    }

    /// Starts classifying the UTF-8 text extracted from a document of a
    /// known format (`mime`, which sets the content type), with places
    /// marked as it goes ([`ObjectClassifier::mark`]).
    pub fn document(&self, name: &str, mime: &'static str) -> ObjectClassifier<'_> {
        ObjectClassifier::document(self, name, mime)
    }
}

/// Classifies one object from a stream of its bytes.
///
/// ```
/// use assay_classifiers::Classifiers;
/// let classifiers = Classifiers::builtin().unwrap();
/// let mut object = classifiers.object("deploy/credentials");
/// object.feed(b"[default]\naws_access_key_id = AKIA2E4GHJ7KLMNPQR3S\n");
/// object.feed(b"aws_secret_access_key = 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\n");
/// let found = object.finish();
/// let secret = found.regexes.iter().find(|r| r.id == "aws_secret_key").unwrap();
/// assert_eq!((secret.locations[0].line, secret.risk), (3, 10));
/// assert_eq!(secret.redacted, "9f/K…(40 chars)");
/// ```
pub struct ObjectClassifier<'c> {
    classifiers: &'c Classifiers,
    name: String,
    pending: Vec<u8>,
    sniffed: Option<Sniffed>,
    decoder: Decoder,
    scan_themes: bool,
    scan_regexes: bool,
    count_names: bool,
    names: u64,
    buf: Gathered,
    buf_offset: u64,
    first: bool,
    lines_before: u64,
    last_newline: Option<u64>,
    theme_counts: ThemeCounts,
    anchor_hits: Vec<AnchorHit>,
    tallies: Vec<DetectorTally>,
    scratch: Scratch,
    /// Decoding of base64 and percent-encoded runs.
    encoded: EncodedScan,
    bytes: u64,
    /// The start of the decoded text, for the SVM.
    svm_head: Option<Vec<u8>>,
    /// For a document whose extracted text holds values without their
    /// field names (Parquet, Avro): the start of that text with each
    /// value's name before it, which the SVM reads instead.
    svm_labelled: Option<Vec<u8>>,
    /// Places marked by a document extractor.
    marks: Marked,
    /// For JSON and CSV text: places found by following its structure
    /// instead of marks.
    follow: Option<Box<dyn Places>>,
    /// Matches refused by their validators, per detector that counts them
    /// ([`crate::catalog::DetectorItem::min_valid_share`]).
    invalid: Vec<(usize, u64)>,
    /// With `--verify`: values some verifiers pair a secret with.
    companions: Vec<(crate::companion::Companion, crate::verdict::Secret)>,
}

impl<'c> ObjectClassifier<'c> {
    pub(crate) fn new(classifiers: &'c Classifiers, name: &str) -> Self {
        Self {
            classifiers,
            name: name.to_string(),
            pending: Vec::new(),
            sniffed: None,
            decoder: Decoder::Identity,
            scan_themes: false,
            scan_regexes: false,
            count_names: false,
            names: 0,
            buf: Gathered::take(),
            buf_offset: 0,
            first: true,
            lines_before: 0,
            last_newline: None,
            theme_counts: classifiers.themes.counts(),
            anchor_hits: Vec::new(),
            tallies: Vec::new(),
            scratch: SCRATCH
                .with(|pool| pool.borrow_mut().take())
                .unwrap_or_default(),
            encoded: ENCODED
                .with(|pool| pool.borrow_mut().take())
                .unwrap_or_default(),
            bytes: 0,
            svm_head: None,
            svm_labelled: None,
            marks: Marked::default(),
            follow: None,
            invalid: Vec::new(),
            companions: Vec::new(),
        }
    }

    /// Starts classifying the text extracted from a document whose format
    /// is already known (`mime`): what is fed is UTF-8 text, and places can
    /// be marked in it.
    pub(crate) fn document(classifiers: &'c Classifiers, name: &str, mime: &'static str) -> Self {
        let mut object = Self::sniffed(
            classifiers,
            name,
            Sniffed {
                mime,
                encoding: TextEncoding::Utf8,
            },
        );
        // Extracted text is read whatever the container's class (a PDF or
        // a zip-based format has no readable bytes of its own).
        object.scan_regexes = true;
        object.scan_themes = true;
        object.count_names = true;
        if unnamed_values(mime) {
            object.svm_labelled = Some(Vec::new());
        }
        object
    }

    pub(crate) fn sniffed(classifiers: &'c Classifiers, name: &str, sniffed: Sniffed) -> Self {
        let mut object = Self::new(classifiers, name);
        object.adopt(sniffed);
        object
    }

    /// Says that the text fed from now on belongs to `place` (until the
    /// next mark). Findings in it carry the place, and its column or field
    /// name counts as a keyword next to them.
    ///
    /// ```
    /// use assay_classifiers::{Classifiers, place::Place};
    /// let classifiers = Classifiers::builtin().unwrap();
    /// let mut sheet = classifiers.document("staff.xlsx", "text/csv");
    /// sheet.feed(b"name\tid\n");
    /// sheet.mark(Place::cell(Some("Staff"), 2, 1, Some("SSN")));
    /// sheet.feed(b"536-22-1234");
    /// let found = sheet.finish();
    /// let ssn = &found.regexes[0];
    /// assert_eq!(ssn.id, "us_social_security_number");
    /// assert_eq!(ssn.locations[0].place.cell.as_deref(), Some("B2"));
    /// ```
    pub fn mark(&mut self, place: Place) {
        if self.sniffed.is_none() {
            self.sniff();
        }
        if let (Some(text), Some(path)) = (&mut self.svm_labelled, place.path.as_deref()) {
            label_value(text, path);
        }
        let at = self.buf_offset + self.buf.len() as u64;
        self.marks.mark(&self.classifiers.detectors, at, place);
    }

    /// Says that the text fed is JSON or JSON Lines: the places of its
    /// values (record and path) and the keywords their field names are
    /// follow from its structure, worked out where a finding or a keyed
    /// field needs them rather than marked value by value.
    ///
    /// ```
    /// use assay_classifiers::Classifiers;
    /// let classifiers = Classifiers::builtin().unwrap();
    /// let mut export = classifiers.document("people.jsonl", "application/x-ndjson");
    /// export.follow_json();
    /// export.feed(b"{\"name\": \"Dana\"}\n{\"tax\": {\"ssn\": 536221234}}\n");
    /// let found = export.finish();
    /// let ssn = found.regexes.iter().find(|r| r.id == "us_social_security_number").unwrap();
    /// let place = &ssn.locations[0].place;
    /// assert_eq!((place.record, place.path.as_deref()), (Some(1), Some("$.tax.ssn")));
    /// ```
    pub fn follow_json(&mut self) {
        self.follow = Some(Box::new(Follower::new(json::Walker::default())));
    }

    /// Says that the text fed is CSV or TSV with this `delimiter`: each
    /// field's place (row, cell and the header's name for its column) and
    /// the keywords its column's name holds follow from its structure, as
    /// with [`ObjectClassifier::follow_json`].
    ///
    /// ```
    /// use assay_classifiers::Classifiers;
    /// let classifiers = Classifiers::builtin().unwrap();
    /// let mut staff = classifiers.document("staff.csv", "text/csv");
    /// staff.follow_delimited(b',');
    /// staff.feed(b"name,ssn\nDana,536221234\n");
    /// let found = staff.finish();
    /// let ssn = found.regexes.iter().find(|r| r.id == "us_social_security_number").unwrap();
    /// let place = &ssn.locations[0].place;
    /// assert_eq!((place.cell.as_deref(), place.column_name.as_deref()), (Some("B2"), Some("ssn")));
    /// ```
    pub fn follow_delimited(&mut self, delimiter: u8) {
        self.follow = Some(Box::new(Follower::new(delimited::Walker::new(delimiter))));
    }

    /// Feeds the next bytes of the object.
    pub fn feed(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        if let Some(text) = &mut self.svm_labelled {
            let room = crate::svm::features::HEAD.saturating_sub(text.len());
            text.extend_from_slice(&data[..data.len().min(room)]);
        }
        if self.sniffed.is_none() {
            self.pending.extend_from_slice(data);
            if self.pending.len() >= HEAD_LEN {
                self.sniff();
            }
            return;
        }
        if self.scan_themes || self.scan_regexes {
            self.decoder.push(data, &mut self.buf);
            self.process_full();
        }
    }

    /// Reads the object's next bytes from `reader` and classifies them as
    /// [`ObjectClassifier::feed`] does, at most `spare.len()` of them.
    /// `spare` is room to read into when the bytes cannot go straight into
    /// the text (before the content type is known, or when they are
    /// transcoded). Returns how many bytes were read: 0 at the end of the
    /// stream.
    ///
    /// ```
    /// use assay_classifiers::Classifiers;
    /// let classifiers = Classifiers::builtin().unwrap();
    /// let mut object = classifiers.object("deploy/.env");
    /// let mut reader: &[u8] = b"GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n";
    /// let mut spare = [0u8; 16];
    /// while object.read_from(&mut reader, &mut spare).unwrap() > 0 {}
    /// let found = object.finish();
    /// assert!(found.regexes.iter().any(|r| r.id == "github_key"));
    /// ```
    pub fn read_from(
        &mut self,
        reader: &mut dyn std::io::Read,
        spare: &mut [u8],
    ) -> std::io::Result<usize> {
        let in_place = self.sniffed.is_some()
            && (self.scan_themes || self.scan_regexes)
            && self.decoder.is_identity()
            && self.svm_labelled.is_none();
        if !in_place {
            let n = reader.read(spare)?;
            self.feed(&spare[..n]);
            return Ok(n);
        }
        // Reads are as large as they would be into `spare`: a reader that
        // meters what it yields (an archive's budget) fails at the same
        // point either way.
        let want = spare.len();
        let n = reader.read(&mut self.buf.room(want)[..want])?;
        self.buf.commit(n);
        self.bytes += n as u64;
        self.process_full();
        Ok(n)
    }

    /// Classifies the full chunks gathered.
    fn process_full(&mut self) {
        while self.buf.len() >= CHUNK {
            self.process(false);
        }
    }

    fn sniff(&mut self) {
        let sniffed = self
            .classifiers
            .content
            .sniff_named(&self.pending, Some(&self.name));
        self.adopt(sniffed);
    }

    /// Sets how the content is read from its format.
    fn adopt(&mut self, sniffed: Sniffed) {
        let class = self
            .classifiers
            .catalog
            .content_type(sniffed.mime)
            .map_or(ContentClass::Binary, |c| c.class);
        // A PDF's raw bytes are compressed streams; its text is extracted.
        let readable = class.has_text() && sniffed.mime != "application/pdf";
        self.scan_regexes = readable;
        self.scan_themes = readable && sniffed.encoding != TextEncoding::Binary;
        self.count_names = self.scan_themes && class.names_people();
        self.decoder = Decoder::for_encoding(sniffed.encoding);
        self.sniffed = Some(sniffed);
        let pending = std::mem::take(&mut self.pending);
        if self.scan_regexes {
            self.decoder.push(&pending, &mut self.buf);
        }
    }

    fn process(&mut self, last: bool) {
        let len = self.buf.len();
        if self.first && self.scan_themes {
            self.svm_head = Some(self.buf.text()[..len.min(crate::svm::features::HEAD)].to_vec());
        }
        let own_start = if self.first { 0 } else { MAX_SPAN.min(len) };
        let own_end = if last { len } else { len - MAX_SPAN };
        // Where the next buffer will start: what it keeps of this one.
        let keep_from = (!last).then(|| len - 2 * MAX_SPAN);
        let next_start = keep_from.map(|keep| self.buf_offset + keep as u64);
        places(&mut self.marks, &mut self.follow).walk(
            &self.classifiers.detectors,
            self.buf.text(),
            self.buf_offset,
            next_start,
        );
        if own_start < own_end {
            self.classify_owned(own_start..own_end);
        }
        if let Some(keep_from) = keep_from {
            self.buf.keep_from(keep_from);
            self.buf_offset += keep_from as u64;
            self.first = false;
            places(&mut self.marks, &mut self.follow).moved(self.buf_offset);
        }
    }

    fn classify_owned(&mut self, owned: std::ops::Range<usize>) {
        let buf = self.buf.text();
        let classifiers = self.classifiers;
        self.anchor_hits.clear();
        let themes = self
            .scan_themes
            .then_some((&classifiers.themes, &mut self.theme_counts));
        classifiers.keywords.run(
            buf,
            owned.clone(),
            self.buf_offset,
            themes,
            &mut self.anchor_hits,
        );
        if self.count_names {
            self.names += classifiers.names.count(buf, owned.clone());
        }
        let mut line_cursor = owned.start;
        let keep = classifiers.keep_secrets;
        let verifiable = classifiers.detectors.detectors();
        if self.scan_regexes {
            let base = self.buf_offset;
            let (contexts, rows) = match &self.follow {
                Some(follow) => follow.structure(base, buf.len()),
                None => self.marks.structure(base, buf.len()),
            };
            let hits = self.classifiers.detectors.scan(
                buf,
                owned.clone(),
                &self.anchor_hits,
                Structure {
                    contexts: &contexts,
                    rows: &rows,
                },
                &mut self.scratch,
            );
            let encoded = self.encoded.scan(
                &classifiers.keywords,
                &classifiers.detectors,
                buf,
                owned.clone(),
                hits,
            );
            // Plain and encoded findings, in the order of their positions
            // (lines are counted forwards).
            let mut plain = hits.iter().peekable();
            let mut decoded = encoded.iter().peekable();
            let next = std::iter::from_fn(|| match (plain.peek(), decoded.peek()) {
                (Some(p), Some(d)) if d.at < p.secret_start => decoded.next().map(Found::Encoded),
                (Some(_), _) => plain.next().map(Found::Plain),
                (None, _) => decoded.next().map(Found::Encoded),
            });
            for found in next {
                let (position, detector, encoding) = match found {
                    Found::Plain(hit) => (hit.secret_start, hit.detector, None),
                    Found::Encoded(hit) => (hit.at, hit.detector, Some(hit.encoding)),
                };
                // Locations point at the secret itself, not at its keyword
                // (or at the start of the encoded run holding it).
                let at = position.max(line_cursor);
                self.lines_before +=
                    memchr::memchr_iter(b'\n', &buf[line_cursor..at]).count() as u64;
                if let Some(nl) = memchr::memrchr(b'\n', &buf[line_cursor..at]) {
                    self.last_newline = Some(self.buf_offset + (line_cursor + nl) as u64);
                }
                line_cursor = at;
                let offset = self.buf_offset + at as u64;
                let column = offset - self.last_newline.map_or(0, |nl| nl + 1) + 1;
                let at = match self.tallies.iter().position(|t| t.detector == detector) {
                    Some(at) => at,
                    None => {
                        self.tallies.push(DetectorTally {
                            detector,
                            count: 0,
                            locations: Vec::new(),
                            first_redacted: None,
                            secrets: Vec::new(),
                        });
                        self.tallies.len() - 1
                    }
                };
                let place = if self.tallies[at].locations.len() >= MAX_LOCATIONS {
                    Place::default()
                } else {
                    places(&mut self.marks, &mut self.follow).place_at(buf, self.buf_offset, offset)
                };
                let tally = &mut self.tallies[at];
                tally.count += 1;
                if tally.locations.len() < MAX_LOCATIONS {
                    tally.locations.push(Location {
                        line: self.lines_before + 1,
                        column,
                        offset,
                        encoding,
                        place,
                    });
                }
                // Only with --verify, only plain matches of verifiable
                // detectors: the cost of a scan without it is this test.
                if let (Found::Plain(hit), true) = (found, keep > tally.secrets.len()) {
                    if verifiable[detector].item.verify.is_some() {
                        let raw = String::from_utf8_lossy(&buf[hit.secret_start..hit.secret_end]);
                        if !tally.secrets.iter().any(|s| s.expose() == raw) {
                            tally.secrets.push(crate::verdict::Secret::new(&raw));
                        }
                    }
                }
                if tally.first_redacted.is_none() {
                    tally.first_redacted = Some(match found {
                        Found::Plain(hit) => redact(&buf[hit.secret_start..hit.secret_end]),
                        Found::Encoded(hit) => hit.redacted.clone(),
                    });
                }
            }
        }
        if let (Some(set), true) = (&classifiers.companions, self.scan_regexes) {
            let found = &mut self.companions;
            set.scan(buf, owned.clone(), |kind, value| {
                // Up to `keep` distinct values of each kind per object.
                let have = found.iter().filter(|(k, _)| *k == kind).count();
                if have >= keep {
                    return crate::companion::More::Enough;
                }
                let known = found.iter().any(|(k, s)| *k == kind && s.expose() == value);
                if !known {
                    found.push((kind, crate::verdict::Secret::new(value)));
                }
                crate::companion::More::Wanted
            });
        }
        for &(detector, count) in self.scratch.invalid() {
            match self.invalid.iter_mut().find(|(d, _)| *d == detector) {
                Some((_, total)) => *total += count,
                None => self.invalid.push((detector, count)),
            }
        }
        let rest = &buf[line_cursor..owned.end];
        self.lines_before += memchr::memchr_iter(b'\n', rest).count() as u64;
        if let Some(nl) = memchr::memrchr(b'\n', rest) {
            self.last_newline = Some(self.buf_offset + (line_cursor + nl) as u64);
        }
    }

    /// Classifies what is left and returns the object's classification.
    pub fn finish(mut self) -> Classification {
        if self.sniffed.is_none() {
            self.sniff();
        }
        if self.scan_themes || self.scan_regexes {
            self.process(true);
        }
        let classifiers = self.classifiers;
        let sniffed = self.sniffed.clone().unwrap_or(Sniffed {
            mime: "application/x-empty",
            encoding: TextEncoding::Binary,
        });
        let content_type = classifiers
            .catalog
            .content_type(sniffed.mime)
            .filter(|c| c.enabled)
            .map(|c| ContentTypeResult {
                mime: c.mime.clone(),
                risk: c.risk,
            });
        let extension = classifiers.extensions.classify(&self.name, Some(&sniffed));
        let themes = classifiers.themes.results(&self.theme_counts);
        // Mostly invalid numbers are numeric data, not a list of cards.
        let invalid = &self.invalid;
        let detectors = classifiers.detectors.detectors();
        self.tallies.retain(|tally| {
            let Some(share) = detectors[tally.detector].item.min_valid_share else {
                return true;
            };
            let refused = invalid
                .iter()
                .find(|(d, _)| *d == tally.detector)
                .map_or(0, |(_, n)| *n);
            let candidates = tally.count + refused;
            candidates < crate::catalog::MIN_SHARE_CANDIDATES
                || tally.count as f64 >= share * candidates as f64
        });
        let pii = crate::pii::impact(
            classifiers.detectors.detectors(),
            self.names,
            self.tallies.iter().map(|t| (t.detector, t.count)),
        );
        if let (Some(labelled), Some(head)) = (self.svm_labelled.take(), &mut self.svm_head) {
            *head = labelled;
        }
        let svm = self.svm_head.as_ref().map(|head| {
            classifiers.documents.classify(
                head,
                &self.name,
                self.bytes,
                sniffed.encoding,
                content_type.as_ref().map(|c| c.mime.as_str()),
            )
        });
        SCRATCH.with(|pool| *pool.borrow_mut() = Some(std::mem::take(&mut self.scratch)));
        ENCODED.with(|pool| *pool.borrow_mut() = Some(std::mem::take(&mut self.encoded)));
        self.tallies.sort_unstable_by_key(|t| t.detector);
        let detectors = classifiers.detectors.detectors();
        let regexes = self
            .tallies
            .into_iter()
            .map(|tally| (&detectors[tally.detector], tally))
            .filter(|(detector, tally)| {
                tally.count > 0 && tally.count >= u64::from(detector.item.min_count)
            })
            .map(|(detector, tally)| RegexResult {
                id: detector.item.id.clone(),
                category: detector.item.category,
                risk: detector.item.risk,
                confidence: detector.confidence(),
                count: tally.count,
                locations: tally.locations,
                redacted: tally.first_redacted.unwrap_or_default(),
                verification: None,
                companions: match detector.item.verify.as_ref().and_then(|v| v.paired) {
                    Some(paired) if !tally.secrets.is_empty() => self
                        .companions
                        .iter()
                        .filter(|(kind, _)| paired.companions().contains(kind))
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                },
                secrets: tally.secrets,
            })
            .collect();
        Classification {
            content_type,
            extension,
            themes,
            regexes,
            pii,
            svm,
            encoding: sniffed.encoding,
            bytes: self.bytes,
            content_scanned: self.scan_regexes,
            low_confidence_step: classifiers.catalog.low_confidence_step,
        }
    }
}

/// Where an object's places come from: its followed structure, or else its
/// marks (none, for text that is neither marked nor followed).
fn places<'a>(
    marks: &'a mut Marked,
    follow: &'a mut Option<Box<dyn Places>>,
) -> &'a mut dyn Places {
    match follow {
        Some(follow) => follow.as_mut(),
        None => marks,
    }
}

/// Whether the text extracted from documents of this type holds values
/// without their field names (one value per line, the name only in the
/// marks), so the SVM would see a column of bare values.
fn unnamed_values(mime: &str) -> bool {
    matches!(
        mime,
        "application/vnd.apache.parquet" | "application/vnd.apache.avro"
    )
}

/// Writes a value's field name (the last step of its JSON path) before
/// it, as `name: `, while the SVM's text has room.
fn label_value(text: &mut Vec<u8>, path: &str) {
    // A name of one byte and its `: ` is the least that fits.
    if text.len() + 3 > crate::svm::features::HEAD {
        return;
    }
    let last = path
        .rsplit(['.', '['])
        .next()
        .unwrap_or(path)
        .trim_end_matches(']')
        .trim_matches('"');
    if last.is_empty() || last.bytes().all(|b| b.is_ascii_digit()) || last == "$" {
        return;
    }
    if text.len() + last.len() + 2 <= crate::svm::features::HEAD {
        text.extend_from_slice(last.as_bytes());
        text.extend_from_slice(b": ");
    }
}

/// A finding of one buffer: as it stands, or inside an encoded run.
#[derive(Clone, Copy)]
enum Found<'h> {
    Plain(&'h Hit),
    Encoded(&'h EncodedHit),
}

#[cfg(test)]
mod tests {
    use crate::Classifiers;

    #[test]
    fn secret_straddling_every_chunk_boundary_is_found_once_with_its_line() {
        let classifiers = Classifiers::builtin().unwrap();
        let token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
        // Put a token across the first buffer's edge, then feed in odd-sized pieces.
        for shift in [0usize, 5, 20, 39] {
            let filler_line = "lorem ipsum dolor sit amet consectetur\n";
            let mut text = String::new();
            while text.len() + filler_line.len() < super::CHUNK - super::MAX_SPAN - shift {
                text.push_str(filler_line);
            }
            let line = text.matches('\n').count() as u64 + 1;
            text.push_str(token);
            text.push('\n');
            for _ in 0..40_000 {
                text.push_str(filler_line);
            }
            let mut object = classifiers.object("big.txt");
            for piece in text.as_bytes().chunks(65_537) {
                object.feed(piece);
            }
            let found = object.finish();
            let github = found
                .regexes
                .iter()
                .find(|r| r.id == "github_key")
                .expect("token found");
            assert_eq!(github.count, 1, "shift {shift}");
            assert_eq!(github.locations[0].line, line, "shift {shift}");
            assert_eq!(github.locations[0].column, 1);
        }
    }

    /// A reader that hands out at most a few bytes more or less than asked,
    /// as pipes and decompressors do.
    struct Ragged<'a> {
        rest: &'a [u8],
        rng: crate::xorshift::XorShift,
    }

    impl std::io::Read for Ragged<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf
                .len()
                .min(self.rest.len())
                .min(1 + (self.rng.next() % 300_000) as usize);
            buf[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            Ok(n)
        }
    }

    #[test]
    fn reading_in_place_finds_what_feeding_finds() {
        let classifiers = Classifiers::builtin().unwrap();
        let token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
        let mut text = String::new();
        let mut rng = crate::xorshift::XorShift(0x51_7cc1_b727_220a);
        while text.len() < 3 * super::CHUNK {
            match rng.next() % 1000 {
                0 => text.push_str(&format!("token = {token}\n")),
                1 => text.push_str("card 4539 1488 0343 6467 and ssn 536-22-1234\n"),
                2 => text.push_str("Z2hwX2FCY0RlRmdIaUpLbE1uT3BRclN0VXZXeFl6MDEyMzQ1Njc4OQ==\n"),
                _ => text.push_str("lorem ipsum dolor sit amet, consectetur 12 adipiscing\n"),
            }
        }
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        for bytes in [text.as_bytes(), &utf16] {
            let mut fed = classifiers.object("notes.txt");
            for piece in bytes.chunks(65_537) {
                fed.feed(piece);
            }
            let fed = fed.finish();
            let mut read = classifiers.object("notes.txt");
            let mut reader = Ragged {
                rest: bytes,
                rng: crate::xorshift::XorShift(0x2545_f491_4f6c_dd1d),
            };
            let mut spare = vec![0u8; 256 * 1024];
            let mut total = 0;
            loop {
                let n = read.read_from(&mut reader, &mut spare).unwrap();
                if n == 0 {
                    break;
                }
                total += n;
            }
            assert_eq!(total, bytes.len());
            let read = read.finish();
            let github = fed.regexes.iter().find(|r| r.id == "github_key").unwrap();
            assert!(github.count > 100, "{}", github.count);
            assert_eq!(format!("{:?}", read.regexes), format!("{:?}", fed.regexes));
            assert_eq!(format!("{:?}", read.themes), format!("{:?}", fed.themes));
            assert_eq!(read.bytes, fed.bytes);
        }
    }

    #[test]
    fn utf16_text_is_read() {
        let classifiers = Classifiers::builtin().unwrap();
        let text =
            "password list\r\nslack: xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let mut object = classifiers.object("notes.txt");
        // Odd-sized pieces split code units.
        for piece in bytes.chunks(7) {
            object.feed(piece);
        }
        let found = object.finish();
        assert_eq!(
            found.content_type.as_ref().map(|c| c.mime.as_str()),
            Some("text/plain")
        );
        let slack = found
            .regexes
            .iter()
            .find(|r| r.id == "slack_api_token")
            .expect("slack token in UTF-16");
        assert_eq!(slack.locations[0].line, 2);
    }

    #[test]
    fn empty_and_binary_garbage() {
        let classifiers = Classifiers::builtin().unwrap();
        let empty = classifiers.object("empty.txt").finish();
        assert_eq!(empty.content_type.unwrap().mime, "application/x-empty");
        assert!(empty.regexes.is_empty() && empty.themes.is_empty());
        let mut rng = crate::xorshift::XorShift(0x2545_F491_4F6C_DD1D);
        let garbage: Vec<u8> = (0..300_000)
            .map(|_| {
                let state = rng.next();
                state as u8
            })
            .collect();
        let mut object = classifiers.object("blob.bin");
        object.feed(&garbage);
        let found = object.finish();
        assert_eq!(found.content_type.unwrap().mime, "application/octet-stream");
        assert!(found.themes.is_empty());
        assert!(
            found.regexes.iter().all(|r| r.risk < 7),
            "{:?}",
            found.regexes
        );
    }

    #[test]
    fn columnar_values_reach_the_svm_with_their_field_names() {
        let mut text = Vec::new();
        for path in [
            "$.name",
            "$.address.city",
            "$[\"e-mail\"]",
            "$.tags[0]",
            "$",
        ] {
            super::label_value(&mut text, path);
            text.extend_from_slice(b"v\n");
        }
        assert_eq!(text, b"name: v\ncity: v\ne-mail: v\nv\nv\n");
        // Parquet's values are labelled for the SVM; a spreadsheet's
        // header row is already in its text.
        let classifiers = Classifiers::builtin().unwrap();
        let mut parquet = classifiers.document("people.parquet", "application/vnd.apache.parquet");
        parquet.mark(crate::place::Place::record(0, "$.email"));
        parquet.feed(b"ana@example.org\n");
        assert_eq!(
            parquet.svm_labelled.as_deref(),
            Some(&b"email: ana@example.org\n"[..])
        );
        let sheet = classifiers.document("people.xlsx", "text/csv");
        assert!(sheet.svm_labelled.is_none());
    }

    #[test]
    fn invalid_utf8_does_not_hide_secrets() {
        let classifiers = Classifiers::builtin().unwrap();
        let mut bytes = b"caf\xe9 cr\xe8me \xff\xfe\xfd\n".to_vec();
        bytes.extend_from_slice(b"token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n");
        let mut object = classifiers.object("menu.txt");
        object.feed(&bytes);
        let found = object.finish();
        assert!(found.regexes.iter().any(|r| r.id == "github_key"));
    }
}

#[cfg(test)]
mod robustness {
    use crate::Classifiers;

    /// Random mixes of format punctuation, multi-byte characters, control
    /// bytes and cut UTF-8 must never make a classifier panic.
    #[test]
    fn random_inputs_never_panic() {
        let classifiers = Classifiers::builtin().unwrap();
        let palette: &[&[u8]] = &[
            b"[",
            b"]",
            b"{",
            b"}",
            b"\"",
            b":",
            b",",
            b";",
            b"=",
            b"\n",
            b"\r\n",
            b"\t",
            b" ",
            b"-----BEGIN ",
            b"From ",
            b"#!",
            b"<",
            b">",
            b"<?xml",
            b"---",
            b"|",
            b"key",
            b"4539",
            b"0",
            b"ghp_",
            b"AKIA",
            b"\xc3\xa9",
            b"\xe2\x82\xac",
            b"\xf0\x9f\x94\x91",
            b"\xc3",
            b"\xff\xfe",
            b"\0",
            b"\x1b",
            b"password=",
            b"ssn",
            b"://",
            b"@",
            b"\xef\xbb\xbf",
            b"PuTTY-User-Key-File-",
            b"PK\x03\x04",
            b"\x7fELF",
        ];
        let names = [
            "a.txt", "b.h", "Makefile", "c.py", "d", ".env", "e.tar.gz", "f.jpg", "lib.so.1",
        ];
        let mut rng = crate::xorshift::XorShift(0x853c_49e6_748f_ea9b);
        for round in 0..3000 {
            let mut bytes = Vec::new();
            for _ in 0..(rng.next() % 200) {
                bytes.extend_from_slice(palette[(rng.next() % palette.len() as u64) as usize]);
            }
            let mut object = classifiers.object(names[round % names.len()]);
            let mut rest = bytes.as_slice();
            while !rest.is_empty() {
                let take = ((rng.next() % 97) as usize + 1).min(rest.len());
                object.feed(&rest[..take]);
                rest = &rest[take..];
            }
            let found = object.finish();
            assert!(found.content_type.is_some());
        }
    }
}
