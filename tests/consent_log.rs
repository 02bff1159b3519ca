//! The consent log on a real SQLite file: append-only per tenant, the hash chain detecting an
//! edited, inserted, deleted or reordered entry, retention that keeps the rest verifiable, and
//! tenant separation.
#![cfg(feature = "collector")]

use std::path::PathBuf;

use keksdose::consent::Method;
use keksdose::consent::record::Record;
use keksdose::consent_log::{Appended, ConsentLog};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kd-log-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join("log.sqlite")
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
        language: "de",
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

fn fill(log: &ConsentLog, tenant: &str, count: u8) {
    for n in 1..=count {
        let (record, text) = record(tenant, n, n % 3);
        let appended = log.append(&record, &text, 1_796_000_000 + u64::from(n) * 100);
        assert_eq!(appended, Ok(Appended::New(u64::from(n))));
    }
}

fn sql(path: &PathBuf, statement: &str) {
    let db = rusqlite::Connection::open(path).expect("db");
    db.execute_batch(statement).expect(statement);
}

#[test]
fn appends_once_and_verifies() {
    let path = scratch("append");
    let log = ConsentLog::open(&path).expect("open");
    fill(&log, "musterstadt", 5);
    let (again, text) = record("musterstadt", 3, 0);
    assert_eq!(
        log.append(&again, &text, 1_796_999_999),
        Ok(Appended::AlreadyThere(3)),
        "a resent record is not stored twice"
    );
    let verified = log.verify("musterstadt").expect("db").expect("intact");
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
    let log = ConsentLog::open(&path).expect("reopen");
    let (next, text) = record("musterstadt", 6, 1);
    assert_eq!(
        log.append(&next, &text, 1_797_000_000),
        Ok(Appended::New(6))
    );
    assert!(log.verify("musterstadt").expect("db").is_ok());
}

fn hex(bytes: &[u8]) -> String {
    keksdose::strings::hex(bytes)
}

#[test]
fn an_edited_inserted_deleted_or_reordered_entry_breaks_the_chain_there() {
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
        ("received time changed", "UPDATE consent_log SET received = received + 1 WHERE seq = 5", 5),
    ] {
        let path = scratch(&name.replace(' ', "-"));
        let log = ConsentLog::open(&path).expect("open");
        fill(&log, "musterstadt", 6);
        sql(&path, tamper);
        let broken = log
            .verify("musterstadt")
            .expect("db")
            .expect_err(name);
        assert_eq!(broken.seq, at, "{name}: {}", broken.why);
    }
}

#[test]
fn retention_deletes_the_oldest_and_the_rest_still_verifies() {
    let path = scratch("retention");
    let log = ConsentLog::open(&path).expect("open");
    fill(&log, "musterstadt", 6);
    let head = log.verify("musterstadt").expect("db").expect("intact");
    // Entries 1–3 were received before the cut-off (n × 100 s after the start).
    let deleted = log
        .delete_before("musterstadt", 1_796_000_000 + 350)
        .expect("retention");
    assert_eq!(deleted, 3);
    let entries = log.entries("musterstadt", None).expect("entries");
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5, 6]);
    let after = log
        .verify("musterstadt")
        .expect("db")
        .expect("still intact");
    assert_eq!(
        (after.entries, after.head_seq, &after.head_hash),
        (3, 6, &head.head_hash),
        "the same head: nothing after the cut changed"
    );
    // Deleting one of the kept ones outside retention is still detected.
    sql(&path, "DELETE FROM consent_log WHERE seq = 4");
    assert_eq!(
        log.verify("musterstadt").expect("db").expect_err("gap").seq,
        5
    );
    // Appending continues the chain after retention.
    let path = scratch("retention-append");
    let log = ConsentLog::open(&path).expect("open");
    fill(&log, "musterstadt", 2);
    log.delete_before("musterstadt", u64::MAX >> 2)
        .expect("all");
    let (next, text) = record("musterstadt", 9, 0);
    assert_eq!(
        log.append(&next, &text, 1_797_000_000),
        Ok(Appended::New(3))
    );
    assert!(log.verify("musterstadt").expect("db").is_ok());
}

#[test]
fn tenants_are_separate_chains_and_lookups_never_cross() {
    let path = scratch("tenants");
    let log = ConsentLog::open(&path).expect("open");
    fill(&log, "musterstadt", 4);
    fill(&log, "beispieldorf", 2);
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
    assert!(log.verify("musterstadt").expect("db").is_ok());
    assert!(log.verify("beispieldorf").expect("db").is_ok());
    assert_eq!(
        log.verify("nirgendwo").expect("db").expect("empty").entries,
        0
    );
}
