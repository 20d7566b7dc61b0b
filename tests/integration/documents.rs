//! Documents made by the real tools (python-docx, openpyxl, python-pptx, ReportLab,
//! LibreOffice, pyarrow, fastavro, SQLite, Python's e-mail package,
//! msoffcrypto-tool; see tests/documents/make.py): every planted secret is
//! found in its place (cell, page, slide, record and JSON path, table and
//! column, mail part), column names count as keywords, and encrypted,
//! cut and fake documents are reported without losing anything.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::util::*;

/// The documents, made once for every test here (LibreOffice is slow to start).
fn documents() -> &'static Path {
    static MADE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = MADE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("docs");
        python(&repo().join("tests/documents/make.py"), &[out.as_os_str()]);
        (dir, out)
    });
    path
}

fn scan_documents() -> &'static Vec<Value> {
    static RECORDS: OnceLock<Vec<Value>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let (output, records) = scan_records(documents(), &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        records
    })
}

/// The places (location fields other than line, column and offset) where
/// detector `id` matched in the record for `uri_suffix`.
fn places(uri_suffix: &str, id: &str) -> Vec<Value> {
    let record = record(scan_documents(), uri_suffix);
    let found = record["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{uri_suffix}: no {id} in {record}"));
    found["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let mut place = l.clone();
            for key in ["line", "column", "offset"] {
                place.as_object_mut().unwrap().remove(key);
            }
            place
        })
        .collect()
}

#[test]
fn word_processing_documents_name_their_part_and_join_split_runs() {
    // The token is split across a bold run and a plain one.
    assert_eq!(
        places("/release.docx", "github_key"),
        vec![json!({"part": "word/document.xml"})]
    );
    assert_eq!(
        places("/release.docx", "slack_api_token"),
        vec![json!({"part": "word/footer1.xml"})]
    );
    assert_eq!(
        places("/release.odt", "github_key"),
        vec![json!({"part": "content.xml"})]
    );
    assert_eq!(
        places("/release.odt", "slack_api_token"),
        vec![json!({"part": "styles.xml"})]
    );
    for legacy in ["/release.doc", "/release.rtf"] {
        let ids = regex_ids(record(scan_documents(), legacy));
        assert!(
            ids.contains(&"github_key".into()) && ids.contains(&"slack_api_token".into()),
            "{legacy}: {ids:?}"
        );
    }
    let doc = record(scan_documents(), "/release.doc");
    assert_eq!(doc["content_type"]["mime"], "application/msword");
}

#[test]
fn presentations_name_the_slide_and_its_notes() {
    for deck in ["/roadmap.pptx", "/roadmap.odp"] {
        assert_eq!(
            places(deck, "github_key"),
            vec![json!({"slide": 2})],
            "{deck}"
        );
    }
    assert_eq!(
        places("/roadmap.pptx", "slack_api_token"),
        vec![json!({"slide": 1, "part": "notes"})]
    );
}

#[test]
fn pdf_findings_carry_their_page() {
    assert_eq!(places("/pages.pdf", "github_key"), vec![json!({"page": 2})]);
    assert_eq!(
        places("/pages.pdf", "us_social_security_number"),
        vec![json!({"page": 3})]
    );
    // A word whose runs change font stays whole; the footer is read too.
    assert_eq!(
        places("/release.pdf", "github_key"),
        vec![json!({"page": 1})]
    );
    assert_eq!(
        places("/release.pdf", "slack_api_token"),
        vec![json!({"page": 1})]
    );
    // Chromium's print: table cells stay apart, the token in its cell.
    assert_eq!(
        places("/access-review.pdf", "github_key"),
        vec![json!({"page": 1})]
    );
    assert_eq!(
        places("/access-review.pdf", "us_social_security_number"),
        vec![json!({"page": 1})]
    );
    assert_eq!(
        places("/access-review.pdf", "slack_api_token"),
        vec![json!({"page": 2})]
    );
    // ReportLab: fonts without widths, a token inside a form XObject.
    assert_eq!(
        places("/invoice.pdf", "github_key"),
        vec![json!({"page": 1})]
    );
    assert_eq!(
        places("/invoice.pdf", "us_social_security_number"),
        vec![json!({"page": 1})]
    );
    // An owner password restricts printing, not reading.
    assert_eq!(
        places("/restricted.pdf", "github_key"),
        vec![json!({"page": 1})]
    );
}

#[test]
fn spreadsheet_cells_carry_sheet_reference_and_column_name() {
    for book in ["/staff.xlsx", "/staff.ods", "/staff.xls"] {
        // The bare 536221234 under "ssn" is a social security number.
        assert_eq!(
            places(book, "us_social_security_number"),
            vec![
                json!({"sheet": "Staff", "row": 2, "cell": "B2", "column_name": "ssn"}),
                json!({"sheet": "Staff", "row": 3, "cell": "B3", "column_name": "ssn"}),
            ],
            "{book}"
        );
        assert_eq!(
            places(book, "credit_card_number"),
            vec![json!({"sheet": "Staff", "row": 2, "cell": "C2", "column_name": "card_number"})],
            "{book}"
        );
        assert_eq!(
            places(book, "aws_access_key"),
            vec![json!({"sheet": "Staff", "row": 3, "cell": "D3", "column_name": "notes"})],
            "{book}"
        );
    }
    // A date cell under "dob", read as the date it shows (an Excel serial
    // number otherwise).
    assert_eq!(
        places("/staff.xlsx", "date_of_birth"),
        vec![json!({"sheet": "Staff", "row": 2, "cell": "E2", "column_name": "dob"})]
    );
    let xls = record(scan_documents(), "/staff.xls");
    assert_eq!(xls["content_type"]["mime"], "application/vnd.ms-excel");
}

/// The ods and xlsx readers stream cells themselves, where calamine reads
/// a whole sheet: they must read the cells calamine reads, with the same
/// values in the same places. LibreOffice's `layout.ods` and its
/// `layout-libreoffice.xlsx` (shared strings, date and time styles)
/// hold cells away from A1, repeated cells, merged cells, paragraphs, runs
/// of spaces, tabs, entities, a comment, numbers, dates and a formula;
/// openpyxl's `layout.xlsx` and `staff.xlsx` hold inline strings, numbers,
/// a date and booleans.
#[test]
fn streamed_cells_are_the_cells_calamine_reads() {
    for (book, mime) in [
        (
            "layout.ods",
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("layout-libreoffice.xlsx", XLSX),
        ("layout.xlsx", XLSX),
        ("staff.xlsx", XLSX),
    ] {
        let expected = calamine_cells(&documents().join(book));
        let streamed = streamed_cells(&documents().join(book), mime);
        assert_eq!(streamed, expected, "{book}");
        if book.starts_with("layout") {
            for cell in [
                ("Layout", "C9", "first line\nsecond line"),
                ("Layout", "D9", "wide    gap"),
                ("Layout", "E9", "tab\there"),
                ("Layout", "F9", "R&D <team> \"quoted\""),
                ("Layout", "F8", "same"),
                ("Layout", "G12", "commented"),
                ("Layout", "Z13", "far right"),
                ("Second", "B2", "second sheet"),
            ] {
                // LibreOffice's xlsx export drops the tab from the text.
                if book == "layout-libreoffice.xlsx" && cell.1 == "E9" {
                    continue;
                }
                let cell = (cell.0.to_string(), cell.1.to_string(), cell.2.to_string());
                assert!(
                    expected.contains(&cell),
                    "{book}: {cell:?} not in {expected:?}"
                );
            }
        }
    }
}

/// A workbook whose dates count from 1904 (openpyxl's, and LibreOffice's
/// xls of it, which calamine reads) gives the dates it holds: calamine
/// hands on such serials as they are, four years and a day early when
/// read as 1900-system serials.
#[test]
fn dates_counted_from_1904_are_the_dates_written() {
    for (book, mime) in [
        ("mac1904.xlsx", XLSX),
        ("mac1904.xls", "application/vnd.ms-excel"),
    ] {
        let cells = streamed_cells(&documents().join(book), mime);
        let dob = (
            "Dates".to_string(),
            "B2".to_string(),
            "1984-03-12".to_string(),
        );
        assert!(cells.contains(&dob), "{book}: {cells:?}");
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Each non-empty cell calamine reads, as (sheet, reference, the text the
/// spreadsheet reader writes for its value), sheet by sheet, row by row.
fn calamine_cells(path: &Path) -> Vec<(String, String, String)> {
    use assay_classifiers::place::Place;
    use calamine::{Data, Reader};

    let mut book = calamine::open_workbook_auto(path).unwrap();
    let mut cells = Vec::new();
    for sheet in book.sheet_names() {
        let range = book.worksheet_range(&sheet).unwrap();
        let Some((first_row, first_column)) = range.start() else {
            continue;
        };
        for (row, column, value) in range.used_cells() {
            // As the spreadsheet reader writes a cell's value.
            let shown = match value {
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
                Data::DateTime(d) if d.is_datetime() => serial_date(d.as_f64()),
                other => other.to_string(),
            };
            let cell = Place::cell(
                None,
                u64::from(first_row) + row as u64 + 1,
                first_column + column as u32,
                None,
            )
            .cell
            .unwrap();
            cells.push((sheet.clone(), cell.to_string(), shown));
        }
    }
    cells
}

/// An Excel serial date as ISO 8601, counted day by day from 1899-12-30
/// (a different way from the reader's, so each checks the other).
fn serial_date(serial: f64) -> String {
    let (mut year, mut month, mut day) = (1899, 12, 30);
    let month_days = |year: i32, month: u32| match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    for _ in 0..serial.floor() as i64 {
        day += 1;
        if day > month_days(year, month) {
            (day, month) = (1, month + 1);
            if month > 12 {
                (month, year) = (1, year + 1);
            }
        }
    }
    let seconds = (serial.fract() * 86_400.0).round() as u32;
    match seconds {
        0 => format!("{year:04}-{month:02}-{day:02}"),
        s => format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        ),
    }
}

/// Each cell the document reader marks, as [`calamine_cells`] lists them.
fn streamed_cells(path: &Path, mime: &str) -> Vec<(String, String, String)> {
    use assay_classifiers::place::Place;
    use assay_extract::document::{self, Format, Limits};

    /// Each mark's place and the text written after it.
    #[derive(Default)]
    struct Cells(Vec<(Place, String)>);
    impl assay_extract::TextSink for Cells {
        fn feed(&mut self, text: &[u8]) {
            let last = self.0.last_mut().expect("text after a mark");
            last.1.push_str(std::str::from_utf8(text).unwrap());
        }
        fn mark(&mut self, place: Place) {
            self.0.push((place, String::new()));
        }
    }
    let mut cells = Cells::default();
    let mut text = document::Text::new(&mut cells, Limits::default());
    let outcome = document::extract(
        Format::Spreadsheet,
        mime,
        document::Input::File(path),
        &mut text,
        &mut |_| {},
    );
    let document::Outcome::Extracted { result, .. } = outcome else {
        panic!("{} was not extracted", path.display());
    };
    result.unwrap();
    cells
        .0
        .into_iter()
        .map(|(place, written)| {
            // The cell's separator (a tab, or the row's end) follows it.
            let value = written
                .strip_suffix('\t')
                .or_else(|| written.strip_suffix('\n'))
                .unwrap_or(&written);
            (
                place.sheet.unwrap().to_string(),
                place.cell.unwrap().to_string(),
                value.to_string(),
            )
        })
        .collect()
}

#[test]
fn csv_cells_keep_the_file_lines() {
    let found = record(scan_documents(), "/export.csv");
    let ssn = found["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "us_social_security_number")
        .expect("the bare number under ssn");
    // Row 3 of the file, third column; line and column are the file's.
    assert_eq!(
        ssn["locations"][0],
        json!({"line": 3, "column": 20, "offset": 88, "row": 3, "cell": "C3", "column_name": "ssn"})
    );
}

#[test]
fn records_carry_index_and_json_path() {
    assert_eq!(
        places("/customers.parquet", "us_social_security_number"),
        vec![json!({"record": 1, "path": "$.customer.tax.ssn"})]
    );
    assert_eq!(
        places("/customers.parquet", "github_key"),
        vec![json!({"record": 1, "path": "$.note"})]
    );
    // zstd pages, second row group.
    assert_eq!(
        places("/orders.zstd.parquet", "slack_api_token"),
        vec![json!({"record": 5, "path": "$.api_key"})]
    );
    assert_eq!(
        places("/payments.avro", "credit_card_number"),
        vec![json!({"record": 1, "path": "$.card_number"})]
    );
    assert_eq!(
        places("/payments.avro", "slack_api_token"),
        vec![json!({"record": 1, "path": "$.memo"})]
    );
    // Binary values are read as the text they hold; a NaN before them
    // does not stop the file.
    assert_eq!(
        places("/blobs.parquet", "github_key"),
        vec![json!({"record": 1, "path": "$.blob"})]
    );
    // Numbers are read where the column or field is named as an
    // identifier (`ssn`), not elsewhere: the card number under `price` is
    // not read, so not found.
    for file in ["/numbers.parquet", "/numbers.avro"] {
        assert_eq!(
            places(file, "us_social_security_number"),
            vec![json!({"record": 0, "path": "$.ssn"})],
            "{file}"
        );
        let found = record(scan_documents(), file);
        let ids: Vec<&Value> = found["regexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["id"])
            .collect();
        assert_eq!(ids, vec!["us_social_security_number"], "{file}: {found}");
    }
    let avro = record(scan_documents(), "/payments.avro");
    assert!(avro["errors"].as_array().unwrap().is_empty(), "{avro}");
    assert_eq!(
        places("/analysis.ipynb", "github_key"),
        vec![json!({"record": 1, "path": "$.cells[1].source"})]
    );
    assert_eq!(
        places("/analysis.ipynb", "aws_secret_key"),
        vec![json!({"record": 2, "path": "$.cells[2].outputs[0].text"})]
    );
}

#[test]
fn database_values_carry_table_row_and_column() {
    assert_eq!(
        places("/app.db", "us_social_security_number"),
        vec![json!({"table": "users", "row": 2, "column_name": "ssn"})]
    );
    assert_eq!(
        places("/app.db", "github_key"),
        vec![json!({"table": "settings", "row": 2, "column_name": "value"})]
    );
}

#[test]
fn mail_parts_are_named_and_attachments_are_members() {
    assert_eq!(
        places("/handover.eml", "slack_api_token"),
        vec![json!({"part": "body"})]
    );
    // The base64 attachments are decoded and classified as members.
    let credentials = record(scan_documents(), "/handover.eml!/credentials");
    assert_eq!(credentials["regexes"][0]["id"], "aws_access_key");
    assert!(regex_ids(credentials).contains(&"aws_secret_key".into()));
    assert_eq!(
        places("/handover.eml!/staff.xlsx", "us_social_security_number")[0],
        json!({"sheet": "Staff", "row": 2, "cell": "B2", "column_name": "ssn"})
    );
    // A forwarded message inside, and its own attachment inside that.
    let nested = record(scan_documents(), "/handover.eml!/fwd.eml!/deploy-note.txt");
    assert_eq!(nested["regexes"][0]["id"], "github_key", "{nested}");
    let mail = record(scan_documents(), "/handover.eml");
    assert_eq!(mail["content_type"]["mime"], "message/rfc822");
    assert_eq!(mail["risk"], 8, "{mail}");
}

/// An Outlook item nobody here wrote: the test message of the `msgreader`
/// npm package (tests/run installs it with the precision tree).
#[test]
fn outlook_items_name_their_properties_and_attachments_are_members() {
    let message = npm_tree().join("msgreader/data/test.msg");
    assert!(
        message.is_file(),
        "{} missing: run tests/run",
        message.display()
    );
    let output = assay()
        .args(["scan", message.to_str().unwrap(), "--format", "jsonl"])
        .output()
        .unwrap();
    let records: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let item = records
        .iter()
        .find(|r| r["uri"].as_str().is_some_and(|u| u.ends_with("test.msg")))
        .expect("the message's own record");
    assert_eq!(item["content_type"]["mime"], "application/vnd.ms-outlook");
    assert_eq!(item["errors"], json!([]), "{item}");
    let emails = item["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "email_address")
        .expect("the recipients' addresses");
    let parts: Vec<&str> = emails["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["part"].as_str())
        .collect();
    assert!(parts.contains(&"recipient 1 address"), "{parts:?}");
    // Its attachment (a JPEG) is classified as a member of the message.
    let member = records
        .iter()
        .find(|r| r["uri"].as_str().is_some_and(|u| u.contains("test.msg!/")))
        .expect("the attachment as a member");
    assert_eq!(member["content_type"]["mime"], "image/jpeg", "{member}");
}

#[test]
fn secrets_never_appear_in_full() {
    let everything = scan_documents()
        .iter()
        .map(Value::to_string)
        .collect::<String>();
    for secret in [
        "ghp_R8x2Lq9Vt4Zm7Kc1Wn5Hy3Jd6Pf0Gs2Ab4Cd",
        "9f/Kq2Lr7Tz0WbXe4YcV1uNs8Hd3Jm6Pa5Ro2Qi+",
        "536221234",
        "4539148803436467",
    ] {
        assert!(!everything.contains(secret), "{secret} printed");
    }
}

#[test]
fn encrypted_cut_and_fake_documents_are_reported() {
    let kinds = |suffix: &str| -> Vec<String> {
        record(scan_documents(), suffix)["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    for locked in ["/locked.pdf", "/locked.docx"] {
        assert_eq!(kinds(locked), vec!["encrypted"], "{locked}");
        let found = record(scan_documents(), locked);
        // Rated as Macie rates encrypted content.
        assert_eq!(found["risk"], 2, "{found}");
        assert!(
            found["risk_factors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["detail"] == "encrypted"),
            "{found}"
        );
    }
    for broken in [
        "/broken/cut.docx",
        "/broken/cut.pdf",
        "/broken/fake.parquet",
    ] {
        assert_eq!(kinds(broken), vec!["corrupt"], "{broken}");
    }
}

#[test]
fn documents_inside_archives_and_over_the_size_limit() {
    let work = tempfile::tempdir().unwrap();
    let status = tool("tar")
        .arg("czf")
        .arg(work.path().join("bundle.tgz"))
        .arg("-C")
        .arg(documents())
        .args(["staff.xlsx", "pages.pdf"])
        .status()
        .unwrap();
    assert!(status.success());
    let (_, records) = scan_records(work.path(), &[]);
    let pdf = record(&records, "bundle.tgz!/pages.pdf");
    assert_eq!(pdf["regexes"][0]["locations"][0]["page"], 2, "{pdf}");
    let book = record(&records, "bundle.tgz!/staff.xlsx");
    assert!(regex_ids(book).contains(&"us_social_security_number".into()));

    // Over --max-document-bytes: scanned as bytes, and said so.
    let (_, records) = scan_records(
        &documents().join("staff.xlsx"),
        &["--max-document-bytes", "1000"],
    );
    let limited = &records[0];
    assert_eq!(limited["errors"][0]["kind"], "document_limit", "{limited}");
    assert!(limited["regexes"].as_array().unwrap().is_empty());
}

#[test]
fn a_column_name_is_context_only_for_its_own_column() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("orders.csv"),
        "order_id,ssn\n536221234,\n,536221234\n",
    )
    .unwrap();
    let (_, records) = scan_records(work.path(), &[]);
    let orders = record(&records, "orders.csv");
    let ssn = orders["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "us_social_security_number")
        .expect("the number under ssn");
    assert_eq!(ssn["count"], 1, "the order id is not an SSN: {orders}");
    assert_eq!(ssn["locations"][0]["cell"], "B3");
}

#[test]
fn document_places_validate_against_the_report_schema() {
    let validator = crate::schema::record_validator();
    for record in scan_documents() {
        crate::schema::assert_valid(&validator, record, record["uri"].as_str().unwrap());
    }
}

#[test]
fn json_values_carry_record_and_path_and_keep_file_lines() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("people.json"),
        "[\n  {\"name\": \"Dana\", \"tax\": {\"ssn\": 111223333}},\n  {\"name\": \"Omar\",\n   \"tax\": {\"ssn\": 536221234, \"note\": \"a \\\"quoted\\\" word\"}}\n]\n",
    )
    .unwrap();
    std::fs::write(
        work.path().join("events.jsonl"),
        "{\"event\": \"login\"}\n{\"event\": \"deploy\", \"auth\": [\"none\", \"ghp_R8x2Lq9Vt4Zm7Kc1Wn5Hy3Jd6Pf0Gs2Ab4Cd\"]}\n",
    )
    .unwrap();
    let (_, records) = scan_records(work.path(), &[]);
    let people = record(&records, "people.json");
    let ssn = people["regexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "us_social_security_number")
        .unwrap_or_else(|| panic!("{people}"));
    // The second element of the top-level array, line 4 of the file.
    assert_eq!(
        ssn["locations"].as_array().unwrap().last().unwrap(),
        &json!({"line": 4, "column": 19, "offset": 86, "record": 1, "path": "$.tax.ssn"})
    );
    let events = record(&records, "events.jsonl");
    let token = &events["regexes"][0];
    assert_eq!(token["id"], "github_key");
    assert_eq!(token["locations"][0]["line"], 2);
    assert_eq!(token["locations"][0]["record"], 1);
    assert_eq!(token["locations"][0]["path"], "$.auth[1]");
}

#[test]
fn damaged_documents_never_stop_the_scan() {
    // Every document, cut short at three points and with bytes flipped
    // through its body: each gets a record, and the scan completes.
    let work = tempfile::tempdir().unwrap();
    let mut made = 0;
    for entry in std::fs::read_dir(documents()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        for (variant, damaged) in [
            ("cut10", bytes[..bytes.len() / 10].to_vec()),
            ("cut50", bytes[..bytes.len() / 2].to_vec()),
            ("cut90", bytes[..bytes.len() * 9 / 10].to_vec()),
            (
                "flipped",
                bytes
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| if i > 64 && i % 97 == 0 { b ^ 0x5a } else { b })
                    .collect(),
            ),
        ] {
            std::fs::write(work.path().join(format!("{variant}-{name}")), damaged).unwrap();
            made += 1;
        }
    }
    let (output, records) = scan_records(work.path(), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let top_level = records
        .iter()
        .filter(|r| !r["uri"].as_str().unwrap().contains("!/"))
        .count();
    assert_eq!(top_level, made, "a record for every damaged document");
}
