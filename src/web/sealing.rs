//! The seal module's work in the browser (seal build only): read a form, seal it, POST it.
//!
//! Files are read in slices twice — once to hash them for the manifest, once to seal them — so a
//! file is never whole in wasm memory; each sealed chunk moves out into the `Blob` that is sent.
//! A file changed on disk after it was chosen cannot be read any more (the browser refuses it), so
//! the two passes see the same bytes or the form is not sent.
//! Any failure ends before `fetch`: then nothing at all has left the browser.

use js_sys::{Array, Uint8Array};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, File, FormData, HtmlFormElement, RequestInit, Response};

use super::{js_error, window};
use crate::config::TextKey;
use crate::seal::envelope::{FileEntry, Header, MEDIA_TYPE, Manifest, SealError, Sealer};
use crate::seal::keys::PublicKey;
use crate::strings::{hex, replace};

/// Bytes read from a file at a time.
const SLICE: f64 = 1024.0 * 1024.0;

/// What the consent module hands over with a form (JSON).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    public_key: String,
    tenant: String,
    form_id: String,
    origin: String,
    action: String,
    max_attachment_bytes: u64,
    /// The page's language (`de`, `en`, …).
    lang: String,
    /// The config's texts in that language for [`TextKey::OUTCOMES`], in that order (`null`
    /// where the default stands).
    texts: Vec<Option<String>>,
}

impl Settings {
    /// The message for the visitor: the configured text for `key`, else the default in the
    /// page's language, with `{status}` and `{max}` (the attachment limit) filled in.
    pub fn message(&self, key: TextKey, status: &str) -> String {
        let configured = TextKey::OUTCOMES
            .iter()
            .position(|&outcome| outcome == key)
            .and_then(|i| self.texts.get(i)?.as_deref());
        let text = configured.unwrap_or(key.default_text(&self.lang));
        let max = format!("{} MB", self.max_attachment_bytes.div_ceil(1024 * 1024));
        replace(&replace(text, "{status}", status), "{max}", &max)
    }
}

/// Why a form was not sent: `code` names the case for scripts, `detail` for the console.
pub struct Failure {
    code: &'static str,
    detail: String,
}

impl Failure {
    fn new(code: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            code,
            detail: detail.into(),
        }
    }

    /// An `Error` named `SealError` with the failure's `code`, and as `text` the message for the
    /// visitor.
    pub fn into_js(self, settings: &Settings) -> JsValue {
        let key = match self.code {
            "too-large" => TextKey::SealTooLarge,
            "too-long" => TextKey::SealTooLong,
            "rejected" => TextKey::SealRejected,
            "network" => TextKey::SealNetwork,
            "file" => TextKey::SealFileUnreadable,
            _ => TextKey::SealFailed,
        };
        let error = js_error("SealError", &self.detail);
        for (name, value) in [
            ("code", self.code),
            ("text", &settings.message(key, &self.detail)),
        ] {
            let _ = js_sys::Reflect::set(&error, &name.into(), &value.into());
        }
        error
    }
}

fn read_error(error: JsValue) -> Failure {
    Failure::new("read", format!("reading the form failed: {error:?}"))
}

/// Seals `form` and POSTs it to `settings.action`; resolves to the HTTP status.
pub async fn seal_and_send(form: &HtmlFormElement, settings: &Settings) -> Result<u16, Failure> {
    let public_key: PublicKey = settings
        .public_key
        .parse()
        .map_err(|e| Failure::new("crypto", format!("public key: {e}")))?;
    let (fields, files) = read_form(form)?;
    let total: u64 = files.iter().map(|(_, f)| f.size() as u64).sum();
    if total > settings.max_attachment_bytes {
        return Err(Failure::new(
            "too-large",
            format!(
                "{total} bytes of attachments, at most {}",
                settings.max_attachment_bytes
            ),
        ));
    }
    let mut entries = Vec::with_capacity(files.len());
    for (field, file) in &files {
        let mut hasher = Sha256::new();
        for_each_slice(file, |bytes| {
            hasher.update(bytes);
            Ok(())
        })
        .await?;
        entries.push(FileEntry {
            field: field.clone(),
            name: file.name(),
            media_type: file.type_(),
            size: file.size() as u64,
            sha256: hex(&hasher.finalize()),
        });
    }
    let manifest = Manifest {
        fields,
        files: entries,
    };
    let inner = manifest
        .inner()
        .map_err(|e| Failure::new("too-long", e.to_string()))?;

    let mut submission_id = [0u8; 16];
    getrandom::fill(&mut submission_id)
        .map_err(|e| Failure::new("crypto", format!("no randomness: {e}")))?;
    let created = (js_sys::Date::now() / 1000.0) as u64;
    let header = Header::new(
        &public_key,
        submission_id,
        created,
        &settings.tenant,
        &settings.form_id,
        &settings.origin,
    )
    .map_err(|e| Failure::new("crypto", e.to_string()))?;
    let (start, sealer) = Sealer::start(&public_key, &header, inner.padded_len)
        .map_err(|e| Failure::new("crypto", e.to_string()))?;
    let parts = Array::new();
    parts.push(&Uint8Array::from(start.as_slice()));
    let mut output = Output { sealer, parts };
    output.feed(&inner.prefix)?;
    for (_, file) in &files {
        for_each_slice(file, |bytes| output.feed(bytes)).await?;
    }
    output.pad(inner.padding())?;
    let Output { sealer, parts } = output;
    let last = sealer
        .finish()
        .map_err(|e| Failure::new("crypto", e.to_string()))?;
    parts.push(&Uint8Array::from(last.as_slice()));
    let options = BlobPropertyBag::new();
    options.set_type(MEDIA_TYPE);
    let body = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| Failure::new("crypto", format!("{e:?}")))?;
    post(&settings.action, &body).await
}

/// The sealer and the ciphertext collected so far, outside wasm memory.
struct Output {
    sealer: Sealer,
    parts: Array,
}

impl Output {
    fn feed(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.sealed(|sealer, chunks| sealer.update(bytes, chunks))
    }

    fn pad(&mut self, len: u64) -> Result<(), Failure> {
        self.sealed(|sealer, chunks| sealer.pad(len, chunks))
    }

    /// Runs `seal` and moves the chunks it completed out of wasm memory.
    fn sealed(
        &mut self,
        seal: impl FnOnce(&mut Sealer, &mut Vec<Vec<u8>>) -> Result<(), SealError>,
    ) -> Result<(), Failure> {
        let mut chunks = Vec::new();
        seal(&mut self.sealer, &mut chunks).map_err(|e| Failure::new("crypto", e.to_string()))?;
        for chunk in chunks {
            self.parts.push(&Uint8Array::from(chunk.as_slice()));
        }
        Ok(())
    }
}

/// Text fields and chosen files with their field names, each in form order (empty file inputs
/// are left out).
type FormContent = (Vec<(String, String)>, Vec<(String, File)>);

fn read_form(form: &HtmlFormElement) -> Result<FormContent, Failure> {
    let data = FormData::new_with_form(form).map_err(read_error)?;
    let mut fields = Vec::new();
    let mut files = Vec::new();
    for entry in data.entries() {
        let pair: Array = entry.map_err(read_error)?.unchecked_into();
        let (name, value) = (pair.get(0).as_string().unwrap_or_default(), pair.get(1));
        match value.dyn_into::<File>() {
            Ok(file) if file.name().is_empty() && file.size() == 0.0 => {}
            Ok(file) => files.push((name, file)),
            Err(value) => fields.push((name, value.as_string().unwrap_or_default())),
        }
    }
    Ok((fields, files))
}

/// Calls `f` with each 1 MiB slice of `file`, in order.
async fn for_each_slice(
    file: &File,
    mut f: impl FnMut(&[u8]) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let size = file.size();
    let unreadable = |error: JsValue| Failure::new("file", format!("reading a file: {error:?}"));
    let mut start = 0.0;
    while start < size {
        let end = (start + SLICE).min(size);
        let slice = file
            .slice_with_f64_and_f64(start, end)
            .map_err(unreadable)?;
        let buffer = JsFuture::from(slice.array_buffer())
            .await
            .map_err(unreadable)?;
        f(&Uint8Array::new(&buffer).to_vec())?;
        start = end;
    }
    Ok(())
}

/// POSTs the sealed body; any 2xx status is success.
async fn post(action: &str, body: &Blob) -> Result<u16, Failure> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    let headers = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&headers, &"Content-Type".into(), &MEDIA_TYPE.into());
    init.set_headers(&headers);
    let response = JsFuture::from(window().fetch_with_str_and_init(action, &init))
        .await
        .map_err(|e| Failure::new("network", format!("{e:?}")))?;
    let response: Response = response.unchecked_into();
    let status = response.status();
    if response.ok() {
        Ok(status)
    } else {
        Err(Failure::new("rejected", status.to_string()))
    }
}
