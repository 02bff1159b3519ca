//! Shared by the native tests: sealing a submission, and a throwaway PostgreSQL server.
//!
//! The PostgreSQL server: Debian's `postgresql` package (`initdb` and
//! `pg_ctl` of the newest version under /usr/lib/postgresql), a fresh data directory, a free
//! port on loopback. As root the server runs as the package's `postgres` user (PostgreSQL
//! refuses root). Stopped (immediately) and removed when dropped.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// A running server.
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
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
