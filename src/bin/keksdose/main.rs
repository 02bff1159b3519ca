//! `keksdose`: the controller's and admin's command-line tool.
//!
//! ```text
//! keksdose serve [--port N] [--host ADDR] [--root DIR] [--pkg DIR] [--db FILE|URL] [--config FILE]...
//! keksdose collect --config FILE... [--port N] [--host ADDR] [--db FILE|URL] [--retention T=DAYS]...
//! keksdose keygen [--no-passphrase] [--passphrase-file FILE] FILE
//! keksdose export-key --key FILE [--passphrase-file FILE] OUTPUT
//! keksdose open --key FILE [--format json|csv] [--output FILE] [--attachments DIR] [--new LEDGER] INPUT...
//! keksdose check-config FILE...
//! keksdose receipts --db FILE --tenant TENANT [--consent-id ID] [--verify] [--format …]
//! keksdose completions SHELL
//! ```
//!
//! Every command has `--help` with an example; the command line is read by clap.

mod check_config;
mod collect;
mod csv;
mod error;
mod export_key;
mod files;
mod keyfile;
mod keygen;
mod ledger;
mod open;
mod receipts;
mod serve;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// keksdose: cookie consent that enforces "necessary only", and contact forms sealed to the
/// site owner's key. The controller's and admin's tool.
#[derive(Debug, Parser)]
#[command(name = "keksdose", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Serve(serve::Args),
    Collect(collect::Args),
    Keygen(keygen::Args),
    ExportKey(export_key::Args),
    Open(open::Args),
    CheckConfig(check_config::Args),
    Receipts(receipts::Args),
    /// Print the shell completion script for SHELL.
    #[command(
        after_help = "Example:\n  keksdose completions bash > /etc/bash_completion.d/keksdose"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to standard output with status 0; a usage error is one line.
        Err(error) if !error.use_stderr() => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("keksdose: {}", usage_message(&error));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Collect(args) => collect::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::ExportKey(args) => export_key::run(args),
        Command::Open(args) => open::run(args),
        Command::CheckConfig(args) => check_config::run(args),
        Command::Receipts(args) => receipts::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "keksdose",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("keksdose: {error}");
            error.exit_code()
        }
    }
}

/// A tenant named on the command line, checked with the rule configs and envelopes follow.
fn tenant_name(name: &str) -> Result<String, String> {
    if keksdose::tenant::is_valid(name) {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "tenant {name:?}: expected {}",
            keksdose::tenant::RULE
        ))
    }
}

/// clap's message on one line, without its `error: ` prefix and usage block, and where to read
/// more: `keksdose open: the following required arguments were not provided: --key <FILE> (see
/// `keksdose open --help`)`.
fn usage_message(error: &clap::Error) -> String {
    let text = error.to_string();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let mut message = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    // Clap lists missing arguments on indented lines after the first, and a suggestion
    // (`tip: a similar argument exists: '--port'`) after a blank line.
    let mut details = lines
        .by_ref()
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>();
    details.extend(lines.filter(|line| line.trim_start().starts_with("tip:")));
    for detail in details {
        let detail = detail.trim();
        match detail.strip_prefix("tip: ") {
            Some(tip) => {
                message.push_str("; ");
                message.push_str(tip);
            }
            None => {
                message.push(' ');
                message.push_str(detail);
            }
        }
    }
    let command = std::env::args()
        .nth(1)
        .filter(|name| Cli::command().find_subcommand(name).is_some());
    match command {
        Some(name) => format!("{message} (see `keksdose {name} --help`)"),
        None => format!("{message} (see `keksdose --help`)"),
    }
}
