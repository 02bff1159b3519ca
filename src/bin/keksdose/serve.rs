//! `keksdose serve`: the demo site and the built package over HTTP, under the strict CSP.

use std::fs::File;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use lexopt::ValueExt;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use crate::error::CliError;

/// The policy every response carries: no inline script or style, no eval; wasm compilation
/// is the one exception scripts need.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/// Where the built package is served.
const PKG_PREFIX: &str = "/keksdose/";

/// Requests handled in parallel.
const WORKERS: usize = 4;

/// `serve`'s options.
#[derive(Debug)]
pub struct Options {
    host: String,
    port: u16,
    root: PathBuf,
    pkg: PathBuf,
}

impl Options {
    /// Reads the options after `serve`.
    pub fn parse(parser: &mut lexopt::Parser) -> Result<Options, CliError> {
        let mut options = Options {
            host: "127.0.0.1".into(),
            port: 8080,
            root: "www".into(),
            pkg: "pkg".into(),
        };
        while let Some(arg) = parser.next()? {
            match arg {
                lexopt::Arg::Long("host") => options.host = parser.value()?.string()?,
                lexopt::Arg::Long("port") => options.port = parser.value()?.parse()?,
                lexopt::Arg::Long("root") => options.root = parser.value()?.into(),
                lexopt::Arg::Long("pkg") => options.pkg = parser.value()?.into(),
                other => return Err(other.unexpected().into()),
            }
        }
        Ok(options)
    }
}

/// Serves until killed.
pub fn run(options: Options) -> Result<ExitCode, CliError> {
    for (dir, what) in [(&options.root, "--root"), (&options.pkg, "--pkg")] {
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "{what} {}: not a directory (build first: see README)",
                dir.display()
            )));
        }
    }
    let address = format!("{}:{}", options.host, options.port);
    let server = Server::http(&address).map_err(|e| CliError::Listen {
        address: address.clone(),
        reason: e.to_string(),
    })?;
    let bound = server
        .server_addr()
        .to_ip()
        .map_or(address.clone(), |a| a.to_string());
    // Tests and scripts read this line to learn the port.
    println!("keksdose: serving http://{bound}/");
    println!(
        "keksdose: site {} — package {} at {PKG_PREFIX}",
        options.root.display(),
        options.pkg.display()
    );
    let server = Arc::new(server);
    let options = Arc::new(options);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            let options = Arc::clone(&options);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    handle(&options, request);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(ExitCode::SUCCESS)
}

fn handle(options: &Options, request: Request) {
    let response = match request.method() {
        Method::Get | Method::Head => static_file(options, request.url()),
        _ => text(405, "method not allowed\n"),
    };
    // A client that went away is not the server's problem.
    let _ = request.respond(response);
}

type Reply = Response<Box<dyn std::io::Read + Send>>;

fn static_file(options: &Options, url: &str) -> Reply {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let (dir, rest) = match path.strip_prefix(PKG_PREFIX) {
        Some(rest) => (&options.pkg, rest),
        None => (&options.root, path.trim_start_matches('/')),
    };
    let Some(relative) = safe_relative_path(rest) else {
        return text(400, "bad path\n");
    };
    let mut file_path = dir.join(relative);
    if file_path.is_dir() {
        if !path.ends_with('/') {
            return redirect(&format!("{path}/"));
        }
        file_path.push("index.html");
    }
    match File::open(&file_path) {
        Ok(file) if file_path.is_file() => {
            let length = file.metadata().ok().map(|m| m.len() as usize);
            with_headers(
                Response::new(
                    StatusCode(200),
                    Vec::new(),
                    Box::new(file) as Box<dyn std::io::Read + Send>,
                    length,
                    None,
                ),
                content_type(&file_path),
            )
        }
        _ => text(404, "not found\n"),
    }
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

fn text(status: u16, body: &str) -> Reply {
    let body = body.as_bytes().to_vec();
    let length = body.len();
    with_headers(
        Response::new(
            StatusCode(status),
            Vec::new(),
            Box::new(std::io::Cursor::new(body)) as Box<dyn std::io::Read + Send>,
            Some(length),
            None,
        ),
        "text/plain; charset=utf-8",
    )
}

fn redirect(location: &str) -> Reply {
    text(301, "moved\n").with_header(header("Location", location))
}

fn with_headers(response: Reply, content_type: &str) -> Reply {
    response
        .with_header(header("Content-Type", content_type))
        .with_header(header("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "same-origin"))
        .with_header(header("Cache-Control", "no-cache"))
}

fn header(name: &str, value: &str) -> Header {
    // Names and values here are ASCII constants or validated paths.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
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
