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

struct Language {
    mime: &'static str,
    min_score: u32,
    cues: Option<RegexSet>,
    weights: Vec<u32>,
    hints: Vec<memchr::memmem::Finder<'static>>,
}

/// Compiled language cues.
pub struct LanguageSniffer {
    languages: Vec<Language>,
    interpreters: Vec<(String, usize)>,
    by_extension: HashMap<String, Vec<usize>>,
    by_filename: HashMap<String, usize>,
    /// Every cue of every language in one set, and per cue its (language, weight).
    all_cues: RegexSet,
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
                    Some(cue_set(&patterns, &item.mime, 16 << 20)?)
                },
                weights: item.cues.iter().map(|c| c.weight).collect(),
                hints: item
                    .hints
                    .iter()
                    .map(|h| memchr::memmem::Finder::new(h.as_bytes()).into_owned())
                    .collect(),
            });
        }
        let all_cues = cue_set(&all_patterns, "all cues", 32 << 20)?;
        Ok(Self {
            languages,
            interpreters,
            by_extension,
            by_filename,
            all_cues,
            all_owners,
        })
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
            let Some(cues) = &language.cues else { continue };
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
        for cue in self.all_cues.matches(text).iter() {
            let (language, weight) = self.all_owners[cue];
            scores[language] += weight;
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
