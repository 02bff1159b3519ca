//! The `keksdose` binary: keygen, open, and the collector, end to end on real files, a real
//! SQLite inbox and real HTTP.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use keksdose::seal::envelope::{self, Header};
use keksdose::seal::keys::PublicKey;
use keksdose::strings::hex;
use serde_json::Value;
use sha2::{Digest, Sha256};

mod support;

use support::{Server, seal};

const PASSPHRASE: &str = "Stadtverwaltung-2026";

fn keksdose() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keksdose"));
    command.env("KEKSDOSE_PASSPHRASE", PASSPHRASE);
    command
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kd-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `keksdose check-config file`: its exit code and standard output.
fn check_config(file: &Path) -> (Option<i32>, String) {
    let output = keksdose()
        .arg("check-config")
        .arg(file)
        .output()
        .expect("runs");
    (output.status.code(), text(&output).0)
}

/// Runs `keygen` and returns the public key it printed.
fn keygen(dir: &Path) -> (PathBuf, PublicKey) {
    let key = dir.join("secret.key");
    let output = keksdose().arg("keygen").arg(&key).output().expect("run");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let public: PublicKey = stdout
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .expect("public key line")
        .parse()
        .expect("public key");
    assert!(stdout.contains(&format!("key id:     {}", public.kid())));
    (key, public)
}

#[test]
fn keygen_protects_the_key_and_never_overwrites_it() {
    let dir = scratch("keygen");
    let (key, _) = keygen(&dir);
    let written = std::fs::read_to_string(&key).expect("key file");
    assert!(written.contains("kdsk-argon2id1."), "{written}");
    assert!(!written.contains("\nkdsk1"), "stored encrypted");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = keksdose().arg("keygen").arg(&key).output().expect("run");
    assert!(!again.status.success());
    assert!(text(&again).1.contains("never overwrites"));
    assert_eq!(
        std::fs::read_to_string(&key).expect("key"),
        written,
        "untouched"
    );

    let short = keksdose()
        .env("KEKSDOSE_PASSPHRASE", "kurz")
        .arg("keygen")
        .arg(dir.join("other.key"))
        .output()
        .expect("run");
    assert!(!short.status.success());
    assert!(!dir.join("other.key").exists());

    let plain = keksdose()
        .args(["keygen", "--no-passphrase"])
        .arg(dir.join("plain.key"))
        .output()
        .expect("run");
    assert!(plain.status.success());
    assert!(
        std::fs::read_to_string(dir.join("plain.key"))
            .expect("key")
            .contains("\nkdsk1")
    );
}

#[test]
fn open_recovers_fields_and_attachments_and_reports_replays() {
    let dir = scratch("open");
    let (key, public) = keygen(&dir);
    let pdf = b"%PDF-1.4 Lebenslauf".repeat(5000);
    let inbox = dir.join("envelopes");
    std::fs::create_dir_all(&inbox).expect("dir");
    let first = seal(
        &public,
        &[
            ("name", "Müller"),
            ("nachricht", "=HYPERLINK(\"x\")"),
            ("interesse", "a"),
            ("interesse", "b"),
            ("tenant", "gefälscht"),
        ],
        &[("../../Lebenslauf.pdf", &pdf)],
    );
    std::fs::write(inbox.join("1.kdseal"), &first).expect("write");
    std::fs::write(inbox.join("2.kdseal"), &first).expect("write"); // a replay
    let attachments = dir.join("anhaenge");
    let output = keksdose()
        .args(["open", "--key"])
        .arg(&key)
        .arg("--attachments")
        .arg(&attachments)
        .arg(&inbox)
        .output()
        .expect("run");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("replay: submission"), "{stderr}");
    let records: Value = serde_json::from_str(&stdout).expect("json");
    let record = &records[0];
    assert_eq!(record["tenant"], "musterstadt");
    assert_eq!(record["created"], "2025-11-24T16:00:00Z");
    assert_eq!(
        record["fields"],
        serde_json::json!([
            ["name", "Müller"],
            ["nachricht", "=HYPERLINK(\"x\")"],
            ["interesse", "a"],
            ["interesse", "b"],
            ["tenant", "gefälscht"]
        ])
    );
    let file = &record["files"][0];
    assert_eq!(file["sha256"], hex(&Sha256::digest(&pdf)));
    let saved = PathBuf::from(file["savedAs"].as_str().expect("saved"));
    assert!(
        saved.starts_with(&attachments),
        "stays in the named directory"
    );
    assert_eq!(saved.file_name().expect("name"), "Lebenslauf.pdf");
    assert_eq!(std::fs::read(&saved).expect("saved"), pdf);
    assert!(
        records[1]["replayOf"]
            .as_str()
            .expect("replay")
            .ends_with("1.kdseal")
    );

    // CSV: one row per submission, formulas neutralised.
    let csv = keksdose()
        .args(["open", "--format", "csv", "--key"])
        .arg(&key)
        .arg(inbox.join("1.kdseal"))
        .output()
        .expect("run");
    let (csv, _) = text(&csv);
    let header = csv.lines().next().expect("header");
    assert_eq!(
        header,
        "\"source\",\"submission_id\",\"created\",\"tenant\",\"form_id\",\"origin\",\"replay_of\",\
         \"field:name\",\"field:nachricht\",\"field:interesse\",\"field:tenant\",\"attachments\"",
        "a field cannot pose as a fixed column"
    );
    assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
    assert!(csv.contains("\"a\nb\""), "repeated names joined: {csv}");

    // For German spreadsheets: semicolons and a byte order mark, the same cells.
    let excel = keksdose()
        .args(["open", "--format", "csv-excel", "--key"])
        .arg(&key)
        .arg(inbox.join("1.kdseal"))
        .output()
        .expect("run");
    let excel = excel.stdout;
    assert_eq!(&excel[..3], b"\xef\xbb\xbf", "UTF-8 byte order mark");
    let excel = String::from_utf8(excel[3..].to_vec()).expect("utf-8");
    assert_eq!(excel, csv.replace("\",\"", "\";\""));

    // --output never overwrites.
    let out = dir.join("out.json");
    std::fs::write(&out, "keep").expect("write");
    let refused = keksdose()
        .args(["open", "--key"])
        .arg(&key)
        .arg("--output")
        .arg(&out)
        .arg(&inbox)
        .output()
        .expect("run");
    assert!(!refused.status.success());
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "keep");
}

#[test]
fn wrong_keys_tampering_and_truncation_fail_clearly_and_touch_nothing() {
    let dir = scratch("fail");
    let (key, public) = keygen(&dir);
    let sealed = seal(&public, &[("name", "Schulz")], &[]);
    let mut tampered = sealed.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let cases = [
        ("tampered", tampered),
        ("truncated", sealed[..sealed.len() - 10].to_vec()),
        ("garbage", b"hello".to_vec()),
    ];
    for (name, bytes) in &cases {
        std::fs::write(dir.join(name), bytes).expect("write");
    }
    std::fs::write(dir.join("good"), &sealed).expect("write");
    for (name, bytes) in &cases {
        let output = keksdose()
            .args(["open", "--key"])
            .arg(&key)
            .arg(dir.join(name))
            .output()
            .expect("run");
        let (_, stderr) = text(&output);
        assert!(!output.status.success(), "{name}");
        assert!(
            stderr.contains(name) && stderr.contains("cannot open")
                || stderr.contains("not a valid"),
            "{name}: {stderr}"
        );
        assert_eq!(
            &std::fs::read(dir.join(name)).expect("input"),
            bytes,
            "input untouched"
        );
    }
    // Another key: named, with the envelope's key id.
    let other = scratch("fail-other");
    let (other_key, _) = keygen(&other);
    let output = keksdose()
        .args(["open", "--key"])
        .arg(&other_key)
        .arg(dir.join("good"))
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(text(&output).1.contains(&public.kid().to_string()));
    // The wrong passphrase.
    let output = keksdose()
        .env("KEKSDOSE_PASSPHRASE", "falsch-falsch-falsch")
        .args(["open", "--key"])
        .arg(&key)
        .arg(dir.join("good"))
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(text(&output).1.contains("wrong passphrase"));
}

fn serve(dir: &Path, public: &PublicKey) -> Server {
    serve_site(dir, &dir.join("site"), public)
}

/// `keksdose serve` of the site directory `root`, with its inbox at `dir/inbox.sqlite`.
fn serve_site(dir: &Path, root: &Path, public: &PublicKey) -> Server {
    let root = root.to_owned();
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::create_dir_all(&pkg).expect("pkg");
    let config = serde_json::json!({
        "tenant": "musterstadt",
        "policy": { "privacyUrl": "/p", "imprintUrl": "/i" },
        "categories": { "necessary": { "readOnly": true } },
        "seal": { "keys": [{ "kid": public.kid().to_string(), "publicKey": public.to_string(), "status": "active" }],
                  "maxAttachmentBytes": 1_000_000 }
    });
    std::fs::write(root.join("keksdose.json"), config.to_string()).expect("config");
    Server::spawn(
        Command::new(env!("CARGO_BIN_EXE_keksdose"))
            .args(["serve", "--port", "0", "--root"])
            .arg(&root)
            .arg("--pkg")
            .arg(&pkg)
            .arg("--db")
            .arg(dir.join("inbox.sqlite")),
    )
}

/// POSTs `body` and returns the status line's code and the body.
fn post(port: u16, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("head");
    // The server may answer before the body is complete (413); read its answer regardless.
    let _ = stream.write_all(body);
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let status = response[9..12].parse().expect("status");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[test]
fn the_collector_stores_whole_valid_envelopes_only() {
    let dir = scratch("collector");
    let (key, public) = keygen(&dir);
    let server = serve(&dir, &public);
    let sealed = seal(&public, &[("name", "Weber")], &[("scan.pdf", b"%PDF")]);
    let kind = "application/vnd.keksdose.sealed";
    let (status, body) = post(server.port, "/inbox/musterstadt", kind, &sealed);
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        post(server.port, "/inbox/musterstadt", kind, &sealed).0,
        200,
        "a resend"
    );

    let mut other_tenant = seal(&public, &[], &[]);
    other_tenant[58..58 + 11].copy_from_slice(b"anderestadt");
    let (_, stranger) = {
        let mut rng = [0u8; 32];
        getrandom::fill(&mut rng).expect("rng");
        envelope::generate()
    };
    for (what, path, content_type, body, expected) in [
        (
            "unknown tenant",
            "/inbox/nirgendwo",
            kind,
            sealed.clone(),
            404,
        ),
        (
            "wrong type",
            "/inbox/musterstadt",
            "text/plain",
            sealed.clone(),
            415,
        ),
        (
            "garbage",
            "/inbox/musterstadt",
            kind,
            b"garbage".to_vec(),
            400,
        ),
        (
            "cut inside enc",
            "/inbox/musterstadt",
            kind,
            sealed[..sealed.len() - 4113 - 10].to_vec(),
            400,
        ),
        (
            "other tenant in header",
            "/inbox/musterstadt",
            kind,
            other_tenant,
            400,
        ),
        (
            "unknown key",
            "/inbox/musterstadt",
            kind,
            seal(&stranger, &[], &[]),
            400,
        ),
        (
            "too large",
            "/inbox/musterstadt",
            kind,
            vec![0u8; 2_300_000],
            413,
        ),
    ] {
        let (status, body) = post(server.port, path, content_type, &body);
        assert_eq!(status, expected, "{what}: {body}");
    }
    let (status, _) = post(server.port, "/index.html", "text/plain", b"x");
    assert_eq!(status, 405);
    let (status, body) = post(server.port, "/inbox/musterstadt?via=form", kind, &sealed);
    assert_eq!(status, 200, "a query does not change the limit: {body}");

    // Heads the server refuses before reading further.
    for (what, head, expected) in [
        (
            "an endless header line",
            format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(20_000)),
            431,
        ),
        (
            "two different lengths",
            "POST /inbox/musterstadt HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                .into(),
            400,
        ),
        (
            "space before the colon",
            "POST /inbox/musterstadt HTTP/1.1\r\nContent-Length : 5\r\n\r\n".into(),
            400,
        ),
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        let _ = stream.write_all(head.as_bytes());
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        assert!(
            response.starts_with(&format!("HTTP/1.1 {expected} ")),
            "{what}: {response}"
        );
    }

    // A body that stops before its Content-Length is never stored.
    let unfinished = seal(&public, &[("name", "Halb")], &[]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    write!(
        stream,
        "POST /inbox/musterstadt HTTP/1.1\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
        unfinished.len()
    )
    .expect("head");
    stream
        .write_all(&unfinished[..unfinished.len() / 2])
        .expect("half");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 400 "),
        "half a request is refused: {response}"
    );

    // Exactly one record, and it opens.
    let output = keksdose()
        .args(["open", "--key"])
        .arg(&key)
        .arg(dir.join("inbox.sqlite"))
        .output()
        .expect("run");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let records: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(records.as_array().expect("array").len(), 1);
    assert_eq!(records[0]["fields"], serde_json::json!([["name", "Weber"]]));
    drop(server);
}

#[test]
fn check_config_names_the_revision_and_config_hash_or_every_problem() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/keksdose.json");
    let (code, stdout) = check_config(&demo);
    assert_eq!(code, Some(0), "{stdout}");
    let file = std::fs::read(&demo).expect("demo config");
    let config = keksdose::config::Config::from_json(std::str::from_utf8(&file).expect("utf-8"))
        .expect("valid");
    assert!(
        stdout.contains(&format!(
            "valid (tenant musterstadt, languages de en, revision {}, config hash {})",
            keksdose::consent::revision(&config),
            hex(&Sha256::digest(&file))
        )),
        "the hash `sha256sum` prints, as in the consent records: {stdout}"
    );

    let dir = scratch("check-config");
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        r#"{ "tenant": "Bad", "policy": { "privacyUrl": "", "imprintUrl": "/i" },
             "categories": { "necessary": { "readOnly": true } } }"#,
    )
    .expect("write");
    let (code, stdout) = check_config(&broken);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("broken.json: tenant: expected"), "{stdout}");
    assert!(
        stdout.contains("broken.json: policy.privacyUrl: must not be empty"),
        "{stdout}"
    );
}

#[test]
fn every_command_has_help_with_an_example_and_usage_errors_are_one_line() {
    for command in [
        "serve",
        "keygen",
        "export-key",
        "open",
        "check-config",
        "receipts",
        "completions",
    ] {
        let output = keksdose().args([command, "--help"]).output().expect("runs");
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{command} --help: {stderr}");
        assert!(
            stdout.contains("Example") && stdout.contains(&format!(":\n  keksdose {command} ")),
            "{command}: {stdout}"
        );
    }
    for (args, expected) in [
        (
            &["open", "--key", "k"][..],
            "keksdose: the following required arguments were not provided: <INPUT>... (see `keksdose open --help`)",
        ),
        (
            &["serve", "--prot", "1"][..],
            "keksdose: unexpected argument '--prot' found; a similar argument exists: '--port' (see `keksdose serve --help`)",
        ),
        (
            &["keygen", "--no-passphrase", "--passphrase-file", "p", "k"][..],
            "keksdose: the argument '--no-passphrase' cannot be used with '--passphrase-file <FILE>' (see `keksdose keygen --help`)",
        ),
        (
            &["frobnicate"][..],
            "keksdose: unrecognized subcommand 'frobnicate' (see `keksdose --help`)",
        ),
    ] {
        let output = keksdose().args(args).output().expect("runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr, format!("{expected}\n"), "one line: {args:?}");
        assert!(stdout.is_empty());
    }
    let output = keksdose()
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    let (stdout, _) = text(&output);
    assert!(output.status.success());
    assert!(
        stdout.contains("_keksdose()") && stdout.contains("check-config"),
        "{stdout}"
    );
}

#[test]
fn open_reads_an_inbox_without_writing_next_to_it_and_skips_a_bad_row_by_id() {
    let dir = scratch("inbox-reader");
    let (key, public) = keygen(&dir);
    let server = serve(&dir, &public);
    let sealed = seal(&public, &[("name", "Weber")], &[]);
    let kind = "application/vnd.keksdose.sealed";
    assert_eq!(
        post(server.port, "/inbox/musterstadt", kind, &sealed).0,
        201
    );
    drop(server);
    let inbox = dir.join("inbox.sqlite");
    {
        let db = rusqlite::Connection::open(&inbox).expect("db");
        db.execute(
            "INSERT INTO submissions (tenant, form_id, submission_id, kid, created, received, envelope)
             VALUES ('musterstadt', 'kontakt', 'bad', 'k', 0, 0, 'not a blob')",
            [],
        )
        .expect("insert");
    }
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    assert!(!before.iter().any(|n| n.ends_with("-wal")), "{before:?}");
    let open = || {
        keksdose()
            .args(["open", "--key"])
            .arg(&key)
            .arg(&inbox)
            .output()
            .expect("run")
    };
    let output = open();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "a row could not be opened");
    assert!(
        stderr.contains("inbox.sqlite#2: not an envelope"),
        "named by its row: {stderr}"
    );
    let records: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        records.as_array().expect("array").len(),
        1,
        "the rest opens"
    );
    assert_eq!(listing(), before, "nothing written next to the database");

    // While a collector holds the database with rows only in its write-ahead log, those are read.
    let writer = rusqlite::Connection::open(&inbox).expect("db");
    writer
        .execute_batch("PRAGMA wal_autocheckpoint = 0;")
        .expect("pragma");
    writer
        .execute(
            "INSERT INTO submissions (tenant, form_id, submission_id, kid, created, received, envelope)
             SELECT tenant, form_id, 'copy', kid, created, received, envelope FROM submissions WHERE id = 1",
            [],
        )
        .expect("insert");
    let output = open();
    let (stdout, stderr) = text(&output);
    let records: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(records.as_array().expect("array").len(), 2, "{stderr}");
    assert!(stderr.contains("inbox.sqlite#3: replay"), "{stderr}");
}

/// A raw HTTP/1.1 exchange: the whole response as text.
fn exchange(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let _ = stream.write_all(request.as_bytes());
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn serve_never_publishes_its_inbox_redirects_only_on_its_host_and_secures_every_answer() {
    let dir = scratch("serve-safety");
    let (_key, public) = keygen(&dir);
    // The site directory is the one the inbox lives in (`serve --root .`).
    let server = serve_site(&dir, &dir, &public);
    let sealed = seal(&public, &[("name", "Weber")], &[]);
    let kind = "application/vnd.keksdose.sealed";
    assert_eq!(
        post(server.port, "/inbox/musterstadt", kind, &sealed).0,
        201
    );
    std::fs::create_dir_all(dir.join("sub")).expect("sub");
    for name in ["inbox.sqlite", "inbox.sqlite-wal", "inbox.sqlite-shm"] {
        let response = exchange(
            server.port,
            &format!("GET /{name} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        assert!(response.starts_with("HTTP/1.1 404 "), "{name}: {response}");
    }
    let keksdose_json = exchange(
        server.port,
        "GET /keksdose.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        keksdose_json.starts_with("HTTP/1.1 200 "),
        "other files are served"
    );

    let redirect = exchange(
        server.port,
        "GET //sub HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(redirect.starts_with("HTTP/1.1 301 "), "{redirect}");
    assert!(
        redirect
            .to_ascii_lowercase()
            .contains("\r\nlocation: ./sub/\r\n"),
        "relative, on this host: {redirect}"
    );

    // What the server answers itself carries the security headers too.
    for (what, request, status) in [
        (
            "no length",
            "POST /inbox/musterstadt HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.keksdose.sealed\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            "411",
        ),
        (
            "too large",
            "POST /inbox/musterstadt HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.keksdose.sealed\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n",
            "413",
        ),
        (
            "another method",
            "PUT /inbox/musterstadt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "405",
        ),
        (
            "a 404",
            "GET /nirgends HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "404",
        ),
    ] {
        let response = exchange(server.port, request);
        let head = response
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            head.starts_with(&format!("http/1.1 {status} ")),
            "{what}: {head}"
        );
        for header in [
            "content-security-policy: ",
            "x-content-type-options: nosniff",
            "referrer-policy: same-origin",
            "cache-control: no-cache",
        ] {
            assert!(head.contains(header), "{what} lacks {header}: {head}");
        }
    }
}

#[test]
fn a_stopped_collector_leaves_everything_in_the_database_file_alone() {
    let dir = scratch("checkpoint");
    let (key, public) = keygen(&dir);
    let mut server = serve(&dir, &public);
    let kind = "application/vnd.keksdose.sealed";
    for n in 0..40 {
        let sealed = seal(&public, &[("n", &n.to_string())], &[]);
        assert_eq!(
            post(server.port, "/inbox/musterstadt", kind, &sealed).0,
            201
        );
    }
    let stopped = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let status = server.child.wait().expect("exit");
    assert!(status.success(), "a clean stop: {status}");
    // Copy only the database file, as a backup of "the inbox" would.
    let copy = dir.join("copy");
    std::fs::create_dir_all(&copy).expect("copy dir");
    std::fs::copy(dir.join("inbox.sqlite"), copy.join("inbox.sqlite")).expect("copy");
    let output = keksdose()
        .args(["open", "--key"])
        .arg(&key)
        .arg(copy.join("inbox.sqlite"))
        .output()
        .expect("run");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let records: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        records.as_array().expect("array").len(),
        40,
        "every acknowledged submission"
    );
}

#[test]
fn retention_deletes_a_tenants_old_records_and_submissions_and_the_chain_still_verifies() {
    let dir = scratch("retention");
    let (key, public) = keygen(&dir);
    let mut server = serve(&dir, &public);
    let kind = "application/vnd.keksdose.sealed";
    for n in 0..2 {
        let sealed = seal(&public, &[("n", &n.to_string())], &[]);
        assert_eq!(
            post(server.port, "/inbox/musterstadt", kind, &sealed).0,
            201
        );
        let record = keksdose::consent::record::Record {
            record_id: format!("{}{n}", "r".repeat(21)),
            consent_id: "c".repeat(22),
            tenant: "musterstadt".into(),
            timestamp: 1_796_000_000,
            revision: "AAAAbbbbCCCC".into(),
            config_hash: "0f".repeat(32),
            language: "de".into(),
            method: keksdose::consent::Method::RejectAll,
            withdrawal: false,
            categories: vec![],
            services: vec![],
            expires_at: 1_796_000_000,
        };
        let (status, body) = post(
            server.port,
            "/keksdose/receipts",
            "text/plain;charset=UTF-8",
            record.to_json().as_bytes(),
        );
        assert_eq!(status, 204, "{body}");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let _ = server.child.wait();
    // A second later everything is older than a retention of 0 days.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut child = Command::new(env!("CARGO_BIN_EXE_keksdose"))
        .args([
            "serve",
            "--port",
            "0",
            "--retention",
            "musterstadt=0",
            "--root",
        ])
        .arg(dir.join("site"))
        .arg("--pkg")
        .arg(dir.join("pkg"))
        .arg("--db")
        .arg(dir.join("inbox.sqlite"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let announced: Vec<String> = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok)
        .filter(|line| line.contains("retention:"))
        .take(2)
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        announced[0].contains("deleted 2 consent records of musterstadt")
            && announced[1].contains("deleted 2 submissions of musterstadt"),
        "{announced:?}"
    );
    let verify = keksdose()
        .args(["receipts", "--tenant", "musterstadt", "--verify", "--db"])
        .arg(dir.join("inbox.sqlite"))
        .output()
        .expect("run");
    let (stdout, stderr) = text(&verify);
    assert!(verify.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("musterstadt: chain intact, 0 records, head #2 "),
        "the anchor keeps the head: {stdout}"
    );
    let opened = keksdose()
        .args(["open", "--key"])
        .arg(&key)
        .arg(dir.join("inbox.sqlite"))
        .output()
        .expect("run");
    let (stdout, _) = text(&opened);
    let records: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(records.as_array().expect("array").len(), 0);
}

/// The submission id of an envelope, as `open` prints it.
fn submission_id(envelope: &[u8]) -> String {
    Header::parse(envelope)
        .expect("header")
        .0
        .submission_id_hex()
}

/// The JSON records `open` printed.
fn opened(output: &Output) -> Vec<Value> {
    let (stdout, stderr) = text(output);
    assert!(output.status.success(), "{stderr}");
    serde_json::from_str::<Value>(&stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

#[test]
fn open_new_opens_only_what_the_ledger_lacks_and_marks_it_once_the_output_is_written() {
    let dir = scratch("ledger");
    let (key, public) = keygen(&dir);
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).expect("dir");
    let first = seal(&public, &[("name", "Erste")], &[]);
    let second = seal(&public, &[("name", "Zweite")], &[]);
    std::fs::write(inbox.join("1.kdseal"), &first).expect("write");
    std::fs::write(inbox.join("2.kdseal"), &second).expect("write");
    let ledger = dir.join("geoeffnet.txt");
    let open_new = |ledger: &Path, output: Option<&Path>| {
        let mut command = keksdose();
        command
            .args(["open", "--key"])
            .arg(&key)
            .arg("--new")
            .arg(ledger);
        if let Some(output) = output {
            command.arg("--output").arg(output);
        }
        command.arg(&inbox).output().expect("run")
    };

    let run = open_new(&ledger, None);
    assert_eq!(opened(&run).len(), 2);
    assert!(
        text(&run).1.contains("skipped 0 submission(s)"),
        "{}",
        text(&run).1
    );
    let listed = format!("{}\n{}\n", submission_id(&first), submission_id(&second));
    assert_eq!(std::fs::read_to_string(&ledger).expect("ledger"), listed);

    let again = open_new(&ledger, None);
    assert_eq!(opened(&again), Vec::<Value>::new(), "nothing new");
    assert!(
        text(&again).1.contains("skipped 2 submission(s)"),
        "{}",
        text(&again).1
    );
    assert_eq!(std::fs::read_to_string(&ledger).expect("ledger"), listed);

    let third = seal(&public, &[("name", "Dritte")], &[]);
    std::fs::write(inbox.join("3.kdseal"), &third).expect("write");
    let records = opened(&open_new(&ledger, None));
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0]["fields"],
        serde_json::json!([["name", "Dritte"]])
    );
    let listed = format!("{listed}{}\n", submission_id(&third));
    assert_eq!(
        std::fs::read_to_string(&ledger).expect("ledger"),
        listed,
        "appended"
    );

    // An output that cannot be written marks nothing: the next run offers the submission again.
    let fourth = seal(&public, &[("name", "Vierte")], &[]);
    std::fs::write(inbox.join("4.kdseal"), &fourth).expect("write");
    let failed = open_new(&ledger, Some(&dir.join("fehlt").join("neu.json")));
    assert!(!failed.status.success());
    assert_eq!(std::fs::read_to_string(&ledger).expect("ledger"), listed);
    let records = opened(&open_new(&ledger, None));
    assert_eq!(
        records[0]["fields"],
        serde_json::json!([["name", "Vierte"]])
    );

    // The ledger is never one of the envelopes, nor the output; a file that is not a ledger is
    // refused and left as it is.
    let inside = inbox.join("geoeffnet.txt");
    let refused = open_new(&inside, None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused).1.contains("inside the input directory"),
        "{}",
        text(&refused).1
    );
    assert!(!inside.exists(), "not created");
    let envelope = inbox.join("1.kdseal");
    let refused = keksdose()
        .args(["open", "--key"])
        .arg(&key)
        .arg("--new")
        .arg(&envelope)
        .arg(&envelope)
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused).1.contains("is also an input"),
        "{}",
        text(&refused).1
    );
    let output = dir.join("neu.json");
    let refused = open_new(&output, Some(&output));
    assert_eq!(refused.status.code(), Some(2));
    assert!(!output.exists());
    let notes = dir.join("notizen.txt");
    std::fs::write(&notes, "Rückruf bei Frau Weber\n").expect("write");
    let refused = open_new(&notes, None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused).1.contains("line 1 is not a submission id"),
        "{}",
        text(&refused).1
    );
    assert_eq!(
        std::fs::read_to_string(&notes).expect("notes"),
        "Rückruf bei Frau Weber\n"
    );
}

#[test]
fn open_new_works_on_the_collectors_inbox_and_continues_a_hand_written_ledger() {
    let dir = scratch("ledger-inbox");
    let (key, public) = keygen(&dir);
    let server = serve(&dir, &public);
    let kind = "application/vnd.keksdose.sealed";
    let first = seal(&public, &[("name", "Erste")], &[]);
    let second = seal(&public, &[("name", "Zweite")], &[]);
    for envelope in [&first, &second] {
        assert_eq!(
            post(server.port, "/inbox/musterstadt", kind, envelope).0,
            201
        );
    }
    drop(server);
    // Written by hand, without a final line break.
    let ledger = dir.join("geoeffnet.txt");
    std::fs::write(&ledger, submission_id(&first)).expect("write");
    let open_new = || {
        keksdose()
            .args(["open", "--key"])
            .arg(&key)
            .arg("--new")
            .arg(&ledger)
            .arg(dir.join("inbox.sqlite"))
            .output()
            .expect("run")
    };
    let run = open_new();
    let records = opened(&run);
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0]["fields"],
        serde_json::json!([["name", "Zweite"]])
    );
    assert!(
        text(&run).1.contains("skipped 1 submission(s)"),
        "{}",
        text(&run).1
    );
    assert_eq!(
        std::fs::read_to_string(&ledger).expect("ledger"),
        format!("{}\n{}\n", submission_id(&first), submission_id(&second))
    );
    assert_eq!(opened(&open_new()).len(), 0);
}

#[test]
fn check_config_refuses_low_order_keys_and_tenants_with_hyphens_at_an_end() {
    let dir = scratch("low-order");
    let config = dir.join("zero.json");
    // The all-zero X25519 key: every submission sealed to it would fail in the browser.
    let zero = format!("kdpk1{}", "A".repeat(43));
    let kid = "0".repeat(32);
    std::fs::write(
        &config,
        format!(
            r#"{{ "tenant": "musterstadt-", "policy": {{ "privacyUrl": "/d", "imprintUrl": "/i" }},
                 "categories": {{ "necessary": {{ "readOnly": true }} }},
                 "seal": {{ "keys": [{{ "kid": "{kid}", "publicKey": "{zero}", "status": "active" }}] }} }}"#
        ),
    )
    .expect("write");
    let (code, stdout) = check_config(&config);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("zero.json: seal.keys[0].publicKey: a low-order X25519 key"),
        "{stdout}"
    );
    assert!(
        stdout.contains("zero.json: tenant: expected 1–63 characters a–z, 0–9 and inner hyphens"),
        "{stdout}"
    );

    // The command line follows the same tenant rule.
    let output = keksdose()
        .args(["receipts", "--db"])
        .arg(dir.join("none.sqlite"))
        .args(["--tenant", "musterstadt-"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).1.contains("inner hyphens"),
        "{}",
        text(&output).1
    );
}

#[test]
fn check_config_reports_a_theme_whose_contrast_is_too_low() {
    let dir = scratch("theme");
    let config = dir.join("theme.json");
    std::fs::write(
        &config,
        r##"{ "tenant": "musterstadt", "policy": { "privacyUrl": "/d", "imprintUrl": "/i" },
             "banner": { "theme": { "light": { "text": "#777777" },
                                    "dark": { "button": "#9ec5ff", "buttonText": "#ffffff" } } },
             "categories": { "necessary": { "readOnly": true } } }"##,
    )
    .expect("write");
    let (code, stdout) = check_config(&config);
    assert_eq!(code, Some(1), "{stdout}");
    for line in [
        "theme.json: banner.theme.light.text: contrast 4.4:1 with background #ffffff; at least \
         4.5:1 is needed (WCAG 2.1 AA)",
        "theme.json: banner.theme.dark.buttonText: contrast 1.7:1 with button #9ec5ff; at least \
         4.5:1 is needed (WCAG 2.1 AA)",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
}

#[cfg(unix)]
#[test]
fn a_key_file_others_may_read_is_used_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("key-mode");
    let (key, _) = keygen(&dir);
    let inbox = dir.join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    let open = || {
        let output = keksdose()
            .args(["open", "--key"])
            .arg(&key)
            .arg(&inbox)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{}", text(&output).1);
        text(&output).1
    };
    assert!(!open().contains("warning"), "mode 0600: no warning");
    for mode in [0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let stderr = open();
        assert!(
            stderr.contains(&format!("warning: {} has mode {mode:04o}", key.display()))
                && stderr.contains("chmod 600"),
            "{stderr}"
        );
    }
}

/// Runs `keksdose ARGS` on a new pseudo-terminal (Python's `pty`) and answers each passphrase
/// prompt the moment it shows; returns, per prompt, whether the terminal echoed at that moment,
/// and everything the terminal showed after the first prompt.
#[cfg(unix)]
fn on_terminal(args: &[&std::ffi::OsStr], answer: &str) -> (Vec<bool>, String) {
    const SCRIPT: &str = r#"
import json, os, pty, select, sys, termios
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
seen, echo, shown = b"", [], b""
while True:
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        sys.exit("the terminal stayed silent: " + repr(seen))
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if echo:
        shown += chunk
    # A prompt ends with ": " and no line break; answer at once, as a quick typist would.
    if seen.endswith(b": ") and b"assphrase" in seen.rsplit(b"\n", 1)[-1]:
        echo.append(bool(termios.tcgetattr(fd)[3] & termios.ECHO))
        seen = b""
        os.write(fd, answer)
os.waitpid(pid, 0)
print(json.dumps({"echo": echo, "shown": shown.decode("utf-8", "replace")}))
"#;
    let output = Command::new("python3")
        .args(["-c", SCRIPT, answer, env!("CARGO_BIN_EXE_keksdose")])
        .args(args)
        .env_remove("KEKSDOSE_PASSPHRASE")
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{output:?}");
    let result: Value = serde_json::from_slice(&output.stdout).expect("json");
    let echo = result["echo"]
        .as_array()
        .expect("list")
        .iter()
        .map(|on| on.as_bool().expect("bool"))
        .collect();
    (echo, result["shown"].as_str().expect("text").to_owned())
}

#[cfg(unix)]
#[test]
fn passphrase_prompts_show_with_echo_already_off_and_nothing_typed_shows() {
    let dir = scratch("prompt");
    let key = dir.join("typed.key");
    let (echo, shown) = on_terminal(&["keygen".as_ref(), key.as_os_str()], PASSPHRASE);
    assert_eq!(echo, [false, false], "both prompts, echo off: {shown}");
    assert!(!shown.contains(PASSPHRASE), "{shown}");
    assert!(shown.contains("secret key written"), "{shown}");

    let inbox = dir.join("inbox");
    std::fs::create_dir(&inbox).expect("inbox");
    let (echo, shown) = on_terminal(
        &[
            "open".as_ref(),
            "--key".as_ref(),
            key.as_os_str(),
            inbox.as_os_str(),
        ],
        PASSPHRASE,
    );
    assert_eq!(echo, [false], "{shown}");
    assert!(!shown.contains(PASSPHRASE), "{shown}");
    assert!(shown.contains("opened 0 submission(s)"), "{shown}");
}

/// The key file as `docs/key-file.md` specifies it: its example opens to the plain key it
/// shows, and a reader written from the document alone (Python, pyca/cryptography) opens what
/// `keygen` writes.
#[test]
fn key_files_are_what_their_document_says() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/key-file.md"))
            .expect("docs/key-file.md");
    let example = doc
        .split("## 5. Example")
        .nth(1)
        .expect("the example section");
    let blocks: Vec<&str> = example
        .split("```text\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect();
    let [protected, plain] = blocks.as_slice() else {
        panic!("two examples: {blocks:?}");
    };
    let opened =
        keksdose::seal::keyfile::from_text(protected, Some("correct horse battery staple"))
            .expect("the example opens");
    assert_eq!(opened.to_text().as_str(), plain.trim());
    assert!(keksdose::seal::keyfile::from_text(protected, Some("correct horse")).is_err());

    let dir = scratch("key-file-doc");
    let (key, public) = keygen(&dir);
    let output = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/read_key_file.py"))
        .arg(&key)
        .arg(PASSPHRASE)
        .output()
        .expect("python3 runs");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("kdsk1"), "{stdout}");
    assert_eq!(lines[1], public.to_string());

    // `export-key` writes that plain key line: a new file, 0600, never over another.
    let plain = dir.join("plain.key");
    let output = keksdose()
        .args(["export-key", "--key"])
        .arg(&key)
        .arg(&plain)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", text(&output).1);
    let exported = std::fs::read_to_string(&plain).expect("exported");
    assert!(exported.lines().any(|line| line == lines[0]), "{exported}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&plain)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = keksdose()
        .args(["export-key", "--key"])
        .arg(&key)
        .arg(&plain)
        .output()
        .expect("runs");
    assert!(!again.status.success());
    assert!(text(&again).1.contains("never overwrites"));
    assert_eq!(std::fs::read_to_string(&plain).expect("plain"), exported);
}
