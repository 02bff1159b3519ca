//! The web layer in headless Chromium (wasm-bindgen-test): rendering, activation order,
//! the API, stored decisions. Every test starts keksdose afresh through the public `start`.
#![cfg(target_arch = "wasm32")]
// Tests may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use js_sys::{Array, Reflect};
use keksdose::web::api::Keksdose;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

mod browser;
use browser::{
    cookie, document, fixture, order, query_all, reset_page, set_cookie, start, until, window,
};

wasm_bindgen_test_configure!(run_in_browser);

const CONFIG: &str = r#"{
    "tenant": "testkommune",
    "policy": { "privacyUrl": "/datenschutz", "imprintUrl": "https://example.org/impressum" },
    "categories": {
        "necessary": { "readOnly": true },
        "analytics": { "services": {
            "matomo": { "provider": "Stadt <img src=x onerror=\"window.pwned=1\">", "purpose": "Statistik",
                        "cookies": ["_pk_*"], "retention": "13 Monate" },
            "plausible": { "provider": "Plausible", "purpose": "Statistik" } } },
        "media": { "services": {
            "video": { "provider": "Video GmbH", "purpose": "Videos", "hosts": ["video.example"], "embed": true } } }
    }
}"#;

fn query(selector: &str) -> Option<Element> {
    document().query_selector(selector).unwrap()
}

fn click(selector: &str) {
    query(selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into::<HtmlElement>()
        .click();
}

/// Whether the element is shown: neither it nor an ancestor is `hidden`.
fn visible(selector: &str) -> bool {
    query(selector).is_some_and(|e| e.closest("[hidden]").unwrap().is_none())
}

/// Appends a marked script to the body.
fn marked_script(attributes: &[(&str, &str)], text: &str) {
    let script = fixture("script");
    script.set_attribute("type", "text/plain").unwrap();
    for (name, value) in attributes {
        script.set_attribute(name, value).unwrap();
    }
    script.set_text_content(Some(text));
    document().body().unwrap().append_child(&script).unwrap();
}

fn started() -> Keksdose {
    reset_page();
    start(CONFIG, None, None).unwrap()
}

#[wasm_bindgen_test]
fn first_layer_has_three_equal_buttons_and_the_policy_links() {
    let _kd = started();
    assert!(visible(".kd-banner"));
    let banner = query(".kd-banner").unwrap();
    assert_eq!(banner.get_attribute("role").as_deref(), Some("dialog"));
    let label = banner.get_attribute("aria-labelledby").unwrap();
    assert_eq!(
        document()
            .get_element_by_id(&label)
            .unwrap()
            .text_content()
            .unwrap(),
        "Datenschutz auf dieser Website"
    );
    let buttons: Vec<(String, String, String)> = query_all(".kd-banner .kd-actions > *")
        .iter()
        .map(|b| {
            (
                b.tag_name(),
                b.get_attribute("data-keksdose-action").unwrap(),
                b.class_name(),
            )
        })
        .collect();
    let expect = |action: &str| ("BUTTON".into(), action.into(), "kd-btn".into());
    assert_eq!(
        buttons,
        [
            expect("accept-all"),
            expect("reject-all"),
            expect("settings")
        ]
    );
    let hrefs: Vec<String> = query_all(".kd-banner .kd-links a")
        .iter()
        .map(|a| a.get_attribute("href").unwrap())
        .collect();
    assert_eq!(hrefs, ["/datenschutz", "https://example.org/impressum"]);
    assert!(
        query_all(".kd-root [style]").is_empty(),
        "no inline styles (CSP style-src 'self')"
    );
}

#[wasm_bindgen_test]
fn config_text_is_shown_as_text_never_as_markup() {
    let _kd = started();
    click(r#"[data-keksdose-action="settings"]"#);
    assert!(query(".kd-root img").is_none());
    let text = query(".kd-root").unwrap().text_content().unwrap();
    assert!(text.contains("Stadt <img src=x onerror=\"window.pwned=1\">"));
    assert!(
        Reflect::get(&window(), &"pwned".into())
            .unwrap()
            .is_undefined()
    );
}

#[wasm_bindgen_test]
fn preferences_start_unticked_and_list_every_service() {
    let _kd = started();
    click(r#"[data-keksdose-action="settings"]"#);
    assert!(visible(".kd-dialog"));
    assert!(!visible(".kd-banner"));
    let switches: Vec<(String, bool, bool)> = query_all(".kd-dialog input[type=checkbox]")
        .iter()
        .map(|input| {
            let input: &web_sys::HtmlInputElement = input.unchecked_ref();
            (input.id(), input.checked(), input.disabled())
        })
        .collect();
    assert_eq!(
        switches,
        [
            ("kd-c-necessary".into(), true, true),
            ("kd-c-analytics".into(), false, false),
            ("kd-s-matomo".into(), false, false),
            ("kd-s-plausible".into(), false, false),
            ("kd-c-media".into(), false, false),
            ("kd-s-video".into(), false, false),
        ]
    );
    let details = query(".kd-dialog").unwrap().text_content().unwrap();
    for expected in ["Anbieter", "Zweck", "_pk_*", "13 Monate", "video.example"] {
        assert!(details.contains(expected), "{expected}");
    }
}

#[wasm_bindgen_test]
async fn accept_runs_marked_scripts_in_document_order_exactly_once() {
    reset_page();
    marked_script(
        &[("data-category", "analytics")],
        "window.order.push('inline 1')",
    );
    marked_script(
        &[
            ("data-category", "analytics"),
            ("data-service", "matomo"),
            (
                "data-src",
                "data:text/javascript,window.order.push('external 2')",
            ),
        ],
        "",
    );
    marked_script(
        &[("data-category", "!analytics")],
        "window.order.push('opt-out')",
    );
    marked_script(
        &[("data-category", "media")],
        "window.order.push('inline 3')",
    );
    marked_script(
        &[("data-category", "necessary")],
        "window.order.push('necessary')",
    );
    let kd = start(CONFIG, None, None).unwrap();
    assert_eq!(order(), ["necessary"], "necessary scripts do not wait");
    click(r#".kd-banner [data-keksdose-action="accept-all"]"#);
    until(|| order().len() >= 4).await;
    assert_eq!(order(), ["necessary", "inline 1", "external 2", "inline 3"]);
    assert!(cookie().contains("kd_consent=1."));
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    assert_eq!(order().len(), 4, "exactly once");
}

#[wasm_bindgen_test]
fn reject_runs_only_opt_out_scripts() {
    let _kd = started();
    marked_script(&[("data-category", "analytics")], "window.order.push('in')");
    marked_script(
        &[("data-category", "!analytics")],
        "window.order.push('out')",
    );
    marked_script(
        &[("data-category", "!media"), ("data-service", "video")],
        "window.order.push('no video')",
    );
    assert!(order().is_empty(), "nothing before a decision");
    click(r#"[data-keksdose-action="reject-all"]"#);
    assert_eq!(order(), ["out", "no video"]);
    assert!(!visible(".kd-banner"));
}

#[wasm_bindgen_test]
fn scripts_naming_unknown_categories_never_run_and_are_marked() {
    let kd = started();
    marked_script(&[("data-category", "statistik")], "window.order.push('x')");
    marked_script(
        &[("data-category", "analytics"), ("data-service", "ga")],
        "window.order.push('y')",
    );
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    assert!(order().is_empty());
    assert_eq!(query_all(r#"[data-keksdose-state="unknown"]"#).len(), 2);
}

#[wasm_bindgen_test]
fn api_decides_per_category_and_per_service() {
    let kd = started();
    assert!(!kd.valid_consent());
    assert!(kd.accepted_category("necessary").unwrap());
    kd.accept_category(JsValue::from_str("analytics")).unwrap();
    assert!(kd.accepted_category("analytics").unwrap());
    assert!(kd.accepted_service("matomo").unwrap() && kd.accepted_service("plausible").unwrap());
    assert!(!kd.accepted_category("media").unwrap());
    kd.accept_service(JsValue::from_str("plausible"), "analytics")
        .unwrap();
    assert!(!kd.accepted_service("matomo").unwrap());
    assert!(kd.accepted_service("plausible").unwrap());
    assert!(kd.accepted_category("analytics").unwrap());
    kd.accept_service(JsValue::from_str("video"), "media")
        .unwrap();
    assert!(
        kd.accepted_service("plausible").unwrap(),
        "other categories stay"
    );
    assert!(kd.accepted_service("video").unwrap());
    kd.accept_category(Array::new().into()).unwrap();
    assert!(!kd.accepted_category("analytics").unwrap() && !kd.accepted_category("media").unwrap());
    assert!(kd.valid_consent(), "a refusal is a decision too");

    // An unknown name is a mistake in every method that takes names, the questions included.
    for error in [
        kd.accept_category(JsValue::from_str("statistik")),
        kd.accepted_category("statistik").map(drop),
        kd.accepted_service("matmo").map(drop),
        kd.accept_service(JsValue::from_str("matomo"), "media"),
        kd.accept_service(JsValue::from_f64(1.0), "analytics"),
    ] {
        let error: js_sys::Error = error.unwrap_err().unchecked_into();
        assert_eq!(error.name(), "ConsentError");
    }
}

#[wasm_bindgen_test]
fn a_stored_decision_is_honoured_and_a_tampered_one_is_not() {
    let kd = started();
    kd.accept_category(JsValue::from_str("analytics")).unwrap();
    let stored = cookie();
    let kd = start(CONFIG, None, None).unwrap();
    assert!(kd.valid_consent());
    assert!(kd.accepted_category("analytics").unwrap());
    assert!(
        query(".kd-banner").is_none(),
        "no banner with a valid decision"
    );

    // Flip one decision bit by hand: the checksum no longer matches.
    let value = stored
        .split(';')
        .find_map(|c| c.trim().strip_prefix("kd_consent="))
        .unwrap()
        .to_owned();
    let tampered = value.replace(".analytics.", ".media.");
    set_cookie(&format!("kd_consent={tampered}; Path=/"));
    let kd = start(CONFIG, None, None).unwrap();
    assert!(!kd.valid_consent());
    assert!(!kd.accepted_category("media").unwrap() && !kd.accepted_category("analytics").unwrap());
    assert!(visible(".kd-banner"));
}

#[wasm_bindgen_test]
fn a_changed_purpose_asks_again_but_keeps_the_consent_id() {
    let kd = started();
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    let id = kd.get_consent();
    let id = Reflect::get(&id, &"consentId".into()).unwrap();
    let changed = CONFIG.replace("\"Videos\"", "\"Videos und Werbung\"");
    let kd = start(&changed, None, None).unwrap();
    assert!(!kd.valid_consent(), "new revision");
    assert!(visible(".kd-banner"));
    kd.accept_category(Array::new().into()).unwrap();
    let again = Reflect::get(&kd.get_consent(), &"consentId".into()).unwrap();
    assert_eq!(again, id);
    assert_ne!(kd.revision(), start(CONFIG, None, None).unwrap().revision());
}

#[wasm_bindgen_test]
fn reset_erases_the_decision_and_asks_again() {
    let kd = started();
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    let first = Reflect::get(&kd.get_consent(), &"consentId".into()).unwrap();
    kd.reset().unwrap();
    assert!(!cookie().contains("kd_consent"));
    assert!(!kd.valid_consent());
    assert!(kd.get_consent().is_null());
    assert!(visible(".kd-banner"));
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    let second = Reflect::get(&kd.get_consent(), &"consentId".into()).unwrap();
    assert_ne!(first, second, "a new consent id after reset");
}

#[wasm_bindgen_test]
fn preference_links_anywhere_open_the_dialog() {
    let kd = started();
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    let link = fixture("a");
    link.set_attribute("href", "#").unwrap();
    link.set_attribute("data-keksdose", "preferences").unwrap();
    let inner = document().create_element("span").unwrap();
    link.append_child(&inner).unwrap();
    document().body().unwrap().append_child(&link).unwrap();
    inner.unchecked_ref::<HtmlElement>().click();
    assert!(visible(".kd-dialog"));
    assert!(
        query("#kd-c-analytics")
            .unwrap()
            .unchecked_into::<web_sys::HtmlInputElement>()
            .checked()
    );
}

#[wasm_bindgen_test]
fn events_carry_a_plain_snapshot() {
    let kd = started();
    let seen = Array::new();
    let record = seen.clone();
    let listener =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
            record.push(&event.detail());
        });
    for name in ["keksdose:consent", "keksdose:change"] {
        window()
            .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref())
            .unwrap();
    }
    kd.accept_category(JsValue::from_str("media")).unwrap();
    kd.accept_category(Array::new().into()).unwrap();
    for name in ["keksdose:consent", "keksdose:change"] {
        window()
            .remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref())
            .unwrap();
    }
    assert_eq!(seen.length(), 2);
    let first = seen.get(0);
    let categories: Array = Reflect::get(&first, &"categories".into())
        .unwrap()
        .unchecked_into();
    assert_eq!(categories.to_vec(), [JsValue::from_str("media")]);
    let second = seen.get(1);
    assert_eq!(
        Reflect::get(&second, &"withdrawal".into()).unwrap(),
        JsValue::TRUE
    );
    assert_eq!(Reflect::get(&second, &"method".into()).unwrap(), "custom");
}

#[wasm_bindgen_test]
fn a_config_with_only_necessary_categories_shows_no_banner() {
    reset_page();
    let kd = start(
        r#"{ "tenant": "t", "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
             "categories": { "necessary": { "readOnly": true } } }"#,
        None,
        None,
    )
    .unwrap();
    assert!(query(".kd-root").is_none());
    assert!(!kd.valid_consent());
    assert!(kd.accepted_category("necessary").unwrap());
}

#[wasm_bindgen_test]
fn a_broken_config_throws_a_config_error_with_every_path() {
    reset_page();
    let error = start(
        r#"{ "tenant": "Bad Name", "policy": { "privacyUrl": "javascript:x", "imprintUrl": "/i" },
             "categories": { "necessary": { "readOnly": true } } }"#,
        None,
        None,
    )
    .err()
    .unwrap();
    let error: js_sys::Error = error.unchecked_into();
    assert_eq!(error.name(), "ConfigError");
    let message = String::from(error.message());
    assert!(message.contains("tenant: expected"), "{message}");
    assert!(
        message.contains("policy.privacyUrl: scheme `javascript:`"),
        "{message}"
    );
    assert!(query(".kd-root").is_none());
}

#[wasm_bindgen_test]
fn a_replaced_instance_refuses_to_act() {
    let old = started();
    let _current = start(CONFIG, None, None).unwrap();
    assert!(old.accept_category(JsValue::UNDEFINED).is_err());
    assert!(old.show_preferences().is_err());
    assert_eq!(
        old.accepted_category("necessary").ok(),
        Some(false),
        "a stopped instance answers \"not allowed\""
    );
    assert!(old.get_consent().is_null());
    assert!(!cookie().contains("kd_consent"), "nothing stored");
}

#[wasm_bindgen_test]
fn page_code_may_call_the_api_while_focus_moves() {
    let kd: JsValue = started().into();
    Reflect::set(&window(), &"kd".into(), &kd).unwrap();
    // A focus listener of the page runs while keksdose moves focus into the dialog.
    let listener = js_sys::Function::new_no_args(
        "if (document.activeElement.closest('.kd-dialog')) { \
           window.order.push('focus'); window.kd.hidePreferences(); }",
    );
    document()
        .add_event_listener_with_callback("focusin", &listener)
        .unwrap();
    click(r#"[data-keksdose-action="settings"]"#);
    document()
        .remove_event_listener_with_callback("focusin", &listener)
        .unwrap();
    assert_eq!(order(), ["focus"]);
    assert!(visible(".kd-banner"), "the listener's call took effect");
    assert!(!visible(".kd-dialog"));
}

#[wasm_bindgen_test]
fn scripts_that_will_never_load_do_not_hold_up_the_queue() {
    let kd = started();
    marked_script(
        &[
            ("data-category", "analytics"),
            ("data-src", "/never-fetched.js"),
            ("nomodule", ""),
        ],
        "",
    );
    marked_script(
        &[
            ("data-category", "analytics"),
            ("data-src", "/not-javascript.json"),
            ("data-type", "application/json"),
        ],
        "",
    );
    marked_script(
        &[("data-category", "analytics")],
        "window.order.push('after')",
    );
    kd.accept_category(JsValue::UNDEFINED).unwrap();
    assert_eq!(order(), ["after"]);
}
