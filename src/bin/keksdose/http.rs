//! A small HTTP/1.1 server on std: one thread per connection, keep-alive, bounded headers and
//! bodies, read timeouts. Enough for the demo site and the collector, nothing more: no TLS (put
//! a reverse proxy in front), no chunked request bodies.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Largest request head (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at the same time; more are refused with 503.
const MAX_CONNECTIONS: usize = 256;
/// How long a connection may stay silent.
const READ_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a refused body is read and dropped before closing.
const LINGER_BYTES: u64 = 64 * 1024 * 1024;

/// A request with its whole body.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (empty without `Content-Length`).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The path of the target, without query.
    pub fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or("/")
    }
}

/// A response body.
pub enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file of known length.
    File(std::fs::File, u64),
}

/// A response.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers besides `Content-Length` and `Connection`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl Response {
    /// A response with a body in memory.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_owned())],
            body: Body::Bytes(body),
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, body: &str) -> Response {
        Response::bytes(
            status,
            "text/plain; charset=utf-8",
            body.as_bytes().to_vec(),
        )
    }

    /// Adds a header.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

/// What the server asks of the application.
pub trait Handler: Send + Sync + 'static {
    /// The largest body accepted for a request with this head; larger ones get 413.
    fn max_body(&self, method: &str, target: &str) -> usize;
    /// Answers a complete request.
    fn handle(&self, request: &Request) -> Response;
}

/// Accepts connections on `listener` until the process ends.
pub fn serve(listener: TcpListener, handler: Arc<dyn Handler>) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            let _ = write_response(&mut stream, Response::text(503, "busy\n"), false, false);
            continue;
        }
        let handler = Arc::clone(&handler);
        let open = Arc::clone(&open);
        std::thread::spawn(move || {
            // A broken connection is the client's business; there is nobody to report it to.
            let _ = connection(stream, handler.as_ref());
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

fn connection(stream: TcpStream, handler: &dyn Handler) -> io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let head = match read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(status) => {
                write_response(
                    &mut writer,
                    Response::text(status, "bad request\n"),
                    false,
                    false,
                )?;
                return Ok(());
            }
        };
        let (method, target, version, headers) = head;
        let keep_alive = match header(&headers, "connection") {
            Some(value) if value.eq_ignore_ascii_case("close") => false,
            Some(value) if value.eq_ignore_ascii_case("keep-alive") => true,
            _ => version == "HTTP/1.1",
        };
        if header(&headers, "transfer-encoding").is_some() {
            let response = Response::text(411, "send a Content-Length\n");
            write_response(&mut writer, response, false, false)?;
            return Ok(());
        }
        let length = match header(&headers, "content-length").map(str::parse::<usize>) {
            None => 0,
            Some(Ok(length)) => length,
            Some(Err(_)) => {
                let response = Response::text(400, "bad Content-Length\n");
                write_response(&mut writer, response, false, false)?;
                return Ok(());
            }
        };
        if length > handler.max_body(&method, &target) {
            let response = Response::text(413, "request body too large\n");
            write_response(&mut writer, response, false, false)?;
            return linger(&mut writer, &mut reader);
        }
        if header(&headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        // The whole body is read before the handler sees the request: a client that stops
        // half-way ends the connection here, and nothing is handled.
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let request = Request {
            method,
            target,
            headers,
            body,
        };
        let head_only = request.method == "HEAD";
        let response = handler.handle(&request);
        write_response(&mut writer, response, keep_alive, head_only)?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// After refusing a request early, reads (and drops) what the client is still sending for a
/// while, so that it receives the answer instead of a connection reset.
fn linger(writer: &mut TcpStream, reader: &mut BufReader<TcpStream>) -> io::Result<()> {
    writer.shutdown(std::net::Shutdown::Write)?;
    writer.set_read_timeout(Some(Duration::from_secs(2)))?;
    let _ = io::copy(&mut reader.take(LINGER_BYTES), &mut io::sink());
    Ok(())
}

type Head = (String, String, String, Vec<(String, String)>);

/// Reads a request head; `Ok(None)` when the client closed the connection between requests,
/// `Err(status)` for a malformed or oversized head.
fn read_head(reader: &mut BufReader<TcpStream>) -> Result<Option<Head>, u16> {
    let mut lines = Vec::new();
    let mut size = 0;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) if lines.is_empty() => return Ok(None),
            Ok(0) => return Err(400),
            Ok(n) => size += n,
            Err(_) if lines.is_empty() => return Ok(None),
            Err(_) => return Err(400),
        }
        if size > MAX_HEAD {
            return Err(431);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // tolerated blank line between requests
            }
            break;
        }
        lines.push(line);
    }
    let mut request_line = lines[0].split(' ');
    let (Some(method), Some(target), Some(version), None) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(400);
    };
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") || !target.starts_with('/') {
        return Err(400);
    }
    let mut headers = Vec::new();
    for line in &lines[1..] {
        let (name, value) = line.split_once(':').ok_or(400u16)?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(Some((
        method.to_owned(),
        target.to_owned(),
        version.to_owned(),
        headers,
    )))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn write_response(
    writer: &mut TcpStream,
    response: Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let length = match &response.body {
        Body::Bytes(bytes) => bytes.len() as u64,
        Body::File(_, length) => *length,
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {length}\r\nConnection: {}\r\n",
        response.status,
        reason(response.status),
        if keep_alive { "keep-alive" } else { "close" }
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = io::BufWriter::new(writer);
    out.write_all(head.as_bytes())?;
    if !head_only {
        match response.body {
            Body::Bytes(bytes) => out.write_all(&bytes)?,
            Body::File(file, length) => {
                io::copy(&mut file.take(length), &mut out)?;
            }
        }
    }
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}
