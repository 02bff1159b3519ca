//! The consent cookie as other backends read it: the Python reader documented in the README
//! (tests/fixtures/read_consent_cookie.py) agrees with the Rust codec.

use std::process::Command;

use keksdose::consent::cookie;

fn python(value: &str) -> serde_json::Value {
    let output = Command::new("python3")
        .arg("tests/fixtures/read_consent_cookie.py")
        .arg(value)
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("json")
}

const VALUE: &str =
    "1.QmV7tTf2jXc0.q3v1b1BzQ2VgYtV5nH0x4w.1764000000.1779552000.analytics:media.matomo:video";

fn sealed(body: &str) -> String {
    // Append the checksum with the Rust codec: decode(encode(x)) == x is tested in the crate.
    let consent = cookie::decode(&format!("{body}.{:08x}", crc32fast(body)));
    consent.map(|c| cookie::encode(&c)).expect("valid")
}

/// CRC-32 computed independently of the crate (bitwise, reflected 0xEDB88320).
fn crc32fast(text: &str) -> u32 {
    let mut crc = !0u32;
    for byte in text.bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn python_reads_what_rust_writes() {
    let value = sealed(VALUE);
    let rust = cookie::decode(&value).expect("rust decodes");
    let py = python(&value);
    assert_eq!(py["revision"], rust.revision.as_str());
    assert_eq!(py["consentId"], rust.consent_id.as_str());
    assert_eq!(py["decidedAt"], rust.decided_at);
    assert_eq!(py["expiresAt"], rust.expires_at);
    assert_eq!(
        py["categories"],
        serde_json::json!(rust.choice.categories())
    );
    assert_eq!(py["services"], serde_json::json!(rust.choice.services()));
}

#[test]
fn python_and_rust_refuse_the_same_tampered_values() {
    let value = sealed(VALUE);
    for tampered in [
        value.replace("analytics", "marketing"),
        value.replacen("1.", "2.", 1),
        value[..value.len() - 1].to_owned(),
        format!("{value}0"),
        String::from("garbage"),
    ] {
        assert_eq!(cookie::decode(&tampered), None, "{tampered}");
        assert_eq!(python(&tampered), serde_json::Value::Null, "{tampered}");
    }
}

#[test]
fn python_and_rust_refuse_the_same_malformed_bodies_under_a_valid_checksum() {
    let with_crc = |body: String| format!("{body}.{:08x}", crc32fast(&body));
    for body in [
        VALUE.replace("1779552000", "1764000000"), // expires == decided: still valid
        VALUE.replace("1779552000", "1763999999"), // expires before decided
        VALUE.replacen("1.", "2.", 1),
        VALUE.replace("1764000000", "01764000000"),
        VALUE.replace("analytics", "Analytics"),
        VALUE.replace("analytics:media", "analytics::media"),
        VALUE.replace("QmV7tTf2jXc0", "QmV7tTf2jXc"),
        format!("{VALUE}.extra"),
    ] {
        let value = with_crc(body);
        let rust = cookie::decode(&value);
        let py = python(&value);
        assert_eq!(rust.is_some(), !py.is_null(), "{value}");
        if let Some(rust) = rust {
            assert_eq!(py["expiresAt"], rust.expires_at);
        }
    }
}
