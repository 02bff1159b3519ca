//! Google Consent Mode v2: the state of each consent type under a decision.
//!
//! The web layer pushes `gtag("consent", "default", …)` with [`consent_types`] of no decision
//! at start, `update` with the stored decision right after it, and `update` on every decision.

use super::Consent;
use super::policy::Policy;
use crate::config::{Config, GOOGLE_CONSENT_TYPES};

/// Each consent type (all seven, in [`GOOGLE_CONSENT_TYPES`] order) with whether it is
/// granted under `consent` (`None`: no decision, nothing but the necessary). A type is granted
/// when any category mapped to it is allowed; an unmapped `security_storage` is granted (it is
/// technically necessary), every other unmapped type denied.
pub fn consent_types<'a>(
    config: &'a Config,
    consent: Option<&'a Consent>,
) -> impl Iterator<Item = (&'static str, bool)> + 'a {
    let policy = Policy::new(config, consent);
    let types = config.google_consent_mode.as_ref().map(|mode| &mode.types);
    GOOGLE_CONSENT_TYPES.iter().map(move |&name| {
        let granted = match types.and_then(|types| types.get(name)) {
            Some(categories) => categories.iter().any(|c| policy.category_allowed(c)),
            None => name == "security_storage",
        };
        (name, granted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Choice;

    fn config() -> Config {
        Config::from_json(
            r#"{
            "tenant": "t",
            "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
            "categories": {
                "necessary": { "readOnly": true },
                "functional": {},
                "analytics": {},
                "marketing": {}
            },
            "googleConsentMode": {
                "analytics_storage": ["analytics"],
                "ad_storage": ["marketing"], "ad_user_data": ["marketing"],
                "ad_personalization": ["marketing"],
                "functionality_storage": ["necessary"],
                "personalization_storage": ["functional", "marketing"]
            }}"#,
        )
        .expect("valid config")
    }

    fn granted(config: &Config, consent: Option<&Consent>) -> Vec<&'static str> {
        consent_types(config, consent)
            .filter_map(|(name, granted)| granted.then_some(name))
            .collect()
    }

    fn decided(config: &Config, categories: &[&str]) -> Consent {
        Consent::new(
            config,
            "r".into(),
            "id".into(),
            0,
            Choice::from_names(config, categories.iter().copied(), []),
        )
    }

    #[test]
    fn all_seven_types_necessary_ones_granted_without_a_decision() {
        let config = config();
        assert_eq!(consent_types(&config, None).count(), 7);
        assert_eq!(
            granted(&config, None),
            ["functionality_storage", "security_storage"]
        );
    }

    #[test]
    fn a_type_is_granted_by_any_of_its_categories() {
        let config = config();
        assert_eq!(
            granted(&config, Some(&decided(&config, &["analytics"]))),
            [
                "analytics_storage",
                "functionality_storage",
                "security_storage"
            ]
        );
        assert_eq!(
            granted(&config, Some(&decided(&config, &["functional"]))),
            [
                "functionality_storage",
                "personalization_storage",
                "security_storage"
            ]
        );
        assert_eq!(
            granted(&config, Some(&decided(&config, &["marketing"]))).len(),
            6
        );
    }
}
