//! Pure decisions: may this category, service or marked element run under the current consent?

use super::Consent;
use crate::config::Config;

/// What a marked element's `data-category` / `data-service` attributes ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate<'a> {
    /// The category named by `data-category`, without a leading `!`.
    pub category: &'a str,
    /// `data-category="!analytics"`: runs when the category is refused, after a decision.
    pub negated: bool,
    /// The service named by `data-service`, if any.
    pub service: Option<&'a str>,
}

impl<'a> Gate<'a> {
    /// Reads the attribute values of a marked element.
    pub fn parse(category: &'a str, service: Option<&'a str>) -> Gate<'a> {
        let category = category.trim();
        let (category, negated) = match category.strip_prefix('!') {
            Some(rest) => (rest.trim(), true),
            None => (category, false),
        };
        Gate {
            category,
            negated,
            service: service.map(str::trim).filter(|s| !s.is_empty()),
        }
    }
}

/// The consent that applies on this page: the config plus the current decision, if any.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    config: &'a Config,
    consent: Option<&'a Consent>,
}

impl<'a> Policy<'a> {
    /// The policy for `config` with the visitor's current, valid decision (`None` before one).
    pub fn new(config: &'a Config, consent: Option<&'a Consent>) -> Policy<'a> {
        Policy { config, consent }
    }

    /// Whether the visitor has made a decision that is still current.
    pub fn decided(&self) -> bool {
        self.consent.is_some()
    }

    /// Whether the category `name` may run: necessary categories always, others when allowed.
    /// Unknown categories never.
    pub fn category_allowed(&self, name: &str) -> bool {
        match self.config.category(name) {
            Some(category) if category.read_only => true,
            Some(_) => self.consent.is_some_and(|c| c.choice.has_category(name)),
            None => false,
        }
    }

    /// Whether the service `key` may run: services of necessary categories always, others when
    /// allowed. Unknown services never.
    pub fn service_allowed(&self, key: &str) -> bool {
        match self.config.services().find(|(_, k, _)| *k == key) {
            Some((category, _, _)) if self.category_is_necessary(category) => true,
            Some(_) => self.consent.is_some_and(|c| c.choice.has_service(key)),
            None => false,
        }
    }

    /// Whether a marked element may run now. `!category` runs only after a decision that
    /// refuses it; unknown names never run either way.
    pub fn gate_open(&self, gate: &Gate<'_>) -> bool {
        if !self.names_known(gate) {
            return false;
        }
        let allowed = match gate.service {
            Some(service) => self.service_allowed(service),
            None => self.category_allowed(gate.category),
        };
        if gate.negated {
            self.decided() && !allowed
        } else {
            allowed
        }
    }

    /// Whether the category and service a gate names exist in the config.
    pub fn names_known(&self, gate: &Gate<'_>) -> bool {
        self.config.category(gate.category).is_some()
            && gate
                .service
                .is_none_or(|service| self.config.services().any(|(_, k, _)| k == service))
    }

    fn category_is_necessary(&self, name: &str) -> bool {
        self.config.category(name).is_some_and(|c| c.read_only)
    }
}

/// Whether `name` matches `glob`, where `*` matches any run of characters (also none).
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*` at all: the whole name must equal the glob.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{Choice, Consent};

    fn config() -> Config {
        Config::from_json(
            r#"{
            "tenant": "t",
            "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "categories": {
                "necessary": { "readOnly": true, "services": {
                    "session": { "provider": "us", "purpose": "login" } } },
                "analytics": { "services": {
                    "matomo": { "provider": "P", "purpose": "stats" },
                    "plausible": { "provider": "Q", "purpose": "stats" } } },
                "media": { "services": {
                    "video": { "provider": "V", "purpose": "videos" } } }
            }}"#,
        )
        .expect("valid config")
    }

    fn decided(config: &Config, categories: &[&str], services: &[&str]) -> Consent {
        let choice =
            Choice::from_names(config, categories.iter().copied(), services.iter().copied());
        Consent::new(config, "id".into(), 0, choice)
    }

    #[test]
    fn gate_table() {
        let config = config();
        let nothing = decided(&config, &[], &[]);
        let analytics = decided(&config, &["analytics"], &[]);
        let plausible_only = decided(&config, &[], &["plausible"]);
        // (data-category, data-service, before a decision, after reject, after analytics, after plausible only)
        let table: &[(&str, Option<&str>, [bool; 4])] = &[
            ("necessary", None, [true, true, true, true]),
            ("necessary", Some("session"), [true, true, true, true]),
            ("!necessary", None, [false, false, false, false]),
            ("analytics", None, [false, false, true, true]),
            ("analytics", Some("matomo"), [false, false, true, false]),
            ("analytics", Some("plausible"), [false, false, true, true]),
            ("!analytics", None, [false, true, false, false]),
            ("!analytics", Some("matomo"), [false, true, false, true]),
            (" ! analytics ", None, [false, true, false, false]),
            ("media", None, [false, false, false, false]),
            ("!media", None, [false, true, true, true]),
            ("unknown", None, [false, false, false, false]),
            ("!unknown", None, [false, false, false, false]),
            ("analytics", Some("ghost"), [false, false, false, false]),
            ("!analytics", Some("ghost"), [false, false, false, false]),
        ];
        for (category, service, expected) in table {
            let gate = Gate::parse(category, *service);
            let got = [
                Policy::new(&config, None).gate_open(&gate),
                Policy::new(&config, Some(&nothing)).gate_open(&gate),
                Policy::new(&config, Some(&analytics)).gate_open(&gate),
                Policy::new(&config, Some(&plausible_only)).gate_open(&gate),
            ];
            assert_eq!(&got, expected, "{category:?} {service:?}");
        }
    }

    #[test]
    fn glob_table() {
        for (glob, name, expected) in [
            ("_ga", "_ga", true),
            ("_ga", "_gat", false),
            ("_ga*", "_ga", true),
            ("_ga*", "_ga_XYZ", true),
            ("_ga*", "x_ga", false),
            ("*_id", "_pk_id", true),
            ("*_id", "_pk_idx", false),
            ("_pk_*.*", "_pk_id.1.abcd", true),
            ("_pk_*.*", "_pk_id", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "x", false),
        ] {
            assert_eq!(glob_matches(glob, name), expected, "{glob} vs {name}");
        }
    }
}
