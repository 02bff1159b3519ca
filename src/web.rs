//! The browser side (`wasm32` only): the one place that names `web_sys` and `js_sys`.
//!
//! [`api`] holds every `#[wasm_bindgen]` export. Behind it, in the consent build, `page` owns
//! the running instance (config, consent and banner state), `banner` renders the two layers,
//! `guard` stops writes and loads nobody consented to, `blocker` activates marked elements (also
//! those added later), `embed` shows placeholders for embedded content, `forms` hands sealed
//! forms to the seal module, and `events` tells the page what happened. The seal build (loaded
//! only by pages with a sealed form) holds `sealing`.

pub mod api;
#[cfg(feature = "consent")]
mod banner;
#[cfg(feature = "consent")]
mod blocker;
#[cfg(feature = "consent")]
mod embed;
#[cfg(feature = "consent")]
mod events;
#[cfg(feature = "consent")]
mod forms;
#[cfg(feature = "consent")]
mod guard;
#[cfg(feature = "consent")]
mod page;
#[cfg(feature = "seal")]
mod sealing;

#[cfg(feature = "consent")]
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::Window;
#[cfg(feature = "consent")]
use web_sys::{Document, Element, HtmlDocument};

#[cfg(feature = "consent")]
/// An event listener kept alive for as long as it is registered.
type Listener = wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>;

/// Prefix of every console message, so operators can filter for it.
const LOG_PREFIX: &str = "keksdose: ";

fn window() -> Window {
    // keksdose only runs in a document's main thread, where `window` always exists.
    web_sys::window().expect("keksdose runs in a browser window")
}

#[cfg(feature = "consent")]
fn document() -> Document {
    window().document().expect("the window has a document")
}

#[cfg(feature = "consent")]
fn html_document() -> HtmlDocument {
    document().unchecked_into()
}

fn console_error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(&format!("{LOG_PREFIX}{message}")));
}

#[cfg(feature = "consent")]
fn console_warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("{LOG_PREFIX}{message}")));
}

#[cfg(feature = "consent")]
/// Now, in Unix seconds.
fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

#[cfg(feature = "consent")]
/// Cryptographically random bytes from `crypto.getRandomValues`.
fn random_bytes<const N: usize>() -> Result<[u8; N], JsValue> {
    let mut bytes = [0u8; N];
    window()
        .crypto()?
        .get_random_values_with_u8_array(&mut bytes)?;
    Ok(bytes)
}

/// A JavaScript `Error` whose `name` tells the area (`ConfigError`, `ConsentError`, `SealError`).
fn js_error(name: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    error.into()
}

#[cfg(feature = "consent")]
/// Creates an element with a class.
fn element(tag: &str, class: &str) -> Result<Element, JsValue> {
    let element = document().create_element(tag)?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    Ok(element)
}

#[cfg(feature = "consent")]
/// Creates an element with a class and text content.
fn text_element(tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let element = element(tag, class)?;
    element.set_text_content(Some(text));
    Ok(element)
}

#[cfg(feature = "consent")]
/// Appends `child` to `parent`.
fn append(
    parent: &impl AsRef<web_sys::Node>,
    child: &impl AsRef<web_sys::Node>,
) -> Result<(), JsValue> {
    parent.as_ref().append_child(child.as_ref()).map(drop)
}

#[cfg(feature = "consent")]
/// The nodes of `list` that are `T`s, in document order.
fn nodes<T: JsCast>(list: web_sys::NodeList) -> Vec<T> {
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<T>().ok())
        .collect()
}

#[cfg(feature = "consent")]
/// Runs `f` once the document is parsed (at once if it already is).
fn when_parsed(f: impl FnOnce() + 'static) -> Result<(), JsValue> {
    let document = document();
    if document.ready_state() != "loading" {
        f();
        return Ok(());
    }
    let closure = wasm_bindgen::closure::Closure::once_into_js(f);
    let options = web_sys::AddEventListenerOptions::new();
    options.set_once(true);
    document.add_event_listener_with_callback_and_add_event_listener_options(
        "DOMContentLoaded",
        closure.unchecked_ref(),
        &options,
    )
}
