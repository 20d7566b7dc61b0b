//! Names the programming language of a text from its `#!` line or from
//! syntax cues, as listed in `catalog/languages.toml`.

use regex::bytes::{RegexSet, RegexSetBuilder};

use crate::catalog::LanguageItem;
use crate::error::CatalogError;

/// How much of the text the cues are tried on.
const CUE_SPAN: usize = 6144;

/// Compiled language cues.
pub struct LanguageSniffer {
    mimes: Vec<&'static str>,
    min_scores: Vec<u32>,
    interpreters: Vec<(String, usize)>,
    cues: RegexSet,
    /// For each cue in `cues`: (language index, weight).
    cue_owner: Vec<(usize, u32)>,
}

impl LanguageSniffer {
    pub fn new(languages: &[LanguageItem]) -> Result<Self, CatalogError> {
        let mut patterns = Vec::new();
        let mut cue_owner = Vec::new();
        let mut interpreters = Vec::new();
        let mut mimes = Vec::new();
        let mut min_scores = Vec::new();
        for (index, language) in languages.iter().enumerate() {
            // Media types live as long as the program: the catalog is loaded once.
            mimes.push(&*Box::leak(language.mime.clone().into_boxed_str()));
            min_scores.push(language.min_score);
            interpreters.extend(
                language
                    .interpreters
                    .iter()
                    .map(|name| (name.clone(), index)),
            );
            for cue in &language.cues {
                patterns.push(format!("(?m){}", cue.re));
                cue_owner.push((index, cue.weight));
            }
        }
        let cues = RegexSetBuilder::new(&patterns)
            .unicode(false)
            .size_limit(64 << 20)
            .dfa_size_limit(16 << 20)
            .build()
            .map_err(|e| CatalogError::Pattern {
                classifier: "language",
                id: "cues".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            mimes,
            min_scores,
            interpreters,
            cues,
            cue_owner,
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
            .map(|&(_, index)| self.mimes[index])
    }

    /// The language whose cues score highest, if it reaches its minimum.
    pub fn from_cues(&self, text: &[u8]) -> Option<&'static str> {
        let text = &text[..text.len().min(CUE_SPAN)];
        let mut scores = vec![0u32; self.mimes.len()];
        for cue in self.cues.matches(text).iter() {
            let (language, weight) = self.cue_owner[cue];
            scores[language] += weight;
        }
        let (best, score) = scores
            .iter()
            .enumerate()
            .max_by_key(|&(index, score)| (*score, std::cmp::Reverse(index)))?;
        (*score >= self.min_scores[best] && *score > 0).then_some(self.mimes[best])
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
        let prose = b"Dear team,\n\nthe quarterly numbers are in. Please read them before Friday.\n\nThanks, Ana\n";
        assert_eq!(s.from_cues(prose), None);
    }
}
