//! The browser side (`wasm32` only): the one place that names `web_sys` and `js_sys`.
//!
//! [`api`] holds every `#[wasm_bindgen]` export. Behind it, in the consent build, `page` owns
//! the running instance (config, the session and banner state) and carries out what the pure
//! [`Session`](crate::consent::session::Session) decides, `banner` renders the two layers,
//! `guard` stops writes and loads nobody consented to, `blocker` activates marked elements (also
//! those added later), `embed` shows placeholders for embedded content, `forms` hands sealed
//! forms to the seal module, `records` sends and keeps the consent records, `consent_mode`
//! tells Google's tags through `dataLayer`, and `events` tells the page what happened. The seal
//! build (loaded only by pages with a sealed form) holds `sealing`.
//!
//! Size: the consent build is paid for on every page view, so this layer is written to compile
//! small. Every call of a browser API costs an import and glue code, so the layer goes through a
//! few helpers here (one `setAttribute` rather than `id`, `className`, `type`, `hidden`, …
//! setters), messages are joined from parts instead of `format!` (which would link
//! `core::fmt`), and failures of DOM calls that cannot matter are ignored rather than carried.

pub mod api;
#[cfg(feature = "consent")]
mod banner;
#[cfg(feature = "consent")]
mod blocker;
#[cfg(feature = "consent")]
mod consent_mode;
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
#[cfg(feature = "consent")]
mod records;
#[cfg(feature = "seal")]
mod sealing;

use wasm_bindgen::JsValue;
use web_sys::Window;

use crate::strings::concat;
#[cfg(feature = "consent")]
use web_sys::{Document, Element, Node};

#[cfg(feature = "consent")]
/// Every function keksdose hands to the browser — event listeners, proxy traps, observers,
/// promise reactions — has this one signature (up to three arguments; an `Err` is thrown), so
/// that wasm-bindgen generates its glue once rather than per closure type.
type Callback =
    wasm_bindgen::closure::Closure<dyn Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>;

#[cfg(feature = "consent")]
/// A [`Callback`] calling `f`.
fn callback(
    f: impl Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue> + 'static,
) -> Callback {
    Callback::new(f)
}

#[cfg(feature = "consent")]
/// A function that calls `f` with its first argument the first time it is called; it is freed
/// with the JavaScript function.
fn once(f: impl FnOnce(JsValue) + 'static) -> JsValue {
    once_boxed(Box::new(f))
}

#[cfg(feature = "consent")]
/// [`once`] behind one `dyn` type: the callback around it then exists once in the module rather
/// than once per `f` (302 B gzip off the npm page load, measured with .ci/sizes.mjs).
fn once_boxed(f: Box<dyn FnOnce(JsValue)>) -> JsValue {
    let f = std::cell::Cell::new(Some(f));
    callback(move |argument, _, _| {
        if let Some(f) = f.take() {
            f(argument);
        }
        Ok(JsValue::UNDEFINED)
    })
    .into_js_value()
}

/// Prefix of every console message, so operators can filter for it.
const LOG_PREFIX: &str = "keksdose: ";

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `window` (one import, where `web_sys::window()` probes four globals).
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: Window;
}

/// The page's window: keksdose only runs in a document's main thread.
fn window() -> Window {
    WINDOW.with(Window::clone)
}

#[cfg(feature = "consent")]
fn document() -> Document {
    window().document().expect("the window has a document")
}

fn console_error(message: &str) {
    web_sys::console::error_1(&concat(&[LOG_PREFIX, message]).into());
}

#[cfg(feature = "consent")]
fn console_warn(message: &str) {
    web_sys::console::warn_1(&concat(&[LOG_PREFIX, message]).into());
}

#[cfg(feature = "consent")]
/// Now, in Unix seconds.
fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

#[cfg(feature = "consent")]
/// Cryptographically random bytes from `crypto.getRandomValues`.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let filled = window()
        .crypto()
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes));
    // Every browser that runs WebAssembly has it; without it nothing is decided (fail closed).
    // Not `expect`: formatting the `JsValue` error would link its glue into every page.
    filled.unwrap_or_else(|_| panic!("crypto.getRandomValues is available"));
    bytes
}

/// A JavaScript `Error` whose `name` tells the area (`ConfigError`, `ConsentError`, `SealError`).
fn js_error(name: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    error.into()
}

#[cfg(feature = "consent")]
/// A new element with a class (none when `class` is empty).
fn element(tag: &str, class: &str) -> Element {
    let element = document()
        .create_element(tag)
        .unwrap_or_else(|_| panic!("keksdose creates only valid tags"));
    if !class.is_empty() {
        set(&element, "class", class);
    }
    element
}

#[cfg(feature = "consent")]
/// A new element with a class and text (none when empty), appended to `parent`.
fn child(parent: &Node, tag: &str, class: &str, text: &str) -> Element {
    let element = element(tag, class);
    if !text.is_empty() {
        element.set_text_content(Some(text));
    }
    append(parent, &element);
    element
}

#[cfg(feature = "consent")]
/// Appends `child` to `parent`.
fn append(parent: &Node, child: &Node) {
    // Appending a fresh element to a live one cannot fail.
    let _ = parent.append_child(child);
}

#[cfg(feature = "consent")]
/// Sets an attribute with the browser's own `setAttribute`: keksdose's own markup and its
/// activation, whose decision is already made, do not pass through the guard.
fn set(element: &Element, name: &str, value: &str) {
    guard::set_attribute(element, name, value);
}

#[cfg(feature = "consent")]
/// Marks `element` as written in `lang` (and right to left where the language is).
fn set_lang(element: &Element, lang: &str) {
    set(element, "lang", lang);
    if crate::config::is_right_to_left(lang) {
        set(element, "dir", "rtl");
    }
}

#[cfg(feature = "consent")]
/// `element.hidden = hidden`.
fn set_hidden(element: &Element, hidden: bool) {
    if hidden {
        set(element, "hidden", "");
    } else {
        let _ = element.remove_attribute("hidden");
    }
}

#[cfg(feature = "consent")]
/// The elements of `list`, in document order.
fn nodes(list: Result<web_sys::NodeList, JsValue>) -> Vec<Element> {
    use wasm_bindgen::JsCast;
    let Ok(list) = list else { return Vec::new() };
    crate::collect(
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(JsCast::unchecked_into),
    )
}

#[cfg(feature = "consent")]
/// Adds `listener` for `kind` events on `target` (in the capture phase when `capture`).
fn listen(target: &web_sys::EventTarget, kind: &str, listener: &JsValue, capture: bool) {
    use wasm_bindgen::JsCast;
    // Adding a listener cannot fail for a function.
    let _ =
        target.add_event_listener_with_callback_and_bool(kind, listener.unchecked_ref(), capture);
}

#[cfg(feature = "consent")]
/// Sets the JavaScript property `name` of `object` (`checked`, …).
fn set_property(object: &JsValue, name: &str, value: &JsValue) {
    // Setting a property of a live DOM element or a fresh object cannot fail.
    let _ = js_sys::Reflect::set(object, &name.into(), value);
}

#[cfg(feature = "consent")]
/// The string property `name` of `object` (`localName`, `hostname`, `type`, …); empty when it
/// is not a string or reading it throws. Hand-written for size: read with `Reflect.get`, which
/// the module imports anyway, where a web-sys getter costs an import, its glue and a wrapper
/// for each property (16 getters: 419 B gzip off the npm page load, measured with
/// .ci/sizes.mjs).
fn string_property(object: &JsValue, name: &str) -> String {
    js_sys::Reflect::get(object, &name.into())
        .ok()
        .and_then(|value| value.as_string())
        .unwrap_or_default()
}

#[cfg(feature = "consent")]
/// The object property `name` of `object` (`body`, `activeElement`, `localStorage`, …); `None`
/// when it is no object (`null`) or reading it throws. Like [`string_property`], one import for
/// all (9 getters: 97 B gzip off the npm page load; `document` and `target` read this way cost
/// more; `is_object` rather than `is_null_or_undefined`, an import of its own, 17 B more).
fn object_property<T: wasm_bindgen::JsCast>(object: &JsValue, name: &str) -> Option<T> {
    use wasm_bindgen::JsCast;
    let value = js_sys::Reflect::get(object, &name.into()).ok()?;
    value.is_object().then(|| value.unchecked_into())
}

#[cfg(feature = "consent")]
/// A plain object with the given properties (event details, observer options).
fn object(properties: &[(&str, &JsValue)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (name, value) in properties {
        set_property(&object, name, value);
    }
    object
}

#[cfg(feature = "consent")]
/// Runs `f` in a task of its own, after what is running now.
fn next_task(f: impl FnOnce() + 'static) {
    use wasm_bindgen::JsCast;
    // A timer can always be set; without it the banner would never show.
    let _ = window().set_timeout_with_callback(once(move |_| f()).unchecked_ref());
}

#[cfg(feature = "consent")]
/// Runs `f` after the next frame is painted (in a task after the animation frame).
fn after_paint(f: impl FnOnce() + 'static) {
    use wasm_bindgen::JsCast;
    let frame = once(move |_| next_task(f));
    let _ = window().request_animation_frame(frame.unchecked_ref());
}

#[cfg(feature = "consent")]
/// Runs `f` once the document is parsed (at once if it already is).
fn when_parsed(f: impl FnOnce() + 'static) {
    let document = document();
    if string_property(&document, "readyState") != "loading" {
        return f();
    }
    listen(&document, "DOMContentLoaded", &once(move |_| f()), false);
}
