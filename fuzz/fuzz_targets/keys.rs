//! Key texts (the config's public key, the CLI's secret key and key ids): what parses writes
//! back as the same text, apart from the whitespace the parsers trim.
#![no_main]

use keksdose::seal::keys::{KeyId, PublicKey, SecretKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match text.parse::<PublicKey>() {
        Ok(key) => assert_eq!(key.to_string(), text.trim()),
        Err(error) => drop(error.to_string()),
    }
    match text.parse::<SecretKey>() {
        Ok(key) => assert_eq!(key.to_text().as_str(), text.trim()),
        Err(error) => drop(error.to_string()),
    }
    if let Ok(id) = text.parse::<KeyId>() {
        assert_eq!(id.to_string(), text);
    }
});
