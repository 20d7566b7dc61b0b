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
    let cli = Cli::parse();
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
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("assay: error: {error:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
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
    let default = if quiet { "error" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ASSAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
