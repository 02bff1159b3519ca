//! The controller's secret-key file on disk (its format: `keksdose::seal::keyfile`), and how
//! the passphrase is obtained.

use std::io::Write;
use std::path::{Path, PathBuf};

use keksdose::seal::keyfile;
use keksdose::seal::keys::{PublicKey, SecretKey};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::files;

/// Where the passphrase comes from.
#[derive(Debug, Default, clap::Args)]
pub struct PassphraseSource {
    /// Read the passphrase from the first line of FILE (else KEKSDOSE_PASSPHRASE, else it is
    /// asked for on the terminal).
    #[arg(long = "passphrase-file", id = "passphrase_file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

impl PassphraseSource {
    /// The passphrase: from `--passphrase-file`, else `KEKSDOSE_PASSPHRASE`, else asked for on
    /// the terminal (twice when `confirm`).
    pub fn read(&self, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, CliError> {
        if let Some(path) = &self.file {
            let text =
                Zeroizing::new(
                    std::fs::read_to_string(path).map_err(|source| CliError::Io {
                        path: path.clone(),
                        source,
                    })?,
                );
            return Ok(Zeroizing::new(
                text.lines().next().unwrap_or_default().to_owned(),
            ));
        }
        if let Ok(passphrase) = std::env::var("KEKSDOSE_PASSPHRASE") {
            return Ok(Zeroizing::new(passphrase));
        }
        let ask = |prompt: &str| {
            ask_on_terminal(prompt).map_err(|_| {
                CliError::Usage(
                    "no passphrase: there is no terminal to ask on; use --passphrase-file or \
                     KEKSDOSE_PASSPHRASE"
                        .into(),
                )
            })
        };
        let passphrase = ask(prompt)?;
        if confirm && *ask("Repeat the passphrase: ")? != *passphrase {
            return Err(CliError::Usage("the passphrases differ".into()));
        }
        Ok(passphrase)
    }
}

/// Asks for a passphrase on the controlling terminal. Echo goes off before the prompt is
/// printed, so that nothing typed as soon as the prompt shows is echoed; the terminal's
/// settings come back afterwards, also when reading fails.
#[cfg(unix)]
fn ask_on_terminal(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    use std::io::Read;

    use rustix::termios::{LocalModes, OptionalActions, Termios, tcgetattr, tcsetattr};

    /// Puts the terminal's settings back when dropped.
    struct Restore<'a> {
        tty: &'a std::fs::File,
        saved: Termios,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let _ = tcsetattr(self.tty, OptionalActions::Now, &self.saved);
        }
    }

    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let saved = tcgetattr(&tty)?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    // The Enter key still moves to the next line.
    quiet.local_modes.insert(LocalModes::ECHONL);
    tcsetattr(&tty, OptionalActions::Now, &quiet)?;
    let _restore = Restore { tty: &tty, saved };
    (&tty).write_all(prompt.as_bytes())?;
    // Byte by byte into memory that is wiped: a buffered reader would keep a copy.
    let mut line = Zeroizing::new(Vec::with_capacity(1024));
    let mut byte = [0u8; 1];
    while (&tty).read(&mut byte)? == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    zeroize::Zeroize::zeroize(&mut byte);
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    std::str::from_utf8(&line)
        .map(|text| Zeroizing::new(text.to_owned()))
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
}

/// Asks for a passphrase on the console (rpassword: the Windows console echoes only while a
/// read is under way, so nothing typed early shows).
#[cfg(not(unix))]
fn ask_on_terminal(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}

/// Writes a new key file; never replaces an existing one. Mode 0600 on Unix.
pub fn write(
    path: &Path,
    secret: &SecretKey,
    public: &PublicKey,
    passphrase: Option<&str>,
) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    let text = keyfile::to_text(secret, public, passphrase).map_err(|e| CliError::Key(e.into()))?;
    let mut file = files::create_new_private(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Usage(format!(
                "{} exists; keksdose never overwrites a key file",
                path.display()
            ))
        } else {
            io(source)
        }
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| {
            // A half-written key file is useless and would block the next attempt.
            let _ = std::fs::remove_file(path);
            io(source)
        })
}

/// Reads a key file, asking for the passphrase when it is protected; warns on standard error
/// when others than its owner may read or change it.
pub fn read(path: &Path, passphrase: &PassphraseSource) -> Result<SecretKey, CliError> {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if let Some(warning) = exposure_warning(path, &metadata) {
        eprintln!("keksdose: warning: {warning}");
    }
    // Sized up front, so that no reallocation leaves a copy of the key behind.
    let capacity = usize::try_from(metadata.len()).map_or(1 << 16, |len| len.min(1 << 16)) + 1;
    let mut text = Zeroizing::new(String::with_capacity(capacity));
    std::io::Read::read_to_string(&mut &file, &mut text).map_err(io)?;
    let given = if keyfile::is_protected(&text) {
        Some(passphrase.read(&format!("Passphrase for {}: ", path.display()), false)?)
    } else {
        None
    };
    keyfile::from_text(&text, given.as_deref().map(String::as_str))
        .map_err(|why| CliError::Key(format!("{}: {why}", path.display())))
}

/// What to say when the key file's mode lets its group or others in (Unix).
#[cfg(unix)]
fn exposure_warning(path: &Path, metadata: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} has mode {mode:04o}: users besides its owner can read or change the secret key; \
             run `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

/// Other systems have no Unix mode to check.
#[cfg(not(unix))]
fn exposure_warning(_: &Path, _: &std::fs::Metadata) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> (SecretKey, PublicKey) {
        keksdose::seal::envelope::generate()
    }

    #[test]
    fn key_files_are_never_overwritten_and_private() {
        let dir = std::env::temp_dir().join(format!("kd-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("secret.key");
        let _ = std::fs::remove_file(&path);
        let (secret, public) = key();
        write(&path, &secret, &public, None).expect("write");
        let before = std::fs::read(&path).expect("read");
        assert!(write(&path, &secret, &public, None).is_err());
        assert_eq!(std::fs::read(&path).expect("read"), before, "untouched");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let read_back = read(&path, &PassphraseSource::default()).expect("read key");
        assert_eq!(read_back.to_text(), secret.to_text());
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}
