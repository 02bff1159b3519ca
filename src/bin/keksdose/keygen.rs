//! `keksdose keygen FILE`: a new key pair for sealed forms.

use std::path::PathBuf;
use std::process::ExitCode;

use keksdose::seal::envelope;

use crate::error::CliError;
use crate::keyfile::{self, PassphraseSource};

/// Generates a key pair, writes the secret key to a new file, prints the public key.
pub fn run(parser: &mut lexopt::Parser) -> Result<ExitCode, CliError> {
    let mut file = None;
    let mut protect = true;
    let mut passphrase = PassphraseSource::default();
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long("no-passphrase") => protect = false,
            lexopt::Arg::Long("passphrase-file") => passphrase.file = Some(parser.value()?.into()),
            lexopt::Arg::Value(value) if file.is_none() => file = Some(PathBuf::from(value)),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = file.ok_or_else(|| CliError::Usage("keygen needs the FILE to write".into()))?;
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
