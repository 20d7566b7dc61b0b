//! Planning from S3 Inventory reports: rows of the report (read by
//! `crate::inventory`) become the objects a listing would have yielded.

use std::sync::Arc;

use super::FleetError;
use super::plan::InventoryUsed;
use crate::source::Discovered;
use crate::source::s3::{S3Client, Versions};

/// Lists `s3://bucket/prefix` from the inventory at `location`.
pub fn list(
    location: &str,
    _client: &Arc<S3Client>,
    _bucket: &str,
    _prefix: &str,
    _versions: Versions,
    _take: &mut dyn FnMut(Discovered) -> Result<(), FleetError>,
) -> Result<InventoryUsed, FleetError> {
    Err(FleetError::Inventory(format!(
        "{location}: reading S3 Inventory reports is not built yet"
    )))
}
