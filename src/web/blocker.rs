//! Activation of marked elements, from the start of the page and for elements added later.
//!
//! Marked elements are inert until their category or service is allowed:
//! `<script type="text/plain" data-category>` (never run by the browser),
//! `<img data-src|data-srcset data-category>`, `<link data-href data-category>`,
//! `<iframe data-src data-category>` (no URL, so no request), and the other elements whose URLs
//! are [guarded](super::guard::GUARDED) likewise (`<video data-poster>`, `<object data-data>`,
//! SVG `<image data-href>`, …). Elements the [guard](super::guard) blocked look the same. A
//! `MutationObserver` hands every element added after start to [`Page::on_added`], so tag
//! managers and single-page apps are covered.
//!
//! Scripts run in document order, each exactly once, through one queue for the whole page: an
//! external one is awaited (load or error) before the next is inserted, because an inline
//! script would otherwise overtake it.

use std::cell::{Cell, RefCell};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlScriptElement, MutationObserver, MutationRecord, Node};

use super::page::Page;
use super::{
    callback, console_warn, document, element, embed, guard, listen, nodes, object,
    object_property, once, set, string_property,
};
use crate::consent::policy::{Gate, Policy};
use crate::strings::concat;

/// Marked elements keksdose has not settled yet (iframes are re-checked on every decision).
const MARKED: &str = concat!(
    r#"script[type="text/plain"][data-category]:not([data-keksdose-state]),"#,
    ":is(img,link,audio,video,source,track,input,embed,object,image,feImage)",
    "[data-category]:not([data-keksdose-state]),",
    r#"iframe[data-category]:not([data-keksdose-state="unknown"])"#
);

/// Attributes that only instruct keksdose and are not copied to the executable script.
const MARKUP_ATTRIBUTES: [&str; 8] = [
    "type",
    "data-type",
    "data-src",
    "data-href",
    "data-category",
    "data-service",
    "data-keksdose-state",
    "data-keksdose-blocked",
];

thread_local! {
    /// Scripts waiting to run, first in front. A `Vec`: a page queues a few scripts at a time,
    /// and a `VecDeque` would add its ring buffer's code to every page's wasm.
    static QUEUE: RefCell<Vec<Element>> = const { RefCell::new(Vec::new()) };
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static OBSERVING: Cell<bool> = const { Cell::new(false) };
}

/// What to do with one marked element under the current decision.
pub enum Step {
    /// Run this script (queued, in document order).
    Run(Element),
    /// Set the URLs held in `data-src`, `data-srcset`, `data-href`, ….
    Load(Element),
    /// Settle this iframe: load it, show its placeholder, or unload it.
    Embed(Element, bool),
}

/// The steps for the marked elements at and below `root`, in document order. Scripts are
/// claimed so that no later pass picks them up again; names the config does not know are
/// reported once and never run.
pub fn plan(root: &Node, policy: Policy<'_>) -> Vec<Step> {
    let mut steps = Vec::new();
    for element in within(root, MARKED) {
        let category = element.get_attribute("data-category").unwrap_or_default();
        let service = element.get_attribute("data-service");
        let gate = Gate::parse(&category, service.as_deref());
        let tag = string_property(&element, "localName");
        if !policy.names_known(&gate) {
            let service =
                service.map_or(String::new(), |s| concat(&[" data-service=\"", &s, "\""]));
            console_warn(&concat(&[
                "a <",
                &tag,
                "> marked data-category=\"",
                &category,
                "\"",
                &service,
                " names nothing in the config; it will never load",
            ]));
            set(&element, "data-keksdose-state", "unknown");
            continue;
        }
        // Without `data-service` the element also belongs to the services that list its host.
        let open = policy.gate_open(&gate)
            && (service.is_some() || guard::held_urls_allowed(&element, policy));
        match tag.as_str() {
            "iframe" => steps.push(Step::Embed(element, open)),
            _ if !open => {}
            "script" => {
                set(&element, "data-keksdose-state", "queued");
                steps.push(Step::Run(element));
            }
            _ => steps.push(Step::Load(element)),
        }
    }
    steps
}

/// Carries out `steps` (outside any borrow of the page state: scripts may call back).
pub fn apply(page: &Page, steps: Vec<Step>) {
    let mut scripts = Vec::new();
    for step in steps {
        match step {
            Step::Run(script) => scripts.push(script),
            Step::Load(element) => load(&element),
            Step::Embed(iframe, open) => embed::settle(page, &iframe, open),
        }
    }
    if !scripts.is_empty() {
        QUEUE.with(|queue| queue.borrow_mut().extend(scripts));
        run_queue();
    }
}

/// Sets the held URLs of an element other than a script or frame.
fn load(element: &Element) {
    for (attribute, url) in guard::held_urls(element) {
        set(element, attribute, &url);
    }
    // Audio and video choose among their <source> elements once: inserted again (in its own
    // place), a source is chosen from anew.
    if string_property(element, "localName") == "source" {
        let _ = element.replace_with_with_node_1(element);
    }
    set(element, "data-keksdose-state", "loaded");
}

/// Runs queued scripts until the queue is empty or an external script is loading.
fn run_queue() {
    if RUNNING.with(|r| r.replace(true)) {
        return;
    }
    while let Some(marked) = QUEUE.with(|queue| {
        let mut queue = queue.borrow_mut();
        (!queue.is_empty()).then(|| queue.remove(0))
    }) {
        let Some(script) = executable_copy(&marked) else {
            continue;
        };
        if waits_for_load(&script) {
            // Continue with the rest once this one has loaded or failed.
            let next = once(|_| {
                RUNNING.with(|r| r.set(false));
                run_queue();
            });
            listen(&script, "load", &next, false);
            listen(&script, "error", &next, false);
            replace(&marked, &script);
            if script.is_connected() {
                return;
            }
            // The marked script had left the document: nothing will load, go on.
            continue;
        }
        replace(&marked, &script);
    }
    RUNNING.with(|r| r.set(false));
}

/// Whether the browser will fetch `script` once it is in the document, and so fire `load` or
/// `error`: it has a URL, JavaScript's type (classic or module) and no `nomodule`, and the
/// marked element is still in the document to be replaced.
fn waits_for_load(script: &HtmlScriptElement) -> bool {
    const JAVASCRIPT: [&str; 4] = [
        "text/javascript",
        "application/javascript",
        "text/ecmascript",
        "application/ecmascript",
    ];
    let kind = string_property(script, "type").trim().to_ascii_lowercase();
    script.has_attribute("src")
        && !script.has_attribute("nomodule")
        && (kind.is_empty() || kind == "module" || JAVASCRIPT.contains(&kind.as_str()))
}

fn replace(marked: &Element, script: &HtmlScriptElement) {
    if marked.replace_with_with_node_1(script).is_err() {
        console_warn("a marked script could not be activated");
    }
}

/// A `<script>` with the marked one's attributes, `data-src` (`data-href` of an SVG script) as
/// `src`, `data-type` as `type`.
fn executable_copy(marked: &Element) -> Option<HtmlScriptElement> {
    let script: HtmlScriptElement = element("script", "").unchecked_into();
    let names = marked.get_attribute_names();
    for name in (0..names.length()).filter_map(|i| names.get(i).as_string()) {
        if !MARKUP_ATTRIBUTES.contains(&name.as_str()) {
            set(&script, &name, &marked.get_attribute(&name)?);
        }
    }
    if let Some(kind) = marked.get_attribute("data-type") {
        set(&script, "type", &kind);
    }
    if let Some(src) = marked
        .get_attribute("data-src")
        .or_else(|| marked.get_attribute("data-href"))
    {
        set(&script, "src", &src);
    }
    if script.has_attribute("src") {
        // Dynamically inserted scripts are async by default; keep the document order.
        script.set_async(false);
    } else {
        script.set_text_content(marked.text_content().as_deref());
    }
    // The nonce is hidden from getAttribute once parsed; carry it over for strict CSPs.
    script.set_nonce(&string_property(marked, "nonce"));
    Some(script)
}

/// Elements matching `selector` at and below `root`, in document order.
pub fn within(root: &Node, selector: &str) -> Vec<Element> {
    let mut found = Vec::new();
    // The document's own matches are those of its root element (keksdose never marks <html>).
    let element: Element = match root.node_type() {
        Node::DOCUMENT_NODE => match object_property(&document(), "documentElement") {
            Some(html) => html,
            None => return found,
        },
        Node::ELEMENT_NODE => root.clone().unchecked_into(),
        _ => return found,
    };
    if element.matches(selector).unwrap_or(false) {
        found.push(element.clone());
    }
    found.extend(nodes(element.query_selector_all(selector)));
    found
}

/// Unmarked images and frames that arrived with a URL of a refused service (for example
/// through `innerHTML`, which the guard cannot see): their URL is taken away and kept for
/// activation. The request may already have started; scripts arriving this way never run.
pub fn screen_unmarked(root: &Node) {
    let unmarked = "img[src]:not([data-category]), iframe[src]:not([data-category])";
    for element in within(root, unmarked) {
        let src = element.get_attribute("src").unwrap_or_default();
        if guard::screen(&element, "src", &src) {
            continue;
        }
        // A copy without the URL replaces it, which also stops a load still under way.
        let fresh = element
            .clone_node()
            .ok()
            .and_then(|node| node.dyn_into::<Element>().ok());
        if let Some(fresh) = fresh {
            let _ = fresh.remove_attribute("src");
            if let Some(srcset) = fresh.get_attribute("srcset") {
                set(&fresh, "data-srcset", &srcset);
                let _ = fresh.remove_attribute("srcset");
            }
            let _ = element.replace_with_with_node_1(&fresh);
        }
    }
}

/// Hands every element added to the document from now on to [`Page::on_added`] (once per
/// page, whatever instance runs).
pub fn observe() {
    if OBSERVING.with(|o| o.replace(true)) {
        return;
    }
    let on_added = callback(|records, _, _| {
        let page = Page::current();
        let records: js_sys::Array = records.unchecked_into();
        for i in 0..records.length() {
            let record: MutationRecord = records.get(i).unchecked_into();
            let added = record.added_nodes();
            for node in (0..added.length()).filter_map(|i| added.item(i)) {
                if node.node_type() == Node::ELEMENT_NODE && node.is_connected() {
                    match &page {
                        Some(page) => page.on_added(&node),
                        // Without a running instance, screening still keeps other hosts out.
                        None => screen_unmarked(&node),
                    }
                }
            }
        }
        Ok(JsValue::UNDEFINED)
    });
    let observer = MutationObserver::new(on_added.into_js_value().unchecked_ref())
        // `expect` would link the formatting of a `JsValue` (and its glue) into the module.
        .unwrap_or_else(|_| panic!("MutationObserver is available"));
    let options = object(&[("childList", &JsValue::TRUE), ("subtree", &JsValue::TRUE)]);
    let _ = observer.observe_with_options(&document(), options.unchecked_ref());
}
