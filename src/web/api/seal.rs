//! The seal build's export: `sealAndSend`.

use wasm_bindgen::prelude::*;

use super::install_panic_hook;
use crate::config::TextKey;
use crate::web::js_error;

/// Seals `form` and POSTs it (the seal module's one export, called by the consent module for a
/// submitted sealed form). `settings` is JSON: `publicKey`, `tenant`, `formId`, `origin`,
/// `action`, `maxAttachmentBytes`, `lang` and `texts` (the config's texts in that language for
/// the outcomes, `null` for a default).
/// Resolves to the message for the visitor; rejects with an `Error` named `SealError` whose
/// `code` is `too-large`, `too-long`, `file`, `read`, `crypto` (nothing was sent), `network` or
/// `rejected` (only ciphertext was sent), and whose `text` is the message for the visitor.
#[wasm_bindgen(js_name = sealAndSend)]
pub async fn seal_and_send(
    form: web_sys::HtmlFormElement,
    settings: String,
) -> Result<JsValue, JsValue> {
    install_panic_hook();
    let settings: crate::web::sealing::Settings = serde_json::from_str(&settings)
        .map_err(|e| js_error("SealError", &format!("settings: {e}")))?;
    match crate::web::sealing::seal_and_send(&form, &settings).await {
        Ok(_) => Ok(settings.message(TextKey::SealSent, "").into()),
        Err(failure) => Err(failure.into_js(&settings)),
    }
}
