//! Planning from S3 Inventory reports: each row (read and verified by
//! `crate::inventory`) becomes the object a listing of the bucket would
//! have yielded, so a plan made from an inventory scans what a plan made
//! by listing would. Delete markers and, unless every version is asked
//! for, non-current versions are left out as a listing leaves them out;
//! objects that cannot be read with a plain GET (archived, SSE-C) are
//! listed as `skipped` and never fetched.

use std::sync::Arc;

use super::FleetError;
use crate::inventory::{Inventory, InventoryError};
use crate::record::ScanIssue;
use crate::report::InventoryUsed;
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
                kind: crate::record::IssueKind::Skipped,
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

/// `--inventory auto`: the folder of the bucket's own S3 Inventory
/// configuration that can stand in for listing `prefix`, if it has one:
/// enabled, delivered as CSV or Parquet (ORC is not read), covering the
/// prefix, and listing every version when every version is asked for.
/// Daily reports are preferred to weekly ones. A bucket whose
/// configurations cannot be read (no permission, a store without the API)
/// is listed instead, and the reason logged.
pub fn discover(
    client: &Arc<S3Client>,
    bucket: &str,
    prefix: &str,
    versions: Versions,
) -> Result<Option<String>, FleetError> {
    use aws_sdk_s3::types::{InventoryFormat, InventoryFrequency, InventoryIncludedObjectVersions};
    let regional = client.for_bucket(bucket);
    let mut configurations = Vec::new();
    let mut token = None;
    loop {
        let page = regional.block_on(
            regional
                .sdk()
                .list_bucket_inventory_configurations()
                .bucket(bucket)
                .set_continuation_token(token.take())
                .send(),
        );
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
                let reason = e
                    .code()
                    .map(str::to_string)
                    .unwrap_or_else(|| DisplayErrorContext(&e).to_string());
                tracing::warn!(
                    "s3://{bucket}: its inventory configurations cannot be read ({reason}); listing it instead"
                );
                return Ok(None);
            }
        };
        configurations.extend(page.inventory_configuration_list().iter().cloned());
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_string()),
            _ => break,
        }
    }
    let usable = configurations.iter().filter_map(|config| {
        let destination = config.destination()?.s3_bucket_destination()?;
        let readable = matches!(
            destination.format(),
            InventoryFormat::Csv | InventoryFormat::Parquet
        );
        let covers = config
            .filter()
            .is_none_or(|filter| prefix.starts_with(filter.prefix()));
        let has_versions = versions == Versions::Current
            || *config.included_object_versions() == InventoryIncludedObjectVersions::All;
        if !(config.is_enabled() && readable && covers && has_versions) {
            return None;
        }
        let daily = config
            .schedule()
            .is_some_and(|s| *s.frequency() == InventoryFrequency::Daily);
        // The destination is named by its ARN, `arn:aws:s3:::bucket`.
        let to = destination.bucket();
        let to = to.rsplit(':').next().unwrap_or(to);
        let folder = match destination.prefix().filter(|p| !p.is_empty()) {
            Some(p) => format!(
                "s3://{to}/{}/{bucket}/{}/",
                p.trim_end_matches('/'),
                config.id()
            ),
            None => format!("s3://{to}/{bucket}/{}/", config.id()),
        };
        Some((!daily, config.id().to_string(), folder))
    });
    let chosen = usable.min().map(|(_, _, folder)| folder);
    match &chosen {
        Some(folder) => tracing::info!("s3://{bucket}: listing from its inventory at {folder}"),
        None => tracing::info!(
            "s3://{bucket}: no inventory configuration serves this listing; listing it instead"
        ),
    }
    Ok(chosen)
}
