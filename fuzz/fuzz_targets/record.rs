//! The consent-record reader (the collector's input): what it accepts, written back out, reads
//! as the same record; the device log always reads as a JSON array.
#![no_main]

use keksdose::consent::record::{self, Record};
use keksdose::json::{self, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(record) = Record::from_json(text) {
        let json = record.to_json();
        assert_eq!(Record::from_json(&json).as_ref(), Ok(&record), "{json}");
    }
    let array = record::as_json_array(text);
    assert!(
        matches!(json::parse(&array), Ok(Value::Array(_))),
        "{array}"
    );
});
