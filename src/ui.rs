//! The banner and preferences as a pure state machine: views, visitor actions, decisions.
//!
//! The web layer renders [`Ui::view`] and the draft, feeds clicks in as [`Action`]s, and
//! applies the [`Decision`]s that come out. The rules that matter legally live here, where
//! they are tested natively: nothing is pre-selected (R4), closing is never consent (R4),
//! and the preferences start from the current decision so withdrawing is one click (R10).

use crate::config::Config;
use crate::consent::{Choice, Method};

/// What is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Nothing (a decision exists, or none is needed).
    Hidden,
    /// The first layer: short text, Accept all / Reject all / Settings.
    Banner,
    /// The second layer: per-category and per-service switches.
    Preferences,
}

/// Something the visitor did; each maps to one `data-keksdose-action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// `accept-all`.
    AcceptAll,
    /// `reject-all`.
    RejectAll,
    /// `settings`, or any `[data-keksdose="preferences"]` link.
    OpenPreferences,
    /// `save` in the preferences.
    Save,
    /// `close` or Escape in the preferences.
    Close,
    /// A category switch.
    SetCategory(&'a str, bool),
    /// A service switch.
    SetService(&'a str, bool),
}

impl Action<'_> {
    /// The action named by a `data-keksdose-action` attribute (switches are not named actions).
    pub fn from_name(name: &str) -> Option<Action<'static>> {
        Some(match name {
            "accept-all" => Action::AcceptAll,
            "reject-all" => Action::RejectAll,
            "settings" => Action::OpenPreferences,
            "save" => Action::Save,
            "close" => Action::Close,
            _ => return None,
        })
    }
}

/// A decision to store and apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What is allowed from now on.
    pub choice: Choice,
    /// The control that was used.
    pub method: Method,
}

/// The banner's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ui {
    view: View,
    draft: Choice,
}

impl Ui {
    /// The state at page start: the banner when a decision is needed, else nothing.
    pub fn new(prompt: bool) -> Ui {
        Ui {
            view: if prompt { View::Banner } else { View::Hidden },
            draft: Choice::none(),
        }
    }

    /// What is on screen.
    pub fn view(&self) -> View {
        self.view
    }

    /// The switches' state while the preferences are open.
    pub fn draft(&self) -> &Choice {
        &self.draft
    }

    /// Shows the first layer again (the API's `show()`).
    pub fn show_banner(&mut self) {
        self.view = View::Banner;
    }

    /// Applies `action`. `current` is the decision in force, if any; it seeds the switches
    /// when the preferences open and decides where closing leads. A returned decision has
    /// to be stored and applied; the view is then hidden.
    pub fn handle(
        &mut self,
        config: &Config,
        current: Option<&Choice>,
        action: Action<'_>,
    ) -> Option<Decision> {
        let decide = |ui: &mut Ui, choice, method| {
            ui.view = View::Hidden;
            Some(Decision { choice, method })
        };
        match action {
            Action::AcceptAll => decide(self, Choice::all(config), Method::AcceptAll),
            Action::RejectAll => decide(self, Choice::none(), Method::RejectAll),
            Action::Save => {
                let choice = std::mem::take(&mut self.draft);
                decide(self, choice, Method::Custom)
            }
            Action::OpenPreferences => {
                self.draft = current.cloned().unwrap_or_default();
                self.view = View::Preferences;
                None
            }
            Action::Close => {
                // Closing grants nothing: without a decision the first layer comes back.
                if self.view == View::Preferences {
                    self.view = if current.is_some() {
                        View::Hidden
                    } else {
                        View::Banner
                    };
                }
                None
            }
            Action::SetCategory(name, on) => {
                self.draft = self.draft.with_category(config, name, on);
                None
            }
            Action::SetService(key, on) => {
                self.draft = self.draft.with_service(config, key, on);
                None
            }
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
                    "matomo": { "provider": "P", "purpose": "stats" } } },
                "media": { "services": {
                    "video": { "provider": "V", "purpose": "videos", "hosts": ["v.example"], "embed": true } } }
            }}"#,
        )
        .expect("valid config")
    }

    #[test]
    fn starts_with_the_banner_only_when_a_decision_is_needed() {
        assert_eq!(Ui::new(true).view(), View::Banner);
        assert_eq!(Ui::new(false).view(), View::Hidden);
    }

    #[test]
    fn accept_and_reject_decide_in_one_click() {
        let config = config();
        let mut ui = Ui::new(true);
        let accepted = ui
            .handle(&config, None, Action::AcceptAll)
            .expect("decision");
        assert_eq!(accepted.choice, Choice::all(&config));
        assert_eq!(accepted.method, Method::AcceptAll);
        assert_eq!(ui.view(), View::Hidden);

        let mut ui = Ui::new(true);
        let rejected = ui
            .handle(&config, None, Action::RejectAll)
            .expect("decision");
        assert_eq!(rejected.choice, Choice::none());
        assert_eq!(rejected.method, Method::RejectAll);
    }

    #[test]
    fn preferences_start_with_nothing_selected() {
        let config = config();
        let mut ui = Ui::new(true);
        assert_eq!(ui.handle(&config, None, Action::OpenPreferences), None);
        assert_eq!(ui.view(), View::Preferences);
        assert_eq!(ui.draft(), &Choice::none());
        let saved = ui.handle(&config, None, Action::Save).expect("decision");
        assert_eq!(saved.choice, Choice::none());
        assert_eq!(saved.method, Method::Custom);
    }

    #[test]
    fn closing_is_not_consent() {
        let config = config();
        let mut ui = Ui::new(true);
        ui.handle(&config, None, Action::OpenPreferences);
        ui.handle(&config, None, Action::SetCategory("analytics", true));
        assert_eq!(ui.handle(&config, None, Action::Close), None);
        assert_eq!(ui.view(), View::Banner, "back to the first layer");
        // Closing the first layer does nothing either: it has no close control.
        assert_eq!(ui.handle(&config, None, Action::Close), None);
        assert_eq!(ui.view(), View::Banner);
        // Reopening starts from nothing again, not from the abandoned draft.
        ui.handle(&config, None, Action::OpenPreferences);
        assert_eq!(ui.draft(), &Choice::none());
    }

    #[test]
    fn reopened_preferences_show_the_current_decision_and_withdraw_in_one_save() {
        let config = config();
        let current = Choice::all(&config);
        let mut ui = Ui::new(false);
        ui.handle(&config, Some(&current), Action::OpenPreferences);
        assert_eq!(ui.draft(), &current);
        ui.handle(&config, Some(&current), Action::SetService("matomo", false));
        let decision = ui
            .handle(&config, Some(&current), Action::Save)
            .expect("decision");
        assert_eq!(decision.choice.services(), ["video"]);
        assert!(decision.choice.withdraws_from(&current));

        let mut ui = Ui::new(false);
        ui.handle(&config, Some(&current), Action::OpenPreferences);
        assert_eq!(ui.handle(&config, Some(&current), Action::Close), None);
        assert_eq!(ui.view(), View::Hidden, "a decision exists: closing hides");
    }

    #[test]
    fn named_actions_match_the_markup_contract() {
        for (name, action) in [
            ("accept-all", Action::AcceptAll),
            ("reject-all", Action::RejectAll),
            ("settings", Action::OpenPreferences),
            ("save", Action::Save),
            ("close", Action::Close),
        ] {
            assert_eq!(Action::from_name(name), Some(action));
        }
        assert_eq!(Action::from_name("accept"), None);
    }
}
