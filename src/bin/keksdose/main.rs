//! `keksdose`: the controller's and admin's command-line tool.
//!
//! ```text
//! keksdose serve [--port N] [--host ADDR] [--root DIR] [--pkg DIR] [--db FILE] [--config FILE]...
//! keksdose keygen [--no-passphrase] [--passphrase-file FILE] FILE
//! keksdose open --key FILE [--format json|csv] [--output FILE] [--attachments DIR] INPUT...
//! keksdose check-config FILE...
//! ```

mod check_config;
mod error;
mod files;
mod http;
mod inbox;
mod keyfile;
mod keygen;
mod open;
mod serve;

use std::process::ExitCode;

use error::CliError;
use lexopt::ValueExt;

const USAGE: &str = "\
usage: keksdose <command> [options]

commands:
  serve           serve the demo site (www/) and the built package (pkg/ at /keksdose/), and
                  collect sealed submissions at POST /inbox/{tenant}
                    --host ADDR           address to listen on (default 127.0.0.1)
                    --port N              port (default 8080; 0 picks a free one)
                    --root DIR            site directory (default www)
                    --pkg DIR             package directory served at /keksdose/ (default pkg)
                    --mount /PREFIX/=DIR  serve DIR at /PREFIX/ too (repeatable)
                    --allow-origin SRC    add a CSP source for resources from elsewhere
                    --config FILE         tenants and seal keys to collect for (repeatable;
                                          default: keksdose.json in the site directory)
                    --db FILE             the inbox database (default keksdose.sqlite)
  keygen          create a key pair for sealed forms; prints the public key
                    FILE                  where the secret key goes (never overwritten)
                    --no-passphrase       store it unprotected
                    --passphrase-file F   read the passphrase from F (else KEKSDOSE_PASSPHRASE,
                                          else asked on the terminal)
  open            open sealed submissions to JSON or CSV
                    INPUT...              envelope files, directories, or an inbox database
                    --key FILE            the secret key file
                    --passphrase-file F   as for keygen
                    --format json|csv     default json
                    --output FILE         write there instead of stdout (never overwritten)
                    --attachments DIR     save attachments under DIR/<submission id>/
  check-config    validate config files; prints every problem with its dotted path
                    FILE...

  -h, --help      this text
  -V, --version   the version";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("keksdose: {error}");
            if matches!(error, CliError::Usage(_)) {
                eprintln!("\n{USAGE}");
            }
            error.exit_code()
        }
    }
}

fn run() -> Result<ExitCode, CliError> {
    let mut parser = lexopt::Parser::from_env();
    let command = match parser.next()? {
        Some(lexopt::Arg::Value(command)) => command.string()?,
        Some(lexopt::Arg::Short('h') | lexopt::Arg::Long("help")) => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(lexopt::Arg::Short('V') | lexopt::Arg::Long("version")) => {
            println!("keksdose {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => return Err(other.unexpected().into()),
        None => return Err(CliError::Usage("a command is required".into())),
    };
    match command.as_str() {
        "serve" => serve::run(serve::Options::parse(&mut parser)?),
        "keygen" => keygen::run(&mut parser),
        "open" => open::run(&mut parser),
        "check-config" => check_config::run(&mut parser),
        other => Err(CliError::Usage(format!("unknown command `{other}`"))),
    }
}
