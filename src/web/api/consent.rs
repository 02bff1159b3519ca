//! The consent build's exports: `startHeld`, `start` and the `Keksdose` instance.

use std::rc::Rc;

use js_sys::{Array, Function};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::install_panic_hook;
use crate::config::{Config, TextKey};
use crate::consent::policy::{unknown_category, unknown_service};
use crate::consent::session::Session;
use crate::consent::{Method, config_hash};
use crate::strings::concat;
use crate::ui::{Action, Decision};
use crate::web::page::{self, Page};
use crate::web::{
    append, child, console_error, document, element, events, js_error, listen, object_property,
    once, set, when_parsed,
};
use crate::web::{blocker, forms, guard};

// The declarations of the package's `index.d.ts` that the instance's methods name.
#[wasm_bindgen(typescript_custom_section)]
const INDEX_TYPES: &str = r#"import type { ConsentSnapshot } from "./index.js";"#;

/// A running keksdose instance, `window.keksdose` for the script tag.
///
/// When the config was broken, the instance is *failed*: every query answers "not allowed"
/// and nothing can be unblocked through it.
#[wasm_bindgen]
pub struct Keksdose {
    page: Option<Rc<Page>>,
}

#[wasm_bindgen]
impl Keksdose {
    /// Whether the category may run now (necessary categories always). Throws a
    /// `ConsentError` for a name the config does not have.
    #[wasm_bindgen(js_name = acceptedCategory)]
    pub fn accepted_category(&self, name: &str) -> Result<bool, JsValue> {
        self.answer(name, false)
    }

    /// Whether the service may run now. Throws a `ConsentError` for a name the config does
    /// not have.
    #[wasm_bindgen(js_name = acceptedService)]
    pub fn accepted_service(&self, name: &str) -> Result<bool, JsValue> {
        self.answer(name, true)
    }

    /// Whether a decision for the current revision exists and has not expired.
    #[wasm_bindgen(js_name = validConsent)]
    pub fn valid_consent(&self) -> bool {
        self.running()
            .ok()
            .is_some_and(|page| page.consent().is_some())
    }

    /// The decision in force as a plain object, or `null`.
    #[wasm_bindgen(js_name = getConsent, unchecked_return_type = "ConsentSnapshot | null")]
    pub fn get_consent(&self) -> JsValue {
        self.running()
            .ok()
            .and_then(|page| page.consent())
            .map_or(JsValue::NULL, |consent| events::consent_snapshot(&consent))
    }

    /// The revision of the config (changes when purposes or texts change).
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> Option<String> {
        self.page
            .as_ref()
            .map(|page| page.session().revision().to_owned())
    }

    /// The language the banner is shown in (`de`, `en`, …).
    #[wasm_bindgen(getter)]
    pub fn language(&self) -> Option<String> {
        self.page.as_ref().map(|page| page.lang().to_owned())
    }

    /// Decides programmatically: no argument or `"all"` allows everything; a category name or
    /// an array of names allows exactly those (with all their services); `[]` refuses all.
    #[wasm_bindgen(js_name = acceptCategory)]
    pub fn accept_category(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | string[]")] categories: JsValue,
    ) -> Result<(), JsValue> {
        let page = self.running()?;
        let names = names(&categories)?;
        let choice = Session::categories_choice(page.config(), names.as_deref())
            .map_err(|e| consent_error(&e))?;
        page.decide(Decision {
            choice,
            method: Method::Custom,
        });
        Ok(())
    }

    /// Allows exactly the given services of `category` (a name, an array, or `"all"`), and
    /// leaves the other categories as they are.
    #[wasm_bindgen(js_name = acceptService)]
    pub fn accept_service(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | string[]")] services: JsValue,
        category: &str,
    ) -> Result<(), JsValue> {
        let page = self.running()?;
        let wanted = names(&services)?
            .ok_or_else(|| consent_error("acceptService needs a service name or an array"))?;
        let choice = page
            .session()
            .services_choice(page.config(), category, &wanted)
            .map_err(|e| consent_error(&e))?;
        page.decide(Decision {
            choice,
            method: Method::Custom,
        });
        Ok(())
    }

    /// Opens the preferences dialog.
    #[wasm_bindgen(js_name = showPreferences)]
    pub fn show_preferences(&self) -> Result<(), JsValue> {
        self.running()?.act(Action::OpenPreferences);
        Ok(())
    }

    /// Closes the preferences dialog (back to the first layer while no decision exists).
    #[wasm_bindgen(js_name = hidePreferences)]
    pub fn hide_preferences(&self) -> Result<(), JsValue> {
        self.running()?.act(Action::Close);
        Ok(())
    }

    /// Shows the first layer.
    pub fn show(&self) -> Result<(), JsValue> {
        self.running()?.show_banner();
        Ok(())
    }

    /// Erases everything keksdose stored on this device (decision, consent id, the visitor's
    /// records; a decision in force gets a last record), and asks again.
    pub fn reset(&self) -> Result<(), JsValue> {
        self.running()?.reset();
        Ok(())
    }
}

impl Keksdose {
    /// Whether the service (or category) `name` may run now: an instance that is not running
    /// answers "not allowed" to every name; a running one throws a `ConsentError` for an
    /// unknown name. One function for both questions, so that the page's module carries it once.
    #[inline(never)]
    fn answer(&self, name: &str, service: bool) -> Result<bool, JsValue> {
        let Ok(page) = self.running() else {
            return Ok(false);
        };
        let allowed = page.with_policy(|policy| {
            if service {
                policy.known_service_allowed(name)
            } else {
                policy.known_category_allowed(name)
            }
        });
        allowed.ok_or_else(|| {
            consent_error(&if service {
                unknown_service(name)
            } else {
                unknown_category(name)
            })
        })
    }

    /// The page this instance runs, while it is the page's current one.
    fn running(&self) -> Result<&Rc<Page>, JsValue> {
        let page = self.page.as_ref().ok_or_else(|| {
            consent_error("keksdose did not start (see the console); only necessary cookies run")
        })?;
        match Page::current() {
            Some(current) if Rc::ptr_eq(&current, page) => Ok(page),
            _ => Err(consent_error(
                "this keksdose instance has stopped (started again, or after an internal error); \
                 only necessary cookies run",
            )),
        }
    }
}

/// What every start does first, in this order: blocking from here on, before anything else can
/// run; without a valid config it blocks every non-necessary write and every load from another
/// host. Returns what the entry held until now, to be replayed once the config runs.
fn install(load_seal: Option<Function>) -> Result<Option<Array>, JsValue> {
    install_panic_hook();
    let held = guard::take_over_held();
    guard::install()?;
    blocker::observe();
    forms::set_loader(load_seal);
    Ok(held)
}

/// Starts keksdose with a config (a JSON string) and returns the instance: the npm entry's
/// `init(config)` calls this once the wasm module is loaded. `load_seal` loads the seal module
/// when a sealed form is submitted; `gtag` pushes its `arguments` to `dataLayer` (Google
/// Consent Mode).
///
/// Throws a `ConfigError` naming every problem with its dotted path.
#[wasm_bindgen]
pub fn start(
    text: &str,
    load_seal: Option<Function>,
    gtag: Option<Function>,
) -> Result<Keksdose, JsValue> {
    let held = install(load_seal)?;
    let config = Config::from_json(text).map_err(|e| js_error("ConfigError", &e.lines()))?;
    Ok(run(config, text, gtag, held))
}

/// Starts keksdose for the two entries that hold the page's writes until it starts: the script
/// tag (`keksdose.js`: at the page's first paint, or as soon as a page script needs a decision)
/// and the inline start (once the page painted). `text` is the config, or `None` with the
/// `problem` that kept the entry from reading it; the entry sets the instance as
/// `window.keksdose`.
///
/// A broken or missing config never throws: it is reported on the console with every dotted
/// path, the visitor sees a short notice, nothing held is written, and the instance answers
/// "not allowed" to everything.
#[wasm_bindgen(js_name = startHeld)]
pub fn start_held(
    text: Option<String>,
    problem: Option<String>,
    load_seal: Option<Function>,
    gtag: Option<Function>,
) -> Result<Keksdose, JsValue> {
    let held = install(load_seal)?;
    let config = match &text {
        Some(text) => {
            Config::from_json(text).map_err(|e| concat(&["invalid config:\n", &e.lines()]))
        }
        None => Err(problem.unwrap_or_default()),
    };
    match config {
        Ok(config) => Ok(run(config, text.as_deref().unwrap_or_default(), gtag, held)),
        Err(message) => {
            console_error(&concat(&[
                &message,
                "\nOnly technically necessary cookies and scripts run.",
            ]));
            show_failure_notice();
            Ok(Keksdose { page: None })
        }
    }
}

/// Runs a valid config whose text is `text`, and decides what an entry held, in order.
fn run(config: Config, text: &str, gtag: Option<Function>, held: Option<Array>) -> Keksdose {
    let page = Page::start(config, config_hash(text), gtag, held.is_some());
    if let Some(held) = held {
        guard::replay(&held);
    }
    Keksdose { page: Some(page) }
}

/// A short notice for the visitor that the banner could not start (with a close button).
fn show_failure_notice() {
    when_parsed(|| {
        let Some(body) = object_property::<Element>(&document(), "body") else {
            return console_error("could not show the failure notice: no <body>");
        };
        let lang = &page::language(None);
        let root = element("div", "kd-root");
        set(&root, "lang", lang);
        let notice = child(&root, "div", "kd-notice", "");
        set(&notice, "role", "status");
        child(
            &notice,
            "p",
            "kd-text",
            TextKey::ConfigFailed.default_text(lang),
        );
        let close = child(
            &notice,
            "button",
            "kd-btn",
            TextKey::Close.default_text(lang),
        );
        set(&close, "type", "button");
        set(&close, "data-keksdose-action", "close");
        let remove = root.clone();
        let on_close = once(move |_| remove.remove());
        listen(&close, "click", &on_close, false);
        append(&body, &root);
    });
}

/// Names from `undefined`/`null` (none given), a string, or an array of strings.
fn names(value: &JsValue) -> Result<Option<Vec<String>>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(name) = value.as_string() {
        return Ok(Some(vec![name]));
    }
    if let Some(array) = value.dyn_ref::<Array>() {
        // A plain loop: collecting into a `Result` costs the module an iterator adapter.
        let mut names = Vec::new();
        for item in (0..array.length()).map(|i| array.get(i)) {
            let Some(name) = item.as_string() else {
                return Err(consent_error("expected an array of strings"));
            };
            names.push(name);
        }
        return Ok(Some(names));
    }
    Err(consent_error("expected a name or an array of names"))
}

fn consent_error(message: &str) -> JsValue {
    js_error("ConsentError", message)
}
