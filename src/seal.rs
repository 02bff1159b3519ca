//! Sealed forms: submissions encrypted in the visitor's browser to the controller's public key
//! (HPKE, RFC 9180), so that the host and its database only ever hold ciphertext.
//!
//! - [`keys`]: public and secret keys as text, key ids (always compiled: the config check
//!   validates keys);
//! - `padding`: Padmé, so that sizes say little about content;
//! - `envelope`: the envelope v1 format, sealing chunk by chunk, opening (feature `seal`);
//! - `keyfile`: the controller's secret-key file, passphrase-protected (feature `keyfile`).
//!
//! # Security
//! Anyone can seal to a public key, so an opened submission proves nothing about its sender,
//! and its fields and file names are untrusted input. What sealing protects: stored submissions
//! against the host, its database and backups. What it does not: a page or script changed by
//! whoever controls the host (it could read the form before sealing), metadata (time, size
//! bucket, IP address), and a lost secret key (the submissions are lost with it).

#[cfg(feature = "seal")]
pub mod envelope;
#[cfg(feature = "keyfile")]
pub mod keyfile;
pub mod keys;
#[cfg(feature = "seal")]
pub mod padding;
