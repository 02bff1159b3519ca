//! Consent records on their way: sent with `navigator.sendBeacon` to `consent.logEndpoint`, and
//! kept in `localStorage` for the visitor (their own records, downloadable from the
//! preferences). A record the browser refuses to queue waits under its own key and is sent on
//! the next page view.

use web_sys::Storage;

use super::{object_property, window};
use crate::config::Config;
use crate::consent::record::{KEPT_ON_DEVICE, append, as_json_array};
use crate::strings::concat;

/// Sends `record` (JSON) and, with `keep`, keeps it among the visitor's records.
pub fn record(config: &Config, record: &str, keep: bool) {
    let settings = &config.consent;
    if keep {
        push(&settings.records_key(), record);
    }
    if !send(config, record) {
        push(&settings.unsent_key(), record);
    }
}

/// Sends what earlier pages could not; keeps what fails again.
pub fn send_unsent(config: &Config) {
    let key = config.consent.unsent_key();
    let Some((storage, unsent)) = read(&key) else {
        return;
    };
    if unsent.is_empty() {
        return;
    }
    let _ = storage.remove_item(&key);
    for record in unsent.split('\n').filter(|record| !record.is_empty()) {
        if !send(config, record) {
            push(&key, record);
        }
    }
}

/// Removes the visitor's records and the unsent ones from this device.
pub fn erase(config: &Config) {
    let settings = &config.consent;
    if let Some(storage) = object_property::<Storage>(&window(), "localStorage") {
        for key in [settings.records_key(), settings.unsent_key()] {
            let _ = storage.remove_item(&key);
        }
    }
}

/// The visitor's records as a `data:` URL of a JSON array, for a download link.
pub fn download_url(config: &Config) -> String {
    let log = read(&config.consent.records_key()).map(|(_, log)| log);
    let json = as_json_array(&log.unwrap_or_default());
    concat(&[
        "data:application/json,",
        &String::from(js_sys::encode_uri_component(&json)),
    ])
}

/// Queues `record` with `navigator.sendBeacon` (as text, so that no CORS preflight is needed);
/// whether it was queued, or there is no endpoint to send to.
fn send(config: &Config, record: &str) -> bool {
    let Some(endpoint) = &config.consent.log_endpoint else {
        return true;
    };
    window()
        .navigator()
        .send_beacon_with_opt_str(endpoint, Some(record))
        .unwrap_or(false)
}

/// Appends `record` to the JSON Lines under `key`, keeping the newest.
fn push(key: &str, record: &str) {
    if let Some((storage, log)) = read(key) {
        let _ = storage.set_item(key, &append(&log, record, KEPT_ON_DEVICE));
    }
}

/// The local storage and the text under `key` (empty when none); `None` when the browser
/// denies storage.
fn read(key: &str) -> Option<(Storage, String)> {
    let storage: Storage = object_property(&window(), "localStorage")?;
    let text = storage.get_item(key).ok().flatten().unwrap_or_default();
    Some((storage, text))
}
