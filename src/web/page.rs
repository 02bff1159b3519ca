//! The running instance: config, the visitor's decision, the banner, and what follows from them.
//!
//! No `RefCell` borrow is held while page code can run (event listeners, activated inline
//! scripts): such code may call back into the API at once.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlElement, Node};

use super::banner::{self, Banner, Transition};
use super::consent_mode::ConsentMode;
use super::{
    Callback, after_paint, blocker, callback, console_warn, document, embed, events, forms, guard,
    next_task, now, object_property, random_bytes, records, string_property, when_parsed, window,
};
use crate::config::{Config, SHIPPED_LANGUAGES, pick_language};
use crate::consent::policy::Policy;
use crate::consent::session::{self, Effects, Session, Site, Visit};
use crate::consent::{Consent, Method};
use crate::ui::{Action, Decision, Ui, View};

thread_local! {
    /// The instance started last; starting again replaces it.
    static CURRENT: RefCell<Option<Rc<Page>>> = const { RefCell::new(None) };
}

/// A started keksdose instance.
pub struct Page {
    config: Config,
    lang: String,
    /// Google Consent Mode, when configured.
    consent_mode: Option<ConsentMode>,
    state: RefCell<State>,
    banner: RefCell<Option<Banner>>,
    /// The document-level listener for preference links and embed placeholders.
    page_controls: RefCell<Option<Callback>>,
}

struct State {
    /// The decision in force, the consent id and the rules that change them.
    session: Session,
    ui: Ui,
}

impl Page {
    /// Starts keksdose with a validated config whose text has the SHA-256 `config_hash`;
    /// replaces an instance started before. `held`: the entry held the page's writes until now;
    /// started so once the page is parsed, what follows the decision (activation, the banner)
    /// runs in later tasks, so that the page stays responsive. `gtag` is the entry's function
    /// for Consent Mode's commands.
    pub fn start(
        config: Config,
        config_hash: String,
        gtag: Option<Function>,
        held: bool,
    ) -> Rc<Page> {
        if let Some(previous) = CURRENT.with(|current| current.borrow_mut().take()) {
            console_warn("started again; the previous instance was removed");
            previous.stop();
        }
        banner::apply_theme(&config.banner.theme);
        let lang = language(Some(&config));
        let location = window().location();
        let cookies = guard::read_cookies();
        let visit = Visit {
            site: Site {
                host: string_property(&location, "hostname"),
                secure: string_property(&location, "protocol") == "https:",
            },
            cookie_header: &cookies,
            gpc: global_privacy_control(),
            config_hash,
            language: lang.clone(),
        };
        let (session, mut effects) = Session::start(&config, visit, now(), random_bytes());
        // Consent Mode's default, and the decision in force as its update, before any tag runs.
        let consent_mode = ConsentMode::start(&config, gtag);
        if let (Some(mode), Some(consent)) = (&consent_mode, session.consent()) {
            mode.update(&config, Some(consent));
            effects.consent_mode = false;
        }
        let prompt = effects.prompt;
        let page = Rc::new(Page {
            config,
            lang,
            consent_mode,
            state: RefCell::new(State {
                ui: Ui::new(prompt),
                session,
            }),
            banner: RefCell::new(None),
            page_controls: RefCell::new(None),
        });
        CURRENT.with(|current| *current.borrow_mut() = Some(page.clone()));
        page.listen_for_page_controls();
        page.store(&effects);
        // Whatever the stored decision no longer covers goes, also from earlier visits.
        page.clear_refused();
        let weak = Rc::downgrade(&page);
        let parsing = string_property(&document(), "readyState") == "loading";
        let yielding = held && !parsing;
        let parsed = move || {
            let Some(page) = weak.upgrade() else { return };
            // Started after the page painted, the banner comes first. Started while the page is
            // still parsing (a page script needed a decision), the banner waits for the page's
            // first paint, so that it does not hold the content back.
            if yielding {
                page.sync_view(true);
            }
            let document = document();
            // What was parsed before keksdose started, the observer did not see.
            blocker::screen_unmarked(&document);
            page.activate(&document);
            forms::prepare(&page, &document);
            if parsing {
                after_paint(move || page.sync_view(true));
            } else if !yielding {
                page.sync_view(true);
            }
            // Announced once the page's own scripts had a chance to listen.
            if let Some(page) = weak.upgrade() {
                if let Some(consent) = page.consent() {
                    events::fire_decision(&session::Event::Consent, &consent);
                }
                // Records the browser could not queue on earlier pages.
                records::send_unsent(&page.config);
            }
        };
        if yielding {
            next_task(move || when_parsed(parsed));
        } else {
            when_parsed(parsed);
        }
        page
    }

    /// The running instance, if one started.
    pub fn current() -> Option<Rc<Page>> {
        if guard::poisoned() {
            return None;
        }
        CURRENT.with(|current| current.borrow().clone())
    }

    /// Handles an element added to the document after start.
    pub fn on_added(&self, node: &Node) {
        blocker::screen_unmarked(node);
        // The observer hands over connected nodes only: a frame screening swapped for a fresh
        // copy is detached now, and the copy comes back as an addition of its own.
        if !node.is_connected() {
            return;
        }
        self.activate(node);
        forms::prepare(self, node);
    }

    /// Removes the banner and the listeners of this instance.
    fn stop(&self) {
        if let Some(banner) = self.banner.borrow_mut().take() {
            banner.remove();
        }
        if let Some(listener) = self.page_controls.borrow_mut().take() {
            let _ = document()
                .remove_event_listener_with_callback("click", listener.as_ref().unchecked_ref());
        }
    }

    /// The config this instance runs on.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The language of the banner.
    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// The session (revision, consent id, choices of the API); drop it before page code runs.
    pub fn session(&self) -> Ref<'_, Session> {
        Ref::map(self.state.borrow(), |state| &state.session)
    }

    /// The decision in force, if any.
    pub fn consent(&self) -> Option<Consent> {
        self.session().consent().cloned()
    }

    /// Answers a policy question under the current decision.
    pub fn with_policy<T>(&self, f: impl FnOnce(Policy<'_>) -> T) -> T {
        let state = self.state.borrow();
        // After an internal error no decision counts: what still runs sees "nothing allowed".
        let consent = state.session.consent().filter(|_| !guard::poisoned());
        f(Policy::new(&self.config, consent))
    }

    /// Feeds a visitor action to the banner and applies what follows.
    pub fn act(self: &Rc<Self>, action: Action<'_>) {
        let decision = {
            let state = &mut *self.state.borrow_mut();
            let current = state.session.consent().map(|c| &c.choice);
            state.ui.handle(&self.config, current, action)
        };
        self.sync_view(false);
        if let Some(decision) = decision {
            self.decide(decision);
        }
    }

    /// Shows the first layer again.
    pub fn show_banner(self: &Rc<Self>) {
        self.state.borrow_mut().ui.show_banner();
        self.sync_view(false);
    }

    /// Stores a decision and applies it: cookie, record, Consent Mode, clean-up, events,
    /// scripts, embeds.
    pub fn decide(self: &Rc<Self>, decision: Decision) {
        let effects = self.state.borrow_mut().session.decide(
            &self.config,
            decision.choice,
            decision.method,
            now(),
            random_bytes(),
        );
        self.carry_out(effects);
    }

    /// Erases everything keksdose stored (decision, consent id, the records on this device),
    /// removes what only consent allowed (cookies, storage, loaded embeds), and asks again.
    pub fn reset(self: &Rc<Self>) {
        let effects = self
            .state
            .borrow_mut()
            .session
            .reset(&self.config, now(), random_bytes());
        self.carry_out(effects);
    }

    /// Carries out what the session decided, in order; no borrow is held while page code
    /// (event listeners, activated scripts) runs.
    fn carry_out(self: &Rc<Self>, effects: Effects) {
        self.store(&effects);
        self.clear_refused();
        if let Some(event) = &effects.event {
            if let Some(consent) = self.consent() {
                events::fire_decision(event, &consent);
            }
        }
        if effects.reload {
            // Code that already runs can only be stopped by leaving the page.
            let _ = window().location().reload();
            return;
        }
        let weak = Rc::downgrade(self);
        when_parsed(move || {
            if let Some(page) = weak.upgrade() {
                page.activate(&document());
            }
        });
        if effects.prompt {
            self.show_banner();
        }
    }

    /// The effects that store: cookies, the device's records, the record sent, Consent Mode.
    fn store(&self, effects: &Effects) {
        for assignment in &effects.cookies {
            guard::write_cookie(assignment);
        }
        if effects.erase {
            records::erase(&self.config);
        }
        if let Some(record) = &effects.record {
            // A reset's record is sent, not kept: the device's records were just erased.
            records::record(&self.config, &record.to_json(), !effects.erase);
        }
        if let (true, Some(mode)) = (effects.consent_mode, &self.consent_mode) {
            mode.update(&self.config, self.consent().as_ref());
        }
    }

    /// Activates, loads or parks the marked elements at and below `root` as the current
    /// decision says.
    fn activate(&self, root: &Node) {
        let steps = self.with_policy(|policy| blocker::plan(root, policy));
        blocker::apply(self, steps);
    }

    /// Deletes cookies and storage of the services the current decision refuses.
    fn clear_refused(&self) {
        let domain = self.config.consent.domain.as_deref();
        self.with_policy(|policy| guard::clear_refused(policy, domain));
    }

    /// Allows one more service (or a whole category) on top of the current decision: the
    /// embed placeholder's "Immer erlauben".
    fn allow_embed(self: &Rc<Self>, category: &str, service: Option<&str>) {
        let choice = self.session().allowing(&self.config, category, service);
        self.decide(Decision {
            choice,
            method: Method::Custom,
        });
    }

    /// Makes the DOM match the banner state (builds the banner on first need) and moves focus:
    /// at once, or with `at_start` in a task of its own. Focus needs the page laid out, which the
    /// browser would otherwise do in the task that starts keksdose, its longest.
    fn sync_view(self: &Rc<Self>, at_start: bool) {
        let (view, draft) = {
            let state = self.state.borrow();
            (state.ui.view(), state.ui.draft().clone())
        };
        if view != View::Hidden && self.banner.borrow().is_none() {
            // Still parsing the <head>: the start-up hook renders once the body exists.
            let Some(banner) = Banner::build(self) else {
                return;
            };
            *self.banner.borrow_mut() = Some(banner);
        }
        let transition = self
            .banner
            .borrow_mut()
            .as_mut()
            .and_then(|banner| banner.show(view, self, &draft));
        if let Some(Transition { event, focus }) = transition {
            if at_start {
                next_task(move || focus.apply());
            } else {
                focus.apply();
            }
            events::fire(event.0, &events::view_detail(event.1));
        }
    }

    /// One document-level listener for the controls keksdose puts into the page itself:
    /// `[data-keksdose="preferences"]` links and the embed placeholders' buttons.
    fn listen_for_page_controls(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let listener = callback(move |event, _, _| {
            let event: Event = event.unchecked_into();
            let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
            if let (Some(page), Some(target)) = (weak.upgrade(), target) {
                page.on_page_control(&event, &target);
            }
            Ok(wasm_bindgen::JsValue::UNDEFINED)
        });
        super::listen(&document(), "click", listener.as_ref(), false);
        *self.page_controls.borrow_mut() = Some(listener);
    }

    fn on_page_control(self: &Rc<Self>, event: &Event, target: &Element) {
        let closest = |selector| target.closest(selector).ok().flatten();
        if closest(r#"[data-keksdose="preferences"]"#).is_some() {
            event.prevent_default();
            return self.act(Action::OpenPreferences);
        }
        let Some(button) = closest(".kd-embed [data-keksdose-action]") else {
            return;
        };
        let placeholder = button.closest(".kd-embed").ok().flatten();
        let Some(iframe) = placeholder.as_ref().and_then(embed::frame_of) else {
            return;
        };
        match button.get_attribute("data-keksdose-action").as_deref() {
            Some("load-once") => embed::load(&iframe, "once"),
            Some("load-always") => {
                let category = iframe.get_attribute("data-category").unwrap_or_default();
                let service = iframe.get_attribute("data-service");
                self.allow_embed(category.trim_start_matches('!'), service.as_deref());
            }
            _ => return,
        }
        // The button went with the placeholder; focus moves on to what it loaded.
        let _ = iframe.unchecked_ref::<HtmlElement>().focus();
    }
}

/// The language to show on this page: the one `config` sets or picks; without a config, German
/// or English as the page and the browser prefer.
pub fn language(config: Option<&Config>) -> String {
    // The document's `lang`, then the browser's preferred languages.
    let mut wanted: Vec<String> = Vec::new();
    wanted.extend(
        object_property::<Element>(&document(), "documentElement")
            .and_then(|html| html.get_attribute("lang")),
    );
    // By index, like every JavaScript array the module reads: js-sys's `Array::iter` costs an
    // import and its iterator (106 B gzip off the npm page load, measured with .ci/sizes.mjs).
    let languages = window().navigator().languages();
    for i in 0..languages.length() {
        wanted.extend(languages.get(i).as_string());
    }
    match config {
        Some(config) => config.language_for(&wanted),
        None => pick_language(&SHIPPED_LANGUAGES, &wanted),
    }
    .to_owned()
}

/// `navigator.globalPrivacyControl === true`.
fn global_privacy_control() -> bool {
    js_sys::Reflect::get(&window().navigator(), &"globalPrivacyControl".into())
        .is_ok_and(|value| value.as_bool() == Some(true))
}
