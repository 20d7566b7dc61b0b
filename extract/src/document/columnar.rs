//! Data-lake files: Parquet (read with `parquet`, Snappy, gzip and zstd
//! pages) and Avro object containers (read with `apache-avro`, null,
//! deflate, Snappy and zstd blocks). Each record's values are written one
//! per line and marked with the record's index and the value's JSON path
//! (`$.customer.card_number`), whose last steps count as the keyword next
//! to the value.
//!
//! Only values that can hold text are read: strings, enums, JSON and bytes.
//! Numbers, booleans, dates and timestamps are read only when their column
//! or field is named as an identifier a detector looks for
//! ([`IDENTIFIER_WORDS`]: `ssn`, `card_number`, `account`, `phone`, `zip`,
//! ...), so a numeric `ssn` column is still found and a `price` column costs
//! nothing. A flat Parquet table is read column chunk by column chunk,
//! values borrowed from the decoded pages; nested ones row by row.

use std::io::{Seek, SeekFrom};

use parquet::file::reader::{FileReader, SerializedFileReader};

use assay_classifiers::place::Place;
use parquet::record::{Field, Row};

use super::{DocumentError, Format, Text};
use crate::spool::Spool;

pub(super) fn parquet(spool: Spool, text: &mut Text<'_>) -> Result<(), DocumentError> {
    match spool {
        Spool::Memory(cursor) => {
            let bytes = bytes::Bytes::from(cursor.into_inner());
            parquet_rows(SerializedFileReader::new(bytes), text)
        }
        Spool::File(reader) => {
            let mut file = reader.into_inner();
            file.seek(SeekFrom::Start(0))?;
            parquet_rows(SerializedFileReader::new(file), text)
        }
    }
}

fn parquet_rows<R: parquet::file::reader::ChunkReader + 'static>(
    reader: parquet::errors::Result<SerializedFileReader<R>>,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    let reader = reader.map_err(parquet_error)?;
    crate::parquet_guard::check_column_ranges(reader.metadata())
        .map_err(|message| DocumentError::corrupt(Format::Parquet, message))?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    if schema
        .columns()
        .iter()
        .all(|c| c.path().parts().len() == 1 && c.max_rep_level() == 0)
    {
        return parquet_flat(&reader, &schema, text);
    }
    let rows = reader.get_row_iter(None).map_err(parquet_error)?;
    let mut path = String::from("$");
    let mut paths = Paths::default();
    for (index, row) in rows.enumerate() {
        if index.is_multiple_of(1024) {
            text.check_time()?;
        }
        let row = row.map_err(parquet_error)?;
        paths.next_record();
        write_row(index as u64, &mut path, &row, &mut paths, text)?;
    }
    Ok(())
}

/// Records read from each column at a time.
const BATCH: usize = 1024;

/// A flat table (every column a top-level, non-repeated field: what most
/// data-lake tables are) is read column chunk by column chunk in batches of
/// [`BATCH`] records, its values borrowed from the decoded pages rather
/// than built into a row of fields per record, then written record by
/// record as the row reader wrote them. Columns that cannot hold text are
/// not decoded at all ([`reads_column`]).
fn parquet_flat<R: parquet::file::reader::ChunkReader + 'static>(
    reader: &SerializedFileReader<R>,
    schema: &parquet::schema::types::SchemaDescriptor,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    let columns = schema.columns();
    // Each column's place path, made once.
    let paths: Vec<std::sync::Arc<str>> = columns
        .iter()
        .map(|column| {
            let mut path = String::from("$");
            push_key(&mut path, column.name());
            std::sync::Arc::from(path)
        })
        .collect();
    let read: Vec<bool> = columns
        .iter()
        .zip(&paths)
        .map(|(column, path)| parquet_holds_text(column) || names_identifier(path))
        .collect();
    let mut record = 0u64;
    for group in 0..reader.num_row_groups() {
        let group = reader.get_row_group(group).map_err(parquet_error)?;
        let rows = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        let mut readers: Vec<Option<FlatColumn>> = Vec::with_capacity(columns.len());
        for (index, column) in columns.iter().enumerate() {
            readers.push(if read[index] {
                Some(FlatColumn::new(
                    column.clone(),
                    group.get_column_reader(index).map_err(parquet_error)?,
                ))
            } else {
                None
            });
        }
        let mut done = 0;
        while done < rows {
            text.check_time()?;
            let batch = BATCH.min(rows - done);
            for column in readers.iter_mut().flatten() {
                column.fill(batch).map_err(parquet_error)?;
            }
            for _ in 0..batch {
                for (column, path) in readers.iter_mut().zip(&paths) {
                    let Some(column) = column else { continue };
                    let Some(value) = column.next_value() else {
                        continue;
                    };
                    text.mark(Place {
                        record: Some(record),
                        path: Some(path.clone()),
                        ..Place::default()
                    })?;
                    text.write_lossy(&value)?;
                    text.write("\n")?;
                }
                record += 1;
            }
            done += batch;
        }
    }
    Ok(())
}

/// Whether a Parquet column holds text: strings, JSON, enums and raw bytes
/// (a secret in a binary column is still text). Numbers, booleans, dates,
/// times, timestamps and decimals do not.
fn parquet_holds_text(column: &parquet::schema::types::ColumnDescriptor) -> bool {
    use parquet::basic::{ConvertedType, LogicalType, Type};
    match column.physical_type() {
        Type::BYTE_ARRAY => !matches!(column.converted_type(), ConvertedType::DECIMAL),
        Type::FIXED_LEN_BYTE_ARRAY => {
            matches!(column.converted_type(), ConvertedType::NONE)
                && column.logical_type_ref() != Some(&LogicalType::Float16)
        }
        _ => false,
    }
}

/// One column chunk's reader and its current batch: definition levels
/// (whether each record has a value) and the values themselves.
struct FlatColumn {
    descr: parquet::schema::types::ColumnDescPtr,
    values: FlatValues,
    levels: Vec<i16>,
    /// The next record's level, and the next value, in the batch.
    next_level: usize,
    next: usize,
}

/// A typed reader and the values of its batch.
enum FlatValues {
    Bool(TypedColumn<parquet::data_type::BoolType>),
    Int32(TypedColumn<parquet::data_type::Int32Type>),
    Int64(TypedColumn<parquet::data_type::Int64Type>),
    Int96(TypedColumn<parquet::data_type::Int96Type>),
    Float(TypedColumn<parquet::data_type::FloatType>),
    Double(TypedColumn<parquet::data_type::DoubleType>),
    Bytes(TypedColumn<parquet::data_type::ByteArrayType>),
    Fixed(TypedColumn<parquet::data_type::FixedLenByteArrayType>),
}

type TypedColumn<T> = (
    parquet::column::reader::ColumnReaderImpl<T>,
    Vec<<T as parquet::data_type::DataType>::T>,
);

impl FlatColumn {
    fn new(
        descr: parquet::schema::types::ColumnDescPtr,
        reader: parquet::column::reader::ColumnReader,
    ) -> Self {
        use parquet::column::reader::ColumnReader as C;
        let values = match reader {
            C::BoolColumnReader(r) => FlatValues::Bool((r, Vec::new())),
            C::Int32ColumnReader(r) => FlatValues::Int32((r, Vec::new())),
            C::Int64ColumnReader(r) => FlatValues::Int64((r, Vec::new())),
            C::Int96ColumnReader(r) => FlatValues::Int96((r, Vec::new())),
            C::FloatColumnReader(r) => FlatValues::Float((r, Vec::new())),
            C::DoubleColumnReader(r) => FlatValues::Double((r, Vec::new())),
            C::ByteArrayColumnReader(r) => FlatValues::Bytes((r, Vec::new())),
            C::FixedLenByteArrayColumnReader(r) => FlatValues::Fixed((r, Vec::new())),
        };
        Self {
            descr,
            values,
            levels: Vec::new(),
            next_level: 0,
            next: 0,
        }
    }

    /// Reads the next `records` records' levels and values.
    fn fill(&mut self, records: usize) -> parquet::errors::Result<()> {
        fn read<T: parquet::data_type::DataType>(
            (reader, values): &mut TypedColumn<T>,
            levels: Option<&mut Vec<i16>>,
            records: usize,
        ) -> parquet::errors::Result<()> {
            values.clear();
            let mut levels = levels;
            if let Some(levels) = levels.as_deref_mut() {
                levels.clear();
            }
            let mut read = 0;
            while read < records {
                let (n, _, _) =
                    reader.read_records(records - read, levels.as_deref_mut(), None, values)?;
                if n == 0 {
                    return Err(parquet::errors::ParquetError::General(
                        "a column chunk holds fewer records than its row group".into(),
                    ));
                }
                read += n;
            }
            Ok(())
        }
        let levels = (self.descr.max_def_level() > 0).then_some(&mut self.levels);
        self.next_level = 0;
        self.next = 0;
        match &mut self.values {
            FlatValues::Bool(c) => read(c, levels, records),
            FlatValues::Int32(c) => read(c, levels, records),
            FlatValues::Int64(c) => read(c, levels, records),
            FlatValues::Int96(c) => read(c, levels, records),
            FlatValues::Float(c) => read(c, levels, records),
            FlatValues::Double(c) => read(c, levels, records),
            FlatValues::Bytes(c) => read(c, levels, records),
            FlatValues::Fixed(c) => read(c, levels, records),
        }
    }

    /// The next record's value as text, None when it is null. Strings and
    /// bytes are borrowed; other values are written as the row reader's
    /// fields print them.
    fn next_value(&mut self) -> Option<std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        if self.descr.max_def_level() > 0 {
            let level = *self.levels.get(self.next_level)?;
            self.next_level += 1;
            if level < self.descr.max_def_level() {
                return None;
            }
        }
        let at = self.next;
        self.next += 1;
        let descr = &self.descr;
        let shown = |field: Field| Cow::Owned(field.to_string().into_bytes());
        Some(match &self.values {
            FlatValues::Bytes((_, values)) => {
                let value = values.get(at)?;
                match descr.converted_type() {
                    parquet::basic::ConvertedType::DECIMAL => {
                        shown(Field::convert_byte_array(descr, value.clone()).ok()?)
                    }
                    // Written as text, invalid UTF-8 replaced.
                    _ => Cow::Borrowed(value.data()),
                }
            }
            FlatValues::Fixed((_, values)) => {
                let value = values.get(at)?;
                if parquet_holds_text(descr) {
                    Cow::Borrowed(value.data())
                } else {
                    shown(Field::convert_byte_array(descr, value.clone().into()).ok()?)
                }
            }
            FlatValues::Bool((_, v)) => shown(Field::convert_bool(descr, *v.get(at)?)),
            FlatValues::Int32((_, v)) => shown(Field::convert_int32(descr, *v.get(at)?)),
            FlatValues::Int64((_, v)) => shown(Field::convert_int64(descr, *v.get(at)?)),
            FlatValues::Int96((_, v)) => shown(Field::convert_int96(descr, *v.get(at)?)),
            FlatValues::Float((_, v)) => shown(Field::convert_float(descr, *v.get(at)?)),
            FlatValues::Double((_, v)) => shown(Field::convert_double(descr, *v.get(at)?)),
        })
    }
}

fn parquet_error(error: parquet::errors::ParquetError) -> DocumentError {
    match error {
        parquet::errors::ParquetError::NYI(message) => DocumentError::Unsupported {
            format: Format::Parquet.name(),
            message,
        },
        other => DocumentError::corrupt(Format::Parquet, other),
    }
}

/// A codec this build lacks (bzip2, xz) is unsupported, not corrupt.
fn avro_error(error: apache_avro::Error) -> DocumentError {
    let message = error.to_string();
    if message.contains("is not supported/enabled") {
        DocumentError::Unsupported {
            format: Format::Avro.name(),
            message,
        }
    } else {
        DocumentError::corrupt(Format::Avro, message)
    }
}

/// The largest allocation `apache-avro` may make for one value: a string,
/// a block, or (as elements, each tens of bytes) an array or map. Its own
/// default, 512 Mi, let a 500-byte file's map header reserve 43 GB and
/// abort the process (found by fuzzing, issue 22); real files' blocks are
/// tens of kilobytes.
const AVRO_MAX_ALLOCATION: usize = 16 << 20;

pub(super) fn avro(spool: Spool, text: &mut Text<'_>) -> Result<(), DocumentError> {
    // Process-wide, fixed by the first call: no Avro is decoded before it.
    apache_avro::util::max_allocation_bytes(AVRO_MAX_ALLOCATION);
    let reader = apache_avro::Reader::new(std::io::BufReader::new(spool)).map_err(avro_error)?;
    let mut path = String::from("$");
    let mut paths = Paths::default();
    for (index, value) in reader.enumerate() {
        if index.is_multiple_of(1024) {
            text.check_time()?;
        }
        let value = value.map_err(avro_error)?;
        paths.next_record();
        write_avro(index as u64, &mut path, &value, &mut paths, text)?;
    }
    Ok(())
}

/// Appends `.name` (or `["name"]`) to a JSON path.
fn push_key(path: &mut String, key: &str) {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", serde_json::Value::from(key)));
    }
}

/// Words in a column's or field's name that say its numbers are
/// identifiers a detector looks for: the keywords of the detectors that
/// match bare digits (social security, tax, bank account and routing,
/// card, phone, postal code, passport, licence, health and national
/// identity numbers). A numeric column is read only when its name holds
/// one of them; other numbers, booleans, dates and timestamps are not
/// read. Matched as whole words of the name split as [`Place::context`]
/// splits it (`customerSSN`, `card_number`, `Tax-ID`).
#[rustfmt::skip]
const IDENTIFIER_WORDS: &[&str] = &[
    // Social security, social insurance and national identity numbers.
    "ssn", "ss", "social", "security", "sec", "soc", "sin", "nas", "insurance", "national",
    "nn", "rijksregister", "bsn", "burgerservicenummer", "sofinummer", "pesel",
    "personnummer", "cpr", "nir", "insee", "hetu", "henkilötunnus", "identity",
    "sociale", "secu", "sécu", "securite", "sécurité", "assurance",
    // Tax identifiers.
    "tax", "tin", "itin", "ein", "nif", "contribuinte", "steuer", "idnr",
    "identifikationsnummer", "vat",
    // Bank and card numbers.
    "account", "acct", "iban", "bban", "routing", "aba", "rtn", "transit", "bank", "card",
    "cc", "ccn", "pan", "credit", "debit", "chase", "citi", "citibank", "bofa", "usbank",
    "bbva", "compass", "wells", "fargo",
    // Phone numbers and postal codes.
    "phone", "telephone", "tel", "mobile", "cell", "fax", "msisdn", "zip", "zipcode",
    "postal", "postcode",
    // Documents and health identifiers.
    "passport", "license", "licence", "driver", "drivers", "dl", "vin", "vehicle", "chassis",
    "nhs", "npi", "provider",
];

/// Whether the field at a JSON path is named as an identifier
/// ([`IDENTIFIER_WORDS`]): its numbers are read.
fn names_identifier(path: &str) -> bool {
    Place::record(0, path).context().is_some_and(|words| {
        words
            .split(' ')
            .any(|word| IDENTIFIER_WORDS.contains(&word))
    })
}

/// What is known of the paths records repeat: whether their numbers are
/// read ([`names_identifier`]), and each path's shared string, so a value's
/// place costs no allocation.
#[derive(Default)]
struct Paths {
    read: std::collections::HashMap<String, bool>,
    shared: std::collections::HashMap<String, std::sync::Arc<str>>,
    /// The paths of the last record's values, in order: the next record of
    /// one schema has the same, found by comparing rather than hashing.
    last_record: Vec<std::sync::Arc<str>>,
    /// Values written of the record at hand.
    leaf: usize,
}

/// Paths with list indices vary without end: each cache is bounded.
const PATHS: usize = 4096;

impl Paths {
    fn read(&mut self, path: &str) -> bool {
        if let Some(&read) = self.read.get(path) {
            return read;
        }
        if self.read.len() >= PATHS {
            self.read.clear();
        }
        let read = names_identifier(path);
        self.read.insert(path.to_string(), read);
        read
    }

    /// A new record starts.
    fn next_record(&mut self) {
        self.leaf = 0;
    }

    fn shared(&mut self, path: &str) -> std::sync::Arc<str> {
        let leaf = self.leaf;
        self.leaf += 1;
        if let Some(last) = self.last_record.get(leaf).filter(|last| ***last == *path) {
            return last.clone();
        }
        let shared = match self.shared.get(path) {
            Some(shared) => shared.clone(),
            None => {
                if self.shared.len() >= PATHS {
                    self.shared.clear();
                }
                let shared = std::sync::Arc::<str>::from(path);
                self.shared.insert(path.to_string(), shared.clone());
                shared
            }
        };
        if let Some(last) = self.last_record.get_mut(leaf) {
            *last = shared.clone();
        } else if leaf == self.last_record.len() && leaf < PATHS {
            self.last_record.push(shared.clone());
        }
        shared
    }
}

/// Writes one value on a line of its own, marked with its record and path.
fn write_leaf(
    record: u64,
    path: &str,
    value: &str,
    paths: &mut Paths,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    text.mark(Place {
        record: Some(record),
        path: Some(paths.shared(path)),
        ..Place::default()
    })?;
    text.write(value)?;
    text.write("\n")
}

fn write_row(
    record: u64,
    path: &mut String,
    row: &Row,
    paths: &mut Paths,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    for (name, field) in row.get_column_iter() {
        let len = path.len();
        push_key(path, name);
        write_field(record, path, field, paths, text)?;
        path.truncate(len);
    }
    Ok(())
}

fn write_field(
    record: u64,
    path: &mut String,
    field: &Field,
    paths: &mut Paths,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    match field {
        Field::Null => Ok(()),
        Field::Str(s) => write_leaf(record, path, s, paths, text),
        Field::Bytes(b) => write_leaf(
            record,
            path,
            &String::from_utf8_lossy(b.data()),
            paths,
            text,
        ),
        Field::Group(row) => write_row(record, path, row, paths, text),
        Field::ListInternal(list) => {
            for (index, item) in list.elements().iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                write_field(record, path, item, paths, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Field::MapInternal(map) => {
            for (key, value) in map.entries() {
                let len = path.len();
                let key = match key {
                    Field::Str(s) => s.clone(),
                    other => other.to_string(),
                };
                push_key(path, &key);
                write_field(record, path, value, paths, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        // Numbers, booleans, dates, timestamps and decimals.
        other if paths.read(path) => write_leaf(record, path, &other.to_string(), paths, text),
        _ => Ok(()),
    }
}

fn write_avro(
    record: u64,
    path: &mut String,
    value: &apache_avro::types::Value,
    paths: &mut Paths,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    use apache_avro::types::Value;
    match value {
        Value::Null => Ok(()),
        Value::String(s) | Value::Enum(_, s) => write_leaf(record, path, s, paths, text),
        Value::Bytes(b) | Value::Fixed(_, b) => {
            write_leaf(record, path, &String::from_utf8_lossy(b), paths, text)
        }
        Value::Union(_, inner) => write_avro(record, path, inner, paths, text),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                write_avro(record, path, item, paths, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Map(entries) => {
            // In key order, so a record's places do not depend on hashing.
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            for key in keys {
                let len = path.len();
                push_key(path, key);
                write_avro(record, path, &entries[key], paths, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Record(fields) => {
            for (name, field) in fields {
                let len = path.len();
                push_key(path, name);
                write_avro(record, path, field, paths, text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Uuid(u) => write_leaf(record, path, &u.to_string(), paths, text),
        // Numbers, booleans, dates, times and timestamps: read only when
        // their field is named as an identifier.
        _ if !paths.read(path) => Ok(()),
        Value::Boolean(b) => write_leaf(record, path, &b.to_string(), paths, text),
        Value::Int(i) | Value::Date(i) | Value::TimeMillis(i) => {
            write_leaf(record, path, &i.to_string(), paths, text)
        }
        Value::Long(l)
        | Value::TimeMicros(l)
        | Value::TimestampMillis(l)
        | Value::TimestampMicros(l)
        | Value::TimestampNanos(l) => write_leaf(record, path, &l.to_string(), paths, text),
        // NaN and infinities are values too (JSON has no place for them).
        Value::Float(f) => write_leaf(record, path, &f.to_string(), paths, text),
        Value::Double(d) => write_leaf(record, path, &d.to_string(), paths, text),
        other => write_leaf(record, path, &format!("{other:?}"), paths, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The detectors whose patterns match a bare run of digits and that
    /// need a keyword: every keyword of theirs, as a column name, keeps the
    /// column's numbers.
    const BARE_DIGIT_DETECTORS: &[&str] = &[
        "us_social_security_number",
        "us_bank_routing_number",
        "us_bank_account_number",
        "us_passport_number",
        "us_drivers_license",
        "phone_number",
        "vehicle_identification_number",
        "uk_passport_number",
        "uk_nhs_number",
        "canada_social_insurance_number",
        "germany_tax_id",
        "netherlands_bsn",
        "poland_pesel",
        "sweden_personnummer",
        "belgium_national_number",
        "portugal_nif",
        "denmark_cpr",
        "us_npi",
        "france_social_security_number",
        "chase_routing_number_california",
        "citibank_routing_number_california",
        "wells_fargo_routing_number_california",
    ];

    #[test]
    fn numbers_named_by_a_bare_digit_detectors_keyword_are_read() {
        let catalog = assay_classifiers::Catalog::builtin().unwrap();
        for id in BARE_DIGIT_DETECTORS {
            let detector = catalog
                .detectors
                .iter()
                .find(|d| d.id == *id)
                .unwrap_or_else(|| panic!("no detector {id}"));
            assert!(!detector.keywords.is_empty(), "{id}");
            for keyword in &detector.keywords {
                let path = format!("$[{}]", serde_json::Value::from(keyword.as_str()));
                assert!(names_identifier(&path), "{id}: {keyword}");
            }
        }
        for path in [
            "$.customerSSN",
            "$.card_number",
            "$[\"Tax-ID\"]",
            "$.billing.zip",
        ] {
            assert!(names_identifier(path), "{path}");
        }
        for path in [
            "$.price",
            "$.quantity",
            "$.created_at",
            "$.order_id",
            "$.paid",
        ] {
            assert!(!names_identifier(path), "{path}");
        }
    }
}
