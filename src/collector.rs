//! The collector (feature `collector`): receives sealed submissions and consent records over
//! HTTP ([`server`]) and keeps them in a [`Store`] — SQLite embedded ([`sqlite`], one file) or
//! PostgreSQL ([`postgres`], feature `postgres`, for several collector processes on one
//! database). A Rust backend mounts [`server::Collector::router`] in its own axum app, or runs
//! it with [`server::serve`] and its limits; `keksdose collect` and `keksdose serve` are thin
//! shells around both.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use keksdose::collector::{self, Store, server::{Collector, Limits}};
//! use keksdose::config::Config;
//!
//! # async fn app() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_json(&std::fs::read_to_string("musterstadt.json")?)?;
//! let store: Arc<dyn Store> = Arc::from(collector::open("collector.sqlite", false)?);
//! let collector = Arc::new(Collector::new(&[config], Arc::clone(&store), Limits::default()));
//! // POST /inbox/{tenant} and POST /keksdose/receipts beside the application's own routes.
//! let app = axum::Router::new().merge(collector.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! collector::server::serve(listener, app, &Limits::default(), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await;
//! store.close()?;
//! # Ok(())
//! # }
//! ```
//!
//! # Guarantees every store keeps
//! - A submission or record is stored by one transaction: it is there completely or not at all,
//!   and the collector acknowledges it only after the commit.
//! - A resend of the same submission or record is recognised and not stored twice; another
//!   envelope under a stored submission id is refused.
//! - The consent log is append-only per tenant, in a hash chain (below); retention deletes only
//!   the oldest entries and keeps the chain verifiable.
//! - Everything is per tenant: no query of one tenant returns another's rows.
//!
//! # The consent log's chain
//! Each tenant's records form a chain: entry `n` stores
//! `hash(n) = SHA-256("keksdose consent log v1" ‖ len(tenant) ‖ tenant ‖ len(record) ‖ record ‖
//! n ‖ received ‖ hash(n − 1))` (lengths and numbers as 8-byte big-endian, `hash(0)` all zeros;
//! the tables: `docs/collector-store.md`). [`verify`] recomputes it:
//! an edited record, an entry inserted or deleted in the middle, or a reordering breaks it at
//! that entry. Retention deletes only the oldest entries and keeps the last deleted entry's
//! number and hash as the tenant's **anchor**, so that what remains still verifies.
//!
//! The chain is not keyed: someone who can write the database can also recompute it from the
//! edit onwards. What it proves is that the log is unchanged up to a **head** (the last entry's
//! number and hash) kept elsewhere — printed by `keksdose receipts --verify`, for the audit file:
//! a later verification that passes through that head shows nothing before it was changed.

use sha2::{Digest, Sha256};

use crate::consent::record::Record;
use crate::strings::hex;

#[cfg(feature = "postgres")]
pub mod postgres;
pub mod server;
pub mod sqlite;

/// A sealed submission to store: the envelope and what its header says about it.
pub struct Submission<'a> {
    /// The tenant (from the URL, checked against the header).
    pub tenant: &'a str,
    /// The form id from the header.
    pub form_id: &'a str,
    /// The submission id from the header, as hex.
    pub submission_id: &'a str,
    /// The key id from the header, as hex.
    pub kid: &'a str,
    /// When the sender sealed it (Unix seconds, the sender's clock).
    pub created: u64,
    /// When it arrived (Unix seconds).
    pub received: u64,
    /// The whole envelope.
    pub envelope: &'a [u8],
}

/// What storing a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now.
    New,
    /// The very same envelope was stored before (a resend).
    AlreadyThere,
}

/// Why a store failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// Another envelope with this submission id exists.
    Conflict,
    /// The database failed; nothing was stored.
    Database(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Conflict => f.write_str("another submission has this id"),
            StoreError::Database(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for StoreError {}

/// One entry of a tenant's consent log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's number in its tenant's chain, from 1.
    pub seq: u64,
    /// When the collector received it (Unix seconds).
    pub received: u64,
    /// The record as received (JSON text).
    pub record: String,
    /// Its chain hash.
    pub hash: [u8; 32],
}

/// What appending a consent record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored as entry `seq`.
    New(u64),
    /// A record with this `recordId` is already entry `seq` (a browser sent it again).
    AlreadyThere(u64),
}

/// A tenant's chain as stored, read at one moment: its anchor (the last entry retention
/// deleted, or `(0, zeros)`) and its entries in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The anchor's entry number and hash.
    pub anchor: (u64, [u8; 32]),
    /// The entries after it.
    pub entries: Vec<Entry>,
}

/// A chain that does not verify: the first entry where it breaks, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The entry number where the chain breaks.
    pub seq: u64,
    /// What is wrong there.
    pub why: String,
}

/// A chain that verifies: how many entries, and its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// The last entry's number (the anchor's when the log is empty).
    pub head_seq: u64,
    /// The last entry's hash, hex.
    pub head_hash: String,
}

/// A stored submission for `keksdose open`: its row id, and the envelope or why the row holds
/// none.
pub type StoredEnvelope = (i64, Result<Vec<u8>, String>);

/// Where the collector keeps submissions and consent records. Every method is one transaction.
pub trait Store: Send + Sync {
    /// Stores one submission, completely or not at all.
    fn store_submission(&self, submission: &Submission<'_>) -> Result<Stored, StoreError>;
    /// Appends `record` (as received: `text`) to its tenant's chain at `received`, whole or not
    /// at all; a `recordId` already in the tenant's log is not stored twice.
    fn append_record(&self, record: &Record, text: &str, received: u64)
    -> Result<Appended, String>;
    /// A tenant's entries in chain order; with `consent_id`, only that browser's (Art. 15).
    fn entries(&self, tenant: &str, consent_id: Option<&str>) -> Result<Vec<Entry>, String>;
    /// A tenant's anchor and entries, read in one snapshot (for [`verify`]).
    fn chain(&self, tenant: &str) -> Result<Chain, String>;
    /// Retention: deletes the tenant's oldest entries received before `cutoff` (Unix seconds),
    /// up to the first one that is not, and moves the anchor to the last deleted entry. How many.
    fn delete_records_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String>;
    /// Retention: deletes the tenant's submissions received before `cutoff`. How many.
    fn delete_submissions_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String>;
    /// Every stored submission, oldest first (for `keksdose open`); a row that holds no
    /// envelope is answered with why, so that the others still open.
    fn envelopes(&self) -> Result<Vec<StoredEnvelope>, String>;
    /// Makes what was stored independent of the process (SQLite: moves the write-ahead log into
    /// the database file, so that the file alone holds everything acknowledged). Called on
    /// shutdown.
    fn close(&self) -> Result<(), String>;
}

/// The SQLite file a store location names; `None` for a `postgres://` or `postgresql://` URL.
pub fn sqlite_path(location: &str) -> Option<&std::path::Path> {
    let url = location.starts_with("postgres://") || location.starts_with("postgresql://");
    (!url).then(|| std::path::Path::new(location))
}

/// Opens the store at `location`: a `postgres://` or `postgresql://` URL (feature `postgres`),
/// or the path of an SQLite file (created if missing). `read_only` opens an existing store
/// for reading only — for SQLite without writing in the file or next to it.
pub fn open(location: &str, read_only: bool) -> Result<Box<dyn Store>, String> {
    let Some(path) = sqlite_path(location) else {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(postgres::Postgres::connect(location)?));
        #[cfg(not(feature = "postgres"))]
        return Err("PostgreSQL needs keksdose built with the feature `postgres`".into());
    };
    Ok(Box::new(if read_only {
        sqlite::Sqlite::open_read_only(path)?
    } else {
        sqlite::Sqlite::open(path)?
    }))
}

/// The time now, in Unix seconds (what the collector records as "received").
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The retention cut-off: the time `days` days ago, in Unix seconds.
pub fn days_ago(days: u64) -> u64 {
    unix_now().saturating_sub(days.saturating_mul(86_400))
}

/// The chain hash of an entry.
pub fn chain_hash(
    tenant: &str,
    seq: u64,
    received: u64,
    record: &str,
    previous: &[u8; 32],
) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"keksdose consent log v1");
    for part in [tenant.as_bytes(), record.as_bytes()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.update(seq.to_be_bytes());
    hash.update(received.to_be_bytes());
    hash.update(previous);
    hash.finalize().into()
}

/// Recomputes a tenant's chain from its anchor: the first entry where it breaks, or how many
/// entries it holds and its head.
pub fn verify(store: &dyn Store, tenant: &str) -> Result<Result<Verified, Broken>, String> {
    let Chain {
        anchor: (mut seq, mut previous),
        entries,
    } = store.chain(tenant)?;
    for entry in &entries {
        let broken = |why: &str| {
            Ok(Err(Broken {
                seq: entry.seq,
                why: why.to_owned(),
            }))
        };
        if entry.seq != seq + 1 {
            return broken(&format!(
                "entry {} follows entry {seq}: entries are missing or out of order",
                entry.seq
            ));
        }
        if chain_hash(tenant, entry.seq, entry.received, &entry.record, &previous) != entry.hash {
            return broken("its hash does not match: the entry or one before it was changed");
        }
        seq = entry.seq;
        previous = entry.hash;
    }
    Ok(Ok(Verified {
        entries: entries.len() as u64,
        head_seq: seq,
        head_hash: hex(&previous),
    }))
}
