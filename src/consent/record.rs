//! Consent records: the proof of each decision (GDPR Art. 7(1)), shaped after ISO/IEC TS 27560.
//!
//! One JSON object per accept, reject, change, withdrawal, GPC decision and reset; the schema is
//! `docs/consent-record.schema.json`. No IP address, no user agent: the record says what was
//! decided on which texts, not who the visitor is. The browser keeps its own records on the
//! device as JSON Lines (see [`append`]) so the visitor can download them (Art. 15/20).

use super::cookie::is_base64url;
use super::{Choice, Consent, Method};
use crate::config::validate::is_identifier;
use crate::config::{Config, is_language_tag};
use crate::json::{self, Value};
use crate::strings::{concat, join, parse_utc, utc};

/// A record's fields, in the order [`Record::to_json`] writes them.
const FIELDS: [&str; 12] = [
    "recordId",
    "consentId",
    "tenant",
    "timestamp",
    "revision",
    "configHash",
    "language",
    "method",
    "withdrawal",
    "categories",
    "services",
    "expiresAt",
];

/// The longest record text accepted by [`Record::from_json`] (16 KiB).
pub const MAX_RECORD_BYTES: usize = 16 * 1024;

/// The most categories or services a record may name.
pub const MAX_NAMES: usize = 512;

/// How many of the visitor's own records the browser keeps (the newest).
pub const KEPT_ON_DEVICE: usize = 50;

/// One consent record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Random id of this record (22 base64url characters).
    pub record_id: String,
    /// The browser's consent id (see [`Consent::consent_id`]).
    pub consent_id: String,
    /// The config's `tenant`.
    pub tenant: String,
    /// When the decision was made (Unix seconds).
    pub timestamp: u64,
    /// The config revision the visitor decided on.
    pub revision: String,
    /// SHA-256 of the config text, hex (see [`super::config_hash`]).
    pub config_hash: String,
    /// The language the visitor was shown (`de`, `en`, …).
    pub language: String,
    /// The control used.
    pub method: Method,
    /// Whether something given before is now refused.
    pub withdrawal: bool,
    /// Every non-necessary category with whether it is given.
    pub categories: Vec<(String, bool)>,
    /// Every service of a non-necessary category with whether it is given.
    pub services: Vec<(String, bool)>,
    /// When the decision lapses (Unix seconds); for a reset, its own time.
    pub expires_at: u64,
}

/// What a record is made of besides the decision itself.
pub struct Context<'a> {
    /// The running config.
    pub config: &'a Config,
    /// Its revision.
    pub revision: &'a str,
    /// SHA-256 of its text, hex.
    pub config_hash: &'a str,
    /// The language shown.
    pub language: &'a str,
}

impl Record {
    /// The record of `consent`, made with `method`, with the random `record_id`.
    pub fn new(
        context: &Context<'_>,
        consent: &Consent,
        method: Method,
        withdrawal: bool,
        record_id: String,
    ) -> Record {
        let config = context.config;
        let choice = &consent.choice;
        let mut categories = Vec::new();
        let mut services = Vec::new();
        for (name, category) in config.categories.iter() {
            if category.read_only {
                continue;
            }
            categories.push((name.to_owned(), choice.has_category(name)));
            for (key, _) in category.services.iter() {
                services.push((key.to_owned(), choice.has_service(key)));
            }
        }
        Record {
            record_id,
            consent_id: consent.consent_id.clone(),
            tenant: config.tenant.clone(),
            timestamp: consent.decided_at,
            revision: consent.revision.clone(),
            config_hash: context.config_hash.to_owned(),
            language: context.language.to_owned(),
            method,
            withdrawal,
            categories,
            services,
            expires_at: consent.expires_at,
        }
    }

    /// The record as one line of JSON, fields in the documented order.
    ///
    /// Every value comes from a restricted alphabet — base64url ids, the `[a-z0-9-]` tenant,
    /// hex, identifiers as category and service names, RFC 3339 times — so nothing needs
    /// escaping.
    pub fn to_json(&self) -> String {
        let mut json = String::new();
        let quoted = |value: &str| concat(&["\"", value, "\""]);
        let states = |states: &[(String, bool)]| {
            let mut object = String::from("{");
            for (key, given) in states {
                if object.len() > 1 {
                    object.push(',');
                }
                object.push_str(&quoted(key));
                object.push(':');
                object.push_str(if *given { "\"given\"" } else { "\"refused\"" });
            }
            object.push('}');
            object
        };
        let values = [
            quoted(&self.record_id),
            quoted(&self.consent_id),
            quoted(&self.tenant),
            quoted(&utc(self.timestamp)),
            quoted(&self.revision),
            quoted(&self.config_hash),
            quoted(&self.language),
            quoted(self.method.as_str()),
            (if self.withdrawal { "true" } else { "false" }).to_owned(),
            states(&self.categories),
            states(&self.services),
            quoted(&utc(self.expires_at)),
        ];
        for (name, value) in FIELDS.iter().zip(values) {
            json.push_str(if json.is_empty() { "{\"" } else { ",\"" });
            json.push_str(name);
            json.push_str("\":");
            json.push_str(&value);
        }
        json.push('}');
        json
    }
}

impl Record {
    /// Reads a record as a browser sent it: strict, bounded, every field checked
    /// (`docs/consent-record.schema.json`). Everything from the network is untrusted; the error
    /// says what is wrong, for the collector's answer.
    pub fn from_json(text: &str) -> Result<Record, String> {
        if text.len() > MAX_RECORD_BYTES {
            return Err("larger than 16 KiB".into());
        }
        let Value::Object(entries) = json::parse(text)? else {
            return Err("not a JSON object".into());
        };
        let mut values: [Option<&Value>; 12] = [None; 12];
        for (key, value) in &entries {
            let Some(i) = FIELDS.iter().position(|field| field == key) else {
                return Err(concat(&["unknown field `", key, "`"]));
            };
            if values[i].replace(value).is_some() {
                return Err(concat(&["duplicate field `", key, "`"]));
            }
        }
        let field = |i: usize| present(&values, i);
        let owned = |valid: fn(&str) -> bool| move |t: &str| valid(t).then(|| t.to_owned());
        let states = |i: usize| match field(i)? {
            Value::Object(entries) if entries.len() <= MAX_NAMES => {
                let mut states: Vec<(String, bool)> = Vec::with_capacity(entries.len());
                for (name, state) in entries {
                    let given = match state {
                        Value::String(s) if s == "given" => true,
                        Value::String(s) if s == "refused" => false,
                        _ => return Err(concat(&["invalid `", FIELDS[i], ".", name, "`"])),
                    };
                    if !is_identifier(name) || states.iter().any(|(seen, _)| seen == name) {
                        return Err(concat(&["invalid name in `", FIELDS[i], "`"]));
                    }
                    states.push((name.clone(), given));
                }
                Ok(states)
            }
            _ => Err(concat(&["invalid `", FIELDS[i], "`"])),
        };
        let id = |t: &str| is_base64url(t, 22);
        let record = Record {
            record_id: string(&values, 0, owned(id))?,
            consent_id: string(&values, 1, owned(id))?,
            tenant: string(&values, 2, owned(crate::tenant::is_valid))?,
            timestamp: string(&values, 3, parse_utc)?,
            revision: string(&values, 4, owned(|t| is_base64url(t, 12)))?,
            config_hash: string(
                &values,
                5,
                owned(|t| {
                    t.len() == 64 && t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                }),
            )?,
            language: string(&values, 6, owned(is_language_tag))?,
            method: string(&values, 7, Method::from_name)?,
            withdrawal: match field(8)? {
                Value::Bool(flag) => *flag,
                _ => return Err("invalid `withdrawal`".into()),
            },
            categories: states(9)?,
            services: states(10)?,
            expires_at: string(&values, 11, parse_utc)?,
        };
        if record.expires_at < record.timestamp {
            return Err("`expiresAt` before `timestamp`".into());
        }
        Ok(record)
    }
}

/// The value of field `i` of a record being read, or that it is missing.
fn present<'v>(values: &[Option<&'v Value>; 12], i: usize) -> Result<&'v Value, String> {
    values[i].ok_or_else(|| concat(&["missing field `", FIELDS[i], "`"]))
}

/// Field `i` of a record being read: a string that `read` accepts, as `read` gives it.
fn string<T>(
    values: &[Option<&Value>; 12],
    i: usize,
    read: impl Fn(&str) -> Option<T>,
) -> Result<T, String> {
    match present(values, i)? {
        Value::String(text) => read(text),
        _ => None,
    }
    .ok_or_else(|| concat(&["invalid `", FIELDS[i], "`"]))
}

/// The reset of `consent` (everything stored erased): all refused, lapsing at once.
pub fn reset(context: &Context<'_>, consent: &Consent, now: u64, record_id: String) -> Record {
    let erased = Consent {
        decided_at: now,
        expires_at: now,
        choice: Choice::none(),
        ..consent.clone()
    };
    let withdrawal = erased.choice.withdraws_from(&consent.choice);
    Record::new(context, &erased, Method::Reset, withdrawal, record_id)
}

/// `log` (JSON Lines, oldest first) with `record` appended, keeping the newest `keep` lines.
pub fn append(log: &str, record: &str, keep: usize) -> String {
    let mut lines = crate::collect(log.split('\n').filter(|line| !line.is_empty()));
    lines.push(record);
    let from = lines.len().saturating_sub(keep);
    join(&lines[from..], "\n")
}

/// The records of a JSON Lines log as one JSON array; a line that is not a JSON object (the
/// storage is the page's too) is left out.
pub fn as_json_array(log: &str) -> String {
    let records = crate::collect(
        log.split('\n')
            .filter(|line| matches!(json::parse(line), Ok(json::Value::Object(_)))),
    );
    concat(&["[", &join(&records, ",\n"), "]"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::MAX_CHOICES;

    fn config() -> Config {
        Config::from_json(
            r#"{
            "tenant": "musterstadt",
            "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "categories": {
                "necessary": { "readOnly": true, "services": {
                    "session": { "provider": "P", "purpose": "login" } } },
                "analytics": { "services": {
                    "matomo": { "provider": "P", "purpose": "stats" },
                    "plausible": { "provider": "Q", "purpose": "stats" } } },
                "functional": {}
            }}"#,
        )
        .expect("valid config")
    }

    fn context(config: &Config) -> Context<'_> {
        Context {
            config,
            revision: "AAAAbbbbCCCC",
            config_hash: "00ff",
            language: "en",
        }
    }

    fn consent(choice: Choice) -> Consent {
        Consent {
            revision: "AAAAbbbbCCCC".into(),
            consent_id: "q3v1b1BzQ2VgYtV5nH0x4w".into(),
            decided_at: 1_796_019_602,
            expires_at: 1_796_019_602 + 86_400,
            choice,
        }
    }

    #[test]
    fn a_record_names_every_purpose_and_service_the_visitor_decided_on() {
        let config = config();
        let consent = consent(Choice::from_names(&config, ["functional"], ["plausible"]));
        let record = Record::new(
            &context(&config),
            &consent,
            Method::Custom,
            false,
            "rrrrrrrrrrrrrrrrrrrrrr".into(),
        );
        assert_eq!(
            record.to_json(),
            concat(&[
                r#"{"recordId":"rrrrrrrrrrrrrrrrrrrrrr","consentId":"q3v1b1BzQ2VgYtV5nH0x4w","#,
                r#""tenant":"musterstadt","timestamp":"2026-11-30T06:20:02Z","#,
                r#""revision":"AAAAbbbbCCCC","configHash":"00ff","language":"en","#,
                r#""method":"custom","withdrawal":false,"#,
                r#""categories":{"analytics":"given","functional":"given"},"#,
                r#""services":{"matomo":"refused","plausible":"given"},"#,
                r#""expiresAt":"2026-12-01T06:20:02Z"}"#,
            ])
        );
        assert!(matches!(
            json::parse(&record.to_json()),
            Ok(json::Value::Object(_))
        ));
    }

    #[test]
    fn a_reset_refuses_everything_and_is_a_withdrawal_of_what_was_given() {
        let config = config();
        let given = consent(Choice::all(&config));
        let record = reset(&context(&config), &given, 1_796_100_000, "r".into());
        assert_eq!(record.method, Method::Reset);
        assert!(record.withdrawal);
        assert_eq!(record.expires_at, 1_796_100_000);
        assert!(record.categories.iter().all(|(_, given)| !given));
        let refused = consent(Choice::none());
        let record = reset(&context(&config), &refused, 1_796_100_000, "r".into());
        assert!(!record.withdrawal, "nothing was given");
    }

    #[test]
    fn the_device_log_keeps_the_newest_records_and_reads_as_an_array() {
        let mut log = String::new();
        for i in 0..5 {
            log = append(&log, &concat(&["{\"n\":", &i.to_string(), "}"]), 3);
        }
        assert_eq!(log, "{\"n\":2}\n{\"n\":3}\n{\"n\":4}");
        let tampered = concat(&[&log, "\nnot json\n[1]"]);
        assert_eq!(
            as_json_array(&tampered),
            "[{\"n\":2},\n{\"n\":3},\n{\"n\":4}]"
        );
        assert_eq!(as_json_array(""), "[]");
    }

    /// Fuzzing finding (`config` target): a valid config with a few hundred services made
    /// records over 16 KiB, which the collector refused. A config may now name at most
    /// `MAX_CHOICES` non-necessary categories and services, and the longest record of such a
    /// config reads back.
    #[test]
    fn a_record_of_the_largest_valid_config_reaches_the_collector() {
        let config_with = |choices: usize| {
            let services: Vec<String> = (1..choices)
                .map(|i| format!("\"s{i:0>31}\": {{ \"provider\": \"P\", \"purpose\": \"p\" }}"))
                .collect();
            Config::from_json(&format!(
                r#"{{ "tenant": "{}",
                "policy": {{ "privacyUrl": "/p", "imprintUrl": "/i" }},
                "categories": {{ "{}": {{ "title": "T", "description": "D",
                    "services": {{ {} }} }} }} }}"#,
                "t".repeat(63),
                "c".repeat(32),
                services.join(",")
            ))
        };
        let config = config_with(MAX_CHOICES).expect("the largest valid config");
        let consent = Consent {
            decided_at: 9_999_999_999,
            expires_at: 9_999_999_999,
            ..consent(Choice::none())
        };
        let context = Context {
            config_hash: &"f".repeat(64),
            ..context(&config)
        };
        let record = Record::new(
            &context,
            &consent,
            Method::RejectAll,
            true,
            "rrrrrrrrrrrrrrrrrrrrrr".into(),
        );
        assert_eq!(Record::from_json(&record.to_json()), Ok(record));
        let error = config_with(MAX_CHOICES + 1).expect_err("one too many");
        assert!(error.to_string().contains("categories"), "{error}");
    }

    #[test]
    fn a_sent_record_reads_back_and_anything_else_is_refused() {
        let config = config();
        let consent = consent(Choice::from_names(&config, ["functional"], ["plausible"]));
        let mut record = Record::new(
            &context(&config),
            &consent,
            Method::Gpc,
            true,
            "rrrrrrrrrrrrrrrrrrrrrr".into(),
        );
        record.config_hash = "ab".repeat(32);
        let json = record.to_json();
        assert_eq!(Record::from_json(&json), Ok(record.clone()));
        let mut huge = json.clone();
        huge.insert_str(1, &" ".repeat(MAX_RECORD_BYTES));
        for (bad, why) in [
            (
                json.replace("\"tenant\"", "\"tenant\":\"x\",\"ip\""),
                "unknown field `ip`",
            ),
            (
                json.replace("\"withdrawal\":true,", ""),
                "missing field `withdrawal`",
            ),
            (
                json.replacen("{", "{\"tenant\":\"musterstadt\",", 1),
                "duplicate field `tenant`",
            ),
            (
                json.replace("rrrrrrrrrrrrrrrrrrrrrr", "short"),
                "invalid `recordId`",
            ),
            (
                json.replace("musterstadt", "Muster Stadt"),
                "invalid `tenant`",
            ),
            (
                json.replace("06:20:02Z\",\"revision", "06:20:02\",\"revision"),
                "invalid `timestamp`",
            ),
            (
                json.replace("\"de\"", "\"DE\"").replace("\"en\"", "\"EN\""),
                "invalid `language`",
            ),
            (json.replace("\"gpc\"", "\"maybe\""), "invalid `method`"),
            (
                json.replace(":\"given\"", ":\"yes\""),
                "invalid `categories.analytics`",
            ),
            (
                json.replace("2026-12-01T06:20:02Z", "2026-11-01T06:20:02Z"),
                "`expiresAt` before `timestamp`",
            ),
            ("[1]".to_owned(), "not a JSON object"),
            (huge, "larger than 16 KiB"),
        ] {
            assert_eq!(Record::from_json(&bad), Err(why.to_owned()), "{bad}");
        }
    }
}
