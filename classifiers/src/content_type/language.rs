//! Names the programming language of a text, as listed in
//! `catalog/languages.toml`: from its `#!` line, from its file extension, or
//! from syntax cues.
//!
//! An extension that names one language decides. One that several languages
//! share (`.h`) leaves those as the only candidates, and each candidate's own
//! cue set is tried. Text whose name says nothing is tried against every
//! language's cues at once, in one combined set.

use std::collections::HashMap;

use regex::bytes::{RegexSet, RegexSetBuilder};

use crate::catalog::LanguageItem;
use crate::error::CatalogError;

/// How much of the text the cues are tried on.
const CUE_SPAN: usize = 4096;
/// The most cues in one combined set. A set's lazy DFA is built as the
/// text is read, afresh in every process, and one set of all 150 cues
/// (each state tracking every cue at once) cost some 1.3 M instructions
/// per 4 KiB it had not seen; sets of 32 cost about a third of that in
/// all.
const CUES_PER_SET: usize = 32;

/// A set of cue patterns, compiled on first use: most scans meet few of
/// the languages that share an extension, and compiling every set up front
/// was a sixth of the start-up every process (every shard) pays. The
/// catalog's tests compile them all ([`LanguageSniffer::compile_all`]).
struct Cues {
    patterns: Vec<String>,
    id: String,
    cache: usize,
    set: std::sync::OnceLock<Option<RegexSet>>,
}

impl Cues {
    fn new(patterns: Vec<String>, id: &str, cache: usize) -> Self {
        Self {
            patterns,
            id: id.to_string(),
            cache,
            set: std::sync::OnceLock::new(),
        }
    }

    fn compile(&self) -> Result<RegexSet, CatalogError> {
        cue_set(&self.patterns, &self.id, self.cache)
    }

    /// The compiled set; `None` only if the built-in catalog held a bad
    /// cue, which its tests rule out.
    fn get(&self) -> Option<&RegexSet> {
        self.set.get_or_init(|| self.compile().ok()).as_ref()
    }
}

struct Language {
    mime: &'static str,
    min_score: u32,
    cues: Option<Cues>,
    weights: Vec<u32>,
    hints: Vec<memchr::memmem::Finder<'static>>,
}

/// Compiled language cues.
pub struct LanguageSniffer {
    languages: Vec<Language>,
    interpreters: Vec<(String, usize)>,
    by_extension: HashMap<String, Vec<usize>>,
    by_filename: HashMap<String, usize>,
    /// Every cue of every language, in sets of at most [`CUES_PER_SET`],
    /// and per cue (counted across the sets) its language and weight.
    all_cues: Vec<Cues>,
    all_owners: Vec<(usize, u32)>,
}

fn cue_set(patterns: &[String], id: &str, cache: usize) -> Result<RegexSet, CatalogError> {
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .size_limit(64 << 20)
        .dfa_size_limit(cache)
        .build()
        .map_err(|e| CatalogError::Pattern {
            classifier: "language",
            id: id.to_string(),
            message: e.to_string(),
        })
}

impl LanguageSniffer {
    pub fn new(items: &[LanguageItem]) -> Result<Self, CatalogError> {
        let mut languages = Vec::new();
        let mut interpreters = Vec::new();
        let mut by_extension: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_filename: HashMap<String, usize> = HashMap::new();
        let mut all_patterns = Vec::new();
        let mut all_owners = Vec::new();
        for (index, item) in items.iter().enumerate() {
            interpreters.extend(item.interpreters.iter().map(|name| (name.clone(), index)));
            by_filename.extend(item.filenames.iter().map(|name| (name.clone(), index)));
            for ext in &item.extensions {
                by_extension
                    .entry(ext.to_ascii_lowercase())
                    .or_default()
                    .push(index);
            }
            let patterns: Vec<String> = item
                .cues
                .iter()
                .map(|cue| format!("(?m){}", cue.re))
                .collect();
            all_patterns.extend(patterns.iter().cloned());
            all_owners.extend(item.cues.iter().map(|cue| (index, cue.weight)));
            languages.push(Language {
                // Media types live as long as the program: the catalog is loaded once.
                mime: Box::leak(item.mime.clone().into_boxed_str()),
                min_score: item.min_score,
                cues: if patterns.is_empty() {
                    None
                } else {
                    Some(Cues::new(patterns, &item.mime, 16 << 20))
                },
                weights: item.cues.iter().map(|c| c.weight).collect(),
                hints: item
                    .hints
                    .iter()
                    .map(|h| memchr::memmem::Finder::new(h.as_bytes()).into_owned())
                    .collect(),
            });
        }
        let all_cues = all_patterns
            .chunks(CUES_PER_SET)
            .map(|chunk| Cues::new(chunk.to_vec(), "all cues", 16 << 20))
            .collect();
        Ok(Self {
            languages,
            interpreters,
            by_extension,
            by_filename,
            all_cues,
            all_owners,
        })
    }

    /// Compiles every cue set now, for the catalog's tests: a bad cue is
    /// otherwise only met (and ignored) on first use.
    pub fn compile_all(&self) -> Result<(), CatalogError> {
        for cues in self.languages.iter().filter_map(|l| l.cues.as_ref()) {
            cues.compile()?;
        }
        for cues in &self.all_cues {
            cues.compile()?;
        }
        Ok(())
    }

    /// The language named by a `#!` line, if the interpreter is known.
    ///
    /// `#!/usr/bin/env -S python3.11 -u` names `python`.
    pub fn from_shebang(&self, first_line: &str) -> Option<&'static str> {
        let command = first_line.strip_prefix("#!")?.trim();
        let mut words = command.split_whitespace();
        let mut program = words.next()?.rsplit('/').next()?;
        if program == "env" {
            program = words.find(|w| !w.starts_with('-') && !w.contains('='))?;
        }
        let name = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        self.interpreters
            .iter()
            .find(|(interpreter, _)| interpreter == name)
            .map(|&(_, index)| self.languages[index].mime)
    }

    /// The language a whole file name names (`Makefile`, `Dockerfile`).
    pub fn from_filename(&self, base_name: &str) -> Option<&'static str> {
        self.by_filename
            .get(base_name)
            .map(|&index| self.languages[index].mime)
    }

    /// The language a file extension names, deciding between the languages
    /// that share it by their cues.
    pub fn from_extension(&self, ext: &str, text: &[u8]) -> Option<&'static str> {
        let candidates = self.by_extension.get(ext)?;
        if let [only] = candidates.as_slice() {
            return Some(self.languages[*only].mime);
        }
        let text = &text[..text.len().min(CUE_SPAN)];
        let mut best: Option<(u32, usize)> = None;
        // The first candidate is the default; only the others need their
        // cues tried (`.h` is C unless C++ cues say otherwise).
        for &index in &candidates[1..] {
            let language = &self.languages[index];
            let Some(cues) = language.cues.as_ref().and_then(Cues::get) else {
                continue;
            };
            if !language.hints.is_empty()
                && !language.hints.iter().any(|hint| hint.find(text).is_some())
            {
                continue;
            }
            let score: u32 = cues
                .matches(text)
                .iter()
                .map(|cue| language.weights[cue])
                .sum();
            if score >= language.min_score && best.is_none_or(|(top, _)| score > top) {
                best = Some((score, index));
            }
        }
        // The extension decides even when no cue does: its first language.
        Some(self.languages[best.map_or(candidates[0], |(_, index)| index)].mime)
    }

    /// The language whose cues score highest, if it reaches its minimum.
    pub fn from_cues(&self, text: &[u8]) -> Option<&'static str> {
        let text = &text[..text.len().min(CUE_SPAN)];
        let mut scores = vec![0u32; self.languages.len()];
        let mut first = 0;
        for cues in &self.all_cues {
            let set = cues.get()?;
            for cue in set.matches(text).iter() {
                let (language, weight) = self.all_owners[first + cue];
                scores[language] += weight;
            }
            first += set.len();
        }
        let (best, score) = scores
            .iter()
            .enumerate()
            .max_by_key(|&(index, score)| (*score, std::cmp::Reverse(index)))?;
        (*score >= self.languages[best].min_score && *score > 0)
            .then_some(self.languages[best].mime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn sniffer() -> LanguageSniffer {
        LanguageSniffer::new(&Catalog::builtin().unwrap().languages).unwrap()
    }

    #[test]
    fn every_cue_set_of_the_catalog_compiles() {
        sniffer().compile_all().unwrap();
        let mut items = Catalog::builtin().unwrap().languages;
        let with_cues = items.iter_mut().find(|item| !item.cues.is_empty()).unwrap();
        with_cues.cues[0].re = "(unclosed".into();
        let bad = LanguageSniffer::new(&items).unwrap();
        assert!(bad.compile_all().is_err());
    }

    /// The cues in several sets score as one set of them all did: the
    /// reference below, over this repository's sources in many languages.
    #[test]
    fn cues_in_sets_agree_with_one_set_of_them_all() {
        let s = sniffer();
        let patterns: Vec<String> = Catalog::builtin()
            .unwrap()
            .languages
            .iter()
            .flat_map(|item| item.cues.iter().map(|cue| format!("(?m){}", cue.re)))
            .collect();
        assert!(s.all_cues.len() > 1, "the cues span several sets");
        let one = cue_set(&patterns, "reference", 32 << 20).unwrap();
        let reference = |text: &[u8]| -> Option<&'static str> {
            let text = &text[..text.len().min(CUE_SPAN)];
            let mut scores = vec![0u32; s.languages.len()];
            for cue in one.matches(text).iter() {
                let (language, weight) = s.all_owners[cue];
                scores[language] += weight;
            }
            let (best, score) = scores
                .iter()
                .enumerate()
                .max_by_key(|&(index, score)| (*score, std::cmp::Reverse(index)))?;
            (*score >= s.languages[best].min_score && *score > 0).then_some(s.languages[best].mime)
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut named = 0;
        for entry in walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | ".git")))
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let Ok(text) = std::fs::read(entry.path()) else {
                continue;
            };
            let got = s.from_cues(&text);
            assert_eq!(got, reference(&text), "{}", entry.path().display());
            named += usize::from(got.is_some());
        }
        assert!(named > 50, "only {named} files named a language");
    }

    #[test]
    fn shebangs() {
        let s = sniffer();
        assert_eq!(
            s.from_shebang("#!/usr/bin/env -S python3.11 -u"),
            Some("text/x-python")
        );
        assert_eq!(s.from_shebang("#!/bin/bash -e"), Some("text/x-sh"));
        assert_eq!(s.from_shebang("#! /usr/bin/perl -w"), Some("text/x-perl"));
        assert_eq!(
            s.from_shebang("#!/usr/bin/env node"),
            Some("text/javascript")
        );
        assert_eq!(s.from_shebang("#!/usr/bin/frobnicate"), None);
    }

    #[test]
    fn cues_pick_the_right_language_and_stay_quiet_on_prose() {
        let s = sniffer();
        let go = b"package main\n\nimport (\n\t\"fmt\"\n)\n\nfunc main() {\n\tx := 1\n\tif err != nil {\n\t}\n\tfmt.Println(x)\n}\n";
        assert_eq!(s.from_cues(go), Some("text/x-go"));
        let rust = b"use std::io;\n\n#[derive(Debug)]\npub struct A;\n\nimpl A {\n    pub fn new() -> Self { let mut x = 1; A }\n}\n";
        assert_eq!(s.from_cues(rust), Some("text/x-rust"));
        let c = b"#include <stdio.h>\n#include \"x.h\"\n\nstatic int count(const char *s) {\n  return strlen(s);\n}\n";
        assert_eq!(s.from_cues(c), Some("text/x-c"));
        assert_eq!(s.from_extension("py", b"x = 1\n"), Some("text/x-python"));
        assert_eq!(s.from_extension("h", c), Some("text/x-c"));
        let cpp = b"#include <vector>\nnamespace app {\ntemplate <typename T> class Box { public:\n  T value; };\n}\n";
        assert_eq!(s.from_extension("h", cpp), Some("text/x-c++"));
        assert_eq!(s.from_extension("txt", b"x"), None);
        let prose = b"Dear team,\n\nthe quarterly numbers are in. Please read them before Friday.\n\nThanks, Ana\n";
        assert_eq!(s.from_cues(prose), None);
    }
}
