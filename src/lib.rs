//! keksdose: cookie consent that **enforces** "technically necessary only" until the visitor
//! opts in, for websites that embed it as WebAssembly.
//!
//! This crate is one package with three faces:
//! - the **web layer** (`wasm32` only), loaded by the `keksdose.js` script tag or the npm
//!   package: banner, preferences, the guards, activation of marked scripts and embeds, sealed
//!   forms (the consent build), and sealing in the browser (the seal build, fetched on submit);
//! - the **pure core**, which compiles natively and serves backends too: [`config`] parsing and
//!   validation, the [`consent`] state, its cookie codec, policy decisions, the session rules
//!   (re-asking, GPC, withdrawal, reset) and consent records, the [`ui`] state machine, and
//!   [`seal`]: keys, and (feature `seal`) the envelope format and Padmé padding;
//! - the **collector** (feature `collector`, native): the HTTP service that receives sealed
//!   submissions and consent records, and their store (SQLite; PostgreSQL with feature
//!   `postgres`), for mounting in a Rust backend;
//! - the **CLI** `keksdose` (feature `cli`): the demo server, the collector, `keygen`, `open`,
//!   `receipts` and `check-config`.
//!
//! # Reading the consent cookie on a server
//!
//! ```
//! use keksdose::config::Config;
//! use keksdose::consent::{cookie, policy::Policy, revision};
//!
//! let config = Config::from_json(r#"{
//!     "tenant": "musterstadt",
//!     "policy": { "privacyUrl": "/datenschutz", "imprintUrl": "/impressum" },
//!     "categories": {
//!         "necessary": { "readOnly": true },
//!         "analytics": { "services": {
//!             "matomo": { "provider": "Stadt Musterstadt", "purpose": "Besucherstatistik" } } }
//!     }
//! }"#)?;
//!
//! // The `Cookie:` header of a request; this browser never decided.
//! let header = "PHPSESSID=abc";
//! let now = 1_764_000_000;
//! let consent = cookie::read(header, &config.consent.cookie_name)
//!     .filter(|c| c.is_current(&revision(&config), now));
//! let policy = Policy::new(&config, consent.as_ref());
//! assert!(!policy.service_allowed("matomo"));
//! assert!(policy.category_allowed("necessary"));
//! # Ok::<(), keksdose::config::ConfigError>(())
//! ```
//!
//! # Security
//! The guards are against ordinary page code, not against an adversary who can run script on
//! the page: such code can always reach the browser's original APIs. A decoded consent cookie
//! is a statement of the visitor's browser, not a signed proof; the consent records are.

pub mod base64;
#[cfg(feature = "collector")]
pub mod collector;
pub mod config;
pub mod consent;
pub mod json;
pub mod pattern;
pub mod seal;
pub mod strings;
pub mod tenant;
pub mod ui;
#[cfg(all(target_arch = "wasm32", any(feature = "consent", feature = "seal")))]
pub mod web;

/// `items` in a `Vec`, pushed one by one. Hand-written for size, not `collect`: that
/// instantiates the standard library's size-hinted growth paths (`from_iter`,
/// `extend_desugared`) for every iterator type; this loop shares `push` per item type, which
/// took 554 B gzip off the npm page load (measured with .ci/sizes.mjs).
pub(crate) fn collect<T>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut all = Vec::new();
    for item in items {
        all.push(item);
    }
    all
}

/// The wasm modules' allocator (see `Cargo.toml`).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: rlsf::SmallGlobalTlsf = rlsf::SmallGlobalTlsf::new();
