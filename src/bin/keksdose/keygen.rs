//! `keksdose keygen FILE`: a new key pair for sealed forms.

use std::path::PathBuf;
use std::process::ExitCode;

use keksdose::seal::envelope;

use crate::error::CliError;
use crate::keyfile::{self, PassphraseSource};

/// Create a key pair for sealed forms: the secret key goes to FILE, the public key is printed.
///
/// The secret key is protected by a passphrase (Argon2id) unless --no-passphrase is given, and
/// an existing file is never overwritten.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  keksdose keygen controller.key")]
pub struct Args {
    /// Where the secret key goes (a new file).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Store the secret key without a passphrase.
    #[arg(long, conflicts_with = "passphrase_file")]
    no_passphrase: bool,
    #[command(flatten)]
    passphrase: PassphraseSource,
}

/// Generates a key pair, writes the secret key to a new file, prints the public key.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let Args {
        file,
        no_passphrase,
        passphrase,
    } = args;
    let protect = !no_passphrase;
    if file.exists() {
        return Err(CliError::Usage(format!(
            "{} exists; keksdose never overwrites a key file",
            file.display()
        )));
    }
    let given = if protect {
        let given = passphrase.read("Passphrase for the new secret key: ", true)?;
        if given.chars().count() < 12 {
            return Err(CliError::Usage(
                "the passphrase needs at least 12 characters (or use --no-passphrase)".into(),
            ));
        }
        Some(given)
    } else {
        None
    };
    let (secret, public) = envelope::generate();
    keyfile::write(
        &file,
        &secret,
        &public,
        given.as_deref().map(String::as_str),
    )?;
    let kid = public.kid();
    println!(
        "secret key written to {} ({})",
        file.display(),
        if protect {
            "passphrase-protected"
        } else {
            "NOT protected by a passphrase"
        }
    );
    println!("key id:     {kid}");
    println!("public key: {public}");
    println!();
    println!("For keksdose.json:");
    println!(
        r#"  "seal": {{ "keys": [{{ "kid": "{kid}", "publicKey": "{public}", "status": "active" }}] }}"#
    );
    Ok(ExitCode::SUCCESS)
}
