//! Planning from S3 Inventory reports: each row (read and verified by
//! `crate::inventory`) becomes the object a listing of the bucket would
//! have yielded, so a plan made from an inventory scans what a plan made
//! by listing would. Delete markers and, unless every version is asked
//! for, non-current versions are left out as a listing leaves them out;
//! objects that cannot be read with a plain GET (archived, SSE-C) are
//! listed as `skipped` and never fetched.

use std::sync::Arc;

use super::FleetError;
use super::plan::InventoryUsed;
use crate::inventory::{Inventory, InventoryError};
use crate::record::ScanIssue;
use crate::scope::Scope;
use crate::source::Discovered;
use crate::source::s3::{S3Client, Versions};

/// Lists `s3://bucket/prefix` from the inventory at `location` (a
/// `manifest.json`, or a configuration folder for its newest report).
pub fn list(
    location: &str,
    client: &Arc<S3Client>,
    bucket: &str,
    prefix: &str,
    versions: Versions,
    scope: &Scope,
    take: &mut dyn FnMut(Discovered) -> Result<(), FleetError>,
) -> Result<InventoryUsed, FleetError> {
    let inventory = Inventory::open(location, Some(client.as_ref()))
        .map_err(|e| FleetError::Inventory(e.to_string()))?;
    let manifest = inventory.manifest();
    if manifest.source_bucket != bucket {
        return Err(FleetError::Usage {
            message: format!(
                "{}: this inventory lists bucket {}, not {bucket}",
                inventory.location(),
                manifest.source_bucket
            ),
        });
    }
    let used = InventoryUsed {
        manifest: inventory.location().to_string(),
        created: created(manifest.creation_timestamp_ms),
    };
    let regional = client.for_bucket(bucket);
    // The planner's own failure, kept apart from the reader's errors.
    let mut failed = None;
    let read = inventory.rows(&mut |row| {
        if row.bucket != bucket || !row.key.starts_with(prefix) || row.is_delete_marker {
            return Ok(());
        }
        let latest = row.is_latest.unwrap_or(true);
        if versions == Versions::Current && !latest {
            return Ok(());
        }
        let size = row.size.unwrap_or(0);
        // Zero-byte "folder" markers are not objects (as in a listing).
        if row.key.ends_with('/') && size == 0 {
            return Ok(());
        }
        let version = match versions {
            Versions::All => row.version_id.as_deref().map(|id| (id, latest)),
            Versions::Current => None,
        };
        let object = regional.object_ref(
            bucket,
            &row.key,
            size,
            row.etag.clone(),
            version,
            row.last_modified,
            row.storage_class.as_deref(),
        );
        let found = match row.unreadable() {
            // Out of scope, it is not reported at all.
            Some(_) if scope.apply(Discovered::Object(object.clone())).is_none() => {
                return Ok(());
            }
            Some(why) => Discovered::Issue(ScanIssue {
                location: object.uri,
                kind: "skipped",
                message: format!("{why}; listed by the inventory, not read"),
            }),
            None => Discovered::Object(object),
        };
        take(found).map_err(|error| {
            let message = error.to_string();
            failed = Some(error);
            InventoryError::Stopped(message.into())
        })
    });
    match (read, failed) {
        (_, Some(error)) => Err(error),
        (Err(error), None) => Err(FleetError::Inventory(error.to_string())),
        (Ok(_), None) => Ok(used),
    }
}

/// The report's creation time (epoch milliseconds) as RFC 3339.
fn created(milliseconds: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(milliseconds);
    humantime::format_rfc3339_seconds(time).to_string()
}
