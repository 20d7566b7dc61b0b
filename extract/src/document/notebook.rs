//! Jupyter notebooks (nbformat 4): each cell's source, and the text of its
//! outputs (streams, `text/plain`, `text/html`, error tracebacks), marked
//! with the cell's index and JSON path, e.g. `$.cells[3].outputs[0].text`.
//! Images in outputs are left out.

use assay_classifiers::place::Place;
use serde_json::Value;

use super::{DocumentError, Format, Text};

pub(super) fn extract(bytes: &[u8], text: &mut Text<'_>) -> Result<(), DocumentError> {
    let notebook: Value =
        serde_json::from_slice(bytes).map_err(|e| DocumentError::corrupt(Format::Notebook, e))?;
    let cells = notebook
        .get("cells")
        .and_then(Value::as_array)
        .ok_or_else(|| DocumentError::corrupt(Format::Notebook, "no cells array"))?;
    for (index, cell) in cells.iter().enumerate() {
        text.check_time()?;
        let record = index as u64;
        if let Some(source) = cell.get("source") {
            text.mark(Place::record(record, &format!("$.cells[{index}].source")))?;
            write_lines(source, text)?;
        }
        let outputs = cell.get("outputs").and_then(Value::as_array);
        for (at, output) in outputs.into_iter().flatten().enumerate() {
            let base = format!("$.cells[{index}].outputs[{at}]");
            for key in ["text", "traceback"] {
                if let Some(value) = output.get(key) {
                    text.mark(Place::record(record, &format!("{base}.{key}")))?;
                    write_lines(value, text)?;
                }
            }
            if let Some(data) = output.get("data").and_then(Value::as_object) {
                for (kind, value) in data {
                    if kind.starts_with("text/") || kind == "application/json" {
                        text.mark(Place::record(record, &format!("{base}.data['{kind}']")))?;
                        write_lines(value, text)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A multi-line string is stored as a string or a list of lines.
fn write_lines(value: &Value, text: &mut Text<'_>) -> Result<(), DocumentError> {
    match value {
        Value::String(s) => text.write(s)?,
        Value::Array(lines) => {
            for line in lines {
                match line {
                    Value::String(s) => text.write(s)?,
                    other => text.write(&other.to_string())?,
                }
            }
        }
        other => text.write(&other.to_string())?,
    }
    text.end_line()
}
