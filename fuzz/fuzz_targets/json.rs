//! The config's JSON reader: never panics, refuses deep nesting, and what it reads, written
//! back out, reads as the same value.
#![no_main]

use keksdose::json::{self, Value};
use keksdose_fuzz::write_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(value) = json::parse(text) else {
        return;
    };
    let written = write_json(&value);
    assert_eq!(json::parse(&written).as_ref(), Ok(&value), "{written}");
    if let Some(n) = value.as_u64() {
        assert_eq!(Value::Number(n.to_string()), value);
    }
});
