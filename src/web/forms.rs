//! Sealed forms, on every page's side: `<form data-keksdose-seal="contact" action="/inbox/…">`.
//!
//! The form's markup ships disabled (`<fieldset disabled data-keksdose-enable>`), so without
//! JavaScript or wasm nothing can be typed or posted. Once keksdose knows it can seal (a valid
//! config with an active key) it enables the marked elements. Every submission of such a form —
//! the submit event and `form.submit()` alike — is stopped here, guard-style, before any other
//! code sees it; the seal module (loaded only now, only on such pages) seals and posts the
//! ciphertext. Without a running instance or module the form is refused with a visible message:
//! plaintext never leaves.

use std::cell::RefCell;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Event, HtmlFormElement, Node};

use super::blocker::within;
use super::page::{self, Page};
use super::{callback, child, console_error, nodes, once, set, string_property, window};
use crate::config::{KeyStatus, TextKey, Texts};
use crate::strings::concat;

/// Forms keksdose seals.
pub const SEALED: &str = "form[data-keksdose-seal]";

thread_local! {
    /// `() => Promise<seal module>`, handed over by the JavaScript entry.
    static LOADER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Keeps the function that loads the seal module.
pub fn set_loader(loader: Option<Function>) {
    LOADER.with(|l| *l.borrow_mut() = loader);
}

/// Enables the sealed forms at and below `root` if they can be sealed; reports those that
/// cannot (they stay disabled).
pub fn prepare(page: &Page, root: &Node) {
    let fresh = "form[data-keksdose-seal]:not([data-keksdose-state])";
    for form in within(root, fresh) {
        let form: HtmlFormElement = form.unchecked_into();
        match settings(page, &form) {
            Ok(_) => {
                set(&form, "data-keksdose-state", "ready");
                for element in nodes(form.query_selector_all("[data-keksdose-enable]")) {
                    let _ = element.remove_attribute("disabled");
                }
            }
            Err(why) => {
                set(&form, "data-keksdose-state", "unavailable");
                let id = form.get_attribute("data-keksdose-seal").unwrap_or_default();
                console_error(&concat(&[
                    "the form `",
                    &id,
                    "` cannot be sealed and stays disabled: ",
                    why,
                ]));
                status(&form, TextKey::SealUnavailable, true);
            }
        }
    }
}

/// The capture-phase `submit` listener: sealed forms never submit the browser's way.
pub fn on_submit(event: Event) {
    let form = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .filter(|f| f.matches(SEALED).unwrap_or(false));
    if let Some(form) = form {
        event.prevent_default();
        event.stop_immediate_propagation();
        submit(form.unchecked_ref());
    }
}

/// Seals and sends `form`, or refuses with a message.
pub fn submit(form: &HtmlFormElement) {
    if form.get_attribute("data-keksdose-state").as_deref() == Some("sending") {
        return;
    }
    let Some(page) = Page::current() else {
        return status(form, TextKey::SealUnavailable, true);
    };
    let settings = match settings(&page, form) {
        Ok(settings) => settings,
        Err(why) => {
            console_error(&concat(&["not sent: ", why]));
            return status(form, TextKey::SealUnavailable, true);
        }
    };
    let Some(loader) = LOADER.with(|l| l.borrow().clone()) else {
        return status(form, TextKey::SealUnavailable, true);
    };
    set(form, "data-keksdose-state", "sending");
    status(form, TextKey::SealSending, false);
    let form_for_seal = form.clone();
    // The module's sealAndSend, called once: its promise (or the error) settles `sending`.
    let seal = callback(move |module, _, _| {
        let seal: Function = Reflect::get(&module, &"sealAndSend".into())?.dyn_into()?;
        seal.call2(&JsValue::NULL, &form_for_seal, &settings.as_str().into())
    })
    .into_js_value();
    let form_ok = form.clone();
    let sent = once(move |text| {
        set(&form_ok, "data-keksdose-state", "ready");
        form_ok.reset();
        show_status(&form_ok, &text.as_string().unwrap_or_default(), false);
    });
    let form_failed = form.clone();
    let failed = once(move |error| {
        set(&form_failed, "data-keksdose-state", "ready");
        let field = |name: &str| {
            Reflect::get(&error, &name.into())
                .ok()
                .and_then(|value| value.as_string())
        };
        let code = field("code").unwrap_or_default();
        let detail = field("message").unwrap_or_default();
        console_error(&concat(&["the form was not sent (", &code, "): ", &detail]));
        // The seal module names what went wrong; without it (it did not load), it is missing.
        match field("text") {
            Some(text) => show_status(&form_failed, &text, true),
            None => status(&form_failed, TextKey::SealUnavailable, true),
        }
    });
    let loading = loader
        .call0(&JsValue::NULL)
        .unwrap_or_else(|error| Promise::reject(&error).into());
    let sending = then(&loading, &[&seal]);
    then(&sending, &[&sent, &failed]);
}

/// `promise.then(...callbacks)` (the callbacks free themselves when called).
fn then(promise: &JsValue, callbacks: &[&JsValue]) -> JsValue {
    let args: js_sys::Array = callbacks.iter().copied().collect();
    Reflect::get(promise, &"then".into())
        .and_then(|then| Reflect::apply(then.unchecked_ref::<Function>(), promise, &args))
        .unwrap_or_else(|error| Promise::reject(&error).into())
}

/// What the seal module needs for `form` (JSON), or why it cannot be sealed.
fn settings(page: &Page, form: &HtmlFormElement) -> Result<String, &'static str> {
    let config = page.config();
    let seal = config
        .seal
        .as_ref()
        .ok_or("the config has no `seal` keys")?;
    let key = seal
        .keys
        .iter()
        .find(|k| k.status == KeyStatus::Active)
        .ok_or("no active seal key")?;
    let form_id = form.get_attribute("data-keksdose-seal").unwrap_or_default();
    if form_id.is_empty() {
        return Err("data-keksdose-seal needs the form's id");
    }
    let origin = string_property(&window().location(), "origin");
    let lang = page.lang();
    let overrides = config.texts.get(lang);
    let texts: js_sys::Array = TextKey::OUTCOMES
        .iter()
        .map(|key| {
            overrides
                .and_then(|texts| texts.get(key.name()))
                .map_or(JsValue::NULL, |t| t.into())
        })
        .collect();
    let settings = js_sys::Object::new();
    for (key, value) in [
        ("lang", JsValue::from_str(lang)),
        ("texts", texts.into()),
        ("publicKey", JsValue::from_str(&key.public_key)),
        ("tenant", JsValue::from_str(&config.tenant)),
        ("formId", JsValue::from_str(&form_id)),
        ("origin", JsValue::from_str(&origin)),
        (
            "action",
            JsValue::from_str(&string_property(form, "action")),
        ),
        (
            "maxAttachmentBytes",
            JsValue::from_f64(seal.max_attachment_bytes as f64),
        ),
    ] {
        let _ = Reflect::set(&settings, &key.into(), &value);
    }
    js_sys::JSON::stringify(&settings)
        .map(String::from)
        .map_err(|_| "the settings could not be written")
}

/// Shows the text for `key` in the form's status line.
fn status(form: &HtmlFormElement, key: TextKey, problem: bool) {
    let page = Page::current();
    let text = match &page {
        Some(page) => Texts::new(page.config(), page.lang()).get(key),
        None => key.default_text(&page::language(None)),
    };
    show_status(form, text, problem);
}

/// Shows `text` in the form's status line (created on first use), as an alert when `problem`.
fn show_status(form: &HtmlFormElement, text: &str, problem: bool) {
    let existing = form.query_selector("[data-keksdose-status]").ok().flatten();
    let line = match existing {
        Some(line) => line,
        None => {
            let line = child(form, "p", "kd-form-status", "");
            set(&line, "data-keksdose-status", "");
            line
        }
    };
    set(&line, "role", if problem { "alert" } else { "status" });
    line.set_text_content(Some(text));
    let class = if problem {
        "kd-form-status kd-form-problem"
    } else {
        "kd-form-status"
    };
    set(&line, "class", class);
}
