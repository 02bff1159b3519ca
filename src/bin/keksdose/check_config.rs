//! `keksdose check-config FILE...`: every problem of every file, with dotted paths.

use std::path::PathBuf;
use std::process::ExitCode;

use keksdose::config::Config;
use keksdose::consent::{config_hash, revision};

use crate::error::CliError;

/// Checks each file; exit status 1 when any is invalid.
pub fn run(parser: &mut lexopt::Parser) -> Result<ExitCode, CliError> {
    let mut files = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Value(file) => files.push(PathBuf::from(file)),
            other => return Err(other.unexpected().into()),
        }
    }
    if files.is_empty() {
        return Err(CliError::Usage(
            "check-config needs at least one FILE".into(),
        ));
    }
    let mut all_valid = true;
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| CliError::Io {
            path: path.clone(),
            source,
        })?;
        match Config::from_json(&text) {
            Ok(config) => {
                println!(
                    "{}: valid (tenant {}, revision {}, config hash {})",
                    path.display(),
                    config.tenant,
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
