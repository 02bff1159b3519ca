//! The running instance: config, the visitor's decision, the banner, and what follows from them.
//!
//! No `RefCell` borrow is held while page code can run (event listeners, activated inline
//! scripts): such code may call back into the API at once.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event};

use super::banner::Banner;
use super::{
    Listener, blocker, document, events, html_document, now, random_bytes, when_parsed, window,
};
use crate::config::{Config, Lang};
use crate::consent::policy::Policy;
use crate::consent::{Choice, Consent, consent_id, cookie, revision};
use crate::ui::{Action, Decision, Ui, View};

thread_local! {
    /// The instance started last; starting again replaces it.
    static CURRENT: RefCell<Option<Rc<Page>>> = const { RefCell::new(None) };
}

/// A started keksdose instance.
pub struct Page {
    config: Config,
    lang: Lang,
    revision: String,
    state: RefCell<State>,
    banner: RefCell<Option<Banner>>,
    /// The document-level listener for `[data-keksdose="preferences"]` links.
    preferences_links: RefCell<Option<Listener>>,
}

struct State {
    /// The decision in force: valid for this revision and not expired.
    consent: Option<Consent>,
    /// The browser's consent id, kept across re-prompts until reset.
    consent_id: Option<String>,
    ui: Ui,
}

impl Page {
    /// Starts keksdose with a validated config; replaces an instance started before.
    pub fn start(config: Config) -> Result<Rc<Page>, JsValue> {
        if let Some(previous) = CURRENT.with(|current| current.borrow_mut().take()) {
            super::console_warn("started again; the previous instance was removed");
            previous.stop();
        }
        let lang = resolve_language(&config);
        let revision = revision(&config);
        let stored = cookie::find(&html_document().cookie()?, &config.consent.cookie_name)
            .and_then(cookie::decode);
        let consent_id = stored.as_ref().map(|c| c.consent_id.clone());
        let consent = stored.filter(|c| c.is_current(&revision, now()));
        let page = Rc::new(Page {
            config,
            lang,
            revision,
            state: RefCell::new(State {
                ui: Ui::new(false),
                consent,
                consent_id,
            }),
            banner: RefCell::new(None),
            preferences_links: RefCell::new(None),
        });
        CURRENT.with(|current| *current.borrow_mut() = Some(page.clone()));
        page.listen_for_preferences_links()?;

        if page.consent().is_none() && page.config.needs_decision() {
            if page.config.consent.respect_gpc && global_privacy_control() {
                page.store(Choice::none())?;
            } else {
                page.state.borrow_mut().ui.show_banner();
            }
        }

        let weak = Rc::downgrade(&page);
        when_parsed(move || {
            let Some(page) = weak.upgrade() else { return };
            page.activate_scripts();
            if let Err(error) = page.sync_view() {
                super::console_error(&format!("could not show the banner: {error:?}"));
            }
            // Announced once the page's own scripts had a chance to listen.
            if let Some(consent) = page.consent() {
                events::fire(events::CONSENT, &events::consent_snapshot(&consent));
            }
        })?;
        Ok(page)
    }

    /// Removes the banner and the listeners of this instance.
    fn stop(&self) {
        if let Some(banner) = self.banner.borrow_mut().take() {
            banner.remove();
        }
        if let Some(listener) = self.preferences_links.borrow_mut().take() {
            let _ = document()
                .remove_event_listener_with_callback("click", listener.as_ref().unchecked_ref());
        }
    }

    /// The config this instance runs on.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The language of the banner.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The config revision.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The decision in force, if any.
    pub fn consent(&self) -> Option<Consent> {
        self.state.borrow().consent.clone()
    }

    /// Answers a policy question under the current decision.
    pub fn with_policy<T>(&self, f: impl FnOnce(Policy<'_>) -> T) -> T {
        let state = self.state.borrow();
        f(Policy::new(&self.config, state.consent.as_ref()))
    }

    /// Feeds a visitor action to the banner and applies what follows.
    pub fn act(self: &Rc<Self>, action: Action<'_>) -> Result<(), JsValue> {
        let decision = {
            let mut state = self.state.borrow_mut();
            let current = state.consent.as_ref().map(|c| c.choice.clone());
            state.ui.handle(&self.config, current.as_ref(), action)
        };
        self.sync_view()?;
        if let Some(decision) = decision {
            self.decide(decision)?;
        }
        Ok(())
    }

    /// Shows the first layer again.
    pub fn show_banner(self: &Rc<Self>) -> Result<(), JsValue> {
        self.state.borrow_mut().ui.show_banner();
        self.sync_view()
    }

    /// Stores a decision and applies it: cookie, events, scripts.
    pub fn decide(self: &Rc<Self>, decision: Decision) -> Result<(), JsValue> {
        let (consent, previous) = self.store(decision.choice)?;
        match previous {
            None => events::fire(events::CONSENT, &events::consent_snapshot(&consent)),
            Some(previous) => {
                let (old, new) = (&previous.choice, &consent.choice);
                let changed_categories = changed(old.categories(), new.categories());
                let changed_services = changed(old.services(), new.services());
                let detail = events::change_detail(
                    &consent,
                    decision.method,
                    &changed_categories,
                    &changed_services,
                    new.withdraws_from(old),
                );
                events::fire(events::CHANGE, &detail);
            }
        }
        let weak = Rc::downgrade(self);
        when_parsed(move || {
            if let Some(page) = weak.upgrade() {
                page.activate_scripts();
            }
        })
    }

    /// Writes the consent cookie for `choice` and makes it the decision in force; returns it
    /// with the decision it replaces.
    fn store(&self, choice: Choice) -> Result<(Consent, Option<Consent>), JsValue> {
        let id = match self.state.borrow().consent_id.clone() {
            Some(id) => id,
            None => consent_id(random_bytes()?),
        };
        let consent = Consent::new(&self.config, id.clone(), now(), choice);
        self.write_cookie(&consent)?;
        let mut state = self.state.borrow_mut();
        state.consent_id = Some(id);
        let previous = state.consent.replace(consent.clone());
        Ok((consent, previous))
    }

    /// Erases the stored decision and the consent id, and shows the banner again.
    pub fn reset(self: &Rc<Self>) -> Result<(), JsValue> {
        html_document().set_cookie(&self.cookie_header("", 0))?;
        {
            let mut state = self.state.borrow_mut();
            state.consent = None;
            state.consent_id = None;
        }
        if self.config.needs_decision() {
            self.show_banner()?;
        }
        Ok(())
    }

    /// Runs the marked scripts the current decision allows.
    fn activate_scripts(&self) {
        let ready = self.with_policy(blocker::allowed_scripts);
        blocker::run_in_order(ready);
    }

    /// Makes the DOM match the banner state (builds the banner on first need).
    fn sync_view(self: &Rc<Self>) -> Result<(), JsValue> {
        let (view, draft) = {
            let state = self.state.borrow();
            (state.ui.view(), state.ui.draft().clone())
        };
        if view != View::Hidden && self.banner.borrow().is_none() {
            if document().body().is_none() {
                // Still parsing the <head>; the start-up hook renders once the body exists.
                return Ok(());
            }
            let banner = Banner::build(self)?;
            *self.banner.borrow_mut() = Some(banner);
        }
        let transition = match self.banner.borrow_mut().as_mut() {
            Some(banner) => banner.show(view, &self.config, &draft)?,
            None => None,
        };
        if let Some((name, view_name)) = transition {
            events::fire(name, &events::view_detail(view_name));
        }
        Ok(())
    }

    fn listen_for_preferences_links(self: &Rc<Self>) -> Result<(), JsValue> {
        let weak = Rc::downgrade(self);
        let listener = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let Some(page) = weak.upgrade() else { return };
            let link = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest(r#"[data-keksdose="preferences"]"#).ok().flatten());
            if link.is_some() {
                event.prevent_default();
                if let Err(error) = page.act(Action::OpenPreferences) {
                    super::console_error(&format!("could not open the preferences: {error:?}"));
                }
            }
        });
        document().add_event_listener_with_callback("click", listener.as_ref().unchecked_ref())?;
        *self.preferences_links.borrow_mut() = Some(listener);
        Ok(())
    }

    fn write_cookie(&self, consent: &Consent) -> Result<(), JsValue> {
        let header = self.cookie_header(&cookie::encode(consent), consent.max_age(now()));
        html_document().set_cookie(&header)
    }

    /// A `document.cookie` assignment for the consent cookie.
    fn cookie_header(&self, value: &str, max_age: u64) -> String {
        let settings = &self.config.consent;
        let mut header = format!(
            "{}={value}; Path=/; Max-Age={max_age}; SameSite=Lax",
            settings.cookie_name
        );
        if let Some(domain) = &settings.domain {
            header.push_str("; Domain=");
            header.push_str(domain);
        }
        if window().location().protocol().is_ok_and(|p| p == "https:") {
            header.push_str("; Secure");
        }
        header
    }
}

/// Names in exactly one of the two lists.
fn changed(old: &[String], new: &[String]) -> Vec<String> {
    old.iter()
        .filter(|name| !new.contains(name))
        .chain(new.iter().filter(|name| !old.contains(name)))
        .cloned()
        .collect()
}

fn resolve_language(config: &Config) -> Lang {
    let document_lang = document()
        .document_element()
        .and_then(|html| html.get_attribute("lang"));
    let browser: Vec<String> = window()
        .navigator()
        .languages()
        .iter()
        .filter_map(|lang| lang.as_string())
        .collect();
    config
        .language
        .resolve(document_lang.as_deref(), browser.iter().map(String::as_str))
}

/// `navigator.globalPrivacyControl === true`.
fn global_privacy_control() -> bool {
    Reflect::get(&window().navigator(), &"globalPrivacyControl".into())
        .is_ok_and(|value| value == JsValue::TRUE)
}
