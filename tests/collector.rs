//! `keksdose collect` over real HTTP on loopback: clients that stop reading or sending are cut
//! off and the collector answers again; stalled uploads give their memory back; and `kill -9`
//! at random moments under load loses no acknowledged submission or record and leaves none
//! partial — on SQLite and on a real PostgreSQL.
#![cfg(feature = "cli")]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keksdose::collector;
use keksdose::consent::record::Record;
use keksdose::seal::envelope::{Header, MEDIA_TYPE};
use support::{Client, Server, public_key, record, scratch};

/// Waits until the collector answers a submission again, at most `within`.
fn answers_within(port: u16, within: Duration) {
    let start = Instant::now();
    let sealed = support::seal(&public_key(), &[("name", "Wieder da")], &[]);
    loop {
        let status = Client::connect(port)
            .and_then(|mut c| c.post("/inbox/musterstadt", MEDIA_TYPE, &sealed));
        if status.is_ok_and(|s| s == 201 || s == 200) {
            return;
        }
        assert!(start.elapsed() < within, "no answer within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn clients_that_stop_reading_or_sending_are_cut_off() {
    let dir = scratch("stalls");
    let db = dir.join("inbox.sqlite");
    let server = Server::start(
        db.to_str().expect("utf-8"),
        &["--idle-timeout", "2", "--max-connections", "16"],
    );
    // 16 clients take every connection slot: each pipelines requests and never reads, until
    // the answers fill the socket buffers and the collector cannot write.
    let request = "POST /keksdose/receipts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    let pipelined = request.repeat(4096);
    let hogs: Vec<TcpStream> = (0..16)
        .map(|_| {
            let pipelined = pipelined.clone();
            let port = server.port;
            std::thread::spawn(move || {
                let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream
                    .set_write_timeout(Some(Duration::from_millis(500)))
                    .expect("timeout");
                let mut writer = &stream;
                // Keep writing until the collector stops reading.
                while writer.write_all(pipelined.as_bytes()).is_ok() {}
                stream
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|hog| hog.join().expect("hog"))
        .collect();
    // A head that never ends holds nothing for long either.
    let mut slow_head = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    slow_head
        .write_all(b"POST /inbox/musterstadt HTTP/1.1\r\nHost: x\r\n")
        .expect("head");
    // The collector answers again once the idle timeout (2 s) cut the stalled ones (the bound
    // is generous: a loaded machine is slow, a collector that holds them never answers).
    answers_within(server.port, Duration::from_secs(60));
    for mut hog in hogs {
        hog.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut sink = vec![0; 1 << 20];
        // Whatever was answered can still be read; then the collector has closed the
        // connection (end of stream, or a reset for what it never read) — a read that times
        // out means it still holds it.
        let closed = loop {
            match hog.read(&mut sink) {
                Ok(0) => break Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        assert!(
            closed.is_ok(),
            "a stalled connection is still held: {closed:?}"
        );
    }
    slow_head
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut answer = Vec::new();
    let _ = slow_head.read_to_end(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "the slow head is closed: {}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn stalled_and_trickling_uploads_give_their_memory_back() {
    let dir = scratch("uploads");
    let db = dir.join("inbox.sqlite");
    // 1 MiB of body memory: five stalled uploads of 200 kB hold nearly all of it.
    let server = Server::start(
        db.to_str().expect("utf-8"),
        &["--idle-timeout", "5", "--body-memory", "1"],
    );
    let scan = vec![7u8; 100_000];
    let stalled: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
            write!(
                stream,
                "POST /inbox/musterstadt HTTP/1.1\r\nHost: x\r\nContent-Type: {MEDIA_TYPE}\r\nContent-Length: 200000\r\n\r\nKS"
            )
            .expect("head");
            stream
        })
        .collect();
    // Once the collector took up the stalled uploads, their memory is held: a submission is
    // refused. (Each try is a new submission; one that got in before is counted.)
    let mut stored = 0;
    let held = (0..100).any(|_| {
        let sealed = support::seal(&public_key(), &[("name", "Müller")], &[("scan.pdf", &scan)]);
        let status = Client::connect(server.port)
            .and_then(|mut c| c.post("/inbox/musterstadt", MEDIA_TYPE, &sealed))
            .expect("answer");
        stored += usize::from(status == 201);
        std::thread::sleep(Duration::from_millis(20));
        status == 503
    });
    assert!(held, "the budget is held by the stalled uploads");
    // A body that trickles (one byte every 300 ms: never idle) runs into its deadline.
    let trickle = std::thread::spawn({
        let port = server.port;
        move || {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            write!(
                stream,
                "POST /keksdose/receipts HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
            )
            .expect("head");
            let start = Instant::now();
            while stream.write_all(b" ").is_ok() && start.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(300));
                let mut peek = [0u8; 12];
                stream.set_nonblocking(true).expect("nonblocking");
                let read = stream.peek(&mut peek);
                stream.set_nonblocking(false).expect("blocking");
                if read.is_ok_and(|n| n > 0) {
                    return (start.elapsed(), String::from_utf8_lossy(&peek).into_owned());
                }
            }
            (start.elapsed(), String::new())
        }
    });
    // Generous bounds: a loaded machine is slow; a collector that held the memory or the
    // trickling body would never answer, never refuse.
    answers_within(server.port, Duration::from_secs(60));
    let (cut_after, answer) = trickle.join().expect("trickle");
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "the trickling body is refused at its deadline: {answer:?} after {cut_after:?}"
    );
    drop(stalled);
    // Nothing partial was stored: only the submissions that got through.
    drop(server);
    let store = collector::open(db.to_str().expect("utf-8"), true).expect("store");
    assert_eq!(store.envelopes().expect("envelopes").len(), stored + 1);
}

/// Load on the collector at `url`: `threads` clients posting submissions and records until
/// `stop`, each one sent and each acknowledged one noted.
struct Load {
    /// The collector processes' ports; client `t` talks to `ports[t % len]`.
    ports: Arc<Vec<AtomicU16>>,
    stop: Arc<AtomicBool>,
    /// Every submission and record sent, by id.
    sent: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    submissions: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    records: Arc<Mutex<BTreeSet<String>>>,
}

impl Load {
    fn run(&self, threads: usize) -> Vec<std::thread::JoinHandle<()>> {
        let public = public_key();
        (0..threads)
            .map(|t| {
                let (ports, stop) = (Arc::clone(&self.ports), Arc::clone(&self.stop));
                let (submissions, records) =
                    (Arc::clone(&self.submissions), Arc::clone(&self.records));
                let sent = Arc::clone(&self.sent);
                std::thread::spawn(move || {
                    let mut n = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        let port = ports[t % ports.len()].load(Ordering::Relaxed);
                        let Ok(mut client) = Client::connect(port) else {
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        };
                        loop {
                            n += 1;
                            let ok = if (n + t as u32).is_multiple_of(2) {
                                let sealed = support::seal(&public, &[("n", &n.to_string())], &[]);
                                let id = Header::parse(&sealed)
                                    .expect("header")
                                    .0
                                    .submission_id_hex();
                                sent.lock()
                                    .expect("lock")
                                    .insert(id.clone(), sealed.clone());
                                let status = client.post("/inbox/musterstadt", MEDIA_TYPE, &sealed);
                                status.is_ok_and(|s| {
                                    assert!(s == 201 || s == 503, "status {s}");
                                    s == 201
                                }) && submissions
                                    .lock()
                                    .expect("lock")
                                    .insert(id, sealed)
                                    .is_none()
                            } else {
                                let (id, text) = record(n);
                                sent.lock()
                                    .expect("lock")
                                    .insert(id.clone(), text.clone().into_bytes());
                                let status = client.post(
                                    "/keksdose/receipts",
                                    "text/plain",
                                    text.as_bytes(),
                                );
                                status.is_ok_and(|s| {
                                    assert!(s == 204 || s == 503, "status {s}");
                                    s == 204
                                }) && records.lock().expect("lock").insert(id)
                            };
                            if !ok || stop.load(Ordering::Relaxed) {
                                break;
                            }
                        }
                    }
                })
            })
            .collect()
    }
}

/// Starts `processes` collectors on `db`, kills one of them with SIGKILL at a random moment
/// under load, 20 times, restarting it each time; then every acknowledged submission is stored
/// whole, every acknowledged record once, nothing stored differs from what was sent, and the
/// chain verifies.
fn kill_9_under_load(db: &str, processes: usize) {
    let mut servers: Vec<Server> = (0..processes).map(|_| Server::start(db, &[])).collect();
    let load = Load {
        ports: Arc::new(servers.iter().map(|s| AtomicU16::new(s.port)).collect()),
        stop: Arc::new(AtomicBool::new(false)),
        sent: Arc::default(),
        submissions: Arc::default(),
        records: Arc::default(),
    };
    let clients = load.run(8);
    for kill in 0..20 {
        let mut random = [0u8; 2];
        getrandom::fill(&mut random).expect("random");
        std::thread::sleep(Duration::from_millis(
            100 + u64::from(u16::from_le_bytes(random) % 300),
        ));
        let victim = kill % processes;
        let restarted = Server::start(db, &[]);
        load.ports[victim].store(restarted.port, Ordering::Relaxed);
        std::mem::replace(&mut servers[victim], restarted).kill();
    }
    std::thread::sleep(Duration::from_millis(300));
    load.stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client");
    }
    for server in servers {
        server.kill();
    }
    let store = collector::open(db, true).expect("store");
    let stored: BTreeMap<String, Vec<u8>> = store
        .envelopes()
        .expect("envelopes")
        .into_iter()
        .map(|(row, envelope)| {
            let envelope = envelope.unwrap_or_else(|e| panic!("row {row}: {e}"));
            let id = Header::parse(&envelope)
                .expect("a whole header")
                .0
                .submission_id_hex();
            (id, envelope)
        })
        .collect();
    let sent = load.sent.lock().expect("lock");
    for (id, envelope) in &stored {
        assert_eq!(
            sent.get(id),
            Some(envelope),
            "stored submission {id} is whole"
        );
    }
    let acknowledged = load.submissions.lock().expect("lock");
    assert!(acknowledged.len() > 100, "load ran: {}", acknowledged.len());
    for (id, envelope) in acknowledged.iter() {
        assert_eq!(
            stored.get(id),
            Some(envelope),
            "acknowledged submission {id}"
        );
    }
    let entries = store.entries("musterstadt", None).expect("entries");
    let logged: BTreeSet<String> = entries
        .iter()
        .map(|e| {
            let id = Record::from_json(&e.record)
                .expect("a whole record")
                .record_id;
            assert_eq!(
                sent.get(&id).map(Vec::as_slice),
                Some(e.record.as_bytes()),
                "record {id} is stored as sent"
            );
            id
        })
        .collect();
    assert_eq!(logged.len(), entries.len(), "every record once");
    let records = load.records.lock().expect("lock");
    assert!(records.len() > 100, "load ran: {}", records.len());
    assert!(
        records.is_subset(&logged),
        "every acknowledged record is there"
    );
    let verified = collector::verify(&*store, "musterstadt")
        .expect("db")
        .expect("the chain verifies");
    println!(
        "{db}, {processes} process(es): 20 kills, {} acknowledged submissions and {} records all there ({} stored)",
        acknowledged.len(),
        records.len(),
        verified.entries
    );
}

#[test]
fn kill_9_under_load_loses_nothing_acknowledged_sqlite() {
    let dir = scratch("kill-sqlite");
    kill_9_under_load(dir.join("inbox.sqlite").to_str().expect("utf-8"), 1);
}

#[test]
fn kill_9_of_two_collectors_on_one_postgres_loses_nothing_acknowledged() {
    let server = support::Postgres::start("kill");
    let url = server.database("kill");
    kill_9_under_load(&url, 2);
    // The command-line tools read the PostgreSQL store by its URL.
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_keksdose"))
            .args(args)
            .output()
            .expect("run")
    };
    // A consent ID may start with `-` (base64url).
    let lookup = run(&[
        "receipts",
        "--db",
        &url,
        "--tenant",
        "musterstadt",
        "--consent-id",
        "-cfwpmEktGd7MpFOgLIAsA",
    ]);
    assert!(
        lookup.status.success(),
        "{}",
        String::from_utf8_lossy(&lookup.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&lookup.stdout).trim(), "[]");
    let verified = run(&[
        "receipts",
        "--db",
        &url,
        "--tenant",
        "musterstadt",
        "--verify",
    ]);
    assert!(verified.status.success());
    assert!(String::from_utf8_lossy(&verified.stdout).contains("chain intact"));
    let key = Path::new(support::ROOT).join("tests/fixtures/demo-secret.key");
    let opened = run(&["open", "--key", key.to_str().expect("utf-8"), &url]);
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    let opened: serde_json::Value = serde_json::from_slice(&opened.stdout).expect("json");
    let stored = collector::open(&url, true)
        .expect("store")
        .envelopes()
        .expect("envelopes")
        .len();
    assert_eq!(opened.as_array().map(Vec::len), Some(stored));
}

#[test]
fn a_collector_file_names_tenants_with_their_own_retention() {
    let dir = scratch("file");
    let demo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(support::config()).expect("config"))
            .expect("json");
    let mut other = demo.clone();
    other["tenant"] = "beispieldorf".into();
    std::fs::write(dir.join("musterstadt.json"), demo.to_string()).expect("write");
    std::fs::write(dir.join("beispieldorf.json"), other.to_string()).expect("write");
    // Old data in both tenants: consent records received 10 days ago, submissions 3 days ago.
    let db = dir.join("collector.sqlite");
    let now = collector::unix_now();
    {
        let store = collector::open(db.to_str().expect("utf-8"), false).expect("store");
        for tenant in ["musterstadt", "beispieldorf"] {
            for (n, age) in [(1, 10), (2, 10), (3, 0)] {
                let (_, text) = record(n);
                let text = text.replace("\"musterstadt\"", &format!("\"{tenant}\""));
                let parsed = Record::from_json(&text).expect("record");
                store
                    .append_record(&parsed, &text, now - age * 86_400)
                    .expect("append");
            }
            let id = format!("{tenant}-old");
            store
                .store_submission(&collector::Submission {
                    tenant,
                    form_id: "contact",
                    submission_id: &id,
                    kid: "00",
                    created: now - 3 * 86_400,
                    received: now - 3 * 86_400,
                    envelope: b"sealed",
                })
                .expect("store");
        }
    }
    let file = dir.join("collector.json");
    let write_file = |tenants: &str| {
        std::fs::write(
            &file,
            format!(
                r#"{{ "listen": "127.0.0.1:0", "store": "collector.sqlite",
                      "tenants": {{ {tenants} }},
                      "limits": {{ "idleTimeoutSeconds": 5 }} }}"#
            ),
        )
        .expect("collector file");
    };
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_keksdose"))
            .args(args)
            .output()
            .expect("run")
    };
    // Mistakes are named by their dotted path, and nothing starts.
    write_file(r#""musterstadt": { "config": "musterstadt.json", "consentRecordDay": 5 }"#);
    let refused = run(&["collect", file.to_str().expect("utf-8")]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("tenants.musterstadt.consentRecordDay"),
        "{stderr}"
    );
    write_file(r#""musterstadt": { "config": "beispieldorf.json" }"#);
    let refused = run(&["collect", file.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("tenants.musterstadt.config") && stderr.contains("tenant beispieldorf"),
        "{stderr}"
    );
    let both = run(&[
        "collect",
        file.to_str().expect("utf-8"),
        "--config",
        "x.json",
    ]);
    assert_eq!(both.status.code(), Some(2), "a file or flags, not both");

    // musterstadt keeps consent records 5 days and submissions 1 day; beispieldorf keeps all.
    write_file(
        r#""musterstadt": { "config": "musterstadt.json", "consentRecordDays": 5, "submissionDays": 1 },
           "beispieldorf": { "config": "beispieldorf.json" }"#,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_keksdose"))
        .arg("collect")
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("collect");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    while !lines
        .iter()
        .any(|l: &String| l.contains("submissions of musterstadt"))
    {
        let mut line = String::new();
        assert!(out.read_line(&mut line).expect("line") > 0, "{lines:?}");
        lines.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = lines.concat();
    assert!(
        log.contains("/inbox/beispieldorf, /inbox/musterstadt"),
        "both tenants: {log}"
    );
    let store = collector::open(db.to_str().expect("utf-8"), true).expect("store");
    let kept = |tenant: &str| store.entries(tenant, None).expect("entries").len();
    assert_eq!((kept("musterstadt"), kept("beispieldorf")), (1, 3));
    assert!(
        collector::verify(&*store, "musterstadt")
            .expect("db")
            .is_ok(),
        "what is left still verifies"
    );
    let submissions = store.envelopes().expect("envelopes");
    assert_eq!(
        submissions.len(),
        1,
        "only beispieldorf's submission is left"
    );
}
