//! `assay man`: the manual page (roff), generated from the clap
//! definitions: the command, then a section for each subcommand with its
//! synopsis and options, so one page documents everything.

use std::io::Write;

use clap::CommandFactory;

use crate::args::Cli;

pub fn run(out: &mut impl Write) -> anyhow::Result<()> {
    let mut command = Cli::command();
    // Gives each subcommand its full name (`assay rules list`) for its synopsis.
    command.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    // The subcommands are sections of this page, not pages of their own.
    let mut page = String::from_utf8_lossy(&page).into_owned();
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        page = page.replace(
            &format!("assay\\-{name}(1)"),
            &format!("assay {name} (below)"),
        );
    }
    out.write_all(page.as_bytes())?;
    for sub in command.get_subcommands() {
        subcommand(sub, out)?;
    }
    Ok(())
}

/// A section for `sub` and its own subcommands: its synopsis and options
/// as subsections (clap_mangen renders them as sections of a page).
fn subcommand(sub: &clap::Command, out: &mut impl Write) -> anyhow::Result<()> {
    if sub.is_hide_set() {
        return Ok(());
    }
    let name = sub.get_bin_name().unwrap_or(sub.get_name()).to_uppercase();
    writeln!(out, ".SH \"{}\"", name.replace('"', ""))?;
    let man = clap_mangen::Man::new(sub.clone());
    let mut body = Vec::new();
    man.render_description_section(&mut body)?;
    man.render_synopsis_section(&mut body)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut body)?;
    }
    let body = String::from_utf8_lossy(&body);
    for line in body.lines() {
        match line.strip_prefix(".SH ") {
            Some(title) => writeln!(out, ".SS {title}")?,
            None => writeln!(out, "{line}")?,
        }
    }
    for nested in sub.get_subcommands() {
        subcommand(nested, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_subcommand_with_its_options() {
        let mut page = Vec::new();
        run(&mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(".TH assay"), "{page}");
        assert!(
            !page.contains("(1)\n"),
            "a page of its own is named: {page}"
        );
        let mut command = Cli::command();
        command.build();
        let mut stack: Vec<&clap::Command> = command.get_subcommands().collect();
        let mut seen = 0;
        while let Some(sub) = stack.pop() {
            stack.extend(sub.get_subcommands());
            let full = sub.get_bin_name().unwrap_or(sub.get_name()).to_uppercase();
            assert!(
                page.contains(&format!(".SH \"{full}\"")),
                "no section {full}"
            );
            for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    // roff escapes the dashes of `--flag`.
                    let escaped = format!("\\-\\-{}", long.replace('-', "\\-"));
                    assert!(page.contains(&escaped), "{full}: no --{long}");
                }
            }
            seen += 1;
        }
        assert!(seen >= 6, "{seen} subcommands");
    }
}
