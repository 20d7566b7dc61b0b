//! Fleet runs: `assay plan`, shards run as separate processes (one killed
//! and rerun, one duplicated), `assay merge`; the merged report equals a
//! one-machine scan of the same bucket, first run and incremental rerun
//! with another number of shards alike. Everything goes through the real
//! S3 client against the loopback S3 server of `s3.rs`.

use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

use crate::s3::{S3Server, assay_s3, client, fill, scan_json, start_server, upload};
use crate::util::*;

/// `assay ARGS --endpoint-url ...` against the server.
fn fleet(server: &S3Server, args: &[&str]) -> Command {
    let mut command = assay_s3();
    command
        .args(args)
        .args(["--endpoint-url", &server.endpoint]);
    command
}

fn spawn(server: &S3Server, args: &[&str]) -> Child {
    fleet(server, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn succeeded(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "{stderr}");
    stderr
}

/// A report with its timing fields taken out, for comparison.
fn without_timing(mut report: Value) -> Value {
    report["scan"]
        .as_object_mut()
        .map(|scan| {
            scan.remove("started");
            scan.remove("finished");
        })
        .unwrap();
    report
}

fn merged_json(server: &S3Server, run: &str, extra: &[&str]) -> (Output, Value) {
    let output = fleet(
        server,
        &[&["merge", run, "--format", "json", "--quiet"], extra].concat(),
    )
    .output()
    .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output, report)
}

/// Objects with keys as S3 Inventory reports encode them (spaces, `+`,
/// `=`, UTF-8) and enough small objects that every shard has units.
fn fleet_objects() -> Vec<(String, Vec<u8>)> {
    let mut objects: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| {
            (
                format!("notes/n{i:02}.txt"),
                format!("note {i}: nothing secret here\n").into_bytes(),
            )
        })
        .collect();
    objects.push((
        "odd keys/a b+c=d.env".into(),
        b"STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dcAbCdEf\n".to_vec(),
    ));
    objects.push((
        "odd keys/résumé ünïcode.txt".into(),
        b"aws_secret_access_key = Ycyc/JeD3bhPK5+MrJ7jtX6F8rhInL1BREJ8jy1a\n".to_vec(),
    ));
    objects
}

#[test]
fn a_sharded_run_killed_and_duplicated_merges_to_the_one_machine_report() {
    let server = start_server();
    upload(&server, "fleet", &repo().join("demo/bucket"));
    let (runtime, s3) = client(&server);
    runtime.block_on(async {
        s3.create_bucket().bucket("runs").send().await.unwrap();
        for (key, body) in fleet_objects() {
            s3.put_object()
                .bucket("fleet")
                .key(key)
                .body(body.into())
                .send()
                .await
                .unwrap();
        }
    });
    let run = "s3://runs/nightly";
    let planned = fleet(
        &server,
        &["plan", "s3://fleet", "--shards", "4", "--run", run],
    )
    .output()
    .unwrap();
    let said = succeeded(&planned);
    assert!(said.contains("65 objects"), "{said}");

    // Shard 3 is killed mid-way: its GETs are held back so it is still
    // working when it dies.
    server
        .faults
        .slow_down_gets(std::time::Duration::from_millis(400));
    let mut doomed = spawn(
        &server,
        &["scan", "--plan", run, "--shard", "3/4", "--jobs", "1"],
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    doomed.kill().unwrap();
    let killed = doomed.wait_with_output().unwrap();
    assert!(
        !killed.status.success(),
        "the shard was killed before it finished"
    );
    server.faults.slow_down_gets(std::time::Duration::ZERO);

    // The others run side by side, shard 1 twice at once (a duplicate pod).
    let children: Vec<Child> = ["0/4", "1/4", "1/4", "2/4"]
        .iter()
        .map(|shard| spawn(&server, &["scan", "--plan", run, "--shard", shard]))
        .collect();
    for child in children {
        succeeded(&child.wait_with_output().unwrap());
    }

    // Before shard 3 is rerun, merge says what is missing and exits 3.
    let (partial, report) = merged_json(&server, run, &[]);
    assert_eq!(
        partial.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&partial.stderr)
    );
    let incomplete = report["scan"]["incomplete_units"].as_array().unwrap();
    assert!(!incomplete.is_empty());
    assert!(String::from_utf8_lossy(&partial.stderr).contains("the report is partial"));
    let (allowed, _) = merged_json(&server, run, &["--allow-partial"]);
    assert_eq!(allowed.status.code(), Some(0));

    // The rerun of shard 3 resumes: what the killed attempt committed is kept.
    let rerun = succeeded(
        &fleet(&server, &["scan", "--plan", run, "--shard", "3/4"])
            .output()
            .unwrap(),
    );
    assert!(rerun.contains("committed before"), "{rerun}");

    let (output, merged) = merged_json(
        &server,
        run,
        &[
            "--cloudtrail",
            repo().join("demo/logs/cloudtrail").to_str().unwrap(),
            "--access-logs",
            repo().join("demo/logs/s3").to_str().unwrap(),
        ],
    );
    succeeded(&output);
    let single = scan_json(
        &server,
        &[
            "s3://fleet",
            "--cloudtrail",
            repo().join("demo/logs/cloudtrail").to_str().unwrap(),
            "--access-logs",
            repo().join("demo/logs/s3").to_str().unwrap(),
        ],
    );
    assert_eq!(
        merged["summary"]["objects"], 68,
        "65 objects and 3 archive members"
    );
    assert!(merged["scan"].get("incomplete_units").is_none());
    let uris: Vec<String> = merged["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["uri"].as_str().unwrap().to_string())
        .collect();
    let mut unique = uris.clone();
    unique.dedup();
    assert_eq!(uris.len(), unique.len(), "no record twice");
    assert!(uris.iter().any(|u| u == "s3://fleet/odd keys/a b+c=d.env"));
    assert!(!merged["identities"].as_array().unwrap().is_empty());
    assert_eq!(without_timing(merged), without_timing(single));

    // JSON Lines from merge stream the same records, in URI order.
    let lines = fleet(&server, &["merge", run, "--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    succeeded(&lines);
    let streamed: Vec<String> = String::from_utf8_lossy(&lines.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(streamed, uris);

    // Reports written to S3, by merge and by a one-machine scan.
    succeeded(
        &fleet(
            &server,
            &[
                "merge",
                run,
                "--format",
                "json",
                "--quiet",
                "--output",
                "s3://runs/reports/merged.json",
            ],
        )
        .output()
        .unwrap(),
    );
    succeeded(
        &fleet(
            &server,
            &[
                "scan",
                "s3://fleet",
                "--format",
                "csv",
                "--quiet",
                "--output",
                "s3://runs/reports/scan.csv",
            ],
        )
        .output()
        .unwrap(),
    );
    let (runtime, s3) = client(&server);
    let read = |key: &str| -> Vec<u8> {
        runtime.block_on(async {
            let object = s3
                .get_object()
                .bucket("runs")
                .key(key)
                .send()
                .await
                .unwrap();
            object.body.collect().await.unwrap().into_bytes().to_vec()
        })
    };
    let uploaded: Value = serde_json::from_slice(&read("reports/merged.json")).unwrap();
    assert_eq!(uploaded["objects"].as_array().unwrap().len(), 68);
    let csv = String::from_utf8(read("reports/scan.csv")).unwrap();
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("s3://fleet/")).count(),
        68
    );
}

#[test]
fn an_incremental_rerun_with_other_shards_reads_only_what_changed() {
    let server = start_server();
    let objects: Vec<(String, Vec<u8>)> = (0..24)
        .map(|i| (format!("k{i:02}.txt"), format!("object {i}\n").into_bytes()))
        .collect();
    fill(&server, "inc", &objects);
    fill(&server, "runs", &[] as &[(String, Vec<u8>)]);
    let gets = || -> usize {
        (0..25)
            .map(|i| server.faults.gets(&format!("/inc/k{i:02}.txt")))
            .sum()
    };
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("state.db");
    let state = state.to_str().unwrap();
    let run = "s3://runs/inc";

    let round = |shards: u32| -> Value {
        let shards_text = shards.to_string();
        succeeded(
            &fleet(
                &server,
                &[
                    "plan",
                    "s3://inc",
                    "--incremental",
                    "--shards",
                    &shards_text,
                    "--run",
                    run,
                ],
            )
            .output()
            .unwrap(),
        );
        for i in 0..shards {
            let shard = format!("{i}/{shards}");
            succeeded(
                &fleet(&server, &["scan", "--plan", run, "--shard", &shard])
                    .output()
                    .unwrap(),
            );
        }
        let (output, report) = merged_json(&server, run, &[]);
        succeeded(&output);
        report
    };

    let first = round(4);
    assert_eq!(first["summary"]["changes"]["new"], 24);
    assert_eq!(gets(), 24);
    let single_first = scan_json(&server, &["s3://inc", "--state", state]);
    assert_eq!(gets(), 48);
    assert_eq!(without_timing(first), without_timing(single_first));

    // One object rewritten, one added, one deleted.
    let (runtime, s3) = client(&server);
    runtime.block_on(async {
        s3.put_object()
            .bucket("inc")
            .key("k03.txt")
            .body(b"object 3, rewritten\n".to_vec().into())
            .send()
            .await
            .unwrap();
        s3.put_object()
            .bucket("inc")
            .key("k24.txt")
            .body(b"object 24\n".to_vec().into())
            .send()
            .await
            .unwrap();
        s3.delete_object()
            .bucket("inc")
            .key("k07.txt")
            .send()
            .await
            .unwrap();
    });
    let second = round(3);
    assert_eq!(gets(), 50, "only the rewritten and the new object are read");
    assert_eq!(second["summary"]["changes"]["changed"], 1);
    assert_eq!(second["summary"]["changes"]["new"], 1);
    assert_eq!(second["summary"]["changes"]["unchanged"], 22);
    assert_eq!(second["removed"], serde_json::json!(["s3://inc/k07.txt"]));
    let single_second = scan_json(&server, &["s3://inc", "--state", state]);
    assert_eq!(without_timing(second), without_timing(single_second));
}

#[test]
fn bad_plans_shards_and_parts_are_one_line_errors() {
    let tree = tempfile::tempdir().unwrap();
    for i in 0..6 {
        std::fs::write(tree.path().join(format!("f{i}.txt")), format!("file {i}\n")).unwrap();
    }
    let run_dir = tempfile::tempdir().unwrap();
    let run = run_dir.path().to_str().unwrap();
    let target = tree.path().to_str().unwrap();
    let ok = assay()
        .args(["plan", target, "--shards", "2", "--run", run])
        .output()
        .unwrap();
    succeeded(&ok);

    let expect_error = |args: &[&str], code: i32, says: &str| {
        let output = assay().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        let line = stderr
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or_default();
        assert!(line.contains(says), "{args:?}: {stderr}");
        assert_eq!(
            stderr.lines().filter(|l| l.contains("error")).count(),
            1,
            "{stderr}"
        );
    };
    expect_error(
        &["scan", "--plan", run, "--shard", "2/2"],
        2,
        "shards are numbered from 0",
    );
    expect_error(
        &["scan", "--plan", run, "--shard", "0/3"],
        2,
        "the plan has 2 shards",
    );
    expect_error(
        &["scan", "--plan", run, "--shard", "auto/2"],
        2,
        "JOB_COMPLETION_INDEX",
    );

    // Both shards through their engines' variables.
    for (variable, index) in [
        ("JOB_COMPLETION_INDEX", "0"),
        ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
    ] {
        let output = assay()
            .args(["scan", "--plan", run, "--shard", "auto/2"])
            .env(variable, index)
            .output()
            .unwrap();
        let said = succeeded(&output);
        assert!(said.contains(&format!("shard {index}/2")), "{said}");
    }
    // A unit committed twice: the second commit loses and changes nothing.
    let again = assay()
        .args(["scan", "--plan", run, "--shard", "0/2"])
        .output()
        .unwrap();
    let said = succeeded(&again);
    assert!(said.contains("0 objects scanned"), "{said}");

    // A tampered part is refused with its location.
    let part = walk_files(run_dir.path())
        .into_iter()
        .find(|p| p.ends_with("records.jsonl.zst"))
        .unwrap();
    let mut bytes = std::fs::read(&part).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&part, bytes).unwrap();
    expect_error(&["merge", run, "--format", "json"], 3, "SHA-256");

    // A plan from another assay version.
    let plan_path = run_dir.path().join("plan.json");
    let plan = std::fs::read_to_string(&plan_path).unwrap();
    std::fs::write(
        &plan_path,
        plan.replace(
            &format!("\"assay_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"assay_version\": \"0.0.1\"",
        ),
    )
    .unwrap();
    expect_error(
        &["scan", "--plan", run, "--shard", "0/2"],
        2,
        "made by assay 0.0.1",
    );
    expect_error(&["merge", run], 2, "plan the run again");
}

#[test]
fn a_local_tree_plans_shards_and_merges_like_a_scan() {
    let tree = repo().join("demo/bucket");
    let run_dir = tempfile::tempdir().unwrap();
    let run = run_dir.path().to_str().unwrap();
    succeeded(
        &assay()
            .args([
                "plan",
                tree.to_str().unwrap(),
                "--shards",
                "3",
                "--run",
                run,
            ])
            .output()
            .unwrap(),
    );
    for shard in ["0/3", "1/3", "2/3"] {
        succeeded(
            &assay()
                .args(["scan", "--plan", run, "--shard", shard])
                .output()
                .unwrap(),
        );
    }
    let merged = assay()
        .args(["merge", run, "--format", "json", "--quiet"])
        .output()
        .unwrap();
    succeeded(&merged);
    let single = assay()
        .args([
            "scan",
            tree.to_str().unwrap(),
            "--format",
            "json",
            "--quiet",
        ])
        .output()
        .unwrap();
    let merged: Value = serde_json::from_slice(&merged.stdout).unwrap();
    let single: Value = serde_json::from_slice(&single.stdout).unwrap();
    assert_eq!(merged["summary"]["objects"], 26);
    assert_eq!(without_timing(merged), without_timing(single));
}

fn walk_files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// The bucket's objects as an S3 Inventory lists them: from a real
/// listing of the server (keys, sizes, ETags, times), plus what listings
/// of versions hold (an older version, a key deleted under a delete
/// marker) and an archived object the inventory marks GLACIER.
fn inventory_rows(
    server: &S3Server,
    bucket: &str,
    bodies: &[(String, Vec<u8>)],
) -> Vec<assay_scanner::inventory::generate::GenRow> {
    use assay_scanner::inventory::generate::GenRow;
    let (runtime, s3) = client(server);
    let listed = runtime.block_on(async {
        s3.list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .contents()
            .to_vec()
    });
    let mut rows: Vec<GenRow> = listed
        .iter()
        .map(|o| {
            let key = o.key().unwrap();
            // The ETag of a single-part upload is its body's MD5 (the test
            // server lists none).
            let body = &bodies.iter().find(|(k, _)| k == key).unwrap().1;
            let mut row = GenRow::object(key, body);
            assert_eq!(row.size, o.size().unwrap() as u64);
            row.last_modified =
                std::time::SystemTime::try_from(*o.last_modified().unwrap()).unwrap();
            row.version_id = Some(format!("v-{}", key.len()));
            if key.starts_with("cold/") {
                row.storage_class = "GLACIER".into();
            }
            row
        })
        .collect();
    let mut older = rows[0].clone();
    older.version_id = Some("v-old".into());
    older.is_latest = false;
    rows.push(older);
    let mut gone = GenRow::object("deleted/under-a-marker.txt", b"old body");
    gone.is_latest = false;
    rows.push(gone.clone());
    gone.is_delete_marker = true;
    gone.is_latest = true;
    gone.version_id = Some("v-marker".into());
    rows.push(gone);
    rows
}

/// One `<InventoryConfiguration>` of a ListBucketInventoryConfigurations
/// answer, in the documented XML.
fn inventory_configuration(
    id: &str,
    enabled: bool,
    format: &str,
    destination: &str,
    filter: Option<&str>,
    frequency: &str,
) -> String {
    let filter = filter
        .map(|p| format!("<Filter><Prefix>{p}</Prefix></Filter>"))
        .unwrap_or_default();
    format!(
        "<InventoryConfiguration><Id>{id}</Id><IsEnabled>{enabled}</IsEnabled>\
         <Destination><S3BucketDestination><AccountId>123456789012</AccountId>\
         <Bucket>arn:aws:s3:::{destination}</Bucket><Format>{format}</Format>\
         <Prefix>reports</Prefix></S3BucketDestination></Destination>{filter}\
         <IncludedObjectVersions>All</IncludedObjectVersions>\
         <OptionalFields><Field>Size</Field><Field>LastModifiedDate</Field><Field>ETag</Field>\
         <Field>StorageClass</Field></OptionalFields>\
         <Schedule><Frequency>{frequency}</Frequency></Schedule></InventoryConfiguration>"
    )
}

#[test]
fn inventory_auto_uses_the_buckets_own_configuration_and_lists_the_others() {
    use assay_scanner::inventory::InventoryFormat;
    use assay_scanner::inventory::generate::{GenOptions, write_inventory_with};
    let server = start_server();
    let objects = fleet_objects();
    fill(&server, "auto-inv", &objects);
    fill(&server, "auto-plain", &objects[..5]);
    let rows = inventory_rows(&server, "auto-inv", &objects);
    let dir = tempfile::tempdir().unwrap();
    let mut options = GenOptions::new("auto-inv", InventoryFormat::Parquet, true);
    options.destination_bucket = "auto-dest".into();
    options.destination_prefix = "reports/".into();
    options.config_id = "nightly".into();
    write_inventory_with(dir.path(), &options, rows).unwrap();
    upload(&server, "auto-dest", dir.path());
    // Only "nightly" can serve: the others are disabled, ORC, for another
    // prefix, or weekly (and point where no report is, so choosing one of
    // them fails the plan).
    let configurations = [
        inventory_configuration("a-disabled", false, "CSV", "auto-dest", None, "Daily"),
        inventory_configuration("b-orc", true, "ORC", "auto-dest", None, "Daily"),
        inventory_configuration("c-logs", true, "CSV", "auto-dest", Some("logs/"), "Daily"),
        inventory_configuration("d-weekly", true, "CSV", "auto-dest", None, "Weekly"),
        inventory_configuration("nightly", true, "Parquet", "auto-dest", None, "Daily"),
    ]
    .concat();
    let answer = |configurations: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListInventoryConfigurationsResult \
             xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{configurations}\
             <IsTruncated>false</IsTruncated></ListInventoryConfigurationsResult>"
        )
    };
    server
        .faults
        .answer("/auto-inv/", "inventory", 200, &answer(&configurations));
    server
        .faults
        .answer("/auto-plain/", "inventory", 200, &answer(""));

    let run = "s3://auto-dest/run";
    let planned = fleet(
        &server,
        &[
            "plan",
            "s3://auto-inv",
            "s3://auto-plain",
            "--inventory",
            "auto",
            "--shards",
            "2",
            "--run",
            run,
        ],
    )
    .output()
    .unwrap();
    let said = succeeded(&planned);
    let expected = format!("{} objects", objects.len() + 5);
    assert!(said.contains(&expected), "{said}");
    for shard in ["0/2", "1/2"] {
        succeeded(
            &fleet(&server, &["scan", "--plan", run, "--shard", shard])
                .output()
                .unwrap(),
        );
    }
    let (output, merged) = merged_json(&server, run, &[]);
    succeeded(&output);
    let used = merged["scan"]["inventories"].as_array();
    assert_eq!(used.map(Vec::len), Some(1), "{said}");
    let used = used.unwrap();
    let manifest = used[0]["manifest"].as_str().unwrap();
    assert!(
        manifest.starts_with("s3://auto-dest/reports/auto-inv/nightly/")
            && manifest.ends_with("manifest.json"),
        "{manifest}"
    );
    let single = scan_json(&server, &["s3://auto-inv", "s3://auto-plain"]);
    let keys = |report: &Value| -> Vec<String> {
        report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["uri"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&merged), keys(&single));
    assert_eq!(merged["buckets"], single["buckets"]);

    // `auto` with named inventories is a usage error.
    let mixed = fleet(
        &server,
        &[
            "plan",
            "s3://auto-inv",
            "--inventory",
            "auto",
            "--inventory",
            "s3://auto-dest/reports/auto-inv/nightly/",
            "--shards",
            "2",
            "--run",
            "s3://auto-dest/run-mixed",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("give it alone"));
}

#[test]
fn a_plan_from_s3_inventory_scans_what_a_listing_would() {
    use assay_scanner::inventory::InventoryFormat;
    use assay_scanner::inventory::generate::{GenOptions, write_inventory_with};
    let server = start_server();
    let mut objects = fleet_objects();
    objects.push(("cold/archive.txt".into(), b"archived long ago\n".to_vec()));
    fill(&server, "inv", &objects);
    let rows = inventory_rows(&server, "inv", &objects);
    let single = scan_json(&server, &["s3://inv", "--exclude", "cold/*"]);
    for (n, format) in [InventoryFormat::Csv, InventoryFormat::Parquet]
        .into_iter()
        .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        let options = GenOptions::new("inv", format, true).with_unknown_column();
        write_inventory_with(dir.path(), &options, rows.clone()).unwrap();
        let destination = format!("inventory-{n}");
        upload(&server, &destination, dir.path());
        let run = format!("s3://{destination}/run");
        let inventory = format!("s3://{destination}/{}", options.config_prefix());
        let planned = fleet(
            &server,
            &[
                "plan",
                "s3://inv",
                "--inventory",
                &inventory,
                "--shards",
                "2",
                "--run",
                &run,
            ],
        )
        .output()
        .unwrap();
        let said = succeeded(&planned);
        assert!(said.contains("42 objects"), "{format:?}: {said}");
        for shard in ["0/2", "1/2"] {
            succeeded(
                &fleet(&server, &["scan", "--plan", &run, "--shard", shard])
                    .output()
                    .unwrap(),
            );
        }
        let (output, merged) = merged_json(&server, &run, &[]);
        succeeded(&output);
        // The inventory knows each object's ETag; this test server's
        // listings give none.
        let without_etags = |report: &Value| -> Vec<Value> {
            let mut objects = report["objects"].as_array().unwrap().clone();
            for object in &mut objects {
                object.as_object_mut().unwrap().remove("etag");
            }
            objects
        };
        assert_eq!(without_etags(&merged), without_etags(&single), "{format:?}");
        assert_eq!(
            merged["objects"][0]["etag"].as_str().map(str::len),
            Some(32)
        );
        assert_eq!(merged["buckets"], single["buckets"], "{format:?}");
        let errors = merged["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["location"], "s3://inv/cold/archive.txt");
        assert_eq!(errors[0]["kind"], "skipped");
        assert!(errors[0]["message"].as_str().unwrap().contains("GLACIER"));
        let used = &merged["scan"]["inventories"][0];
        assert!(
            used["manifest"]
                .as_str()
                .unwrap()
                .ends_with("manifest.json")
        );
    }

    // A manifest whose checksum does not match is refused, in one line.
    let dir = tempfile::tempdir().unwrap();
    let options = GenOptions::new("inv", InventoryFormat::Csv, false);
    let manifest = write_inventory_with(dir.path(), &options, rows.clone()).unwrap();
    let checksum = manifest.with_file_name("manifest.checksum");
    std::fs::write(&checksum, "0123456789abcdef0123456789abcdef\n").unwrap();
    upload(&server, "inventory-bad", dir.path());
    let refused = fleet(
        &server,
        &[
            "plan",
            "s3://inv",
            "--inventory",
            &format!("s3://inventory-bad/{}", options.config_prefix()),
            "--shards",
            "2",
            "--run",
            "s3://inventory-bad/run",
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("checksum"), "{stderr}");
}
