//! The consent log: consent records per tenant, append-only, in a hash chain (feature
//! `collector`, SQLite).
//!
//! Each tenant's records form a chain: entry `n` stores
//! `hash(n) = SHA-256("keksdose consent log v1" ‖ tenant ‖ n ‖ received ‖ record ‖ hash(n − 1))`
//! (lengths and numbers as 8-byte big-endian, `hash(0)` all zeros). [`ConsentLog::verify`]
//! recomputes it: an edited record, an entry inserted or deleted in the middle, or a reordering
//! breaks it at that entry. Retention deletes only the oldest entries and keeps the last deleted
//! entry's number and hash as the tenant's **anchor**, so that what remains still verifies.
//!
//! The chain is not keyed: someone who can write the database can also recompute it from the
//! edit onwards. What it proves is that the log is unchanged up to a **head** (the last entry's
//! number and hash) kept elsewhere — printed by `keksdose receipts --verify`, for the audit file:
//! a later verification that passes through that head shows nothing before it was changed.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::consent::record::Record;
use crate::strings::hex;

/// One entry of a tenant's log.
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

/// What [`ConsentLog::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored as entry `seq`.
    New(u64),
    /// A record with this `recordId` is already entry `seq` (a browser sent it again).
    AlreadyThere(u64),
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

/// The consent log in an SQLite database (the collector's file; its own tables).
pub struct ConsentLog {
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    CREATE TABLE IF NOT EXISTS consent_log (
        tenant     TEXT    NOT NULL,
        seq        INTEGER NOT NULL,
        received   INTEGER NOT NULL,
        record_id  TEXT    NOT NULL,
        consent_id TEXT    NOT NULL,
        record     TEXT    NOT NULL,
        hash       BLOB    NOT NULL,
        PRIMARY KEY (tenant, seq),
        UNIQUE (tenant, record_id)
    );
    CREATE INDEX IF NOT EXISTS consent_log_by_consent_id ON consent_log (tenant, consent_id);
    CREATE TABLE IF NOT EXISTS consent_log_anchor (
        tenant TEXT    PRIMARY KEY,
        seq    INTEGER NOT NULL,
        hash   BLOB    NOT NULL
    );
";

/// The chain hash of an entry.
fn chain_hash(
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

fn database(error: rusqlite::Error) -> String {
    format!("consent log: {error}")
}

impl ConsentLog {
    /// Opens (or creates) the log's tables in the database file at `path`.
    pub fn open(path: &Path) -> Result<ConsentLog, String> {
        let connection = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        connection.execute_batch(SCHEMA).map_err(database)?;
        Ok(ConsentLog {
            connection: Mutex::new(connection),
        })
    }

    /// Opens the log of an existing database for reading only (export, lookup, verification):
    /// nothing in the file changes.
    pub fn open_read_only(path: &Path) -> Result<ConsentLog, String> {
        let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        connection
            .prepare("SELECT 1 FROM consent_log LIMIT 1")
            .map_err(|e| format!("{}: no consent log ({e})", path.display()))?;
        Ok(ConsentLog {
            connection: Mutex::new(connection),
        })
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half done (SQLite rolls it
        // back), so the connection is still good.
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends `record` (as received: `text`) to its tenant's chain at `received`, whole or not
    /// at all; a `recordId` already in the log is not stored twice.
    pub fn append(&self, record: &Record, text: &str, received: u64) -> Result<Appended, String> {
        let mut connection = self.connection();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(database)?;
        let existing: Option<u64> = transaction
            .query_row(
                "SELECT seq FROM consent_log WHERE tenant = ?1 AND record_id = ?2",
                params![record.tenant, record.record_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(database)?;
        if let Some(seq) = existing {
            return Ok(Appended::AlreadyThere(seq));
        }
        let (last_seq, last_hash) = head(&transaction, &record.tenant)?;
        let seq = last_seq + 1;
        let hash = chain_hash(&record.tenant, seq, received, text, &last_hash);
        transaction
            .execute(
                "INSERT INTO consent_log (tenant, seq, received, record_id, consent_id, record, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    record.tenant,
                    seq,
                    received,
                    record.record_id,
                    record.consent_id,
                    text,
                    hash.as_slice()
                ],
            )
            .map_err(database)?;
        transaction.commit().map_err(database)?;
        Ok(Appended::New(seq))
    }

    /// A tenant's entries in chain order; with `consent_id`, only that browser's (Art. 15).
    pub fn entries(&self, tenant: &str, consent_id: Option<&str>) -> Result<Vec<Entry>, String> {
        let connection = self.connection();
        let mut statement = connection
            .prepare(
                "SELECT seq, received, record, hash FROM consent_log
                 WHERE tenant = ?1 AND (?2 IS NULL OR consent_id = ?2) ORDER BY seq",
            )
            .map_err(database)?;
        let rows = statement
            .query_map(params![tenant, consent_id], |row| {
                Ok(Entry {
                    seq: row.get(0)?,
                    received: row.get(1)?,
                    record: row.get(2)?,
                    hash: row.get(3)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(database)?;
        Ok(rows)
    }

    /// Recomputes a tenant's chain from its anchor: the first entry where it breaks, or how many
    /// entries it holds and its head.
    pub fn verify(&self, tenant: &str) -> Result<Result<Verified, Broken>, String> {
        let (mut seq, mut previous) = anchor(&self.connection(), tenant)?;
        let entries = self.entries(tenant, None)?;
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
            if chain_hash(tenant, entry.seq, entry.received, &entry.record, &previous) != entry.hash
            {
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

    /// Retention: deletes the tenant's oldest entries received before `cutoff` (Unix seconds),
    /// up to the first one that is not, and moves the anchor to the last deleted entry, in one
    /// transaction. Returns how many were deleted.
    pub fn delete_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String> {
        let mut connection = self.connection();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(database)?;
        // The first entry to keep: everything before it goes, nothing after it.
        let keep_from: Option<u64> = transaction
            .query_row(
                "SELECT MIN(seq) FROM consent_log WHERE tenant = ?1 AND received >= ?2",
                params![tenant, cutoff],
                |row| row.get(0),
            )
            .map_err(database)?;
        let last: Option<(u64, Vec<u8>)> = transaction
            .query_row(
                "SELECT seq, hash FROM consent_log WHERE tenant = ?1 AND seq < ?2
                 ORDER BY seq DESC LIMIT 1",
                params![tenant, keep_from.unwrap_or(u64::MAX >> 1)],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(database)?;
        let Some((seq, hash)) = last else {
            return Ok(0);
        };
        let deleted = transaction
            .execute(
                "DELETE FROM consent_log WHERE tenant = ?1 AND seq <= ?2",
                params![tenant, seq],
            )
            .map_err(database)?;
        transaction
            .execute(
                "INSERT INTO consent_log_anchor (tenant, seq, hash) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                params![tenant, seq, hash],
            )
            .map_err(database)?;
        transaction.commit().map_err(database)?;
        Ok(deleted as u64)
    }
}

/// The tenant's anchor: the last entry deleted by retention, or `(0, zeros)`.
fn anchor(connection: &Connection, tenant: &str) -> Result<(u64, [u8; 32]), String> {
    let anchor: Option<(u64, [u8; 32])> = connection
        .query_row(
            "SELECT seq, hash FROM consent_log_anchor WHERE tenant = ?1",
            params![tenant],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(database)?;
    Ok(anchor.unwrap_or((0, [0; 32])))
}

/// The tenant's last entry, or its anchor.
fn head(connection: &Connection, tenant: &str) -> Result<(u64, [u8; 32]), String> {
    let last: Option<(u64, [u8; 32])> = connection
        .query_row(
            "SELECT seq, hash FROM consent_log WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1",
            params![tenant],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(database)?;
    match last {
        Some(last) => Ok(last),
        None => anchor(connection, tenant),
    }
}
