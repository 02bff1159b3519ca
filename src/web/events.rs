//! The `window` events keksdose fires. Every name is here; `detail` is a plain snapshot.

use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::CustomEvent;

use super::{object, set_property, window};
use crate::consent::Consent;
use crate::consent::session::Event;

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
    let init = object(&[("detail", detail)]);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, init.unchecked_ref()) {
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
    object(&[
        ("consentId", &consent.consent_id.as_str().into()),
        ("revision", &consent.revision.as_str().into()),
        ("decidedAt", &millis(consent.decided_at)),
        ("expiresAt", &millis(consent.expires_at)),
        ("categories", &names(consent.choice.categories())),
        ("services", &names(consent.choice.services())),
    ])
}

/// Fires the event of a decision: [`CONSENT`] with the snapshot of `consent`, or [`CHANGE`]
/// with the snapshot plus what changed and how.
pub fn fire_decision(event: &Event, consent: &Consent) {
    let detail = snapshot_object(consent);
    let name = match event {
        Event::Consent => CONSENT,
        Event::Change {
            method,
            categories,
            services,
            withdrawal,
        } => {
            set_property(&detail, "method", &method.as_str().into());
            set_property(&detail, "changedCategories", &names(categories));
            set_property(&detail, "changedServices", &names(services));
            set_property(&detail, "withdrawal", &(*withdrawal).into());
            CHANGE
        }
    };
    fire(name, &detail);
}

/// The detail of [`SHOW`] and [`HIDE`]: `{ view: "banner" | "preferences" }`.
pub fn view_detail(view: &str) -> JsValue {
    object(&[("view", &view.into())]).into()
}

fn millis(seconds: u64) -> JsValue {
    JsValue::from_f64(seconds as f64 * 1000.0)
}

fn names(names: &[String]) -> JsValue {
    let array = Array::new();
    for name in names {
        array.push(&name.as_str().into());
    }
    array.into()
}
