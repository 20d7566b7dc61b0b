//! Word, PowerPoint and OpenDocument text and presentations: zip packages
//! of XML parts. The text runs of each paragraph are joined (Word splits
//! words across runs at every formatting change), paragraphs end lines,
//! and each part is marked: `word/document.xml`, `word/footnotes.xml`, a
//! slide by number, its speaker notes.

use std::io::{Read, Seek};

use assay_classifiers::place::Place;
use quick_xml::Reader;
use quick_xml::events::Event;

use super::{DocumentError, Format, Text};

/// The most bytes of one XML part read (a bomb guard: parts are deflated).
const MAX_PART: u64 = 512 << 20;

pub(super) fn extract<R: Read + Seek>(
    format: Format,
    input: R,
    text: &mut Text<'_>,
) -> Result<(), DocumentError> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| DocumentError::corrupt(format, e))?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    if names.iter().any(|n| n == "META-INF/manifest.xml") {
        let manifest = read_part(&mut zip, "META-INF/manifest.xml", format)?;
        if memchr::memmem::find(&manifest, b"encryption-data").is_some() {
            return Err(DocumentError::Encrypted {
                format: format.name(),
            });
        }
    }
    match format {
        Format::Word => {
            let mut parts: Vec<&String> = names
                .iter()
                .filter(|n| {
                    n.starts_with("word/")
                        && n.ends_with(".xml")
                        && !n.contains("/_rels/")
                        && [
                            "document",
                            "header",
                            "footer",
                            "footnotes",
                            "endnotes",
                            "comments",
                        ]
                        .iter()
                        .any(|p| n["word/".len()..].starts_with(p))
                })
                .collect();
            // The body first, then headers, footers and notes in name order.
            parts.sort_by_key(|n| (n.as_str() != "word/document.xml", n.to_string()));
            for name in parts {
                text.mark(Place::part(name))?;
                let xml = read_part(&mut zip, name, format)?;
                write_runs(&xml, Dialect::Word, text, format, &mut |_, _| Ok(()))?;
            }
        }
        Format::Presentation => {
            let mut slides: Vec<(u32, bool, &String)> = names
                .iter()
                .filter_map(|n| {
                    let (number, notes) = if let Some(rest) = n.strip_prefix("ppt/slides/slide") {
                        (rest, false)
                    } else {
                        (n.strip_prefix("ppt/notesSlides/notesSlide")?, true)
                    };
                    Some((number.strip_suffix(".xml")?.parse().ok()?, notes, n))
                })
                .collect();
            slides.sort();
            for (number, notes, name) in slides {
                let mut place = Place::slide(number);
                if notes {
                    place.part = Some("notes".into());
                }
                text.mark(place)?;
                let xml = read_part(&mut zip, name, format)?;
                write_runs(&xml, Dialect::Drawing, text, format, &mut |_, _| Ok(()))?;
            }
        }
        _ => {
            // OpenDocument: content.xml holds the body (a presentation's
            // pages are draw:page elements); styles.xml headers and footers.
            for name in ["content.xml", "styles.xml"] {
                if !names.iter().any(|n| n == name) {
                    continue;
                }
                text.mark(Place::part(name))?;
                let xml = read_part(&mut zip, name, format)?;
                write_runs(&xml, Dialect::Open, text, format, &mut |text, page| {
                    text.mark(Place::slide(page))
                })?;
            }
        }
    }
    Ok(())
}

fn read_part<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    format: Format,
) -> Result<Vec<u8>, DocumentError> {
    let mut part = zip
        .by_name(name)
        .map_err(|e| DocumentError::corrupt(format, e))?;
    let mut xml = Vec::new();
    (&mut part)
        .take(MAX_PART)
        .read_to_end(&mut xml)
        .map_err(|e| DocumentError::corrupt(format, format!("{name}: {e}")))?;
    Ok(xml)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// WordprocessingML: `w:t` text, `w:p` paragraphs.
    Word,
    /// DrawingML (slides): `a:t` text, `a:p` paragraphs.
    Drawing,
    /// OpenDocument: text in `text:p`/`text:h`, pages in `draw:page`.
    Open,
}

/// Writes the text of one XML part: text nodes (in Word and DrawingML only
/// those of text elements), tabs and breaks, a line per paragraph.
/// `page` is told of each OpenDocument presentation page as it starts.
fn write_runs(
    xml: &[u8],
    dialect: Dialect,
    text: &mut Text<'_>,
    format: Format,
    page: &mut dyn FnMut(&mut Text<'_>, u32) -> Result<(), DocumentError>,
) -> Result<(), DocumentError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut in_text = dialect == Dialect::Open;
    let mut pages = 0u32;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| DocumentError::corrupt(format, e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match (dialect, e.local_name().into_inner()) {
                    (Dialect::Word, "t" | "delText" | "instrText") if !empty => in_text = true,
                    (Dialect::Drawing, "t") if !empty => in_text = true,
                    (Dialect::Word | Dialect::Drawing | Dialect::Open, "tab") => {
                        text.write("\t")?
                    }
                    (Dialect::Word, "br" | "cr") | (Dialect::Drawing, "br") => text.write("\n")?,
                    (Dialect::Open, "line-break") => text.write("\n")?,
                    (Dialect::Open, "s") => text.write(" ")?,
                    (Dialect::Open, "page") if e.name().into_inner() == "draw:page" => {
                        text.end_line()?;
                        pages += 1;
                        page(text, pages)?;
                    }
                    (Dialect::Open, "table-cell") => text.write("\t")?,
                    _ => {}
                }
            }
            Event::End(ref e) => match (dialect, e.local_name().into_inner()) {
                (Dialect::Word, "t" | "delText" | "instrText") | (Dialect::Drawing, "t") => {
                    in_text = false
                }
                (_, "p" | "h" | "table-row") => text.end_line()?,
                _ => {}
            },
            Event::Text(ref t) if in_text => {
                text.write(&t.xml10_content())?;
            }
            Event::GeneralRef(ref r) if in_text => {
                // Entity and character references between text pieces.
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.write(c.encode_utf8(&mut [0; 4]))?;
                } else {
                    let resolved = match r.xml10_content().as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    };
                    text.write(resolved)?;
                }
            }
            Event::CData(ref c) if in_text => {
                text.write(&c.xml10_content())?;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    text.end_line()
}
