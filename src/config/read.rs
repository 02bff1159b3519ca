//! The config's JSON shape, read field by field: the one definition of the schema.
//!
//! Every problem is reported with its dotted path, and the walk goes on after one, so that all
//! of them come out at once: unknown fields (`categories.analytics.servces: unknown field
//! `servces`, expected one of …`), missing ones, repeated keys, values of the wrong type or
//! variant. An optional field given `null` takes its default.

use super::{
    Category, Config, ConsentSettings, DEFAULT_MAX_ATTACHMENT_BYTES, KeyStatus, LanguageSetting,
    Localized, OrderedMap, Policy, Problem, SealKey, SealSettings, Service, TextOverrides,
    UnknownPolicy,
};
use crate::json::{self, Value};
use crate::strings::{concat, decimal};

/// Reads a config's JSON text; the problems with their paths when it has the wrong shape.
pub(super) fn config(text: &str) -> Result<Config, Vec<Problem>> {
    let value = json::parse(text).map_err(|error| vec![Problem::new("", error)])?;
    let mut reader = Reader::default();
    let config = reader.config(&value);
    match config {
        Some(config) if reader.problems.is_empty() => Ok(config),
        _ => Err(reader.problems),
    }
}

/// The entries of one JSON object that was checked against the fields its type allows.
struct Fields<'v>(&'v [(String, Value)]);

impl<'v> Fields<'v> {
    /// The value of field `name`; `None` when it is absent or `null`.
    fn get(&self, name: &str) -> Option<&'v Value> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !matches!(value, Value::Null))
            .map(|(_, value)| value)
    }
}

#[derive(Default)]
struct Reader {
    problems: Vec<Problem>,
}

/// `path.key` (or `key` at the top).
fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        concat(&[path, ".", key])
    }
}

/// `path[index]`.
fn item(path: &str, index: usize) -> String {
    concat(&[path, "[", &decimal(index as u64), "]"])
}

/// `` `a`, `b`, `c` ``
fn quoted_list(names: &[&str]) -> String {
    let mut list = String::new();
    for name in names {
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push('`');
        list.push_str(name);
        list.push('`');
    }
    list
}

impl Reader {
    fn report(&mut self, path: &str, message: String) {
        self.problems.push(Problem::new(path, message));
    }

    fn invalid_type(&mut self, path: &str, found: &Value, expected: &str) {
        let found = match found {
            Value::String(text) => concat(&["string \"", text, "\""]),
            Value::Number(text) => concat(&["number ", text]),
            other => other.kind().to_owned(),
        };
        self.report(
            path,
            concat(&["invalid type: ", &found, ", expected ", expected]),
        );
    }

    /// An object whose keys are among `allowed`; each unknown or repeated key is reported.
    fn object<'v>(&mut self, path: &str, value: &'v Value, allowed: &[&str]) -> Option<Fields<'v>> {
        let entries = self.entries(path, value)?;
        for (key, _) in entries {
            if !allowed.contains(&key.as_str()) {
                self.report(
                    &child(path, key),
                    concat(&[
                        "unknown field `",
                        key,
                        "`, expected one of ",
                        &quoted_list(allowed),
                    ]),
                );
            }
        }
        Some(Fields(entries))
    }

    /// The entries of an object; a key given twice is reported.
    fn entries<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v [(String, Value)]> {
        let Value::Object(entries) = value else {
            self.invalid_type(path, value, "an object");
            return None;
        };
        for (i, (key, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(earlier, _)| earlier == key) {
                self.report(path, concat(&["duplicate key `", key, "`"]));
            }
        }
        Some(entries)
    }

    /// A field that must be present.
    fn required<'v>(&mut self, path: &str, fields: &Fields<'v>, name: &str) -> Option<&'v Value> {
        let value = fields.get(name);
        if value.is_none() {
            self.report(path, concat(&["missing field `", name, "`"]));
        }
        value
    }

    /// An object of named entries in document order (categories, services, texts).
    fn map<T>(
        &mut self,
        path: &str,
        value: &Value,
        mut read: impl FnMut(&mut Reader, &str, &Value) -> Option<T>,
    ) -> OrderedMap<T> {
        let Some(entries) = self.entries(path, value) else {
            return OrderedMap::default();
        };
        let mut seen: Vec<&str> = Vec::new();
        let mut map = Vec::new();
        for (key, value) in entries {
            if seen.contains(&key.as_str()) {
                continue;
            }
            seen.push(key);
            if let Some(read) = read(self, &child(path, key), value) {
                map.push((key.clone(), read));
            }
        }
        map.into_iter().collect()
    }

    fn string(&mut self, path: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            other => {
                self.invalid_type(path, other, "a string");
                None
            }
        }
    }

    fn boolean(&mut self, path: &str, value: &Value) -> Option<bool> {
        match value {
            Value::Bool(flag) => Some(*flag),
            other => {
                self.invalid_type(path, other, "true or false");
                None
            }
        }
    }

    /// A whole number from 0 to `max`.
    fn whole(&mut self, path: &str, value: &Value, max: u64) -> Option<u64> {
        let n = value.as_u64().filter(|&n| n <= max);
        if n.is_none() {
            let expected = concat(&["a whole number from 0 to ", &decimal(max)]);
            self.invalid_type(path, value, &expected);
        }
        n
    }

    fn strings(&mut self, path: &str, value: &Value) -> Option<Vec<String>> {
        let Value::Array(items) = value else {
            self.invalid_type(path, value, "an array of strings");
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        let mut complete = true;
        for (i, value) in items.iter().enumerate() {
            match self.string(&item(path, i), value) {
                Some(text) => strings.push(text),
                None => complete = false,
            }
        }
        complete.then_some(strings)
    }

    /// One of the names in `variants`.
    /// One of the names in `names`: its index.
    fn variant(&mut self, path: &str, value: &Value, names: &[&str]) -> Option<usize> {
        let name = self.string(path, value)?;
        let found = names.iter().position(|n| *n == name);
        if found.is_none() {
            self.report(
                path,
                concat(&[
                    "unknown variant `",
                    &name,
                    "`, expected one of ",
                    &quoted_list(names),
                ]),
            );
        }
        found
    }

    fn localized(&mut self, path: &str, value: &Value) -> Option<Localized> {
        match value {
            Value::String(text) => Some(Localized::Same(text.clone())),
            Value::Object(_) => {
                let known = self.problems.len();
                let fields = self.object(path, value, &["de", "en"])?;
                let de = self.optional(path, &fields, "de", Reader::string);
                let en = self.optional(path, &fields, "en", Reader::string);
                if self.problems.len() > known {
                    return None;
                }
                if de.is_none() && en.is_none() {
                    self.report(path, "expected at least one of `de`, `en`".to_owned());
                    return None;
                }
                Some(Localized::PerLanguage { de, en })
            }
            other => {
                self.invalid_type(
                    path,
                    other,
                    r#"a string or an object like {"de": "…", "en": "…"}"#,
                );
                None
            }
        }
    }

    /// Field `name` of the object at `path` read with `read`, when it is there.
    fn optional<T>(
        &mut self,
        path: &str,
        fields: &Fields<'_>,
        name: &str,
        read: fn(&mut Reader, &str, &Value) -> Option<T>,
    ) -> Option<T> {
        fields
            .get(name)
            .and_then(|value| read(self, &child(path, name), value))
    }

    fn config(&mut self, value: &Value) -> Option<Config> {
        let fields = self.object(
            "",
            value,
            &[
                "tenant",
                "language",
                "policy",
                "consent",
                "categories",
                "texts",
                "googleConsentMode",
                "seal",
            ],
        )?;
        let tenant = self
            .required("", &fields, "tenant")
            .and_then(|v| self.string("tenant", v));
        let language = self
            .optional("", &fields, "language", |r, path, v| {
                let languages = [
                    LanguageSetting::De,
                    LanguageSetting::En,
                    LanguageSetting::Auto,
                ];
                Some(languages[r.variant(path, v, &["de", "en", "auto"])?])
            })
            .unwrap_or_default();
        let policy = self
            .required("", &fields, "policy")
            .and_then(|v| self.policy(v));
        let consent = match fields.get("consent") {
            Some(value) => self.consent(value),
            None => Some(ConsentSettings::default()),
        };
        let categories = self
            .required("", &fields, "categories")
            .map(|v| self.map("categories", v, Reader::category));
        let texts = match fields.get("texts") {
            Some(value) => self.texts(value),
            None => Some(TextOverrides::default()),
        };
        let google_consent_mode = fields
            .get("googleConsentMode")
            .map(|v| self.map("googleConsentMode", v, Reader::strings))
            .unwrap_or_default();
        let seal = self.optional("", &fields, "seal", Reader::seal);
        Some(Config {
            tenant: tenant?,
            language,
            policy: policy?,
            consent: consent?,
            categories: categories?,
            texts: texts?,
            google_consent_mode,
            seal,
        })
    }

    fn policy(&mut self, value: &Value) -> Option<Policy> {
        let path = "policy";
        let fields = self.object(path, value, &["privacyUrl", "imprintUrl"])?;
        let privacy_url = self.required(path, &fields, "privacyUrl");
        let privacy_url = privacy_url.and_then(|v| self.string("policy.privacyUrl", v));
        let imprint_url = self.required(path, &fields, "imprintUrl");
        let imprint_url = imprint_url.and_then(|v| self.string("policy.imprintUrl", v));
        Some(Policy {
            privacy_url: privacy_url?,
            imprint_url: imprint_url?,
        })
    }

    fn consent(&mut self, value: &Value) -> Option<ConsentSettings> {
        let path = "consent";
        let fields = self.object(
            path,
            value,
            &[
                "cookieName",
                "expiresAfterDays",
                "domain",
                "respectGpc",
                "logEndpoint",
                "unknownCookies",
                "reloadOnWithdrawal",
            ],
        )?;
        let defaults = ConsentSettings::default();
        let days = |r: &mut Reader, path: &str, v: &Value| r.whole(path, v, u64::from(u32::MAX));
        let unknown = |r: &mut Reader, path: &str, v: &Value| {
            let policies = [UnknownPolicy::Block, UnknownPolicy::Allow];
            Some(policies[r.variant(path, v, &["block", "allow"])?])
        };
        Some(ConsentSettings {
            cookie_name: self
                .optional(path, &fields, "cookieName", Reader::string)
                .unwrap_or(defaults.cookie_name),
            expires_after_days: self
                .optional(path, &fields, "expiresAfterDays", days)
                .map_or(defaults.expires_after_days, |days| days as u32),
            domain: self.optional(path, &fields, "domain", Reader::string),
            respect_gpc: self
                .optional(path, &fields, "respectGpc", Reader::boolean)
                .unwrap_or(defaults.respect_gpc),
            log_endpoint: self.optional(path, &fields, "logEndpoint", Reader::string),
            unknown_cookies: self
                .optional(path, &fields, "unknownCookies", unknown)
                .unwrap_or(defaults.unknown_cookies),
            reload_on_withdrawal: self
                .optional(path, &fields, "reloadOnWithdrawal", Reader::boolean)
                .unwrap_or(defaults.reload_on_withdrawal),
        })
    }

    fn category(&mut self, path: &str, value: &Value) -> Option<Category> {
        let fields = self.object(
            path,
            value,
            &["readOnly", "title", "description", "services"],
        )?;
        Some(Category {
            read_only: self
                .optional(path, &fields, "readOnly", Reader::boolean)
                .unwrap_or(false),
            title: self.optional(path, &fields, "title", Reader::localized),
            description: self.optional(path, &fields, "description", Reader::localized),
            services: fields
                .get("services")
                .map(|v| self.map(&child(path, "services"), v, Reader::service))
                .unwrap_or_default(),
        })
    }

    fn service(&mut self, path: &str, value: &Value) -> Option<Service> {
        let fields = self.object(
            path,
            value,
            &[
                "name",
                "provider",
                "purpose",
                "cookies",
                "storage",
                "hosts",
                "retention",
                "recipients",
                "privacyUrl",
                "embed",
            ],
        )?;
        let provider = self.required(path, &fields, "provider");
        let provider = provider.and_then(|v| self.string(&child(path, "provider"), v));
        let purpose = self.required(path, &fields, "purpose");
        let purpose = purpose.and_then(|v| self.localized(&child(path, "purpose"), v));
        let mut list = |name| {
            self.optional(path, &fields, name, Reader::strings)
                .unwrap_or_default()
        };
        let (cookies, storage, hosts) = (list("cookies"), list("storage"), list("hosts"));
        Some(Service {
            name: self.optional(path, &fields, "name", Reader::string),
            provider: provider?,
            purpose: purpose?,
            cookies,
            storage,
            hosts,
            retention: self.optional(path, &fields, "retention", Reader::localized),
            recipients: self.optional(path, &fields, "recipients", Reader::localized),
            privacy_url: self.optional(path, &fields, "privacyUrl", Reader::string),
            embed: self
                .optional(path, &fields, "embed", Reader::boolean)
                .unwrap_or(false),
        })
    }

    fn texts(&mut self, value: &Value) -> Option<TextOverrides> {
        let fields = self.object("texts", value, &["de", "en"])?;
        let mut language = |lang: &str| {
            fields
                .get(lang)
                .map(|v| self.map(&child("texts", lang), v, Reader::string))
                .unwrap_or_default()
        };
        let (de, en) = (language("de"), language("en"));
        Some(TextOverrides { de, en })
    }

    fn seal(&mut self, path: &str, value: &Value) -> Option<SealSettings> {
        let fields = self.object(path, value, &["keys", "maxAttachmentBytes"])?;
        let keys = self.required(path, &fields, "keys").and_then(|value| {
            let path = child(path, "keys");
            let Value::Array(items) = value else {
                self.invalid_type(&path, value, "an array of keys");
                return None;
            };
            let mut keys = Vec::with_capacity(items.len());
            let mut complete = true;
            for (i, value) in items.iter().enumerate() {
                match self.seal_key(&item(&path, i), value) {
                    Some(key) => keys.push(key),
                    None => complete = false,
                }
            }
            complete.then_some(keys)
        });
        let max = |r: &mut Reader, path: &str, v: &Value| r.whole(path, v, u64::MAX);
        Some(SealSettings {
            keys: keys?,
            max_attachment_bytes: self
                .optional(path, &fields, "maxAttachmentBytes", max)
                .unwrap_or(DEFAULT_MAX_ATTACHMENT_BYTES),
        })
    }

    fn seal_key(&mut self, path: &str, value: &Value) -> Option<SealKey> {
        let fields = self.object(path, value, &["kid", "publicKey", "status"])?;
        let mut text = |name| {
            self.required(path, &fields, name)
                .and_then(|v| self.string(&child(path, name), v))
        };
        let (kid, public_key) = (text("kid"), text("publicKey"));
        let status = self.required(path, &fields, "status").and_then(|v| {
            let statuses = [KeyStatus::Active, KeyStatus::Retired];
            Some(statuses[self.variant(&child(path, "status"), v, &["active", "retired"])?])
        });
        Some(SealKey {
            kid: kid?,
            public_key: public_key?,
            status: status?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        config(text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(Problem::line)
            .collect()
    }

    #[test]
    fn every_shape_problem_is_reported_with_its_path() {
        let text = r#"{
            "tenant": 5,
            "policy": { "privacyUrl": "/p" },
            "consent": { "expiresAfterDays": -1, "cookiName": "x", "domain": null },
            "categories": {
                "a": { "readOnly": "yes", "services": { "s": { "purpose": { "fr": "x" } } } },
                "a": {}
            },
            "seal": { "keys": [{ "kid": "k", "publicKey": "p", "status": "on" }] }
        }"#;
        assert_eq!(
            problems(text),
            [
                "tenant: invalid type: number 5, expected a string",
                "policy: missing field `imprintUrl`",
                "consent.cookiName: unknown field `cookiName`, expected one of `cookieName`, \
                 `expiresAfterDays`, `domain`, `respectGpc`, `logEndpoint`, `unknownCookies`, \
                 `reloadOnWithdrawal`",
                "consent.expiresAfterDays: invalid type: number -1, expected a whole number \
                 from 0 to 4294967295",
                "categories: duplicate key `a`",
                "categories.a.readOnly: invalid type: string \"yes\", expected true or false",
                "categories.a.services.s: missing field `provider`",
                "categories.a.services.s.purpose.fr: unknown field `fr`, expected one of `de`, `en`",
                "seal.keys[0].status: unknown variant `on`, expected one of `active`, `retired`",
            ]
        );
    }

    #[test]
    fn null_means_the_default_for_optional_fields_only() {
        let base = r#"{ "tenant": "t", "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "language": null, "consent": { "domain": null, "respectGpc": null },
            "categories": { "c": { "title": null, "services": null } }, "seal": null }"#;
        let config = config(base).expect("valid shape");
        assert_eq!(config.language, LanguageSetting::De);
        assert!(config.consent.respect_gpc && config.consent.domain.is_none());
        assert!(config.seal.is_none());
        assert_eq!(
            problems(&base.replace(r#""tenant": "t""#, r#""tenant": null"#)),
            ["missing field `tenant`"]
        );
    }

    #[test]
    fn a_syntax_error_is_reported_alone() {
        assert_eq!(
            problems("{ \"tenant\": }"),
            ["expected a value at line 1 column 13"]
        );
        assert_eq!(
            problems("[]"),
            ["invalid type: an array, expected an object"]
        );
    }
}
