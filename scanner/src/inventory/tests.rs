//! Reads inventories in the delivered formats: written by the generator,
//! and by hand in AWS's exact CSV form.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use super::generate::{GenOptions, GenRow, write_inventory, write_raw_report};
use super::*;

fn at(secs: u64, millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
}

/// Objects and versions covering what a reader must get right.
fn sample_rows() -> Vec<GenRow> {
    let mut rows = Vec::new();
    let mut object = |key: &str, version: Option<&str>, latest: bool| {
        let mut row = GenRow::object(key, key.as_bytes());
        row.version_id = version.map(str::to_string);
        row.is_latest = latest;
        row.last_modified = at(1_700_000_000 + rows.len() as u64, 123);
        rows.push(row);
    };
    object(
        "reports/q1 summary.txt",
        Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH"),
        true,
    );
    object(
        "a+b=c/d e+f.csv",
        Some("nuYD8l5blCvLV3DbAiN1IXuwo7aF3F98"),
        true,
    );
    object(
        "données/Ünïcode ✓ 東京.json",
        Some("t5w9XO56_Yi1eF6HE7KUgoLumufisMyo"),
        true,
    );
    object(
        "pct%41/literal%2B.txt",
        Some("Qv8bZbW1xQmH0n2K4uY7cT9eRa3sLd6P"),
        true,
    );
    // Written before versioning was enabled: the null version.
    object("legacy/old.cfg", None, false);
    // A newer version was deleted: a delete marker on top.
    let mut marker = GenRow::object("legacy/old.cfg", b"");
    marker.version_id = Some("Wm1xY2Fh5k1f0zJ3uGv2dQ9pL7sT4eRb".into());
    marker.is_delete_marker = true;
    marker.is_latest = true;
    marker.last_modified = at(1_700_100_000, 0);
    rows.push(marker);
    let mut glacier = GenRow::object("archive/2019.tar", b"cold bytes");
    glacier.version_id = Some("Zx9cV8bN7mA6sD5fG4hJ3kL2qW1eR0tY".into());
    glacier.storage_class = "GLACIER".into();
    rows.push(glacier);
    let mut sse_c = GenRow::object("vault/customer-key.bin", b"sealed");
    sse_c.version_id = Some("Pq2wE3rT4yU5iO6pA7sD8fG9hJ0kL1zX".into());
    sse_c.encryption_status = "SSE-C".into();
    sse_c.etag = "6f1ed002ab5595859014ebf0951522d9-3".into();
    rows.push(sse_c);
    let mut tiered = GenRow::object("tiered/deep.parquet", b"tiered");
    tiered.version_id = Some("Lk8jH7gF6dS5aP4oI3uY2tR1eW0qZ9xC".into());
    tiered.storage_class = "INTELLIGENT_TIERING".into();
    tiered.intelligent_tiering_access_tier = Some("DEEP_ARCHIVE_ACCESS".into());
    rows.push(tiered);
    rows
}

/// What a reader must return for a generated row.
fn expected(bucket: &str, row: &GenRow, all_versions: bool) -> InventoryRow {
    let object = !row.is_delete_marker;
    InventoryRow {
        bucket: bucket.to_string(),
        key: row.key.clone(),
        version_id: all_versions.then(|| row.version_id.clone().unwrap_or_else(|| "null".into())),
        is_latest: all_versions.then_some(row.is_latest),
        is_delete_marker: row.is_delete_marker,
        size: object.then_some(row.size),
        last_modified: Some(row.last_modified),
        etag: object.then(|| row.etag.clone()),
        storage_class: object.then(|| row.storage_class.clone()),
        encryption_status: object.then(|| row.encryption_status.clone()),
        intelligent_tiering_access_tier: row
            .intelligent_tiering_access_tier
            .clone()
            .filter(|_| object),
    }
}

fn read_all(location: &Path) -> Result<(Manifest, Vec<InventoryRow>), InventoryError> {
    let inventory = Inventory::open(&location.display().to_string(), None)?;
    let mut rows = Vec::new();
    let count = inventory.rows(&mut |row| {
        rows.push(row);
        Ok(())
    })?;
    assert_eq!(
        count,
        rows.len() as u64,
        "the count returned is the rows handed out"
    );
    Ok((inventory.manifest().clone(), rows))
}

fn round_trip(format: InventoryFormat, all_versions: bool, unknown: bool) {
    let dir = tempfile::tempdir().unwrap();
    // A report of current versions lists neither delete markers nor
    // older versions.
    let rows: Vec<GenRow> = sample_rows()
        .into_iter()
        .filter(|r| all_versions || (r.is_latest && !r.is_delete_marker))
        .collect();
    let manifest_path = write_inventory(
        dir.path(),
        "source-bucket",
        &rows,
        format,
        all_versions,
        unknown,
    )
    .unwrap();
    let (manifest, read) = read_all(&manifest_path).unwrap();
    assert_eq!(manifest.file_format, format);
    assert_eq!(manifest.source_bucket, "source-bucket");
    assert_eq!(manifest.destination_bucket, "inventory-destination");
    assert_eq!(manifest.has(Column::VersionId), all_versions);
    let want: Vec<InventoryRow> = rows
        .iter()
        .map(|r| expected("source-bucket", r, all_versions))
        .collect();
    assert_eq!(read, want);
}

#[test]
fn csv_gzip_with_all_versions_round_trips() {
    round_trip(InventoryFormat::Csv, true, false);
}

#[test]
fn csv_gzip_of_current_versions_round_trips() {
    round_trip(InventoryFormat::Csv, false, false);
}

#[test]
fn parquet_with_all_versions_round_trips() {
    round_trip(InventoryFormat::Parquet, true, false);
}

#[test]
fn parquet_of_current_versions_round_trips() {
    round_trip(InventoryFormat::Parquet, false, false);
}

#[test]
fn unknown_columns_are_ignored_in_both_formats() {
    for format in [InventoryFormat::Csv, InventoryFormat::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        let manifest_path =
            write_inventory(dir.path(), "src", &sample_rows(), format, true, true).unwrap();
        let (manifest, rows) = read_all(&manifest_path).unwrap();
        // The unknown column sits between Key and VersionId.
        assert_eq!(
            Column::from_name(&manifest.file_schema[2]),
            None,
            "{:?}",
            manifest.file_schema
        );
        let want: Vec<_> = sample_rows()
            .iter()
            .map(|r| expected("src", r, true))
            .collect();
        assert_eq!(rows, want, "{format:?}");
    }
}

#[test]
fn csv_keys_are_written_url_encoded_and_read_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = write_inventory(
        dir.path(),
        "src",
        &sample_rows(),
        InventoryFormat::Csv,
        true,
        false,
    )
    .unwrap();
    let inventory = Inventory::open(&manifest_path.display().to_string(), None).unwrap();
    let file = &inventory.manifest().files[0];
    let raw = std::fs::read(dir.path().join(&file.key)).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut text)
        .unwrap();
    assert!(text.contains("\"a%2Bb%3Dc/d+e%2Bf.csv\""), "{text}");
    assert!(text.contains("\"pct%2541/literal%252B.txt\""), "{text}");
    assert!(text.contains("\"donn%C3%A9es/"), "{text}");
    assert!(
        !text.contains("q1 summary"),
        "spaces are written as +: {text}"
    );
}

#[test]
fn permuted_schema_is_mapped_by_name() {
    for format in [InventoryFormat::Csv, InventoryFormat::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        let mut options = GenOptions::new("src", format, true).with_unknown_column();
        options.columns.reverse();
        let manifest_path =
            generate::write_inventory_with(dir.path(), &options, sample_rows()).unwrap();
        let (manifest, rows) = read_all(&manifest_path).unwrap();
        assert_eq!(
            manifest.file_schema.last().map(String::as_str),
            Some(if format == InventoryFormat::Csv {
                "Bucket"
            } else {
                "bucket"
            })
        );
        let want: Vec<_> = sample_rows()
            .iter()
            .map(|r| expected("src", r, true))
            .collect();
        assert_eq!(rows, want, "{format:?}");
    }
}

#[test]
fn many_data_files_and_gzip_members_are_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = GenOptions::new("src", InventoryFormat::Csv, false);
    options.rows_per_file = 4;
    options.rows_per_gzip_member = 3;
    let rows: Vec<GenRow> = (0..10)
        .map(|i| GenRow::object(&format!("k/{i}"), format!("body {i}").as_bytes()))
        .collect();
    let manifest_path =
        generate::write_inventory_with(dir.path(), &options, rows.iter().cloned()).unwrap();
    let (manifest, read) = read_all(&manifest_path).unwrap();
    assert_eq!(manifest.files.len(), 3);
    let keys: Vec<_> = read.iter().map(|r| r.key.as_str()).collect();
    let want: Vec<_> = rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, want);
    // The first file really has two members: a single-member decoder
    // stops after the first three rows.
    let raw = std::fs::read(dir.path().join(&manifest.files[0].key)).unwrap();
    let mut first = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut first).unwrap();
    assert_eq!(first.lines().count(), 3);
}

/// A report of hand-written CSV data files under `schema`.
fn raw_csv_report(dir: &Path, schema: &str, files: &[&[u8]]) -> PathBuf {
    let mut options = GenOptions::new("dandiarchive", InventoryFormat::Csv, true);
    options.columns = schema.split(", ").map(str::to_string).collect();
    let data: Vec<Vec<u8>> = files.iter().map(|f| gzip(f)).collect();
    write_raw_report(dir, &options, &data).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

const DANDI_SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, IsMultipartUploaded";

#[test]
fn aws_csv_rows_as_delivered() {
    // Rows in the form of real reports (fleet.md §1.1), values made up.
    let data = b"\"dandiarchive\",\"zarr/73fb/0/0/0/14/4/100\",\"nuYD8l5blCvLV3DbAiN1IXuwo7aF3F98\",\"true\",\"false\",\"1511723\",\"2022-12-12T13:20:39.000Z\",\"627c47efe292876b91978324485cd2ec\",\"false\"
\"dandiarchive\",\"zarr/73fb/0/0/0/14/4/100\",\"t5w9XO56_Yi1eF6HE7KUgoLumufisMyo\",\"false\",\"true\",\"\",\"2022-12-11T17:55:08.000Z\",\"\",\"\"
\"dandiarchive\",\"dandiarchive/dandiarchive/hive/dt%3D2024-05-07-01-00/symlink.txt\",\"\",\"true\",\"false\",\"38129\",\"2024-05-07T21:12:55.000Z\",\"f58c0e2a7d4b41c0a8b9e6d5c4f3a2b1-2\",\"true\"
\"dandiarchive\",\"my+folder/report+%281%29%2B%E2%82%AC.pdf\",\"3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH\",\"true\",\"false\",\"0\",\"2024-12-18T15:23:29.000Z\",\"\"\"d41d8cd98f00b204e9800998ecf8427e\"\"\",\"false\"
";
    let dir = tempfile::tempdir().unwrap();
    let manifest = raw_csv_report(dir.path(), DANDI_SCHEMA, &[data]);
    let (_, rows) = read_all(&manifest).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0],
        InventoryRow {
            bucket: "dandiarchive".into(),
            key: "zarr/73fb/0/0/0/14/4/100".into(),
            version_id: Some("nuYD8l5blCvLV3DbAiN1IXuwo7aF3F98".into()),
            is_latest: Some(true),
            is_delete_marker: false,
            size: Some(1_511_723),
            last_modified: Some(at(1_670_851_239, 0)),
            etag: Some("627c47efe292876b91978324485cd2ec".into()),
            storage_class: None,
            encryption_status: None,
            intelligent_tiering_access_tier: None,
        }
    );
    // The delete marker: no size, no ETag.
    assert!(rows[1].is_delete_marker);
    assert_eq!((rows[1].size, rows[1].etag.as_deref()), (None, None));
    assert_eq!(rows[1].is_latest, Some(false));
    // `=` arrives as %3D; the empty VersionId is the null version.
    assert_eq!(
        rows[2].key,
        "dandiarchive/dandiarchive/hive/dt=2024-05-07-01-00/symlink.txt"
    );
    assert_eq!(rows[2].version_id.as_deref(), Some("null"));
    // `+` is a space, %2B a plus, UTF-8 bytes a euro sign; quotes around
    // an ETag are dropped as ListObjectsV2's are.
    assert_eq!(rows[3].key, "my folder/report (1)+€.pdf");
    assert_eq!(
        rows[3].etag.as_deref(),
        Some("d41d8cd98f00b204e9800998ecf8427e")
    );
    assert_eq!(rows[3].size, Some(0));
}

#[test]
fn the_twenty_field_schema_with_encryption_and_acl() {
    let schema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm, ObjectAccessControlList, ObjectOwner";
    let data = b"\"bucket\",\"inventory_test/key2\",\"\",\"true\",\"false\",\"5\",\"2024-04-22T01:14:53.000Z\",\"d8e8fca2dc0f896fd7cb4cb0031ba249\",\"STANDARD\",\"false\",\"\",\"SSE-C\",\"\",\"\",\"\",\"\",\"DISABLED\",\"\",\"e30K\",\"\"\n";
    let dir = tempfile::tempdir().unwrap();
    let manifest = raw_csv_report(dir.path(), schema, &[data]);
    let (_, rows) = read_all(&manifest).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].version_id.as_deref(), Some("null"));
    assert_eq!(rows[0].storage_class.as_deref(), Some("STANDARD"));
    assert_eq!(rows[0].encryption_status.as_deref(), Some("SSE-C"));
    assert_eq!(rows[0].unreadable(), Some(Unreadable::SseC));
}

#[test]
fn bare_empty_fields_and_trailing_blank_lines() {
    let data = b"\"dandiarchive\",\"a/b\",,\"true\",,\"7\",\"2024-05-07T21:12:55.123Z\",,\n\"dandiarchive\",\"a/c\",\"v2\",\"false\",\"true\",,,,\n\n\n";
    let dir = tempfile::tempdir().unwrap();
    let manifest = raw_csv_report(dir.path(), DANDI_SCHEMA, &[data]);
    let (_, rows) = read_all(&manifest).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].version_id.as_deref(), Some("null"));
    assert!(!rows[0].is_delete_marker);
    assert_eq!(rows[0].size, Some(7));
    assert_eq!(rows[0].last_modified, Some(at(1_715_116_375, 123)));
    assert_eq!(rows[0].etag, None);
    assert!(rows[1].is_delete_marker);
    assert_eq!(rows[1].last_modified, None);
}

#[test]
fn unreadable_objects_are_named() {
    let rows = sample_rows();
    let (_, read) = {
        let dir = tempfile::tempdir().unwrap();
        let path =
            write_inventory(dir.path(), "src", &rows, InventoryFormat::Csv, true, false).unwrap();
        read_all(&path).unwrap()
    };
    let unreadable: Vec<_> = read
        .iter()
        .filter_map(|r| Some((r.key.as_str(), r.unreadable()?)))
        .collect();
    assert_eq!(
        unreadable,
        [
            ("archive/2019.tar", Unreadable::Glacier),
            ("vault/customer-key.bin", Unreadable::SseC),
            ("tiered/deep.parquet", Unreadable::DeepArchiveAccess),
        ]
    );
    let with = |class: &str, tier: Option<&str>| InventoryRow {
        storage_class: Some(class.into()),
        intelligent_tiering_access_tier: tier.map(str::to_string),
        ..read[0].clone()
    };
    assert_eq!(
        with("DEEP_ARCHIVE", None).unreadable(),
        Some(Unreadable::DeepArchive)
    );
    assert_eq!(with("GLACIER_IR", None).unreadable(), None);
    assert_eq!(with("STANDARD_IA", None).unreadable(), None);
    assert_eq!(
        with("INTELLIGENT_TIERING", Some("ARCHIVE_ACCESS")).unreadable(),
        Some(Unreadable::ArchiveAccess)
    );
    assert_eq!(
        with("INTELLIGENT_TIERING", Some("ARCHIVE_INSTANT_ACCESS")).unreadable(),
        None
    );
    assert!(Unreadable::Glacier.to_string().contains("restored"));
}

#[test]
fn keys_decode_like_form_encoding() {
    let decode = |s: &str| csv_file::decode_key(s.as_bytes());
    assert_eq!(decode("a+b%2Bc%3Dd").as_deref(), Some("a b+c=d"));
    assert_eq!(decode("%E6%9D%B1%E4%BA%AC/x").as_deref(), Some("東京/x"));
    assert_eq!(
        decode("caf%c3%a9").as_deref(),
        Some("café"),
        "lowercase hex"
    );
    assert_eq!(
        decode("100%/25%z").as_deref(),
        Some("100%/25%z"),
        "stray % kept"
    );
    assert_eq!(decode("plain/key.txt").as_deref(), Some("plain/key.txt"));
    assert_eq!(decode("bad%FF"), None, "not UTF-8");
    for key in ["a b+c=d", "東京 ✓/%41", "~tilde*star'quote\"", "x"] {
        assert_eq!(
            decode(&generate::encode_key(key)).as_deref(),
            Some(key),
            "round trip"
        );
    }
}

fn manifest_json(format: &str, schema: &str) -> String {
    format!(
        r#"{{"sourceBucket": "example-source-bucket",
  "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
  "version": "2016-11-30", "creationTimestamp" : "1514944800000",
  "fileFormat": "{format}", "fileSchema": "{schema}",
  "files": [{{"key": "Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz",
              "size": 2147483647, "MD5checksum": "F11166069F1990ABEB9C97ACE9CDFABC"}}]}}"#
    )
}

#[test]
fn manifests_of_the_three_formats_parse() {
    let cases = [
        (
            "CSV",
            "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size",
            InventoryFormat::Csv,
        ),
        (
            "ORC",
            "struct<bucket:string,key:string,version_id:string,size:bigint,last_modified_date:timestamp>",
            InventoryFormat::Orc,
        ),
        (
            "Parquet",
            "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); }",
            InventoryFormat::Parquet,
        ),
    ];
    for (format, schema, want) in cases {
        let json = manifest_json(format, schema);
        // Checksums are trimmed and compared in any case.
        let checksum = format!("  {}\r\n", md5_hex(json.as_bytes()).to_uppercase());
        let manifest = Manifest::parse(json.as_bytes(), checksum.as_bytes()).unwrap();
        assert_eq!(manifest.file_format, want);
        assert_eq!(
            manifest.destination_bucket,
            "example-inventory-destination-bucket"
        );
        assert_eq!(manifest.creation_timestamp_ms, 1_514_944_800_000);
        assert_eq!(manifest.version, "2016-11-30");
        assert_eq!(manifest.files[0].size, 2_147_483_647);
        assert_eq!(manifest.files[0].md5, "f11166069f1990abeb9c97ace9cdfabc");
        assert!(manifest.has(Column::Bucket) && manifest.has(Column::Key));
        assert!(manifest.has(Column::Size) && !manifest.has(Column::ETag));
        assert_eq!(
            manifest
                .file_schema
                .iter()
                .map(|n| Column::from_name(n))
                .collect::<Vec<_>>()[..2],
            [Some(Column::Bucket), Some(Column::Key)]
        );
    }
}

/// One line, naming `file`.
fn assert_one_line_naming(error: &InventoryError, file: &str) {
    let text = error.to_string();
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(text.contains(file), "{text:?} names {file}");
}

#[test]
fn a_manifest_with_a_wrong_checksum_is_refused() {
    let json = manifest_json("CSV", "Bucket, Key");
    let error =
        Manifest::parse(json.as_bytes(), b"00000000000000000000000000000000\n").unwrap_err();
    assert!(
        matches!(error, InventoryError::ManifestChecksum { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("checksum mismatch"), "{error}");
    // On disk: a manifest edited after delivery.
    let dir = tempfile::tempdir().unwrap();
    let path = write_inventory(
        dir.path(),
        "src",
        &sample_rows(),
        InventoryFormat::Csv,
        false,
        false,
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text = text.replace("\"src\"", "\"other\"");
    std::fs::write(&path, text).unwrap();
    let error = read_all(&path).unwrap_err();
    assert!(
        matches!(error, InventoryError::ManifestChecksum { .. }),
        "{error}"
    );
    assert_one_line_naming(&error, &path.display().to_string());
}

#[test]
fn a_schema_without_key_is_refused() {
    let json = manifest_json("CSV", "Bucket, VersionId, Size");
    let error = Manifest::parse(json.as_bytes(), md5_hex(json.as_bytes()).as_bytes()).unwrap_err();
    assert!(
        matches!(error, InventoryError::MissingColumn { column: "Key", .. }),
        "{error}"
    );
    assert!(error.to_string().contains("missing column Key"), "{error}");
}

#[test]
fn a_data_file_with_a_wrong_md5_is_refused_before_any_row() {
    for format in [InventoryFormat::Csv, InventoryFormat::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_inventory(dir.path(), "src", &sample_rows(), format, true, false).unwrap();
        let inventory = Inventory::open(&path.display().to_string(), None).unwrap();
        let data = dir.path().join(&inventory.manifest().files[0].key);
        // Same size, one byte changed (in the middle of the file).
        let mut bytes = std::fs::read(&data).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&data, &bytes).unwrap();
        let mut seen = 0;
        let error = inventory
            .rows(&mut |_| {
                seen += 1;
                Ok(())
            })
            .unwrap_err();
        assert!(
            matches!(error, InventoryError::Md5Mismatch { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("MD5 mismatch"), "{error}");
        assert_one_line_naming(&error, &data.display().to_string());
        assert_eq!(seen, 0, "no row of a damaged file is handed out");
        // A file cut short is refused by its size.
        std::fs::write(&data, &bytes[..middle]).unwrap();
        let error = inventory.rows(&mut |_| Ok(())).unwrap_err();
        assert!(
            matches!(error, InventoryError::SizeMismatch { .. }),
            "{error}"
        );
    }
}

#[test]
fn a_truncated_gzip_is_an_error_not_a_short_list() {
    let rows: String = (0..2000)
        .map(|i| format!("\"dandiarchive\",\"k/{i}\",\"v{i}\",\"true\",\"false\",\"{i}\",\"2024-05-07T21:12:55.000Z\",\"\",\"false\"\n"))
        .collect();
    let mut options = GenOptions::new("dandiarchive", InventoryFormat::Csv, true);
    options.columns = DANDI_SCHEMA.split(", ").map(str::to_string).collect();
    let whole = gzip(rows.as_bytes());
    // Delivered cut short, with a manifest describing the cut file.
    let cut = whole[..whole.len() - 40].to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = write_raw_report(dir.path(), &options, &[cut]).unwrap();
    let error = read_all(&path).unwrap_err();
    assert!(
        matches!(error, InventoryError::TruncatedGzip { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("truncated gzip"), "{error}");
    assert_one_line_naming(&error, ".csv.gz");
}

#[test]
fn a_malformed_row_is_named_by_number() {
    let data = b"\"dandiarchive\",\"a\",\"v1\",\"true\",\"false\",\"1\",\"2024-05-07T21:12:55.000Z\",\"\",\"false\"
\"dandiarchive\",\"b\",\"v1\",\"true\",\"false\",\"ten\",\"2024-05-07T21:12:55.000Z\",\"\",\"false\"
";
    let dir = tempfile::tempdir().unwrap();
    let path = raw_csv_report(dir.path(), DANDI_SCHEMA, &[data]);
    let error = read_all(&path).unwrap_err();
    assert!(
        matches!(error, InventoryError::MalformedRow { row: 2, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("malformed row 2: Size \"ten\""),
        "{error}"
    );
    assert_one_line_naming(&error, ".csv.gz");
    // Too few fields.
    let data = b"\"dandiarchive\",\"a\",\"v1\"\n";
    let dir = tempfile::tempdir().unwrap();
    let path = raw_csv_report(dir.path(), DANDI_SCHEMA, &[data]);
    let error = read_all(&path).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("malformed row 1: it has 3 fields"),
        "{error}"
    );
    // A boolean that is not one.
    let data = b"\"dandiarchive\",\"a\",\"v1\",\"yes\",\"false\",\"1\",\"\",\"\",\"\"\n";
    let dir = tempfile::tempdir().unwrap();
    let path = raw_csv_report(dir.path(), DANDI_SCHEMA, &[data]);
    let error = read_all(&path).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("IsLatest \"yes\" is not true or false"),
        "{error}"
    );
}

#[test]
fn orc_reports_are_refused_as_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("src/cfg/2024-05-07T01-00Z");
    std::fs::create_dir_all(&folder).unwrap();
    let json = manifest_json("ORC", "struct<bucket:string,key:string>");
    std::fs::write(folder.join("manifest.json"), &json).unwrap();
    std::fs::write(folder.join("manifest.checksum"), md5_hex(json.as_bytes())).unwrap();
    let error = Inventory::open(&folder.display().to_string(), None)
        .err()
        .expect("ORC is refused");
    assert!(
        matches!(error, InventoryError::UnsupportedFormat { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("unsupported format ORC"),
        "{error}"
    );
    assert_one_line_naming(&error, "manifest.json");
}

#[test]
fn the_newest_complete_report_is_found_in_a_configuration_folder() {
    let dir = tempfile::tempdir().unwrap();
    let rows = sample_rows();
    let mut older = GenOptions::new("src", InventoryFormat::Csv, true);
    older.created = at(1_715_000_000, 0);
    let mut newer = older.clone();
    newer.created = at(1_715_086_400, 0);
    generate::write_inventory_with(dir.path(), &older, rows[..2].iter().cloned()).unwrap();
    let newest = generate::write_inventory_with(dir.path(), &newer, rows.iter().cloned()).unwrap();
    let config = dir.path().join(older.config_prefix());
    let (manifest, read) = read_all(&config).unwrap();
    assert_eq!(manifest.creation_timestamp_ms, 1_715_086_400_000);
    assert_eq!(read.len(), rows.len());
    // A report still being delivered (no checksum yet) is passed over.
    std::fs::remove_file(newest.with_file_name("manifest.checksum")).unwrap();
    let (manifest, read) = read_all(&config).unwrap();
    assert_eq!(manifest.creation_timestamp_ms, 1_715_000_000_000);
    assert_eq!(read.len(), 2);
    // Nothing complete at all.
    let empty = tempfile::tempdir().unwrap();
    let error = read_all(empty.path()).unwrap_err();
    assert!(matches!(error, InventoryError::NotFound { .. }), "{error}");
}

#[test]
fn a_row_callback_error_stops_the_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_inventory(
        dir.path(),
        "src",
        &sample_rows(),
        InventoryFormat::Parquet,
        true,
        false,
    )
    .unwrap();
    let inventory = Inventory::open(&path.display().to_string(), None).unwrap();
    let mut seen = 0;
    let error = inventory
        .rows(&mut |_| {
            seen += 1;
            if seen == 3 {
                return Err(InventoryError::Stopped("enough".into()));
            }
            Ok(())
        })
        .unwrap_err();
    assert_eq!(seen, 3);
    assert_eq!(error.to_string(), "enough");
}

/// Found by fuzzing (fuzz/crashes/inventory_data/): a Parquet footer whose
/// column chunk has a negative offset made the `parquet` crate panic while
/// reading rows; it is a corrupt file naming the row group and column.
#[test]
fn a_parquet_column_chunk_at_a_negative_offset_is_a_corrupt_file() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/crashes/inventory_data/parquet-negative-column-offset"),
    )
    .expect("the crash input is committed");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data.parquet");
    std::fs::write(&path, &bytes).expect("write");
    use md5::Digest as _;
    let manifest = Manifest {
        source_bucket: "source".into(),
        destination_bucket: "destination".into(),
        version: "2016-11-30".into(),
        creation_timestamp_ms: 0,
        file_format: InventoryFormat::Parquet,
        file_schema: vec!["bucket".into(), "key".into()],
        files: vec![DataFile {
            key: "data/fuzz.parquet".into(),
            size: bytes.len() as u64,
            md5: hex::encode(md5::Md5::digest(&bytes)),
        }],
    };
    let mut rows = 0;
    let error = read_data_file(&manifest, &manifest.files[0], &path, &mut |_| {
        rows += 1;
        Ok(())
    })
    .expect_err("the file is corrupt");
    let message = error.to_string();
    assert!(
        matches!(error, InventoryError::Parquet { .. }),
        "not a Parquet error: {message}"
    );
    assert!(
        message.starts_with("s3://destination/data/fuzz.parquet: corrupt Parquet: row group"),
        "{message}"
    );
    assert!(message.contains("negative offset"), "{message}");
    assert_eq!(rows, 0);
}
