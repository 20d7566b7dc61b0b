//! Inventories read from S3: the real `aws-sdk-s3` client behind
//! `S3Client` against the loopback S3 server of `s3.rs` serving a generated
//! report (one subdirectory of its root per bucket).

use assay_scanner::inventory::generate::{GenOptions, GenRow, write_inventory_with};
use assay_scanner::inventory::{Inventory, InventoryError, InventoryFormat, InventoryRow};
use assay_scanner::source::s3::S3Client;

use crate::s3::{S3Server, sdk_config, start_server};

fn client(server: &S3Server) -> S3Client {
    S3Client::from_sdk_config(sdk_config(server)).unwrap()
}

fn rows() -> Vec<GenRow> {
    let mut rows: Vec<GenRow> = ["docs/a b.txt", "x+y=z/ünï.csv", "plain.key"]
        .iter()
        .map(|k| GenRow::object(k, k.as_bytes()))
        .collect();
    rows[1].version_id = Some("nuYD8l5blCvLV3DbAiN1IXuwo7aF3F98".into());
    let mut marker = GenRow::object("docs/a b.txt", b"");
    marker.version_id = Some("t5w9XO56_Yi1eF6HE7KUgoLumufisMyo".into());
    marker.is_delete_marker = true;
    rows.push(marker);
    rows
}

fn read(inventory: &Inventory<'_>) -> Result<Vec<InventoryRow>, InventoryError> {
    let mut read = Vec::new();
    inventory.rows(&mut |row| {
        read.push(row);
        Ok(())
    })?;
    Ok(read)
}

#[test]
fn an_inventory_in_s3_reads_like_its_local_copy() {
    let server = start_server();
    let bucket = server.root.path().join("inventory-destination");
    std::fs::create_dir(&bucket).unwrap();
    let client = client(&server);
    for format in [InventoryFormat::Csv, InventoryFormat::Parquet] {
        let mut options = GenOptions::new("source-bucket", format, true).with_unknown_column();
        options.destination_prefix = format!("reports/{}/", format.name());
        options.rows_per_file = 2;
        let manifest = write_inventory_with(&bucket, &options, rows()).unwrap();
        let local = Inventory::open(&manifest.display().to_string(), None).unwrap();
        let want = read(&local).unwrap();
        assert_eq!(want.len(), 4);
        assert_eq!(want[1].key, "x+y=z/ünï.csv");

        let key = manifest
            .strip_prefix(&bucket)
            .unwrap()
            .display()
            .to_string();
        let uri = format!("s3://inventory-destination/{key}");
        let remote = Inventory::open(&uri, Some(&client)).unwrap();
        assert_eq!(remote.manifest(), local.manifest());
        assert_eq!(remote.manifest().files.len(), 2);
        assert_eq!(read(&remote).unwrap(), want, "{format:?} by manifest");

        // The configuration folder: the newest complete report is found
        // by listing.
        let folder = format!("s3://inventory-destination/{}", options.config_prefix());
        let found = Inventory::open(folder.trim_end_matches('/'), Some(&client)).unwrap();
        assert_eq!(found.location(), uri);
        assert_eq!(read(&found).unwrap(), want, "{format:?} by folder");
    }
}

#[test]
fn a_damaged_data_file_in_s3_is_named_by_its_uri() {
    let server = start_server();
    let bucket = server.root.path().join("inventory-destination");
    std::fs::create_dir(&bucket).unwrap();
    let client = client(&server);
    let options = GenOptions::new("source-bucket", InventoryFormat::Csv, false);
    let manifest = write_inventory_with(&bucket, &options, rows()).unwrap();
    let key = manifest
        .strip_prefix(&bucket)
        .unwrap()
        .display()
        .to_string();
    let inventory =
        Inventory::open(&format!("s3://inventory-destination/{key}"), Some(&client)).unwrap();
    let data_key = inventory.manifest().files[0].key.clone();
    let mut bytes = std::fs::read(bucket.join(&data_key)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(bucket.join(&data_key), &bytes).unwrap();
    let error = read(&inventory).unwrap_err();
    assert!(
        matches!(error, InventoryError::Md5Mismatch { .. }),
        "{error}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "s3://inventory-destination/{data_key}: MD5 mismatch"
        )),
        "{error}"
    );
    // No report under a folder: a clear error naming it.
    let error = Inventory::open("s3://inventory-destination/nothing/here/", Some(&client))
        .err()
        .expect("nothing to open");
    assert!(matches!(error, InventoryError::NotFound { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("s3://inventory-destination/nothing/here/"),
        "{error}"
    );
}
