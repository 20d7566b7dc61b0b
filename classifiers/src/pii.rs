//! PII impact, as Macie Classic rated it after NIST SP 800-122: from the
//! number of full names, e-mail addresses and other personal data in an
//! object, an impact of high, moderate or low.
//!
//! Full names are found with dictionaries of given names and surnames
//! (`catalog/names/`: the US Census 1990 lists and Faker's lists for some
//! forty locales, made by `catalog/names/generate.py`): a given name
//! followed by a surname, both capitalised, with an optional middle initial
//! or particles (`Ana Silva`, `JOHN A. SMITH`, `Amara,Okafor` in a CSV row,
//! `Jan de Vries`, `Åsa Löfgren`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::bytemask::{Class, Classes, masks, utf8_leads};

/// A name dictionary over its embedded text (upper-case names, one a line):
/// a bit per hash of each name, which turns most words away at once, and an
/// open-addressing table of where each name is in the text. Nothing is
/// copied out of the text; building one hashes each name once.
struct NameSet {
    text: &'static [u8],
    filter: Vec<u64>,
    /// Per slot: the name's offset in `text` (upper 24 bits) and length
    /// (lower 8), or `EMPTY`.
    slots: Vec<u32>,
}

impl NameSet {
    /// Over 16 filter bits per name: few words that are not names pass.
    const FILTER_BITS: u64 = 1 << 19;
    const EMPTY: u32 = u32::MAX;

    fn new(list: &'static str) -> Self {
        let text = list.as_bytes();
        let names = || {
            let mut at = 0;
            text.split(|&b| b == b'\n').filter_map(move |line| {
                let start = at;
                at += line.len() + 1;
                (!line.is_empty() && line[0] != b'#').then_some((start, line))
            })
        };
        let count = names().count();
        // At most half full, so a miss ends after a slot or two.
        let mut slots = vec![Self::EMPTY; (count * 2).next_power_of_two()];
        let mask = slots.len() - 1;
        let mut filter = vec![0u64; (Self::FILTER_BITS / 64) as usize];
        for (start, name) in names() {
            let hash = crate::hash::fnv1a(name);
            let bit = (hash % Self::FILTER_BITS) as usize;
            filter[bit / 64] |= 1 << (bit % 64);
            // Names are at most MAX_NAME_BYTES long and the text under
            // 16 MiB (generate.py keeps both so).
            debug_assert!(name.len() <= MAX_NAME_BYTES && start < 1 << 24);
            let mut slot = (hash >> 32) as usize & mask;
            while slots[slot] != Self::EMPTY {
                slot = (slot + 1) & mask;
            }
            slots[slot] = (start as u32) << 8 | name.len() as u32;
        }
        Self {
            text,
            filter,
            slots,
        }
    }

    fn contains(&self, upper: &[u8]) -> bool {
        let hash = crate::hash::fnv1a(upper);
        let bit = (hash % Self::FILTER_BITS) as usize;
        if self.filter[bit / 64] & (1 << (bit % 64)) == 0 {
            return false;
        }
        let mask = self.slots.len() - 1;
        let mut slot = (hash >> 32) as usize & mask;
        loop {
            let entry = self.slots[slot];
            if entry == Self::EMPTY {
                return false;
            }
            let (start, len) = ((entry >> 8) as usize, (entry & 0xff) as usize);
            if &self.text[start..start + len] == upper {
                return true;
            }
            slot = (slot + 1) & mask;
        }
    }

    #[cfg(test)]
    fn names(&self) -> impl Iterator<Item = &'static [u8]> {
        self.text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty() && l[0] != b'#')
    }
}

const UPPER: Class = &[(b'A', b'Z')];
const ALNUM: Class = &[(b'0', b'9'), (b'A', b'Z'), (b'a', b'z')];
const CAPITALS: Classes<2> = Classes::new([UPPER, ALNUM]);

const GIVEN_NAMES: &str = include_str!("../catalog/names/given_names.txt");
const SURNAMES: &str = include_str!("../catalog/names/surnames.txt");

/// Words that stand between a given name and a surname as part of the
/// surname (`Jan de Vries`, `Maria dos Santos`, `Ludwig van der Berg`);
/// generate.py keeps the surnames listed with them (`DE VRIES`).
const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "des", "del", "della", "delle", "dei", "degli", "di", "da",
    "das", "do", "dos", "du", "la", "le", "ter", "ten", "te", "zu", "af", "av",
];

/// The longest upper-case name (with its particles) looked up, in bytes.
const MAX_NAME_BYTES: usize = 40;

/// The impact level of the personal data in an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    None,
    Low,
    Moderate,
    High,
}

/// An object's PII counts and the impact they give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiImpact {
    pub impact: Impact,
    pub names: u64,
    pub emails: u64,
    /// Personal, financial and health identifiers other than e-mail
    /// addresses (cards, SSNs, phone numbers, national ids, ...).
    pub other: u64,
    pub cards: u64,
}

impl PiiImpact {
    /// Macie Classic's rule: high for a full name with a card number, or 50
    /// or more names and e-mail addresses with any other PII; moderate for 5
    /// or more with other PII; low for fewer, or for other PII alone. Names
    /// and e-mail addresses alone are PII too and rate low.
    ///
    /// ```
    /// use assay_classifiers::pii::{Impact, PiiImpact};
    /// assert_eq!(PiiImpact::rate(1, 0, 1, 1).impact, Impact::High);
    /// assert_eq!(PiiImpact::rate(30, 30, 2, 0).impact, Impact::High);
    /// assert_eq!(PiiImpact::rate(3, 2, 1, 0).impact, Impact::Moderate);
    /// assert_eq!(PiiImpact::rate(0, 0, 4, 0).impact, Impact::Low);
    /// assert_eq!(PiiImpact::rate(0, 0, 0, 0).impact, Impact::None);
    /// ```
    pub fn rate(names: u64, emails: u64, other: u64, cards: u64) -> Self {
        let people = names + emails;
        let impact = if (names >= 1 && cards >= 1) || (people >= 50 && other >= 1) {
            Impact::High
        } else if people >= 5 && other >= 1 {
            Impact::Moderate
        } else if people >= 1 || other >= 1 {
            Impact::Low
        } else {
            Impact::None
        };
        Self {
            impact,
            names,
            emails,
            other,
            cards,
        }
    }
}

/// Finds full names in text. Its dictionaries are read on first use, so a
/// scan that meets no text pays nothing for them.
pub struct NameFinder {
    lists: OnceLock<[NameSet; 2]>,
}

/// The letter starting at `at` (before `limit`) and its length in bytes:
/// ASCII letters, and letters of any script in UTF-8.
fn letter_at(buf: &[u8], at: usize, limit: usize) -> Option<(char, usize)> {
    let b = *buf.get(at).filter(|_| at < limit)?;
    if b < 0x80 {
        return b.is_ascii_alphabetic().then_some((char::from(b), 1));
    }
    let len = match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return None,
    };
    let bytes = buf.get(at..at + len).filter(|_| at + len <= limit)?;
    let c = std::str::from_utf8(bytes).ok()?.chars().next()?;
    c.is_alphabetic().then_some((c, len))
}

/// Whether the character that ends just before `at` is a letter or digit
/// (then `at` is inside a word, not at its start).
fn inside_word(buf: &[u8], at: usize) -> bool {
    let Some(&before) = at.checked_sub(1).and_then(|i| buf.get(i)) else {
        return false;
    };
    if before < 0x80 {
        return before.is_ascii_alphanumeric();
    }
    // Back over continuation bytes to the character's first byte.
    let first = (at.saturating_sub(4)..at)
        .rev()
        .find(|&i| buf[i] & 0xC0 != 0x80)
        .unwrap_or(at - 1);
    letter_at(buf, first, at).is_some_and(|(_, len)| first + len == at)
}

/// The end of the word of letters starting at `start` (an apostrophe
/// inside counts: `O'Brien`, `D'Angelo`).
fn word_end(buf: &[u8], start: usize, limit: usize) -> usize {
    let mut end = start;
    while end < limit {
        if buf[end] == b'\'' && end > start {
            end += 1;
        } else if let Some((_, len)) = letter_at(buf, end, limit) {
            end += len;
        } else {
            break;
        }
    }
    end
}

/// Title case (`Smith`, `Éloïse`) or all capitals (`SMITH`, `ÅSTRÖM`), at
/// least two letters.
fn capitalised(word: &[u8]) -> bool {
    if word.is_ascii() {
        return word.len() >= 2
            && word[0].is_ascii_uppercase()
            && (word[1..].iter().all(|b| !b.is_ascii_uppercase())
                || word.iter().all(|b| !b.is_ascii_lowercase()));
    }
    let Ok(word) = std::str::from_utf8(word) else {
        return false;
    };
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_uppercase()
        && chars.clone().next().is_some()
        && (chars.clone().all(|c| !c.is_uppercase()) || chars.all(|c| !c.is_lowercase()))
}

/// A particle (`de`, `van`, `DA`, `Von`): lower case, title case or capitals.
fn particle(word: &[u8]) -> bool {
    word.len() <= 5
        && word.is_ascii()
        && (word.iter().all(u8::is_ascii_lowercase) || capitalised(word))
        && PARTICLES
            .iter()
            .any(|p| p.as_bytes().eq_ignore_ascii_case(word))
}

#[inline]
/// Appends `word` in upper case to `out` (at `len`), or says it does not fit.
fn push_upper(out: &mut [u8; MAX_NAME_BYTES], len: &mut usize, word: &[u8]) -> Option<()> {
    if word.is_ascii() {
        let slot = out.get_mut(*len..*len + word.len())?;
        for (slot, b) in slot.iter_mut().zip(word) {
            *slot = b.to_ascii_uppercase();
        }
        *len += word.len();
        return Some(());
    }
    for c in std::str::from_utf8(word)
        .ok()?
        .chars()
        .flat_map(char::to_uppercase)
    {
        let slot = out.get_mut(*len..*len + c.len_utf8())?;
        c.encode_utf8(slot);
        *len += c.len_utf8();
    }
    Some(())
}

impl NameFinder {
    pub fn new() -> Self {
        Self {
            lists: OnceLock::new(),
        }
    }

    fn lists(&self) -> &[NameSet; 2] {
        self.lists
            .get_or_init(|| [NameSet::new(GIVEN_NAMES), NameSet::new(SURNAMES)])
    }

    /// Whether the words (upper-cased, joined by spaces) are in `list`.
    fn in_list(list: &NameSet, words: &[&[u8]]) -> bool {
        let mut upper = [0u8; MAX_NAME_BYTES];
        let mut len = 0;
        for (i, word) in words.iter().enumerate() {
            if i > 0 && push_upper(&mut upper, &mut len, b" ").is_none() {
                return false;
            }
            if push_upper(&mut upper, &mut len, word).is_none() {
                return false;
            }
        }
        list.contains(&upper[..len])
    }

    /// Counts the full names that start in `owned`; bytes after it are
    /// context for a name that runs over the edge.
    pub fn count(&self, buf: &[u8], owned: std::ops::Range<usize>) -> u64 {
        let mut names = 0;
        self.each(buf, owned, |_| names += 1);
        names
    }

    /// The full names in `text`, as byte ranges.
    ///
    /// ```
    /// let finder = assay_classifiers::pii::NameFinder::new();
    /// let text = "Contatto: Giulia Bianchi, via Roma 12; Jan de Vries".as_bytes();
    /// let names: Vec<&[u8]> = finder.spans(text).into_iter().map(|r| &text[r]).collect();
    /// assert_eq!(names, [&b"Giulia Bianchi"[..], b"Jan de Vries"]);
    /// ```
    pub fn spans(&self, text: &[u8]) -> Vec<std::ops::Range<usize>> {
        let mut spans = Vec::new();
        self.each(text, 0..text.len(), |span| spans.push(span));
        spans
    }

    fn each(
        &self,
        buf: &[u8],
        owned: std::ops::Range<usize>,
        mut found: impl FnMut(std::ops::Range<usize>),
    ) {
        let limit = buf.len().min(owned.end + 64);
        // A full name has a space, comma, semicolon or tab between its
        // parts: text with none (base64, hex dumps) holds none, found at
        // memchr speed.
        if memchr::memchr3(b' ', b',', b'\t', &buf[owned.start..limit]).is_none()
            && memchr::memchr(b';', &buf[owned.start..limit]).is_none()
        {
            return;
        }
        let lists = self.lists();
        let mut i = owned.start;
        // A name starts a word with a capital, or with a non-ASCII
        // character (whose case name_at checks). Such starts are found 64
        // bytes at a time from masks: the bytes between them (lower-case
        // words, digits, punctuation) are never looked at one by one.
        let mut block = owned.start;
        // The last capitalised word that began no name: logs repeat theirs
        // (`INFO`, `GET`) on every line, and looking each up again was a
        // tenth of a log's scan.
        let mut miss = None;
        while block < owned.end {
            let len = (owned.end - block).min(64);
            let bytes = &buf[block..block + len];
            let [upper, alnum] = masks(bytes, &CAPITALS);
            let after_alnum =
                (alnum << 1) | u64::from(block > 0 && buf[block - 1].is_ascii_alphanumeric());
            let mut starts = (upper | utf8_leads(bytes)) & !after_alnum;
            while starts != 0 {
                let at = block + starts.trailing_zeros() as usize;
                if at >= i {
                    let (is_name, next) = Self::name_at(lists, buf, at, limit, &mut miss);
                    if is_name {
                        found(at..next);
                    }
                    i = next;
                }
                starts &= starts - 1;
            }
            block = (block + len).max(i);
        }
    }

    /// Whether a full name starts at `at` (a capital or non-ASCII byte not
    /// after a letter or digit), and where to look for the next one.
    /// `miss` is where a word that is no given name was last seen: the
    /// same word again is not looked up.
    fn name_at(
        lists: &[NameSet; 2],
        buf: &[u8],
        at: usize,
        limit: usize,
        miss: &mut Option<std::ops::Range<usize>>,
    ) -> (bool, usize) {
        let [given, surnames] = lists;
        let end = word_end(buf, at, limit);
        let first = &buf[at..end];
        // The mask walk saw only ASCII letters and digits before `at`.
        if at > 0 && buf[at - 1] >= 0x80 && inside_word(buf, at) {
            return (false, end.max(at + 1));
        }
        if miss
            .as_ref()
            .is_some_and(|seen| buf[seen.clone()] == *first)
        {
            return (false, end.max(at + 1));
        }
        if !capitalised(first) || !Self::in_list(given, &[first]) {
            *miss = Some(at..end);
            return (false, end.max(at + 1));
        }
        // Separator: spaces, or a comma, semicolon or tab (the columns of
        // CSV and TSV rows), then an optional initial.
        let mut j = end;
        if matches!(buf.get(j), Some(b',' | b';' | b'\t')) {
            j += 1;
        }
        while buf.get(j) == Some(&b' ') && j < limit {
            j += 1;
        }
        if j + 2 < limit && buf[j].is_ascii_uppercase() && buf[j + 1] == b'.' && buf[j + 2] == b' '
        {
            j += 3;
        }
        if j == end {
            return (false, end);
        }
        // Particles, each followed by a space (`de `, `van der `).
        let mut words: [&[u8]; 4] = [&[]; 4];
        let mut particles = 0;
        while particles < 3 {
            let word_stop = word_end(buf, j, limit);
            if word_stop < limit && buf[word_stop] == b' ' && particle(&buf[j..word_stop]) {
                words[particles] = &buf[j..word_stop];
                particles += 1;
                j = word_stop;
                while buf.get(j) == Some(&b' ') && j < limit {
                    j += 1;
                }
            } else {
                break;
            }
        }
        if !letter_at(buf, j, limit).is_some_and(|(c, _)| c.is_uppercase()) {
            return (false, end);
        }
        let last_end = word_end(buf, j, limit);
        let last = &buf[j..last_end];
        words[particles] = last;
        // With particles, the surname is listed with them (`DE VRIES`): a
        // place (`Sierra de Juárez`, `Isla de Man`) has them too.
        let listed = Self::in_list(surnames, &words[..=particles]);
        if capitalised(last)
            && listed
            && buf.get(last_end).is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            (true, last_end)
        } else {
            (false, end)
        }
    }
}

impl Default for NameFinder {
    fn default() -> Self {
        Self::new()
    }
}

/// The PII impact from the names counted and the matches of the personal,
/// financial and health detectors (`tallies`: detector index and count),
/// each counted as its catalog `pii` field says (bulk thresholds aside: ten
/// phone numbers are PII even below Macie's hundred).
pub(crate) fn impact(
    detectors: &[crate::detect::Detector],
    names: u64,
    tallies: impl Iterator<Item = (usize, u64)>,
) -> PiiImpact {
    use crate::catalog::{DetectorCategory, PiiKind};
    let (mut emails, mut other, mut cards) = (0, 0, 0);
    for (detector, count) in tallies {
        let item = &detectors[detector].item;
        match (item.pii, item.category) {
            (Some(PiiKind::Email), _) => emails += count,
            (Some(PiiKind::Card), _) => {
                cards += count;
                other += count;
            }
            (
                None,
                DetectorCategory::Personal | DetectorCategory::Financial | DetectorCategory::Health,
            ) => other += count,
            (None, _) => {}
        }
    }
    PiiImpact::rate(names, emails, other, cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_in_prose_csv_and_capitals() {
        let finder = NameFinder::new();
        let count = |t: &str| finder.count(t.as_bytes(), 0..t.len());
        assert_eq!(
            count("Signed by Mary Johnson and JOHN A. SMITH on Friday."),
            2
        );
        assert_eq!(
            count("E1040,Amara,Okafor,amara@example.com\nE1041,Linda,Garcia,x"),
            1
        );
        assert_eq!(count("Linda Garcia"), 1);
    }

    #[test]
    fn every_listed_name_is_found_and_nothing_else() {
        for list in [GIVEN_NAMES, SURNAMES] {
            let set = NameSet::new(list);
            let names: Vec<&[u8]> = set.names().collect();
            assert!(names.len() > 10_000, "{}", names.len());
            assert!(names.iter().all(|name| set.contains(name)));
            for name in &names {
                let mut near = name.to_vec();
                near.push(b'Q');
                assert!(!set.contains(&near) || names.contains(&&near[..]));
                assert!(!set.contains(&name[1..]) || names.contains(&&name[1..]));
            }
            assert!(!set.contains(b"") && !set.contains(b"INFO") && !set.contains(b"ZZZZZZZZ"));
        }
    }

    #[test]
    fn near_misses_are_not_names() {
        let finder = NameFinder::new();
        let count = |t: &str| finder.count(t.as_bytes(), 0..t.len());
        // Lower case, a given name alone, code identifiers, camel case.
        assert_eq!(count("mary johnson"), 0);
        assert_eq!(count("Dear Mary, thanks."), 0);
        assert_eq!(count("MaryJohnson = getUser(); JohnSmith2"), 0);
        assert_eq!(count("Mary Qwertyuiop"), 0);
    }

    /// The names the finder sees in `text`.
    fn names_in(text: &str) -> Vec<String> {
        let finder = NameFinder::new();
        finder
            .spans(text.as_bytes())
            .into_iter()
            .map(|span| text[span].to_string())
            .collect()
    }

    /// Made-up records in each locale's own layouts (letters, forms, CSV
    /// rows with `;` and tabs, capitals), with the names the finder must see.
    #[test]
    fn full_names_of_european_locales_in_their_record_layouts() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "it_IT",
                "Gentile Sig.ra Giulia Bianchi, via Roma 12, 20121 Milano (MI)\n\
                 Cognome;Nome;Codice fiscale\nMarco;Esposito;SPSMRC80A01F205X\n\
                 Intestatario: FRANCESCA FERRARI, nato a Napoli il 01/02/1980",
                &["Giulia Bianchi", "Marco;Esposito", "FRANCESCA FERRARI"],
            ),
            (
                "nl_NL",
                "Dhr. Jan de Vries\nKerkstraat 5, 1012 AB Amsterdam\n\
                 naam: Sanne van den Berg, BSN 123456782\nDaan Bakker\tDaan.Bakker@example.nl",
                &["Jan de Vries", "Sanne van den Berg", "Daan Bakker"],
            ),
            (
                "fi_FI",
                "Mikko Virtanen\nMannerheimintie 10 A 5\n00100 HELSINKI\n\
                 Asiakas: Aino Mäkinen, henkilötunnus 010180-123K\nJUSSI KORHONEN;040 123 4567",
                &["Mikko Virtanen", "Aino Mäkinen", "JUSSI KORHONEN"],
            ),
            (
                "de_DE",
                "Herrn Jürgen Müller\nHauptstraße 5\n10115 Berlin\n\
                 Ansprechpartnerin: Anna-Lena Schäfer, Tel. 030 1234567",
                &["Jürgen Müller", "Lena Schäfer"],
            ),
            (
                "fr_FR",
                "Mme Élodie Lefèvre\n12, rue de la Paix\n75002 Paris\n\
                 Titulaire du compte : François Dubois",
                &["Élodie Lefèvre", "François Dubois"],
            ),
            (
                "es_ES",
                "D. José García López, con DNI 12345678Z, domiciliado en Calle Mayor 3, \
                 28013 Madrid, y Dña. Ángela Núñez",
                &["José García", "Ángela Núñez"],
            ),
            (
                "pt_PT / pt_BR",
                "Nome: João Gonçalves, Rua Augusta 100, 1100-053 Lisboa\n\
                 Cliente: Luiza da Silva, CPF 123.456.789-09",
                &["João Gonçalves", "Luiza da Silva"],
            ),
            (
                "pl_PL",
                "Pan Łukasz Wiśniewski, ul. Długa 5, 00-238 Warszawa; PESEL 80010112345",
                &["Łukasz Wiśniewski"],
            ),
            (
                "sv_SE / da_DK / no_NO",
                "Åsa Lindqvist, Storgatan 1, 111 51 Stockholm\n\
                 Søren Jørgensen, Nørregade 7, 1165 København K\n\
                 Øystein Bakke, Storgata 2, 0155 Oslo",
                &["Åsa Lindqvist", "Søren Jørgensen", "Øystein Bakke"],
            ),
            (
                "cs_CZ",
                "Jméno: Jiří Dvořák, Václavské náměstí 1, 110 00 Praha 1\n\
                 Kateřina Svobodová, rodné číslo 805101/1234",
                &["Jiří Dvořák", "Kateřina Svobodová"],
            ),
        ];
        for (locale, record, expected) in cases {
            assert_eq!(names_in(record), *expected, "{locale}: {record}");
        }
    }

    /// Prose, logs and headings without people, in the same languages, with
    /// words that are names too: nouns that are surnames (Bakker, Koski,
    /// Müller, Fontana), places named after people, and function words of
    /// the languages that Faker lists as names (`che`, `dalla`, `och`).
    #[test]
    fn prose_logs_and_capitals_without_people_stay_silent() {
        for text in [
            // Italian, with a licence in capitals.
            "La fontana in piazza è stata restaurata dal fabbro. \
             RIPRODUZIONE RISERVATA: CHE TU SIA D'ACCORDO O NO, È PROTETTO DALLA LEGGE.",
            // Dutch nouns that are surnames.
            "De bakker en de visser gaan naar de markt; de Molenaar staat aan de Dijk.",
            // Finnish: lakes, rapids and hills are surnames.
            "Järvi on syvä, Koski virtaa ja Mäki nousee. Lahti ja Salo ovat kaupunkeja.",
            // German capitalises every noun.
            "Der Koch und der Bauer trafen den Fischer am Ufer; Wagner und Weber spielten \
             Musik. Im Winter wie im Sommer bleibt der Müller bei seiner Mühle. \
             Dann Zimmer aufräumen.",
            // Keyboards and places, some named after people.
            "Pulse la Tecla Alt y la tecla Ctrl. Mato Grosso, Sierra de Juárez, Isla de Man, \
             Santo Domingo, Sierra Leone, Santa Cruz y el Reino de Dinamarca.",
            // Swedish and Danish function words.
            "Filen finns inte och kan inte läsas. Der er ingen fil til dig.",
            // A syslog and a build log.
            "Jan 12 10:00:01 web-01 sshd[812]: Accepted publickey for deploy from 10.0.0.5\n\
             Dec  7 01:02:03 db kernel: [ 1.234] EXT4-fs (sda1): mounted filesystem\n\
             INFO Build Step Completed; WARN Disk Usage High",
            // The GPL's address.
            "51 Franklin St, Fifth Floor, Boston, MA 02110-1301 USA",
        ] {
            assert_eq!(names_in(text), Vec::<String>::new(), "{text}");
        }
    }

    /// The byte-at-a-time walk the mask walk replaced.
    fn walk_bytes(finder: &NameFinder, buf: &[u8], owned: std::ops::Range<usize>) -> u64 {
        let limit = buf.len().min(owned.end + 64);
        let (mut names, mut i) = (0, owned.start);
        while i < owned.end {
            let b = buf[i];
            if !(b.is_ascii_uppercase() || b >= 0xC0)
                || (i > 0 && buf[i - 1].is_ascii_alphanumeric())
            {
                i += 1;
                continue;
            }
            // No memory of misses: the plain definition.
            let (found, next) = NameFinder::name_at(finder.lists(), buf, i, limit, &mut None);
            names += u64::from(found);
            i = next;
        }
        names
    }

    #[test]
    fn the_mask_walk_counts_what_the_byte_walk_counts() {
        let finder = NameFinder::new();
        let words = [
            "Mary", "Johnson", "JOHN", "A.", "SMITH", "Linda", "Garcia", "mary", "xyzMary", "9",
            "O'Brien", ",", ", ", "  ", "\n", "Zq", "the", "42", "Åsa", "Löfgren", "ÅSA",
            "LÖFGREN", "é", "“", "Jan", "de", "van", "Vries", "DE", "Ørsted", "Ł", "ukasz",
        ];
        let mut rng = crate::xorshift::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut total = 0;
        for round in 0..300 {
            let text: String = (0..round % 97 + 1)
                .map(|_| {
                    let state = rng.next();
                    let word = words[(state % words.len() as u64) as usize];
                    if state >> 60 < 8 {
                        format!("{word} ")
                    } else {
                        word.to_string()
                    }
                })
                .collect();
            let buf = text.as_bytes();
            for owned in [0..buf.len(), buf.len() / 3..buf.len() * 2 / 3] {
                let names = finder.count(buf, owned.clone());
                assert_eq!(
                    names,
                    walk_bytes(&finder, buf, owned.clone()),
                    "{text:?} {owned:?}"
                );
                total += names;
            }
        }
        assert!(total > 100, "{total}");
    }

    #[test]
    fn words_are_skipped_whole_and_separator_free_text_holds_none() {
        let finder = NameFinder::new();
        let count = |t: &str| finder.count(t.as_bytes(), 0..t.len());
        // A capital inside a word starts nothing; the next word still does.
        assert_eq!(count("xyzMary Johnson and abcDEF Mary Johnson"), 1);
        assert_eq!(count("9Mary Johnson"), 0);
        // Base64 holds capitalised words but no spaces or commas.
        assert_eq!(count("Mary+Johnson/MaryJohnson+Abc/Def=="), 0);
    }
}
