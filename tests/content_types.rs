//! Content-type detection on real files no one on the project wrote: files
//! made by standard tools at test time (`tests/content_types/make_samples.py`)
//! and files from this machine's packages (Python's standard library and its
//! test data, glibc headers, man pages, PDFs and fonts from Debian, the JDK,
//! Node's npm, the Rust toolchain's docs and crates). The detected media
//! type must be the expected one or an accepted alias for at least 90% of
//! them, over at least 50 formats. Files a machine lacks are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file to find (the first match of `dir` + `suffix`, searched
/// recursively to `depth`) and the media types accepted for it.
struct Real {
    dir: String,
    suffix: &'static str,
    depth: usize,
    accepted: &'static [&'static str],
}

fn real(
    dir: impl Into<String>,
    suffix: &'static str,
    depth: usize,
    accepted: &'static [&'static str],
) -> Real {
    Real {
        dir: dir.into(),
        suffix,
        depth,
        accepted,
    }
}

fn find(dir: &Path, suffix: &str, depth: usize) -> Option<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in &entries {
        if path.is_file() && path.to_string_lossy().ends_with(suffix) {
            return Some(path.clone());
        }
    }
    if depth == 0 {
        return None;
    }
    entries
        .iter()
        .filter(|p| p.is_dir() && !p.is_symlink())
        .find_map(|p| find(p, suffix, depth - 1))
}

/// A directory of this machine's `python3` (`stdlib`, `purelib`), or `""`.
fn python_path(name: &str) -> String {
    let code = format!("import sysconfig; print(sysconfig.get_paths()['{name}'])");
    String::from_utf8(
        Command::new("python3")
            .args(["-c", &code])
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default(),
    )
    .unwrap_or_default()
    .trim()
    .to_string()
}

fn real_files() -> Vec<Real> {
    let py = python_path("stdlib");
    // The site-packages of the same Python: pip vendors certifi's CA bundle.
    let purelib = python_path("purelib");
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let cargo_home = std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo"));
    let rust_doc = find(
        Path::new(&format!("{home}/.rustup/toolchains")),
        "share/doc/rust/html/index.html",
        5,
    )
    .map(|p| p.parent().unwrap().display().to_string())
    .unwrap_or_default();
    let serde = find(
        Path::new(&format!("{cargo_home}/registry/src")),
        "serde_json-1",
        1,
    )
    .map(|p| p.display().to_string());
    let serde = find(Path::new(&format!("{cargo_home}/registry/src")), "", 0)
        .and(serde)
        .unwrap_or_default();
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let npm = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(target)
        .join("precision-npm/node_modules")
        .display()
        .to_string();
    let mut list = vec![
        real(
            format!("{py}/json"),
            "decoder.py",
            0,
            &["text/x-python", "text/x-script.python"],
        ),
        real(
            format!("{py}/test/imghdrdata"),
            "python.png",
            0,
            &["image/png"],
        ),
        real(
            format!("{py}/test/imghdrdata"),
            "python.gif",
            0,
            &["image/gif"],
        ),
        real(
            format!("{py}/test/imghdrdata"),
            "python.jpg",
            0,
            &["image/jpeg"],
        ),
        real(
            format!("{py}/test/imghdrdata"),
            "python.bmp",
            0,
            &["image/bmp"],
        ),
        real(
            format!("{py}/test/imghdrdata"),
            "python.tiff",
            0,
            &["image/tiff"],
        ),
        real(
            format!("{py}/test/imghdrdata"),
            "python.webp",
            0,
            &["image/webp"],
        ),
        real(
            format!("{py}/test/audiodata"),
            "pluck-pcm16.aiff",
            0,
            &["audio/x-aiff", "audio/aiff"],
        ),
        real(
            format!("{py}/test/audiodata"),
            "pluck-pcm16.au",
            0,
            &["audio/basic"],
        ),
        real(
            format!("{py}/test/xmltestdata"),
            "simple.xml",
            0,
            &["text/xml", "application/xml"],
        ),
        real(
            format!("{py}/test/certdata"),
            "allsans.pem",
            0,
            &["application/x-pem-file"],
        ),
        // TOML whose tables come first and whose arrays span lines.
        real(
            "/usr/lib/node_modules/npm/node_modules/node-gyp/gyp",
            "pyproject.toml",
            0,
            &["application/toml"],
        ),
        real(
            "/usr/share/nodejs/node-gyp/gyp",
            "pyproject.toml",
            0,
            &["application/toml"],
        ),
        // A public CA bundle opening with `#` comment lines.
        real(
            format!("{purelib}/pip/_vendor/certifi"),
            "cacert.pem",
            0,
            &["application/x-x509-ca-cert"],
        ),
        real(
            format!("{py}/test/test_email/data"),
            "msg_02.txt",
            0,
            &["message/rfc822"],
        ),
        // An Outlook item from the npm tree tests/run installs.
        real(
            format!("{npm}/msgreader/data"),
            "test.msg",
            0,
            &["application/vnd.ms-outlook"],
        ),
        real(
            format!("{py}/lib-dynload"),
            ".so",
            0,
            &["application/x-sharedlib"],
        ),
        real(
            format!("{py}/config-3.11-x86_64-linux-gnu"),
            "Makefile",
            0,
            &["text/x-makefile"],
        ),
        real(py.clone(), "LICENSE.txt", 0, &["text/plain"]),
        real(
            "/usr/bin",
            "/ls",
            0,
            &["application/x-executable", "application/x-pie-executable"],
        ),
        real(
            "/usr/bin",
            "/zgrep",
            0,
            &["text/x-sh", "application/x-shellscript"],
        ),
        real(
            "/usr/lib/x86_64-linux-gnu",
            "/libc.so.6",
            0,
            &["application/x-sharedlib"],
        ),
        real("/usr/include", "/stdio.h", 0, &["text/x-c", "text/x-chdr"]),
        real(
            "/usr/include/c++",
            "/vector",
            1,
            &["text/x-c++", "text/x-c++hdr", "text/x-c++src"],
        ),
        real(
            "/usr/share/man/man1",
            "/ls.1.gz",
            0,
            &["application/gzip", "application/x-gzip"],
        ),
        real(
            "/usr/share/doc/shared-mime-info",
            ".pdf",
            0,
            &["application/pdf"],
        ),
        real(
            "/usr/share/gettext",
            ".class",
            0,
            &["application/java", "application/java-vm"],
        ),
        real(
            "/usr/share/maven-repo/javax",
            ".jar",
            4,
            &["application/java-archive", "application/zip"],
        ),
        real("/usr/lib/jvm", "/lib/src.zip", 2, &["application/zip"]),
        real(
            "/usr/share/fonts/truetype/dejavu",
            "DejaVuSerif.ttf",
            0,
            &["font/ttf", "application/x-font-ttf"],
        ),
        real(
            "/usr/share/doc/python3-yaml/examples/pygments-lexer",
            "example.yaml",
            0,
            &["application/yaml"],
        ),
        real("/usr/share/perl5/Debconf", ".pm", 0, &["text/x-perl"]),
        real(
            "/etc/ssl/certs",
            "/ca-certificates.crt",
            0,
            &["application/x-x509-ca-cert", "application/x-pem-file"],
        ),
        real(
            "/usr/share/mime/packages",
            "freedesktop.org.xml",
            0,
            &["text/xml", "application/xml"],
        ),
        real("/usr/share/common-licenses", "/GPL-3", 0, &["text/plain"]),
        real("/var/log", "/dpkg.log", 0, &["text/x-log", "text/plain"]),
        real(
            "/usr/lib/node_modules/npm/lib",
            "/npm.js",
            0,
            &["text/javascript", "application/javascript"],
        ),
        real(
            "/usr/lib/node_modules/npm",
            "/package.json",
            0,
            &["application/json"],
        ),
        real(rust_doc.clone(), "/index.html", 0, &["text/html"]),
        real(format!("{rust_doc}/static.files"), ".css", 0, &["text/css"]),
        real(
            format!("{rust_doc}/static.files"),
            ".svg",
            0,
            &["image/svg+xml"],
        ),
        real(
            format!("{rust_doc}/static.files"),
            ".woff2",
            0,
            &["font/woff2"],
        ),
    ];
    if !serde.is_empty() {
        list.push(real(serde.clone(), "/Cargo.toml", 0, &["application/toml"]));
        list.push(real(format!("{serde}/src"), "/lib.rs", 0, &["text/x-rust"]));
        list.push(real(
            serde,
            "/README.md",
            0,
            &["text/markdown", "text/x-markdown"],
        ));
    }
    list
}

#[test]
fn content_types_of_real_files() {
    let samples = tempfile::tempdir().unwrap();
    // A missing tool fails here, with the command that installs it.
    let made = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/content_types/make_samples.py"))
        .arg(samples.path())
        .output()
        .expect("python3 is installed (tests/run checks it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(samples.path().join("manifest.tsv"))
        .unwrap()
        .lines()
    {
        let (path, mimes) = line.split_once('\t').unwrap();
        expected.insert(
            path.to_string(),
            mimes.split('|').map(String::from).collect(),
        );
    }
    for item in real_files() {
        if let Some(path) = find(Path::new(&item.dir), item.suffix, item.depth) {
            expected.insert(
                path.display().to_string(),
                item.accepted.iter().map(|s| s.to_string()).collect(),
            );
        }
    }
    let paths: Vec<&String> = expected.keys().collect();
    let output = Command::new(env!("CARGO_BIN_EXE_assay"))
        .arg("scan")
        .args(&paths)
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut detected: BTreeMap<String, String> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let mime = record["content_type"]["mime"]
            .as_str()
            .unwrap_or("none")
            .to_string();
        detected.insert(record["uri"].as_str().unwrap().to_string(), mime);
    }
    let formats: BTreeSet<&String> = expected.values().map(|accepted| &accepted[0]).collect();
    let mut misses = Vec::new();
    for (path, accepted) in &expected {
        let got = detected.get(path).map_or("no record", String::as_str);
        if !accepted.iter().any(|a| a == got) {
            misses.push(format!(
                "{path}: detected {got}, expected {}",
                accepted.join(" or ")
            ));
        }
    }
    let right = expected.len() - misses.len();
    let accuracy = right as f64 / expected.len() as f64;
    eprintln!(
        "content types: {right}/{} right ({:.1}%) over {} formats",
        expected.len(),
        accuracy * 100.0,
        formats.len()
    );
    for miss in &misses {
        eprintln!("  miss: {miss}");
    }
    assert!(
        formats.len() >= 50,
        "only {} formats available on this machine",
        formats.len()
    );
    assert!(
        accuracy >= 0.90,
        "accuracy {:.1}% below 90%: {misses:#?}",
        accuracy * 100.0
    );
}
