//! Spreadsheets: Excel xlsx and xlsm, streamed by [`xlsx`], xlsb and
//! legacy xls, read with `calamine`, and OpenDocument (ods), streamed by
//! [`ods`]. Each sheet's rows become lines of tab-separated cells; each
//! cell is marked with its sheet, reference and the name in its column's
//! header (the first non-empty row), so `ssn` over a column makes the
//! numbers under it social security numbers.

use std::io::{Read, Seek};
use std::sync::Arc;

use assay_classifiers::place::Place;
use calamine::{Data, ExcelDateTime, ExcelDateTimeType, Reader, Sheets, Xls, Xlsb};

use super::{DocumentError, Format, Text};

mod markup;
mod ods;
mod xlsx;

pub(super) fn extract<R: Read + Seek>(
    mime: &str,
    input: R,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    let opened: Result<Sheets<R>, calamine::Error> = match mime {
        "application/vnd.ms-excel" => Xls::new(input).map(Sheets::Xls).map_err(Into::into),
        "application/vnd.ms-excel.sheet.binary.macroEnabled.12" => {
            Xlsb::new(input).map(Sheets::Xlsb).map_err(Into::into)
        }
        // Streamed, not read whole by calamine.
        "application/vnd.oasis.opendocument.spreadsheet" => return ods::extract(input, text),
        _ => return xlsx::extract(input, text),
    };
    let mut workbook = opened.map_err(classify_error)?;
    // calamine hands on a 1904-system serial as it is; the writer counts
    // from 1900.
    let is_1904 = match &workbook {
        Sheets::Xls(book) => book.has_1904_epoch(),
        Sheets::Xlsb(book) => book.has_1904_epoch(),
        _ => false,
    };
    for sheet in workbook.sheet_names() {
        text.check_time()?;
        let mut rows = Rows::new(&sheet);
        let range = match workbook.worksheet_range(&sheet) {
            Ok(range) => range,
            Err(error) => return Err(classify_error(error)),
        };
        let Some((first_row, first_column)) = range.start() else {
            continue;
        };
        for (index, row) in range.rows().enumerate() {
            let row_number = first_row + index as u32;
            for (offset, cell) in row.iter().enumerate() {
                if *cell == Data::Empty {
                    continue;
                }
                let value = match cell {
                    Data::DateTime(date) if is_1904 && date.is_datetime() => {
                        Cell::Other(Data::DateTime(ExcelDateTime::new(
                            date.as_f64() + DAYS_1900_TO_1904,
                            ExcelDateTimeType::DateTime,
                            false,
                        )))
                    }
                    _ => Cell::of(cell),
                };
                rows.cell(row_number, first_column + offset as u32, value, text)?;
            }
        }
        rows.finish(text)?;
    }
    Ok(())
}

/// Days from Excel's 1900 epoch to its 1904 one (1904-01-01 is serial
/// 1,462 in the 1900 system): a 1904-system serial plus these is the same
/// date's 1900-system serial.
const DAYS_1900_TO_1904: f64 = 1462.0;

/// A cell's value: text as it is, or a number, date, boolean or error.
enum Cell<'a> {
    Text(&'a str),
    Other(Data),
}

impl<'a> Cell<'a> {
    /// A value as `calamine` gives it: strings, and dates and durations
    /// written as ISO 8601, are text as they are.
    fn of(data: &'a Data) -> Self {
        match data {
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s),
            other => Cell::Other(other.clone()),
        }
    }
}

/// Writes one sheet's non-empty cells, given in row order: each row a
/// line of tab-separated cells, each cell marked with its sheet, reference
/// and the name in its column's header (the first row that has a cell).
struct Rows {
    sheet: Arc<str>,
    /// The row being written (0-based), if any.
    row: Option<u32>,
    /// Header names by column (0-based), once the header row has ended.
    header: Option<Vec<Option<Arc<str>>>>,
    /// The header row's names while it is written.
    names: Vec<Option<Arc<str>>>,
}

impl Rows {
    fn new(sheet: &str) -> Self {
        Self {
            sheet: Arc::from(sheet),
            row: None,
            header: None,
            names: Vec::new(),
        }
    }

    fn cell(
        &mut self,
        row: u32,
        column: u32,
        value: Cell<'_>,
        text: &mut Text<'_>,
    ) -> Result<(), DocumentError> {
        if self.row != Some(row) {
            self.end_row(text)?;
            self.row = Some(row);
        } else {
            text.write("\t")?;
        }
        let row_number = u64::from(row) + 1;
        let name = self
            .header
            .as_ref()
            .and_then(|header| header.get(column as usize).cloned().flatten());
        if self.header.is_none() {
            let name = match &value {
                Cell::Text(s) if !s.trim().is_empty() => Some(Arc::from(s.trim())),
                _ => None,
            };
            let at = column as usize;
            if at < 1 << 16 {
                if self.names.len() <= at {
                    self.names.resize(at + 1, None);
                }
                self.names[at] = name;
            }
        }
        text.mark(Place {
            sheet: Some(self.sheet.clone()),
            row: Some(row_number),
            cell: Some(cell_reference(column, row_number)),
            column_name: name,
            ..Place::default()
        })?;
        match value {
            Cell::Text(s) => text.write(s),
            Cell::Other(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e17 => {
                text.write(&format!("{}", f as i64))
            }
            // Dates as people write them, so a date of birth reads as one.
            Cell::Other(Data::DateTime(d)) if d.is_datetime() => {
                text.write(&excel_date(d.as_f64()))
            }
            Cell::Other(other) => text.write(&other.to_string()),
        }
    }

    /// Ends the row being written; the first row's names become the header.
    fn end_row(&mut self, text: &mut Text<'_>) -> Result<(), DocumentError> {
        if self.row.take().is_none() {
            return Ok(());
        }
        if self.header.is_none() {
            self.header = Some(std::mem::take(&mut self.names));
        }
        text.write("\n")
    }

    fn finish(mut self, text: &mut Text<'_>) -> Result<(), DocumentError> {
        self.end_row(text)
    }
}

/// A cell's reference (`C7`) for a 0-based column and 1-based row, as
/// [`Place::cell`] writes it, made without intermediate strings: a table
/// marks every cell.
fn cell_reference(column: u32, row: u64) -> Arc<str> {
    // At most seven letters (even for u32::MAX) and twenty digits.
    let mut reference = [0u8; 28];
    let mut at = 8;
    let mut n = u64::from(column) + 1;
    while n > 0 {
        at -= 1;
        reference[at] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    let mut decimal = [0u8; 20];
    let digits = itoa(row, &mut decimal).as_bytes();
    reference[8..8 + digits.len()].copy_from_slice(digits);
    // Letters and digits only: always UTF-8.
    Arc::from(std::str::from_utf8(&reference[at..8 + digits.len()]).unwrap_or_default())
}

/// A number in decimal, written into `buffer`.
fn itoa(mut n: u64, buffer: &mut [u8; 20]) -> &str {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[at..]).unwrap_or_default()
}

/// An Excel serial date (days since 1899-12-30, the fraction the time of
/// day) as ISO 8601: `1984-03-12`, or `1984-03-12 08:30:00`.
fn excel_date(serial: f64) -> String {
    if !(0.0..2_958_466.0).contains(&serial) {
        return serial.to_string();
    }
    // Days from 1970-01-01, then the civil date (H. Hinnant's algorithm).
    let days = serial.floor() as i64 - 25_569;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let seconds = ((serial.fract() * 86_400.0).round() as i64).min(86_399);
    if seconds == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }
}

fn classify_error(error: calamine::Error) -> DocumentError {
    let message = error.to_string();
    if message.to_ascii_lowercase().contains("password") || message.contains("Encrypted") {
        DocumentError::Encrypted {
            format: Format::Spreadsheet.name(),
        }
    } else {
        DocumentError::corrupt(Format::Spreadsheet, message)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cell_references_are_those_places_write() {
        use assay_classifiers::place::Place;
        for (column, row) in [
            (0, 1),
            (2, 7),
            (25, 10),
            (26, 99),
            (701, 1_048_576),
            (u32::MAX, 3),
        ] {
            assert_eq!(
                Some(super::cell_reference(column, row)),
                Place::cell(None, row, column, None).cell,
                "{column} {row}"
            );
        }
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(super::excel_date(30_753.0), "1984-03-12");
        assert_eq!(super::excel_date(1.0), "1899-12-31");
        assert_eq!(super::excel_date(45_000.5), "2023-03-15 12:00:00");
        assert_eq!(super::excel_date(25_569.0), "1970-01-01");
    }
}
