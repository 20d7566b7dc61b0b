//! Keyword themes stay quiet on real code and logs (issue 19 point 6):
//! `/usr/include`, the Python standard library and this machine's logs
//! (`/var/log`), none written by the project. A theme says what a document
//! is about; a C header or a package log is about none of them. The
//! figures per theme, on documents of each theme's kind too, are in
//! docs/themes.md (tests/themes/measure.py).

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::*;

/// The most files of a tree any one theme may fire on, per thousand: a
/// theme on code is a false alarm.
const MAX_PER_THOUSAND: usize = 5;

/// Password Keywords is held to more: Macie's minimum for it is two hits,
/// and an API that takes a password names it twice (crypt.h, gnutls,
/// smtplib); no keyword list tells such code from notes that hold
/// passwords without going deaf on the notes. Measured: 26 per thousand
/// of headers and of standard-library modules (docs/themes.md).
const PASSWORD_PER_THOUSAND: usize = 30;

fn stdlib() -> String {
    let output = tool("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "python3 could not name its stdlib");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Files scanned and, per theme, the files it fired on.
fn themes_on(args: &[&str]) -> (usize, BTreeMap<String, Vec<String>>) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend(["--format", "jsonl", "--quiet"]);
    let output = run(&all);
    assert!(
        output.status.success() || output.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files = 0;
    let mut fired: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        files += 1;
        for theme in record["themes"].as_array().into_iter().flatten() {
            fired
                .entry(theme["id"].as_str().unwrap_or_default().to_string())
                .or_default()
                .push(record["uri"].as_str().unwrap_or_default().to_string());
        }
    }
    (files, fired)
}

#[test]
fn themes_stay_quiet_on_real_code_and_logs() {
    let stdlib = stdlib();
    for path in ["/usr/include", stdlib.as_str(), "/var/log/dpkg.log"] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: run tests/run, which installs what this test scans"
        );
    }
    let trees: [(&str, Vec<&str>); 3] = [
        ("/usr/include", vec!["/usr/include"]),
        (
            "Python standard library",
            vec![
                stdlib.as_str(),
                "--include",
                "*.py",
                "--exclude",
                "site-packages/**",
            ],
        ),
        (
            "/var/log",
            vec!["/var/log", "--include", "*.log", "--include", "*.log.*"],
        ),
    ];
    let mut noisy = Vec::new();
    for (name, args) in &trees {
        let (files, fired) = themes_on(args);
        assert!(files >= 1, "{name}: nothing scanned");
        let allowed = files * MAX_PER_THOUSAND / 1000;
        let allowed_for = |theme: &str| match theme {
            "password_keywords" => files * PASSWORD_PER_THOUSAND / 1000,
            _ => allowed,
        };
        let worst = fired.values().map(Vec::len).max().unwrap_or(0);
        eprintln!(
            "themes: {name}: {files} files, at most {worst} for one theme (allowed {allowed})"
        );
        for (theme, uris) in &fired {
            if uris.len() > allowed_for(theme) {
                noisy.push(format!(
                    "{name}: {theme} fired on {} of {files} files, e.g. {:?}",
                    uris.len(),
                    &uris[..uris.len().min(3)]
                ));
            }
        }
        if *name != "/var/log" {
            assert!(files >= 1000, "{name}: only {files} files scanned");
        }
    }
    assert!(noisy.is_empty(), "themes noisy on code or logs: {noisy:#?}");
}
