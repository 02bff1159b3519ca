//! Renders the first layer and the preferences dialog from the pure [`Ui`](crate::ui::Ui) state.
//!
//! Text goes in with `textContent`, links through validated `href`s; no inline styles, no
//! `innerHTML`, so the banner runs under `style-src 'self'` and config text cannot inject markup.
//! Accessibility (WCAG 2.1 AA): real `<button>`s and checkboxes with labels, both layers are
//! labelled dialogs, focus moves in and is restored, the preferences trap Tab and close on Escape.

use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event, HtmlElement, HtmlInputElement, KeyboardEvent};

use super::page::Page;
use super::{Listener, append, console_error, document, element, events, nodes, text_element};
use crate::config::Config;
use crate::consent::{Choice, Toggle};
use crate::ui::{Action, TextKey, Texts, View};

/// What can take focus inside the preferences dialog.
const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), a[href]";

/// The banner's DOM and listeners.
pub struct Banner {
    root: Element,
    banner: HtmlElement,
    overlay: HtmlElement,
    dialog: HtmlElement,
    shown: View,
    /// Where focus was before the first layer appeared.
    banner_return: Option<HtmlElement>,
    /// Where focus was before the preferences opened (a settings button or a page link).
    preferences_return: Option<HtmlElement>,
    _listeners: [Listener; 3],
}

impl Banner {
    /// Builds both layers (hidden) at the end of `<body>`.
    pub fn build(page: &Rc<Page>) -> Result<Banner, JsValue> {
        let config = page.config();
        let texts = Texts::new(config, page.lang());
        let root = element("div", "kd-root")?;
        root.set_attribute("lang", texts.lang().tag())?;
        root.set_attribute("data-keksdose-root", "")?;

        let banner = first_layer(config, &texts)?;
        let overlay = element("div", "kd-overlay")?;
        let dialog = preferences(config, &texts)?;
        append(&overlay, &dialog)?;
        banner.set_hidden(true);
        overlay.set_attribute("hidden", "")?;
        append(&root, &banner)?;
        append(&root, &overlay)?;

        let listeners = [
            listen(&root, "click", Rc::downgrade(page), on_click)?,
            listen(&root, "change", Rc::downgrade(page), on_change)?,
            listen(&root, "keydown", Rc::downgrade(page), on_keydown)?,
        ];
        document()
            .body()
            .ok_or_else(|| JsValue::from_str("no <body>"))?
            .append_child(&root)?;
        Ok(Banner {
            root,
            banner,
            overlay: overlay.unchecked_into(),
            dialog,
            shown: View::Hidden,
            banner_return: None,
            preferences_return: None,
            _listeners: listeners,
        })
    }

    /// Removes the banner from the document.
    pub fn remove(self) {
        self.root.remove();
    }

    /// Shows `view` with the switches set from `draft`. On a change of view, returns the event
    /// to fire and where focus goes: the caller moves it once it holds no borrow, because focus
    /// listeners of the page run at once and may call the API.
    pub fn show(&mut self, view: View, config: &Config, draft: &Choice) -> Option<Transition> {
        self.sync_switches(config, draft);
        let before = std::mem::replace(&mut self.shown, view);
        if before == view {
            return None;
        }
        self.banner.set_hidden(view != View::Banner);
        self.overlay.set_hidden(view != View::Preferences);
        let focus = match (before, view) {
            (_, View::Banner) if before == View::Hidden => {
                self.banner_return = active_element();
                Focus::To(self.banner.clone())
            }
            (_, View::Preferences) => {
                self.preferences_return = active_element();
                Focus::To(self.dialog.clone())
            }
            (_, View::Banner) => {
                match self.preferences_return.take().filter(|e| e.is_connected()) {
                    Some(settings) => Focus::To(settings),
                    None => Focus::To(self.banner.clone()),
                }
            }
            (_, View::Hidden) => self.restore_focus(),
        };
        let event = match view {
            View::Hidden => (events::HIDE, view_name(before)),
            _ => (events::SHOW, view_name(view)),
        };
        Some(Transition { event, focus })
    }

    /// Focus back to where it was, if that is still on the page and outside the banner.
    fn restore_focus(&mut self) -> Focus {
        let candidates = [self.preferences_return.take(), self.banner_return.take()];
        let target = candidates
            .into_iter()
            .flatten()
            .find(|e| e.is_connected() && !self.root.contains(Some(e)));
        match target {
            Some(target) => Focus::To(target),
            None => match active_element().filter(|e| self.root.contains(Some(e))) {
                Some(active) => Focus::Leave(active),
                None => Focus::Stay,
            },
        }
    }

    fn sync_switches(&self, config: &Config, draft: &Choice) {
        for input in inputs(&self.dialog, "input[data-keksdose-category]") {
            let name = input
                .get_attribute("data-keksdose-category")
                .unwrap_or_default();
            let state = draft.category_state(config, &name);
            input.set_checked(state == Toggle::On);
            input.set_indeterminate(state == Toggle::Mixed);
        }
        for input in inputs(&self.dialog, "input[data-keksdose-service]") {
            let key = input
                .get_attribute("data-keksdose-service")
                .unwrap_or_default();
            let necessary = config
                .services()
                .any(|(c, k, _)| k == key && config.category(c).is_some_and(|c| c.read_only));
            input.set_checked(necessary || draft.has_service(&key));
        }
    }
}

fn view_name(view: View) -> &'static str {
    match view {
        View::Preferences => "preferences",
        View::Banner | View::Hidden => "banner",
    }
}

/// The first layer: title, short text naming purposes and providers, three equal buttons, links.
fn first_layer(config: &Config, texts: &Texts<'_>) -> Result<HtmlElement, JsValue> {
    let banner: HtmlElement = element("section", "kd-banner")?.unchecked_into();
    dialog_attributes(&banner, "kd-banner-title", false)?;
    banner.set_attribute("aria-describedby", "kd-banner-text")?;
    let title = text_element("h2", "kd-title", texts.get(TextKey::BannerTitle))?;
    title.set_id("kd-banner-title");
    append(&banner, &title)?;
    let text = text_element("p", "kd-text", texts.get(TextKey::BannerDescription))?;
    text.set_id("kd-banner-text");
    append(&banner, &text)?;

    let purposes = element("ul", "kd-purposes")?;
    for (name, category) in config.categories.iter().filter(|(_, c)| !c.read_only) {
        let item = element("li", "")?;
        append(
            &item,
            &text_element("strong", "", texts.category_title(name))?,
        )?;
        let providers: Vec<String> = category
            .services
            .iter()
            .map(|(key, s)| format!("{} ({})", s.display_name(key), s.provider))
            .collect();
        if !providers.is_empty() {
            append(
                &item,
                &document().create_text_node(&format!(": {}", providers.join(", "))),
            )?;
        }
        append(&purposes, &item)?;
    }
    append(&banner, &purposes)?;

    append(
        &banner,
        &buttons(
            texts,
            &[
                ("accept-all", TextKey::AcceptAll),
                ("reject-all", TextKey::RejectAll),
                ("settings", TextKey::Settings),
            ],
        )?,
    )?;
    append(&banner, &links(config, texts)?)?;
    Ok(banner)
}

/// The second layer: a switch per category and per service, with everything Art. 13 asks for.
fn preferences(config: &Config, texts: &Texts<'_>) -> Result<HtmlElement, JsValue> {
    let dialog: HtmlElement = element("section", "kd-dialog")?.unchecked_into();
    dialog_attributes(&dialog, "kd-dialog-title", true)?;
    let header = element("div", "kd-dialog-header")?;
    let title = text_element("h2", "kd-title", texts.get(TextKey::PreferencesTitle))?;
    title.set_id("kd-dialog-title");
    append(&header, &title)?;
    append(
        &header,
        &button(texts, "close", TextKey::Close, "kd-btn kd-close")?,
    )?;
    append(&dialog, &header)?;
    append(
        &dialog,
        &text_element("p", "kd-text", texts.get(TextKey::PreferencesDescription))?,
    )?;

    for (name, category) in config.categories.iter() {
        let section = element("section", "kd-category")?;
        let id = format!("kd-c-{name}");
        append(
            &section,
            &switch(
                &id,
                texts.category_title(name),
                "h3",
                ("data-keksdose-category", name),
                category.read_only,
            )?,
        )?;
        if category.read_only {
            append(
                &section,
                &text_element("p", "kd-always", texts.get(TextKey::AlwaysActive))?,
            )?;
        }
        append(
            &section,
            &text_element("p", "kd-text", texts.category_description(name))?,
        )?;
        if !category.services.is_empty() {
            let list = element("ul", "kd-services")?;
            for (key, service) in category.services.iter() {
                let item = element("li", "kd-service")?;
                append(
                    &item,
                    &switch(
                        &format!("kd-s-{key}"),
                        service.display_name(key),
                        "h4",
                        ("data-keksdose-service", key),
                        category.read_only,
                    )?,
                )?;
                append(&item, &service_details(service, texts)?)?;
                append(&list, &item)?;
            }
            append(&section, &list)?;
        }
        append(&dialog, &section)?;
    }

    append(
        &dialog,
        &buttons(
            texts,
            &[
                ("accept-all", TextKey::AcceptAll),
                ("reject-all", TextKey::RejectAll),
                ("save", TextKey::Save),
            ],
        )?,
    )?;
    append(&dialog, &links(config, texts)?)?;
    Ok(dialog)
}

/// Provider, purpose, cookies, storage, hosts, retention, recipients, privacy notice.
fn service_details(
    service: &crate::config::Service,
    texts: &Texts<'_>,
) -> Result<Element, JsValue> {
    let lang = texts.lang();
    let list = element("dl", "kd-details")?;
    let row = |key: TextKey, value: &str| -> Result<(), JsValue> {
        if !value.is_empty() {
            append(&list, &text_element("dt", "", texts.get(key))?)?;
            append(&list, &text_element("dd", "", value)?)?;
        }
        Ok(())
    };
    row(TextKey::Provider, &service.provider)?;
    row(TextKey::Purpose, service.purpose.get(lang))?;
    row(TextKey::Cookies, &service.cookies.join(", "))?;
    row(TextKey::Storage, &service.storage.join(", "))?;
    row(TextKey::Hosts, &service.hosts.join(", "))?;
    row(
        TextKey::Retention,
        service.retention.as_ref().map_or("", |t| t.get(lang)),
    )?;
    row(
        TextKey::Recipients,
        service.recipients.as_ref().map_or("", |t| t.get(lang)),
    )?;
    if let Some(url) = &service.privacy_url {
        append(
            &list,
            &text_element("dt", "", texts.get(TextKey::ProviderPrivacy))?,
        )?;
        let dd = element("dd", "")?;
        let link = text_element("a", "", url)?;
        link.set_attribute("href", url)?;
        link.set_attribute("rel", "noopener")?;
        append(&dd, &link)?;
        append(&list, &dd)?;
    }
    Ok(list)
}

/// A labelled checkbox under a heading; `readonly` ones are checked and disabled.
fn switch(
    id: &str,
    label: &str,
    heading: &str,
    (attribute, value): (&str, &str),
    readonly: bool,
) -> Result<Element, JsValue> {
    let head = element("div", "kd-switch")?;
    let input: HtmlInputElement = element("input", "")?.unchecked_into();
    input.set_type("checkbox");
    input.set_id(id);
    input.set_attribute(attribute, value)?;
    if readonly {
        input.set_checked(true);
        input.set_disabled(true);
    }
    let title = element(heading, "kd-switch-title")?;
    let text = text_element("label", "", label)?;
    text.set_attribute("for", id)?;
    append(&title, &text)?;
    append(&head, &input)?;
    append(&head, &title)?;
    Ok(head)
}

fn dialog_attributes(dialog: &HtmlElement, labelled_by: &str, modal: bool) -> Result<(), JsValue> {
    dialog.set_attribute("role", "dialog")?;
    dialog.set_attribute("aria-labelledby", labelled_by)?;
    dialog.set_attribute("aria-modal", if modal { "true" } else { "false" })?;
    dialog.set_tab_index(-1);
    Ok(())
}

/// A row of equal buttons: same element, class and size, so no choice is favoured (R5, R6).
pub(super) fn buttons(texts: &Texts<'_>, actions: &[(&str, TextKey)]) -> Result<Element, JsValue> {
    let row = element("div", "kd-actions")?;
    for &(action, label) in actions {
        append(&row, &button(texts, action, label, "kd-btn")?)?;
    }
    Ok(row)
}

fn button(
    texts: &Texts<'_>,
    action: &str,
    label: TextKey,
    class: &str,
) -> Result<Element, JsValue> {
    let button = text_element("button", class, texts.get(label))?;
    button.set_attribute("type", "button")?;
    button.set_attribute("data-keksdose-action", action)?;
    Ok(button)
}

/// Privacy policy and imprint; ordinary links that work while the banner is open.
fn links(config: &Config, texts: &Texts<'_>) -> Result<Element, JsValue> {
    let nav = element("p", "kd-links")?;
    for (url, label) in [
        (&config.policy.privacy_url, TextKey::PrivacyLink),
        (&config.policy.imprint_url, TextKey::ImprintLink),
    ] {
        let link = text_element("a", "", texts.get(label))?;
        link.set_attribute("href", url)?;
        append(&nav, &link)?;
    }
    Ok(nav)
}

fn listen(
    target: &Element,
    event: &str,
    page: Weak<Page>,
    handler: fn(&Rc<Page>, &Event) -> Result<(), JsValue>,
) -> Result<Listener, JsValue> {
    let closure = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        if let Some(page) = page.upgrade() {
            if let Err(error) = handler(&page, &event) {
                console_error(&format!("banner action failed: {error:?}"));
            }
        }
    });
    target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
    Ok(closure)
}

fn on_click(page: &Rc<Page>, event: &Event) -> Result<(), JsValue> {
    if let Some(overlay) = target(event).filter(|t| t.class_list().contains("kd-overlay")) {
        // A click on the backdrop must not take focus out of the modal dialog: Escape and the
        // Tab cycle work only while focus is inside it.
        if let Some(dialog) = overlay.first_element_child() {
            focus(dialog.unchecked_ref());
        }
        return Ok(());
    }
    let action = target(event)
        .and_then(|t| t.closest("[data-keksdose-action]").ok().flatten())
        .and_then(|b| b.get_attribute("data-keksdose-action"));
    match action.as_deref().and_then(Action::from_name) {
        Some(action) => page.act(action),
        None => Ok(()),
    }
}

fn on_change(page: &Rc<Page>, event: &Event) -> Result<(), JsValue> {
    let Some(input) = target(event).and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else {
        return Ok(());
    };
    let on = input.checked();
    if let Some(name) = input.get_attribute("data-keksdose-category") {
        page.act(Action::SetCategory(&name, on))
    } else if let Some(key) = input.get_attribute("data-keksdose-service") {
        page.act(Action::SetService(&key, on))
    } else {
        Ok(())
    }
}

/// Escape closes the preferences; Tab and Shift+Tab cycle inside them.
fn on_keydown(page: &Rc<Page>, event: &Event) -> Result<(), JsValue> {
    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
        return Ok(());
    };
    let Some(dialog) = target(event).and_then(|t| t.closest(".kd-dialog").ok().flatten()) else {
        return Ok(());
    };
    match event.key().as_str() {
        "Escape" => {
            event.prevent_default();
            page.act(Action::Close)
        }
        "Tab" => {
            let focusable: Vec<HtmlElement> = nodes(dialog.query_selector_all(FOCUSABLE)?);
            let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
                return Ok(());
            };
            let active = document().active_element();
            let is = |e: &HtmlElement| active.as_ref() == Some(e.unchecked_ref::<Element>());
            let on_dialog = active.as_ref() == Some(&dialog);
            if event.shift_key() && (is(first) || on_dialog) {
                event.prevent_default();
                focus(last);
            } else if !event.shift_key() && is(last) {
                event.prevent_default();
                focus(first);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn target(event: &Event) -> Option<Element> {
    event.target()?.dyn_into::<Element>().ok()
}

fn inputs(root: &Element, selector: &str) -> Vec<HtmlInputElement> {
    root.query_selector_all(selector)
        .map(nodes)
        .unwrap_or_default()
}

fn active_element() -> Option<HtmlElement> {
    document()
        .active_element()?
        .dyn_into::<HtmlElement>()
        .ok()
        .filter(|e| Some(e) != document().body().as_ref())
}

/// A change of view: the event to fire (name, view) and the focus move.
pub struct Transition {
    /// The event name and the view it names.
    pub event: (&'static str, &'static str),
    /// Where focus goes.
    pub focus: Focus,
}

/// A focus move, carried out by [`Focus::apply`].
pub enum Focus {
    /// Focus this element.
    To(HtmlElement),
    /// Take focus away from this element (it is being hidden).
    Leave(HtmlElement),
    /// Leave focus where it is.
    Stay,
}

impl Focus {
    /// Moves focus.
    pub fn apply(self) {
        match self {
            Focus::To(element) => focus(&element),
            Focus::Leave(element) => {
                let _ = element.blur();
            }
            Focus::Stay => {}
        }
    }
}

fn focus(element: &HtmlElement) {
    // Focus can only fail for elements that are not rendered; there is nothing to fall back to.
    let _ = element.focus();
}
