//! Renders the first layer and the preferences dialog from the pure [`Ui`](crate::ui::Ui) state.
//!
//! Text goes in with `textContent`, links through validated `href`s; no inline styles, no
//! `innerHTML`, so the banner runs under `style-src 'self'` and config text cannot inject markup.
//! Accessibility (WCAG 2.1 AA): real `<button>`s and checkboxes with labels, both layers are
//! labelled dialogs, focus moves in and is restored, the preferences trap Tab and close on Escape.

use std::rc::{Rc, Weak};

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event, HtmlElement, KeyboardEvent};

use super::page::Page;
use super::{
    Callback, append, callback, child, document, element, events, nodes, object_property, records,
    set, set_hidden, set_lang, set_property, string_property,
};
use crate::config::{
    COLOURS, Config, Localized, Service, THEME_SCHEMES, TextKey, Texts, Theme, css_colour,
};
use crate::consent::{Choice, Toggle};
use crate::strings::{concat, join};
use crate::ui::{Action, View};

/// What can take focus inside the preferences dialog.
const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), a[href]";

/// The banner's DOM and listeners. The preferences dialog is built when first opened: most
/// visitors never open it, and building it at start would delay the page.
pub struct Banner {
    root: Element,
    banner: HtmlElement,
    /// The preferences dialog in its backdrop, once built.
    preferences: Option<(Element, HtmlElement)>,
    shown: View,
    /// Where focus was before the first layer appeared.
    banner_return: Option<HtmlElement>,
    /// Where focus was before the preferences opened (a settings button or a page link).
    preferences_return: Option<HtmlElement>,
    _listener: Callback,
}

impl Banner {
    /// Builds the first layer (hidden) at the end of `<body>`; `None` while there is no body.
    pub fn build(page: &Rc<Page>) -> Option<Banner> {
        let body: Element = object_property(&document(), "body")?;
        let config = page.config();
        let texts = Texts::new(config, page.lang());
        let root = element("div", "kd-root");
        set_lang(&root, texts.lang());
        set(&root, "data-keksdose-root", "");
        // The look the config chose, for the stylesheet.
        set(&root, "data-layout", config.banner.layout);
        set(&root, "data-position", config.banner.position);
        set(&root, "data-scheme", config.banner.color_scheme);
        let banner = first_layer(&root, config, &texts);
        set_hidden(&banner, true);
        let listener = listen(&root, Rc::downgrade(page));
        append(&body, &root);
        Some(Banner {
            root,
            banner,
            preferences: None,
            shown: View::Hidden,
            banner_return: None,
            preferences_return: None,
            _listener: listener,
        })
    }

    /// Removes the banner from the document.
    pub fn remove(self) {
        self.root.remove();
    }

    /// Shows `view` with the switches set from `draft`. On a change of view, returns the event
    /// to fire and where focus goes: the caller moves it once it holds no borrow, because focus
    /// listeners of the page run at once and may call the API.
    pub fn show(&mut self, view: View, page: &Page, draft: &Choice) -> Option<Transition> {
        let config = page.config();
        if view == View::Preferences && self.preferences.is_none() {
            let overlay = child(&self.root, "div", "kd-overlay", "");
            let dialog = preferences(&overlay, config, &Texts::new(config, page.lang()));
            self.preferences = Some((overlay, dialog));
        }
        let dialog = self.preferences.as_ref().map(|(overlay, dialog)| {
            set_hidden(overlay, view != View::Preferences);
            dialog.clone()
        });
        if let Some(dialog) = &dialog {
            sync_switches(dialog, config, draft);
            // The consent id changes with a reset.
            if let Ok(Some(id)) = dialog.query_selector(".kd-consent-id") {
                let id_text = page.session().consent_id().unwrap_or("–").to_owned();
                id.set_text_content(Some(&id_text));
            }
        }
        let before = std::mem::replace(&mut self.shown, view);
        if before == view {
            return None;
        }
        set_hidden(&self.banner, view != View::Banner);
        let focus = match view {
            View::Banner if before == View::Hidden => {
                self.banner_return = active_element();
                Focus::To(self.banner.clone())
            }
            View::Preferences => {
                self.preferences_return = active_element();
                Focus::To(dialog.unwrap_or_else(|| self.banner.clone()))
            }
            View::Banner => match self.preferences_return.take().filter(|e| e.is_connected()) {
                Some(settings) => Focus::To(settings),
                None => Focus::To(self.banner.clone()),
            },
            View::Hidden => self.restore_focus(),
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
}

/// Sets the theme's colours as the custom properties `--kd-theme-<scheme>-<name>` of the
/// document's root element, which the banner, the preferences and every placeholder inherit and
/// `keksdose.css` takes its colours from: one place, before anything is drawn. Through the CSS
/// object model, which a strict CSP allows. A colour the theme leaves out is removed (an empty
/// value), should an instance started before have set it.
pub fn apply_theme(theme: &Theme) {
    let Some(root) = object_property::<HtmlElement>(&document(), "documentElement") else {
        return;
    };
    let style = root.style();
    for (s, scheme) in THEME_SCHEMES.iter().enumerate() {
        for (i, name) in COLOURS.iter().enumerate() {
            let value = theme[s][i].map(css_colour).unwrap_or_default();
            let name = concat(&["--kd-theme-", scheme, "-", name]);
            let _ = style.set_property(&name, &value);
        }
    }
}

/// Sets the preferences' switches from `draft`.
fn sync_switches(dialog: &HtmlElement, config: &Config, draft: &Choice) {
    for input in nodes(dialog.query_selector_all("input:not([disabled])")) {
        let (checked, mixed) = if let Some(name) = input.get_attribute("data-keksdose-category") {
            let state = draft.category_state(config, &name);
            (state == Toggle::On, state == Toggle::Mixed)
        } else if let Some(key) = input.get_attribute("data-keksdose-service") {
            (draft.has_service(&key), false)
        } else {
            continue;
        };
        set_property(&input, "checked", &checked.into());
        set_property(&input, "indeterminate", &mixed.into());
    }
}

fn view_name(view: View) -> &'static str {
    match view {
        View::Preferences => "preferences",
        View::Banner | View::Hidden => "banner",
    }
}

/// The first layer: title, short text naming purposes and providers, three equal buttons, links.
fn first_layer(root: &Element, config: &Config, texts: &Texts<'_>) -> HtmlElement {
    let banner = dialog(root, "kd-banner", false);
    heading(
        &banner,
        "h2",
        "kd-banner-title",
        texts.get(TextKey::BannerTitle),
    );
    let text = child(
        &banner,
        "p",
        "kd-text",
        texts.get(TextKey::BannerDescription),
    );
    set(&text, "id", "kd-banner-text");
    set(&banner, "aria-describedby", "kd-banner-text");
    let purposes = child(&banner, "ul", "kd-purposes", "");
    let lang = texts.lang();
    for (name, category) in config.categories.iter().filter(|(_, c)| !c.read_only) {
        let item = child(&purposes, "li", "", "");
        child(&item, "strong", "", texts.category_title(name));
        let providers = crate::collect(category.services.iter().map(|(key, s)| {
            concat(&[s.display_name(key, lang), " (", s.provider.text(lang), ")"])
        }));
        if !providers.is_empty() {
            child(&item, "span", "", &concat(&[": ", &join(&providers, ", ")]));
        }
    }
    buttons(&banner, texts, FIRST_LAYER_ACTIONS);
    links(&banner, config, texts);
    banner
}

/// The first layer's three equal choices.
const FIRST_LAYER_ACTIONS: &[(&str, TextKey)] = &[
    ("accept-all", TextKey::AcceptAll),
    ("reject-all", TextKey::RejectAll),
    ("settings", TextKey::Settings),
];

/// The preferences' three choices.
const PREFERENCES_ACTIONS: &[(&str, TextKey)] = &[
    ("accept-all", TextKey::AcceptAll),
    ("reject-all", TextKey::RejectAll),
    ("save", TextKey::Save),
];

/// The second layer: a switch per category and per service, with everything Art. 13 asks for.
fn preferences(overlay: &Element, config: &Config, texts: &Texts<'_>) -> HtmlElement {
    let dialog = dialog(overlay, "kd-dialog", true);
    let header = child(&dialog, "div", "kd-dialog-header", "");
    heading(
        &header,
        "h2",
        "kd-dialog-title",
        texts.get(TextKey::PreferencesTitle),
    );
    button(&header, texts, "close", TextKey::Close, "kd-btn kd-close");
    child(
        &dialog,
        "p",
        "kd-text",
        texts.get(TextKey::PreferencesDescription),
    );
    for (name, category) in config.categories.iter() {
        let section = child(&dialog, "section", "kd-category", "");
        let title = texts.category_title(name);
        let readonly = category.read_only;
        switch(&section, "kd-c-", name, title, "h3", readonly);
        if readonly {
            child(&section, "p", "kd-always", texts.get(TextKey::AlwaysActive));
        }
        child(&section, "p", "kd-text", texts.category_description(name));
        if !category.services.is_empty() {
            // Collapsed: the category's switch and description, and its services by name; their
            // switches and details one activation away.
            let more = child(&section, "details", "kd-more", "");
            let names = crate::collect(
                category
                    .services
                    .iter()
                    .map(|(key, service)| service.display_name(key, texts.lang())),
            );
            child(&more, "summary", "", &join(&names, ", "));
            let list = child(&more, "ul", "kd-services", "");
            for (key, service) in category.services.iter() {
                let item = child(&list, "li", "kd-service", "");
                let label = service.display_name(key, texts.lang());
                switch(&item, "kd-s-", key, label, "h4", readonly);
                service_details(&item, service, texts);
            }
        }
    }
    buttons(&dialog, texts, PREFERENCES_ACTIONS);
    your_data(&dialog, texts);
    links(&dialog, config, texts);
    dialog
}

/// The visitor's own view (Art. 15, 17, 20 GDPR): the consent id under which their decisions
/// are recorded, their records as a download, and erasing everything keksdose stored here.
fn your_data(dialog: &Element, texts: &Texts<'_>) {
    let section = child(dialog, "section", "kd-your-data", "");
    let text = child(&section, "p", "kd-text", texts.get(TextKey::ConsentId));
    child(&text, "code", "kd-consent-id", "");
    let row = child(&section, "p", "kd-links", "");
    // A link: the browser saves what its `href` holds when activated, set just before.
    let download = child(&row, "a", "", texts.get(TextKey::DownloadRecords));
    set(&download, "href", "#");
    set(&download, "download", "consent-records.json");
    set(&download, "data-keksdose-action", "download");
    button(&row, texts, "erase", TextKey::EraseData, "kd-btn kd-link");
}

/// Provider, purpose, cookies, storage, hosts, retention, recipients, privacy notice.
fn service_details(parent: &Element, service: &Service, texts: &Texts<'_>) {
    let lang = texts.lang();
    let list = child(parent, "dl", "kd-details", "");
    for (key, value) in [
        (TextKey::Provider, service.provider.text(lang)),
        (TextKey::Purpose, service.purpose.text(lang)),
        (TextKey::Cookies, join(&service.cookies, ", ").as_str()),
        (TextKey::Storage, join(&service.storage, ", ").as_str()),
        (TextKey::Hosts, join(&service.hosts, ", ").as_str()),
        (TextKey::Retention, optional(&service.retention, lang)),
        (TextKey::Recipients, optional(&service.recipients, lang)),
    ] {
        if !value.is_empty() {
            child(&list, "dt", "", texts.get(key));
            child(&list, "dd", "", value);
        }
    }
    if let Some(url) = &service.privacy_url {
        child(&list, "dt", "", texts.get(TextKey::ProviderPrivacy));
        let dd = child(&list, "dd", "", "");
        let link = child(&dd, "a", "", url);
        set(&link, "href", url);
        set(&link, "rel", "noopener");
    }
}

/// An optional text in `lang`, empty when absent.
fn optional<'a>(text: &'a Option<Localized>, lang: &str) -> &'a str {
    text.as_ref().map_or("", |t| t.text(lang))
}

/// A labelled checkbox (`id` = `prefix` + `key`) under a heading; `readonly` ones are checked
/// and disabled.
fn switch(parent: &Element, prefix: &str, key: &str, label: &str, heading: &str, readonly: bool) {
    let id = concat(&[prefix, key]);
    let head = child(parent, "div", "kd-switch", "");
    let input = child(&head, "input", "", "");
    set(&input, "type", "checkbox");
    set(&input, "id", &id);
    let attribute = if prefix == "kd-c-" {
        "data-keksdose-category"
    } else {
        "data-keksdose-service"
    };
    set(&input, attribute, key);
    if readonly {
        set(&input, "checked", "");
        set(&input, "disabled", "");
    }
    let title = child(&head, heading, "kd-switch-title", "");
    let text = child(&title, "label", "", label);
    set(&text, "for", &id);
}

/// A labelled dialog section in `parent`.
fn dialog(parent: &Element, class: &str, modal: bool) -> HtmlElement {
    let dialog = child(parent, "section", class, "");
    set(&dialog, "role", "dialog");
    set(&dialog, "aria-labelledby", &concat(&[class, "-title"]));
    set(&dialog, "aria-modal", if modal { "true" } else { "false" });
    set(&dialog, "tabindex", "-1");
    dialog.unchecked_into()
}

fn heading(parent: &Element, tag: &str, id: &str, text: &str) {
    let title = child(parent, tag, "kd-title", text);
    set(&title, "id", id);
}

/// A row of equal buttons: same element, class and size, so no choice is favoured (R5, R6).
pub(super) fn buttons(parent: &Element, texts: &Texts<'_>, actions: &[(&str, TextKey)]) {
    let row = child(parent, "div", "kd-actions", "");
    for &(action, label) in actions {
        button(&row, texts, action, label, "kd-btn");
    }
}

fn button(parent: &Element, texts: &Texts<'_>, action: &str, label: TextKey, class: &str) {
    let button = child(parent, "button", class, texts.get(label));
    set(&button, "type", "button");
    set(&button, "data-keksdose-action", action);
}

/// Privacy policy and imprint; ordinary links that work while the banner is open.
fn links(parent: &Element, config: &Config, texts: &Texts<'_>) {
    let nav = child(parent, "p", "kd-links", "");
    for (url, label) in [
        (&config.policy.privacy_url, TextKey::PrivacyLink),
        (&config.policy.imprint_url, TextKey::ImprintLink),
    ] {
        let link = child(&nav, "a", "", texts.get(label));
        set(&link, "href", url);
    }
}

/// One listener on the banner's root for clicks, switches and keys.
fn listen(root: &Element, page: Weak<Page>) -> Callback {
    let closure = callback(move |event, _, _| {
        let event: Event = event.unchecked_into();
        if let (Some(page), Some(target)) = (page.upgrade(), target(&event)) {
            match string_property(&event, "type").as_str() {
                "click" => on_click(&page, &target),
                "change" => on_change(&page, &target),
                _ => on_keydown(&page, event.unchecked_ref(), &target),
            }
        }
        Ok(JsValue::UNDEFINED)
    });
    for kind in ["click", "change", "keydown"] {
        super::listen(root, kind, closure.as_ref(), false);
    }
    closure
}

fn on_click(page: &Rc<Page>, target: &Element) {
    if target.matches(".kd-overlay").unwrap_or(false) {
        // A click on the backdrop must not take focus out of the modal dialog: Escape and the
        // Tab cycle work only while focus is inside it.
        if let Some(dialog) = object_property::<Element>(target, "firstElementChild") {
            focus(dialog.unchecked_ref());
        }
        return;
    }
    let control = target.closest("[data-keksdose-action]").ok().flatten();
    let action = control
        .as_ref()
        .and_then(|c| c.get_attribute("data-keksdose-action"));
    match action.as_deref() {
        // The visitor's records as a `data:` URL: nothing leaves the device.
        Some("download") => {
            if let Some(link) = &control {
                set(link, "href", &records::download_url(page.config()));
            }
        }
        Some("erase") => page.reset(),
        Some(name) => {
            if let Some(action) = Action::from_name(name) {
                page.act(action);
            }
        }
        None => {}
    }
}

fn on_change(page: &Rc<Page>, input: &Element) {
    let on = Reflect::get(input, &"checked".into()).is_ok_and(|c| c.is_truthy());
    if let Some(name) = input.get_attribute("data-keksdose-category") {
        page.act(Action::SetCategory(&name, on));
    } else if let Some(key) = input.get_attribute("data-keksdose-service") {
        page.act(Action::SetService(&key, on));
    }
}

/// Escape closes the preferences; Tab and Shift+Tab cycle inside them.
fn on_keydown(page: &Rc<Page>, event: &KeyboardEvent, target: &Element) {
    let Some(dialog) = target.closest(".kd-dialog").ok().flatten() else {
        return;
    };
    let key = string_property(event, "key");
    if key == "Escape" {
        event.prevent_default();
        return page.act(Action::Close);
    }
    if key != "Tab" {
        return;
    }
    let focusable = nodes(dialog.query_selector_all(FOCUSABLE));
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
        return;
    };
    let active: Option<Element> = object_property(&document(), "activeElement");
    let back = event.shift_key();
    let wrap = if back {
        (active.as_ref() == Some(first) || active.as_ref() == Some(&dialog)).then_some(last)
    } else {
        (active.as_ref() == Some(last)).then_some(first)
    };
    if let Some(to) = wrap {
        event.prevent_default();
        focus(to.unchecked_ref());
    }
}

fn target(event: &Event) -> Option<Element> {
    event.target()?.dyn_into::<Element>().ok()
}

fn active_element() -> Option<HtmlElement> {
    let document = document();
    let active: HtmlElement = object_property(&document, "activeElement")?;
    let body: Option<HtmlElement> = object_property(&document, "body");
    (body.as_ref() != Some(&active)).then_some(active)
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
