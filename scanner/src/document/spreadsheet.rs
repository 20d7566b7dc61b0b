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
    text: &mut Text<'_, '_>,
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
