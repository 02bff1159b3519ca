//! The controller's keys as text, and key ids.
//!
//! | form | text |
//! |---|---|
//! | public key | `kdpk1` + 43 characters: unpadded base64url of the 32-byte X25519 public key |
//! | secret key | `kdsk1` + 43 characters: unpadded base64url of the 32-byte X25519 secret key |
//! | key id | 32 lower-case hex digits: the first 16 bytes of SHA-256(`keksdose kid v1` ‖ 0x00 ‖ kem_id (2 bytes, big-endian) ‖ public key) |
//!
//! The prefixes differ so that a secret key pasted where a public one belongs is recognised
//! (the config check has its own error for it). A [`SecretKey`] never shows itself in `Debug`
//! output and is wiped from memory when dropped.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::base64;

/// Prefix of a public key in text form.
pub const PUBLIC_PREFIX: &str = "kdpk1";
/// Prefix of a secret key in text form.
pub const SECRET_PREFIX: &str = "kdsk1";
/// RFC 9180 identifier of DHKEM(X25519, HKDF-SHA256).
pub const KEM_ID: u16 = 0x0020;
/// Domain separation for key ids.
const KID_LABEL: &[u8] = b"keksdose kid v1";

/// Why a key text was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// A secret key was given where a public key belongs.
    SecretWherePublicExpected,
    /// A public key was given where a secret key belongs.
    PublicWhereSecretExpected,
    /// A public key of low order (such as all zeros): every shared secret with it is zero, so
    /// nothing can be sealed to it (RFC 9180 §7.1.4).
    LowOrder,
    /// The text is not a key of this kind.
    Malformed(&'static str),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::SecretWherePublicExpected => {
                f.write_str("this is a SECRET key (kdsk1…), but a public key (kdpk1…) is needed")
            }
            KeyError::PublicWhereSecretExpected => {
                f.write_str("this is a public key (kdpk1…), but the secret key (kdsk1…) is needed")
            }
            KeyError::LowOrder => f.write_str(
                "a low-order X25519 public key (such as all zeros), to which nothing can be sealed",
            ),
            KeyError::Malformed(what) => write!(f, "not a valid {what}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// The 16-byte id of a public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 16]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::strings::hex(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<KeyId, KeyError> {
        let malformed = KeyError::Malformed("key id (32 lower-case hex digits)");
        if text.len() != 32 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(malformed);
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| malformed.clone())?;
        }
        Ok(KeyId(id))
    }
}

/// The controller's public key: submissions are sealed to it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub(crate) [u8; 32]);

impl PublicKey {
    /// The key's raw bytes (the X25519 public key as RFC 9180 serialises it).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The key's id.
    pub fn kid(&self) -> KeyId {
        let digest = Sha256::new()
            .chain_update(KID_LABEL)
            .chain_update([0])
            .chain_update(KEM_ID.to_be_bytes())
            .chain_update(self.0)
            .finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        KeyId(id)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", base64::url(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<PublicKey, KeyError> {
        let text = text.trim();
        if text.starts_with(SECRET_PREFIX) {
            return Err(KeyError::SecretWherePublicExpected);
        }
        let bytes = text
            .strip_prefix(PUBLIC_PREFIX)
            .and_then(base64::url_decode)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or(KeyError::Malformed("public key (kdpk1…)"))?;
        // Not in the consent build, which every page loads: there the table and the messages
        // would cost every page view, and the seal module refuses the key on the first submit.
        #[cfg(any(not(target_arch = "wasm32"), feature = "seal"))]
        if is_low_order(&bytes) {
            return Err(KeyError::LowOrder);
        }
        Ok(PublicKey(bytes))
    }
}

/// Whether `u` (little-endian, the top bit ignored as X25519 ignores it) is a point of small
/// order on Curve25519 or its twist, in any encoding: 0, 1 and −1, their non-canonical forms
/// p and p + 1, and the two points of order 8. The list is libsodium's (`has_small_order`).
#[cfg(any(not(target_arch = "wasm32"), feature = "seal"))]
fn is_low_order(u: &[u8; 32]) -> bool {
    const ORDER_8: [[u8; 32]; 2] = [
        [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ],
        [
            0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83,
            0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd,
            0xd0, 0x9f, 0x11, 0x57,
        ],
    ];
    let mut masked = *u;
    masked[31] &= 0x7f;
    let middle = &masked[1..31];
    // 0 and 1; p − 1, p and p + 1 (p = 2²⁵⁵ − 19 ends in 0xed, then 0xff…, then 0x7f).
    let small = middle.iter().all(|&b| b == 0) && masked[31] == 0 && masked[0] <= 1;
    let near_p = middle.iter().all(|&b| b == 0xff)
        && masked[31] == 0x7f
        && (0xec..=0xee).contains(&masked[0]);
    small || near_p || ORDER_8.contains(&masked)
}

/// The controller's secret key: it opens submissions. Never in `Debug` output, wiped on drop.
#[derive(Clone)]
pub struct SecretKey(pub(crate) [u8; 32]);

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl SecretKey {
    /// The key as text (`kdsk1…`); the returned string is wiped when dropped.
    pub fn to_text(&self) -> Zeroizing<String> {
        let encoded = Zeroizing::new(base64::url(&self.0));
        Zeroizing::new(format!("{SECRET_PREFIX}{}", encoded.as_str()))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl FromStr for SecretKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<SecretKey, KeyError> {
        let text = text.trim();
        if text.starts_with(PUBLIC_PREFIX) {
            return Err(KeyError::PublicWhereSecretExpected);
        }
        let bytes = Zeroizing::new(
            text.strip_prefix(SECRET_PREFIX)
                .and_then(base64::url_decode)
                .ok_or(KeyError::Malformed("secret key (kdsk1…)"))?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Malformed("secret key (kdsk1…)"))?;
        Ok(SecretKey(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_round_trip_and_refuse_secret_ones() {
        let key = PublicKey([7; 32]);
        let text = key.to_string();
        assert!(text.starts_with("kdpk1") && text.len() == 48, "{text}");
        assert_eq!(text.parse::<PublicKey>(), Ok(key));
        let secret = SecretKey([7; 32]).to_text();
        assert_eq!(
            secret.parse::<PublicKey>(),
            Err(KeyError::SecretWherePublicExpected)
        );
        for bad in [
            "kdpk1",
            "kdpk1AAAA",
            "age1xyz",
            "",
            &text[..47],
            &format!("{text}A"),
        ] {
            assert!(bad.parse::<PublicKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn low_order_public_keys_are_refused_in_every_encoding() {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        let plus = |n: u8| {
            let mut key = p;
            key[0] = key[0].wrapping_add(n);
            key
        };
        let mut one = [0; 32];
        one[0] = 1;
        let order_8 = [
            "4Ot6fDtBuK4WVuP68Z_EatoJjeucMrH9hmIFFl9JuAA",
            "X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc",
        ]
        .map(|text| {
            let bytes = base64::url_decode(text).expect("base64");
            <[u8; 32]>::try_from(bytes).expect("32 bytes")
        });
        let low = [[0; 32], one, plus(255), p, plus(1), order_8[0], order_8[1]];
        for key in low {
            let mut high_bit = key;
            high_bit[31] |= 0x80;
            for bytes in [key, high_bit] {
                let text = PublicKey(bytes).to_string();
                assert_eq!(text.parse::<PublicKey>(), Err(KeyError::LowOrder), "{text}");
                // The list is right: HPKE itself cannot seal to these keys.
                #[cfg(feature = "seal")]
                {
                    use crate::seal::envelope::{Header, Sealer};
                    let public = PublicKey(bytes);
                    let header =
                        Header::new(&public, [0; 16], 0, "t", "f", "https://x").expect("header");
                    assert!(Sealer::start(&public, &header, 4096).is_err(), "{text}");
                }
            }
        }
        // Neighbours of low-order points are ordinary keys.
        for key in [plus(2), [2; 32], PublicKey([9; 32]).0] {
            assert!(PublicKey(key).to_string().parse::<PublicKey>().is_ok());
        }
    }

    #[test]
    fn secret_keys_round_trip_and_never_show_in_debug() {
        let key = SecretKey([9; 32]);
        let text = key.to_text();
        assert!(text.starts_with("kdsk1"));
        let parsed: SecretKey = text.parse().expect("parses");
        assert_eq!(parsed.0, key.0);
        let debug = format!("{key:?}");
        assert_eq!(debug, "SecretKey(<redacted>)");
        assert!(!debug.contains(&text[5..15]));
        assert_eq!(
            PublicKey([1; 32]).to_string().parse::<SecretKey>().err(),
            Some(KeyError::PublicWhereSecretExpected)
        );
    }

    #[test]
    fn key_ids_bind_the_label_kem_and_key() {
        let a = PublicKey([1; 32]).kid();
        let b = PublicKey([2; 32]).kid();
        assert_ne!(a, b);
        let expected =
            Sha256::digest([b"keksdose kid v1".as_slice(), &[0, 0x00, 0x20], &[1; 32]].concat());
        assert_eq!(a.0, expected[..16]);
        let text = a.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<KeyId>(), Ok(a));
        assert!("ABCDEF".parse::<KeyId>().is_err());
        assert!(text.to_uppercase().parse::<KeyId>().is_err());
    }
}
