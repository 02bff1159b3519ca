//! Shared by the native tests and the collector benchmark: sealing a submission, a consent
//! record, `keksdose collect` as a child process, a keep-alive HTTP client, and a throwaway
//! PostgreSQL server.
//!
//! The PostgreSQL server: Debian's `postgresql` package (`initdb` and
//! `pg_ctl` of the newest version under /usr/lib/postgresql), a fresh data directory, a free
//! port on loopback. As root the server runs as the package's `postgres` user (PostgreSQL
//! refuses root). Stopped (immediately) and removed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use keksdose::consent::Method;
use keksdose::consent::record::Record;
use keksdose::seal::envelope::{self, FileEntry, Header};
use keksdose::seal::keys::PublicKey;
use keksdose::strings::hex;
use sha2::{Digest, Sha256};

/// A submission for tenant `musterstadt`, form `contact`, sealed to `public` under a random
/// submission id.
pub fn seal(public: &PublicKey, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).expect("random");
    let header = Header::new(
        public,
        id,
        1_764_000_000,
        "musterstadt",
        "contact",
        "http://127.0.0.1",
    )
    .expect("header");
    let fields = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let files = files
        .iter()
        .map(|(name, bytes)| {
            let entry = FileEntry {
                field: "anhang".into(),
                name: (*name).into(),
                media_type: "application/pdf".into(),
                size: bytes.len() as u64,
                sha256: hex(&Sha256::digest(bytes)),
            };
            (entry, *bytes)
        })
        .collect();
    envelope::seal(public, &header, fields, files).expect("seal")
}

/// The repository.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The demo site's config: tenant `musterstadt` with the demo seal key.
pub fn config() -> PathBuf {
    Path::new(ROOT).join("www/keksdose.json")
}

/// The demo config's seal key.
pub fn public_key() -> PublicKey {
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(config()).expect("config")).expect("json");
    config["seal"]["keys"][0]["publicKey"]
        .as_str()
        .expect("publicKey")
        .parse()
        .expect("public key")
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kd-native-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A running `keksdose collect`.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Server {
    /// `keksdose collect --config <the demo config> --db DB OPTIONS…` on a free port.
    pub fn start(db: &str, options: &[&str]) -> Server {
        Server::spawn(
            Command::new(env!("CARGO_BIN_EXE_keksdose"))
                .args(["collect", "--port", "0", "--config"])
                .arg(config())
                .args(["--db", db])
                .args(options),
        )
    }

    /// Runs `command` (`keksdose collect` or `serve` with `--port 0`) and reads the port from
    /// the first line it prints.
    pub fn spawn(command: &mut Command) -> Server {
        let mut child = command.stdout(Stdio::piped()).spawn().expect("spawn");
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
    pub fn kill(mut self) {
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
pub struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream: BufReader::new(stream),
        })
    }

    /// POSTs `body`; the status once the whole answer is read.
    pub fn post(&mut self, path: &str, content_type: &str, body: &[u8]) -> std::io::Result<u16> {
        // One write per request: head and body in separate small writes would wait for the
        // peer's delayed acknowledgement (Nagle), 40 ms a request.
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.stream.get_mut().write_all(&request)?;
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
pub fn record(n: u32) -> (String, String) {
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
        language: "de".into(),
        method: Method::RejectAll,
        withdrawal: false,
        categories: vec![("analytics".into(), false)],
        services: vec![],
        expires_at: 1_800_000_000,
    };
    (record_id, record.to_json())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// `program` with `args`, as the `postgres` user when running as root.
fn command(bin: &Path, program: &str, args: &[&str]) -> Command {
    let program = bin.join(program);
    if is_root() {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

fn run(mut command: Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A running PostgreSQL server.
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Postgres {
    /// Starts a server; panics with how to install PostgreSQL when it is missing.
    pub fn start(name: &str) -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(|v| Some(v.ok()?.path().join("bin")))
                    .filter(|bin| bin.join("initdb").is_file())
                    .max()
            })
            .expect("PostgreSQL is not installed: apt-get install postgresql (or run .ci/setup --tests)");
        let dir = std::env::temp_dir().join(format!("kd-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("data dir");
        if is_root() {
            run(
                {
                    let mut chown = Command::new("chown");
                    chown.args(["postgres:postgres"]).arg(&dir);
                    chown
                },
                "chown",
            );
        }
        let data = dir.join("data");
        let data_arg = data.to_str().expect("utf-8 path");
        run(
            command(
                &bin,
                "initdb",
                &[
                    "-D",
                    data_arg,
                    "-U",
                    "keksdose",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
            ),
            "initdb",
        );
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            dir.display()
        );
        let log = dir.join("log");
        run(
            command(
                &bin,
                "pg_ctl",
                &[
                    "-D",
                    data_arg,
                    "-o",
                    &options,
                    "-l",
                    log.to_str().expect("utf-8"),
                    "-w",
                    "start",
                ],
            ),
            "pg_ctl start",
        );
        Postgres { dir, bin, port }
    }

    /// The URL of database `name` (created on first use).
    pub fn database(&self, name: &str) -> String {
        let admin = format!("postgres://keksdose@127.0.0.1:{}/postgres", self.port);
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        format!("postgres://keksdose@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs SQL in database `url` (for tampering with stored data).
    pub fn sql(url: &str, statements: &str) {
        let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
        client.batch_execute(statements).expect(statements);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = command(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
        .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
