//! `assay completions SHELL`: a shell completion script, generated from the
//! clap definitions (so it never lags behind a new flag).

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;

pub fn run(shell: Shell, out: &mut impl Write) -> anyhow::Result<()> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand's name, nested ones included (`rules`, `list`, ...).
    pub(crate) fn subcommands(command: &clap::Command) -> Vec<String> {
        command
            .get_subcommands()
            .flat_map(|sub| std::iter::once(sub.get_name().to_string()).chain(subcommands(sub)))
            .collect()
    }

    #[test]
    fn each_shell_completes_every_subcommand() {
        let names = subcommands(&Cli::command());
        assert!(names.len() >= 6, "{names:?}");
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            let mut script = Vec::new();
            run(shell, &mut script).unwrap();
            let script = String::from_utf8(script).unwrap();
            assert!(script.len() > 1000, "{shell}: {script}");
            for name in &names {
                assert!(
                    script.contains(name.as_str()),
                    "{shell} script lacks {name}"
                );
            }
            // Flags of a subcommand are completed too.
            assert!(script.contains("max-archive-depth"), "{shell}");
        }
    }
}
