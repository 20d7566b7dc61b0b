//! Spreadsheets: Excel (xlsx, xlsm, xlsb and legacy xls) and OpenDocument
//! (ods), read with `calamine`. Each sheet's rows become lines of
//! tab-separated cells; each cell is marked with its sheet, reference and
//! the name in its column's header (the first non-empty row), so `ssn`
//! over a column makes the numbers under it social security numbers.

use std::io::{Read, Seek};
use std::sync::Arc;

use assay_classifiers::place::Place;
use calamine::{Data, Ods, Reader, Sheets, Xls, Xlsb, Xlsx};

use super::{DocumentError, Format, Text};

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
        "application/vnd.oasis.opendocument.spreadsheet" => {
            Ods::new(input).map(Sheets::Ods).map_err(Into::into)
        }
        _ => Xlsx::new(input).map(Sheets::Xlsx).map_err(Into::into),
    };
    let mut workbook = opened.map_err(classify_error)?;
    for sheet in workbook.sheet_names() {
        text.check_time()?;
        let range = match workbook.worksheet_range(&sheet) {
            Ok(range) => range,
            Err(error) => return Err(classify_error(error)),
        };
        let Some((first_row, first_column)) = range.start() else {
            continue;
        };
        let sheet_name: Arc<str> = Arc::from(sheet.as_str());
        let mut header: Vec<Option<String>> = Vec::new();
        for (index, row) in range.rows().enumerate() {
            let row_number = u64::from(first_row) + index as u64 + 1;
            let mut wrote = false;
            for (offset, cell) in row.iter().enumerate() {
                let value = match cell {
                    Data::Empty => continue,
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => {
                        format!("{}", *f as i64)
                    }
                    // Dates as people write them, so a date of birth reads as one.
                    Data::DateTime(d) if d.is_datetime() => excel_date(d.as_f64()),
                    other => other.to_string(),
                };
                let column = first_column + offset as u32;
                let name = header.get(offset).cloned().flatten();
                let mut place = Place::cell(Some(&sheet_name), row_number, column, name.as_deref());
                place.sheet = Some(sheet_name.clone());
                if wrote {
                    text.write("\t")?;
                }
                text.mark(place)?;
                text.write(&value)?;
                wrote = true;
            }
            if wrote && header.is_empty() {
                header = row
                    .iter()
                    .map(|c| match c {
                        Data::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                        _ => None,
                    })
                    .collect();
            }
            if wrote {
                text.write("\n")?;
            }
        }
    }
    Ok(())
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
    fn excel_serial_dates() {
        assert_eq!(super::excel_date(30_753.0), "1984-03-12");
        assert_eq!(super::excel_date(1.0), "1899-12-31");
        assert_eq!(super::excel_date(45_000.5), "2023-03-15 12:00:00");
        assert_eq!(super::excel_date(25_569.0), "1970-01-01");
    }
}
