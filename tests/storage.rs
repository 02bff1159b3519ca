//! The collector's stores — SQLite (a real file) and PostgreSQL (a real server from Debian's
//! package) — through one suite: submissions stored once, resends recognised, conflicts
//! refused; the consent log append-only per tenant, its hash chain detecting an edited,
//! inserted, deleted or reordered entry; retention that keeps the rest verifiable; tenant
//! separation; and two store instances (two collector processes) writing at once.
#![cfg(feature = "cli")]

mod support;

use keksdose::collector::{
    self, Appended, Store, StoreError, Stored, Submission, sqlite::Sqlite, verify,
};
use keksdose::consent::Method;
use keksdose::consent::record::Record;

/// One empty database of a backend: a way to open it (again) and to run SQL on it behind the
/// store's back.
trait Database {
    fn open(&self) -> Box<dyn Store>;
    fn sql(&self, statements: &str);
}

struct SqliteFile(std::path::PathBuf);

impl Database for SqliteFile {
    fn open(&self) -> Box<dyn Store> {
        Box::new(Sqlite::open(&self.0).expect("open"))
    }
    fn sql(&self, statements: &str) {
        let db = rusqlite::Connection::open(&self.0).expect("db");
        db.execute_batch(statements).expect(statements);
    }
}

struct PostgresDatabase(String);

impl Database for PostgresDatabase {
    fn open(&self) -> Box<dyn Store> {
        collector::open(&self.0, false).expect("connect")
    }
    fn sql(&self, statements: &str) {
        support::Postgres::sql(&self.0, statements);
    }
}

/// Every case of the suite, each on a fresh database from `fresh`.
fn suite(fresh: &dyn Fn(&str) -> Box<dyn Database>) {
    appends_once_and_verifies(&*fresh("append"));
    an_edited_inserted_deleted_or_reordered_entry_breaks_the_chain_there(fresh);
    retention_deletes_the_oldest_and_the_rest_still_verifies(&*fresh("retention"));
    tenants_are_separate_chains_and_lookups_never_cross(&*fresh("tenants"));
    submissions_are_stored_once_per_id_and_per_tenant(&*fresh("submissions"));
    two_writers_at_once_keep_one_chain(&*fresh("writers"));
}

#[test]
fn sqlite() {
    let dir = std::env::temp_dir().join(format!("kd-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    suite(&|name| Box::new(SqliteFile(dir.join(format!("{name}.sqlite")))));
    std::fs::remove_dir_all(&dir).expect("clean");
}

#[test]
fn postgres() {
    let server = support::Postgres::start("store");
    suite(&|name| Box::new(PostgresDatabase(server.database(&name.replace('-', "_")))));
}

fn record(tenant: &str, n: u8, consent: u8) -> (Record, String) {
    let id = |c: u8| String::from(char::from(b'A' + c % 26)).repeat(22);
    let record = Record {
        record_id: format!("{}{:02}", "r".repeat(20), n),
        consent_id: id(consent),
        tenant: tenant.into(),
        timestamp: 1_796_000_000 + u64::from(n),
        revision: "AAAAbbbbCCCC".into(),
        config_hash: "0f".repeat(32),
        language: "de".into(),
        method: Method::AcceptAll,
        withdrawal: false,
        categories: vec![("analytics".into(), true)],
        services: vec![],
        expires_at: 1_800_000_000,
    };
    let text = record.to_json();
    assert_eq!(Record::from_json(&text).as_ref(), Ok(&record));
    (record, text)
}

fn fill(log: &dyn Store, tenant: &str, count: u8) {
    for n in 1..=count {
        let (record, text) = record(tenant, n, n % 3);
        let appended = log.append_record(&record, &text, 1_796_000_000 + u64::from(n) * 100);
        assert_eq!(appended, Ok(Appended::New(u64::from(n))));
    }
}

fn hex(bytes: &[u8]) -> String {
    keksdose::strings::hex(bytes)
}

fn appends_once_and_verifies(db: &dyn Database) {
    let log = db.open();
    fill(&*log, "musterstadt", 5);
    let (again, text) = record("musterstadt", 3, 0);
    assert_eq!(
        log.append_record(&again, &text, 1_796_999_999),
        Ok(Appended::AlreadyThere(3)),
        "a resent record is not stored twice"
    );
    let verified = verify(&*log, "musterstadt").expect("db").expect("intact");
    assert_eq!((verified.entries, verified.head_seq), (5, 5));
    assert_eq!(verified.head_hash.len(), 64);
    let entries = log.entries("musterstadt", None).expect("entries");
    assert_eq!(
        hex(&entries[4].hash),
        verified.head_hash,
        "the head is the last entry"
    );
    // Reopened, the chain goes on where it was.
    drop(log);
    let log = db.open();
    let (next, text) = record("musterstadt", 6, 1);
    assert_eq!(
        log.append_record(&next, &text, 1_797_000_000),
        Ok(Appended::New(6))
    );
    assert!(verify(&*log, "musterstadt").expect("db").is_ok());
}

fn an_edited_inserted_deleted_or_reordered_entry_breaks_the_chain_there(
    fresh: &dyn Fn(&str) -> Box<dyn Database>,
) {
    for (name, tamper, at) in [
        (
            "edited",
            "UPDATE consent_log SET record = replace(record, '\"given\"', '\"refused\"') WHERE seq = 3",
            3,
        ),
        ("deleted", "DELETE FROM consent_log WHERE seq = 2", 3),
        (
            "inserted",
            "UPDATE consent_log SET seq = seq + 100 WHERE seq >= 4;
             UPDATE consent_log SET seq = seq - 99 WHERE seq >= 100;
             INSERT INTO consent_log SELECT tenant, 4, received, 'forged', consent_id, record, hash
               FROM consent_log WHERE seq = 3",
            4,
        ),
        (
            "reordered",
            "UPDATE consent_log SET seq = 0 WHERE seq = 2; UPDATE consent_log SET seq = 2 WHERE seq = 3;
             UPDATE consent_log SET seq = 3 WHERE seq = 0",
            2,
        ),
        ("received-time-changed", "UPDATE consent_log SET received = received + 1 WHERE seq = 5", 5),
    ] {
        let db = fresh(name);
        let log = db.open();
        fill(&*log, "musterstadt", 6);
        db.sql(tamper);
        let broken = verify(&*log, "musterstadt").expect("db").expect_err(name);
        assert_eq!(broken.seq, at, "{name}: {}", broken.why);
    }
}

fn retention_deletes_the_oldest_and_the_rest_still_verifies(db: &dyn Database) {
    let log = db.open();
    fill(&*log, "musterstadt", 6);
    fill(&*log, "beispieldorf", 2);
    let head = verify(&*log, "musterstadt").expect("db").expect("intact");
    // Entries 1–3 were received before the cut-off (n × 100 s after the start).
    let deleted = log
        .delete_records_before("musterstadt", 1_796_000_000 + 350)
        .expect("retention");
    assert_eq!(deleted, 3);
    let entries = log.entries("musterstadt", None).expect("entries");
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5, 6]);
    assert_eq!(
        log.entries("beispieldorf", None).expect("entries").len(),
        2,
        "another tenant's retention is its own"
    );
    let after = verify(&*log, "musterstadt")
        .expect("db")
        .expect("still intact");
    assert_eq!(
        (after.entries, after.head_seq, &after.head_hash),
        (3, 6, &head.head_hash),
        "the same head: nothing after the cut changed"
    );
    // Deleting one of the kept ones outside retention is still detected.
    db.sql("DELETE FROM consent_log WHERE tenant = 'musterstadt' AND seq = 4");
    assert_eq!(
        verify(&*log, "musterstadt")
            .expect("db")
            .expect_err("gap")
            .seq,
        5
    );
    // Appending continues the chain after retention.
    log.delete_records_before("beispieldorf", u64::MAX >> 2)
        .expect("all");
    let (next, text) = record("beispieldorf", 9, 0);
    assert_eq!(
        log.append_record(&next, &text, 1_797_000_000),
        Ok(Appended::New(3))
    );
    assert!(verify(&*log, "beispieldorf").expect("db").is_ok());
}

fn tenants_are_separate_chains_and_lookups_never_cross(db: &dyn Database) {
    let log = db.open();
    fill(&*log, "musterstadt", 4);
    fill(&*log, "beispieldorf", 2);
    assert_eq!(log.entries("beispieldorf", None).expect("entries").len(), 2);
    // The same consent id in both tenants: each lookup sees its own tenant's records only.
    let own = log
        .entries("musterstadt", Some(&"B".repeat(22)))
        .expect("lookup");
    assert_eq!(own.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 4]);
    assert!(
        own.iter()
            .all(|e| e.record.contains("\"tenant\":\"musterstadt\""))
    );
    let other = log
        .entries("beispieldorf", Some(&"B".repeat(22)))
        .expect("lookup");
    assert_eq!(other.len(), 1);
    assert!(other[0].record.contains("\"tenant\":\"beispieldorf\""));
    assert!(verify(&*log, "musterstadt").expect("db").is_ok());
    assert!(verify(&*log, "beispieldorf").expect("db").is_ok());
    assert_eq!(
        verify(&*log, "nirgendwo")
            .expect("db")
            .expect("empty")
            .entries,
        0
    );
}

fn submission<'a>(
    tenant: &'a str,
    id: &'a str,
    received: u64,
    envelope: &'a [u8],
) -> Submission<'a> {
    Submission {
        tenant,
        form_id: "contact",
        submission_id: id,
        kid: "00ff",
        created: received - 1,
        received,
        envelope,
    }
}

fn submissions_are_stored_once_per_id_and_per_tenant(db: &dyn Database) {
    let store = db.open();
    let first = submission("musterstadt", "0011", 1000, b"one");
    assert_eq!(store.store_submission(&first), Ok(Stored::New));
    assert_eq!(store.store_submission(&first), Ok(Stored::AlreadyThere));
    assert_eq!(
        store.store_submission(&submission("musterstadt", "0011", 1001, b"two")),
        Err(StoreError::Conflict),
        "another envelope under a stored id"
    );
    assert_eq!(
        store.store_submission(&submission("beispieldorf", "0022", 2000, b"three")),
        Ok(Stored::New)
    );
    assert_eq!(
        store.store_submission(&submission("musterstadt", "0033", 3000, b"four")),
        Ok(Stored::New)
    );
    let envelopes: Vec<Vec<u8>> = store
        .envelopes()
        .expect("envelopes")
        .into_iter()
        .map(|(_, e)| e.expect("an envelope"))
        .collect();
    assert_eq!(
        envelopes,
        [b"one".to_vec(), b"three".to_vec(), b"four".to_vec()]
    );
    // Retention per tenant: only musterstadt's older one goes.
    assert_eq!(store.delete_submissions_before("musterstadt", 2500), Ok(1));
    let left: Vec<Vec<u8>> = store
        .envelopes()
        .expect("envelopes")
        .into_iter()
        .map(|(_, e)| e.expect("an envelope"))
        .collect();
    assert_eq!(left, [b"three".to_vec(), b"four".to_vec()]);
    assert_eq!(store.close(), Ok(()));
}

/// Two store instances — as two collector processes would hold — append to one tenant's chain
/// and store the same submissions at once: every record once, one unbroken chain, every
/// submission once.
fn two_writers_at_once_keep_one_chain(db: &dyn Database) {
    let stores = [db.open(), db.open()];
    std::thread::scope(|scope| {
        for (w, store) in stores.iter().enumerate() {
            scope.spawn(move || {
                for n in 0..60u8 {
                    // Both writers send records 0..60 (each also the other's resend).
                    let (record, text) = record("musterstadt", n, n);
                    store
                        .append_record(&record, &text, 1_796_000_000 + u64::from(n))
                        .expect("append");
                    let id = format!("{n:04x}");
                    let stored = store
                        .store_submission(&submission("musterstadt", &id, 5000, id.as_bytes()))
                        .expect("store");
                    assert!(matches!(stored, Stored::New | Stored::AlreadyThere), "{w}");
                }
            });
        }
    });
    let verified = verify(&*stores[0], "musterstadt")
        .expect("db")
        .expect("one chain");
    assert_eq!(verified.entries, 60, "every record exactly once");
    assert_eq!(stores[1].envelopes().expect("envelopes").len(), 60);
}
