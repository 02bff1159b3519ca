//! A small HTTP/1.1 server on std: one thread per connection, keep-alive, bounded heads and
//! bodies, deadlines rather than idle timeouts (a client sending a byte now and then cannot hold
//! a connection), a bound on the request bodies held in memory at once. Enough for the demo site
//! and the collector, nothing more: no TLS (put a reverse proxy in front), no chunked request
//! bodies.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Largest request head (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at the same time; more are refused with 503.
const MAX_CONNECTIONS: usize = 256;
/// Request bodies held in memory at once, over all connections; a request that would exceed it
/// gets 503.
const MAX_BODIES_IN_MEMORY: usize = 512 * 1024 * 1024;
/// How long the whole head of a request (or the wait for the next one) may take.
const HEAD_TIME: Duration = Duration::from_secs(15);
/// The slowest upload accepted: a body of n bytes may take `HEAD_TIME` + n / this many seconds.
const MIN_BODY_RATE: u64 = 16 * 1024;
/// How much of a refused body is read and dropped before closing, and for how long at most.
const LINGER_BYTES: u64 = 64 * 1024 * 1024;
const LINGER_TIME: Duration = Duration::from_secs(10);

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
        path(&self.target)
    }
}

/// The path of a request target, without query.
fn path(target: &str) -> &str {
    target.split(['?', '#']).next().unwrap_or("/")
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
    /// The largest body accepted for a request with this method and path; larger ones get 413.
    fn max_body(&self, method: &str, path: &str) -> usize;
    /// Answers a complete request.
    fn handle(&self, request: &Request) -> Response;
}

/// A stream whose reads fail with `TimedOut` once its deadline has passed.
struct Timed {
    stream: TcpStream,
    deadline: Instant,
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

/// Bytes reserved in [`MAX_BODIES_IN_MEMORY`], given back when dropped.
struct Reservation<'a> {
    total: &'a AtomicUsize,
    bytes: usize,
}

impl<'a> Reservation<'a> {
    fn new(total: &'a AtomicUsize, bytes: usize) -> Option<Reservation<'a>> {
        total
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(bytes)
                    .filter(|&sum| sum <= MAX_BODIES_IN_MEMORY)
            })
            .ok()
            .map(|_| Reservation { total, bytes })
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.total.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// Accepts connections on `listener` until the process ends.
pub fn serve(listener: TcpListener, handler: Arc<dyn Handler>) {
    let open = Arc::new(AtomicUsize::new(0));
    let in_memory = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            let _ = write_response(&mut stream, Response::text(503, "busy\n"), false, false);
            continue;
        }
        let handler = Arc::clone(&handler);
        let open = Arc::clone(&open);
        let in_memory = Arc::clone(&in_memory);
        std::thread::spawn(move || {
            // A broken connection is the client's business; there is nobody to report it to.
            let _ = connection(stream, handler.as_ref(), &in_memory);
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

fn connection(stream: TcpStream, handler: &dyn Handler, in_memory: &AtomicUsize) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(Timed {
        stream,
        deadline: Instant::now(),
    });
    loop {
        reader.get_mut().deadline = Instant::now() + HEAD_TIME;
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
        let Some(length) = content_length(&headers) else {
            let response = Response::text(400, "bad Content-Length\n");
            write_response(&mut writer, response, false, false)?;
            return Ok(());
        };
        if length > handler.max_body(&method, path(&target)) {
            let response = Response::text(413, "request body too large\n");
            write_response(&mut writer, response, false, false)?;
            return linger(&mut writer, &mut reader);
        }
        let Some(_reservation) = Reservation::new(in_memory, length) else {
            let response = Response::text(503, "busy, try again later\n").with("Retry-After", "30");
            write_response(&mut writer, response, false, false)?;
            return linger(&mut writer, &mut reader);
        };
        if header(&headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        // The whole body is read before the handler sees the request: a client that stops
        // half-way (or is slower than `MIN_BODY_RATE`) ends the connection here, and nothing
        // is handled.
        reader.get_mut().deadline =
            Instant::now() + HEAD_TIME + Duration::from_secs(length as u64 / MIN_BODY_RATE);
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
fn linger(writer: &mut TcpStream, reader: &mut BufReader<Timed>) -> io::Result<()> {
    writer.shutdown(std::net::Shutdown::Write)?;
    reader.get_mut().deadline = Instant::now() + LINGER_TIME;
    let _ = io::copy(&mut reader.take(LINGER_BYTES), &mut io::sink());
    Ok(())
}

type Head = (String, String, String, Vec<(String, String)>);

/// Reads a request head; `Ok(None)` when the client closed the connection between requests,
/// `Err(status)` for a malformed or oversized head.
fn read_head(reader: &mut BufReader<Timed>) -> Result<Option<Head>, u16> {
    let mut lines = Vec::new();
    let mut size = 0;
    loop {
        let mut line = String::new();
        // At most one byte more than the head may still have: an endless line stops there.
        let allowed = (MAX_HEAD + 1 - size) as u64;
        match reader.by_ref().take(allowed).read_line(&mut line) {
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
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(400);
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(Some((
        method.to_owned(),
        target.to_owned(),
        version.to_owned(),
        headers,
    )))
}

/// The body length: 0 without `Content-Length`, `None` when it is malformed or given twice with
/// different values (RFC 9112 §6.3).
fn content_length(headers: &[(String, String)]) -> Option<usize> {
    let mut values = headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .map(|(_, v)| v.as_str());
    let Some(first) = values.next() else {
        return Some(0);
    };
    if values.any(|other| other != first) || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    first.parse().ok()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Headers every response carries, also the errors the server answers itself, unless the handler
/// set its own: a policy that allows nothing, no type sniffing, no referrer to other origins, no
/// caching.
const BASELINE_HEADERS: [(&str, &str); 4] = [
    ("Content-Security-Policy", "default-src 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-cache"),
];

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
    for (name, value) in BASELINE_HEADERS {
        if !response
            .headers
            .iter()
            .any(|(set, _)| set.eq_ignore_ascii_case(name))
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
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
