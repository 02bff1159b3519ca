//! Every `#[wasm_bindgen]` export: what `keksdose.js`, the npm entry and the seal module's glue
//! call. The JavaScript vocabulary follows vanilla-cookieconsent where meanings match
//! (`acceptedCategory`, `acceptCategory`, `showPreferences`, `validConsent`, `reset`, …).

#[cfg(feature = "consent")]
mod consent;
#[cfg(feature = "seal")]
mod seal;

#[cfg(feature = "consent")]
pub use consent::{Keksdose, start, start_held};
#[cfg(feature = "seal")]
pub use seal::seal_and_send;

use super::console_error;

/// Reports a panic on the console before the module aborts; the page stays "necessary only".
/// The panic's own message and place are left out: formatting them would link `core::fmt` into
/// every page's wasm, and they would tell the visitor nothing.
fn install_panic_hook() {
    // After a panic the hook is in place, and Rust refuses to change it (a second panic).
    if std::thread::panicking() {
        return;
    }
    std::panic::set_hook(Box::new(|_| {
        #[cfg(feature = "consent")]
        crate::web::guard::poison();
        console_error(
            "internal error, stopped; only technically necessary cookies and scripts run",
        );
    }));
}
