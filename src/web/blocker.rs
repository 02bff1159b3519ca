//! Activation of marked scripts: `<script type="text/plain" data-category="…">`.
//!
//! The browser never runs a script of type `text/plain`, so marked scripts stay inert until
//! keksdose replaces each with an executable copy. Copies run in document order, each exactly
//! once: an external one is awaited (load or error) before the next is inserted, because an
//! inline script would otherwise overtake it.

use std::collections::VecDeque;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Element, HtmlElement, HtmlScriptElement};

use super::{console_warn, document, nodes};
use crate::consent::policy::{Gate, Policy};

/// Marked scripts keksdose has not touched yet.
const MARKED: &str = r#"script[type="text/plain"][data-category]:not([data-keksdose-state])"#;

/// Attributes that only instruct keksdose and are not copied to the executable script.
const MARKUP_ATTRIBUTES: [&str; 6] = [
    "type",
    "data-type",
    "data-src",
    "data-category",
    "data-service",
    "data-keksdose-state",
];

/// The marked scripts `policy` lets run, in document order, claimed so that no later pass
/// picks them up again. Scripts naming unknown categories or services are reported once.
pub fn allowed_scripts(policy: Policy<'_>) -> VecDeque<Element> {
    let Ok(list) = document().query_selector_all(MARKED) else {
        return VecDeque::new();
    };
    let mut ready = VecDeque::new();
    for script in nodes::<Element>(list) {
        let category = script.get_attribute("data-category").unwrap_or_default();
        let service = script.get_attribute("data-service");
        let gate = Gate::parse(&category, service.as_deref());
        if !policy.names_known(&gate) {
            console_warn(&format!(
                "a script marked data-category=\"{category}\"{} names nothing in the config; it \
                 will never run",
                service.map_or(String::new(), |s| format!(" data-service=\"{s}\"")),
            ));
            let _ = script.set_attribute("data-keksdose-state", "unknown");
        } else if policy.gate_open(&gate) {
            let _ = script.set_attribute("data-keksdose-state", "queued");
            ready.push_back(script);
        }
    }
    ready
}

/// Replaces each marked script with an executable copy, one after the other.
pub fn run_in_order(mut queue: VecDeque<Element>) {
    while let Some(marked) = queue.pop_front() {
        let Some(script) = executable_copy(&marked) else {
            continue;
        };
        if script.has_attribute("src") {
            // Continue with the rest once this one has loaded or failed.
            let rest = Closure::once_into_js(move || run_in_order(queue));
            let _ = script.add_event_listener_with_callback("load", rest.unchecked_ref());
            let _ = script.add_event_listener_with_callback("error", rest.unchecked_ref());
            replace(&marked, &script);
            return;
        }
        replace(&marked, &script);
    }
}

fn replace(marked: &Element, script: &HtmlScriptElement) {
    if marked.replace_with_with_node_1(script).is_err() {
        console_warn("a marked script could not be activated");
    }
}

/// A `<script>` with the marked one's attributes, `data-src` as `src`, `data-type` as `type`.
fn executable_copy(marked: &Element) -> Option<HtmlScriptElement> {
    let script: HtmlScriptElement = document().create_element("script").ok()?.unchecked_into();
    for name in marked
        .get_attribute_names()
        .iter()
        .filter_map(|n| n.as_string())
    {
        if !MARKUP_ATTRIBUTES.contains(&name.as_str()) {
            script
                .set_attribute(&name, &marked.get_attribute(&name)?)
                .ok()?;
        }
    }
    if let Some(kind) = marked.get_attribute("data-type") {
        script.set_type(&kind);
    }
    if let Some(src) = marked.get_attribute("data-src") {
        script.set_src(&src);
    }
    if script.has_attribute("src") {
        // Dynamically inserted scripts are async by default; keep the document order.
        script.set_async(false);
    } else {
        script
            .set_text(&marked.text_content().unwrap_or_default())
            .ok()?;
    }
    // The nonce is hidden from getAttribute once parsed; carry it over for strict CSPs.
    script.set_nonce(&marked.unchecked_ref::<HtmlElement>().nonce());
    Some(script)
}
