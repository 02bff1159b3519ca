//! The consent-cookie decoder: what decodes encodes to exactly the same value (one text form
//! per decision), and reading a `Cookie:` header finds only values that decode.
#![no_main]

use keksdose::consent::cookie;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(consent) = cookie::decode(text) {
        assert_eq!(cookie::encode(&consent), text);
        assert!(consent.decided_at <= consent.expires_at);
    }
    if let Some(consent) = cookie::read(text, "kd_consent") {
        let found = cookie::pairs(text)
            .filter(|(name, _)| *name == "kd_consent")
            .any(|(_, value)| cookie::decode(value).as_ref() == Some(&consent));
        assert!(found, "{text}");
    }
});
