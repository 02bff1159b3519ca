//! The CLI's errors: each says what failed and on which file or address.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

/// What can go wrong in a command.
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong.
    Usage(String),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file could not be used.
    Key(String),
    /// The inbox database could not be used.
    Database(String),
    /// The server could not start.
    Listen {
        /// The address asked for.
        address: String,
        /// Why.
        reason: String,
    },
}

impl CliError {
    /// Exit status: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) => f.write_str(message),
            CliError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CliError::Key(message) | CliError::Database(message) => f.write_str(message),
            CliError::Listen { address, reason } => {
                write!(f, "cannot listen on {address}: {reason}")
            }
        }
    }
}
