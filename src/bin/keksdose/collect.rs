//! `keksdose collect`: the production collector — sealed submissions at `POST /inbox/{tenant}`,
//! consent records at `POST /keksdose/receipts` — and nothing else: it serves no files. Also
//! what `keksdose serve` runs beside the demo site.

use std::path::{Path, PathBuf};
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
/// Either name everything in a collector file (tenants with their retention, store, address,
/// limits; see README "The collector"), or the tenants' configs with --config. Put it behind
/// the site's reverse proxy (TLS) at /inbox/ and /keksdose/receipts, or on its own host name.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  keksdose collect /etc/keksdose/collector.json\n  keksdose collect --config musterstadt.json --db postgres://keksdose@db.intern/keksdose --retention musterstadt=1095"
)]
pub struct Args {
    /// The collector file (JSON): tenants and their retention, store, address, limits.
    #[arg(value_name = "COLLECTOR_FILE", conflicts_with_all = ["configs", "retention", "host", "port", "database", "idle_timeout", "max_connections", "body_memory"])]
    file: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    host: String,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 8081, value_name = "N")]
    port: u16,
    #[command(flatten)]
    collector: CollectorArgs,
}

/// Default of `--idle-timeout` and `limits.idleTimeoutSeconds`.
const IDLE_SECONDS: u64 = 15;
/// Default of `--max-connections` and `limits.maxConnections`.
const MAX_CONNECTIONS: usize = 1024;
/// Default of `--body-memory` and `limits.bodyMemoryMiB`.
const BODY_MEMORY_MIB: usize = 512;

/// What `collect` and `serve` share: tenants, store, retention, limits.
#[derive(clap::Args)]
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
    #[arg(long, default_value_t = IDLE_SECONDS, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// Connections served at once (more wait).
    #[arg(long, default_value_t = MAX_CONNECTIONS, value_name = "N")]
    pub max_connections: usize,
    /// Request bodies held in memory at once, in MiB; beyond, uploads get 503.
    #[arg(long, default_value_t = BODY_MEMORY_MIB, value_name = "MIB")]
    pub body_memory: usize,
}

/// Without the password a `--db` URL may hold.
impl std::fmt::Debug for CollectorArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectorArgs")
            .field("configs", &self.configs)
            .field("database", &without_password(&self.database))
            .field("retention", &self.retention)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("body_memory", &self.body_memory)
            .finish()
    }
}

/// `--retention TENANT=DAYS`.
fn parse_retention(value: &str) -> Result<(String, u64), String> {
    let (tenant, days) = value
        .split_once('=')
        .ok_or("expected TENANT=DAYS, e.g. musterstadt=1095")?;
    let days = days
        .parse()
        .map_err(|_| "DAYS is a whole number, e.g. musterstadt=1095")?;
    Ok((crate::tenant_name(tenant)?, days))
}

/// How long a tenant's data is kept, in days after it was received; `None` keeps it.
#[derive(Debug, Clone)]
struct Retention {
    tenant: String,
    consent_records: Option<u64>,
    submissions: Option<u64>,
}

/// Everything a collector runs with, from the command line or a collector file.
pub struct Setup {
    address: String,
    configs: Vec<Config>,
    database: String,
    retention: Vec<Retention>,
    limits: Limits,
}

/// The limits of `idle` seconds (header, inactivity and body base time alike), `connections`
/// and `body_mib` MiB of bodies in memory.
fn limits(idle: u64, connections: usize, body_mib: usize) -> Limits {
    let idle = Duration::from_secs(idle.max(1));
    Limits {
        max_connections: connections.max(1),
        header_time: idle,
        idle_time: idle,
        body_time: idle,
        max_body_memory: body_mib.saturating_mul(1024 * 1024),
        ..Limits::default()
    }
}

impl CollectorArgs {
    /// The setup these flags describe, listening on `host:port`.
    pub fn setup(&self, host: &str, port: u16) -> Result<Setup, CliError> {
        let configs = read_configs(&self.configs)?;
        let mut retention = Vec::new();
        for (tenant, days) in &self.retention {
            if !configs.iter().any(|c| &c.tenant == tenant) {
                return Err(CliError::Usage(format!(
                    "--retention {tenant}=…: no --config is for tenant {tenant}"
                )));
            }
            retention.push(Retention {
                tenant: tenant.clone(),
                consent_records: Some(*days),
                submissions: Some(*days),
            });
        }
        Ok(Setup {
            address: format!("{host}:{port}"),
            configs,
            database: self.database.clone(),
            retention,
            limits: limits(self.idle_timeout, self.max_connections, self.body_memory),
        })
    }
}

/// The collector file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CollectorFile {
    #[serde(default = "default_listen")]
    listen: String,
    store: String,
    tenants: std::collections::BTreeMap<String, TenantEntry>,
    #[serde(default)]
    limits: FileLimits,
}

fn default_listen() -> String {
    "127.0.0.1:8081".into()
}

/// A tenant of the collector file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TenantEntry {
    config: PathBuf,
    consent_record_days: Option<u64>,
    submission_days: Option<u64>,
}

/// `limits` of the collector file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
struct FileLimits {
    idle_timeout_seconds: u64,
    max_connections: usize,
    #[serde(rename = "bodyMemoryMiB")]
    body_memory_mib: usize,
}

impl Default for FileLimits {
    fn default() -> FileLimits {
        FileLimits {
            idle_timeout_seconds: IDLE_SECONDS,
            max_connections: MAX_CONNECTIONS,
            body_memory_mib: BODY_MEMORY_MIB,
        }
    }
}

/// Reads a collector file; relative paths in it are relative to its directory. Errors name the
/// dotted path of the problem.
fn read_collector_file(path: &Path) -> Result<Setup, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |at: &str, why: &dyn std::fmt::Display| {
        CliError::Usage(format!("{}: {at}: {why}", path.display()))
    };
    let file: CollectorFile =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(&text))
            .map_err(|e| invalid(&e.path().to_string(), e.inner()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut configs = Vec::new();
    let mut retention = Vec::new();
    for (tenant, entry) in &file.tenants {
        let config = read_config(&base.join(&entry.config))?;
        if &config.tenant != tenant {
            return Err(invalid(
                &format!("tenants.{tenant}.config"),
                &format!(
                    "{} is the config of tenant {}",
                    entry.config.display(),
                    config.tenant
                ),
            ));
        }
        configs.push(config);
        retention.push(Retention {
            tenant: tenant.clone(),
            consent_records: entry.consent_record_days,
            submissions: entry.submission_days,
        });
    }
    if configs.is_empty() {
        return Err(invalid("tenants", &"name at least one tenant"));
    }
    let database = match store::sqlite_path(&file.store) {
        Some(path) => base.join(path).to_string_lossy().into_owned(),
        None => file.store,
    };
    let FileLimits {
        idle_timeout_seconds,
        max_connections,
        body_memory_mib,
    } = file.limits;
    Ok(Setup {
        address: file.listen,
        configs,
        database,
        retention,
        limits: limits(idle_timeout_seconds, max_connections, body_memory_mib),
    })
}

/// Serves until stopped.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let setup = match &args.file {
        Some(file) => read_collector_file(file)?,
        None if args.collector.configs.is_empty() => {
            return Err(CliError::Usage(
                "which tenants? give a collector file, or each tenant's config with --config FILE"
                    .into(),
            ));
        }
        None => args.collector.setup(&args.host, args.port)?,
    };
    run_server(setup, None)
}

/// Listens and serves the collector for the setup's tenants (none without configs), with `site`
/// as the fallback for everything else (the demo; with the lines that describe it). Stopped by
/// Ctrl+C or SIGTERM, it lets requests in flight finish and closes the store.
pub fn run_server(setup: Setup, site: Option<(Router, Vec<String>)>) -> Result<ExitCode, CliError> {
    let Setup {
        address,
        configs,
        database,
        retention,
        limits,
    } = setup;
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
            store::open(&database, false).map_err(CliError::Database)?,
        ))
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
            announce_tenants(&collector, &database);
            app = app.merge(Arc::clone(&collector).router());
            if retention
                .iter()
                .any(|r| r.consent_records.is_some() || r.submissions.is_some())
            {
                tokio::spawn(apply_retention_hourly(Arc::clone(store), retention));
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
async fn apply_retention_hourly(store: Arc<dyn Store>, retention: Vec<Retention>) {
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let (store, retention) = (Arc::clone(&store), retention.clone());
        let _ = tokio::task::spawn_blocking(move || apply_retention(&*store, &retention)).await;
    }
}

/// Deletes what each tenant's retention periods have passed for: consent records (the oldest,
/// keeping the chain verifiable) and sealed submissions. Failures are reported and retried at
/// the next round.
fn apply_retention(store: &dyn Store, retention: &[Retention]) {
    for Retention {
        tenant,
        consent_records,
        submissions,
    } in retention
    {
        let kinds: [(&str, Option<u64>, Delete); 2] = [
            (
                "consent records",
                *consent_records,
                |store, tenant, cutoff| store.delete_records_before(tenant, cutoff),
            ),
            ("submissions", *submissions, |store, tenant, cutoff| {
                store.delete_submissions_before(tenant, cutoff)
            }),
        ];
        for (what, days, delete) in kinds {
            let Some(days) = days else { continue };
            let cutoff = store::days_ago(days);
            match delete(store, tenant, cutoff) {
                Ok(deleted) => announce(&format!(
                    "retention: deleted {deleted} {what} of {tenant} received before {}",
                    keksdose::strings::utc(cutoff)
                )),
                Err(error) => eprintln!("keksdose: retention: {error}"),
            }
        }
    }
}

/// Deletes a tenant's data of one kind received before a cut-off; how many.
type Delete = fn(&dyn Store, &str, u64) -> Result<u64, String>;

/// The configs of `--config`, each read once; a broken one stops the server with every
/// problem named.
fn read_configs(paths: &[PathBuf]) -> Result<Vec<Config>, CliError> {
    paths.iter().map(|path| read_config(path)).collect()
}

/// A tenant's config.
fn read_config(path: &Path) -> Result<Config, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })?;
    Config::from_json(&text)
        .map_err(|e| CliError::Usage(format!("{}: invalid config:\n{e}", path.display())))
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
    fn passwords_stay_out_of_log_lines_and_debug() {
        assert_eq!(
            without_password("postgres://keksdose:geheim@db.intern:5432/log"),
            "postgres://keksdose:***@db.intern:5432/log"
        );
        assert_eq!(
            without_password("postgres://keksdose@db.intern/log"),
            "postgres://keksdose@db.intern/log"
        );
        assert_eq!(without_password("inbox.sqlite"), "inbox.sqlite");
        let args = CollectorArgs {
            configs: Vec::new(),
            database: "postgres://keksdose:geheim@db.intern/log".into(),
            retention: Vec::new(),
            idle_timeout: IDLE_SECONDS,
            max_connections: MAX_CONNECTIONS,
            body_memory: BODY_MEMORY_MIB,
        };
        assert!(!format!("{args:?}").contains("geheim"));
    }
}
