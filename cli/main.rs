//! The `assay` command line: parses arguments, sets up logging and hands
//! each subcommand to its module in `commands/`.

mod args;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, RulesCommand, TrailCommand};

/// Exit codes (SPEC "Command line").
pub const EXIT_OK: u8 = 0;
pub const EXIT_THRESHOLD: u8 = 1;
pub const EXIT_FATAL: u8 = 2;
/// A fleet step failed in a way a retry may not meet (the store, a killed
/// shard); engines retry it. Also `merge`'s answer when units are missing.
pub const EXIT_RETRY: u8 = 3;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    init_logging(cli.quiet());
    withhold_panic_messages();
    let result = match cli.command {
        Command::Scan(args) if args.plan.is_some() => commands::fleet::shard(*args),
        Command::Scan(args) => commands::scan::run(*args),
        Command::Plan(args) => commands::fleet::plan(*args),
        Command::Merge(args) => commands::fleet::merge(*args),
        Command::Rules {
            command: RulesCommand::List(args),
        } => commands::rules::list(args).map(|()| EXIT_OK),
        Command::Trail {
            command: TrailCommand::Verify(args),
        } => commands::trail::verify(args),
        Command::Train(args) => commands::model::train(args),
        Command::Eval(args) => commands::model::eval(args),
        Command::Completions { shell } => {
            commands::completions::run(shell, &mut std::io::stdout().lock()).map(|()| EXIT_OK)
        }
        Command::Man => commands::man::run(&mut std::io::stdout().lock()).map(|()| EXIT_OK),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`assay scan ... | head`): what it wanted
        // was written; nothing to report.
        Err(error) if broken_pipe(&error) => ExitCode::from(EXIT_OK),
        Err(error) => {
            // One line, whatever a library's message holds (a TOML parse
            // error spans two), so it reads well in logs too.
            let text = format!("{error:#}");
            let text: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("assay: error: {}", text.join("; "));
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// Whether writing to standard output failed because its reader closed it.
fn broken_pipe(error: &anyhow::Error) -> bool {
    // serde_json's own error hides the io error from the chain.
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            })
            == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// `--help` and `--version` as clap prints them; a usage mistake in one
/// line: what is wrong, clap's tip if it has one, and where to read more.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        error.exit();
    }
    let text = error.render().to_string();
    // The first paragraph says what is wrong (a list may follow its colon).
    let mut paragraphs = text.split("\n\n");
    let what = paragraphs
        .next()
        .unwrap_or("invalid arguments")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let what = what.trim_start_matches("error: ");
    let mut message = format!("assay: error: {what}");
    let mut command = "assay".to_string();
    for line in paragraphs.flat_map(str::lines).map(str::trim) {
        if let Some(tip) = line.strip_prefix("tip: ") {
            message.push_str("; ");
            message.push_str(tip);
        } else if let Some(usage) = line.strip_prefix("Usage: ") {
            // `assay scan [OPTIONS] <TARGET>...`: the words before the options.
            command = usage
                .split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    eprintln!("{message}; see `{command} --help`");
    ExitCode::from(EXIT_FATAL)
}

/// A panic's message can quote what was being parsed (a third-party
/// document parser's "byte index 5 is not a char boundary; it is inside
/// ... of `<text>`"), and scanned text may hold a secret: only the place
/// is printed, unless ASSAY_DEBUG_PANICS is set.
fn withhold_panic_messages() {
    if std::env::var_os("ASSAY_DEBUG_PANICS").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        // `println!` to a reader that went away (`assay eval ... | head`):
        // as quiet as a report write that meets a closed pipe.
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(i32::from(EXIT_OK));
        }
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "assay: internal error at {at} (message withheld: it may quote scanned content; \
             set ASSAY_DEBUG_PANICS=1 to see it)"
        );
    }));
}

fn init_logging(quiet: bool) {
    use std::io::IsTerminal;
    let default = if quiet { "error" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ASSAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour only for a person at a terminal, and never under NO_COLOR
    // (https://no-color.org: set and not empty); log files stay plain.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && !no_color())
        .with_target(false)
        .init();
}

/// NO_COLOR is set to something (https://no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
