//! `keksdose check-config FILE...`: every problem of every file, with dotted paths.

use std::path::PathBuf;
use std::process::ExitCode;

use keksdose::config::Config;
use keksdose::consent::{config_hash, revision};

use crate::error::CliError;

/// Validate config files: every problem with its dotted path, or the revision and config hash.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  keksdose check-config www/keksdose.json")]
pub struct Args {
    /// The config files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Checks each file; exit status 1 when any is invalid.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut all_valid = true;
    for path in args.files {
        let text = std::fs::read_to_string(&path).map_err(|source| CliError::Io {
            path: path.clone(),
            source,
        })?;
        match Config::from_json(&text) {
            Ok(config) => {
                println!(
                    "{}: valid (tenant {}, languages {}, revision {}, config hash {})",
                    path.display(),
                    config.tenant,
                    config.languages().join(" "),
                    revision(&config),
                    config_hash(&text)
                );
            }
            Err(error) => {
                all_valid = false;
                for problem in &error.problems {
                    println!("{}: {problem}", path.display());
                }
            }
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
