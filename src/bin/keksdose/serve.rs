//! `keksdose serve`: the demo site and the built package over HTTP, under the strict CSP, and
//! the collector that receives sealed submissions at `POST /inbox/{tenant}`.
//!
//! Every response carries [`CONTENT_SECURITY_POLICY`]. HTML pages additionally allow their own
//! inline scripts by SHA-256 hash (so hand-written inline scripts and inline marked scripts
//! run, injected ones do not), and `--allow-origin` adds origins for resources from elsewhere.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use std::collections::HashMap;

use keksdose::base64;
use keksdose::config::Config;
use keksdose::consent::record::{MAX_RECORD_BYTES, Record};
use keksdose::consent_log::ConsentLog;
use keksdose::seal::envelope::{Header, MEDIA_TYPE, chunks_well_formed, max_envelope_len};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::CliError;
use crate::http::{self, Body, Handler, Request, Response};
use crate::inbox::{Inbox, InboxError, Incoming, Sqlite, Stored};

/// The policy every response carries: no inline script or style, no eval; wasm compilation
/// is the one exception scripts need.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/// Where the built package is served.
const PKG_PREFIX: &str = "/keksdose/";
/// Where sealed submissions are posted: `/inbox/{tenant}`.
const INBOX_PREFIX: &str = "/inbox/";
/// Where consent records are posted (`consent.logEndpoint`).
const RECEIPTS_PATH: &str = "/keksdose/receipts";
/// Bodies accepted where no submission is expected (they are read and answered with 405).
const SMALL_BODY: usize = 64 * 1024;

/// Serve the demo site and the built package, and collect sealed submissions at
/// `POST /inbox/{tenant}`.
///
/// Every response carries a strict Content-Security-Policy; HTML pages allow their own inline
/// scripts by hash.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  keksdose serve --port 8080 --root www --pkg pkg --db inbox.sqlite"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    host: String,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 8080, value_name = "N")]
    port: u16,
    /// The site directory.
    #[arg(long, default_value = "www", value_name = "DIR")]
    root: PathBuf,
    /// The package directory, served at /keksdose/.
    #[arg(long, default_value = "pkg", value_name = "DIR")]
    pkg: PathBuf,
    /// Serve DIR at /PREFIX/ too (repeatable).
    #[arg(long = "mount", value_name = "/PREFIX/=DIR", value_parser = parse_mount)]
    mounts: Vec<(String, PathBuf)>,
    /// Add a CSP source for resources from elsewhere, e.g. http://*.localhost:* (repeatable).
    #[arg(long = "allow-origin", value_name = "SRC", value_parser = parse_origin)]
    origins: Vec<String>,
    /// Tenants and seal keys to collect for (repeatable; default: keksdose.json in the site
    /// directory).
    #[arg(long = "config", value_name = "FILE")]
    configs: Vec<PathBuf>,
    /// The inbox database.
    #[arg(long = "db", default_value = "keksdose.sqlite", value_name = "FILE")]
    database: PathBuf,
    /// Delete TENANT's consent records and sealed submissions DAYS after they were received
    /// (repeatable; checked at start and every hour). Without it nothing is deleted.
    #[arg(long = "retention", value_name = "TENANT=DAYS", value_parser = parse_retention)]
    retention: Vec<(String, u64)>,
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

/// `--mount PREFIX=DIR`: the prefix as `/prefix/`.
fn parse_mount(value: &str) -> Result<(String, PathBuf), String> {
    let (prefix, dir) = value
        .split_once('=')
        .ok_or("expected PREFIX=DIR, e.g. /vendor/=node_modules")?;
    let prefix = format!("/{}/", prefix.trim_matches('/'));
    Ok((prefix.replace("//", "/"), dir.into()))
}

/// `--allow-origin`: one CSP source.
fn parse_origin(value: &str) -> Result<String, String> {
    if value.contains([';', ',', '\'', ' ']) {
        return Err("expected one CSP source like http://*.localhost:*".into());
    }
    Ok(value.to_owned())
}

/// `serve`'s options.
#[derive(Debug)]
pub struct Options {
    host: String,
    port: u16,
    /// URL prefix → directory, longest prefix first; `/` is the site root.
    mounts: Vec<(String, PathBuf)>,
    /// Extra CSP sources for resources from elsewhere (`http://*.localhost:*`).
    origins: Vec<String>,
    /// Configs whose tenants and seal keys the collector accepts.
    configs: Vec<PathBuf>,
    /// The collector's database.
    database: PathBuf,
    /// Days each tenant's records and submissions are kept.
    retention: Vec<(String, u64)>,
}

impl From<Args> for Options {
    fn from(args: Args) -> Options {
        let mut options = Options {
            host: args.host,
            port: args.port,
            mounts: args.mounts,
            origins: args.origins,
            configs: args.configs,
            database: args.database,
            retention: args.retention,
        };
        if options.configs.is_empty() && args.root.join("keksdose.json").is_file() {
            options.configs.push(args.root.join("keksdose.json"));
        }
        options.mounts.push((PKG_PREFIX.into(), args.pkg));
        options.mounts.push(("/".into(), args.root));
        options
            .mounts
            .sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        options
    }
}

impl Options {
    /// The CSP for a response; `inline_scripts` are the hashes of an HTML page's own scripts.
    /// Without either it is exactly [`CONTENT_SECURITY_POLICY`].
    fn content_security_policy(&self, inline_scripts: &[String]) -> String {
        let hashes = inline_scripts.iter().map(|h| format!("'sha256-{h}'"));
        let default: Vec<String> = std::iter::once("'self'".to_owned())
            .chain(self.origins.iter().cloned())
            .collect();
        let script: Vec<String> = ["'self'", "'wasm-unsafe-eval'"]
            .into_iter()
            .map(str::to_owned)
            .chain(self.origins.iter().cloned())
            .chain(hashes)
            .collect();
        format!(
            "default-src {}; script-src {}; style-src 'self'",
            default.join(" "),
            script.join(" ")
        )
    }
}

/// Serves until killed.
pub fn run(options: Options) -> Result<ExitCode, CliError> {
    for (prefix, dir) in &options.mounts {
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "{} (served at {prefix}): not a directory (build first: see README)",
                dir.display()
            )));
        }
    }
    let address = format!("{}:{}", options.host, options.port);
    let listener = TcpListener::bind(&address).map_err(|e| CliError::Listen {
        address: address.clone(),
        reason: e.to_string(),
    })?;
    let bound = listener
        .local_addr()
        .map_or(address.clone(), |a| a.to_string());
    // Tests and scripts read this line to learn the port.
    announce(&format!("serving http://{bound}/"));
    for (prefix, dir) in options.mounts.iter().rev() {
        announce(&format!("{prefix} → {}", dir.display()));
    }
    let configs = read_configs(&options.configs)?;
    let collector = Collector::start(&options, &configs)?;
    let receipts = Receipts::start(&options, &configs)?;
    if !options.retention.is_empty() {
        let (database, retention) = (options.database.clone(), options.retention.clone());
        apply_retention(&database, &retention);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                apply_retention(&database, &retention);
            }
        });
    }
    if collector.is_some() || receipts.is_some() {
        // Stopped (Ctrl+C, SIGTERM): the database file alone then holds everything acknowledged,
        // for a copy or backup of just that file.
        let database = options.database.clone();
        ctrlc::set_handler(move || {
            let code = match Sqlite::checkpoint(&database) {
                Ok(()) => 0,
                Err(error) => {
                    eprintln!("keksdose: {error}");
                    1
                }
            };
            std::process::exit(code);
        })
        .map_err(|e| CliError::Listen {
            address: address.clone(),
            reason: format!("cannot handle stop signals: {e}"),
        })?;
    }
    http::serve(
        listener,
        Arc::new(Site {
            options,
            collector,
            receipts,
        }),
    );
    Ok(ExitCode::SUCCESS)
}

/// Deletes what each tenant's retention period has passed for: consent records (the oldest,
/// keeping the chain verifiable) and sealed submissions. Failures are reported and retried at the
/// next round.
fn apply_retention(database: &Path, retention: &[(String, u64)]) {
    let stores = ConsentLog::open(database).and_then(|log| Ok((log, Sqlite::open(database)?)));
    let (log, inbox) = match stores {
        Ok(stores) => stores,
        Err(error) => return eprintln!("keksdose: retention: {error}"),
    };
    for (tenant, days) in retention {
        let cutoff = crate::days_ago(*days);
        match (
            log.delete_before(tenant, cutoff),
            inbox.delete_received_before(tenant, cutoff),
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

/// A line on stdout; a server keeps serving when nobody reads it any more.
fn announce(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "keksdose: {line}").and_then(|()| stdout.flush());
}

/// The demo site (static files under the strict CSP) and the collector.
struct Site {
    options: Options,
    collector: Option<Collector>,
    receipts: Option<Receipts>,
}

impl Handler for Site {
    fn max_body(&self, method: &str, path: &str) -> usize {
        if method == "POST" && path == RECEIPTS_PATH {
            return MAX_RECORD_BYTES;
        }
        let tenant = path.strip_prefix(INBOX_PREFIX).unwrap_or("");
        match (&self.collector, method) {
            (Some(collector), "POST") => collector
                .tenants
                .get(tenant)
                .map_or(SMALL_BODY, |t| t.max_envelope),
            _ => SMALL_BODY,
        }
    }

    fn handle(&self, request: &Request) -> Response {
        let response = match (
            request.method.as_str(),
            request.path().strip_prefix(INBOX_PREFIX),
        ) {
            ("POST", None) if request.path() == RECEIPTS_PATH => self.receive(request),
            ("POST", Some(tenant)) => self.collect(tenant, request),
            (_, Some(_)) => Response::text(405, "method not allowed\n").with("Allow", "POST"),
            ("GET" | "HEAD", None) => return self.static_file(request.path()),
            _ => Response::text(405, "method not allowed\n").with("Allow", "GET, HEAD"),
        };
        with_policy(response, CONTENT_SECURITY_POLICY)
    }
}

/// A tenant the collector accepts submissions for.
struct Tenant {
    /// Key ids (hex) of the tenant's seal keys, active and retired.
    kids: Vec<String>,
    /// Largest envelope accepted, from `seal.maxAttachmentBytes`.
    max_envelope: usize,
}

/// Receives sealed submissions into the inbox.
struct Collector {
    tenants: HashMap<String, Tenant>,
    inbox: Box<dyn Inbox>,
}

impl Collector {
    /// The collector for the tenants of `configs` that have seal keys; `None` if none
    /// has (then nothing is collected and no database is created).
    fn start(options: &Options, configs: &[Config]) -> Result<Option<Collector>, CliError> {
        let mut tenants = HashMap::new();
        for config in configs {
            if let Some(seal) = &config.seal {
                tenants.insert(
                    config.tenant.clone(),
                    Tenant {
                        kids: seal.keys.iter().map(|k| k.kid.clone()).collect(),
                        max_envelope: max_envelope_len(seal.max_attachment_bytes) as usize,
                    },
                );
            }
        }
        if tenants.is_empty() {
            return Ok(None);
        }
        let inbox = Sqlite::open(&options.database).map_err(CliError::Database)?;
        let mut names: Vec<&String> = tenants.keys().collect();
        names.sort();
        announce(&format!(
            "collecting sealed submissions for {} into {}",
            names
                .iter()
                .map(|t| format!("{INBOX_PREFIX}{t}"))
                .collect::<Vec<_>>()
                .join(", "),
            options.database.display()
        ));
        Ok(Some(Collector {
            tenants,
            inbox: Box::new(inbox),
        }))
    }
}

/// The configs of `--config` (or the site's `keksdose.json`), each read once; a broken one stops
/// the server with every problem named.
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

/// Receives consent records into the consent log, for the tenants of the configs.
struct Receipts {
    tenants: Vec<String>,
    log: ConsentLog,
}

impl Receipts {
    /// The receiver for every configured tenant; `None` without a config.
    fn start(options: &Options, configs: &[Config]) -> Result<Option<Receipts>, CliError> {
        let tenants: Vec<String> = configs.iter().map(|c| c.tenant.clone()).collect();
        if tenants.is_empty() {
            return Ok(None);
        }
        let log = ConsentLog::open(&options.database).map_err(CliError::Database)?;
        announce(&format!(
            "logging consent records for {} at {RECEIPTS_PATH} into {}",
            tenants.join(", "),
            options.database.display()
        ));
        Ok(Some(Receipts { tenants, log }))
    }
}

/// A JSON answer of the collector.
fn answer(status: u16, body: serde_json::Value) -> Response {
    Response::bytes(status, "application/json", body.to_string().into_bytes())
}

impl Site {
    /// `POST /keksdose/receipts`: a consent record, read strictly, appended to its tenant's chain.
    /// Answers `204` once it is stored (also for a record already there), `400` for anything that
    /// is not a record, `404` for a tenant this server does not serve.
    fn receive(&self, request: &Request) -> Response {
        let refuse = |status: u16, why: &str| answer(status, json!({ "error": why }));
        let Some(receipts) = &self.receipts else {
            return refuse(404, "this server logs no consent records (no config)");
        };
        let Ok(text) = std::str::from_utf8(&request.body) else {
            return refuse(400, "not UTF-8");
        };
        let record = match Record::from_json(text) {
            Ok(record) => record,
            Err(why) => return refuse(400, &why),
        };
        if !receipts.tenants.contains(&record.tenant) {
            return refuse(404, "unknown tenant");
        }
        let received = crate::unix_now();
        match receipts.log.append(&record, text, received) {
            Ok(_) => Response::bytes(204, "text/plain", Vec::new()),
            Err(error) => {
                eprintln!("keksdose: {error}");
                refuse(503, "the consent log cannot store records right now")
            }
        }
    }

    /// `POST /inbox/{tenant}`: checks what can be checked without the key, then stores.
    fn collect(&self, tenant_name: &str, request: &Request) -> Response {
        let refuse = |status: u16, why: &str| answer(status, json!({ "error": why }));
        let Some(collector) = &self.collector else {
            return refuse(
                404,
                "this server collects no submissions (no config with seal keys)",
            );
        };
        let Some(tenant) = collector.tenants.get(tenant_name) else {
            return refuse(404, "unknown tenant");
        };
        if request.header("content-type") != Some(MEDIA_TYPE) {
            return refuse(415, &format!("expected Content-Type: {MEDIA_TYPE}"));
        }
        let body = &request.body;
        let (header, header_len) = match Header::parse(body) {
            Ok(parsed) => parsed,
            Err(error) => return refuse(400, &error.to_string()),
        };
        if header.tenant != tenant_name {
            return refuse(400, "the envelope names another tenant than the URL");
        }
        let kid = header.kid.to_string();
        if !tenant.kids.contains(&kid) {
            return refuse(400, "sealed to a key this tenant does not use");
        }
        if !chunks_well_formed(body.len() - header_len, header.chunk_size) {
            return refuse(400, "the ciphertext is not a whole number of chunks");
        }
        let submission_id = header.submission_id_hex();
        let received = crate::unix_now();
        let incoming = Incoming {
            tenant: tenant_name,
            form_id: &header.form_id,
            submission_id: &submission_id,
            kid: &kid,
            created: header.created,
            received,
            envelope: body,
        };
        match collector.inbox.store(&incoming) {
            Ok(Stored::New) => answer(201, json!({ "submission": submission_id })),
            Ok(Stored::AlreadyThere) => {
                answer(200, json!({ "submission": submission_id, "resent": true }))
            }
            Err(InboxError::Conflict) => refuse(409, "another submission has this id"),
            Err(InboxError::Database(error)) => {
                eprintln!("keksdose: inbox: {error}");
                refuse(503, "the inbox cannot store submissions right now")
            }
        }
    }

    /// Whether `file` is the collector's database or one of its companion files: never served,
    /// also when the site directory holds them (`serve --root .`).
    fn is_database(&self, file: &Path) -> bool {
        let Ok(file) = std::fs::canonicalize(file) else {
            return true;
        };
        let database = &self.options.database;
        let (Some(dir), Some(name)) = (database.parent(), database.file_name()) else {
            return false;
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let Ok(dir) = std::fs::canonicalize(dir) else {
            return false;
        };
        ["", "-wal", "-shm", "-journal"].iter().any(|suffix| {
            let mut companion = name.to_owned();
            companion.push(suffix);
            file == dir.join(companion)
        })
    }

    fn static_file(&self, path: &str) -> Response {
        let options = &self.options;
        let not_found = || with_policy(Response::text(404, "not found\n"), CONTENT_SECURITY_POLICY);
        let Some((dir, rest)) = options
            .mounts
            .iter()
            .find_map(|(prefix, dir)| Some((dir, path.strip_prefix(prefix.as_str())?)))
        else {
            return not_found();
        };
        let Some(relative) = safe_relative_path(rest) else {
            return with_policy(Response::text(400, "bad path\n"), CONTENT_SECURITY_POLICY);
        };
        let mut file_path = dir.join(relative);
        if file_path.is_dir() {
            if !path.ends_with('/') {
                // Relative to the directory's own name: a path like `//host` cannot turn the
                // redirect into one to another host.
                let name = path.rsplit('/').next().unwrap_or_default();
                return with_policy(Response::text(301, "moved\n"), CONTENT_SECURITY_POLICY)
                    .with("Location", format!("./{name}/"));
            }
            file_path.push("index.html");
        }
        if !file_path.is_file() || self.is_database(&file_path) {
            return not_found();
        }
        let content_type = content_type(&file_path);
        if content_type.starts_with("text/html") {
            let Ok(html) = std::fs::read_to_string(&file_path) else {
                return not_found();
            };
            let csp = options.content_security_policy(&inline_script_hashes(&html));
            return with_policy(Response::bytes(200, content_type, html.into_bytes()), &csp);
        }
        match File::open(&file_path).and_then(|f| Ok((f.metadata()?.len(), f))) {
            Ok((length, file)) => with_policy(
                Response {
                    status: 200,
                    headers: vec![("Content-Type", content_type.to_owned())],
                    body: Body::File(file, length),
                },
                &options.content_security_policy(&[]),
            ),
            Err(_) => not_found(),
        }
    }
}

/// The site's policy on `response` (the server adds the other security headers to every
/// response).
fn with_policy(response: Response, csp: &str) -> Response {
    response.with("Content-Security-Policy", csp)
}

/// SHA-256 (base64) of the text of every `<script>` without `src` in `html`: the hashes under
/// which the CSP lets exactly these inline scripts run.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let Some(tag_end) = lower[start..].find('>').map(|i| start + i) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| tag_end + i) else {
            break;
        };
        let tag = &lower[start + "<script".len()..tag_end];
        let has_src = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .any(|attribute| attribute == "src" || attribute.starts_with("src="));
        if !has_src {
            let hash = base64::standard(&Sha256::digest(&html.as_bytes()[tag_end + 1..close]));
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
        at = close;
    }
    hashes
}

/// The percent-decoded path below a served directory; `None` for `..`, hidden names,
/// backslashes and NUL, so that nothing outside the directory (or in dot-directories) is served.
fn safe_relative_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut path = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', '\0']) {
            return None;
        }
        let component = Path::new(segment).components().next()?;
        if !matches!(component, Component::Normal(_)) {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_served_directory() {
        assert_eq!(
            safe_relative_path("a/b.html"),
            Some(PathBuf::from("a/b.html"))
        );
        assert_eq!(safe_relative_path(""), Some(PathBuf::new()));
        assert_eq!(
            safe_relative_path("caf%C3%A9.txt"),
            Some(PathBuf::from("café.txt"))
        );
        for bad in [
            "../x",
            "a/../../x",
            "%2e%2e/x",
            ".git/config",
            "a/.env",
            "a%5Cb",
            "%00",
            "%zz",
        ] {
            assert_eq!(safe_relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_not() {
        let html = r#"<script src="/a.js"></script><SCRIPT>x()</SCRIPT>
            <script type="text/plain" data-category="analytics">y()</script>
            <script data-src="/b.js" type="text/plain"></script><script async src=/c.js></script>
            <script data-src="/d.js" type="text/plain"></script>"#;
        let expected: Vec<String> = ["x()", "y()", ""]
            .iter()
            .map(|body| base64::standard(&Sha256::digest(body.as_bytes())))
            .collect();
        assert_eq!(inline_script_hashes(html), expected);
    }

    #[test]
    fn csp_stays_strict_and_only_widens_for_hashes_and_named_origins() {
        let mut options = Options {
            host: String::new(),
            port: 0,
            mounts: Vec::new(),
            origins: Vec::new(),
            configs: Vec::new(),
            database: PathBuf::new(),
            retention: Vec::new(),
        };
        assert_eq!(
            options.content_security_policy(&[]),
            CONTENT_SECURITY_POLICY
        );
        options.origins.push("http://*.localhost:*".into());
        assert_eq!(
            options.content_security_policy(&["AAA=".into()]),
            "default-src 'self' http://*.localhost:*; script-src 'self' 'wasm-unsafe-eval' \
             http://*.localhost:* 'sha256-AAA='; style-src 'self'"
        );
    }

    #[test]
    fn wasm_gets_its_mime_type() {
        assert_eq!(
            content_type(Path::new("x/keksdose_bg.wasm")),
            "application/wasm"
        );
        assert_eq!(
            content_type(Path::new("keksdose.js")),
            "text/javascript; charset=utf-8"
        );
    }
}
