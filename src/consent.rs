//! Consent state: what the visitor allowed, under which revision of the config, until when.
//!
//! Pure: time and randomness come in as arguments, so every rule is tested natively.
//! [`cookie`] stores a [`Consent`] in the first-party consent cookie, [`policy`] answers
//! "may this run?", and [`revision`] says when a stored decision no longer covers the config.

pub mod cookie;
pub mod google;
pub mod policy;
pub mod record;
pub mod session;

use sha2::{Digest, Sha256};

use crate::base64;
use crate::config::{Config, TextKey, Texts};
use crate::strings::{concat, hex};

/// Seconds in a day.
const DAY: u64 = 86_400;

/// What the visitor allowed: non-necessary categories and services by name, in config order.
///
/// A category with services counts as allowed when at least one of its services is; necessary
/// (`readOnly`) categories are always on and never listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    categories: Vec<String>,
    services: Vec<String>,
}

impl Choice {
    /// Nothing but the necessary.
    pub fn none() -> Choice {
        Choice::default()
    }

    /// Every category and service of `config`.
    pub fn all(config: &Config) -> Choice {
        Choice::build(config, &|_, _| true)
    }

    /// Builds a choice from category names (each with all its services) and single service
    /// names (which also allow their category). Unknown and necessary names are ignored.
    pub fn from_names<'a>(
        config: &Config,
        categories: impl IntoIterator<Item = &'a str>,
        services: impl IntoIterator<Item = &'a str>,
    ) -> Choice {
        let categories: Vec<&str> = categories.into_iter().collect();
        let services: Vec<&str> = services.into_iter().collect();
        Choice::build(config, &|category, service| {
            categories.contains(&category) || service.is_some_and(|s| services.contains(&s))
        })
    }

    /// The choice of what `wanted(category, service)` allows, asked for every service of every
    /// non-necessary category (`service` is `None` for a category without services). A
    /// category is allowed with any of its services.
    fn build(config: &Config, wanted: &dyn Fn(&str, Option<&str>) -> bool) -> Choice {
        let mut choice = Choice::none();
        for (name, category) in config.categories.iter() {
            if category.read_only {
                continue;
            }
            let mut any = category.services.is_empty() && wanted(name, None);
            for (key, _) in category.services.iter() {
                if wanted(name, Some(key)) {
                    choice.services.push(key.to_owned());
                    any = true;
                }
            }
            if any {
                choice.categories.push(name.to_owned());
            }
        }
        choice
    }

    /// Whether `self` allows `service` of `category`, or the category when it has no services.
    fn allows(&self, category: &str, service: Option<&str>) -> bool {
        match service {
            Some(service) => self.has_service(service),
            None => self.has_category(category),
        }
    }

    /// Allowed non-necessary categories, in config order.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Allowed services, in config order.
    pub fn services(&self) -> &[String] {
        &self.services
    }

    /// Whether the category `name` is allowed (necessary categories are not listed here).
    pub fn has_category(&self, name: &str) -> bool {
        self.categories.iter().any(|c| c == name)
    }

    /// Whether the service `key` is allowed.
    pub fn has_service(&self, key: &str) -> bool {
        self.services.iter().any(|s| s == key)
    }

    /// This choice with category `name` (and all its services) switched on or off.
    pub fn with_category(&self, config: &Config, name: &str, on: bool) -> Choice {
        Choice::build(config, &|category, service| {
            if category == name {
                on
            } else {
                self.allows(category, service)
            }
        })
    }

    /// This choice with service `key` switched on or off.
    pub fn with_service(&self, config: &Config, key: &str, on: bool) -> Choice {
        Choice::build(config, &|category, service| {
            if service == Some(key) {
                on
            } else {
                self.allows(category, service)
            }
        })
    }

    /// How much of category `name` is allowed.
    pub fn category_state(&self, config: &Config, name: &str) -> Toggle {
        let Some(category) = config.category(name) else {
            return Toggle::Off;
        };
        if category.read_only {
            return Toggle::On;
        }
        if category.services.is_empty() {
            return if self.has_category(name) {
                Toggle::On
            } else {
                Toggle::Off
            };
        }
        let on = category
            .services
            .iter()
            .filter(|(s, _)| self.has_service(s))
            .count();
        match on {
            0 => Toggle::Off,
            n if n == category.services.len() => Toggle::On,
            _ => Toggle::Mixed,
        }
    }

    /// Whether nothing but the necessary is allowed.
    pub fn refuses_everything(&self) -> bool {
        self.categories.is_empty() && self.services.is_empty()
    }

    /// Whether `self` refuses something that `earlier` allowed (a withdrawal, Art. 7(3) GDPR).
    pub fn withdraws_from(&self, earlier: &Choice) -> bool {
        earlier.categories.iter().any(|c| !self.has_category(c))
            || earlier.services.iter().any(|s| !self.has_service(s))
    }
}

/// The state of a category's switch in the preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    /// Everything in it is allowed.
    On,
    /// Nothing in it is allowed.
    Off,
    /// Some of its services are allowed.
    Mixed,
}

/// How the decision was made: the control the visitor used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// "Accept all".
    AcceptAll,
    /// "Reject all".
    RejectAll,
    /// "Save" in the preferences, an embed's "Always allow", or a programmatic choice.
    Custom,
    /// The browser's Global Privacy Control signal, with `consent.respectGpc`.
    Gpc,
    /// Everything keksdose stored was erased (the preferences' "erase", the API's `reset()`).
    Reset,
}

impl Method {
    /// The stable name used in events and records (`accept-all`, `reject-all`, `custom`,
    /// `gpc`, `reset`).
    pub fn as_str(self) -> &'static str {
        Method::NAMES[self as usize]
    }

    /// The method named `name` (as [`Method::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<Method> {
        let methods = [
            Method::AcceptAll,
            Method::RejectAll,
            Method::Custom,
            Method::Gpc,
            Method::Reset,
        ];
        methods.into_iter().find(|method| method.as_str() == name)
    }

    const NAMES: [&'static str; 5] = ["accept-all", "reject-all", "custom", "gpc", "reset"];
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The config revision the visitor decided on (see [`revision`]).
    pub revision: String,
    /// Random id of this browser's consent history, stable until reset (22 base64url characters).
    pub consent_id: String,
    /// When the decision was made (Unix seconds, UTC).
    pub decided_at: u64,
    /// When the decision lapses and the visitor is asked again (Unix seconds, UTC).
    pub expires_at: u64,
    /// What was allowed.
    pub choice: Choice,
}

impl Consent {
    /// A decision made `now` on the config whose [`revision`] is given, lasting
    /// `consent.expiresAfterDays` of `config`, or `consent.refusalExpiresAfterDays` when it
    /// refuses everything.
    pub fn new(
        config: &Config,
        revision: String,
        consent_id: String,
        now: u64,
        choice: Choice,
    ) -> Consent {
        Consent {
            revision,
            consent_id,
            decided_at: now,
            expires_at: now
                + DAY
                    * u64::from(if choice.refuses_everything() {
                        config.consent.refusal_expires_after_days
                    } else {
                        config.consent.expires_after_days
                    }),
            choice,
        }
    }

    /// Whether the decision still covers the config of `revision` at `now`: it has not expired,
    /// and it was made on that revision — or it refuses everything and the config asks for the
    /// same purposes and services ([`same_scope`]): a refusal stands when only wording changed.
    pub fn is_current(&self, revision: &str, now: u64) -> bool {
        now < self.expires_at
            && (self.revision == revision
                || (self.choice.refuses_everything() && same_scope(&self.revision, revision)))
    }

    /// Seconds until the decision expires (the consent cookie's `Max-Age`).
    pub fn max_age(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }
}

/// A new consent id from 16 random bytes.
pub fn consent_id(random: [u8; 16]) -> String {
    base64::url(&random)
}

/// The revision of `config`, 12 base64url characters in two parts:
/// - 4 of SHA-256 over its **scope**, the names of the non-necessary categories and their
///   services in config order: what the visitor is asked for. A new purpose or service changes
///   it (so does a new order).
/// - 8 of SHA-256 over the canonical form of everything the visitor is shown and decides on —
///   categories, services with provider, purpose, cookies, storage, hosts, retention and
///   recipients, the policy links, and every banner text in every language the banner is offered
///   in (defaults included, so new wording in a keksdose release re-prompts too).
///
/// Names of the consent cookie, colours and the seal keys are not part of it.
pub fn revision(config: &Config) -> String {
    let mut scope_hash = Canon(Sha256::new());
    for (name, category) in config.categories.iter() {
        if !category.read_only {
            scope_hash.text(name);
            scope_hash.count(category.services.len());
            for (key, _) in category.services.iter() {
                scope_hash.text(key);
            }
        }
    }
    let mut canon = Canon(Sha256::new());
    canon.text(&config.policy.privacy_url);
    canon.text(&config.policy.imprint_url);
    for lang in config.languages() {
        let texts = Texts::new(config, lang);
        for &key in TextKey::ALL.iter().filter(|key| key.affects_consent()) {
            canon.text(texts.get(key));
        }
        for (name, category) in config.categories.iter() {
            canon.text(name);
            canon.flag(category.read_only);
            canon.text(texts.category_title(name));
            canon.text(texts.category_description(name));
            for (key, service) in category.services.iter() {
                canon.text(key);
                canon.text(service.display_name(key, lang));
                canon.text(service.provider.text(lang));
                canon.text(service.purpose.text(lang));
                canon.list(&service.cookies);
                canon.list(&service.storage);
                canon.list(&service.hosts);
                canon.text(service.retention.as_ref().map_or("", |t| t.text(lang)));
                canon.text(service.recipients.as_ref().map_or("", |t| t.text(lang)));
                canon.text(service.privacy_url.as_deref().unwrap_or(""));
                canon.flag(service.embed);
            }
        }
    }
    concat(&[
        &base64::url(&scope_hash.0.finalize()[..3]),
        &base64::url(&canon.0.finalize()[..6]),
    ])
}

/// Whether two revisions ask for the same purposes and services (the first part of
/// [`revision`]).
pub fn same_scope(a: &str, b: &str) -> bool {
    a.get(..4).is_some_and(|scope| b.get(..4) == Some(scope))
}

/// SHA-256 of a config's text, hex: which exact config a record was made under. `sha256sum`
/// of the config file gives the same, for the script tag's `data-config` file.
pub fn config_hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Length-prefixed fields, so that no two different configs hash the same byte stream.
struct Canon(Sha256);

impl Canon {
    fn text(&mut self, text: &str) {
        self.count(text.len());
        self.0.update(text.as_bytes());
    }

    fn flag(&mut self, flag: bool) {
        self.0.update([u8::from(flag)]);
    }

    fn count(&mut self, n: usize) {
        self.0.update((n as u64).to_be_bytes());
    }

    fn list(&mut self, items: &[String]) {
        self.count(items.len());
        for item in items {
            self.text(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_json(
            r#"{
            "tenant": "t",
            "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "categories": {
                "necessary": { "readOnly": true },
                "analytics": { "services": {
                    "matomo": { "provider": "P", "purpose": "stats" },
                    "plausible": { "provider": "Q", "purpose": "stats" } } },
                "functional": {}
            }}"#,
        )
        .expect("valid config")
    }

    #[test]
    fn all_lists_every_non_necessary_category_and_service() {
        let choice = Choice::all(&config());
        assert_eq!(choice.categories(), ["analytics", "functional"]);
        assert_eq!(choice.services(), ["matomo", "plausible"]);
    }

    #[test]
    fn a_single_service_allows_its_category_but_not_its_sibling() {
        let choice = Choice::from_names(&config(), [], ["plausible"]);
        assert_eq!(choice.categories(), ["analytics"]);
        assert_eq!(choice.services(), ["plausible"]);
        assert!(!choice.has_service("matomo"));
    }

    #[test]
    fn unknown_and_necessary_names_are_ignored() {
        let choice = Choice::from_names(&config(), ["necessary", "nope"], ["ghost"]);
        assert_eq!(choice, Choice::none());
    }

    #[test]
    fn switching_a_category_switches_its_services() {
        let config = config();
        let on = Choice::none().with_category(&config, "analytics", true);
        assert_eq!(on.services(), ["matomo", "plausible"]);
        assert_eq!(on.category_state(&config, "analytics"), Toggle::On);
        let mixed = on.with_service(&config, "matomo", false);
        assert_eq!(mixed.services(), ["plausible"]);
        assert_eq!(mixed.category_state(&config, "analytics"), Toggle::Mixed);
        let off = mixed.with_service(&config, "plausible", false);
        assert_eq!(off, Choice::none());
        assert_eq!(off.category_state(&config, "analytics"), Toggle::Off);
        let functional = off.with_category(&config, "functional", true);
        assert_eq!(functional.categories(), ["functional"]);
        let both = functional.with_service(&config, "matomo", true);
        assert_eq!(both.categories(), ["analytics", "functional"]);
        assert_eq!(
            both.with_category(&config, "analytics", false).categories(),
            ["functional"]
        );
        assert_eq!(both.category_state(&config, "necessary"), Toggle::On);
    }

    #[test]
    fn withdrawal_is_any_refusal_of_something_given() {
        let config = config();
        let all = Choice::all(&config);
        let some = Choice::from_names(&config, ["functional"], []);
        assert!(some.withdraws_from(&all));
        assert!(!all.withdraws_from(&some));
        assert!(!Choice::none().withdraws_from(&Choice::none()));
    }

    #[test]
    fn consent_expires_after_the_configured_days() {
        let config = config();
        let consent = Consent::new(
            &config,
            revision(&config),
            "id".into(),
            1_000,
            Choice::none(),
        );
        let rev = revision(&config);
        assert_eq!(consent.expires_at, 1_000 + 180 * DAY);
        assert!(consent.is_current(&rev, 1_000 + 180 * DAY - 1));
        assert!(!consent.is_current(&rev, 1_000 + 180 * DAY));
        assert!(!consent.is_current("otherrevisio", 1_000));
        assert_eq!(consent.max_age(1_000 + DAY), 179 * DAY);
    }

    #[test]
    fn revision_changes_with_purpose_and_wording_only() {
        let base = r#"{
            "tenant": "t", "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "consent": { "cookieName": "COOKIE" },
            "categories": { "analytics": { "services": {
                "matomo": { "provider": "P", "purpose": "PURPOSE" } } } },
            "texts": { "de": { "acceptAll": "ACCEPT" } }
        }"#;
        let rev = |json: String| revision(&Config::from_json(&json).expect("valid"));
        let original = rev(base.to_owned());
        assert_eq!(original.len(), 12);
        assert_eq!(original, rev(base.to_owned()), "deterministic");
        assert_eq!(
            original,
            rev(base.replace("COOKIE", "other_cookie")),
            "the cookie name is not shown"
        );
        assert_ne!(original, rev(base.replace("PURPOSE", "Reichweite")));
        assert_ne!(original, rev(base.replace("ACCEPT", "Zustimmen")));
        assert_ne!(original, rev(base.replace("\"P\"", "\"Other Ltd\"")));
        assert_eq!(
            original,
            rev(base.replace(
                "\"acceptAll\": \"ACCEPT\"",
                "\"acceptAll\": \"ACCEPT\", \"sealSent\": \"Danke\""
            )),
            "form messages are not what the visitor consents to"
        );
    }

    #[test]
    fn consent_ids_are_base64url() {
        assert_eq!(consent_id([0xff; 16]), "_____________________w");
    }
}
