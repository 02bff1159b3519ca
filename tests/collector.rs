//! `keksdose collect` over real HTTP on loopback: clients that stop reading or sending are cut
//! off and the collector answers again; stalled uploads give their memory back; and `kill -9`
//! at random moments under load loses no acknowledged submission or record and leaves none
//! partial — on SQLite and on a real PostgreSQL.
#![cfg(feature = "cli")]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keksdose::collector;
use keksdose::consent::Method;
use keksdose::consent::record::Record;
use keksdose::seal::envelope::{Header, MEDIA_TYPE};
use keksdose::seal::keys::PublicKey;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The demo site's config: tenant `musterstadt` with the demo seal key.
fn config() -> PathBuf {
    Path::new(ROOT).join("www/keksdose.json")
}

fn public_key() -> PublicKey {
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(config()).expect("config")).expect("json");
    config["seal"]["keys"][0]["publicKey"]
        .as_str()
        .expect("publicKey")
        .parse()
        .expect("public key")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kd-collector-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A running `keksdose collect`.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(db: &str, options: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keksdose"))
            .args(["collect", "--port", "0", "--config"])
            .arg(config())
            .args(["--db", db])
            .args(options)
            .stdout(Stdio::piped())
            .spawn()
            .expect("collect");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("line");
        let port = line
            .trim()
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    /// `kill -9`: no chance to clean up.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive HTTP/1.1 client.
struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(Client {
            stream: BufReader::new(stream),
        })
    }

    /// POSTs `body`; the status once the whole answer is read.
    fn post(&mut self, path: &str, content_type: &str, body: &[u8]) -> std::io::Result<u16> {
        let stream = self.stream.get_mut();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )?;
        stream.write_all(body)?;
        let mut line = String::new();
        self.stream.read_line(&mut line)?;
        let status = line
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("no status line: {line:?}")))?;
        let mut length = 0;
        loop {
            line.clear();
            self.stream.read_line(&mut line)?;
            if line.trim().is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body)?;
        Ok(status)
    }
}

/// A consent record for `musterstadt` with a fresh id.
fn record(n: u32) -> (String, String) {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).expect("random");
    let record_id = keksdose::base64::url(&id);
    let record = Record {
        record_id: record_id.clone(),
        consent_id: "C".repeat(22),
        tenant: "musterstadt".into(),
        timestamp: 1_796_000_000 + u64::from(n),
        revision: "AAAAbbbbCCCC".into(),
        config_hash: "0f".repeat(32),
        language: "de",
        method: Method::RejectAll,
        withdrawal: false,
        categories: vec![("analytics".into(), false)],
        services: vec![],
        expires_at: 1_800_000_000,
    };
    (record_id, record.to_json())
}

/// Waits until the collector answers a submission again, at most `within`.
fn answers_within(port: u16, within: Duration) -> Duration {
    let start = Instant::now();
    let sealed = support::seal(&public_key(), &[("name", "Wieder da")], &[]);
    loop {
        let status = Client::connect(port)
            .and_then(|mut c| c.post("/inbox/musterstadt", MEDIA_TYPE, &sealed));
        if status.is_ok_and(|s| s == 201 || s == 200) {
            return start.elapsed();
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
    let started = Instant::now();
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
    // The collector answers again once the idle timeout (2 s) cut the stalled ones.
    answers_within(server.port, Duration::from_secs(15));
    for mut hog in hogs {
        hog.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut sink = vec![0; 1 << 20];
        // Whatever was answered can still be read; then the connection is closed.
        let closed = loop {
            match hog.read(&mut sink) {
                Ok(0) | Err(_) => break true,
                Ok(_) => {}
            }
        };
        assert!(closed);
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "every stalled connection was closed after the idle timeout"
    );
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
        &["--idle-timeout", "2", "--body-memory", "1"],
    );
    let scan = vec![7u8; 100_000];
    let sealed = support::seal(&public_key(), &[("name", "Müller")], &[("scan.pdf", &scan)]);
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
    std::thread::sleep(Duration::from_millis(300));
    let mut client = Client::connect(server.port).expect("connect");
    assert_eq!(
        client
            .post("/inbox/musterstadt", MEDIA_TYPE, &sealed)
            .expect("answer"),
        503,
        "the budget is held by the stalled uploads"
    );
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
            while stream.write_all(b" ").is_ok() && start.elapsed() < Duration::from_secs(20) {
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
    let waited = answers_within(server.port, Duration::from_secs(15));
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    let (cut_after, answer) = trickle.join().expect("trickle");
    assert!(
        answer.starts_with("HTTP/1.1 408") && cut_after < Duration::from_secs(10),
        "the trickling body is refused at its deadline: {answer:?} after {cut_after:?}"
    );
    drop(stalled);
    // Nothing partial was stored: one submission, the one that got through.
    drop(server);
    let store = collector::open(db.to_str().expect("utf-8"), true).expect("store");
    assert_eq!(store.envelopes().expect("envelopes").len(), 1);
}

/// Load on the collector at `url`: `threads` clients posting submissions and records until
/// `stop`, each acknowledged one noted.
struct Load {
    port: Arc<AtomicU16>,
    stop: Arc<AtomicBool>,
    submissions: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    records: Arc<Mutex<BTreeSet<String>>>,
}

impl Load {
    fn run(&self, threads: usize) -> Vec<std::thread::JoinHandle<()>> {
        let public = public_key();
        (0..threads)
            .map(|t| {
                let (port, stop) = (Arc::clone(&self.port), Arc::clone(&self.stop));
                let (submissions, records) =
                    (Arc::clone(&self.submissions), Arc::clone(&self.records));
                std::thread::spawn(move || {
                    let mut n = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(mut client) = Client::connect(port.load(Ordering::Relaxed)) else {
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

/// Starts the collector on `db`, kills it with SIGKILL at a random moment under load, 20 times;
/// then every acknowledged submission is stored whole, every acknowledged record once, and the
/// chain verifies.
fn kill_9_under_load(db: &str) {
    let load = Load {
        port: Arc::new(AtomicU16::new(0)),
        stop: Arc::new(AtomicBool::new(false)),
        submissions: Arc::default(),
        records: Arc::default(),
    };
    let server = Server::start(db, &[]);
    load.port.store(server.port, Ordering::Relaxed);
    let clients = load.run(8);
    let mut server = Some(server);
    for _ in 0..20 {
        let mut random = [0u8; 2];
        getrandom::fill(&mut random).expect("random");
        std::thread::sleep(Duration::from_millis(
            100 + u64::from(u16::from_le_bytes(random) % 300),
        ));
        if let Some(running) = server.take() {
            running.kill();
        }
        let restarted = Server::start(db, &[]);
        load.port.store(restarted.port, Ordering::Relaxed);
        server = Some(restarted);
    }
    std::thread::sleep(Duration::from_millis(300));
    load.stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client");
    }
    if let Some(running) = server.take() {
        running.kill();
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
            Record::from_json(&e.record)
                .expect("a whole record")
                .record_id
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
        "{db}: 20 kills, {} acknowledged submissions and {} records all there ({} stored)",
        acknowledged.len(),
        records.len(),
        verified.entries
    );
}

#[test]
fn kill_9_under_load_loses_nothing_acknowledged_sqlite() {
    let dir = scratch("kill-sqlite");
    kill_9_under_load(dir.join("inbox.sqlite").to_str().expect("utf-8"));
}

#[test]
fn kill_9_under_load_loses_nothing_acknowledged_postgres() {
    let server = support::Postgres::start("kill");
    kill_9_under_load(&server.database("kill"));
}
