//! Where the collector keeps sealed submissions: behind [`Inbox`], an embedded SQLite database
//! by default (one file, write-ahead log). Another store (PostgreSQL for operators who outgrow
//! one machine) implements the same trait.
//!
//! A submission is stored by one `INSERT`, so it is either there completely or not at all.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

/// A sealed submission to store: the envelope and what the header says about it.
pub struct Incoming<'a> {
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

/// What storing did.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    /// Stored now.
    New,
    /// The very same envelope was stored before (a resend).
    AlreadyThere,
}

/// Why storing failed.
#[derive(Debug)]
pub enum InboxError {
    /// Another envelope with this submission id exists.
    Conflict,
    /// The database failed.
    Database(String),
}

/// A store of sealed submissions.
pub trait Inbox: Send + Sync {
    /// Stores one submission, completely or not at all.
    fn store(&self, incoming: &Incoming<'_>) -> Result<Stored, InboxError>;
}

/// A row of the inbox for `keksdose open`: its id, and the envelope or why it holds none.
pub type StoredEnvelope = (i64, Result<Vec<u8>, String>);

/// The embedded SQLite inbox.
pub struct Sqlite {
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
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
";

impl Sqlite {
    /// Opens (or creates) the database file for the collector.
    pub fn open(path: &Path) -> Result<Sqlite, String> {
        let connection = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        connection
            .execute_batch(SCHEMA)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Sqlite {
            connection: Mutex::new(connection),
        })
    }

    /// Retention: deletes the tenant's submissions received before `cutoff` (Unix seconds);
    /// how many.
    pub fn delete_received_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String> {
        let connection = self
            .connection
            .lock()
            .map_err(|_| "inbox retention: the inbox lock is poisoned".to_owned())?;
        let deleted = connection
            .execute(
                "DELETE FROM submissions WHERE tenant = ?1 AND received < ?2",
                params![tenant, cutoff as i64],
            )
            .map_err(|e| format!("inbox retention: {e}"))?;
        Ok(deleted as u64)
    }

    /// Moves everything in the write-ahead log into the database file and empties the log, so
    /// that the file alone holds every acknowledged submission and consent record (`serve` does
    /// this when it is stopped). Waits up to 5 s for a write in progress.
    pub fn checkpoint(path: &Path) -> Result<(), String> {
        let failed = |e: rusqlite::Error| format!("{}: checkpoint: {e}", path.display());
        let connection = Connection::open(path).map_err(failed)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(failed)?;
        let busy: i64 = connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .map_err(failed)?;
        if busy != 0 {
            return Err(format!(
                "{}: checkpoint: the database stayed busy",
                path.display()
            ));
        }
        Ok(())
    }

    /// Every stored envelope, oldest first, with its row id: for `keksdose open`. A row whose
    /// envelope is not a blob is answered with why, so that the others still open.
    ///
    /// Nothing is written, in the file or next to it: without a write-ahead log beside it the
    /// file is opened as immutable (SQLite then creates no `-wal` or `-shm` file); with one (the
    /// collector is running, or was killed) it is opened read-only and the log is read too, so
    /// that no acknowledged submission is missed.
    pub fn envelopes(path: &Path) -> Result<Vec<StoredEnvelope>, String> {
        let failed = |e: rusqlite::Error| format!("{}: {e}", path.display());
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
        let mut statement = connection
            .prepare("SELECT id, envelope FROM submissions ORDER BY id")
            .map_err(|e| format!("{}: not a keksdose inbox ({e})", path.display()))?;
        let rows = statement
            .query_map([], |row| {
                let envelope = row
                    .get::<_, Vec<u8>>(1)
                    .map_err(|e| format!("not an envelope: {e}"));
                Ok((row.get(0)?, envelope))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(failed)?;
        Ok(rows)
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

impl Inbox for Sqlite {
    fn store(&self, incoming: &Incoming<'_>) -> Result<Stored, InboxError> {
        let connection = self
            .connection
            .lock()
            .map_err(|_| InboxError::Database("the inbox lock is poisoned".into()))?;
        let database = |e: rusqlite::Error| InboxError::Database(e.to_string());
        let existing: Option<Vec<u8>> = connection
            .query_row(
                "SELECT envelope FROM submissions WHERE submission_id = ?1",
                [incoming.submission_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(database)?;
        match existing {
            Some(envelope) if envelope == incoming.envelope => Ok(Stored::AlreadyThere),
            Some(_) => Err(InboxError::Conflict),
            None => {
                connection
                    .execute(
                        "INSERT INTO submissions
                         (tenant, form_id, submission_id, kid, created, received, envelope)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            incoming.tenant,
                            incoming.form_id,
                            incoming.submission_id,
                            incoming.kid,
                            incoming.created as i64,
                            incoming.received as i64,
                            incoming.envelope,
                        ],
                    )
                    .map_err(database)?;
                Ok(Stored::New)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_once_recognises_resends_and_refuses_conflicts() {
        let dir = std::env::temp_dir().join(format!("kd-inbox-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("inbox.sqlite");
        let _ = std::fs::remove_file(&path);
        let inbox = Sqlite::open(&path).expect("open");
        let incoming = |envelope: &'static [u8]| Incoming {
            tenant: "musterstadt",
            form_id: "contact",
            submission_id: "00112233445566778899aabbccddeeff",
            kid: "k",
            created: 1,
            received: 2,
            envelope,
        };
        assert_eq!(inbox.store(&incoming(b"one")).expect("store"), Stored::New);
        assert_eq!(
            inbox.store(&incoming(b"one")).expect("store"),
            Stored::AlreadyThere
        );
        assert!(matches!(
            inbox.store(&incoming(b"two")),
            Err(InboxError::Conflict)
        ));
        let stored = Sqlite::envelopes(&path).expect("read");
        assert_eq!(stored, vec![(1, Ok(b"one".to_vec()))]);
        let mode: String = inbox
            .connection
            .lock()
            .expect("lock")
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .expect("pragma");
        assert_eq!(mode, "wal");
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}
