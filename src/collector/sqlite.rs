//! The embedded store: one SQLite file in write-ahead-log mode, every commit synced
//! (`synchronous = FULL`), so a `kill -9` or power cut after an acknowledgement loses nothing.
//! One process writes it at a time; for several collector processes use PostgreSQL.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    Appended, Chain, Entry, Store, StoreError, Stored, StoredEnvelope, Submission, chain_hash,
};
use crate::consent::record::Record;

/// The SQLite store.
pub struct Sqlite {
    connection: Mutex<Connection>,
    path: std::path::PathBuf,
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    CREATE TABLE IF NOT EXISTS submissions (
        id            INTEGER PRIMARY KEY,
        tenant        TEXT    NOT NULL,
        form_id       TEXT    NOT NULL,
        submission_id TEXT    NOT NULL UNIQUE,
        kid           TEXT    NOT NULL,
        created       INTEGER NOT NULL,
        received      INTEGER NOT NULL,
        envelope      BLOB    NOT NULL
    );
    CREATE INDEX IF NOT EXISTS submissions_by_tenant ON submissions (tenant, received);
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

fn database(error: rusqlite::Error) -> String {
    format!("SQLite: {error}")
}

impl Sqlite {
    /// Opens (or creates) the database file for the collector.
    pub fn open(path: &Path) -> Result<Sqlite, String> {
        let failed = |e: rusqlite::Error| format!("{}: {e}", path.display());
        let connection = Connection::open(path).map_err(failed)?;
        connection.execute_batch(SCHEMA).map_err(failed)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(failed)?;
        Ok(Sqlite {
            connection: Mutex::new(connection),
            path: path.to_owned(),
        })
    }

    /// Opens an existing database for reading only (`open`, `receipts`), writing nothing in
    /// the file or next to it: without a write-ahead log beside it the file is opened as
    /// immutable (SQLite then creates no `-wal` or `-shm` file); with one (the collector is
    /// running, or was killed) it is opened read-only and the log is read too, so that nothing
    /// acknowledged is missed.
    pub fn open_read_only(path: &Path) -> Result<Sqlite, String> {
        let failed = |e: rusqlite::Error| format!("{}: {e}", path.display());
        if !path.is_file() {
            return Err(format!("{}: no such file", path.display()));
        }
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let connection = if Path::new(&wal).exists() {
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        } else {
            let mut uri = url_path(path);
            uri.insert_str(0, "file:");
            uri.push_str("?immutable=1");
            Connection::open_with_flags(
                uri,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
            )
        }
        .map_err(failed)?;
        // A database of an earlier version may hold only one of the two tables.
        let tables: i64 = connection
            .query_row(
                "SELECT count(*) FROM sqlite_master
                 WHERE type = 'table' AND name IN ('submissions', 'consent_log')",
                [],
                |row| row.get(0),
            )
            .map_err(|e| format!("{}: not a keksdose database ({e})", path.display()))?;
        if tables == 0 {
            return Err(format!("{}: not a keksdose database", path.display()));
        }
        Ok(Sqlite {
            connection: Mutex::new(connection),
            path: path.to_owned(),
        })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half done (SQLite rolls it
        // back), so the connection is still good.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// `path` for a `file:` URI: characters with a meaning in URIs percent-encoded.
fn url_path(path: &Path) -> String {
    let mut out = String::new();
    for byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'?' | b'#' | b'%' => out.push_str(&format!("%{byte:02X}")),
            _ => out.push(char::from(*byte)),
        }
    }
    out
}

impl Store for Sqlite {
    fn store_submission(&self, submission: &Submission<'_>) -> Result<Stored, StoreError> {
        let failed = |e: rusqlite::Error| StoreError::Database(database(e));
        let mut connection = self.connection();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let existing: Option<Vec<u8>> = transaction
            .query_row(
                "SELECT envelope FROM submissions WHERE submission_id = ?1",
                [submission.submission_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(failed)?;
        match existing {
            Some(envelope) if envelope == submission.envelope => return Ok(Stored::AlreadyThere),
            Some(_) => return Err(StoreError::Conflict),
            None => {}
        }
        transaction
            .execute(
                "INSERT INTO submissions
                 (tenant, form_id, submission_id, kid, created, received, envelope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    submission.tenant,
                    submission.form_id,
                    submission.submission_id,
                    submission.kid,
                    submission.created as i64,
                    submission.received as i64,
                    submission.envelope,
                ],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(Stored::New)
    }

    fn append_record(
        &self,
        record: &Record,
        text: &str,
        received: u64,
    ) -> Result<Appended, String> {
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

    fn entries(&self, tenant: &str, consent_id: Option<&str>) -> Result<Vec<Entry>, String> {
        entries(&self.connection(), tenant, consent_id)
    }

    fn chain(&self, tenant: &str) -> Result<Chain, String> {
        let mut connection = self.connection();
        // One read transaction: retention in between cannot make a sound chain look broken.
        let transaction = connection.transaction().map_err(database)?;
        Ok(Chain {
            anchor: anchor(&transaction, tenant)?,
            entries: entries(&transaction, tenant, None)?,
        })
    }

    fn delete_records_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String> {
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

    fn delete_submissions_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String> {
        let deleted = self
            .connection()
            .execute(
                "DELETE FROM submissions WHERE tenant = ?1 AND received < ?2",
                params![tenant, cutoff as i64],
            )
            .map_err(database)?;
        Ok(deleted as u64)
    }

    fn envelopes(&self) -> Result<Vec<StoredEnvelope>, String> {
        let connection = self.connection();
        let mut statement = connection
            .prepare("SELECT id, envelope FROM submissions ORDER BY id")
            .map_err(database)?;
        statement
            .query_map([], |row| {
                let envelope = row
                    .get::<_, Vec<u8>>(1)
                    .map_err(|e| format!("not an envelope: {e}"));
                Ok((row.get(0)?, envelope))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Checkpoints the write-ahead log into the database file and empties it; waits up to 5 s
    /// for a write in progress.
    fn close(&self) -> Result<(), String> {
        let failed = |e: rusqlite::Error| format!("{}: checkpoint: {e}", self.path.display());
        let busy: i64 = self
            .connection()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .map_err(failed)?;
        if busy != 0 {
            return Err(format!(
                "{}: checkpoint: the database stayed busy",
                self.path.display()
            ));
        }
        Ok(())
    }
}

fn entries(
    connection: &Connection,
    tenant: &str,
    consent_id: Option<&str>,
) -> Result<Vec<Entry>, String> {
    let mut statement = connection
        .prepare(
            "SELECT seq, received, record, hash FROM consent_log
             WHERE tenant = ?1 AND (?2 IS NULL OR consent_id = ?2) ORDER BY seq",
        )
        .map_err(database)?;
    statement
        .query_map(params![tenant, consent_id], |row| {
            Ok(Entry {
                seq: row.get(0)?,
                received: row.get(1)?,
                record: row.get(2)?,
                hash: row.get(3)?,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(database)
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
