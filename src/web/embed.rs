//! Embedded content (`<iframe data-src data-category data-service>`): until consent, an
//! accessible placeholder names the provider, the purpose and the provider's privacy notice and
//! offers "Einmal laden" (this frame only, nothing stored) and "Immer erlauben" (consent to the
//! service). The frame has no URL until then, so the provider gets no request — no thumbnail
//! either. Frames loaded by consent are unloaded again when it is withdrawn. The placeholder has
//! the frame's size, so nothing on the page moves when the frame takes its place.

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use super::page::Page;
use super::{
    banner, child, console_error, element, object_property, set, set_hidden, set_lang,
    string_property,
};
use crate::config::{TextKey, Texts};
use crate::strings::{concat, decimal, join, replace};

/// Brings `iframe` in line with the decision: `open` = its service may load now.
pub fn settle(page: &Page, iframe: &Element, open: bool) {
    let state = iframe.get_attribute("data-keksdose-state");
    match (open, state.as_deref()) {
        (true, Some("loaded" | "once")) | (false, Some("once" | "placeholder")) => {}
        (true, _) => load(iframe, "loaded"),
        (false, Some("loaded")) => unload(page, iframe),
        (false, _) => show_placeholder(page, iframe),
    }
}

/// Loads the frame: its placeholder goes, its URL is set. `state` is `loaded` (by consent) or
/// `once` (by "Einmal laden": stays until the page is left).
pub fn load(iframe: &Element, state: &str) {
    if let Some(placeholder) = placeholder_of(iframe) {
        placeholder.remove();
    }
    set_hidden(iframe, false);
    set(iframe, "data-keksdose-state", state);
    if let Some(url) = iframe.get_attribute("data-src") {
        set(iframe, "src", &url);
    }
}

/// The frame that a placeholder stands for.
pub fn frame_of(placeholder: &Element) -> Option<Element> {
    object_property::<Element>(placeholder, "nextElementSibling")
        .filter(|next| string_property(next, "tagName") == "IFRAME")
}

fn placeholder_of(iframe: &Element) -> Option<Element> {
    object_property::<Element>(iframe, "previousElementSibling")
        .filter(|previous| previous.matches(".kd-embed").unwrap_or(false))
}

/// Replaces a loaded frame by a copy without URL, which ends the embedded document.
fn unload(page: &Page, iframe: &Element) {
    let Some(fresh) = iframe
        .clone_node()
        .ok()
        .map(wasm_bindgen::JsCast::unchecked_into::<Element>)
    else {
        return console_error("could not unload an embed");
    };
    let _ = fresh.remove_attribute("src");
    let _ = iframe.replace_with_with_node_1(&fresh);
    show_placeholder(page, &fresh);
}

fn show_placeholder(page: &Page, iframe: &Element) {
    let shown = placeholder_of(iframe).is_some();
    // Measured while the frame is still drawn.
    let size = if shown { None } else { frame_size(iframe) };
    set_hidden(iframe, true);
    set(iframe, "data-keksdose-state", "placeholder");
    if shown {
        return;
    }
    let config = page.config();
    let texts = Texts::new(config, page.lang());
    let lang = texts.lang();
    let category = iframe.get_attribute("data-category").unwrap_or_default();
    let service_key = iframe.get_attribute("data-service");
    let service = service_key
        .as_deref()
        .and_then(|key| Some((key, config.service(key)?.1)));
    let providers;
    let (name, provider, purpose, privacy) = match service {
        Some((key, service)) => (
            service.display_name(key, lang),
            service.provider.text(lang),
            service.purpose.text(lang),
            service.privacy_url.as_deref(),
        ),
        None => {
            let names: Vec<&str> = config
                .category(&category)
                .map(|c| crate::collect(c.services.iter().map(|(_, s)| s.provider.text(lang))))
                .unwrap_or_default();
            providers = join(&names, ", ");
            (
                texts.category_title(&category),
                providers.as_str(),
                texts.category_description(&category),
                None,
            )
        }
    };

    let placeholder = element("div", "kd-embed");
    if let Some((width, height)) = size {
        // Through the CSS object model, which a strict CSP allows (a `style` attribute in markup
        // it would not).
        let style = Reflect::get(&placeholder, &"style".into()).unwrap_or_default();
        for (property, pixels) in [("width", width), ("height", height)] {
            let value = concat(&[&decimal(pixels.into()), "px"]);
            let _ = Reflect::set(&style, &property.into(), &value.into());
        }
    }
    set(&placeholder, "data-scheme", config.banner.color_scheme);
    set(&placeholder, "role", "group");
    set_lang(&placeholder, lang);
    let label = iframe
        .get_attribute("title")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| name.to_owned());
    set(&placeholder, "aria-label", &label);
    child(&placeholder, "p", "kd-embed-title", name);
    let notice = replace(texts.get(TextKey::EmbedNotice), "{provider}", provider);
    child(&placeholder, "p", "kd-text", &notice);
    if !purpose.is_empty() {
        child(&placeholder, "p", "kd-text", purpose);
    }
    if let Some(url) = privacy {
        let line = child(&placeholder, "p", "kd-text", "");
        let link = child(&line, "a", "", texts.get(TextKey::ProviderPrivacy));
        set(&link, "href", url);
        set(&link, "rel", "noopener");
    }
    banner::buttons(
        &placeholder,
        &texts,
        &[
            ("load-once", TextKey::LoadOnce),
            ("load-always", TextKey::LoadAlways),
        ],
    );
    let _ = iframe.before_with_node_1(&placeholder);
}

/// The frame's size in CSS pixels, borders included; `None` when it is not drawn (inside
/// something hidden), which leaves the placeholder its own size.
fn frame_size(iframe: &Element) -> Option<(u32, u32)> {
    let frame: &HtmlElement = iframe.unchecked_ref();
    match (frame.offset_width(), frame.offset_height()) {
        (width @ 1.., height @ 1..) => Some((width.unsigned_abs(), height.unsigned_abs())),
        _ => None,
    }
}
