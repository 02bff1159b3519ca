//! The controller's secret-key file, and how the passphrase is obtained.
//!
//! ```text
//! # keksdose secret key · key id … · public key kdpk1…
//! kdsk-argon2id1.<m KiB>.<t>.<p>.<salt>.<nonce>.<ciphertext>
//! ```
//!
//! The key is `Argon2id(passphrase, salt)` (RFC 9106, 32 bytes); the ciphertext is AES-256-GCM
//! of the secret key's text under that key and the random 12-byte nonce, with everything before
//! the nonce as associated data so the parameters cannot be swapped. Salt, nonce and ciphertext
//! are unpadded base64url. Without a passphrase (`keygen --no-passphrase`) the line is the
//! secret key itself (`kdsk1…`). Lines starting with `#` are comments.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use keksdose::base64;
use keksdose::seal::keys::{PublicKey, SecretKey};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::files;

const PREFIX: &str = "kdsk-argon2id1";
/// Argon2id cost: 64 MiB and 3 passes as in RFC 9106's second recommended option, but one lane
/// instead of four (the key file names all three, so they can change without breaking old files).
const MEMORY_KIB: u32 = 64 * 1024;
const PASSES: u32 = 3;
const LANES: u32 = 1;

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
            rpassword::prompt_password(prompt)
                .map(Zeroizing::new)
                .map_err(|_| {
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
    let body = match passphrase {
        None => Zeroizing::new(secret.to_text().to_string()),
        Some(passphrase) => Zeroizing::new(encrypt(secret, passphrase)?),
    };
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
    writeln!(
        file,
        "# keksdose secret key · key id {} · public key {public}\n\
         # Keep it safe and backed up: without it, submissions sealed to this key cannot be opened.",
        public.kid()
    )
    .and_then(|()| writeln!(file, "{}", body.as_str()))
    .and_then(|()| file.sync_all())
    .map_err(|source| {
        // A half-written key file is useless and would block the next attempt.
        let _ = std::fs::remove_file(path);
        io(source)
    })
}

/// Reads a key file, asking for the passphrase when it is protected.
pub fn read(path: &Path, passphrase: &PassphraseSource) -> Result<SecretKey, CliError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|source| CliError::Io {
            path: path.to_owned(),
            source,
        })?,
    );
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .unwrap_or_default();
    let bad = |why: &str| CliError::Key(format!("{}: {why}", path.display()));
    if line.starts_with(PREFIX) {
        let given = passphrase.read(&format!("Passphrase for {}: ", path.display()), false)?;
        return decrypt(line, &given).map_err(bad);
    }
    line.parse::<SecretKey>().map_err(|e| bad(&e.to_string()))
}

fn kdf(
    passphrase: &str,
    salt: &[u8],
    memory: u32,
    passes: u32,
    lanes: u32,
) -> Option<Zeroizing<[u8; 32]>> {
    let params = Params::new(memory, passes, lanes, Some(32)).ok()?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .ok()?;
    Some(key)
}

fn encrypt(secret: &SecretKey, passphrase: &str) -> Result<String, CliError> {
    let mut random = [0u8; 28];
    getrandom::fill(&mut random).map_err(|e| CliError::Key(format!("no randomness: {e}")))?;
    let (salt, nonce) = random.split_at(16);
    let key = kdf(passphrase, salt, MEMORY_KIB, PASSES, LANES)
        .ok_or_else(|| CliError::Key("Argon2id failed".into()))?;
    let header = format!(
        "{PREFIX}.{MEMORY_KIB}.{PASSES}.{LANES}.{}",
        base64::url(salt)
    );
    let text = secret.to_text();
    let failed = |_| CliError::Key("encryption failed".into());
    let nonce = Nonce::try_from(nonce).map_err(|_| CliError::Key("bad nonce".into()))?;
    let ciphertext = Aes256Gcm::new_from_slice(key.as_ref())
        .map_err(|_| CliError::Key("bad key".into()))?
        .encrypt(
            &nonce,
            Payload {
                msg: text.as_bytes(),
                aad: header.as_bytes(),
            },
        )
        .map_err(failed)?;
    Ok(format!(
        "{header}.{}.{}",
        base64::url(&nonce),
        base64::url(&ciphertext)
    ))
}

fn decrypt(line: &str, passphrase: &str) -> Result<SecretKey, &'static str> {
    let malformed = "not a keksdose key file";
    let parts: Vec<&str> = line.split('.').collect();
    let [_, memory, passes, lanes, salt, nonce, ciphertext] = parts.as_slice() else {
        return Err(malformed);
    };
    let number = |text: &str| text.parse::<u32>().map_err(|_| malformed);
    let (memory, passes, lanes) = (number(memory)?, number(passes)?, number(lanes)?);
    // Refuse costs that would take the machine down rather than protect the key.
    if memory > 4 * 1024 * 1024 || passes > 100 || lanes > 64 {
        return Err("the key file asks for an unreasonable Argon2id cost");
    }
    let decode = |text: &str| base64::url_decode(text).ok_or(malformed);
    let (salt, nonce, ciphertext) = (decode(salt)?, decode(nonce)?, decode(ciphertext)?);
    let key = kdf(passphrase, &salt, memory, passes, lanes).ok_or(malformed)?;
    let header = parts[..5].join(".");
    let nonce = Nonce::try_from(nonce.as_slice()).map_err(|_| malformed)?;
    let plaintext = Zeroizing::new(
        Aes256Gcm::new_from_slice(key.as_ref())
            .map_err(|_| malformed)?
            .decrypt(
                &nonce,
                Payload {
                    msg: &ciphertext,
                    aad: header.as_bytes(),
                },
            )
            .map_err(|_| "wrong passphrase, or the key file is damaged")?,
    );
    std::str::from_utf8(&plaintext)
        .map_err(|_| malformed)?
        .parse()
        .map_err(|_| malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> (SecretKey, PublicKey) {
        keksdose::seal::envelope::generate()
    }

    #[test]
    fn protected_key_files_round_trip_and_refuse_wrong_passphrases() {
        let (secret, _) = key();
        let line = encrypt(&secret, "correct horse").expect("encrypt");
        assert!(line.starts_with("kdsk-argon2id1.65536.3.1."));
        assert!(!line.contains(&secret.to_text()[5..]));
        let opened = decrypt(&line, "correct horse").expect("decrypt");
        assert_eq!(opened.to_text(), secret.to_text());
        assert!(decrypt(&line, "wrong").is_err());
        // The parameters are bound: a cheaper cost in the header does not decrypt.
        let cheaper = line.replacen(".65536.3.", ".65536.2.", 1);
        assert!(decrypt(&cheaper, "correct horse").is_err());
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
