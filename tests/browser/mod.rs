//! Page helpers shared by the browser tests (`web_*.rs`).

use std::panic::PanicHookInfo;
use std::sync::OnceLock;

use js_sys::{Array, Function, Reflect};
use keksdose::web::api::Keksdose;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlDocument, Storage, Window};

pub fn window() -> Window {
    web_sys::window().unwrap()
}

pub fn document() -> Document {
    window().document().unwrap()
}

/// The test harness's panic hook, taken before keksdose first replaced it.
type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send>;
static HARNESS_HOOK: OnceLock<Hook> = OnceLock::new();

/// `keksdose.start`, after which the test harness gets its panic hook back: keksdose's own leaves
/// the message out, so a failing assertion would show only "unreachable executed".
pub fn start(
    text: &str,
    load_seal: Option<Function>,
    gtag: Option<Function>,
) -> Result<Keksdose, JsValue> {
    let harness: &'static Hook = HARNESS_HOOK.get_or_init(std::panic::take_hook);
    let started = keksdose::web::api::start(text, load_seal, gtag);
    // After a failed test the harness's hook is in place, and Rust refuses to change it.
    if !std::thread::panicking() {
        std::panic::set_hook(Box::new(move |info| harness(info)));
    }
    started
}

pub fn cookie() -> String {
    document()
        .unchecked_into::<HtmlDocument>()
        .cookie()
        .unwrap()
}

pub fn set_cookie(text: &str) {
    document()
        .unchecked_into::<HtmlDocument>()
        .set_cookie(text)
        .unwrap();
}

pub fn local() -> Storage {
    window().local_storage().unwrap().unwrap()
}

pub fn query_all(selector: &str) -> Vec<Element> {
    let list = document().query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().unchecked_into())
        .collect()
}

/// A fresh page: no cookies, no storage, no banner, embeds or fixtures, an empty `window.order`.
pub fn reset_page() {
    for pair in cookie().split(';') {
        let name = pair.split('=').next().unwrap().trim();
        if !name.is_empty() {
            set_cookie(&format!("{name}=; Path=/; Max-Age=0"));
        }
    }
    local().clear().unwrap();
    for element in query_all(".kd-root, .kd-embed, .fixture") {
        element.remove();
    }
    Reflect::set(&window(), &"order".into(), &Array::new()).unwrap();
}

/// A new `tag` element marked as a fixture, so that [`reset_page`] removes it.
pub fn fixture(tag: &str) -> Element {
    let element = document().create_element(tag).unwrap();
    element.class_list().add_1("fixture").unwrap();
    element
}

/// What the fixtures' scripts pushed to `window.order`, in order.
pub fn order() -> Vec<String> {
    let order: Array = Reflect::get(&window(), &"order".into())
        .unwrap()
        .unchecked_into();
    order.iter().map(|v| v.as_string().unwrap()).collect()
}

/// Waits (up to ~2 s) until `done` holds.
pub async fn until(done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        let tick = js_sys::Promise::new(&mut |resolve, _| {
            window()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20)
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
    }
    assert!(done(), "condition not reached in time");
}
