//! Semantic rules a config must meet beyond its JSON shape, each reported with its dotted path.

use super::{
    COLOURS, Category, Config, DEFAULT_COLOURS, KeyStatus, LanguageSetting, Localized, OrderedMap,
    Problem, SHIPPED_LANGUAGES, SealSettings, Service, THEME_SCHEMES, TextKey, Theme, css_colour,
    is_language_tag,
};
use crate::pattern::glob_matches;
use crate::seal::keys::{KeyError, PublicKey};
use crate::strings::{concat, decimal, hex, join};
use crate::tenant;

/// Categories keksdose ships default titles and descriptions for.
pub(crate) const KNOWN_CATEGORIES: [&str; 5] =
    ["necessary", "functional", "analytics", "marketing", "media"];

/// Largest accepted `consent.expiresAfterDays`: 13 months, the upper bound supervisory
/// authorities accept for a stored consent decision.
pub const MAX_EXPIRES_AFTER_DAYS: u32 = 395;

/// Largest accepted `seal.maxAttachmentBytes` (256 MiB).
pub const MAX_ATTACHMENT_BYTES: u64 = 256 * 1024 * 1024;

/// Most non-necessary categories and services a config may have together: a consent record
/// names each of them, and the collector reads records of up to 16 KiB.
pub const MAX_CHOICES: usize = 256;

/// The colour pairs a theme must keep apart, by index in [`COLOURS`]: (foreground, background,
/// least contrast in tenths). Text, links and the buttons' labels need 4.5:1 (WCAG 2.1 1.4.3),
/// lines and the focus ring 3:1 against the background (1.4.11, non-text contrast).
const CONTRAST_PAIRS: [(usize, usize, u64); 6] = [
    (1, 0, 45),
    (2, 0, 45),
    (4, 0, 45),
    (6, 5, 45),
    (3, 0, 30),
    (7, 0, 30),
];

/// Every semantic problem of `config`, in document order; empty when it is valid.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut v = Validator {
        problems: Vec::new(),
        languages: config.languages(),
    };
    // A language that is no tag is reported once, below, not for every text it lacks.
    v.languages.retain(|lang| is_language_tag(lang));
    v.tenant(&config.tenant);
    if let LanguageSetting::Fixed(lang) = &config.language {
        v.language_tag("language", lang);
    }
    v.url("policy.privacyUrl", &config.policy.privacy_url);
    v.url("policy.imprintUrl", &config.policy.imprint_url);
    // Checked natively (`check-config`), not in the browser, where such a bar simply spans the
    // screen at the bottom: the consent build is paid for on every page view.
    #[cfg(not(target_arch = "wasm32"))]
    if config.banner.layout == "bar" && config.banner.position.starts_with("bottom-") {
        v.report(
            "banner.position",
            concat(&[
                "`",
                config.banner.position,
                "` places a box at a side; a bar spans the screen: use `bottom` or `top`",
            ]),
        );
    }
    v.theme(&config.banner.theme);
    v.consent(config);
    v.categories(config);
    v.texts(config);
    v.google_consent_mode(config);
    if let Some(seal) = &config.seal {
        v.seal(seal);
    }
    v.problems
}

struct Validator<'c> {
    problems: Vec<Problem>,
    /// The languages the banner is offered in.
    languages: Vec<&'c str>,
}

impl Validator<'_> {
    fn report(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    fn tenant(&mut self, tenant: &str) {
        if !tenant::is_valid(tenant) {
            self.report(
                "tenant",
                concat(&["expected ", tenant::RULE, ", e.g. `musterstadt`"]),
            );
        }
    }

    /// A link target: a relative reference or an http(s) URL; never `javascript:` and the like.
    fn url(&mut self, path: &str, url: &str) {
        if url.trim().is_empty() {
            self.report(path, "must not be empty");
        } else if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            self.report(path, "must not contain spaces or control characters");
        } else if let Some(scheme) = url_scheme(url) {
            if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
                self.report(
                    path,
                    concat(&[
                        "scheme `",
                        scheme,
                        ":` is not allowed; use a path or an https URL",
                    ]),
                );
            }
        }
    }

    /// The contrast of every pair of which the theme sets a colour, with the stylesheet's
    /// colour where it sets the other one not.
    fn theme(&mut self, theme: &Theme) {
        for (s, scheme) in THEME_SCHEMES.iter().enumerate() {
            let (palette, defaults) = (theme[s], DEFAULT_COLOURS[s]);
            for (foreground, background, least) in CONTRAST_PAIRS {
                // The colour the theme sets (the foreground's when it sets both), and the other.
                let (at, other) = if palette[foreground].is_some() {
                    (foreground, background)
                } else {
                    (background, foreground)
                };
                let Some(colour) = palette[at] else {
                    continue;
                };
                let with = palette[other].unwrap_or(defaults[other]);
                let tenths = contrast_tenths(colour, with);
                if tenths < least {
                    self.report(
                        concat(&["banner.theme.", scheme, ".", COLOURS[at]]),
                        concat(&[
                            "contrast ",
                            &decimal(tenths / 10),
                            ".",
                            &decimal(tenths % 10),
                            ":1 with ",
                            COLOURS[other],
                            " ",
                            &css_colour(with),
                            if least == 45 {
                                "; at least 4.5:1 is needed (WCAG 2.1 AA)"
                            } else {
                                "; at least 3:1 is needed (WCAG 2.1 AA)"
                            },
                        ]),
                    );
                }
            }
        }
    }

    fn consent(&mut self, config: &Config) {
        let consent = &config.consent;
        if !is_cookie_name(&consent.cookie_name) {
            self.report(
                "consent.cookieName",
                "expected a cookie name of letters, digits and `!#$%&'*+-.^_`|~`",
            );
        }
        for (path, days) in [
            ("consent.expiresAfterDays", consent.expires_after_days),
            (
                "consent.refusalExpiresAfterDays",
                consent.refusal_expires_after_days,
            ),
        ] {
            if !(1..=MAX_EXPIRES_AFTER_DAYS).contains(&days) {
                self.report(
                    path,
                    concat(&[
                        "expected 1 to ",
                        &decimal(MAX_EXPIRES_AFTER_DAYS.into()),
                        " days (13 months)",
                    ]),
                );
            }
        }
        if let Some(domain) = &consent.domain {
            let host = domain.strip_prefix('.').unwrap_or(domain);
            // Browsers refuse a Domain that is a single label (`de`) or an IP address: the
            // decision would never be stored and the banner would come back on every page.
            let ip = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if !is_host(host) || !host.contains('.') || ip {
                self.report(
                    "consent.domain",
                    "expected a domain like `example.org` (or null for this host only)",
                );
            } else if consent.cookie_name.starts_with("__Host-") {
                self.report(
                    "consent.domain",
                    "a `__Host-` cookie cannot have a domain: use null, or another cookie name",
                );
            }
        }
        if let Some(endpoint) = &consent.log_endpoint {
            self.url("consent.logEndpoint", endpoint);
        }
    }

    fn categories(&mut self, config: &Config) {
        if config.categories.is_empty() {
            self.report("categories", "expected at least one category");
        }
        let mut seen_services: Vec<(&str, &str)> = Vec::new();
        let mut choices = 0;
        for (name, category) in config.categories.iter() {
            if !category.read_only {
                choices += 1 + category.services.len();
            }
            let path = concat(&["categories.", name]);
            if !is_identifier(name) {
                self.report(
                    &path,
                    "category names are 1–32 characters a–z, 0–9, `_`, `-`, starting with a letter",
                );
            }
            self.category(&path, name, category);
            for (key, service) in category.services.iter() {
                let path = concat(&[&path, ".services.", key]);
                if let Some((_, other)) = seen_services.iter().find(|(k, _)| *k == key) {
                    self.report(
                        &path,
                        concat(&[
                            "service `",
                            key,
                            "` is already declared in categories.",
                            other,
                            "; service names must be unique",
                        ]),
                    );
                }
                seen_services.push((key, name));
                self.service(&path, key, service, category.read_only, config);
            }
        }
        if choices > MAX_CHOICES {
            self.report(
                "categories",
                concat(&[
                    "at most ",
                    &decimal(MAX_CHOICES as u64),
                    " non-necessary categories and services together",
                ]),
            );
        }
    }

    fn category(&mut self, path: &str, name: &str, category: &Category) {
        let known = KNOWN_CATEGORIES.contains(&name);
        for (field, text) in [
            ("title", &category.title),
            ("description", &category.description),
        ] {
            let path = concat(&[path, ".", field]);
            match text {
                Some(text) => self.localized(&path, text, known),
                None if !known => self.report(
                    path,
                    concat(&[
                        "required: keksdose ships default texts only for ",
                        &join(&KNOWN_CATEGORIES, ", "),
                    ]),
                ),
                // Shipped in German and English only.
                None => self.localized(&path, &Localized::PerLanguage(OrderedMap::default()), true),
            }
        }
    }

    fn service(
        &mut self,
        path: &str,
        key: &str,
        service: &Service,
        necessary: bool,
        config: &Config,
    ) {
        if !is_identifier(key) {
            self.report(
                path,
                "service names are 1–32 characters a–z, 0–9, `_`, `-`, starting with a letter",
            );
        }
        if let Some(name) = &service.name {
            self.localized(&field(path, "name"), name, false);
        }
        self.localized(&field(path, "provider"), &service.provider, false);
        self.localized(&field(path, "purpose"), &service.purpose, false);
        for (i, glob) in service.cookies.iter().enumerate() {
            let path = item(path, "cookies", i);
            if !is_cookie_glob(glob) {
                self.report(
                    &path,
                    "expected a cookie name, `*` matching any run of characters",
                );
            } else if !necessary && glob_matches(glob, &config.consent.cookie_name) {
                self.report(
                    &path,
                    concat(&[
                        "matches the consent cookie `",
                        &config.consent.cookie_name,
                        "`, which is always necessary",
                    ]),
                );
            }
        }
        let settings = &config.consent;
        let own = [settings.records_key(), settings.unsent_key()];
        for (i, glob) in service.storage.iter().enumerate() {
            let path = item(path, "storage", i);
            if glob.is_empty() || glob.chars().any(char::is_control) {
                self.report(
                    &path,
                    "expected a storage key, `*` matching any run of characters",
                );
            } else if let Some(key) = own.iter().find(|key| !necessary && glob_matches(glob, key)) {
                // Refusing the service would delete the visitor's records and the unsent ones.
                self.report(
                    &path,
                    concat(&["matches keksdose's own storage key `", key, "`"]),
                );
            }
        }
        for (i, host) in service.hosts.iter().enumerate() {
            let path = item(path, "hosts", i);
            if host.contains('/') {
                self.report(
                    &path,
                    "expected a host name only, e.g. `stats.example.org`, without scheme or path",
                );
            } else if !is_host(host.strip_prefix("*.").unwrap_or(host)) {
                self.report(
                    &path,
                    "expected a lower-case host like `stats.example.org` or `*.example.org`",
                );
            }
        }
        match &service.retention {
            Some(retention) => self.localized(&field(path, "retention"), retention, false),
            None if !service.cookies.is_empty() || !service.storage.is_empty() => self.report(
                field(path, "retention"),
                "required: say how long the service's cookies and storage are kept",
            ),
            None => {}
        }
        if let Some(recipients) = &service.recipients {
            self.localized(&field(path, "recipients"), recipients, false);
        }
        if let Some(url) = &service.privacy_url {
            self.url(&field(path, "privacyUrl"), url);
        }
        if service.embed {
            if necessary {
                self.report(
                    field(path, "embed"),
                    "an embed in a read-only category would never wait for consent",
                );
            }
            if service.hosts.is_empty() {
                self.report(
                    field(path, "hosts"),
                    "required for an embed: the hosts its content loads from",
                );
            }
        }
    }

    fn texts(&mut self, config: &Config) {
        for (lang, texts) in config.texts.iter() {
            let path = concat(&["texts.", lang]);
            self.language_tag(&path, lang);
            for (key, text) in texts.iter() {
                let path = field(&path, key);
                if TextKey::from_name(key).is_none() {
                    self.report(
                        &path,
                        concat(&["unknown text key; expected one of ", &TextKey::names()]),
                    );
                } else {
                    self.non_empty(&path, text);
                }
            }
        }
        // A language keksdose does not ship needs every text from the config.
        for i in 0..self.languages.len() {
            let lang = self.languages[i];
            if SHIPPED_LANGUAGES.contains(&lang) {
                continue;
            }
            let given = config.texts.get(lang);
            // Joined as found, not collected and then `join`ed: that costs the consent build
            // 73 B gzip (measured with .ci/sizes.mjs).
            let mut missing = String::new();
            for key in TextKey::ALL {
                if given.and_then(|texts| texts.get(key.name())).is_none() {
                    if !missing.is_empty() {
                        missing.push_str(", ");
                    }
                    missing.push_str(key.name());
                }
            }
            if !missing.is_empty() {
                self.report(
                    concat(&["texts.", lang]),
                    concat(&[
                        "missing ",
                        &missing,
                        ": keksdose ships texts only for ",
                        &join(&SHIPPED_LANGUAGES, ", "),
                    ]),
                );
            }
        }
    }

    fn google_consent_mode(&mut self, config: &Config) {
        let Some(mode) = &config.google_consent_mode else {
            return;
        };
        for (consent_type, categories) in mode.types.iter() {
            let path = concat(&["googleConsentMode.", consent_type]);
            if categories.is_empty() {
                self.report(&path, "expected at least one category");
            }
            for (i, category) in categories.iter().enumerate() {
                if config.category(category).is_none() {
                    self.report(
                        concat(&[&path, "[", &decimal(i as u64), "]"]),
                        concat(&["no category `", category, "` in categories"]),
                    );
                }
            }
        }
        for (i, region) in mode.region.iter().enumerate() {
            if !is_region(region) {
                self.report(
                    concat(&["googleConsentMode.region[", &decimal(i as u64), "]"]),
                    "expected an ISO 3166-2 region like `DE` or `US-CA`",
                );
            }
        }
    }

    fn seal(&mut self, seal: &SealSettings) {
        if seal.keys.is_empty() {
            self.report("seal.keys", "expected at least one key");
        }
        let active = seal
            .keys
            .iter()
            .filter(|k| k.status == KeyStatus::Active)
            .count();
        if !seal.keys.is_empty() && active != 1 {
            self.report(
                "seal.keys",
                concat(&[
                    "expected exactly one key with status `active`, found ",
                    &decimal(active as u64),
                ]),
            );
        }
        for (i, key) in seal.keys.iter().enumerate() {
            let path = concat(&["seal.keys[", &decimal(i as u64), "]"]);
            match key.public_key.parse::<PublicKey>() {
                Err(KeyError::SecretWherePublicExpected) => self.report(
                    field(&path, "publicKey"),
                    "this is a SECRET key: remove it from the config at once and keep it only \
                     on the controller's machine; put the public key (kdpk1…) here",
                ),
                // Checked natively (`check-config`, a Rust backend), not in the browser: see
                // `PublicKey::from_str`.
                #[cfg(not(target_arch = "wasm32"))]
                Err(KeyError::LowOrder) => self.report(
                    field(&path, "publicKey"),
                    "a low-order X25519 key (such as all zeros): every submission sealed to it \
                     would fail; use the public key printed by `keksdose keygen`",
                ),
                Err(_) => self.report(
                    field(&path, "publicKey"),
                    "expected a public key starting with `kdpk1` as printed by `keksdose keygen`",
                ),
                Ok(public) => {
                    let kid = hex(&public.kid().0);
                    if key.kid != kid {
                        self.report(
                            field(&path, "kid"),
                            concat(&["does not belong to this public key, whose key id is ", &kid]),
                        );
                    }
                }
            }
        }
        if seal.max_attachment_bytes > MAX_ATTACHMENT_BYTES {
            self.report(
                "seal.maxAttachmentBytes",
                concat(&[
                    "expected at most ",
                    &decimal(MAX_ATTACHMENT_BYTES),
                    " bytes (256 MiB)",
                ]),
            );
        }
    }

    fn non_empty(&mut self, path: &str, text: &str) {
        if text.trim().is_empty() {
            self.report(path, "must not be empty");
        }
    }

    /// A text shown to the visitor. Given per language, it needs every language the banner is
    /// offered in, but German and English where keksdose ships a default (`shipped`).
    fn localized(&mut self, path: &str, text: &Localized, shipped: bool) {
        match text {
            Localized::Same(text) => self.non_empty(path, text),
            Localized::PerLanguage(texts) => {
                for (lang, text) in texts.iter() {
                    self.non_empty(&field(path, lang), text);
                }
                for i in 0..self.languages.len() {
                    let lang = self.languages[i];
                    if texts.get(lang).is_none() && !(shipped && SHIPPED_LANGUAGES.contains(&lang))
                    {
                        let offered = join(&self.languages, ", ");
                        self.report(
                            field(path, lang),
                            concat(&["missing: the banner is offered in ", &offered]),
                        );
                    }
                }
            }
        }
    }

    fn language_tag(&mut self, path: &str, lang: &str) {
        if !is_language_tag(lang) {
            self.report(
                path,
                "expected a language tag of 2–3 lower-case letters (ISO 639), e.g. `de`, `en`, `tr`",
            );
        }
    }
}

/// WCAG 2.1's contrast ratio of two `0xRRGGBB` colours in tenths, rounded down: 45 is 4.5:1.
fn contrast_tenths(a: u32, b: u32) -> u64 {
    let (a, b) = (luminance(a), luminance(b));
    let (lighter, darker) = if a > b { (a, b) } else { (b, a) };
    let ratio = (lighter + 0.05) / (darker + 0.05);
    // A hair added, so that rounding in the last bit cannot make 21:1 read 20.9:1.
    (ratio * 10.0 + 1e-9) as u64
}

/// WCAG 2.1's relative luminance of `0xRRGGBB` (sRGB), from 0 (black) to 1 (white).
fn luminance(rgb: u32) -> f64 {
    let [_, r, g, b] = rgb.to_be_bytes();
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// An sRGB channel in linear light: `c / 12.92` up to 0.04045, else `((c + 0.055) / 1.055)^2.4`,
/// the power taken as x² · (x²)^(1/5) with Newton's method for the fifth root: `powf` would
/// bring libm's `pow` into every page's wasm.
fn linear(channel: u8) -> f64 {
    let c = f64::from(channel) / 255.0;
    if c <= 0.04045 {
        return c / 12.92;
    }
    let x = (c + 0.055) / 1.055;
    let square = x * x;
    // From above (the root of a square of at least 0.0086 is at least 0.38): 24 steps reach
    // the last bit.
    let mut root = 1.0;
    for _ in 0..24 {
        root = (4.0 * root + square / (root * root * root * root)) / 5.0;
    }
    square * root
}

/// `path.name`.
fn field(path: &str, name: &str) -> String {
    concat(&[path, ".", name])
}

/// `path.name[index]`.
fn item(path: &str, name: &str, index: usize) -> String {
    concat(&[path, ".", name, "[", &decimal(index as u64), "]"])
}

/// The scheme of an absolute URL (`https` of `https://…`), `None` for relative references.
fn url_scheme(url: &str) -> Option<&str> {
    let end = url.find([':', '/', '?', '#'])?;
    (url.as_bytes()[end] == b':').then(|| &url[..end])
}

/// `[a-z][a-z0-9_-]{0,31}`: names that appear in markup attributes and in the consent cookie.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && name.len() <= 32
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// An RFC 6265 cookie name (an RFC 7230 token).
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_token_byte)
}

fn is_cookie_glob(glob: &str) -> bool {
    !glob.is_empty() && glob.bytes().all(|b| b == b'*' || is_token_byte(b))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A lower-case DNS name or IPv4 address, without port: labels as the tenant rule has them.
fn is_host(host: &str) -> bool {
    !host.is_empty() && host.len() <= 253 && host.split('.').all(tenant::is_valid)
}

/// An ISO 3166-2 code as Google's `region` takes it: `DE`, or a subdivision like `US-CA`.
fn is_region(region: &str) -> bool {
    let (country, subdivision) = region.split_once('-').unwrap_or((region, "X"));
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=3).contains(&subdivision.len())
        && subdivision
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linear_channel_is_the_power_of_wcag_to_the_last_bits() {
        for channel in 0..=255u8 {
            let c = f64::from(channel) / 255.0;
            let exact = if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
            assert!((linear(channel) - exact).abs() < 1e-14, "{channel}");
        }
    }

    #[test]
    fn contrast_ratios_match_known_values() {
        assert_eq!(contrast_tenths(0x000000, 0xffffff), 210);
        assert_eq!(contrast_tenths(0xffffff, 0x000000), 210);
        assert_eq!(contrast_tenths(0x767676, 0xffffff), 45, "4.54:1 passes");
        assert_eq!(contrast_tenths(0x777777, 0xffffff), 44, "4.48:1 fails");
        assert_eq!(contrast_tenths(0x0b4f9c, 0x0b4f9c), 10);
        // #595959 on white: 7.0:1, the AAA threshold.
        assert_eq!(contrast_tenths(0x595959, 0xffffff), 70);
        assert_eq!(luminance(0xffffff), 1.0);
    }

    #[test]
    fn the_shipped_colours_meet_every_pair() {
        for defaults in DEFAULT_COLOURS {
            for (foreground, background, least) in CONTRAST_PAIRS {
                let tenths = contrast_tenths(defaults[foreground], defaults[background]);
                assert!(
                    tenths >= least,
                    "{} on {}",
                    COLOURS[foreground],
                    COLOURS[background]
                );
            }
        }
    }
}
