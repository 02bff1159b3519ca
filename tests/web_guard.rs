//! The guards in headless Chromium (wasm-bindgen-test): cookie, storage and element-URL writes
//! by code keksdose was not told about, late-added elements, embeds, clean-up on withdrawal.
#![cfg(target_arch = "wasm32")]
// Tests may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Reflect};
use keksdose::web::api::Keksdose;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

mod browser;
use browser::{
    cookie, document, fixture, local, order, query_all, reset_page, set_cookie, start, until,
    window,
};

wasm_bindgen_test_configure!(run_in_browser);

/// Remote hosts point at a closed local port: nothing leaves the machine.
const CONFIG: &str = r#"{
    "tenant": "guardtest",
    "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
    "categories": {
        "necessary": { "readOnly": true, "services": {
            "session": { "provider": "us", "purpose": "login", "cookies": ["SESSION"],
                         "storage": ["cart"], "retention": "session" } } },
        "analytics": { "services": {
            "matomo": { "provider": "P", "purpose": "stats", "cookies": ["_pk_*"],
                        "storage": ["matomo_*"], "hosts": ["stats.localhost"], "retention": "13 months" } } },
        "media": { "services": {
            "video": { "provider": "Video GmbH", "purpose": "Videos", "hosts": ["video.localhost"],
                       "embed": true } } }
    }
}"#;

const TRACKER: &str = "http://stats.localhost:9/t.js";

fn has_cookie(name: &str) -> bool {
    cookie()
        .split(';')
        .any(|pair| pair.trim().split('=').next() == Some(name))
}

/// Starts afresh: no cookies, no storage, no fixtures, nothing decided.
fn fresh() -> Keksdose {
    reset_page();
    start(CONFIG, None, None).unwrap()
}

#[wasm_bindgen_test]
fn cookie_writes_follow_the_decision_and_reads_are_untouched() {
    let kd = fresh();
    set_cookie("_pk_id.1=abc; path=/");
    set_cookie("mystery=1; path=/");
    set_cookie("SESSION=s1; path=/");
    assert!(!has_cookie("_pk_id.1"), "refused service");
    assert!(!has_cookie("mystery"), "undeclared name");
    assert!(has_cookie("SESSION"), "necessary");
    kd.accept_category(JsValue::from_str("analytics")).unwrap();
    set_cookie("_pk_id.1=abc; path=/");
    set_cookie("mystery=1; path=/");
    assert!(has_cookie("_pk_id.1"), "allowed now");
    assert!(!has_cookie("mystery"), "undeclared names stay blocked");
    // A past Expires with a long Max-Age writes (Max-Age wins): still a refused write.
    kd.accept_category(Array::new().into()).unwrap();
    set_cookie("_ga=x; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=31536000");
    assert!(!has_cookie("_ga"));
    // Deleting is always allowed, even for names that could not be written.
    set_cookie("SESSION=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT");
    assert!(!has_cookie("SESSION"));
}

/// An object whose `toString` names a necessary cookie or key the first time and a refused one
/// after, counting its calls.
fn shifty(first: &'static str, then: &'static str) -> (js_sys::Object, Rc<Cell<u32>>) {
    let calls = Rc::new(Cell::new(0));
    let counted = calls.clone();
    let to_string = Closure::<dyn FnMut() -> JsValue>::new(move || {
        counted.set(counted.get() + 1);
        JsValue::from_str(if counted.get() == 1 { first } else { then })
    });
    let object = js_sys::Object::new();
    Reflect::set(&object, &"toString".into(), to_string.as_ref()).unwrap();
    to_string.forget();
    (object, calls)
}

#[wasm_bindgen_test]
fn what_is_checked_is_what_is_written() {
    let _kd = fresh();
    let (value, calls) = shifty("SESSION=s2; path=/", "_ga=x; path=/");
    Reflect::set(&document(), &"cookie".into(), &value).unwrap();
    assert_eq!(calls.get(), 1, "document.cookie: converted once");
    assert!(has_cookie("SESSION") && !has_cookie("_ga"));
    let (key, calls) = shifty("cart", "matomo_x");
    let storage = Reflect::get(&window(), &"localStorage".into()).unwrap();
    let set_item: js_sys::Function = Reflect::get(&storage, &"setItem".into())
        .unwrap()
        .unchecked_into();
    set_item.call2(&storage, &key, &"1".into()).unwrap();
    assert_eq!(calls.get(), 1, "setItem: converted once");
    assert_eq!(local().get_item("cart").unwrap().as_deref(), Some("1"));
    assert_eq!(local().get_item("matomo_x").unwrap(), None);
}

#[wasm_bindgen_test]
fn storage_writes_by_method_and_by_property_follow_the_decision() {
    let kd = fresh();
    let window = window();
    let storage = Reflect::get(&window, &"localStorage".into()).unwrap();
    let set_item: js_sys::Function = Reflect::get(&storage, &"setItem".into())
        .unwrap()
        .unchecked_into();
    set_item
        .call2(&storage, &"matomo_a".into(), &"1".into())
        .unwrap();
    Reflect::set(&storage, &"matomo_b".into(), &"2".into()).unwrap();
    set_item
        .call2(&storage, &"cart".into(), &"[]".into())
        .unwrap();
    assert_eq!(local().get_item("matomo_a").unwrap(), None);
    assert_eq!(local().get_item("matomo_b").unwrap(), None);
    assert_eq!(local().get_item("cart").unwrap().as_deref(), Some("[]"));
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    set_item
        .call2(&storage, &"matomo_a".into(), &"1".into())
        .unwrap();
    Reflect::set(&storage, &"matomo_b".into(), &"2".into()).unwrap();
    assert_eq!(local().get_item("matomo_a").unwrap().as_deref(), Some("1"));
    assert_eq!(local().get_item("matomo_b").unwrap().as_deref(), Some("2"));
}

#[wasm_bindgen_test]
fn withdrawal_deletes_the_refused_services_cookies_and_keys() {
    let kd = fresh();
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    set_cookie("_pk_id.1=abc; path=/");
    set_cookie("SESSION=s1; path=/");
    local().set_item("matomo_x", "1").unwrap();
    local().set_item("cart", "[]").unwrap();
    kd.accept_category(JsValue::from_str("media")).unwrap();
    assert!(!has_cookie("_pk_id.1"));
    assert!(has_cookie("SESSION"));
    assert_eq!(local().get_item("matomo_x").unwrap(), None);
    assert_eq!(local().get_item("cart").unwrap().as_deref(), Some("[]"));
}

#[wasm_bindgen_test]
fn a_blocked_script_url_parks_the_script_as_marked_markup() {
    let kd = fresh();
    let script: web_sys::HtmlScriptElement = fixture("script").unchecked_into();
    script.set_src(TRACKER);
    script.set_type("module");
    assert_eq!(script.get_attribute("src"), None);
    assert_eq!(script.type_(), "text/plain");
    assert_eq!(script.get_attribute("data-src").as_deref(), Some(TRACKER));
    assert_eq!(script.get_attribute("data-type").as_deref(), Some("module"));
    assert_eq!(
        script.get_attribute("data-service").as_deref(),
        Some("matomo")
    );
    assert_eq!(
        script.get_attribute("data-category").as_deref(),
        Some("analytics")
    );
    document().body().unwrap().append_child(&script).unwrap();
    // With consent it is activated: an executable copy with the URL takes its place.
    kd.accept_category(JsValue::from_str("analytics")).unwrap();
    let copy = document()
        .query_selector(&format!(r#"script[src="{TRACKER}"]"#))
        .unwrap()
        .unwrap();
    assert_eq!(copy.get_attribute("type").as_deref(), Some("module"));
    copy.remove();
}

#[wasm_bindgen_test]
fn image_urls_through_properties_set_attribute_and_srcset() {
    let kd = fresh();
    // Properties are set as page code does (`img.src = …`), through the JS setters.
    let set = |element: &Element, property: &str, value: &str| {
        Reflect::set(element, &property.into(), &value.into()).unwrap();
    };
    let pixel = fixture("img");
    set(&pixel, "src", "http://stats.localhost:9/p.gif");
    assert_eq!(pixel.get_attribute("src"), None);
    let other = fixture("img");
    other
        .set_attribute("src", "http://stats.localhost:9/q.gif")
        .unwrap();
    assert_eq!(other.get_attribute("src"), None);
    let responsive = fixture("img");
    set(
        &responsive,
        "srcset",
        "/local.png 1x, http://stats.localhost:9/r.gif 2x",
    );
    assert_eq!(responsive.get_attribute("srcset"), None);
    let own = fixture("img");
    own.set_attribute("src", "/favicon.ico").unwrap();
    assert_eq!(own.get_attribute("src").as_deref(), Some("/favicon.ico"));
    let unrelated = fixture("img");
    set(
        &unrelated,
        "src",
        "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
    );
    assert!(
        unrelated.get_attribute("src").is_some(),
        "data: never leaves"
    );
    // Added to the page and allowed: the held URLs are set.
    let body = document().body().unwrap();
    body.append_child(&pixel).unwrap();
    body.append_child(&responsive).unwrap();
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    assert_eq!(
        pixel.get_attribute("src").as_deref(),
        Some("http://stats.localhost:9/p.gif")
    );
    assert!(responsive.get_attribute("srcset").is_some());
}

#[wasm_bindgen_test]
async fn marked_scripts_added_later_run_once_consent_exists() {
    let kd = fresh();
    kd.accept_category(JsValue::from_str("analytics")).unwrap();
    let late = fixture("script");
    late.set_attribute("type", "text/plain").unwrap();
    late.set_attribute("data-category", "analytics").unwrap();
    late.set_text_content(Some("window.order.push('late')"));
    let refused = fixture("script");
    refused.set_attribute("type", "text/plain").unwrap();
    refused.set_attribute("data-category", "media").unwrap();
    refused.set_text_content(Some("window.order.push('refused')"));
    let body = document().body().unwrap();
    body.append_child(&late).unwrap();
    body.append_child(&refused).unwrap();
    until(|| order() == ["late"]).await;
    kd.accept_category(JsValue::from_str("media")).unwrap();
    assert_eq!(order(), ["late", "refused"]);
}

#[wasm_bindgen_test]
async fn embeds_get_a_placeholder_and_no_url_until_consent_and_lose_it_on_withdrawal() {
    let kd = fresh();
    let frame = fixture("iframe");
    frame
        .set_attribute("data-src", "http://video.localhost:9/v")
        .unwrap();
    frame.set_attribute("data-category", "media").unwrap();
    frame.set_attribute("data-service", "video").unwrap();
    frame.set_attribute("title", "Stadtfilm").unwrap();
    document().body().unwrap().append_child(&frame).unwrap();
    until(|| !query_all(".kd-embed").is_empty()).await;
    let placeholder = query_all(".kd-embed").remove(0);
    assert_eq!(
        placeholder.get_attribute("aria-label").as_deref(),
        Some("Stadtfilm")
    );
    assert!(placeholder.text_content().unwrap().contains("Video GmbH"));
    assert_eq!(frame.get_attribute("src"), None);
    assert!(frame.unchecked_ref::<HtmlElement>().hidden());

    kd.accept_service(JsValue::from_str("video"), "media")
        .unwrap();
    assert!(query_all(".kd-embed").is_empty());
    assert_eq!(
        frame.get_attribute("src").as_deref(),
        Some("http://video.localhost:9/v")
    );

    kd.accept_category(Array::new().into()).unwrap();
    let frames = query_all("iframe.fixture");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].get_attribute("src"), None, "unloaded");
    assert_eq!(query_all(".kd-embed").len(), 1, "placeholder back");
}

#[wasm_bindgen_test]
fn an_element_without_data_service_also_needs_the_services_of_its_host() {
    let kd = fresh();
    // Marked for analytics, but its host belongs to the media service `video`.
    let image = fixture("img");
    image
        .set_attribute("data-src", "http://video.localhost:9/poster.png")
        .unwrap();
    image.set_attribute("data-category", "analytics").unwrap();
    document().body().unwrap().append_child(&image).unwrap();
    kd.accept_category(JsValue::from_str("analytics")).unwrap();
    assert_eq!(image.get_attribute("src"), None, "video is refused");
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    assert_eq!(
        image.get_attribute("src").as_deref(),
        Some("http://video.localhost:9/poster.png")
    );
}

#[wasm_bindgen_test]
fn reset_removes_what_only_consent_allowed() {
    let kd = fresh();
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    set_cookie("_pk_id.1=abc; path=/");
    local().set_item("matomo_x", "1").unwrap();
    assert!(has_cookie("_pk_id.1"));
    kd.reset().unwrap();
    assert!(!has_cookie("_pk_id.1"));
    assert_eq!(local().get_item("matomo_x").unwrap(), None);
}
