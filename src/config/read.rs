//! The config's JSON shape, read field by field: the one definition of the schema.
//!
//! Every problem is reported with its dotted path, and the walk goes on after one, so that all
//! of them come out at once: unknown fields (`categories.analytics.servces: unknown field
//! `servces`, expected one of …`), missing ones, repeated keys, values of the wrong type or
//! variant. An optional field given `null` takes its default.
//!
//! Written for size, as the browser reads its config on every page view: each field is one call
//! of a reader for its kind of value, which records a problem and answers the default when the
//! value is missing or wrong; the config is only used when no problem was recorded.

use super::{
    BannerLook, COLOR_SCHEMES, COLOURS, Category, Config, ConsentSettings,
    DEFAULT_MAX_ATTACHMENT_BYTES, GOOGLE_CONSENT_MODE_FIELDS, GOOGLE_CONSENT_TYPES,
    GoogleConsentMode, KeyStatus, LAYOUTS, LanguageSetting, Localized, OrderedMap, POSITIONS,
    Policy, Problem, SealKey, SealSettings, Service, THEME_SCHEMES, Theme, UnknownPolicy,
};
use crate::json::{self, Value};
use crate::strings::{concat, decimal};

/// Reads a config's JSON text; the problems with their paths when it has the wrong shape.
pub(super) fn config(text: &str) -> Result<Config, Vec<Problem>> {
    let value = json::parse(text).map_err(|error| vec![Problem::new("", error)])?;
    let mut reader = Reader::default();
    let config = reader.config(&value);
    if reader.problems.is_empty() {
        Ok(config)
    } else {
        Err(reader.problems)
    }
}

/// One JSON object being read: its entries and path. One that is missing or not an object
/// (already reported) reads as empty, and its missing fields are not reported again.
struct Object<'v> {
    entries: &'v [(String, Value)],
    path: String,
    present: bool,
}

impl<'v> Object<'v> {
    /// The value of field `name`; `None` when it is absent or `null`.
    fn get(&self, name: &str) -> Option<&'v Value> {
        self.entries
            .iter()
            .find(|(key, value)| key == name && !matches!(value, Value::Null))
            .map(|(_, value)| value)
    }

    /// The path of field `name`.
    fn path_of(&self, name: &str) -> String {
        child(&self.path, name)
    }
}

#[derive(Default)]
struct Reader {
    problems: Vec<Problem>,
}

/// Whether a field must be given.
const REQUIRED: bool = true;
/// Whether a field may be left out.
const OPTIONAL: bool = false;

/// `path.key` (or `key` at the top).
fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        concat(&[path, ".", key])
    }
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

    /// `value` as an object at `path` whose keys are among `allowed`; each unknown or repeated
    /// key is reported. Not an object: reported, and read as an empty one.
    fn object<'v>(&mut self, path: String, value: &'v Value, allowed: &[&str]) -> Object<'v> {
        let present = matches!(value, Value::Object(_));
        let entries = self.entries(&path, value);
        for (key, _) in entries {
            if !allowed.contains(&key.as_str()) {
                let message = concat(&[
                    "unknown field `",
                    key,
                    "`, expected one of ",
                    &quoted_list(allowed),
                ]);
                self.report(&child(&path, key), message);
            }
        }
        Object {
            entries,
            path,
            present,
        }
    }

    /// The entries of an object; a key given twice is reported.
    fn entries<'v>(&mut self, path: &str, value: &'v Value) -> &'v [(String, Value)] {
        let Value::Object(entries) = value else {
            self.invalid_type(path, value, "an object");
            return &[];
        };
        for (i, (key, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(earlier, _)| earlier == key) {
                self.report(path, concat(&["duplicate key `", key, "`"]));
            }
        }
        entries
    }

    /// Field `name` of `object`: reported when `required` and missing.
    fn field<'v>(&mut self, object: &Object<'v>, name: &str, required: bool) -> Option<&'v Value> {
        let value = object.get(name);
        if value.is_none() && required && object.present {
            self.report(&object.path, concat(&["missing field `", name, "`"]));
        }
        value
    }

    /// The nested object in field `name`, with its allowed fields.
    fn nested<'v>(
        &mut self,
        object: &Object<'v>,
        name: &str,
        required: bool,
        allowed: &[&str],
    ) -> Object<'v> {
        match self.field(object, name, required) {
            Some(value) => self.object(object.path_of(name), value, allowed),
            None => Object {
                entries: &[],
                path: object.path_of(name),
                present: false,
            },
        }
    }

    /// The entries of the object in field `name`, keys in document order and each key once
    /// (a repeat is reported), with the path of each.
    fn named<'v>(&mut self, object: &Object<'v>, name: &str) -> Vec<(String, String, &'v Value)> {
        let path = object.path_of(name);
        let mut named: Vec<(String, String, &Value)> = Vec::new();
        if let Some(value) = object.get(name) {
            for (key, value) in self.entries(&path, value) {
                if !named.iter().any(|(seen, _, _)| seen == key) {
                    named.push((key.clone(), child(&path, key), value));
                }
            }
        }
        named
    }

    fn text(&mut self, object: &Object<'_>, name: &str, required: bool) -> Option<String> {
        let value = self.field(object, name, required)?;
        self.string(&object.path_of(name), value)
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

    fn flag(&mut self, object: &Object<'_>, name: &str, default: bool) -> bool {
        match self.field(object, name, OPTIONAL) {
            Some(Value::Bool(flag)) => *flag,
            Some(other) => {
                self.invalid_type(&object.path_of(name), other, "true or false");
                default
            }
            None => default,
        }
    }

    /// A whole number from 0 to `max`.
    fn whole(&mut self, object: &Object<'_>, name: &str, max: u64) -> Option<u64> {
        let value = self.field(object, name, OPTIONAL)?;
        let n = value.as_u64().filter(|&n| n <= max);
        if n.is_none() {
            let expected = concat(&["a whole number from 0 to ", &decimal(max)]);
            self.invalid_type(&object.path_of(name), value, &expected);
        }
        n
    }

    /// An array of strings (empty when absent).
    fn texts(&mut self, object: &Object<'_>, name: &str) -> Vec<String> {
        match self.field(object, name, OPTIONAL) {
            Some(value) => self.strings(&object.path_of(name), value),
            None => Vec::new(),
        }
    }

    fn strings(&mut self, path: &str, value: &Value) -> Vec<String> {
        let Value::Array(items) = value else {
            self.invalid_type(path, value, "an array of strings");
            return Vec::new();
        };
        let mut strings = Vec::with_capacity(items.len());
        for (i, value) in items.iter().enumerate() {
            let path = concat(&[path, "[", &decimal(i as u64), "]"]);
            strings.extend(self.string(&path, value));
        }
        strings
    }

    /// One of `names`: its index.
    fn one_of(&mut self, object: &Object<'_>, name: &str, names: &[&str]) -> Option<usize> {
        let text = self.text(object, name, OPTIONAL)?;
        let found = names.iter().position(|n| *n == text);
        if found.is_none() {
            let message = concat(&[
                "unknown variant `",
                &text,
                "`, expected one of ",
                &quoted_list(names),
            ]);
            self.report(&object.path_of(name), message);
        }
        found
    }

    fn localized(&mut self, object: &Object<'_>, name: &str, required: bool) -> Option<Localized> {
        let value = self.field(object, name, required)?;
        let path = object.path_of(name);
        match value {
            Value::String(text) => Some(Localized::Same(text.clone())),
            Value::Object(entries) if entries.is_empty() => {
                self.report(
                    &path,
                    "expected a text for at least one language".to_owned(),
                );
                None
            }
            Value::Object(_) => Some(Localized::PerLanguage(self.text_map(path, value))),
            other => {
                let expected = r#"a string or an object like {"de": "…", "en": "…"}"#;
                self.invalid_type(&path, other, expected);
                None
            }
        }
    }

    fn config(&mut self, value: &Value) -> Config {
        let config = self.object(
            String::new(),
            value,
            &[
                "tenant",
                "language",
                "policy",
                "banner",
                "consent",
                "categories",
                "texts",
                "googleConsentMode",
                "seal",
            ],
        );
        let tenant = self.text(&config, "tenant", REQUIRED);
        let language = self.text(&config, "language", OPTIONAL);
        let policy = self.nested(&config, "policy", REQUIRED, &["privacyUrl", "imprintUrl"]);
        let policy = Policy {
            privacy_url: self
                .text(&policy, "privacyUrl", REQUIRED)
                .unwrap_or_default(),
            imprint_url: self
                .text(&policy, "imprintUrl", REQUIRED)
                .unwrap_or_default(),
        };
        let banner = self.nested(
            &config,
            "banner",
            OPTIONAL,
            &["layout", "position", "colorScheme", "theme"],
        );
        let theme = self.theme(&banner);
        let mut pick =
            |name, names: &[&'static str]| names[self.one_of(&banner, name, names).unwrap_or(0)];
        let banner = BannerLook {
            layout: pick("layout", &LAYOUTS),
            position: pick("position", &POSITIONS),
            color_scheme: pick("colorScheme", &COLOR_SCHEMES),
            theme,
        };
        let consent = self.consent(&config);
        self.field(&config, "categories", REQUIRED);
        let mut categories = Vec::new();
        for (name, path, value) in self.named(&config, "categories") {
            let category = self.category(path, value);
            categories.push((name, category));
        }
        let mut texts = Vec::new();
        for (lang, path, value) in self.named(&config, "texts") {
            let map = self.text_map(path, value);
            texts.push((lang, map));
        }
        let google_consent_mode = config
            .get("googleConsentMode")
            .map(|value| self.google_consent_mode(config.path_of("googleConsentMode"), value));
        let seal = config.get("seal").map(|_| self.seal(&config));
        // Each map is made from its vector as it is: `collect()` would compile a copying loop
        // for every entry type.
        Config {
            tenant: tenant.unwrap_or_default(),
            language: match language {
                Some(auto) if auto == "auto" => LanguageSetting::Auto,
                Some(lang) => LanguageSetting::Fixed(lang),
                None => LanguageSetting::default(),
            },
            policy,
            banner,
            consent,
            categories: OrderedMap(categories),
            texts: OrderedMap(texts),
            google_consent_mode,
            seal,
        }
    }

    /// `banner.theme`: per scheme, the colours it sets.
    fn theme(&mut self, banner: &Object<'_>) -> Theme {
        let theme = self.nested(banner, "theme", OPTIONAL, THEME_SCHEMES);
        let mut colours = Theme::default();
        for (s, scheme) in THEME_SCHEMES.iter().enumerate() {
            let palette = self.nested(&theme, scheme, OPTIONAL, &COLOURS);
            for (i, name) in COLOURS.iter().enumerate() {
                let Some(value) = self.field(&palette, name, OPTIONAL) else {
                    continue;
                };
                colours[s][i] = hex_colour(value);
                if colours[s][i].is_none() {
                    let message = "expected a colour like #0b4f9c".to_owned();
                    self.report(&palette.path_of(name), message);
                }
            }
        }
        colours
    }

    fn consent(&mut self, config: &Object<'_>) -> ConsentSettings {
        let consent = self.nested(
            config,
            "consent",
            OPTIONAL,
            &[
                "cookieName",
                "expiresAfterDays",
                "refusalExpiresAfterDays",
                "domain",
                "respectGpc",
                "logEndpoint",
                "unknownCookies",
                "reloadOnWithdrawal",
            ],
        );
        let defaults = ConsentSettings::default();
        let unknown = self.one_of(&consent, "unknownCookies", &["block", "allow"]);
        ConsentSettings {
            cookie_name: self
                .text(&consent, "cookieName", OPTIONAL)
                .unwrap_or(defaults.cookie_name),
            expires_after_days: self
                .whole(&consent, "expiresAfterDays", u32::MAX.into())
                .map_or(defaults.expires_after_days, |days| days as u32),
            refusal_expires_after_days: self
                .whole(&consent, "refusalExpiresAfterDays", u32::MAX.into())
                .map_or(defaults.refusal_expires_after_days, |days| days as u32),
            domain: self.text(&consent, "domain", OPTIONAL),
            respect_gpc: self.flag(&consent, "respectGpc", defaults.respect_gpc),
            log_endpoint: self.text(&consent, "logEndpoint", OPTIONAL),
            unknown_cookies: [UnknownPolicy::Block, UnknownPolicy::Allow][unknown.unwrap_or(0)],
            reload_on_withdrawal: self.flag(&consent, "reloadOnWithdrawal", false),
        }
    }

    fn google_consent_mode(&mut self, path: String, value: &Value) -> GoogleConsentMode {
        let object = self.object(path, value, &GOOGLE_CONSENT_MODE_FIELDS);
        let mut types = Vec::new();
        for name in GOOGLE_CONSENT_TYPES {
            if let Some(value) = object.get(name) {
                types.push((
                    (*name).to_owned(),
                    self.strings(&object.path_of(name), value),
                ));
            }
        }
        let mut option = |name| {
            object
                .get(name)
                .is_some()
                .then(|| self.flag(&object, name, false))
        };
        let ads_data_redaction = option("ads_data_redaction");
        let url_passthrough = option("url_passthrough");
        GoogleConsentMode {
            types: OrderedMap(types),
            region: self.texts(&object, "region"),
            ads_data_redaction,
            url_passthrough,
        }
    }

    fn category(&mut self, path: String, value: &Value) -> Category {
        let category = self.object(
            path,
            value,
            &["readOnly", "title", "description", "services"],
        );
        let read_only = self.flag(&category, "readOnly", false);
        let title = self.localized(&category, "title", OPTIONAL);
        let description = self.localized(&category, "description", OPTIONAL);
        let mut services = Vec::new();
        for (key, path, value) in self.named(&category, "services") {
            let service = self.service(path, value);
            services.push((key, service));
        }
        Category {
            read_only,
            title,
            description,
            services: OrderedMap(services),
        }
    }

    fn service(&mut self, path: String, value: &Value) -> Service {
        let service = self.object(
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
        );
        Service {
            name: self.localized(&service, "name", OPTIONAL),
            provider: self
                .localized(&service, "provider", REQUIRED)
                .unwrap_or(Localized::Same(String::new())),
            purpose: self
                .localized(&service, "purpose", REQUIRED)
                .unwrap_or(Localized::Same(String::new())),
            cookies: self.texts(&service, "cookies"),
            storage: self.texts(&service, "storage"),
            hosts: self.texts(&service, "hosts"),
            retention: self.localized(&service, "retention", OPTIONAL),
            recipients: self.localized(&service, "recipients", OPTIONAL),
            privacy_url: self.text(&service, "privacyUrl", OPTIONAL),
            embed: self.flag(&service, "embed", false),
        }
    }

    /// An object of texts at `path`: a language's texts (`{ "bannerTitle": "…", … }`), or a
    /// text per language (`{ "de": "…", "en": "…" }`).
    fn text_map(&mut self, path: String, value: &Value) -> OrderedMap<String> {
        let mut map = Vec::new();
        for (key, value) in self.entries(&path, value) {
            if let Some(text) = self.string(&child(&path, key), value) {
                map.push((key.clone(), text));
            }
        }
        OrderedMap(map)
    }

    fn seal(&mut self, config: &Object<'_>) -> SealSettings {
        let seal = self.nested(config, "seal", OPTIONAL, &["keys", "maxAttachmentBytes"]);
        let mut keys = Vec::new();
        match self.field(&seal, "keys", REQUIRED) {
            Some(Value::Array(items)) => {
                for (i, value) in items.iter().enumerate() {
                    let path = concat(&[&seal.path_of("keys"), "[", &decimal(i as u64), "]"]);
                    keys.push(self.seal_key(path, value));
                }
            }
            Some(other) => self.invalid_type(&seal.path_of("keys"), other, "an array of keys"),
            None => {}
        }
        SealSettings {
            keys,
            max_attachment_bytes: self
                .whole(&seal, "maxAttachmentBytes", u64::MAX)
                .unwrap_or(DEFAULT_MAX_ATTACHMENT_BYTES),
        }
    }

    fn seal_key(&mut self, path: String, value: &Value) -> SealKey {
        let key = self.object(path, value, &["kid", "publicKey", "status"]);
        let kid = self.text(&key, "kid", REQUIRED).unwrap_or_default();
        let public_key = self.text(&key, "publicKey", REQUIRED).unwrap_or_default();
        self.field(&key, "status", REQUIRED);
        let status = self.one_of(&key, "status", &["active", "retired"]);
        SealKey {
            kid,
            public_key,
            status: [KeyStatus::Active, KeyStatus::Retired][status.unwrap_or(0)],
        }
    }
}

/// `#rgb` or `#rrggbb` (either case) as `0xRRGGBB`.
fn hex_colour(value: &Value) -> Option<u32> {
    let Value::String(text) = value else {
        return None;
    };
    // Three digits stand for six, each written twice: #0bf is #00bbff.
    let (shift, twice) = match text.len() {
        4 => (8, 0x11),
        7 => (4, 1),
        _ => return None,
    };
    let digits = text.strip_prefix('#')?;
    let mut colour = 0;
    for digit in digits.bytes() {
        colour = (colour << shift) | (twice * char::from(digit).to_digit(16)?);
    }
    Some(colour)
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
                "a": { "readOnly": "yes", "services": { "s": { "purpose": { "fr": 1 } } } },
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
                 `expiresAfterDays`, `refusalExpiresAfterDays`, `domain`, `respectGpc`, `logEndpoint`, `unknownCookies`, \
                 `reloadOnWithdrawal`",
                "consent.expiresAfterDays: invalid type: number -1, expected a whole number \
                 from 0 to 4294967295",
                "categories: duplicate key `a`",
                "categories.a.readOnly: invalid type: string \"yes\", expected true or false",
                "categories.a.services.s: missing field `provider`",
                "categories.a.services.s.purpose.fr: invalid type: number 1, expected a string",
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
        assert_eq!(config.language, LanguageSetting::default());
        assert!(config.consent.respect_gpc && config.consent.domain.is_none());
        assert!(config.seal.is_none());
        assert_eq!(
            problems(&base.replace(r#""tenant": "t""#, r#""tenant": null"#)),
            ["missing field `tenant`"]
        );
    }

    #[test]
    fn a_theme_is_read_as_colours_and_anything_else_is_named_by_its_path() {
        let with_theme = |theme: &str| {
            concat(&[
                r#"{ "tenant": "t", "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
                     "categories": {}, "banner": { "theme": "#,
                theme,
                " } }",
            ])
        };
        let read = config(&with_theme(
            r##"{ "light": { "text": "#0B4F9c", "button": "#0bf" }, "dark": { "focus": null } }"##,
        ))
        .expect("valid shape");
        let mut expected = Theme::default();
        expected[0][1] = Some(0x0b4f9c);
        expected[0][5] = Some(0x00bbff);
        assert_eq!(read.banner.theme, expected);
        assert_eq!(
            config(&with_theme("null")).expect("valid").banner.theme,
            Theme::default()
        );
        assert_eq!(
            problems(&with_theme(
                r##"{ "light": { "txt": "#000" }, "dark": { "button": "blue", "text": "#12345",
                    "line": 255, "link": "#0b4f9g", "muted": "0b4f9c", "focus": "#+12" },
                    "sepia": {} }"##
            )),
            [
                "banner.theme.sepia: unknown field `sepia`, expected one of `light`, `dark`",
                "banner.theme.light.txt: unknown field `txt`, expected one of `background`, \
                 `text`, `muted`, `line`, `link`, `button`, `buttonText`, `focus`",
                "banner.theme.dark.text: expected a colour like #0b4f9c",
                "banner.theme.dark.muted: expected a colour like #0b4f9c",
                "banner.theme.dark.line: expected a colour like #0b4f9c",
                "banner.theme.dark.link: expected a colour like #0b4f9c",
                "banner.theme.dark.button: expected a colour like #0b4f9c",
                "banner.theme.dark.focus: expected a colour like #0b4f9c",
            ]
        );
        assert_eq!(
            problems(&with_theme(r#""dark""#)),
            ["banner.theme: invalid type: string \"dark\", expected an object"]
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
