//! Embedded content (`<iframe data-src data-category data-service>`): until consent, an
//! accessible placeholder names the provider, the purpose and the provider's privacy notice and
//! offers "Einmal laden" (this frame only, nothing stored) and "Immer erlauben" (consent to the
//! service). The frame has no URL until then, so the provider gets no request — no thumbnail
//! either. Frames loaded by consent are unloaded again when it is withdrawn.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

use super::page::Page;
use super::{append, banner, element, guard, text_element};
use crate::ui::{TextKey, Texts};

/// Brings `iframe` in line with the decision: `open` = its service may load now.
pub fn settle(page: &Page, iframe: &Element, open: bool) {
    let state = iframe.get_attribute("data-keksdose-state");
    let result = match (open, state.as_deref()) {
        (true, Some("loaded" | "once")) | (false, Some("once" | "placeholder")) => Ok(()),
        (true, _) => load(iframe, "loaded"),
        (false, Some("loaded")) => unload(page, iframe),
        (false, _) => show_placeholder(page, iframe),
    };
    if let Err(error) = result {
        super::console_error(&format!("could not update an embed: {error:?}"));
    }
}

/// Loads the frame: its placeholder goes, its URL is set. `state` is `loaded` (by consent) or
/// `once` (by "Einmal laden": stays until the page is left).
pub fn load(iframe: &Element, state: &str) -> Result<(), JsValue> {
    if let Some(placeholder) = placeholder_of(iframe) {
        placeholder.remove();
    }
    iframe.unchecked_ref::<HtmlElement>().set_hidden(false);
    guard::set_attribute(iframe, "data-keksdose-state", state)?;
    match iframe.get_attribute("data-src") {
        Some(url) => guard::set_attribute(iframe, "src", &url),
        None => Ok(()),
    }
}

/// The frame that a placeholder stands for.
pub fn frame_of(placeholder: &Element) -> Option<Element> {
    placeholder
        .next_element_sibling()
        .filter(|next| next.tag_name() == "IFRAME")
}

fn placeholder_of(iframe: &Element) -> Option<Element> {
    iframe
        .previous_element_sibling()
        .filter(|previous| previous.class_list().contains("kd-embed"))
}

/// Replaces a loaded frame by a copy without URL, which ends the embedded document.
fn unload(page: &Page, iframe: &Element) -> Result<(), JsValue> {
    let fresh: Element = iframe.clone_node()?.unchecked_into();
    fresh.remove_attribute("src")?;
    iframe.replace_with_with_node_1(&fresh)?;
    show_placeholder(page, &fresh)
}

fn show_placeholder(page: &Page, iframe: &Element) -> Result<(), JsValue> {
    iframe.unchecked_ref::<HtmlElement>().set_hidden(true);
    guard::set_attribute(iframe, "data-keksdose-state", "placeholder")?;
    if placeholder_of(iframe).is_some() {
        return Ok(());
    }
    let config = page.config();
    let texts = Texts::new(config, page.lang());
    let lang = texts.lang();
    let category = iframe.get_attribute("data-category").unwrap_or_default();
    let service_key = iframe.get_attribute("data-service");
    let service = service_key.as_deref().and_then(|key| {
        config
            .services()
            .find(|(_, k, _)| *k == key)
            .map(|(_, k, s)| (k, s))
    });
    let (name, provider, purpose, privacy) = match service {
        Some((key, service)) => (
            service.display_name(key).to_owned(),
            service.provider.clone(),
            service.purpose.get(lang).to_owned(),
            service.privacy_url.clone(),
        ),
        None => {
            let providers: Vec<&str> = config
                .category(&category)
                .map(|c| {
                    c.services
                        .iter()
                        .map(|(_, s)| s.provider.as_str())
                        .collect()
                })
                .unwrap_or_default();
            (
                texts.category_title(&category).to_owned(),
                providers.join(", "),
                texts.category_description(&category).to_owned(),
                None,
            )
        }
    };

    let placeholder = element("div", "kd-embed")?;
    placeholder.set_attribute("role", "group")?;
    placeholder.set_attribute("lang", lang.tag())?;
    let label = iframe
        .get_attribute("title")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| name.clone());
    placeholder.set_attribute("aria-label", &label)?;
    append(&placeholder, &text_element("p", "kd-embed-title", &name)?)?;
    let notice = texts
        .get(TextKey::EmbedNotice)
        .replace("{provider}", &provider);
    append(&placeholder, &text_element("p", "kd-text", &notice)?)?;
    if !purpose.is_empty() {
        append(&placeholder, &text_element("p", "kd-text", &purpose)?)?;
    }
    if let Some(url) = privacy {
        let line = element("p", "kd-text")?;
        let link = text_element("a", "", texts.get(TextKey::ProviderPrivacy))?;
        link.set_attribute("href", &url)?;
        link.set_attribute("rel", "noopener")?;
        append(&line, &link)?;
        append(&placeholder, &line)?;
    }
    let actions = banner::buttons(
        &texts,
        &[
            ("load-once", TextKey::LoadOnce),
            ("load-always", TextKey::LoadAlways),
        ],
    )?;
    append(&placeholder, &actions)?;
    iframe.before_with_node_1(&placeholder)
}
