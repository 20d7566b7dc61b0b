//! Writes and reads S3 Inventory reports, for the inventory benchmark
//! (`benches/inventory.sh`): a generated report of N rows in the delivered
//! layout, then a streaming read of it that keeps nothing per row.
//!
//! ```sh
//! cargo run --release --example inventory -- generate DIR ROWS csv|parquet
//! cargo run --release --example inventory -- read DIR/SOURCE/CONFIG/
//! ```

use std::time::{Duration, Instant, UNIX_EPOCH};

use assay_scanner::inventory::generate::{GenOptions, GenRow, write_inventory_with};
use assay_scanner::inventory::{Inventory, InventoryFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["generate", dir, rows, format] => {
            let format = match format {
                "csv" => InventoryFormat::Csv,
                "parquet" => InventoryFormat::Parquet,
                other => return Err(format!("format {other}: csv or parquet").into()),
            };
            let count: u64 = rows.parse()?;
            let mut options = GenOptions::new("bench-source", format, true);
            options.rows_per_file = 250_000;
            // Realistic keys: nested prefixes, spaces and UTF-8 now and then.
            let rows = (0..count).map(|i| {
                let key = match i % 7 {
                    0 => format!(
                        "logs/2024/{:02}/{:02}/app server {i}.log.gz",
                        i % 12 + 1,
                        i % 28 + 1
                    ),
                    3 => format!("données/équipe-{}/rapport={i}.pdf", i % 97),
                    _ => format!("data/part-{:05}/object-{i:010}.json", i % 4096),
                };
                let mut row = GenRow::object(&key, &[]);
                row.size = i * 37 % 10_000_000;
                row.etag = format!("{:032x}", u128::from(i) * 0x9e37_79b9_7f4a_7c15);
                row.version_id = Some(format!("{i:032}"));
                row.last_modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i);
                row
            });
            let manifest = write_inventory_with(std::path::Path::new(dir), &options, rows)?;
            println!("{}", manifest.display());
        }
        ["read", location] => {
            let started = Instant::now();
            let inventory = Inventory::open(location, None)?;
            let (mut bytes, mut skipped) = (0u64, 0u64);
            let rows = inventory.rows(&mut |row| {
                bytes += row.size.unwrap_or(0);
                skipped += u64::from(row.unreadable().is_some());
                Ok(())
            })?;
            println!(
                "{rows} rows in {} data files, {bytes} bytes listed, {skipped} unreadable, {:.2} s",
                inventory.manifest().files.len(),
                started.elapsed().as_secs_f64()
            );
        }
        _ => {
            return Err(
                "usage: inventory generate DIR ROWS csv|parquet | inventory read LOCATION".into(),
            );
        }
    }
    Ok(())
}
