//! The fleet recipes (`docs/fleet/`, the `Dockerfile`, `docs/fleet.md`) held to the tested CLI.
//!
//! Every `assay` command line in them (container `command`/`args` arrays in YAML, Batch job
//! definitions' `command` in JSON, lines of shell scripts and of Markdown code blocks) must use
//! subcommands and flags that the built binary's own `--help` lists: the CLI is read from the
//! binary, never from a list kept here. The engines must map assay's exit codes (2: a usage or
//! configuration error, never retried; anything else: retried), `--shard auto/N` must run
//! where an engine hands out an index, and the recipes must agree with each other (N, the run
//! location, the Batch job definitions the submit script and the state machine name).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::util::*;

/// The variables `assay scan --shard auto/N` reads the shard index from (SPEC, issue 15).
const INDEX_VARIABLES: [&str; 3] = [
    "ASSAY_SHARD_INDEX",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

// ---------------------------------------------------------------------------------------------
// The CLI, as the binary describes itself.

/// One (sub)command: its flags (long `--name` and short `-x`, each with whether it takes a
/// value) and its subcommands.
#[derive(Debug, Default)]
struct CliCommand {
    flags: BTreeMap<String, bool>,
    subcommands: BTreeMap<String, CliCommand>,
}

fn cli() -> &'static CliCommand {
    static CLI: OnceLock<CliCommand> = OnceLock::new();
    CLI.get_or_init(|| load_command(&mut Vec::new()))
}

fn load_command(path: &mut Vec<String>) -> CliCommand {
    let mut args = path.clone();
    args.push("--help".to_string());
    let output = assay().args(&args).output().expect("assay runs");
    assert!(
        output.status.success(),
        "`assay {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    let help = String::from_utf8(output.stdout).expect("help is UTF-8");
    let (flags, names) = parse_help(&help);
    assert!(
        flags.get("--help") == Some(&false),
        "`assay {}` lists no --help option: has the help layout changed?\n{help}",
        args.join(" ")
    );
    let mut subcommands = BTreeMap::new();
    for name in names.into_iter().filter(|n| n != "help") {
        path.push(name.clone());
        subcommands.insert(name, load_command(path));
        path.pop();
    }
    CliCommand { flags, subcommands }
}

/// Reads clap's help layout: `Options:` lines such as `  -q, --quiet  ...` and
/// `      --format <FORMAT>  ...` (a `<VALUE>` right after the name means it takes a value),
/// and `Commands:` lines such as `  scan   Classify ...`.
fn parse_help(help: &str) -> (BTreeMap<String, bool>, Vec<String>) {
    static OPTION: OnceLock<Regex> = OnceLock::new();
    static COMMAND: OnceLock<Regex> = OnceLock::new();
    let option = OPTION.get_or_init(|| {
        Regex::new(
            r"^ {2,6}(?:-([A-Za-z0-9]))?(?:, )?(?:--([A-Za-z0-9][A-Za-z0-9-]*))?( \[?<|\[?=<)?",
        )
        .expect("option regex")
    });
    let command = COMMAND
        .get_or_init(|| Regex::new(r"^ {2}([a-z][a-z0-9-]*)(?: {2,}|$)").expect("command regex"));
    let mut flags = BTreeMap::new();
    let mut commands = Vec::new();
    let mut section = "";
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line;
            continue;
        }
        match section {
            "Options:" => {
                if let Some(c) = option.captures(line) {
                    let takes_value = c.get(3).is_some();
                    if let Some(short) = c.get(1) {
                        flags.insert(format!("-{}", short.as_str()), takes_value);
                    }
                    if let Some(long) = c.get(2) {
                        flags.insert(format!("--{}", long.as_str()), takes_value);
                    }
                }
            }
            "Commands:" => {
                if let Some(c) = command.captures(line) {
                    commands.push(c[1].to_string());
                }
            }
            _ => {}
        }
    }
    (flags, commands)
}

// ---------------------------------------------------------------------------------------------
// `assay` command lines found in recipe files.

#[derive(Debug, Clone)]
struct Invocation {
    file: PathBuf,
    /// 1-based line where the command line starts (YAML/JSON: where its first word is).
    line: usize,
    /// The words after `assay`, with Batch `Ref::name` placeholders replaced by their defaults.
    args: Vec<String>,
}

impl Invocation {
    fn subcommand(&self) -> &str {
        self.args.first().map(String::as_str).unwrap_or("")
    }

    /// Every value given to `flag` (`--flag V` or `--flag=V`).
    fn values(&self, flag: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut words = self.args.iter();
        while let Some(w) = words.next() {
            if w == flag {
                if let Some(v) = words.next() {
                    out.push(v.as_str());
                }
            } else if let Some(v) = w.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                out.push(v);
            }
        }
        out
    }

    fn value(&self, flag: &str) -> Option<&str> {
        self.values(flag).first().copied()
    }

    /// The positional arguments after the subcommand, skipping flags and their values.
    fn positionals(&self) -> Vec<&str> {
        let command = cli().subcommands.get(self.subcommand());
        let mut out = Vec::new();
        let mut i = 1;
        while i < self.args.len() {
            let w = &self.args[i];
            if w.starts_with('-') && w.len() > 1 {
                let takes_value = command
                    .and_then(|c| c.flags.get(w.as_str()))
                    .copied()
                    .unwrap_or(false);
                i += if takes_value { 2 } else { 1 };
            } else {
                out.push(w.as_str());
                i += 1;
            }
        }
        out
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first line at or after `from` (1-based) that contains `needle`, else `from`.
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
        .unwrap_or(from)
}

/// Every `assay` command line in `path`, by the file's kind.
fn invocations(path: &Path) -> Result<Vec<Invocation>, String> {
    let text = read(path);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let mut out = Vec::new();
    match ext {
        "yaml" | "yml" => {
            for doc in yaml_documents(&text).map_err(|e| format!("{}: {e}", path.display()))? {
                yaml_invocations(path, &text, &doc, 1, &mut out);
            }
        }
        "json" => {
            let doc: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
            json_invocations(path, &text, &doc, &mut out)?;
        }
        "sh" => shell_invocations(path, &text, 1, &mut out),
        "md" => markdown_invocations(path, &text, &mut out)?,
        _ if name == "Dockerfile" => dockerfile_invocations(path, &text, &mut out)?,
        _ => {}
    }
    Ok(out)
}

fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    serde_norway::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).map_err(|e| format!("not YAML: {e}")))
        .filter(|doc| !matches!(doc, Ok(Value::Null)))
        .collect()
}

/// Every container (an object with an `image`) under `v`.
fn containers<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            if map.get("image").is_some_and(Value::is_string) {
                out.push(v);
            }
            map.values().for_each(|x| containers(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| containers(x, out)),
        _ => {}
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An image built from this repository's Dockerfile (whose ENTRYPOINT is `assay`).
fn is_assay_image(image: &str) -> bool {
    let name = image.rsplit('/').next().unwrap_or(image);
    name.split([':', '@']).next() == Some("assay")
}

fn is_assay(word: &str) -> bool {
    word.rsplit('/').next() == Some("assay")
}

/// YAML containers: `command: [assay, ...]`, `command: [sh, -c, SCRIPT]`, or no `command`
/// with an assay image (its ENTRYPOINT is `assay`, so `args` are assay's arguments).
fn yaml_invocations(path: &Path, text: &str, doc: &Value, from: usize, out: &mut Vec<Invocation>) {
    let mut found = Vec::new();
    containers(doc, &mut found);
    for c in found {
        let command = strings(&c["command"]);
        let args = strings(&c["args"]);
        let image = c["image"].as_str().unwrap_or("");
        let words: Vec<String> = match command.first() {
            Some(first) if is_assay(first) => command[1..].iter().chain(&args).cloned().collect(),
            Some(first) if ["sh", "bash", "/bin/sh", "/bin/bash"].contains(&first.as_str()) => {
                let script: Vec<String> = command[1..].iter().chain(&args).cloned().collect();
                if let Some(pos) = script.iter().position(|w| w == "-c") {
                    if let Some(body) = script.get(pos + 1) {
                        let line = line_of(text, body.lines().next().unwrap_or(""), from);
                        shell_invocations(path, body, line, out);
                    }
                }
                continue;
            }
            Some(_) => continue,
            None if is_assay_image(image) => args,
            None => continue,
        };
        push_located(path, text, from, &words.clone(), words, out);
    }
}

/// Records a command line found in a YAML or JSON array, at the first line from `from` on
/// that holds its first two words as written (`raw`: before any substitution).
fn push_located(
    path: &Path,
    text: &str,
    from: usize,
    raw: &[String],
    words: Vec<String>,
    out: &mut Vec<Invocation>,
) {
    let first = raw.first().map(|w| format!("\"{w}\"")).unwrap_or_default();
    let line = match raw.get(1) {
        Some(second) => text
            .lines()
            .enumerate()
            .skip(from.saturating_sub(1))
            .find(|(_, l)| l.contains(&first) && l.contains(&format!("\"{second}\"")))
            .map(|(i, _)| i + 1)
            .unwrap_or_else(|| line_of(text, &first, from)),
        None => line_of(text, &first, from),
    };
    out.push(Invocation {
        file: path.to_path_buf(),
        line,
        args: words,
    });
}

/// Batch job definitions: `containerProperties.command`, `Ref::name` replaced by the
/// definition's default `parameters`.
fn json_invocations(
    path: &Path,
    text: &str,
    doc: &Value,
    out: &mut Vec<Invocation>,
) -> Result<(), String> {
    for def in job_definitions(doc) {
        let props = &def["containerProperties"];
        if !props["image"].as_str().is_some_and(is_assay_image) {
            continue;
        }
        let defaults = &def["parameters"];
        let from = def["jobDefinitionName"]
            .as_str()
            .map(|name| line_of(text, &format!("\"{name}\""), 1))
            .unwrap_or(1);
        let raw = strings(&props["command"]);
        let mut words = Vec::new();
        for w in raw.iter().cloned() {
            match w.strip_prefix("Ref::") {
                Some(name) => match defaults[name].as_str() {
                    Some(v) => words.push(v.to_string()),
                    None => {
                        return Err(format!(
                            "{}:{}: `{w}` has no default in the job definition's parameters, \
                             so Batch would pass it as it is",
                            path.display(),
                            line_of(text, &w, from)
                        ));
                    }
                },
                None => words.push(w),
            }
        }
        push_located(path, text, from, &raw, words, out);
    }
    Ok(())
}

/// Every AWS Batch job definition (an object with `containerProperties`) in `doc`.
fn job_definitions(doc: &Value) -> Vec<&Value> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(map) => {
                if map.contains_key("containerProperties") {
                    out.push(v);
                }
                map.values().for_each(|x| walk(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut out);
    out
}

/// Shell logical lines (continuations joined, comments dropped) with the line each starts on.
fn shell_lines(text: &str, first_line: usize) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut start = first_line;
    for (i, line) in text.lines().enumerate() {
        if pending.is_empty() {
            start = first_line + i;
            if line.trim_start().starts_with('#') {
                continue;
            }
        }
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(line);
                // Prompts in Markdown examples.
                let body = pending.trim_start().trim_start_matches("$ ");
                match shlex::split(body) {
                    Some(words) => {
                        out.push((start, words));
                        pending.clear();
                    }
                    // A quoted string going on over the next lines.
                    None => pending.push('\n'),
                }
            }
        }
    }
    out
}

const OPERATORS: [&str; 5] = ["|", "||", "&&", ";", "&"];
/// Shell words after which a command starts.
const KEYWORDS: [&str; 6] = ["do", "then", "else", "!", "{", "exec"];

/// `NAME=value` before a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
    })
}

/// `assay` at a command position: the start of a line (after `NAME=value` assignments or
/// `time`), after an operator (`;`, `&&`, `||`, `|`, `&`) or a keyword (`do`, `then`, `exec`,
/// ...), or right after `$(`.
fn shell_invocations(path: &Path, text: &str, first_line: usize, out: &mut Vec<Invocation>) {
    for (line, words) in shell_lines(text, first_line) {
        let mut at_command = true;
        let mut i = 0;
        while i < words.len() {
            let w = words[i].as_str();
            let (opens, word) = match w.rfind("$(") {
                Some(p) => (true, &w[p + 2..]),
                None => (false, w),
            };
            if (at_command || opens) && is_assay(word) {
                let mut args = Vec::new();
                i += 1;
                while i < words.len() {
                    let rest = words[i].as_str();
                    if OPERATORS.contains(&rest) || rest == ")" {
                        break;
                    }
                    let trimmed = rest.trim_end_matches([';', ')']);
                    args.push(trimmed.to_string());
                    i += 1;
                    if trimmed.len() != rest.len() {
                        break;
                    }
                }
                out.push(Invocation {
                    file: path.to_path_buf(),
                    line,
                    args,
                });
                at_command = true;
                continue;
            }
            at_command = (at_command && (is_assignment(w) || w == "time"))
                || OPERATORS.contains(&w)
                || KEYWORDS.contains(&w)
                || w.ends_with(';')
                || w.ends_with('&');
            i += 1;
        }
    }
}

/// Code blocks: shell (```sh, ```bash, ```console, ```shell or none), YAML and JSON.
fn markdown_invocations(path: &Path, text: &str, out: &mut Vec<Invocation>) -> Result<(), String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(lang) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with("```") {
            end += 1;
        }
        let body = lines[start..end].join("\n");
        let first_line = start + 1;
        match lang.trim() {
            "" | "sh" | "bash" | "shell" | "console" => {
                shell_invocations(path, &body, first_line, out)
            }
            "yaml" | "yml" => {
                let docs = yaml_documents(&body)
                    .map_err(|e| format!("{}:{first_line}: {e}", path.display()))?;
                for doc in docs {
                    yaml_invocations(path, text, &doc, first_line, out);
                }
            }
            "json" => {
                let doc: Value = serde_json::from_str(&body)
                    .map_err(|e| format!("{}:{first_line}: not JSON: {e}", path.display()))?;
                json_invocations(path, text, &doc, out)?;
            }
            _ => {}
        }
        i = end + 1;
    }
    Ok(())
}

/// The final stage's exec-form ENTRYPOINT and CMD, as the command line a bare `docker run`
/// gives.
fn dockerfile_invocations(
    path: &Path,
    text: &str,
    out: &mut Vec<Invocation>,
) -> Result<(), String> {
    let stage = final_stage(text);
    let exec_form = |keyword: &str| -> Result<Option<(usize, Vec<String>)>, String> {
        let Some((line, rest)) = stage
            .iter()
            .filter_map(|(n, l)| l.strip_prefix(keyword).map(|r| (*n, r)))
            .next_back()
        else {
            return Ok(None);
        };
        let words: Vec<String> = serde_json::from_str(rest.trim()).map_err(|e| {
            format!(
                "{}:{line}: {keyword} is not in exec form (a JSON array): {e}",
                path.display()
            )
        })?;
        Ok(Some((line, words)))
    };
    let entrypoint = exec_form("ENTRYPOINT ")?;
    let cmd = exec_form("CMD ")?;
    if let Some((line, entry)) = entrypoint {
        if entry.first().is_some_and(|w| is_assay(w)) {
            let mut args = entry[1..].to_vec();
            args.extend(cmd.map(|(_, c)| c).unwrap_or_default());
            out.push(Invocation {
                file: path.to_path_buf(),
                line,
                args,
            });
        }
    }
    Ok(())
}

/// The lines (numbered from 1) of a Dockerfile's last stage, continuations joined.
fn final_stage(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') && pending.is_empty() {
            continue;
        }
        if pending.is_empty() {
            start = i + 1;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                if !pending.is_empty() {
                    lines.push((start, std::mem::take(&mut pending)));
                }
            }
        }
    }
    let from = lines
        .iter()
        .rposition(|(_, l)| l.starts_with("FROM "))
        .unwrap_or(0);
    lines.split_off(from)
}

// ---------------------------------------------------------------------------------------------
// Checking a command line against the CLI.

/// What is wrong with `inv` for this CLI, one message per problem, each naming the file, the
/// line and the word.
fn check(inv: &Invocation, root: &CliCommand) -> Vec<String> {
    let text = read(&inv.file);
    let at = |word: &str| format!("{}:{}", inv.file.display(), line_of(&text, word, inv.line));
    let mut problems = Vec::new();
    let mut command = root;
    let mut path = vec!["assay".to_string()];
    let mut i = 0;
    while !command.subcommands.is_empty() {
        match inv.args.get(i) {
            Some(w) if w.starts_with('-') => break,
            Some(w) => match command.subcommands.get(w) {
                Some(sub) => {
                    command = sub;
                    path.push(w.clone());
                    i += 1;
                }
                None => {
                    problems.push(format!(
                        "{}: `{}` has no subcommand `{w}` (it has: {})",
                        at(w),
                        path.join(" "),
                        command
                            .subcommands
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    return problems;
                }
            },
            None => break,
        }
    }
    let path = path.join(" ");
    while i < inv.args.len() {
        let w = inv.args[i].as_str();
        if w == "--" {
            break;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if w.starts_with("--") => (f, Some(v)),
            _ => (w, None),
        };
        let is_flag = flag.starts_with("--") || (flag.len() == 2 && flag.starts_with('-'));
        if is_flag {
            match command.flags.get(flag) {
                None => problems.push(format!("{}: `{path}` has no flag {flag}", at(flag))),
                Some(true) if inline.is_none() => match inv.args.get(i + 1) {
                    Some(v) if !v.starts_with("--") => {
                        check_value(flag, v, &at, &mut problems);
                        i += 1;
                    }
                    _ => problems.push(format!("{}: `{path}` {flag} needs a value", at(flag))),
                },
                Some(true) => check_value(flag, inline.unwrap_or(""), &at, &mut problems),
                Some(false) if inline.is_some() => {
                    problems.push(format!("{}: `{path}` {flag} takes no value", at(flag)))
                }
                Some(false) => {}
            }
        }
        i += 1;
    }
    problems
}

/// Values whose form the recipes must get right: `--shard I/N` or `auto/N` (shards are
/// numbered from 0); placeholders (`$VAR`) are left to the shell.
fn check_value(flag: &str, value: &str, at: &dyn Fn(&str) -> String, problems: &mut Vec<String>) {
    if flag != "--shard" || value.contains('$') {
        return;
    }
    let parsed = value.split_once('/').and_then(|(i, n)| {
        let n: u64 = n.parse().ok()?;
        match i {
            "auto" => Some(n > 0),
            _ => i.parse::<u64>().ok().map(|i| i < n),
        }
    });
    if parsed != Some(true) {
        problems.push(format!(
            "{}: --shard {value} is not I/N (0 <= I < N) or auto/N",
            at(value)
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// The recipes.

fn recipe_dir() -> PathBuf {
    repo().join("docs/fleet")
}

/// Every recipe file: docs/fleet/**, the Dockerfile, and the Markdown that shows commands.
fn recipe_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&recipe_dir(), &mut files);
    files.push(repo().join("Dockerfile"));
    files.push(repo().join("docs/fleet.md"));
    files.push(repo().join("docs/scheduled.md"));
    files
}

fn all_invocations() -> Vec<Invocation> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for file in recipe_files() {
        match invocations(&file) {
            Ok(found) => out.extend(found),
            Err(e) => errors.push(e),
        }
    }
    assert!(
        errors.is_empty(),
        "unreadable recipes:\n{}",
        errors.join("\n")
    );
    out
}

fn json_file(relative: &str) -> Value {
    let path = repo().join(relative);
    serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("{relative}: not JSON: {e}"))
}

#[test]
fn every_assay_command_in_the_recipes_is_one_the_cli_accepts() {
    let all = all_invocations();
    let problems: Vec<String> = all.iter().flat_map(|inv| check(inv, cli())).collect();
    assert!(
        problems.is_empty(),
        "recipe command lines the CLI does not accept:\n{}",
        problems.join("\n")
    );
    // Each recipe shows the whole plan -> scan -> merge sequence; an extractor that found
    // nothing would pass the check above vacuously.
    for file in [
        "docs/fleet/kubernetes/cronjob.yaml",
        "docs/fleet/aws/batch-job-definitions.json",
        "docs/fleet.md",
    ] {
        let found: BTreeSet<&str> = all
            .iter()
            .filter(|inv| inv.file == repo().join(file))
            .map(Invocation::subcommand)
            .collect();
        for sub in ["plan", "scan", "merge"] {
            assert!(
                found.contains(sub),
                "{file}: no `assay {sub}` found (found {found:?})"
            );
        }
    }
    assert!(
        all.iter()
            .any(|inv| inv.file == repo().join("Dockerfile") && inv.args == ["--help"]),
        "the Dockerfile's ENTRYPOINT [\"assay\"] and CMD were not found"
    );
}

/// The checker itself, on recipes written here with the flags of today's `scan`: good lines
/// pass, and each mistake is reported with its file, line and word.
#[test]
fn the_recipe_checker_names_file_line_and_flag() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let good_yaml = dir.path().join("good.yaml");
    std::fs::write(
        &good_yaml,
        "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        \
         - name: assay\n          image: registry.example.invalid/assay:0.1\n          \
         args: [\"scan\", \"s3://data-lake\", \"--format\", \"json\", \"--quiet\",\n                 \
         \"--jobs=8\", \"--include\", \"*.env\"]\n",
    )
    .expect("write");
    let bad_yaml = dir.path().join("bad.yaml");
    std::fs::write(
        &bad_yaml,
        "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        \
         - name: kubectl\n          image: registry.k8s.io/kubectl:v1.33.4\n          \
         command: [\"kubectl\", \"--made-up-flag\"]\n        \
         - name: assay\n          image: registry.example.invalid/assay:0.1\n          \
         args: [\"scan\", \"s3://data-lake\",\n                 \"--made-up-flag\", \"x\"]\n",
    )
    .expect("write");
    let script = dir.path().join("run.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\n# assay scan --not-checked-in-a-comment\nASSAY_LOG=info assay scan \"$TARGET\" \\\n  \
         --format json --no-such-flag\nassay scna s3://data-lake\nx=$(assay scan . --format)\n\
         assay scan . --quiet=yes && assay rules list --format json\n\
         for i in 0 1; do assay scan . --jobs \"$i\" & done; wait\n\
         echo '{\n  assay scan --inside-a-quoted-string\n}'\nassay scan . --quiet\n",
    )
    .expect("write");

    let problems = |path: &Path| -> Vec<String> {
        let found = invocations(path).expect("readable");
        found.iter().flat_map(|inv| check(inv, cli())).collect()
    };
    assert_eq!(invocations(&good_yaml).expect("readable").len(), 1);
    assert_eq!(problems(&good_yaml), Vec::<String>::new());

    // The kubectl container is not assay's; the assay container's flag is on line 13.
    let bad = problems(&bad_yaml);
    assert_eq!(
        bad,
        [format!(
            "{}:13: `assay scan` has no flag --made-up-flag",
            bad_yaml.display()
        )]
    );

    let found = invocations(&script).expect("readable");
    assert_eq!(
        found.iter().map(|i| i.line).collect::<Vec<_>>(),
        [3, 5, 6, 7, 7, 8, 12],
        "{found:#?}"
    );
    let s = script.display();
    let mut found = problems(&script);
    let unknown = found.remove(1);
    assert!(
        unknown.starts_with(&format!(
            "{s}:5: `assay` has no subcommand `scna` (it has: "
        )) && unknown.contains("scan, "),
        "{unknown}"
    );
    assert_eq!(
        found,
        [
            format!("{s}:4: `assay scan` has no flag --no-such-flag"),
            format!("{s}:6: `assay scan` --format needs a value"),
            format!("{s}:7: `assay scan` --quiet takes no value"),
        ]
    );

    // --shard values: 0-based, within N.
    let mut values = Vec::new();
    for v in ["0/4", "3/4", "auto/16", "$INDEX/4"] {
        check_value("--shard", v, &|w: &str| w.to_string(), &mut values);
    }
    assert_eq!(values, Vec::<String>::new());
    for v in ["4/4", "auto", "1-of-4", "auto/0"] {
        check_value("--shard", v, &|w: &str| w.to_string(), &mut values);
    }
    assert_eq!(values.len(), 4, "{values:?}");
}

/// The Kubernetes Indexed Job: per-index retries, exit 2 fails the index at once, evictions
/// are not counted, and the shards agree with the plan and the merge on N and the run.
#[test]
fn kubernetes_shards_fail_the_index_on_exit_2_and_retry_the_rest() {
    let path = recipe_dir().join("kubernetes/cronjob.yaml");
    let docs = yaml_documents(&read(&path)).expect("cronjob.yaml parses");
    let mut specs = Vec::new();
    fn job_specs<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(map) => {
                if map.get("completionMode").is_some() {
                    out.push(v);
                }
                map.values().for_each(|x| job_specs(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| job_specs(x, out)),
            _ => {}
        }
    }
    docs.iter().for_each(|d| job_specs(d, &mut specs));
    assert_eq!(
        specs.len(),
        1,
        "one Indexed Job spec expected in {}",
        path.display()
    );
    let spec = specs[0];
    assert_eq!(
        spec["completionMode"], "Indexed",
        "JOB_COMPLETION_INDEX needs Indexed"
    );
    let n = spec["completions"].as_u64().expect("completions");
    assert_eq!(
        spec["parallelism"].as_u64(),
        Some(n),
        "parallelism = completions"
    );
    assert!(
        spec["backoffLimitPerIndex"]
            .as_u64()
            .is_some_and(|b| b >= 1)
    );
    assert!(spec["maxFailedIndexes"].as_u64().is_some());
    assert_eq!(spec["podReplacementPolicy"], "Failed");
    let pod = &spec["template"]["spec"];
    assert_eq!(
        pod["restartPolicy"], "Never",
        "needed by backoffLimitPerIndex"
    );

    let scan_container = pod["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["image"].as_str().is_some_and(is_assay_image))
        .expect("an assay container");
    let container = scan_container["name"].as_str().expect("container name");
    let all = invocations(&path).expect("readable");
    let scan = all
        .iter()
        .find(|i| i.subcommand() == "scan")
        .expect("assay scan");
    assert_eq!(scan.value("--shard"), Some(format!("auto/{n}").as_str()));

    // podFailurePolicy: the first rule that matches a failure decides.
    let rules = spec["podFailurePolicy"]["rules"]
        .as_array()
        .expect("podFailurePolicy.rules");
    let action_for_exit = |code: u64| -> Option<&str> {
        rules
            .iter()
            .find(|r| {
                let e = &r["onExitCodes"];
                let named = e["containerName"].as_str().is_none_or(|n| n == container);
                let listed = e["values"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|x| x.as_u64() == Some(code)));
                named
                    && match e["operator"].as_str() {
                        Some("In") => listed,
                        Some("NotIn") => !listed,
                        _ => false,
                    }
            })
            .and_then(|r| r["action"].as_str())
    };
    assert_eq!(
        action_for_exit(2),
        Some("FailIndex"),
        "exit 2 must not be retried"
    );
    for code in [1, 3, 101, 137] {
        assert!(
            matches!(action_for_exit(code), None | Some("Count")),
            "exit {code} must be retried"
        );
    }
    let disruption = rules.iter().find(|r| {
        r["onPodConditions"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "DisruptionTarget"))
    });
    assert_eq!(
        disruption.and_then(|r| r["action"].as_str()),
        Some("Ignore"),
        "evictions and preemptions must not use up an index's retries"
    );

    // The plan, the shards and the merge agree.
    let plan = all
        .iter()
        .find(|i| i.subcommand() == "plan")
        .expect("assay plan");
    let merge = all
        .iter()
        .find(|i| i.subcommand() == "merge")
        .expect("assay merge");
    assert_eq!(plan.value("--shards"), Some(n.to_string().as_str()));
    let run = plan.value("--run").expect("plan --run");
    assert_eq!(scan.value("--plan"), Some(run));
    assert_eq!(merge.positionals(), [run]);
}

/// AWS Batch: in every job definition exit 2 ends the job, and the shards retry other failures.
#[test]
fn batch_exits_on_2_and_retries_other_failures() {
    let defs = json_file("docs/fleet/aws/batch-job-definitions.json");
    let defs = job_definitions(&defs);
    assert!(defs.len() >= 3, "plan, scan and merge job definitions");
    let path = recipe_dir().join("aws/batch-job-definitions.json");
    let all = invocations(&path).expect("readable");
    for def in defs {
        let name = def["jobDefinitionName"]
            .as_str()
            .expect("jobDefinitionName");
        let rules = def["retryStrategy"]["evaluateOnExit"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no retryStrategy.evaluateOnExit"));
        let attempts = def["retryStrategy"]["attempts"].as_u64().unwrap_or(1);
        // Batch's rule: the first matching entry decides; none matching means retry. A rule
        // without onExitCode matches any exit only when its reasons are `*`.
        let action_for_exit = |code: u64| -> Option<String> {
            let code = code.to_string();
            rules
                .iter()
                .find(|r| match r["onExitCode"].as_str() {
                    Some(p) => match p.strip_suffix('*') {
                        Some(prefix) => code.starts_with(prefix),
                        None => p == code,
                    },
                    None => ["onReason", "onStatusReason"]
                        .iter()
                        .all(|k| r[*k].as_str().is_none_or(|v| v == "*")),
                })
                .and_then(|r| r["action"].as_str())
                .map(str::to_uppercase)
        };
        assert_eq!(
            action_for_exit(2).as_deref(),
            Some("EXIT"),
            "{name}: exit 2"
        );
        let command = &def["containerProperties"]["command"];
        if command[0] == "scan" {
            assert!(attempts >= 2, "{name}: a shard must be retried");
            for code in [1, 3, 101, 137] {
                assert!(
                    matches!(action_for_exit(code).as_deref(), None | Some("RETRY")),
                    "{name}: exit {code} must be retried"
                );
            }
        }
    }
    let scan = all.iter().find(|i| i.subcommand() == "scan").expect("scan");
    let n = scan
        .value("--shard")
        .and_then(|s| s.strip_prefix("auto/"))
        .expect("the scan job definition runs --shard auto/N");
    let plan = all.iter().find(|i| i.subcommand() == "plan").expect("plan");
    let merge = all
        .iter()
        .find(|i| i.subcommand() == "merge")
        .expect("merge");
    assert_eq!(
        plan.value("--shards"),
        Some(n),
        "default N of plan and scan"
    );
    let run = plan.value("--run").expect("plan --run");
    assert_eq!(scan.value("--plan"), Some(run));
    assert_eq!(merge.positionals(), [run]);
}

/// The submit script and the state machine start only registered job definitions, pass only
/// parameters those definitions substitute, run the shards as an array (so each child has
/// AWS_BATCH_JOB_ARRAY_INDEX), and merge after them (partially when some failed).
#[test]
fn submit_script_and_state_machine_use_the_registered_job_definitions() {
    let doc = json_file("docs/fleet/aws/batch-job-definitions.json");
    let defs: BTreeMap<&str, &Value> = job_definitions(&doc)
        .into_iter()
        .map(|d| (d["jobDefinitionName"].as_str().expect("name"), d))
        .collect();
    let runs = |name: &str| -> String {
        defs[name]["containerProperties"]["command"][0]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let check_parameters = |origin: &str, name: &str, keys: &[String]| {
        let def = defs.get(name).unwrap_or_else(|| {
            panic!("{origin}: job definition {name} is not in batch-job-definitions.json")
        });
        for key in keys {
            assert!(
                def["parameters"].get(key).is_some(),
                "{origin}: parameter {key} is not one {name} substitutes (Ref::{key})"
            );
        }
    };

    // The state machine.
    let asl = json_file("docs/fleet/aws/step-functions.asl.json");
    let states = asl["States"].as_object().expect("States");
    let mut scan_state = None;
    for (state, body) in states {
        if !body["Resource"]
            .as_str()
            .is_some_and(|r| r.contains(":batch:submitJob"))
        {
            continue;
        }
        let p = &body["Parameters"];
        let name = p["JobDefinition"].as_str().expect("JobDefinition");
        let keys: Vec<String> = p["Parameters"]
            .as_object()
            .map(|m| {
                m.keys()
                    .map(|k| k.trim_end_matches(".$").to_string())
                    .collect()
            })
            .unwrap_or_default();
        check_parameters(&format!("state {state}"), name, &keys);
        if runs(name) == "scan" {
            assert!(
                p["ArrayProperties"].is_object(),
                "state {state}: shards must be an array job"
            );
            scan_state = Some(body);
        }
    }
    let scan_state = scan_state.expect("a state that runs the scan job definition");
    let catch = scan_state["Catch"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["ErrorEquals"][0] == "States.ALL"))
        .expect("the scan state catches failures");
    let partial = &states[catch["Next"].as_str().expect("Next")];
    let partial_def = partial["Parameters"]["JobDefinition"]
        .as_str()
        .expect("JobDefinition");
    assert_eq!(runs(partial_def), "merge");
    assert!(
        strings(&defs[partial_def]["containerProperties"]["command"])
            .contains(&"--allow-partial".to_string()),
        "after failed shards the state machine merges with --allow-partial"
    );

    // The submit script.
    let path = recipe_dir().join("aws/batch-submit.sh");
    let mut submitted = Vec::new();
    for (line, words) in shell_lines(&read(&path), 1) {
        let Some(at) = words
            .windows(3)
            .position(|w| w[1] == "batch" && w[2] == "submit-job")
        else {
            continue;
        };
        let words = &words[at..];
        let value = |flag: &str| {
            words
                .iter()
                .position(|w| w == flag)
                .map(|i| words[i + 1].clone())
        };
        let name = value("--job-definition").expect("--job-definition");
        let keys: Vec<String> = value("--parameters")
            .map(|p| {
                p.split(',')
                    .map(|kv| kv.split('=').next().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        let origin = format!("{}:{line}", path.display());
        check_parameters(&origin, &name, &keys);
        if runs(&name) == "scan" {
            assert!(
                value("--array-properties").is_some(),
                "{origin}: shards must be an array job"
            );
        }
        submitted.push((runs(&name), value("--depends-on")));
    }
    let order: Vec<&str> = submitted.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        order,
        ["plan", "scan", "merge"],
        "the script submits plan, scan, merge"
    );
    assert!(
        submitted[1].1.is_some() && submitted[2].1.is_some(),
        "scan and merge have dependencies"
    );
}

/// Shard indexes come only from the variables `--shard auto/N` reads.
#[test]
fn shard_index_variables_are_the_ones_assay_reads() {
    let variable = Regex::new(r"\b[A-Z][A-Z0-9_]*_INDEX\b").expect("regex");
    let mut named = BTreeSet::new();
    for file in recipe_files() {
        let text = read(&file);
        for (n, line) in text.lines().enumerate() {
            for m in variable.find_iter(line) {
                assert!(
                    INDEX_VARIABLES.contains(&m.as_str()),
                    "{}:{}: {} is not a variable `--shard auto/N` reads ({INDEX_VARIABLES:?})",
                    file.display(),
                    n + 1,
                    m.as_str()
                );
                named.insert(m.as_str().to_string());
            }
        }
    }
    let docs = read(&repo().join("docs/fleet.md"));
    for v in INDEX_VARIABLES {
        assert!(
            docs.contains(v),
            "docs/fleet.md does not say that auto/N reads {v}"
        );
    }
    assert!(!named.is_empty());
}

/// The image runs the `assay` binary built from this repository, as a non-root user.
#[test]
fn dockerfile_builds_the_locked_binary_and_runs_it_as_non_root() {
    let text = read(&repo().join("Dockerfile"));
    let bin = Path::new(env!("CARGO_BIN_EXE_assay"))
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("binary name");
    let stages = text.lines().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "a multi-stage build");
    let stages: Vec<&str> = text.split("\nFROM ").collect();
    let builds = &stages[1..stages.len() - 1];
    assert!(
        builds
            .iter()
            .any(|build| build.contains("cargo build --release --locked")
                && build.contains(&format!("--bin {bin}"))),
        "the build stage runs cargo build --release --locked --bin {bin}"
    );
    assert!(
        stages[stages.len() - 1].contains(&format!("COPY --from=build /usr/local/bin/{bin} ")),
        "the final stage copies the built binary"
    );
    let last = final_stage(&text);
    let user = last
        .iter()
        .filter_map(|(_, l)| l.strip_prefix("USER "))
        .next_back()
        .expect("the final stage sets USER");
    let uid: u32 = user
        .split(':')
        .next()
        .and_then(|u| u.parse().ok())
        .expect("USER is numeric, so runAsNonRoot can check it");
    assert_ne!(uid, 0, "USER is not root");
    assert!(
        last.iter().any(|(_, l)| l.contains("ca-certificates")),
        "the runtime has CA certificates for HTTPS"
    );
    assert!(
        last.iter()
            .any(|(_, l)| l.starts_with("ENTRYPOINT ") && l.contains(&format!("[\"{bin}\"]"))),
        "ENTRYPOINT [\"{bin}\"]: the recipes pass assay's arguments as the container's args"
    );
    // The recipes run containers as uid 10001 and with a read-only root: the image's user must
    // be that one.
    let cronjob = read(&recipe_dir().join("kubernetes/cronjob.yaml"));
    assert!(cronjob.contains(&format!("runAsUser: {uid}")));
}

/// Every recipe file parses as what its name says.
#[test]
fn recipe_files_parse() {
    let mut kinds = BTreeSet::new();
    for file in recipe_files() {
        let ext = file
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_string();
        let text = read(&file);
        match ext.as_str() {
            "yaml" | "yml" => {
                let docs =
                    yaml_documents(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                for doc in &docs {
                    assert!(
                        doc["apiVersion"].is_string() && doc["kind"].is_string(),
                        "{}: every document is a Kubernetes object",
                        file.display()
                    );
                }
            }
            "json" => {
                serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            }
            "sh" => {
                let status = std::process::Command::new("sh")
                    .arg("-n")
                    .arg(&file)
                    .status()
                    .expect("sh runs");
                assert!(
                    status.success(),
                    "{}: sh -n finds a syntax error",
                    file.display()
                );
            }
            _ => {}
        }
        kinds.insert(ext);
    }
    for ext in ["yaml", "json", "sh", "md"] {
        assert!(kinds.contains(ext), "no .{ext} recipe found");
    }
}

/// `*` and `?` wildcards, as IAM matches actions and resources.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// The IAM policy grants every S3 location the recipes name the actions its command needs:
/// listing and reading the scanned buckets, the inventory reports and the access logs,
/// reading and writing the run location, writing the report.
#[test]
fn iam_policy_covers_every_location_in_the_recipes() {
    let policy = json_file("docs/fleet/aws/iam-policy.json");
    let statements = policy["Statement"].as_array().expect("Statement");
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            other => strings(other),
        }
    };
    // A listing asks for `prefix/`; a statement limited by an `s3:prefix` condition must
    // let that through.
    let allowed = |action: &str, arn: &str, listed: &str| {
        statements.iter().any(|s| {
            let prefixes = &s["Condition"]["StringLike"]["s3:prefix"];
            s["Effect"] == "Allow"
                && list(&s["Action"]).iter().any(|a| wildcard(a, action))
                && list(&s["Resource"]).iter().any(|r| wildcard(r, arn))
                && (prefixes.is_null() || list(prefixes).iter().any(|p| wildcard(p, listed)))
        })
    };
    // Only listings carry s3:prefix: any other action under such a condition is denied.
    for s in statements {
        if !s["Condition"]["StringLike"]["s3:prefix"].is_null() {
            for action in list(&s["Action"]) {
                assert!(
                    action.starts_with("s3:ListBucket"),
                    "statement {}: {action} never matches an s3:prefix condition",
                    s["Sid"]
                );
            }
        }
    }
    assert!(wildcard("arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p/x"));
    assert!(!wildcard("arn:aws:s3:::b/p/*", "arn:aws:s3:::b/q/x"));

    // (bucket, key prefix) of an s3:// URI.
    let split = |uri: &str| -> Option<(String, String)> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        Some((bucket.to_string(), prefix.trim_end_matches('/').to_string()))
    };
    let object = |bucket: &str, prefix: &str| match prefix {
        "" => format!("arn:aws:s3:::{bucket}/any-key"),
        p => format!("arn:aws:s3:::{bucket}/{p}/any-key"),
    };
    let mut needs: Vec<(String, &str, String, String)> = Vec::new();
    let mut need = |uri: &str, actions: &[&'static str], on_objects: bool, why: String| {
        let Some((bucket, prefix)) = split(uri) else {
            return;
        };
        for action in actions {
            let arn = if action.starts_with("s3:List") || *action == "s3:GetBucketLocation" {
                format!("arn:aws:s3:::{bucket}")
            } else if on_objects {
                object(&bucket, &prefix)
            } else {
                format!("arn:aws:s3:::{bucket}/{prefix}")
            };
            let listed = if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            };
            needs.push((why.clone(), action, arn, listed));
        }
    };
    let mut seen = 0;
    for file in recipe_files()
        .iter()
        .filter(|f| f.starts_with(recipe_dir()))
    {
        for inv in invocations(file).expect("readable") {
            let why = format!(
                "{}:{} `assay {}`",
                file.display(),
                inv.line,
                inv.subcommand()
            );
            seen += 1;
            match inv.subcommand() {
                "plan" => {
                    for target in inv.positionals() {
                        need(
                            target,
                            &["s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject"],
                            true,
                            why.clone(),
                        );
                    }
                    for uri in inv.values("--inventory") {
                        need(uri, &["s3:ListBucket", "s3:GetObject"], true, why.clone());
                    }
                    for uri in inv.values("--run") {
                        need(
                            uri,
                            &["s3:ListBucket", "s3:GetObject", "s3:PutObject"],
                            true,
                            why.clone(),
                        );
                    }
                }
                "scan" => {
                    for uri in inv.values("--plan") {
                        need(
                            uri,
                            &["s3:ListBucket", "s3:GetObject", "s3:PutObject"],
                            true,
                            why.clone(),
                        );
                    }
                }
                "merge" => {
                    for uri in inv.positionals() {
                        need(
                            uri,
                            &["s3:ListBucket", "s3:GetObject", "s3:PutObject"],
                            true,
                            why.clone(),
                        );
                    }
                    for uri in inv.values("--output") {
                        need(uri, &["s3:PutObject"], false, why.clone());
                    }
                    for flag in ["--cloudtrail", "--access-logs"] {
                        for uri in inv.values(flag) {
                            need(uri, &["s3:ListBucket", "s3:GetObject"], true, why.clone());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(seen >= 6, "too few command lines found in docs/fleet/");
    let missing: Vec<String> = needs
        .iter()
        .filter(|(_, action, arn, listed)| !allowed(action, arn, listed))
        .map(|(why, action, arn, listed)| format!("{why}: {action} on {arn} (prefix {listed:?})"))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/fleet/aws/iam-policy.json does not allow:\n{}",
        missing.join("\n")
    );
}
