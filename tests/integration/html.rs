//! `--format html`, opened in a real headless browser (Chromium, which
//! `tests/run` installs): it loads without console messages, the auditor's
//! sections and figures are in the DOM, scanned names stay text, and a
//! screenshot is kept at `target/assay-report.png` to look at.

use std::path::Path;
use std::process::Command;

use crate::util::*;

const HOSTILE: &str = "<img src=x onerror=alert(1)>.env";

fn chromium() -> Command {
    let binary = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is not installed: run tests/run, which installs what the \
                 tests need (or: sudo apt-get install chromium)"
            )
        });
    let mut command = Command::new(binary);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
    ]);
    command
}

fn report(work: &Path) -> std::path::PathBuf {
    let tree = work.join("bucket");
    std::fs::create_dir(&tree).unwrap();
    for entry in std::fs::read_dir(repo().join("demo/bucket/config")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, tree.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        tree.join(HOSTILE),
        "TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
    )
    .unwrap();
    let html = work.join("report.html");
    let output = run(&[
        "scan",
        tree.to_str().unwrap(),
        "--cloudtrail",
        repo().join("demo/logs/cloudtrail").to_str().unwrap(),
        "--access-logs",
        repo().join("demo/logs/s3").to_str().unwrap(),
        "--format",
        "html",
        "--output",
        html.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    html
}

#[test]
fn the_auditor_report_renders_in_a_browser() {
    let work = tempfile::tempdir().unwrap();
    let html = report(work.path());
    let page = std::fs::read_to_string(&html).unwrap();
    for external in ["<script", "<link", "src=\"http", "href=\"http", "@import"] {
        assert!(!page.contains(external), "self-contained: found {external}");
    }
    assert!(
        !page.contains("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
        "secrets stay redacted"
    );

    let url = format!("file://{}", html.display());
    let dom = chromium()
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom", &url])
        .output()
        .unwrap();
    assert!(dom.status.success());
    let stderr = String::from_utf8_lossy(&dom.stderr);
    assert!(!stderr.contains(":CONSOLE("), "console messages: {stderr}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    for section in [
        "scope",
        "inputs",
        "method",
        "summary",
        "buckets",
        "objects",
        "identities",
        "errors",
    ] {
        assert!(
            dom.contains(&format!("id=\"{section}\"")),
            "section {section} missing"
        );
    }
    for chart in ["chart-risk", "chart-categories", "chart-buckets"] {
        assert!(dom.contains(&format!("id=\"{chart}\"")), "{chart} missing");
    }
    assert!(dom.contains("<svg"), "charts are inline SVG");
    assert!(
        dom.contains("id=\"objects-count\">4<"),
        "four objects scanned"
    );
    assert!(
        dom.contains("arn:aws:iam::444455556666:role/ci-runner-legacy"),
        "the scraper is listed"
    );
    // The hostile name is text in the page, never an element.
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;.env"),
        "escaped name shown"
    );
    assert!(!dom.contains("<img"), "no element came from scanned data");

    let shot = repo().join("target/assay-report.png");
    let status = chromium()
        .args([
            "--window-size=1200,2400",
            &format!("--screenshot={}", shot.display()),
            &url,
        ])
        .output()
        .unwrap();
    assert!(status.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real screenshot"
    );
}
