//! Checks on a Parquet file's footer that the `parquet` crate leaves to
//! assertions: a column chunk whose offset or size is negative makes it
//! panic when the chunk is read (found by fuzzing, issue 22). Both readers
//! of Parquet (documents here, S3 Inventory data files in the scanner)
//! check the footer first, so such a file is a typed error naming the row group and column.

use parquet::file::metadata::ParquetMetaData;

/// The first column chunk whose byte range cannot be read, as a message
/// naming its row group and column.
pub fn check_column_ranges(metadata: &ParquetMetaData) -> Result<(), String> {
    for (group, row_group) in metadata.row_groups().iter().enumerate() {
        for (index, column) in row_group.columns().iter().enumerate() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let length = column.compressed_size();
            if start < 0 || length < 0 {
                return Err(format!(
                    "row group {group}, column {index} ({}): negative offset {start} or size {length}",
                    column.column_path()
                ));
            }
        }
    }
    Ok(())
}
