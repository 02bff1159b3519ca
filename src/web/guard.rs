//! Guards: writes and loads by code keksdose was not told about, decided by the current policy.
//!
//! Installed once per page when keksdose starts (until then the script tag and the inline start
//! hold every write in JavaScript, and [`replay`] decides what they held):
//! - `document.cookie` and `cookieStore.set`: cookies that are neither necessary nor consented
//!   are dropped (deletions always pass; reads are untouched); one console warning per name;
//! - `localStorage` / `sessionStorage`: `setItem` and property assignment, likewise;
//! - the resource URLs of elements ([`GUARDED`]), as properties, through `setAttribute`,
//!   `setAttributeNS`, `setAttributeNode(NS)`, the attribute node's `value` and `new Audio(url)`:
//!   a URL whose host belongs to a service without consent is not set; the element is marked
//!   like hand-written markup (`type="text/plain"`, `data-src`, `data-category`,
//!   `data-service`) so that it is activated once the service is allowed. Where no element is
//!   known (`attributes.setNamedItem`, an SVG `href.baseVal`) such a URL is refused;
//! - submissions of sealed forms (the submit event and `form.submit()`): see [`forms`].
//!
//! The browser's functions are wrapped in `Proxy` objects whose `apply` trap sees `this`, so no
//! JavaScript needs to be generated. keksdose's own writes use the kept originals.
//!
//! Fail closed: without a running instance (broken config) or after an internal error, every
//! cookie and storage write is dropped and every load from another host is blocked.

use std::cell::{Cell, RefCell};

use js_sys::{Array, Function, JsString, Object, Promise, Proxy, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Storage};

use super::page::Page;
use super::{callback, console_warn, document, forms, object_property, string_property, window};
use crate::consent::cookie;
use crate::consent::policy::{CookieAssignment, Policy, cookie_deletions};
use crate::pattern::glob_matches;
use crate::strings::concat;

thread_local! {
    static NATIVE: RefCell<Option<Native>> = const { RefCell::new(None) };
    static WARNED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static POISONED: Cell<bool> = const { Cell::new(false) };
}

/// The browser's own functions, kept before they were wrapped.
struct Native {
    cookie_get: Function,
    cookie_set: Function,
    set_attribute: Function,
}

/// The resource URLs that are guarded: (interface whose property is wrapped, local name of the
/// element, property). The attribute is the property's name in lower case; a blocked URL is kept
/// in `data-<attribute>`. The interface is empty where another row wraps the same property, and
/// for SVG elements: they hold their URL in `href` (or `xlink:href`), whose property is an
/// `SVGAnimatedString`, guarded on its own. `pkg-config/fail-closed.js` stops the same list:
/// `tests/guard_lists.rs` compares the two, `tests/e2e/guard-routes.test.mjs` tries every route
/// against both. A `srcset` comes before its `src`: activation sets them in this order, so an
/// image fetches only what it picks.
pub const GUARDED: [(&str, &str, &str); 18] = [
    ("HTMLScriptElement", "script", "src"),
    ("HTMLImageElement", "img", "srcset"),
    ("HTMLImageElement", "img", "src"),
    ("HTMLIFrameElement", "iframe", "src"),
    ("HTMLLinkElement", "link", "href"),
    ("HTMLLinkElement", "link", "imageSrcset"),
    ("HTMLMediaElement", "audio", "src"),
    ("", "video", "src"),
    ("HTMLVideoElement", "video", "poster"),
    ("HTMLSourceElement", "source", "srcset"),
    ("HTMLSourceElement", "source", "src"),
    ("HTMLTrackElement", "track", "src"),
    ("HTMLInputElement", "input", "src"),
    ("HTMLEmbedElement", "embed", "src"),
    ("HTMLObjectElement", "object", "data"),
    ("", "script", "href"),
    ("", "image", "href"),
    ("", "feImage", "href"),
];

/// A trap: `(original function, this, arguments, form or property) -> result`.
type Apply = fn(&Function, &JsValue, &Array, &'static str) -> Result<JsValue, JsValue>;

/// Methods that are wrapped: (interface, method, trap, form the trap is told). The resource URLs
/// of elements go through the four ways to set an attribute, and `setNamedItem(NS)` of their
/// attribute lists; sealed forms through `submit()`.
const METHODS: [(&str, &str, Apply, &str); 8] = [
    ("Storage", "setItem", storage_set_item, ""),
    ("Element", "setAttribute", element_set_attribute, ""),
    ("Element", "setAttributeNS", element_set_attribute, "NS"),
    ("Element", "setAttributeNode", element_set_attribute, "node"),
    (
        "Element",
        "setAttributeNodeNS",
        element_set_attribute,
        "node",
    ),
    ("NamedNodeMap", "setNamedItem", named_item, ""),
    ("NamedNodeMap", "setNamedItemNS", named_item, ""),
    ("HTMLFormElement", "submit", form_submit, ""),
];

/// Setters that are wrapped besides those of [`GUARDED`]: (interface with the accessor,
/// interface that gets the wrapped one, property, trap). An attribute node's value is also its
/// `nodeValue` and `textContent`, whose accessors on `Node` are shadowed for attributes only.
const SETTERS: [(&str, &str, &str, Apply); 5] = [
    (
        "HTMLScriptElement",
        "HTMLScriptElement",
        "type",
        script_type_property,
    ),
    ("Attr", "Attr", "value", attribute_value),
    ("Node", "Attr", "nodeValue", attribute_value),
    ("Node", "Attr", "textContent", attribute_value),
    ("SVGAnimatedString", "SVGAnimatedString", "baseVal", svg_url),
];

/// After an internal error nothing is decided any more: everything is blocked.
pub fn poison() {
    POISONED.with(|p| p.set(true));
}

/// Whether [`poison`] was called.
pub fn poisoned() -> bool {
    POISONED.with(Cell::get)
}

/// Installs every guard (once per page). Fails where the browser lacks what is guarded, and
/// with a plain `Error` naming the conflict when another keksdose module guards the page.
pub fn install() -> Result<(), JsValue> {
    if NATIVE.with(|n| n.borrow().is_some()) {
        return Ok(());
    }
    let window = window();
    let cookie = descriptor(&prototype("Document")?, "cookie")?;
    let cookie_get: Function = Reflect::get(&cookie, &"get".into())?.unchecked_into();
    let cookie_set: Function = Reflect::get(&cookie, &"set".into())?.unchecked_into();

    // document.cookie, as an own property of `document` that page code cannot redefine. First:
    // when another keksdose module on this page (the script tag and the npm package's `init()`,
    // or two copies of the package) holds it already, only that one can decide.
    let set = trap(&cookie_set, cookie_write, "");
    if !define(
        &document(),
        "cookie",
        &[("get", &cookie_get), ("set", &set)],
    ) {
        return Err(js_sys::Error::new(
            "keksdose already runs on this page: use the script tag or init(), not both",
        )
        .into());
    }
    let element = prototype("Element")?;
    let set_attribute: Function = Reflect::get(&element, &"setAttribute".into())?.unchecked_into();
    NATIVE.with(|n| {
        *n.borrow_mut() = Some(Native {
            cookie_get,
            cookie_set,
            set_attribute,
        })
    });

    // cookieStore.set (Chromium, Firefox, WebKit; absent in older browsers).
    if let Ok(store) = prototype("CookieStore") {
        wrap_method(&store, "set", cookie_store_set, "")?;
    }
    for (class, name, apply, form) in METHODS {
        wrap_method(&prototype(class)?, name, apply, form)?;
    }
    for (class, onto, property, apply) in SETTERS {
        wrap_setter(&prototype(class)?, &prototype(onto)?, property, apply)?;
    }
    for (class, _, property) in GUARDED {
        // A browser without the element or the property has no such route.
        if let Ok(prototype) = prototype(class) {
            let _ = wrap_setter(&prototype, &prototype, property, element_url_property);
        }
    }
    guard_storage_objects(&window);
    guard_audio_constructor(&window)?;

    // Sealed forms: every submission goes through keksdose, or nowhere.
    let on_submit = callback(|event, _, _| {
        forms::on_submit(event.unchecked_into());
        Ok(JsValue::UNDEFINED)
    });
    super::listen(&document(), "submit", &on_submit.into_js_value(), true);
    Ok(())
}

/// Takes over from the entry that held the page's writes until keksdose started (the script tag
/// and the inline start; `window.__keksdoseStart`): its JavaScript guards are removed, so that
/// [`install`] wraps the browser's own functions, and the writes it held are returned, for
/// [`replay`] once the config runs.
pub fn take_over_held() -> Option<Array> {
    let window = window();
    let start = Reflect::get(&window, &"__keksdoseStart".into())
        .ok()
        .filter(JsValue::is_object)?;
    let _ = Reflect::delete_property(&window, &"__keksdoseStart".into());
    let restore = Reflect::get(&start, &"restore".into()).ok()?;
    let _ = restore.unchecked_ref::<Function>().call0(&start);
    Some(Reflect::get(&start, &"held".into()).ok()?.unchecked_into())
}

/// Carries out held writes, in order, through the guards: each is decided like a new one.
/// A write is `[target, name, arguments, is a method call]`.
pub fn replay(held: &Array) {
    for i in 0..held.length() {
        let write: Array = held.get(i).unchecked_into();
        let (target, name, args) = (write.get(0), write.get(1), write.get(2));
        // What the page's own call would have thrown is dropped: there is nobody to catch it.
        let _ = if write.get(3).is_truthy() {
            Reflect::get(&target, &name).and_then(|method| {
                let method: &Function = method.unchecked_ref();
                Reflect::apply(method, &target, args.unchecked_ref::<Array>())
            })
        } else {
            Reflect::set(&target, &name, &args.unchecked_ref::<Array>().get(0)).map(JsValue::from)
        };
    }
}

/// Writes a cookie with the browser's own setter (keksdose's consent cookie and deletions).
pub fn write_cookie(text: &str) {
    if let Some(set) = native(|n| n.cookie_set.clone()) {
        let _ = set.call1(&document(), &text.into());
    }
}

/// `document.cookie` as the browser has it.
pub fn read_cookies() -> String {
    native(|n| n.cookie_get.clone())
        .and_then(|get| get.call0(&document()).ok()?.as_string())
        .unwrap_or_default()
}

/// Sets an attribute with the browser's own `setAttribute`: for keksdose's own markup and its
/// activation, whose decision is already made (markup attribution wins over host attribution).
pub fn set_attribute(element: &Element, name: &str, value: &str) {
    match native(|n| n.set_attribute.clone()) {
        Some(set) => {
            let _ = set.call2(element, &name.into(), &value.into());
        }
        None => {
            let _ = element.set_attribute(name, value);
        }
    }
}

/// Deletes the cookies and storage keys of every service `policy` refuses.
pub fn clear_refused(policy: Policy<'_>, cookie_domain: Option<&str>) {
    let refused = policy.refused_services();
    if refused.is_empty() {
        return;
    }
    let declared = |name: &str, globs: fn(&crate::config::Service) -> &Vec<String>| {
        refused
            .iter()
            .any(|(_, service)| globs(service).iter().any(|g| glob_matches(g, name)))
    };
    let location = window().location();
    let host = string_property(&location, "hostname");
    let path = string_property(&location, "pathname");
    let cookies = read_cookies();
    for (name, _) in cookie::pairs(&cookies) {
        if declared(name, |s| &s.cookies) {
            for deletion in cookie_deletions(name, &host, &path, cookie_domain) {
                // The browser ignores deletions for domains it does not let the page reach.
                write_cookie(&deletion);
            }
        }
    }
    // Opening a storage costs time: only when a refused service declares keys.
    if refused
        .iter()
        .all(|(_, service)| service.storage.is_empty())
    {
        return;
    }
    for name in ["localStorage", "sessionStorage"] {
        let Some(storage) = object_property(&window(), name) else {
            continue;
        };
        for key in storage_keys(&storage) {
            if declared(&key, |s| &s.storage) {
                let _ = storage.remove_item(&key);
            }
        }
    }
}

/// The URLs in the value of `attribute`: a `srcset` lists several.
fn urls_in<'v>(attribute: &str, value: &'v str) -> Vec<&'v str> {
    if attribute.to_ascii_lowercase().ends_with("srcset") {
        crate::collect(
            value
                .split(',')
                .filter_map(|candidate| candidate.split_whitespace().next()),
        )
    } else {
        vec![value]
    }
}

/// The URLs `element` holds for activation: `(attribute, value of data-<attribute>)`.
pub fn held_urls(element: &Element) -> Vec<(&'static str, String)> {
    let tag = string_property(element, "localName");
    crate::collect(
        GUARDED
            .iter()
            .filter(|(_, t, _)| *t == tag)
            .filter_map(|(_, _, attribute)| {
                let value = element.get_attribute(&concat(&["data-", attribute]))?;
                Some((*attribute, value))
            }),
    )
}

/// Whether every host in the URLs an element holds for activation may load under `policy`.
pub fn held_urls_allowed(element: &Element, policy: Policy<'_>) -> bool {
    held_urls(element).iter().all(|(attribute, value)| {
        urls_in(attribute, value)
            .into_iter()
            .filter_map(remote_host)
            .all(|host| policy.host_allowed(&host))
    })
}

/// Whether a URL may load now: `Ok(())`, or the `(category, service)` it is attributed to
/// (`None` when it is blocked without attribution: no running instance).
fn url_verdict(url: &str) -> Result<(), Option<(String, String)>> {
    let Some(host) = remote_host(url) else {
        return Ok(());
    };
    match Page::current() {
        Some(page) => page.with_policy(|policy| match policy.refused_service_for_host(&host) {
            None => Ok(()),
            Some((c, s)) => Err(Some((c.to_owned(), s.to_owned()))),
        }),
        None if host == string_property(&window().location(), "hostname") => Ok(()),
        None => Err(None),
    }
}

/// The lower-case host of an http(s) URL (resolved against the document); `None` for other
/// schemes, which do not reach the network (`data:`, `blob:`) or do not parse.
fn remote_host(url: &str) -> Option<String> {
    let parsed = web_sys::Url::new_with_base(url, &string_property(&document(), "baseURI")).ok()?;
    matches!(
        string_property(&parsed, "protocol").as_str(),
        "http:" | "https:"
    )
    .then(|| string_property(&parsed, "hostname"))
}

/// Whether a write of `name` may happen under the current policy (nothing without a running
/// instance); when not, why.
fn write_verdict(
    name: &str,
    allowed: fn(&Policy<'_>, &str) -> bool,
    declared_by: for<'p> fn(&Policy<'p>, &str) -> Option<&'p str>,
) -> Result<(), String> {
    let Some(page) = Page::current() else {
        return Err(
            "keksdose has no valid config, so only necessary writes would be allowed".into(),
        );
    };
    page.with_policy(|policy| {
        if allowed(&policy, name) {
            return Ok(());
        }
        Err(match declared_by(&policy, name) {
            Some(service) => concat(&["the service `", service, "` has no consent"]),
            None => "no service in the config declares it (consent.unknownCookies is \"block\")"
                .to_owned(),
        })
    })
}

/// `blocked the <what>: <reason>` on the console, once per `what`.
fn warn_once(what: &str, reason: &str) {
    let first = WARNED.with(|w| {
        let mut warned = w.borrow_mut();
        let first = !warned.iter().any(|w| w == what);
        if first {
            warned.push(what.to_owned());
        }
        first
    });
    if first {
        console_warn(&concat(&["blocked ", what, ": ", reason]));
    }
}

fn cookie_verdict(name: &str) -> Result<(), String> {
    write_verdict(
        name,
        |p, name| p.cookie_write_allowed(name),
        |p, name| p.cookie_declared_by(name),
    )
}

/// Whether the page may write the storage key `key`; a refusal is reported once.
fn storage_write_allowed(key: &str) -> bool {
    let verdict = write_verdict(
        key,
        |p, key| p.storage_write_allowed(key),
        |p, key| p.storage_declared_by(key),
    );
    if let Err(reason) = &verdict {
        warn_once(&concat(&["the storage key `", key, "`"]), reason);
    }
    verdict.is_ok()
}

// --- traps: (original function, this, arguments, attribute) -> result ---

fn cookie_write(
    original: &Function,
    this: &JsValue,
    args: &Array,
    _: &str,
) -> Result<JsValue, JsValue> {
    // What is checked is what is passed on: an object's `toString` is called once only, here.
    // `document.cookie` takes a USVString, so the browser reads the string as `text` does.
    let first = args.get(0);
    let converted = js_text(&first);
    let text = String::from(&converted);
    let assignment = CookieAssignment::parse(&text);
    match cookie_verdict(assignment.name) {
        Ok(()) => {
            let checked = if first.is_string() {
                args
            } else {
                &Array::of1(&converted)
            };
            Reflect::apply(original, this, checked)
        }
        // Deleting is always allowed; what is passed on is a plain deletion, never the page's
        // string, so that no reading of its attributes can turn it into a write.
        Err(_) if assignment.deletes(|date| js_sys::Date::parse(date) <= js_sys::Date::now()) => {
            Reflect::apply(original, this, &Array::of1(&assignment.deletion().into()))
        }
        Err(reason) => {
            warn_once(&concat(&["the cookie `", assignment.name, "`"]), &reason);
            Ok(JsValue::UNDEFINED)
        }
    }
}

fn cookie_store_set(
    original: &Function,
    this: &JsValue,
    args: &Array,
    _: &str,
) -> Result<JsValue, JsValue> {
    // What is checked is what is passed on, read once: `set(name, value)` takes the name as a
    // string (converted here), `set(options)` a dictionary, passed on as an object that inherits
    // every member from it but has the name, read here, as its own. Anything else the browser
    // refuses itself.
    let first = args.get(0);
    let name;
    let checked = if args.length() > 1 {
        name = js_text(&first);
        Array::of2(&name, &args.get(1))
    } else if first.is_object() || first.is_function() {
        name = js_text(&Reflect::get(&first, &"name".into())?);
        let options = Object::create(first.unchecked_ref());
        define(&options, "name", &[("value", &name)]);
        Array::of1(&options)
    } else {
        return Reflect::apply(original, this, args);
    };
    let name = String::from(&name);
    match cookie_verdict(&name) {
        Ok(()) => Reflect::apply(original, this, &checked),
        Err(reason) => {
            warn_once(&concat(&["the cookie `", &name, "`"]), &reason);
            Ok(Promise::resolve(&JsValue::UNDEFINED).into())
        }
    }
}

fn storage_set_item(
    original: &Function,
    this: &JsValue,
    args: &Array,
    _: &str,
) -> Result<JsValue, JsValue> {
    let key = js_string(&args.get(0));
    if storage_write_allowed(&key) {
        let checked = args.slice(0, args.length());
        checked.set(0, key.as_str().into());
        Reflect::apply(original, this, &checked)
    } else {
        Ok(JsValue::UNDEFINED)
    }
}

fn element_url_property(
    original: &Function,
    this: &JsValue,
    args: &Array,
    attribute: &str,
) -> Result<JsValue, JsValue> {
    // Converted once: what is checked is what is set.
    let value = js_text(&args.get(0));
    match this.dyn_ref::<Element>() {
        Some(element) if !screen(element, attribute, &String::from(&value)) => {
            Ok(JsValue::UNDEFINED)
        }
        _ => Reflect::apply(original, this, &Array::of1(&value)),
    }
}

/// `setAttribute(name, value)`, `setAttributeNS(namespace, name, value)` (`form` "NS") and
/// `setAttributeNode(NS)(attr)` (`form` "node"): a guarded URL is screened by its local name.
/// What is checked is what is passed on: the name and a guarded value converted once.
fn element_set_attribute(
    original: &Function,
    this: &JsValue,
    args: &Array,
    form: &str,
) -> Result<JsValue, JsValue> {
    let Some(element) = this.dyn_ref::<Element>() else {
        return Reflect::apply(original, this, args);
    };
    // The positions of the name and the value in `args`.
    let at = u32::from(form == "NS");
    let (name, value) = if form == "node" {
        let attr = args.get(0);
        (
            Reflect::get(&attr, &"localName".into())?,
            Reflect::get(&attr, &"value".into())?,
        )
    } else {
        (args.get(at), args.get(at + 1))
    };
    let text = js_text(&name);
    let lower = String::from(&text).to_ascii_lowercase();
    // The local name: `xlink:href` (with any prefix) is `href`.
    let local = lower
        .bytes()
        .rposition(|b| b == b':')
        .map_or(0, |colon| colon + 1);
    let local = lower.get(local..).unwrap_or_default();
    let value_text = match guarded_attribute(element, local) {
        Some(attribute) => {
            let value_text = js_text(&value);
            if !screen(element, attribute, &String::from(&value_text)) {
                return Ok(JsValue::NULL);
            }
            Some(value_text)
        }
        None if local == "type" && element.has_attribute("data-keksdose-blocked") => {
            // A blocked script keeps type="text/plain"; the wanted type is kept for activation.
            set_attribute(element, "data-type", &js_string(&value));
            return Ok(JsValue::NULL);
        }
        None => None,
    };
    // Strings (and an attribute node's name and value) read the same every time.
    if form == "node" || name.is_string() && (value.is_string() || value_text.is_none()) {
        return Reflect::apply(original, this, args);
    }
    let checked = args.slice(0, args.length());
    checked.set(at, text.into());
    if let Some(value_text) = value_text {
        checked.set(at + 1, value_text.into());
    }
    Reflect::apply(original, this, &checked)
}

/// The `value` of an attribute node (also as `nodeValue` and `textContent`): screened for the
/// element it belongs to.
fn attribute_value(
    original: &Function,
    this: &JsValue,
    args: &Array,
    _: &str,
) -> Result<JsValue, JsValue> {
    let owner = Reflect::get(this, &"ownerElement".into())?;
    if let Some(element) = owner.dyn_ref::<Element>() {
        let name = js_string(&Reflect::get(this, &"localName".into())?).to_ascii_lowercase();
        if let Some(attribute) = guarded_attribute(element, &name) {
            let value = js_text(&args.get(0));
            if !screen(element, attribute, &String::from(&value)) {
                return Ok(JsValue::UNDEFINED);
            }
            return Reflect::apply(original, this, &Array::of1(&value));
        }
    }
    Reflect::apply(original, this, args)
}

/// `attributes.setNamedItem(NS)(attr)`: the element is not known here, so an attribute named
/// like a guarded one whose URL may not load is refused.
fn named_item(
    original: &Function,
    this: &JsValue,
    args: &Array,
    _: &str,
) -> Result<JsValue, JsValue> {
    let attr = args.get(0);
    let name = js_string(&Reflect::get(&attr, &"localName".into())?).to_ascii_lowercase();
    if names_url(&name) && !url_allowed(&name, &js_string(&Reflect::get(&attr, &"value".into())?)) {
        return Ok(JsValue::NULL);
    }
    Reflect::apply(original, this, args)
}

/// `href.baseVal` of an SVG element: the element is not known here, so a URL that may not load
/// is refused.
fn svg_url(original: &Function, this: &JsValue, args: &Array, _: &str) -> Result<JsValue, JsValue> {
    let value = js_text(&args.get(0));
    if url_allowed("href", &String::from(&value)) {
        Reflect::apply(original, this, &Array::of1(&value))
    } else {
        Ok(JsValue::UNDEFINED)
    }
}

/// `form.submit()` skips the submit event; for a sealed form it is routed to sealing.
fn form_submit(
    original: &Function,
    this: &JsValue,
    args: &Array,
    _: &str,
) -> Result<JsValue, JsValue> {
    match this.dyn_ref::<Element>() {
        Some(form) if form.matches(forms::SEALED).unwrap_or(false) => {
            forms::submit(form.unchecked_ref());
            Ok(JsValue::UNDEFINED)
        }
        _ => Reflect::apply(original, this, args),
    }
}

fn script_type_property(
    original: &Function,
    this: &JsValue,
    args: &Array,
    _: &str,
) -> Result<JsValue, JsValue> {
    match this.dyn_ref::<Element>() {
        Some(script) if script.has_attribute("data-keksdose-blocked") => {
            set_attribute(script, "data-type", &js_string(&args.get(0)));
            Ok(JsValue::UNDEFINED)
        }
        _ => Reflect::apply(original, this, args),
    }
}

/// The URL attribute `name` (in lower case) of `element` if it is one keksdose guards.
fn guarded_attribute(element: &Element, name: &str) -> Option<&'static str> {
    // The name first: most attributes set are none of these, and the tag costs a call to JS.
    if !names_url(name) {
        return None;
    }
    let tag = string_property(element, "localName");
    GUARDED
        .iter()
        .find(|(_, t, attribute)| *t == tag && attribute.eq_ignore_ascii_case(name))
        .map(|(_, _, attribute)| *attribute)
}

/// Whether `name` is the name of a guarded URL attribute of some element.
fn names_url(name: &str) -> bool {
    GUARDED
        .iter()
        .any(|(_, _, attribute)| attribute.eq_ignore_ascii_case(name))
}

/// Lets `url` through for `element`'s `attribute`, or marks the element so that keksdose
/// activates it once its service is allowed; returns whether the URL may be set.
pub fn screen(element: &Element, attribute: &str, url: &str) -> bool {
    let Err(attribution) = urls_verdict(attribute, url) else {
        return true;
    };
    set_attribute(element, &concat(&["data-", attribute]), url);
    if let Some((category, service)) = &attribution {
        set_attribute(element, "data-category", category);
        set_attribute(element, "data-service", service);
    }
    if string_property(element, "localName") == "script" {
        if let Some(kind) = element.get_attribute("type").filter(|t| t != "text/plain") {
            set_attribute(element, "data-type", &kind);
        }
        set_attribute(element, "data-keksdose-blocked", "");
        set_attribute(element, "type", "text/plain");
    }
    false
}

/// Whether the URLs in the value of `attribute` may load; a refusal is reported once.
fn url_allowed(attribute: &str, url: &str) -> bool {
    urls_verdict(attribute, url).is_ok()
}

/// [`url_verdict`] for every URL in the value of `attribute`: the first refusal is reported
/// (once per host) and returned.
fn urls_verdict(attribute: &str, url: &str) -> Result<(), Option<(String, String)>> {
    for candidate in urls_in(attribute, url) {
        if let Err(attribution) = url_verdict(candidate) {
            let host = remote_host(candidate).unwrap_or_default();
            let reason = match &attribution {
                Some((_, service)) => concat(&["the service `", service, "` has no consent"]),
                None => "keksdose has no valid config".to_owned(),
            };
            warn_once(&concat(&["loading from ", &host]), &reason);
            return Err(attribution);
        }
    }
    Ok(())
}

// --- installation helpers ---

/// `window[name].prototype`.
fn prototype(name: &str) -> Result<Object, JsValue> {
    let constructor = Reflect::get(&window(), &name.into())?;
    if constructor.is_undefined() {
        return Err(JsValue::from_str(&concat(&[name, " is not available"])));
    }
    Ok(Reflect::get(&constructor, &"prototype".into())?.unchecked_into())
}

fn descriptor(object: &Object, property: &str) -> Result<Object, JsValue> {
    let descriptor = Object::get_own_property_descriptor(object, &property.into());
    if descriptor.is_undefined() {
        return Err(JsValue::from_str(&concat(&["no property ", property])));
    }
    Ok(descriptor.unchecked_into())
}

/// Defines `name` on `object` as an enumerable property of its own with `fields` (`get` and
/// `set`, or `value`); it is not configurable, so page code cannot redefine it. Returns whether
/// it could be defined (not when a property of that name that is not configurable exists).
fn define(object: &Object, name: &str, fields: &[(&str, &JsValue)]) -> bool {
    let descriptor = Object::new();
    for (field, value) in fields.iter().chain([&("enumerable", &JsValue::TRUE)]) {
        let _ = Reflect::set(&descriptor, &(*field).into(), value);
    }
    Reflect::define_property(object, &name.into(), &descriptor).unwrap_or(false)
}

/// `new Proxy(original, { apply })`: `apply(original, this, arguments, attribute)` decides; it
/// lives as long as the page.
fn trap(original: &Function, apply: Apply, attribute: &'static str) -> JsValue {
    let apply = callback(move |original, this, args| {
        apply(
            original.unchecked_ref(),
            &this,
            args.unchecked_ref(),
            attribute,
        )
    });
    let handler = Object::new();
    let _ = Reflect::set(&handler, &"apply".into(), &apply.into_js_value());
    Proxy::new(original, &handler).into()
}

fn wrap_method(
    prototype: &Object,
    name: &str,
    apply: Apply,
    attribute: &'static str,
) -> Result<(), JsValue> {
    let original: Function = Reflect::get(prototype, &name.into())?.unchecked_into();
    Reflect::set(prototype, &name.into(), &trap(&original, apply, attribute)).map(drop)
}

/// Defines `property` on `onto` as the accessor `source` has, its setter wrapped (`onto` is
/// `source`, or an object that inherits from it and alone gets the guard); the trap is told the
/// property.
fn wrap_setter(
    source: &Object,
    onto: &Object,
    property: &'static str,
    apply: Apply,
) -> Result<(), JsValue> {
    let accessor = descriptor(source, property)?;
    let setter: Function = Reflect::get(&accessor, &"set".into())?.unchecked_into();
    Reflect::set(&accessor, &"set".into(), &trap(&setter, apply, property))?;
    Object::define_property(onto, &property.into(), &accessor);
    Ok(())
}

/// `new Audio(url)` sets the URL without the `src` setter: it is built without one, and the URL
/// is set through the guarded setter.
fn guard_audio_constructor(window: &web_sys::Window) -> Result<(), JsValue> {
    let audio: Function = Reflect::get(window, &"Audio".into())?.unchecked_into();
    let construct = callback(|audio, args, new_target| {
        let element = Reflect::construct_with_new_target(
            audio.unchecked_ref(),
            &Array::new(),
            new_target.unchecked_ref(),
        )?;
        let url = args.unchecked_ref::<Array>().get(0);
        if !url.is_undefined() {
            Reflect::set(&element, &"src".into(), &url)?;
        }
        Ok(element)
    });
    let handler = super::object(&[("construct", &construct.into_js_value())]);
    Reflect::set(window, &"Audio".into(), &Proxy::new(&audio, &handler)).map(drop)
}

/// Replaces `window.localStorage` and `window.sessionStorage` by getters that hand out a proxy
/// of the storage object whose property writes are guarded. A storage is opened only when page
/// code first asks for it, as with the browser's own getter: opening it takes milliseconds that
/// the page's start should not wait for.
fn guard_storage_objects(window: &web_sys::Window) {
    let get = callback(|target, key, _| {
        let value = Reflect::get(&target, &key)?;
        Ok(if value.is_function() {
            value.unchecked_ref::<Function>().bind0(&target).into()
        } else {
            value
        })
    });
    let set = callback(|target, key, value| {
        if key.is_string() && !storage_write_allowed(&js_string(&key)) {
            return Ok(JsValue::TRUE);
        }
        Reflect::set(&target.unchecked_into(), &key, &value).map(JsValue::from)
    });
    // `Object.defineProperty(localStorage, key, { value })` stores the value too.
    let define_property = callback(|target, key, descriptor| {
        if key.is_string() && !storage_write_allowed(&js_string(&key)) {
            return Ok(JsValue::TRUE);
        }
        let target: Object = target.unchecked_into();
        Reflect::define_property(&target, &key, &descriptor.unchecked_into()).map(JsValue::from)
    });
    let handler = super::object(&[
        ("get", &get.into_js_value()),
        ("set", &set.into_js_value()),
        ("defineProperty", &define_property.into_js_value()),
    ]);
    for name in ["localStorage", "sessionStorage"] {
        let Ok(own) = descriptor(window, name) else {
            continue;
        };
        let Ok(original) = Reflect::get(&own, &"get".into()) else {
            continue;
        };
        let original: Function = original.unchecked_into();
        let handler = handler.clone();
        let proxy = RefCell::new(None::<JsValue>);
        let getter = callback(move |_, _, _| {
            if let Some(proxy) = proxy.borrow().as_ref() {
                return Ok(proxy.clone());
            }
            // A storage the browser denies throws here, as it would have without keksdose.
            let storage = original.call0(&super::window())?;
            let guarded: JsValue = Proxy::new(&storage, &handler).into();
            *proxy.borrow_mut() = Some(guarded.clone());
            Ok(guarded)
        });
        let _ = define(window, name, &[("get", &getter.into_js_value())]);
    }
}

fn native<T>(f: impl FnOnce(&Native) -> T) -> Option<T> {
    NATIVE.with(|n| n.borrow().as_ref().map(f))
}

fn storage_keys(storage: &Storage) -> Vec<String> {
    let length = storage.length().unwrap_or(0);
    crate::collect((0..length).filter_map(|i| storage.key(i).ok().flatten()))
}

/// `String(value)`, as the browser converts what is assigned.
fn js_text(value: &JsValue) -> JsString {
    if value.is_string() {
        return value.clone().unchecked_into();
    }
    Reflect::get(&window(), &"String".into())
        .ok()
        .and_then(|string| {
            string
                .unchecked_into::<Function>()
                .call1(&JsValue::NULL, value)
                .ok()
        })
        .filter(JsValue::is_string)
        .map(JsValue::unchecked_into)
        .unwrap_or_else(|| JsString::from(""))
}

/// [`js_text`] as a Rust string (lone surrogates become U+FFFD).
fn js_string(value: &JsValue) -> String {
    String::from(&js_text(value))
}
