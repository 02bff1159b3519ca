//! Benchmark (not a test): `keksdose collect` throughput on loopback — consent records and
//! sealed submissions (a contact form without attachment), at 1, 8 and 32 concurrent keep-alive
//! clients, on SQLite and on PostgreSQL (a throwaway server from Debian's package, default
//! settings, so every commit is synced). Rounds alternate the stores; the median of 3 rounds of
//! 3 s each is printed, in acknowledged requests per second.
//!
//! `cargo bench --features cli --bench collector` (or `.ci/bench collector`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keksdose::seal::envelope::MEDIA_TYPE;
use support::{Client, Server, public_key, record, scratch};

const ROUNDS: usize = 3;
const SECONDS: u64 = 3;

/// Acknowledged requests per second with `clients` clients for [`SECONDS`].
fn throughput(port: u16, clients: usize, submissions: bool) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    // Sealed beforehand: the collector's work is measured, not the sealing.
    let public = public_key();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            let bodies: Vec<(String, Vec<u8>)> = (0..2000)
                .map(|n| {
                    if submissions {
                        let sealed = support::seal(
                            &public,
                            &[
                                ("name", "Erika Mustermann"),
                                ("nachricht", "Bitte um Rückruf."),
                            ],
                            &[],
                        );
                        (MEDIA_TYPE.to_owned(), sealed)
                    } else {
                        ("text/plain".to_owned(), record(n).1.into_bytes())
                    }
                })
                .collect();
            std::thread::spawn(move || {
                let mut client = Client::connect(port).expect("connect");
                for (content_type, body) in bodies.iter().cycle() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let path = if submissions {
                        "/inbox/musterstadt"
                    } else {
                        "/keksdose/receipts"
                    };
                    let status = client.post(path, content_type, body).expect("answer");
                    // A resend of the cycle is acknowledged too (200 / 204).
                    assert!(matches!(status, 200 | 201 | 204), "status {status}");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(SECONDS));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("client");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
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
    println!(
        "keksdose collect on loopback: acknowledged requests/s, median of {ROUNDS} rounds of {SECONDS} s"
    );
    println!("| what | clients | SQLite | PostgreSQL | PostgreSQL / SQLite |");
    println!("|---|---:|---:|---:|---:|");
    for (what, submissions) in [("consent records", false), ("sealed submissions", true)] {
        for clients in [1, 8, 32] {
            let mut figures = vec![Vec::new(); stores.len()];
            for _ in 0..ROUNDS {
                for (s, server) in servers.iter().enumerate() {
                    figures[s].push(throughput(server.port, clients, submissions));
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
