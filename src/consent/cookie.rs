//! The consent cookie: a [`Consent`] as one cookie value that PHP, Python or any backend can read.
//!
//! Format, version 1 — eight fields separated by `.`:
//!
//! ```text
//! 1.<revision>.<consentId>.<decidedAt>.<expiresAt>.<categories>.<services>.<crc32>
//! 1.QmV7tTf2jXc0.q3v1b1BzQ2VgYtV5nH0x4w.1764000000.1779552000.analytics:media.matomo:video.5658ba3c
//! ```
//!
//! | field | content |
//! |---|---|
//! | `1` | format version |
//! | revision | 12 base64url characters, the config revision the decision was made on |
//! | consentId | 22 base64url characters, random, stable for this browser until reset |
//! | decidedAt, expiresAt | Unix seconds (UTC), decimal |
//! | categories | allowed non-necessary categories, `:`-separated, may be empty |
//! | services | allowed services, `:`-separated, may be empty |
//! | crc32 | CRC-32 (IEEE 802.3, as PHP `crc32()` and Python `zlib.crc32`) of everything before the last `.`, 8 lower-case hex digits |
//!
//! Everything not listed is refused. Necessary categories are never listed: they are always on.
//! A value that deviates in any way — wrong field count, version, alphabet, checksum — decodes
//! to `None`, which means "no decision": garbage is never read as consent.

use super::{Choice, Consent};
use crate::config::validate::is_identifier;
use crate::strings::{concat, decimal, hex, join};

/// The format version written by [`encode`].
pub const VERSION: &str = "1";

/// The cookie value for `consent`.
pub fn encode(consent: &Consent) -> String {
    let body = concat(&[
        VERSION,
        ".",
        &consent.revision,
        ".",
        &consent.consent_id,
        ".",
        &decimal(consent.decided_at),
        ".",
        &decimal(consent.expires_at),
        ".",
        &join(&consent.choice.categories, ":"),
        ".",
        &join(&consent.choice.services, ":"),
    ]);
    let checksum = hex(&crc32(body.as_bytes()).to_be_bytes());
    concat(&[&body, ".", &checksum])
}

/// The consent stored in a cookie value; `None` for anything that is not a well-formed,
/// intact version-1 value.
pub fn decode(value: &str) -> Option<Consent> {
    // Bytes, not `rsplit_once('.')`: the reverse character search is a kilobyte of wasm.
    let dot = value.bytes().rposition(|b| b == b'.')?;
    let (body, checksum) = (&value[..dot], &value[dot + 1..]);
    if checksum.len() != 8
        || !checksum
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        || u32::from_str_radix(checksum, 16).ok()? != crc32(body.as_bytes())
    {
        return None;
    }
    let fields = crate::collect(body.split('.'));
    let [
        version,
        revision,
        consent_id,
        decided_at,
        expires_at,
        categories,
        services,
    ] = fields.as_slice()
    else {
        return None;
    };
    if *version != VERSION || !is_base64url(revision, 12) || !is_base64url(consent_id, 22) {
        return None;
    }
    let decided_at = unix_seconds(decided_at)?;
    let expires_at = unix_seconds(expires_at)?;
    if expires_at < decided_at {
        return None;
    }
    Some(Consent {
        revision: (*revision).to_owned(),
        consent_id: (*consent_id).to_owned(),
        decided_at,
        expires_at,
        choice: Choice {
            categories: names(categories)?,
            services: names(services)?,
        },
    })
}

/// The decision stored in the cookies named `name` of a `document.cookie` / `Cookie:` header
/// string: the newest intact one. There can be several (host-only and with a `Domain`, after
/// `consent.domain` changed); keksdose removes the others whenever it writes.
pub fn read(cookie_header: &str, name: &str) -> Option<Consent> {
    pairs(cookie_header)
        .filter(|(key, _)| *key == name)
        .filter_map(|(_, value)| decode(value))
        .max_by_key(|consent| consent.decided_at)
}

/// The `(name, value)` pairs of a `document.cookie` / `Cookie:` header string, trimmed; a
/// cookie without `=` (no name) is left out.
pub fn pairs(cookie_header: &str) -> impl Iterator<Item = (&str, &str)> {
    cookie_header.split(';').filter_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        Some((key.trim(), value.trim()))
    })
}

/// Whether `text` is `len` base64url characters.
pub(crate) fn is_base64url(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Decimal digits without sign or leading zero, as written by [`encode`].
fn unix_seconds(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

fn names(field: &str) -> Option<Vec<String>> {
    if field.is_empty() {
        return Some(Vec::new());
    }
    let mut names = Vec::new();
    for name in field.split(':') {
        names.push(is_identifier(name).then(|| name.to_owned())?);
    }
    Some(names)
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bitwise: the cookie is short, and a
/// table would cost more wasm than it saves time.
fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &byte| {
        (0..8).fold(crc ^ u32::from(byte), |crc, _| {
            (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Consent {
        Consent {
            revision: "QmV7tTf2jXc0".into(),
            consent_id: "q3v1b1BzQ2VgYtV5nH0x4w".into(),
            decided_at: 1_764_000_000,
            expires_at: 1_779_552_000,
            choice: Choice {
                categories: vec!["analytics".into(), "media".into()],
                services: vec!["matomo".into(), "video".into()],
            },
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32/ISO-HDLC check value: crc32("123456789").
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn encodes_the_documented_format() {
        let value = encode(&sample());
        let body = "1.QmV7tTf2jXc0.q3v1b1BzQ2VgYtV5nH0x4w.1764000000.1779552000.analytics:media.matomo:video";
        assert_eq!(value, format!("{body}.{:08x}", crc32(body.as_bytes())));
        assert_eq!(decode(&value), Some(sample()));
    }

    #[test]
    fn refusal_round_trips_with_empty_lists() {
        let refused = Consent {
            choice: Choice::none(),
            ..sample()
        };
        let value = encode(&refused);
        assert!(value.contains(".1779552000..."), "{value}");
        assert_eq!(decode(&value), Some(refused));
    }

    #[test]
    fn every_single_character_change_is_no_consent() {
        let value = encode(&sample());
        for i in 0..value.len() {
            for replacement in ['0', 'a', 'z', '.', ':', '_'] {
                let mut tampered = value.clone().into_bytes();
                if tampered[i] == replacement as u8 {
                    continue;
                }
                tampered[i] = replacement as u8;
                let tampered = String::from_utf8(tampered).expect("ascii");
                assert_eq!(decode(&tampered), None, "{tampered}");
            }
        }
    }

    #[test]
    fn garbage_is_no_consent() {
        let valid = encode(&sample());
        let (body, _) = valid.rsplit_once('.').expect("dot");
        let with_crc = |body: &str| format!("{body}.{:08x}", crc32(body.as_bytes()));
        for garbage in [
            String::new(),
            "1".into(),
            "yes".into(),
            "true".into(),
            "{\"analytics\":true}".into(),
            body.to_owned(),
            format!("{valid}.x"),
            valid.to_uppercase(),
            // well-formed checksums over malformed bodies
            with_crc(&body.replacen('1', "2", 1)),
            with_crc(&body.replace("analytics", "Analytics")),
            with_crc(&body.replace("1764000000", "01764000000")),
            with_crc(&body.replace("1764000000", "1789552000")),
            with_crc(&body.replace("QmV7tTf2jXc0", "QmV7tTf2jXc")),
            with_crc(&body.replace("matomo:video", "matomo::video")),
            with_crc(&format!("{body}.extra")),
            with_crc("1.QmV7tTf2jXc0.q3v1b1BzQ2VgYtV5nH0x4w.1.2.a.b.c"),
        ] {
            assert_eq!(decode(&garbage), None, "{garbage}");
        }
    }

    #[test]
    fn reads_the_newest_intact_decision_among_others() {
        let at = |decided_at: u64, choice: Choice| {
            encode(&Consent {
                decided_at,
                choice,
                ..sample()
            })
        };
        let (older, newer) = (at(1000, sample().choice), at(2000, Choice::none()));
        let header = format!("a=1; kd_consent={older}; kd_consent_old=2; kd_consent={newer}");
        let read_back = read(&header, "kd_consent").expect("consent");
        assert_eq!(read_back.decided_at, 2000, "the withdrawal wins");
        let broken = format!(
            "kd_consent={}x; kd_consent={older}",
            &newer[..newer.len() - 1]
        );
        assert_eq!(
            read(&broken, "kd_consent").map(|c| c.decided_at),
            Some(1000)
        );
        assert_eq!(read("kd_consent_old=2", "kd_consent"), None);
        assert_eq!(read("", "kd_consent"), None);
    }
}
