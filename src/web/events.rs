//! The `window` events keksdose fires. Every name is here; `detail` is a plain snapshot.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit};

use super::window;
use crate::consent::{Consent, Method};

/// A valid decision exists: fired once per page load when one is stored, and when the visitor
/// makes a first decision.
pub const CONSENT: &str = "keksdose:consent";
/// The visitor changed an existing decision (including a withdrawal).
pub const CHANGE: &str = "keksdose:change";
/// The banner or the preferences became visible.
pub const SHOW: &str = "keksdose:show";
/// The banner and the preferences are hidden again.
pub const HIDE: &str = "keksdose:hide";

/// Fires `name` on `window` with `detail`.
pub fn fire(name: &str, detail: &JsValue) {
    let init = CustomEventInit::new();
    init.set_detail(detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        // A listener's exception is reported by the browser; it must not stop keksdose.
        let _ = window().dispatch_event(&event);
    }
}

/// A plain object describing `consent`: `{ consentId, revision, decidedAt, expiresAt,
/// categories, services }` (times in milliseconds, as JavaScript `Date` expects).
pub fn consent_snapshot(consent: &Consent) -> JsValue {
    snapshot_object(consent).into()
}

fn snapshot_object(consent: &Consent) -> Object {
    let object = Object::new();
    set(&object, "consentId", &consent.consent_id.as_str().into());
    set(&object, "revision", &consent.revision.as_str().into());
    set(&object, "decidedAt", &millis(consent.decided_at));
    set(&object, "expiresAt", &millis(consent.expires_at));
    set(&object, "categories", &names(consent.choice.categories()));
    set(&object, "services", &names(consent.choice.services()));
    object
}

/// The detail of a [`CHANGE`] event: the new snapshot plus what changed and how.
pub fn change_detail(
    consent: &Consent,
    method: Method,
    changed_categories: &[String],
    changed_services: &[String],
    withdrawal: bool,
) -> JsValue {
    let object = snapshot_object(consent);
    set(&object, "method", &method.as_str().into());
    set(&object, "changedCategories", &names(changed_categories));
    set(&object, "changedServices", &names(changed_services));
    set(&object, "withdrawal", &withdrawal.into());
    object.into()
}

/// The detail of [`SHOW`] and [`HIDE`]: `{ view: "banner" | "preferences" }`.
pub fn view_detail(view: &str) -> JsValue {
    let object = Object::new();
    set(&object, "view", &view.into());
    object.into()
}

fn millis(seconds: u64) -> JsValue {
    JsValue::from_f64(seconds as f64 * 1000.0)
}

fn names(names: &[String]) -> JsValue {
    names
        .iter()
        .map(|name| JsValue::from_str(name))
        .collect::<Array>()
        .into()
}

fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &key.into(), value);
}
