//! `keksdose export-key --key FILE OUTPUT`: the plain secret key of a key file.

use std::path::PathBuf;
use std::process::ExitCode;

use keksdose::seal::envelope;

use crate::error::CliError;
use crate::keyfile::{self, PassphraseSource};

/// Write the secret key of a key file without its passphrase protection (`kdsk1…`, the plain
/// form of docs/key-file.md) to a new file, for another tool that opens submissions.
///
/// OUTPUT is created with mode 0600 and never overwritten. Whoever can read it can open every
/// submission sealed to the key: delete it when the other tool has it.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  keksdose export-key --key controller.key controller-plain.key")]
pub struct Args {
    /// The secret key file (from `keksdose keygen`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    #[command(flatten)]
    passphrase: PassphraseSource,
    /// Where the plain key goes (a new file).
    #[arg(value_name = "OUTPUT")]
    output: PathBuf,
}

/// Reads the key file (asking for its passphrase) and writes the plain key to a new file.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.output.exists() {
        return Err(CliError::Usage(format!(
            "{} exists; keksdose never overwrites a key file",
            args.output.display()
        )));
    }
    let secret = keyfile::read(&args.key, &args.passphrase)?;
    let public = envelope::public_key(&secret).map_err(|e| CliError::Key(e.to_string()))?;
    keyfile::write(&args.output, &secret, &public, None)?;
    println!(
        "plain secret key of {} (key id {}) written to {}, NOT protected by a passphrase",
        args.key.display(),
        public.kid(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
