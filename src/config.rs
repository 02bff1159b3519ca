//! The configuration: one JSON schema for the browser, the CLI and Rust backends.
//!
//! [`Config::from_json`] reads the JSON with [`crate::json`] and walks it field by field
//! (`read`, the one definition of the schema for the browser, the CLI and Rust backends), so
//! that every syntax or shape problem names its dotted path (`categories.analytics.servces:
//! unknown field …`); then it runs the semantic rules of [`validate`]. **Every** problem is
//! reported at once: all shape problems, or, when the shape is right, all semantic ones.
//!
//! The schema is documented field by field on the types below; `README.md` shows a full example.

mod read;
mod texts;
pub(crate) mod validate;

use std::fmt;

use crate::strings::{concat, hex, join};

pub use texts::{TextKey, Texts};
pub use validate::validate;

/// Name of the consent cookie when the config does not set one.
pub const DEFAULT_COOKIE_NAME: &str = "kd_consent";

/// A whole keksdose configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Short machine name of the site or municipality (`[a-z0-9-]`), used in records and by the
    /// collector to keep tenants apart.
    pub tenant: String,
    /// Language of the banner: a language tag (default `"de"`), or `"auto"` (`<html lang>`, then
    /// the browser's languages, among those the config offers: see [`Config::languages`]).
    pub language: LanguageSetting,
    /// Links that must stay reachable while the banner is open.
    pub policy: Policy,
    /// How the banner looks: layout, position, colour scheme, theme.
    pub banner: BannerLook,
    /// How the decision is stored and logged.
    pub consent: ConsentSettings,
    /// Purposes in display order. A category with `readOnly: true` is technically necessary.
    pub categories: OrderedMap<Category>,
    /// The banner's texts per language tag (see [`TextKey`]): for German and English overrides
    /// of the shipped texts, for any other language every text.
    pub texts: OrderedMap<OrderedMap<String>>,
    /// Google Consent Mode v2, when the site uses Google tags.
    pub google_consent_mode: Option<GoogleConsentMode>,
    /// Sealed forms: the controller's public keys.
    pub seal: Option<SealSettings>,
}

/// The languages keksdose ships every text for, German (the default) first.
pub const SHIPPED_LANGUAGES: [&str; 2] = ["de", "en"];

/// Languages written right to left: the banner of such a language gets `dir="rtl"`.
const RIGHT_TO_LEFT: [&str; 8] = ["ar", "ckb", "dv", "fa", "he", "ps", "ur", "yi"];

/// The configured banner language: `"de"` (default), another language tag, or `"auto"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LanguageSetting {
    /// Always this language.
    Fixed(String),
    /// `<html lang>`, then the browser's preferred languages, among the offered ones (see
    /// [`Config::languages`]); German when none matches.
    Auto,
}

impl Default for LanguageSetting {
    fn default() -> Self {
        LanguageSetting::Fixed(SHIPPED_LANGUAGES[0].to_owned())
    }
}

/// Whether `tag` is a language tag keksdose accepts: an ISO 639 code of 2 or 3 lower-case
/// letters (`de`, `en`, `tr`, `ckb`).
pub fn is_language_tag(tag: &str) -> bool {
    (2..=3).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_lowercase())
}

/// Whether `lang` is written right to left.
pub fn is_right_to_left(lang: &str) -> bool {
    RIGHT_TO_LEFT.contains(&lang)
}

/// The first of `offered` that one of the `wanted` language tags names, in the order of
/// `wanted` (the document's `lang`, then the browser's preferred languages), compared by primary
/// subtag (`de-AT` picks `de`); else the first offered.
pub fn pick_language<'a>(offered: &[&'a str], wanted: &[String]) -> &'a str {
    for tag in wanted {
        let tag = tag.as_bytes();
        for lang in offered {
            let n = lang.len();
            if tag.len() >= n
                && tag[..n].eq_ignore_ascii_case(lang.as_bytes())
                && matches!(tag.get(n), None | Some(b'-' | b'_'))
            {
                return lang;
            }
        }
    }
    offered[0]
}

/// Privacy policy and imprint, linked from the banner.
#[derive(Debug, Clone)]
pub struct Policy {
    /// URL of the privacy policy (Datenschutzerklärung).
    pub privacy_url: String,
    /// URL of the imprint (Impressum).
    pub imprint_url: String,
}

/// How names that no service declares are treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownPolicy {
    /// Undeclared cookie and storage names are refused (default).
    #[default]
    Block,
    /// Undeclared names are let through.
    Allow,
}

/// The banner's layouts (`banner.layout`; the first is the default): a box, a bar across the
/// screen, or a wide box with the choices beside the text.
pub const LAYOUTS: [&str; 3] = ["box", "bar", "cloud"];

/// The banner's positions (`banner.position`; the first is the default). Left and right are for
/// a box.
pub const POSITIONS: [&str; 4] = ["bottom", "top", "bottom-left", "bottom-right"];

/// Colour schemes (`banner.colorScheme`; the first is the default): the visitor's setting, or
/// always light or dark.
pub const COLOR_SCHEMES: [&str; 3] = ["auto", "light", "dark"];

/// The schemes a theme gives colours for (`banner.theme.light`, `banner.theme.dark`), in the
/// order of [`Theme`].
pub const THEME_SCHEMES: &[&str] = COLOR_SCHEMES.split_at(1).1;

/// The colours a theme may set, in the order of a [`Theme`]'s palettes and of
/// [`DEFAULT_COLOURS`]: `keksdose.css` takes each from the custom property
/// `--kd-theme-<scheme>-<name>` (`--kd-theme-dark-buttonText`), else from its default.
pub const COLOURS: [&str; 8] = [
    "background",
    "text",
    "muted",
    "line",
    "link",
    "button",
    "buttonText",
    "focus",
];

/// The colours of `keksdose.css` (`0xRRGGBB`), light then dark, in the order of [`COLOURS`];
/// a native test compares them with the stylesheet.
pub const DEFAULT_COLOURS: [[u32; 8]; 2] = [
    [
        0xffffff, 0x1b1b1b, 0x4b4b4b, 0x767676, 0x0b4f9c, 0x0b4f9c, 0xffffff, 0xb3261e,
    ],
    [
        0x1f1f1f, 0xf2f2f2, 0xcfcfcf, 0x9a9a9a, 0x9ec5ff, 0x9ec5ff, 0x0d1b2a, 0xffb4ab,
    ],
];

/// The colours of `banner.theme` (`0xRRGGBB`) by scheme ([`THEME_SCHEMES`]) and name
/// ([`COLOURS`]); `None` keeps the stylesheet's.
pub type Theme = [[Option<u32>; 8]; 2];

/// A theme's colour `0xRRGGBB` as CSS writes it: `#rrggbb`.
pub fn css_colour(colour: u32) -> String {
    let [_, r, g, b] = colour.to_be_bytes();
    concat(&["#", &hex(&[r, g, b])])
}

/// How the banner looks; each a name from [`LAYOUTS`], [`POSITIONS`] and [`COLOR_SCHEMES`], and
/// the theme's colours. Not part of the revision: it changes nothing the visitor is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BannerLook {
    /// `box`, `bar` or `cloud`.
    pub layout: &'static str,
    /// `bottom`, `top`, `bottom-left` or `bottom-right`.
    pub position: &'static str,
    /// `auto`, `light` or `dark`.
    pub color_scheme: &'static str,
    /// `banner.theme`: `{ "light": { "background": "#fff", … }, "dark": { … } }`, each colour
    /// optional, `#rgb` or `#rrggbb`.
    pub theme: Theme,
}

impl Default for BannerLook {
    fn default() -> Self {
        BannerLook {
            layout: LAYOUTS[0],
            position: POSITIONS[0],
            color_scheme: COLOR_SCHEMES[0],
            theme: Theme::default(),
        }
    }
}

/// Storage and logging of the decision.
#[derive(Debug, Clone)]
pub struct ConsentSettings {
    /// Name of the first-party consent cookie (default `kd_consent`).
    pub cookie_name: String,
    /// Days a decision that gives consent lasts before the visitor is asked again (1–395,
    /// default 180).
    pub expires_after_days: u32,
    /// Days a refusal of everything lasts: within them the visitor is not asked again, also not
    /// when only wording changes (1–395, default 180, about six months).
    pub refusal_expires_after_days: u32,
    /// Cookie `Domain` attribute, to share the decision across subdomains; `null` = this host only.
    pub domain: Option<String>,
    /// Treat the browser's Global Privacy Control signal as "reject all" (default true).
    pub respect_gpc: bool,
    /// Path or URL that receives the consent records (`navigator.sendBeacon`); `null` = none.
    pub log_endpoint: Option<String>,
    /// Cookie and storage names no service declares: `"block"` (default) or `"allow"`.
    pub unknown_cookies: UnknownPolicy,
    /// Reload the page after a withdrawal so already running code stops (default false).
    pub reload_on_withdrawal: bool,
}

/// The suffixes of keksdose's own `localStorage` keys after the cookie name: the visitor's records,
/// and the records the browser could not send yet.
const OWN_STORAGE_SUFFIXES: [&str; 2] = [".records", ".unsent"];

impl ConsentSettings {
    /// The `localStorage` key of the visitor's own consent records: `<cookieName>.records`.
    pub fn records_key(&self) -> String {
        concat(&[&self.cookie_name, OWN_STORAGE_SUFFIXES[0]])
    }

    /// The `localStorage` key of records the browser could not send yet: `<cookieName>.unsent`.
    pub fn unsent_key(&self) -> String {
        concat(&[&self.cookie_name, OWN_STORAGE_SUFFIXES[1]])
    }

    /// Whether `key` is one of keksdose's own `localStorage` keys. Asked on every storage write
    /// of the page, so without building the keys.
    pub fn is_own_storage_key(&self, key: &str) -> bool {
        key.strip_prefix(self.cookie_name.as_str())
            .is_some_and(|suffix| OWN_STORAGE_SUFFIXES.contains(&suffix))
    }
}

impl Default for ConsentSettings {
    fn default() -> Self {
        ConsentSettings {
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            expires_after_days: 180,
            refusal_expires_after_days: 180,
            domain: None,
            respect_gpc: true,
            log_endpoint: None,
            unknown_cookies: UnknownPolicy::Block,
            reload_on_withdrawal: false,
        }
    }
}

/// The fields of `googleConsentMode`: the consent types, then Google's options.
pub(crate) const GOOGLE_CONSENT_MODE_FIELDS: [&str; 10] = [
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
    "region",
    "ads_data_redaction",
    "url_passthrough",
];

/// The consent types of Google Consent Mode v2, in the order keksdose sends them.
pub const GOOGLE_CONSENT_TYPES: &[&str] = GOOGLE_CONSENT_MODE_FIELDS.split_at(7).0;

/// Google Consent Mode v2: which categories grant which consent type, and Google's options.
///
/// JSON: one object, `{ "analytics_storage": ["analytics"], "ad_storage": ["marketing"], …,
/// "region": ["DE"], "ads_data_redaction": true, "url_passthrough": false }`, in Google's names.
#[derive(Debug, Clone, Default)]
pub struct GoogleConsentMode {
    /// Consent type (one of [`GOOGLE_CONSENT_TYPES`]) → the categories that grant it (any one
    /// of them allowed is enough). A type not listed is denied, except `security_storage`,
    /// which is granted: it is technically necessary.
    pub types: OrderedMap<Vec<String>>,
    /// ISO 3166-2 regions the default applies to (Google's `region`); empty = everywhere.
    pub region: Vec<String>,
    /// Google's `ads_data_redaction`, when given.
    pub ads_data_redaction: Option<bool>,
    /// Google's `url_passthrough`, when given.
    pub url_passthrough: Option<bool>,
}

/// A purpose the visitor can allow or refuse as a whole.
#[derive(Debug, Clone, Default)]
pub struct Category {
    /// Technically necessary: always on, no toggle, allowed without consent.
    pub read_only: bool,
    /// Heading in the preferences; optional for the names keksdose ships texts for
    /// (`necessary`, `functional`, `analytics`, `marketing`, `media`).
    pub title: Option<Localized>,
    /// One or two sentences on the purpose; optional like `title`.
    pub description: Option<Localized>,
    /// The services (processors, tools) that serve this purpose.
    pub services: OrderedMap<Service>,
}

/// One service (a tool or provider) within a category.
#[derive(Debug, Clone)]
pub struct Service {
    /// Display name; defaults to the service's key.
    pub name: Option<Localized>,
    /// Who processes the data (name, and where relevant the address).
    pub provider: Localized,
    /// What the service is used for.
    pub purpose: Localized,
    /// Cookie names it writes; `*` matches any run of characters.
    pub cookies: Vec<String>,
    /// localStorage / sessionStorage keys it writes; globs like `cookies`.
    pub storage: Vec<String>,
    /// Hosts it loads from: `stats.example.org` or `*.example.org` (subdomains).
    pub hosts: Vec<String>,
    /// How long its cookies and storage are kept; required when it declares any.
    pub retention: Option<Localized>,
    /// Recipients of the data and any third country (Art. 13 GDPR).
    pub recipients: Option<Localized>,
    /// The provider's privacy policy.
    pub privacy_url: Option<String>,
    /// Its content is embedded with `<iframe data-src>` and gets a placeholder until consent.
    pub embed: bool,
}

impl Service {
    /// The display name in `lang`: `name`, else the service's key.
    pub fn display_name<'a>(&'a self, key: &'a str, lang: &str) -> &'a str {
        self.name
            .as_ref()
            .and_then(|name| name.get(lang))
            .unwrap_or(key)
    }
}

/// Sealed forms: where submissions are encrypted to.
#[derive(Debug, Clone)]
pub struct SealSettings {
    /// The controller's public keys; exactly one is `active`.
    pub keys: Vec<SealKey>,
    /// Largest total size of the attachments of one submission, in bytes (default 25 MiB).
    pub max_attachment_bytes: u64,
}

/// `seal.maxAttachmentBytes` when the config does not set it (25 MiB).
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 25 * 1024 * 1024;

/// One public key of the controller.
#[derive(Debug, Clone)]
pub struct SealKey {
    /// The key id as printed by `keksdose keygen`.
    pub kid: String,
    /// The public key as printed by `keksdose keygen`.
    pub public_key: String,
    /// `active` (new submissions) or `retired` (kept so old ones can be matched).
    pub status: KeyStatus,
}

/// Whether a key seals new submissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Seals new submissions.
    Active,
    /// No longer used for new submissions.
    Retired,
}

/// A text given once for every language, or per language: `"…"` or `{ "de": "…", "en": "…" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Localized {
    /// The same text in every language.
    Same(String),
    /// Per language tag. Every language the banner is offered in must be there (see
    /// [`Config::languages`]); `check-config` reports the missing ones.
    PerLanguage(OrderedMap<String>),
}

impl Localized {
    /// The text in `lang`; `None` when it is given per language, but not in `lang`.
    pub fn get(&self, lang: &str) -> Option<&str> {
        match self {
            Localized::Same(text) => Some(text),
            Localized::PerLanguage(texts) => texts.get(lang).map(String::as_str),
        }
    }

    /// The text in `lang`, empty when it is missing.
    pub fn text(&self, lang: &str) -> &str {
        self.get(lang).unwrap_or_default()
    }
}

/// A JSON object whose keys keep their order (display order matters) and may not repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedMap<T>(Vec<(String, T)>);

impl<T> Default for OrderedMap<T> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<T> OrderedMap<T> {
    /// Entries in document order.
    pub fn iter(&self) -> Entries<'_, T> {
        Entries(self.0.iter())
    }

    /// Keys in document order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.iter().map(|(key, _)| key)
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The entries of an [`OrderedMap`], in document order. Its own type rather than a `map` over the
/// slice's iterator: each way of consuming that compiled a copy of the adapter into the wasm
/// module (144 B gzip less for the consent module).
pub struct Entries<'a, T>(std::slice::Iter<'a, (String, T)>);

impl<'a, T> Iterator for Entries<'a, T> {
    type Item = (&'a str, &'a T);

    fn next(&mut self) -> Option<Self::Item> {
        let (key, value) = self.0.next()?;
        Some((key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<T> ExactSizeIterator for Entries<'_, T> {}

impl<T> FromIterator<(String, T)> for OrderedMap<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        OrderedMap(iter.into_iter().collect())
    }
}

/// One thing wrong with a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the offending value, e.g. `categories.analytics.services.matomo.hosts[0]`;
    /// empty for the document as a whole.
    pub path: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }

    /// `path: message`, or the message alone for the document as a whole.
    pub fn line(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            concat(&[&self.path, ": ", &self.message])
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

/// Everything wrong with a config: its syntax error, all shape problems, or all semantic ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The problems, each with its dotted path.
    pub problems: Vec<Problem>,
}

impl ConfigError {
    /// One line per problem.
    pub fn lines(&self) -> String {
        let lines: Vec<String> = self.problems.iter().map(Problem::line).collect();
        join(&lines, "\n")
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Parses and validates a JSON config; every problem is reported with its dotted path.
    pub fn from_json(json: &str) -> Result<Config, ConfigError> {
        let config = read::config(json).map_err(|problems| ConfigError { problems })?;
        let problems = validate(&config);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The category named `name`.
    pub fn category(&self, name: &str) -> Option<&Category> {
        self.categories.get(name)
    }

    /// Every service with the category it belongs to: `(category, service key, service)`, in
    /// config order.
    pub fn services(&self) -> Vec<(&str, &str, &Service)> {
        let mut all = Vec::new();
        for (category, c) in self.categories.iter() {
            for (key, service) in c.services.iter() {
                all.push((category, key, service));
            }
        }
        all
    }

    /// The service `key` with the name of its category (service keys are unique).
    pub fn service(&self, key: &str) -> Option<(&str, &Service)> {
        self.categories
            .iter()
            .find_map(|(category, c)| Some((category, c.services.get(key)?)))
    }

    /// The languages the banner is offered in: the fixed `language`; for `auto`, German,
    /// English and every other language `texts` gives.
    pub fn languages(&self) -> Vec<&str> {
        let mut languages = Vec::new();
        match &self.language {
            LanguageSetting::Fixed(lang) => languages.push(lang.as_str()),
            LanguageSetting::Auto => {
                for lang in SHIPPED_LANGUAGES {
                    languages.push(lang);
                }
                for (lang, _) in &self.texts.0 {
                    if !languages.contains(&lang.as_str()) {
                        languages.push(lang);
                    }
                }
            }
        }
        languages
    }

    /// The language to show to a visitor who wants the `wanted` languages, in order (see
    /// [`pick_language`]).
    pub fn language_for(&self, wanted: &[String]) -> &str {
        pick_language(&self.languages(), wanted)
    }

    /// Whether any category needs the visitor's decision (else no banner is shown).
    pub fn needs_decision(&self) -> bool {
        self.categories.iter().any(|(_, c)| !c.read_only)
    }
}
