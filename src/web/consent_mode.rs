//! Google Consent Mode v2 on `dataLayer`: `default` at start, `update` with each decision.
//!
//! The commands go through the entry's `gtag` function (`dataLayer.push(arguments)`, as
//! Google's snippet defines it): Google's tags read only `arguments` objects from `dataLayer`,
//! and only a JavaScript function can make one.

use js_sys::{Array, Function};
use wasm_bindgen::JsValue;

use super::{object, set_property};
use crate::config::Config;
use crate::consent::Consent;
use crate::consent::google::consent_types;

/// Consent Mode on a page whose config has `googleConsentMode`.
pub struct ConsentMode {
    gtag: Function,
}

impl ConsentMode {
    /// Pushes `gtag("consent", "default", …)` with nothing but the necessary granted, then
    /// Google's options; `None` (nothing pushed) when the config has no `googleConsentMode`.
    pub fn start(config: &Config, gtag: Option<Function>) -> Option<ConsentMode> {
        let mode = config.google_consent_mode.as_ref()?;
        let this = ConsentMode { gtag: gtag? };
        let state = state(config, None);
        if !mode.region.is_empty() {
            let region = Array::new();
            for code in &mode.region {
                region.push(&code.as_str().into());
            }
            set_property(&state, "region", &region);
        }
        this.gtag(&["consent".into(), "default".into(), state]);
        for (name, value) in [
            ("ads_data_redaction", mode.ads_data_redaction),
            ("url_passthrough", mode.url_passthrough),
        ] {
            if let Some(value) = value {
                this.gtag(&["set".into(), name.into(), value.into()]);
            }
        }
        Some(this)
    }

    /// Pushes `gtag("consent", "update", …)` with the state under `consent`.
    pub fn update(&self, config: &Config, consent: Option<&Consent>) {
        self.gtag(&["consent".into(), "update".into(), state(config, consent)]);
    }

    fn gtag(&self, arguments: &[JsValue]) {
        let arguments: Array = arguments.iter().collect();
        // A throwing `dataLayer.push` (page code replaced it) must not stop keksdose.
        let _ = js_sys::Reflect::apply(&self.gtag, &JsValue::NULL, &arguments);
    }
}

/// `{ ad_storage: "granted" | "denied", … }`, all seven types.
fn state(config: &Config, consent: Option<&Consent>) -> JsValue {
    let state = object(&[]);
    for (name, granted) in consent_types(config, consent) {
        let value = if granted { "granted" } else { "denied" };
        set_property(&state, name, &value.into());
    }
    state.into()
}
