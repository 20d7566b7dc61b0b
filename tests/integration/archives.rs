//! Archives made by the real tools (zip, tar, gzip, bzip2, xz, zstd):
//! every member is a record, nesting stops at the limit, bombs are stopped
//! and reported, and broken archives lose nothing already found.

use std::path::Path;

use serde_json::Value;

use crate::util::*;

const TOKEN: &str = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
const SECOND_TOKEN: &str = "ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210";

/// A small tree: a token on line 2 of `app/.env`, and plain notes.
fn tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("app/deep")).unwrap();
    std::fs::write(
        dir.join("app/.env"),
        format!("# deploy\nGITHUB_TOKEN={TOKEN}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("app/deep/notes.txt"), "nothing to see\n").unwrap();
}

fn errors(record: &Value) -> Vec<(String, String)> {
    record["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has_token_on_line_2(record: &Value) {
    let found = &record["regexes"][0];
    assert_eq!(found["id"], "github_key", "{record}");
    assert_eq!(found["locations"][0]["line"], 2);
    assert_eq!(found["redacted"], "ghp_…(40 chars)");
}

#[test]
fn every_format_yields_a_record_per_member() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    sh(
        &src,
        "zip -qr ../out/a.zip app
         tar cf ../out/a.tar app
         tar czf ../out/a.tgz app
         tar cjf ../out/a.tar.bz2 app
         tar cJf ../out/a.tar.xz app
         tar cf - app | zstd -q -o ../out/a.tar.zst
         gzip -c app/.env > ../out/env.gz
         bzip2 -c app/.env > ../out/env.bz2
         xz -c app/.env > ../out/env.xz
         zstd -q -c app/.env > ../out/env.zst
         # two gzip members in one file, as log shippers append them
         (gzip -c app/deep/notes.txt; gzip -c app/.env) > ../out/joined.log.gz",
    );
    let (output, records) = scan_records(&out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for archive in [
        "a.zip",
        "a.tar",
        "a.tgz",
        "a.tar.bz2",
        "a.tar.xz",
        "a.tar.zst",
    ] {
        has_token_on_line_2(record(&records, &format!("/{archive}!/app/.env")));
        let notes = record(&records, &format!("/{archive}!/app/deep/notes.txt"));
        assert!(notes["regexes"].as_array().unwrap().is_empty());
        assert_eq!(notes["size"], 15);
        let own = record(&records, &format!("/{archive}"));
        assert_eq!(errors(own), [], "{archive}");
    }
    for (single, member) in [
        ("env.gz", "env"),
        ("env.bz2", "env"),
        ("env.xz", "env"),
        ("env.zst", "env"),
    ] {
        has_token_on_line_2(record(&records, &format!("/{single}!/{member}")));
    }
    let joined = record(&records, "/joined.log.gz!/joined.log");
    assert_eq!(joined["regexes"][0]["locations"][0]["line"], 3);
    assert_eq!(
        record(&records, "/a.tgz")["content_type"]["mime"],
        "application/gzip"
    );
    // 11 stored files, 6 archives of 2 members, 5 streams of 1.
    assert_eq!(records.len(), 11 + 12 + 5);
    assert!(records.iter().all(|r| r["errors"] == serde_json::json!([])));
}

#[test]
fn nesting_is_followed_ten_levels_and_no_further() {
    let work = tempfile::tempdir().unwrap();
    tree(work.path());
    // l1.zip holds app/.env; l(n).zip holds l(n-1).zip.
    sh(
        work.path(),
        "zip -q l1.zip app/.env
         for n in 2 3 4 5 6 7 8 9 10 11; do zip -q l$n.zip l$((n - 1)).zip; done
         mkdir ten eleven && cp l10.zip ten/ && cp l11.zip eleven/",
    );
    let (_, ten) = scan_records(&work.path().join("ten"), &[]);
    let chain: String = (1..10).rev().map(|n| format!("!/l{n}.zip")).collect();
    let deepest = record(&ten, &format!("l10.zip{chain}!/app/.env"));
    has_token_on_line_2(deepest);
    assert_eq!(ten.len(), 11, "ten archives and the file");

    let (_, eleven) = scan_records(&work.path().join("eleven"), &[]);
    let chain: String = (1..11).rev().map(|n| format!("!/l{n}.zip")).collect();
    let unopened = record(&eleven, &format!("l11.zip{chain}"));
    let errs = errors(unopened);
    assert_eq!(errs[0].0, "archive_limit");
    assert!(errs[0].1.contains("not opened (limit 10)"), "{errs:?}");
    assert!(
        eleven
            .iter()
            .all(|r| r["regexes"].as_array().unwrap().is_empty()),
        "nothing below the limit is read"
    );

    let (_, shallow) = scan_records(&work.path().join("ten"), &["--max-archive-depth", "2"]);
    assert_eq!(shallow.len(), 3, "l10, l9 and the unopened l8");
}

#[test]
fn bombs_are_stopped_and_reported_and_the_scan_goes_on() {
    let work = tempfile::tempdir().unwrap();
    tree(work.path());
    sh(
        work.path(),
        "mkdir scan
         head -c 268435456 /dev/zero | gzip -1 > scan/zeros.bin.gz
         # a zip of many small files for the entry limit
         mkdir many && for n in $(seq 1 40); do echo $n > many/f$n.txt; done
         zip -qr scan/many.zip many
         cp app/.env scan/after.env",
    );
    let scan = work.path().join("scan");
    let (output, records) = scan_records(&scan, &["--max-archive-entries", "25"]);
    assert!(output.status.success());

    let bomb = record(&records, "/zeros.bin.gz");
    let errs = errors(bomb);
    assert_eq!(errs[0].0, "archive_limit", "{errs:?}");
    assert!(errs[0].1.contains("100:1 ratio limit"), "{errs:?}");
    let member = record(&records, "/zeros.bin.gz!/zeros.bin");
    assert_eq!(errors(member)[0].0, "archive_limit");
    let expanded = member["size"].as_u64().unwrap();
    assert!(
        expanded < 128 << 20,
        "stopped soon after the 64 MiB floor, not at {expanded} bytes"
    );

    let many = record(&records, "/many.zip");
    let errs = errors(many);
    assert_eq!(errs[0].0, "archive_limit");
    assert!(errs[0].1.contains("more than 25 members"), "{errs:?}");
    let members = records
        .iter()
        .filter(|r| r["uri"].as_str().unwrap().contains("/many.zip!/"))
        .count();
    assert_eq!(members, 25, "members before the limit are kept");

    has_token_on_line_2(record(&records, "/after.env"));

    let (_, bytes) = scan_records(&scan, &["--max-archive-bytes", "1000000"]);
    let errs = errors(record(&bytes, "/zeros.bin.gz"));
    assert!(errs[0].1.contains("past 1000000 bytes"), "{errs:?}");
}

#[test]
fn broken_and_encrypted_archives_keep_what_was_found() {
    let work = tempfile::tempdir().unwrap();
    tree(work.path());
    std::fs::write(
        work.path().join("app/second.env"),
        format!("x\nTOKEN={SECOND_TOKEN}\n"),
    )
    .unwrap();
    // A tar with the token first and a large incompressible file after it,
    // gzipped and cut in the middle of the large file.
    sh(
        work.path(),
        "mkdir scan
         head -c 300000 /dev/urandom > app/zz-noise.bin
         tar cf - app/.env app/zz-noise.bin app/second.env | gzip > whole.tgz
         head -c 150000 whole.tgz > scan/cut.tgz
         printf 'PK\\003\\004 this is not really a zip' > scan/fake.zip
         zip -q -P sesame scan/locked.zip app/.env
         cp app/second.env scan/",
    );
    let (output, records) = scan_records(&work.path().join("scan"), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    has_token_on_line_2(record(&records, "/cut.tgz!/app/.env"));
    let cut_member = errors(record(&records, "/cut.tgz!/app/zz-noise.bin"));
    assert_eq!(cut_member[0].0, "corrupt", "{cut_member:?}");
    assert!(
        cut_member[0].1.contains("read failed after"),
        "{cut_member:?}"
    );
    let cut = errors(record(&records, "/cut.tgz"));
    assert_eq!(cut[0].0, "corrupt_archive", "{cut:?}");
    assert!(cut[0].1.contains("members before it were classified"));

    let fake = errors(record(&records, "/fake.zip"));
    assert_eq!(fake[0].0, "corrupt_archive", "{fake:?}");

    let locked = record(&records, "/locked.zip!/app/.env");
    assert_eq!(errors(locked)[0].0, "encrypted");
    assert!(locked["regexes"].as_array().unwrap().is_empty());

    let found = record(&records, "/second.env");
    assert_eq!(found["regexes"][0]["id"], "github_key");
    for r in &records {
        let text = r.to_string();
        assert!(!text.contains(TOKEN) && !text.contains(SECOND_TOKEN));
    }
}
