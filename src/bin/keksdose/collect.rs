//! `keksdose collect`: the production collector — sealed submissions at `POST /inbox/{tenant}`,
//! consent records at `POST /keksdose/receipts` — and nothing else: it serves no files. Also
//! what `keksdose serve` runs beside the demo site.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use keksdose::collector::server::{self, Collector, Limits, RECEIPTS_PATH};
use keksdose::collector::{self as store, Store};
use keksdose::config::Config;

use crate::error::CliError;

/// Run the collector: receive sealed submissions and consent records for the tenants of the
/// configs, and nothing else (no files are served).
///
/// Put it behind the site's reverse proxy (TLS) at /inbox/ and /keksdose/receipts, or on its
/// own host name.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  keksdose collect --config musterstadt.json --config beispieldorf.json --db /var/lib/keksdose/inbox.sqlite --retention musterstadt=1095\n  keksdose collect --config musterstadt.json --db postgres://keksdose@db.intern/keksdose"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    host: String,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 8081, value_name = "N")]
    port: u16,
    #[command(flatten)]
    collector: CollectorArgs,
}

/// What `collect` and `serve` share: tenants, store, retention, limits.
#[derive(Debug, clap::Args)]
pub struct CollectorArgs {
    /// A tenant's site config (repeatable): its consent records are accepted, and its sealed
    /// submissions when it has seal keys.
    #[arg(long = "config", value_name = "FILE")]
    pub configs: Vec<PathBuf>,
    /// The store: an SQLite file (created if missing) or a postgres:// URL.
    #[arg(
        long = "db",
        default_value = "keksdose.sqlite",
        value_name = "FILE|URL"
    )]
    pub database: String,
    /// Delete TENANT's consent records and sealed submissions DAYS after they were received
    /// (repeatable; checked at start and every hour). Without it nothing is deleted.
    #[arg(long = "retention", value_name = "TENANT=DAYS", value_parser = parse_retention)]
    pub retention: Vec<(String, u64)>,
    /// Close a connection on which nothing is sent or read for SECONDS; also the time a
    /// request head may take, and a body's time on top of its size at 16 KiB/s.
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// Connections served at once (more wait).
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
    /// Request bodies held in memory at once, in MiB; beyond, uploads get 503.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    pub body_memory: usize,
}

/// `--retention TENANT=DAYS`.
fn parse_retention(value: &str) -> Result<(String, u64), String> {
    let (tenant, days) = value
        .split_once('=')
        .ok_or("expected TENANT=DAYS, e.g. musterstadt=1095")?;
    let days = days
        .parse()
        .map_err(|_| "DAYS is a whole number, e.g. musterstadt=1095")?;
    Ok((tenant.to_owned(), days))
}

/// Serves until stopped.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.collector.configs.is_empty() {
        return Err(CliError::Usage(
            "which tenants? name each tenant's config with --config FILE".into(),
        ));
    }
    run_server(&args.host, args.port, &args.collector, None)
}

/// Listens on `host:port` and serves the collector for `args`'s tenants (none without
/// configs), with `site` as the fallback for everything else (the demo; with the lines that
/// describe it). Stopped by Ctrl+C or
/// SIGTERM, it lets requests in flight finish and closes the store.
pub fn run_server(
    host: &str,
    port: u16,
    args: &CollectorArgs,
    site: Option<(Router, Vec<String>)>,
) -> Result<ExitCode, CliError> {
    let configs = read_configs(&args.configs)?;
    for (tenant, _) in &args.retention {
        if !configs.iter().any(|c| &c.tenant == tenant) {
            return Err(CliError::Usage(format!(
                "--retention {tenant}=…: no --config is for tenant {tenant}"
            )));
        }
    }
    let address = format!("{host}:{port}");
    let listen_error = |reason: String| CliError::Listen {
        address: address.clone(),
        reason,
    };
    let listener =
        std::net::TcpListener::bind(&address).map_err(|e| listen_error(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| listen_error(e.to_string()))?;
    let bound = listener
        .local_addr()
        .map_err(|e| listen_error(e.to_string()))?;
    let store: Option<Arc<dyn Store>> = if configs.is_empty() {
        None
    } else {
        Some(Arc::from(
            store::open(&args.database, false).map_err(CliError::Database)?,
        ))
    };
    let idle = Duration::from_secs(args.idle_timeout.max(1));
    let limits = Limits {
        max_connections: args.max_connections.max(1),
        header_time: idle,
        idle_time: idle,
        body_time: idle,
        max_body_memory: args.body_memory.saturating_mul(1024 * 1024),
        ..Limits::default()
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| listen_error(e.to_string()))?;
    let result = runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(|e| listen_error(e.to_string()))?;
        let mut app = Router::new();
        // Tests and scripts read this line to learn the port.
        announce(&format!("serving http://{bound}/"));
        for line in site.iter().flat_map(|(_, lines)| lines) {
            announce(line);
        }
        if let Some(store) = &store {
            let collector = Arc::new(Collector::new(&configs, Arc::clone(store), limits.clone()));
            announce_tenants(&collector, &args.database);
            app = app.merge(Arc::clone(&collector).router());
            if !args.retention.is_empty() {
                tokio::spawn(retention(Arc::clone(store), args.retention.clone()));
            }
        }
        if let Some((site, _)) = site {
            app = app.merge(site);
        }
        // The site's answers get the baseline headers too.
        let app = app.layer(axum::middleware::map_response(
            server::with_baseline_headers,
        ));
        server::serve(listener, app, &limits, stopped()).await;
        Ok::<(), CliError>(())
    });
    // The store's last reference goes here, outside the runtime (a PostgreSQL client must not
    // be dropped on an async thread).
    drop(runtime);
    result?;
    if let Some(store) = store {
        store.close().map_err(CliError::Database)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl+C or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Says what is collected for whom, and where it is stored.
fn announce_tenants(collector: &Collector, database: &str) {
    let place = without_password(database);
    let sealed = collector.seal_tenants();
    if !sealed.is_empty() {
        let routes: Vec<String> = sealed.iter().map(|t| format!("/inbox/{t}")).collect();
        announce(&format!(
            "collecting sealed submissions for {} into {place}",
            routes.join(", ")
        ));
    }
    announce(&format!(
        "logging consent records for {} at {RECEIPTS_PATH} into {place}",
        collector.record_tenants().join(", ")
    ));
}

/// A store location fit for a log line: a URL's password replaced by `***`.
fn without_password(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_owned();
    };
    let Some((user_info, host)) = rest.rsplit_once('@') else {
        return location.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => location.to_owned(),
    }
}

/// Applies each tenant's retention now and every hour after.
async fn retention(store: Arc<dyn Store>, retention: Vec<(String, u64)>) {
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let (store, retention) = (Arc::clone(&store), retention.clone());
        let _ = tokio::task::spawn_blocking(move || apply_retention(&*store, &retention)).await;
    }
}

/// Deletes what each tenant's retention period has passed for: consent records (the oldest,
/// keeping the chain verifiable) and sealed submissions. Failures are reported and retried at
/// the next round.
fn apply_retention(store: &dyn Store, retention: &[(String, u64)]) {
    for (tenant, days) in retention {
        let cutoff = store::days_ago(*days);
        match (
            store.delete_records_before(tenant, cutoff),
            store.delete_submissions_before(tenant, cutoff),
        ) {
            (Ok(records), Ok(submissions)) => announce(&format!(
                "retention: deleted {records} consent records and {submissions} submissions of \
                 {tenant} received before {}",
                keksdose::strings::utc(cutoff)
            )),
            (Err(error), _) | (_, Err(error)) => eprintln!("keksdose: retention: {error}"),
        }
    }
}

/// The configs of `--config`, each read once; a broken one stops the server with every
/// problem named.
fn read_configs(paths: &[PathBuf]) -> Result<Vec<Config>, CliError> {
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
                path: path.clone(),
                source,
            })?;
            Config::from_json(&text)
                .map_err(|e| CliError::Usage(format!("{}: invalid config:\n{e}", path.display())))
        })
        .collect()
}

/// A line on stdout; a server keeps serving when nobody reads it any more.
pub fn announce(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "keksdose: {line}").and_then(|()| stdout.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_log_lines() {
        assert_eq!(
            without_password("postgres://keksdose:geheim@db.intern:5432/log"),
            "postgres://keksdose:***@db.intern:5432/log"
        );
        assert_eq!(
            without_password("postgres://keksdose@db.intern/log"),
            "postgres://keksdose@db.intern/log"
        );
        assert_eq!(without_password("inbox.sqlite"), "inbox.sqlite");
    }
}
