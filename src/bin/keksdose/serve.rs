//! `keksdose serve`: the demo site and the built package over HTTP, under the strict CSP, with
//! the collector of `keksdose collect` beside it (sealed submissions at `POST /inbox/{tenant}`,
//! consent records at `POST /keksdose/receipts`). The collector's database is never served.
//!
//! Every response carries [`CONTENT_SECURITY_POLICY`]. HTML pages additionally allow their own
//! inline scripts by SHA-256 hash (so hand-written inline scripts and inline marked scripts
//! run, injected ones do not), and `--allow-origin` adds origins for resources from elsewhere.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use keksdose::base64;
use sha2::{Digest, Sha256};

use crate::collect::{CollectorArgs, run_server};
use crate::error::CliError;

/// The policy every response carries: no inline script or style, no eval; wasm compilation
/// is the one exception scripts need.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/// Where the built package is served.
const PKG_PREFIX: &str = "/keksdose/";

/// Serve the demo site and the built package, with the collector beside it (the site's
/// keksdose.json unless --config names others).
///
/// Every response carries a strict Content-Security-Policy; HTML pages allow their own inline
/// scripts by hash. For production, serve the site with your web server and run
/// `keksdose collect`.
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
    #[command(flatten)]
    collector: CollectorArgs,
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

/// The demo site: directories served under URL prefixes, under the strict CSP.
#[derive(Debug)]
struct Site {
    /// URL prefix → directory, longest prefix first; `/` is the site root.
    mounts: Vec<(String, PathBuf)>,
    /// Extra CSP sources for resources from elsewhere (`http://*.localhost:*`).
    origins: Vec<String>,
    /// The collector's SQLite file, never served (also when it lies in a served directory).
    database: Option<PathBuf>,
}

/// Serves until stopped.
pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    if args.collector.configs.is_empty() && args.root.join("keksdose.json").is_file() {
        args.collector.configs.push(args.root.join("keksdose.json"));
    }
    let mut mounts = args.mounts;
    mounts.push((PKG_PREFIX.into(), args.pkg));
    mounts.push(("/".into(), args.root));
    mounts.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    for (prefix, dir) in &mounts {
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "{} (served at {prefix}): not a directory (build first: see README)",
                dir.display()
            )));
        }
    }
    let database = &args.collector.database;
    let site = Arc::new(Site {
        mounts,
        origins: args.origins,
        database: keksdose::collector::sqlite_path(database).map(PathBuf::from),
    });
    let lines = site
        .mounts
        .iter()
        .rev()
        .map(|(prefix, dir)| format!("{prefix} → {}", dir.display()))
        .collect();
    let files = Router::new().fallback(move |method: Method, uri: Uri| {
        let site = Arc::clone(&site);
        async move {
            if method != Method::GET && method != Method::HEAD {
                let refused = (
                    StatusCode::METHOD_NOT_ALLOWED,
                    [(header::ALLOW, "GET, HEAD")],
                    "method not allowed\n",
                );
                return with_policy(refused.into_response(), CONTENT_SECURITY_POLICY);
            }
            let path = uri.path().to_owned();
            tokio::task::spawn_blocking(move || site.file(&path))
                .await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    });
    let setup = args.collector.setup(&args.host, args.port)?;
    run_server(setup, Some((files, lines)))
}

impl Site {
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

    /// Whether `file` is the collector's database or one of its companion files.
    fn is_database(&self, file: &Path) -> bool {
        let Ok(file) = std::fs::canonicalize(file) else {
            return true;
        };
        let Some(database) = &self.database else {
            return false;
        };
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

    /// The file at URL `path`, or 301 to a directory's slash form, or 404.
    fn file(&self, path: &str) -> Response {
        let text = |status: StatusCode, body: &'static str| {
            with_policy((status, body).into_response(), CONTENT_SECURITY_POLICY)
        };
        let Some((dir, rest)) = self
            .mounts
            .iter()
            .find_map(|(prefix, dir)| Some((dir, path.strip_prefix(prefix.as_str())?)))
        else {
            return text(StatusCode::NOT_FOUND, "not found\n");
        };
        let Some(relative) = safe_relative_path(rest) else {
            return text(StatusCode::BAD_REQUEST, "bad path\n");
        };
        let mut file_path = dir.join(relative);
        if file_path.is_dir() {
            if !path.ends_with('/') {
                // Relative to the directory's own name: a path like `//host` cannot turn the
                // redirect into one to another host.
                let name = path.rsplit('/').next().unwrap_or_default();
                let mut moved = text(StatusCode::MOVED_PERMANENTLY, "moved\n");
                if let Ok(location) = HeaderValue::from_str(&format!("./{name}/")) {
                    moved.headers_mut().insert(header::LOCATION, location);
                }
                return moved;
            }
            file_path.push("index.html");
        }
        if !file_path.is_file() || self.is_database(&file_path) {
            return text(StatusCode::NOT_FOUND, "not found\n");
        }
        let Ok(bytes) = std::fs::read(&file_path) else {
            return text(StatusCode::NOT_FOUND, "not found\n");
        };
        let content_type = content_type(&file_path);
        let csp = if content_type.starts_with("text/html") {
            let html = String::from_utf8_lossy(&bytes);
            self.content_security_policy(&inline_script_hashes(&html))
        } else {
            self.content_security_policy(&[])
        };
        let response = ([(header::CONTENT_TYPE, content_type)], Body::from(bytes));
        with_policy(response.into_response(), &csp)
    }
}

/// The site's policy on `response` (the server adds the other security headers to every
/// response).
fn with_policy(mut response: Response, csp: &str) -> Response {
    if let Ok(csp) = HeaderValue::from_str(csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
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
        let mut options = Site {
            mounts: Vec::new(),
            origins: Vec::new(),
            database: None,
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
