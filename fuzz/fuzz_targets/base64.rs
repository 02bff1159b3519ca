//! Base64url decoding (keys, ids, key files): one text form per byte string, both ways.
#![no_main]

use keksdose::base64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(decoded) = base64::url_decode(text)
    {
        assert_eq!(base64::url(&decoded), text);
    }
    assert_eq!(
        base64::url_decode(&base64::url(bytes)).as_deref(),
        Some(bytes)
    );
    let standard = base64::standard(bytes);
    assert_eq!(standard.len(), bytes.len().div_ceil(3) * 4);
    assert_eq!(
        standard.trim_end_matches('='),
        base64::url(bytes).replace('-', "+").replace('_', "/")
    );
});
