//! The config reader and its rules: any text is a config or a list of problems, never a panic;
//! and a record of "accept all" under a valid config is one the collector reads back.
#![no_main]

use keksdose::config::{Config, TextKey, Texts};
use keksdose::consent::record::{Context, Record};
use keksdose::consent::{self, Choice, Consent, Method, cookie};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let config = match Config::from_json(text) {
        Ok(config) => config,
        Err(error) => {
            assert!(!error.problems.is_empty());
            let _ = error.lines();
            return;
        }
    };
    let revision = consent::revision(&config);
    let hash = consent::config_hash(text);
    let _ = config.needs_decision();
    // Every language the banner is offered in has all its texts.
    for lang in config.languages() {
        let texts = Texts::new(&config, lang);
        for &key in TextKey::ALL {
            assert!(!texts.get(key).trim().is_empty(), "{lang}: {}", key.name());
        }
        for (_, key, service) in config.services() {
            assert!(!service.purpose.text(lang).trim().is_empty(), "{lang}: {key}");
        }
        let consent = Consent::new(
            &config,
            revision.clone(),
            "q3v1b1BzQ2VgYtV5nH0x4w".into(),
            1_764_000_000,
            Choice::all(&config),
        );
        let value = cookie::encode(&consent);
        assert_eq!(cookie::decode(&value).as_ref(), Some(&consent), "{value}");
        let context = Context {
            config: &config,
            revision: &revision,
            config_hash: &hash,
            language: lang,
        };
        let record = Record::new(
            &context,
            &consent,
            Method::AcceptAll,
            false,
            "rrrrrrrrrrrrrrrrrrrrrr".into(),
        );
        let json = record.to_json();
        assert_eq!(Record::from_json(&json), Ok(record), "{json}");
    }
});
