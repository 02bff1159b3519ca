//! The controller's secret-key file (feature `keyfile`): what `keksdose keygen` writes and
//! `keksdose open` reads, for a Rust backend that opens submissions with the same file.
//!
//! ```text
//! # keksdose secret key · key id … · public key kdpk1…
//! kdsk-argon2id1.<m KiB>.<t>.<p>.<salt>.<nonce>.<ciphertext>
//! ```
//!
//! The key is `Argon2id(passphrase, salt)` (RFC 9106, version 0x13, 32 bytes); the ciphertext is
//! AES-256-GCM of the secret key's text under that key and the random 12-byte nonce, with
//! everything before the nonce as associated data so the parameters cannot be swapped. Salt
//! (16 bytes), nonce and ciphertext are unpadded base64url. Without a passphrase the line is the
//! secret key itself (`kdsk1…`). Lines starting with `#` are comments. A file that asks for more
//! than [`MAX_MEMORY_KIB`] (1 GiB), [`MAX_PASSES`] or [`MAX_LANES`] is refused rather than
//! computed. The whole format: `docs/key-file.md`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::base64;
use crate::seal::keys::{PublicKey, SecretKey};

const PREFIX: &str = "kdsk-argon2id1";
/// Argon2id cost: 64 MiB and 3 passes as in RFC 9106's second recommended option, but one lane
/// instead of four (the key file names all three, so they can change without breaking old files).
const MEMORY_KIB: u32 = 64 * 1024;
const PASSES: u32 = 3;
const LANES: u32 = 1;
/// The most memory a key file may ask Argon2id for, in KiB (1 GiB): 16 times what keksdose
/// writes, and what a controller's laptop can still spare.
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
/// The most passes a key file may ask for.
pub const MAX_PASSES: u32 = 10;
/// The most lanes a key file may ask for.
pub const MAX_LANES: u32 = 16;
/// Salt length in bytes.
const SALT_LEN: usize = 16;

/// The text of a key file for `secret`, protected by `passphrase` when one is given.
pub fn to_text(
    secret: &SecretKey,
    public: &PublicKey,
    passphrase: Option<&str>,
) -> Result<Zeroizing<String>, &'static str> {
    let body = match passphrase {
        None => Zeroizing::new(secret.to_text().to_string()),
        Some(passphrase) => Zeroizing::new(encrypt(secret, passphrase)?),
    };
    Ok(Zeroizing::new(format!(
        "# keksdose secret key · key id {} · public key {public}\n\
         # Keep it safe and backed up: without it, submissions sealed to this key cannot be opened.\n\
         {}\n",
        public.kid(),
        body.as_str()
    )))
}

/// The key line of a key file's text: the first that is not empty or a comment.
fn key_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .unwrap_or_default()
}

/// Whether the key file's text is protected by a passphrase.
pub fn is_protected(text: &str) -> bool {
    key_line(text).starts_with(PREFIX)
}

/// The secret key of a key file's text; `passphrase` is needed when it
/// [is protected](is_protected).
pub fn from_text(text: &str, passphrase: Option<&str>) -> Result<SecretKey, &'static str> {
    let line = key_line(text);
    if line.starts_with(PREFIX) {
        let passphrase = passphrase.ok_or("the key file is protected: a passphrase is needed")?;
        return decrypt(line, passphrase);
    }
    line.parse::<SecretKey>()
        .map_err(|_| "not a keksdose key file")
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

fn encrypt(secret: &SecretKey, passphrase: &str) -> Result<String, &'static str> {
    let mut random = [0u8; SALT_LEN + 12];
    getrandom::fill(&mut random).map_err(|_| "no randomness")?;
    let (salt, nonce) = random.split_at(SALT_LEN);
    let key = kdf(passphrase, salt, MEMORY_KIB, PASSES, LANES).ok_or("Argon2id failed")?;
    let header = format!(
        "{PREFIX}.{MEMORY_KIB}.{PASSES}.{LANES}.{}",
        base64::url(salt)
    );
    let text = secret.to_text();
    let failed = |_| "encryption failed";
    let nonce = Nonce::try_from(nonce).map_err(|_| "bad nonce")?;
    let ciphertext = Aes256Gcm::new_from_slice(key.as_ref())
        .map_err(|_| "bad key")?
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
    let [PREFIX, memory, passes, lanes, salt, nonce, ciphertext] = parts.as_slice() else {
        return Err(malformed);
    };
    // Decimal digits without sign or leading zeros.
    let number = |text: &str| {
        text.parse::<u32>()
            .ok()
            .filter(|n| n.to_string() == text)
            .ok_or(malformed)
    };
    let (memory, passes, lanes) = (number(memory)?, number(passes)?, number(lanes)?);
    // Refuse costs that would take the machine down rather than protect the key.
    if memory > MAX_MEMORY_KIB || passes > MAX_PASSES || lanes > MAX_LANES {
        return Err(
            "the key file asks for more Argon2id work than keksdose allows \
                    (at most 1 GiB, 10 passes, 16 lanes)",
        );
    }
    let decode = |text: &str| base64::url_decode(text).ok_or(malformed);
    let (salt, nonce, ciphertext) = (decode(salt)?, decode(nonce)?, decode(ciphertext)?);
    if salt.len() != SALT_LEN {
        return Err(malformed);
    }
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
        crate::seal::envelope::generate()
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
        // The same numbers written differently are not the same file.
        let padded = line.replacen(".65536.3.", ".065536.3.", 1);
        assert_eq!(
            decrypt(&padded, "correct horse").err(),
            Some("not a keksdose key file")
        );
    }

    #[test]
    fn costs_beyond_the_bounds_are_refused_before_any_work() {
        let (secret, _) = key();
        let line = encrypt(&secret, "correct horse").expect("encrypt");
        let too_much = "the key file asks for more Argon2id work than keksdose allows \
                        (at most 1 GiB, 10 passes, 16 lanes)";
        for (cost, refused) in [
            ("1048577.3.1", true),
            ("4194304.100.1", true),
            ("65536.11.1", true),
            ("65536.3.17", true),
            // At the bounds the work is done: it fails only because the key differs.
            ("65536.10.1", false),
            ("65536.3.16", false),
        ] {
            let changed = line.replacen("65536.3.1", cost, 1);
            let error = decrypt(&changed, "correct horse").err();
            if refused {
                assert_eq!(error, Some(too_much), "{cost}");
            } else {
                assert_eq!(
                    error,
                    Some("wrong passphrase, or the key file is damaged"),
                    "{cost}"
                );
            }
        }
    }
}
