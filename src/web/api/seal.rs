//! The seal build's export: `sealAndSend`.

use wasm_bindgen::prelude::*;

use super::install_panic_hook;
use crate::web::js_error;

/// Seals `form` and POSTs it (the seal module's one export, called by the consent module for a
/// submitted sealed form). `settings` is JSON: `publicKey`, `tenant`, `formId`, `origin`,
/// `action`, `maxAttachmentBytes`. Resolves to the HTTP status; rejects with an `Error` named
/// `SealError` whose `code` is `too-large`, `read`, `crypto` (nothing was sent), `network` or
/// `rejected` (only ciphertext was sent).
#[wasm_bindgen(js_name = sealAndSend)]
pub async fn seal_and_send(
    form: web_sys::HtmlFormElement,
    settings: String,
) -> Result<JsValue, JsValue> {
    install_panic_hook();
    let settings: crate::web::sealing::Settings = serde_json::from_str(&settings)
        .map_err(|e| js_error("SealError", &format!("settings: {e}")))?;
    crate::web::sealing::seal_and_send(&form, settings)
        .await
        .map(JsValue::from)
        .map_err(crate::web::sealing::Failure::into_js)
}
