//! Benchmark (not a test): `keksdose collect` throughput on loopback — consent records and
//! sealed submissions (a contact form without attachment), at 1, 8 and 32 concurrent keep-alive
//! clients, on SQLite and on PostgreSQL (a throwaway server from Debian's package, default
//! settings, so every commit is synced). Every request is a new record or submission. Rounds
//! alternate the stores; the median of 3 rounds of 3 s each is printed, in acknowledged requests
//! per second.
//!
//! `cargo bench --features cli --bench collector` (or `.ci/bench collector`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keksdose::seal::envelope::MEDIA_TYPE;
use support::{Client, Server, public_key, record, scratch};

const ROUNDS: usize = 3;
const SECONDS: u64 = 3;
/// New requests prepared per measurement: more than the fastest store takes in [`SECONDS`].
const POOL: usize = 60_000;
/// The contact form sealed for the submissions.
const FORM: [(&str, &str); 2] = [
    ("name", "Erika Mustermann"),
    ("nachricht", "Bitte um Rückruf."),
];

/// Acknowledged requests per second with `clients` clients for [`SECONDS`], each request a
/// new one (`bodies`, split among the clients; a resend would only be looked up).
fn throughput(port: u16, clients: usize, path: &str, bodies: &[(&str, Vec<u8>)]) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for share in bodies.chunks(bodies.len().div_ceil(clients)) {
            let (stop, done) = (&stop, &done);
            scope.spawn(move || {
                let mut client = Client::connect(port).expect("connect");
                for (content_type, body) in share {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let status = client.post(path, content_type, body).expect("answer");
                    assert!(matches!(status, 201 | 204), "status {status}");
                    done.fetch_add(1, Ordering::Relaxed);
                }
                panic!("ran out of requests: make POOL larger");
            });
        }
        std::thread::sleep(Duration::from_secs(SECONDS));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// `POOL` new requests: sealed submissions (sealed beforehand, on all cores: the collector's
/// work is measured, not the sealing) or consent records.
fn pool(submissions: bool) -> Vec<(&'static str, Vec<u8>)> {
    let public = public_key();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (0..POOL / threads)
                        .map(|n| {
                            if submissions {
                                (MEDIA_TYPE, support::seal(&public, &FORM, &[]))
                            } else {
                                ("text/plain", record((t * POOL + n) as u32).1.into_bytes())
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("pool"))
            .collect()
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let dir = scratch("bench");
    let postgres = support::Postgres::start("bench");
    let stores = [
        (
            "SQLite",
            dir.join("bench.sqlite").to_string_lossy().into_owned(),
        ),
        ("PostgreSQL", postgres.database("bench")),
    ];
    let servers: Vec<Server> = stores
        .iter()
        .map(|(_, db)| Server::start(db, &["--max-connections", "256"]))
        .collect();
    let submission = support::seal(&public_key(), &FORM, &[]).len();
    let consent_record = record(0).1.len();
    println!(
        "keksdose collect on loopback: acknowledged requests/s, median of {ROUNDS} rounds of \
         {SECONDS} s (a submission: {submission} bytes, a consent record: {consent_record} bytes)"
    );
    println!("| what | clients | SQLite | PostgreSQL | PostgreSQL / SQLite |");
    println!("|---|---:|---:|---:|---:|");
    for (what, submissions, path) in [
        ("consent records", false, "/keksdose/receipts"),
        ("sealed submissions", true, "/inbox/musterstadt"),
    ] {
        for clients in [1, 8, 32] {
            let mut figures = vec![Vec::new(); stores.len()];
            for _ in 0..ROUNDS {
                // One pool for both stores: each store sees every request once.
                let bodies = pool(submissions);
                for (s, server) in servers.iter().enumerate() {
                    figures[s].push(throughput(server.port, clients, path, &bodies));
                }
            }
            let [sqlite, pg] = [median(figures[0].clone()), median(figures[1].clone())];
            println!(
                "| {what} | {clients} | {sqlite:.0} | {pg:.0} | {:.2} |",
                pg / sqlite
            );
        }
    }
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
}
