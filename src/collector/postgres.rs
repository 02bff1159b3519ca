//! PostgreSQL as the collector's store (feature `postgres`), selected by a
//! `postgres://user@host/database` URL: for operators who run several collector processes (on
//! one or more machines) against one database.
//!
//! Several processes keep every guarantee of the [`Store`]: a submission's id is `UNIQUE`, so
//! two processes storing the same submission at once store it once; appends and retention of a
//! tenant's consent log take a transaction-scoped advisory lock on the tenant, so the chain
//! grows one entry at a time; a commit is acknowledged only after PostgreSQL made it durable
//! (its default `synchronous_commit = on`).
//!
//! The calls block (the `postgres` client); the HTTP service makes them on tokio's blocking
//! threads.

use std::sync::Mutex;

use postgres::{Client, NoTls, Transaction};

use super::{
    Appended, Chain, Entry, Store, StoreError, Stored, StoredEnvelope, Submission, chain_hash,
};
use crate::consent::record::Record;

/// Connections kept open for reuse; more are opened under load and closed afterwards.
const IDLE_CONNECTIONS: usize = 16;

/// The PostgreSQL store: a small pool of connections to one database.
pub struct Postgres {
    url: String,
    idle: Mutex<Vec<Client>>,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS submissions (
        id            BIGSERIAL PRIMARY KEY,
        tenant        TEXT   NOT NULL,
        form_id       TEXT   NOT NULL,
        submission_id TEXT   NOT NULL UNIQUE,
        kid           TEXT   NOT NULL,
        created       BIGINT NOT NULL,
        received      BIGINT NOT NULL,
        envelope      BYTEA  NOT NULL
    );
    CREATE INDEX IF NOT EXISTS submissions_by_tenant ON submissions (tenant, received);
    CREATE TABLE IF NOT EXISTS consent_log (
        tenant     TEXT   NOT NULL,
        seq        BIGINT NOT NULL,
        received   BIGINT NOT NULL,
        record_id  TEXT   NOT NULL,
        consent_id TEXT   NOT NULL,
        record     TEXT   NOT NULL,
        hash       BYTEA  NOT NULL,
        PRIMARY KEY (tenant, seq),
        UNIQUE (tenant, record_id)
    );
    CREATE INDEX IF NOT EXISTS consent_log_by_consent_id ON consent_log (tenant, consent_id);
    CREATE TABLE IF NOT EXISTS consent_log_anchor (
        tenant TEXT   PRIMARY KEY,
        seq    BIGINT NOT NULL,
        hash   BYTEA  NOT NULL
    );
";

fn database(error: postgres::Error) -> String {
    format!("PostgreSQL: {error}")
}

/// A stored 32-byte hash.
fn hash(bytes: Vec<u8>) -> Result<[u8; 32], String> {
    <[u8; 32]>::try_from(bytes).map_err(|_| "PostgreSQL: a stored hash is not 32 bytes".into())
}

/// A stored non-negative number.
fn number(value: i64) -> Result<u64, String> {
    u64::try_from(value).map_err(|_| "PostgreSQL: a stored number is negative".into())
}

/// A number to store.
fn signed(value: u64) -> Result<i64, String> {
    i64::try_from(value).map_err(|_| format!("{value} is too large to store"))
}

impl Postgres {
    /// Connects to the database at `url` and creates the tables that are missing.
    pub fn connect(url: &str) -> Result<Postgres, String> {
        let store = Postgres {
            url: url.to_owned(),
            idle: Mutex::new(Vec::new()),
        };
        store.with(|client| {
            let mut transaction = client.transaction().map_err(database)?;
            // Two processes starting at once would race on CREATE TABLE IF NOT EXISTS.
            transaction
                .execute("SELECT pg_advisory_xact_lock(7306011587353404461)", &[])
                .map_err(database)?;
            transaction.batch_execute(SCHEMA).map_err(database)?;
            transaction.commit().map_err(database)
        })?;
        Ok(store)
    }

    /// Runs `work` on a pooled connection; a connection that failed is not reused.
    fn with<T>(&self, work: impl FnOnce(&mut Client) -> Result<T, String>) -> Result<T, String> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut client = match pooled {
            Some(client) if !client.is_closed() => client,
            _ => Client::connect(&self.url, NoTls).map_err(|e| {
                // The URL may hold a password: name only where it failed.
                format!("PostgreSQL: cannot connect: {e}")
            })?,
        };
        let result = work(&mut client);
        if !client.is_closed() {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(client);
            }
        }
        result
    }
}

/// Serialises writers of one tenant's chain until the transaction ends.
fn lock_tenant(transaction: &mut Transaction<'_>, tenant: &str) -> Result<(), String> {
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('keksdose consent log ' || $1, 0))",
            &[&tenant],
        )
        .map_err(database)?;
    Ok(())
}

/// The tenant's anchor: the last entry deleted by retention, or `(0, zeros)`.
fn anchor(transaction: &mut Transaction<'_>, tenant: &str) -> Result<(u64, [u8; 32]), String> {
    let row = transaction
        .query_opt(
            "SELECT seq, hash FROM consent_log_anchor WHERE tenant = $1",
            &[&tenant],
        )
        .map_err(database)?;
    match row {
        Some(row) => Ok((number(row.get(0))?, hash(row.get(1))?)),
        None => Ok((0, [0; 32])),
    }
}

fn entries(
    transaction: &mut Transaction<'_>,
    tenant: &str,
    consent_id: Option<&str>,
) -> Result<Vec<Entry>, String> {
    transaction
        .query(
            "SELECT seq, received, record, hash FROM consent_log
             WHERE tenant = $1 AND ($2::TEXT IS NULL OR consent_id = $2) ORDER BY seq",
            &[&tenant, &consent_id],
        )
        .map_err(database)?
        .into_iter()
        .map(|row| {
            Ok(Entry {
                seq: number(row.get(0))?,
                received: number(row.get(1))?,
                record: row.get(2),
                hash: hash(row.get(3))?,
            })
        })
        .collect()
}

impl Store for Postgres {
    fn store_submission(&self, submission: &Submission<'_>) -> Result<Stored, StoreError> {
        self.with(|client| {
            let inserted = client
                .execute(
                    "INSERT INTO submissions
                     (tenant, form_id, submission_id, kid, created, received, envelope)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (submission_id) DO NOTHING",
                    &[
                        &submission.tenant,
                        &submission.form_id,
                        &submission.submission_id,
                        &submission.kid,
                        &signed(submission.created)?,
                        &signed(submission.received)?,
                        &submission.envelope,
                    ],
                )
                .map_err(database)?;
            if inserted == 1 {
                return Ok(Ok(Stored::New));
            }
            let existing: Vec<u8> = client
                .query_one(
                    "SELECT envelope FROM submissions WHERE submission_id = $1",
                    &[&submission.submission_id],
                )
                .map_err(database)?
                .get(0);
            Ok(if existing == submission.envelope {
                Ok(Stored::AlreadyThere)
            } else {
                Err(StoreError::Conflict)
            })
        })
        .map_err(StoreError::Database)?
    }

    fn append_record(
        &self,
        record: &Record,
        text: &str,
        received: u64,
    ) -> Result<Appended, String> {
        self.with(|client| {
            let mut transaction = client.transaction().map_err(database)?;
            lock_tenant(&mut transaction, &record.tenant)?;
            let existing = transaction
                .query_opt(
                    "SELECT seq FROM consent_log WHERE tenant = $1 AND record_id = $2",
                    &[&record.tenant, &record.record_id],
                )
                .map_err(database)?;
            if let Some(row) = existing {
                return Ok(Appended::AlreadyThere(number(row.get(0))?));
            }
            let last = transaction
                .query_opt(
                    "SELECT seq, hash FROM consent_log WHERE tenant = $1
                     ORDER BY seq DESC LIMIT 1",
                    &[&record.tenant],
                )
                .map_err(database)?;
            let (last_seq, last_hash) = match last {
                Some(row) => (number(row.get(0))?, hash(row.get(1))?),
                None => anchor(&mut transaction, &record.tenant)?,
            };
            let seq = last_seq + 1;
            let hash = chain_hash(&record.tenant, seq, received, text, &last_hash);
            transaction
                .execute(
                    "INSERT INTO consent_log
                     (tenant, seq, received, record_id, consent_id, record, hash)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &record.tenant,
                        &signed(seq)?,
                        &signed(received)?,
                        &record.record_id,
                        &record.consent_id,
                        &text,
                        &hash.as_slice(),
                    ],
                )
                .map_err(database)?;
            transaction.commit().map_err(database)?;
            Ok(Appended::New(seq))
        })
    }

    fn entries(&self, tenant: &str, consent_id: Option<&str>) -> Result<Vec<Entry>, String> {
        self.with(|client| {
            let mut transaction = client.transaction().map_err(database)?;
            entries(&mut transaction, tenant, consent_id)
        })
    }

    fn chain(&self, tenant: &str) -> Result<Chain, String> {
        self.with(|client| {
            // One snapshot: retention in between cannot make a sound chain look broken.
            let mut transaction = client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(database)?;
            Ok(Chain {
                anchor: anchor(&mut transaction, tenant)?,
                entries: entries(&mut transaction, tenant, None)?,
            })
        })
    }

    fn delete_records_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String> {
        self.with(|client| {
            let mut transaction = client.transaction().map_err(database)?;
            lock_tenant(&mut transaction, tenant)?;
            // The last entry to delete: the one before the first entry to keep.
            let last = transaction
                .query_opt(
                    "SELECT seq, hash FROM consent_log WHERE tenant = $1 AND seq < COALESCE(
                         (SELECT MIN(seq) FROM consent_log WHERE tenant = $1 AND received >= $2),
                         9223372036854775807)
                     ORDER BY seq DESC LIMIT 1",
                    &[&tenant, &signed(cutoff)?],
                )
                .map_err(database)?;
            let Some(last) = last else {
                return Ok(0);
            };
            let (seq, hash): (i64, Vec<u8>) = (last.get(0), last.get(1));
            let deleted = transaction
                .execute(
                    "DELETE FROM consent_log WHERE tenant = $1 AND seq <= $2",
                    &[&tenant, &seq],
                )
                .map_err(database)?;
            transaction
                .execute(
                    "INSERT INTO consent_log_anchor (tenant, seq, hash) VALUES ($1, $2, $3)
                     ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                    &[&tenant, &seq, &hash],
                )
                .map_err(database)?;
            transaction.commit().map_err(database)?;
            Ok(deleted)
        })
    }

    fn delete_submissions_before(&self, tenant: &str, cutoff: u64) -> Result<u64, String> {
        self.with(|client| {
            client
                .execute(
                    "DELETE FROM submissions WHERE tenant = $1 AND received < $2",
                    &[&tenant, &signed(cutoff)?],
                )
                .map_err(database)
        })
    }

    fn envelopes(&self) -> Result<Vec<StoredEnvelope>, String> {
        self.with(|client| {
            Ok(client
                .query("SELECT id, envelope FROM submissions ORDER BY id", &[])
                .map_err(database)?
                .into_iter()
                .map(|row| (row.get(0), Ok(row.get(1))))
                .collect())
        })
    }

    /// Nothing to do: PostgreSQL made every commit durable before it was acknowledged.
    fn close(&self) -> Result<(), String> {
        Ok(())
    }
}
