//! Prints the full names the name finder sees in files, one `path<TAB>name`
//! line each: the tool for checking what a change to the name lists
//! (catalog/names/) finds on real text. Paths come as arguments, or one a
//! line on standard input.
//!
//! ```sh
//! find /usr/share/doc -name '*.txt' | cargo run --release -p assay-classifiers --example names
//! ```

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let finder = assay_classifiers::pii::NameFinder::new();
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths = std::io::stdin().lock().lines().collect::<Result<_, _>>()?;
    }
    let mut out = std::io::stdout().lock();
    for path in paths {
        let Ok(text) = std::fs::read(&path) else {
            continue;
        };
        for span in finder.spans(&text) {
            let name = String::from_utf8_lossy(&text[span]);
            writeln!(out, "{path}\t{}", name.replace(['\n', '\t'], " "))?;
        }
    }
    Ok(())
}
