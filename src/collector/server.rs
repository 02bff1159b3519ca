//! The collector's HTTP service on axum (hyper, tokio).
//!
//! [`Collector::router`] answers two routes and nothing else (it never serves files):
//! - `POST /inbox/{tenant}` — a sealed submission (`Content-Type:
//!   application/vnd.keksdose.sealed`). Checked without the key: tenant, header, key id, size
//!   and chunking. `201 {"submission": id}` once stored, `200` with `"resent": true` for the
//!   same envelope again, `409` for another envelope under a stored id.
//! - `POST /keksdose/receipts` — a consent record (the format of `docs/consent-record.schema.json`,
//!   read strictly, at most 16 KiB), appended to its tenant's chain: `204` once stored, also for
//!   a record already there.
//!
//! Refusals are JSON `{"error": …}`: `400` malformed or broken off, `404` unknown tenant, `405` other methods
//! (with `Allow`), `408` body too slow, `411` no `Content-Length`, `413` too large, `415` wrong
//! type, `503` store failing or the memory budget for bodies in flight used up (with
//! `Retry-After`). Every response of the router, errors included, carries [`BASELINE_HEADERS`].
//! The one exception are the answers hyper gives itself to a request it cannot parse (`400`,
//! `431` for a head over 16 KiB) before closing the connection: a status line without body or
//! headers, which nothing can render, sniff or cache.
//!
//! [`serve`] runs a router with the limits of [`Limits`], expressed through the stack: hyper's
//! header deadline, read and write inactivity deadlines on every connection (a client that stops
//! sending, or stops reading what it asked for, is cut off), a deadline per body that grows with
//! its declared size at a minimum rate, a bound on connections and on body bytes in memory.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{Store, StoreError, Stored, Submission, unix_now};
use crate::config::Config;
use crate::consent::record::{MAX_RECORD_BYTES, Record};
use crate::seal::envelope::{Header, MEDIA_TYPE, chunks_well_formed, max_envelope_len};

/// Where sealed submissions are posted: `/inbox/{tenant}`.
pub const INBOX_PATH: &str = "/inbox/{tenant}";
/// Where consent records are posted (a config's `consent.logEndpoint`).
pub const RECEIPTS_PATH: &str = "/keksdose/receipts";

/// Headers every response carries, errors included, unless the handler set its own: a policy
/// that allows nothing, no type sniffing, no referrer to other origins, no caching.
pub const BASELINE_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", "default-src 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-cache"),
];

/// The limits [`serve`] and the collector's body reading keep.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Time for a request's head (request line and headers) to arrive.
    pub header_time: Duration,
    /// A connection on which nothing is read or written for this long is closed: a client
    /// that stops sending, or stops reading its responses.
    pub idle_time: Duration,
    /// A body must arrive within this time plus its size at [`Limits::min_body_rate`].
    pub body_time: Duration,
    /// Bytes per second a body must keep up on average.
    pub min_body_rate: u64,
    /// Body bytes held in memory at once over all requests; beyond, `503`.
    pub max_body_memory: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_time: Duration::from_secs(15),
            idle_time: Duration::from_secs(15),
            body_time: Duration::from_secs(15),
            min_body_rate: 16 * 1024,
            max_body_memory: 512 * 1024 * 1024,
        }
    }
}

/// A tenant the collector serves.
#[derive(Debug, Clone)]
struct Tenant {
    /// Key ids (hex) of the tenant's seal keys, active and retired; empty without `seal`.
    kids: Vec<String>,
    /// Largest envelope accepted (from `seal.maxAttachmentBytes`); 0 without `seal`.
    max_envelope: usize,
}

/// The collector: the tenants it serves (from their configs), its store and limits.
pub struct Collector {
    tenants: HashMap<String, Tenant>,
    store: Arc<dyn Store>,
    limits: Limits,
    /// The body memory budget, in KiB.
    memory: Arc<Semaphore>,
}

impl Collector {
    /// The collector for the tenants of `configs`: consent records for each, sealed submissions
    /// for those with seal keys.
    pub fn new(configs: &[Config], store: Arc<dyn Store>, limits: Limits) -> Collector {
        let tenants = configs
            .iter()
            .map(|config| {
                let (kids, max_envelope) = config.seal.as_ref().map_or((Vec::new(), 0), |seal| {
                    (
                        seal.keys.iter().map(|k| k.kid.clone()).collect(),
                        usize::try_from(max_envelope_len(seal.max_attachment_bytes))
                            .unwrap_or(usize::MAX),
                    )
                });
                (config.tenant.clone(), Tenant { kids, max_envelope })
            })
            .collect();
        let memory = Arc::new(Semaphore::new(kib(limits.max_body_memory)));
        Collector {
            tenants,
            store,
            limits,
            memory,
        }
    }

    /// The tenants whose consent records are accepted, sorted.
    pub fn record_tenants(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tenants.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The tenants whose sealed submissions are accepted (those with seal keys), sorted.
    pub fn seal_tenants(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .tenants
            .iter()
            .filter(|(_, t)| !t.kids.is_empty())
            .map(|(name, _)| name.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// The collector's two routes, with [`BASELINE_HEADERS`] on every response; mount it in an
    /// axum app with `Router::merge`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(INBOX_PATH, post(submission))
            .route(RECEIPTS_PATH, post(receipt))
            .with_state(self)
            .layer(axum::middleware::map_response(with_baseline_headers))
    }

    /// Reads a body of at most `max` bytes within the body deadline, holding its size in the
    /// memory budget while it is in memory.
    async fn read_body(
        &self,
        headers: &HeaderMap,
        body: Body,
        max: usize,
    ) -> Result<(Bytes, OwnedSemaphorePermit), Response> {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        // Browsers always send a length (fetch of a Blob, sendBeacon); it sizes the reservation.
        let Some(expected) = declared else {
            return Err(refuse(
                StatusCode::LENGTH_REQUIRED,
                "Content-Length required",
            ));
        };
        if expected > max as u64 {
            return Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is too large",
            ));
        }
        let expected = expected as usize;
        if expected > self.limits.max_body_memory {
            return Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than this collector holds in memory",
            ));
        }
        let permits = u32::try_from(kib(expected).max(1)).unwrap_or(u32::MAX);
        let Ok(permit) = Arc::clone(&self.memory).try_acquire_many_owned(permits) else {
            let mut busy = refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many uploads at once; try again shortly",
            );
            busy.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return Err(busy);
        };
        let deadline = self.limits.body_time
            + Duration::from_secs(expected as u64 / self.limits.min_body_rate.max(1));
        match tokio::time::timeout(deadline, axum::body::to_bytes(body, max)).await {
            Ok(Ok(bytes)) => Ok((bytes, permit)),
            // hyper reads exactly Content-Length bytes, already checked against `max`: what
            // fails here is a body that broke off.
            Ok(Err(_)) => Err(refuse(StatusCode::BAD_REQUEST, "the body broke off")),
            Err(_) => Err(refuse(
                StatusCode::REQUEST_TIMEOUT,
                "the body came too slowly",
            )),
        }
    }
}

/// `bytes` in KiB, rounded up.
fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

/// A JSON refusal.
fn refuse(status: StatusCode, why: &str) -> Response {
    answer(status, &serde_json::json!({ "error": why }))
}

/// A JSON answer.
fn answer(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Adds the [`BASELINE_HEADERS`] a response does not set itself.
pub async fn with_baseline_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in BASELINE_HEADERS {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Runs a store call off the async threads; a panic in it is a store failure.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(StoreError::Database(format!("the store failed: {e}"))))
}

/// `POST /inbox/{tenant}`: checks what can be checked without the key, then stores.
async fn submission(
    State(collector): State<Arc<Collector>>,
    Path(tenant_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(tenant) = collector
        .tenants
        .get(&tenant_name)
        .filter(|t| !t.kids.is_empty())
    else {
        return refuse(StatusCode::NOT_FOUND, "unknown tenant");
    };
    if headers.get(header::CONTENT_TYPE).map(HeaderValue::as_bytes) != Some(MEDIA_TYPE.as_bytes()) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("expected Content-Type: {MEDIA_TYPE}"),
        );
    }
    let (body, _permit) = match collector
        .read_body(&headers, body, tenant.max_envelope)
        .await
    {
        Ok(read) => read,
        Err(response) => return response,
    };
    let (header, header_len) = match Header::parse(&body) {
        Ok(parsed) => parsed,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    if header.tenant != tenant_name {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the envelope names another tenant than the URL",
        );
    }
    let kid = header.kid.to_string();
    if !tenant.kids.contains(&kid) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "sealed to a key this tenant does not use",
        );
    }
    if !chunks_well_formed(body.len() - header_len, header.chunk_size) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the ciphertext is not a whole number of chunks",
        );
    }
    let submission_id = header.submission_id_hex();
    let store = Arc::clone(&collector.store);
    let id = submission_id.clone();
    let stored = blocking(move || {
        store.store_submission(&Submission {
            tenant: &tenant_name,
            form_id: &header.form_id,
            submission_id: &id,
            kid: &kid,
            created: header.created,
            received: unix_now(),
            envelope: &body,
        })
    })
    .await;
    match stored {
        Ok(Stored::New) => answer(
            StatusCode::CREATED,
            &serde_json::json!({ "submission": submission_id }),
        ),
        Ok(Stored::AlreadyThere) => answer(
            StatusCode::OK,
            &serde_json::json!({ "submission": submission_id, "resent": true }),
        ),
        Err(StoreError::Conflict) => refuse(StatusCode::CONFLICT, "another submission has this id"),
        Err(StoreError::Database(error)) => {
            eprintln!("keksdose: inbox: {error}");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the inbox cannot store submissions right now",
            )
        }
    }
}

/// `POST /keksdose/receipts`: a consent record, read strictly, appended to its tenant's chain.
async fn receipt(
    State(collector): State<Arc<Collector>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (body, _permit) = match collector.read_body(&headers, body, MAX_RECORD_BYTES).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return refuse(StatusCode::BAD_REQUEST, "not UTF-8");
    };
    let record = match Record::from_json(&text) {
        Ok(record) => record,
        Err(why) => return refuse(StatusCode::BAD_REQUEST, &why),
    };
    if !collector.tenants.contains_key(&record.tenant) {
        return refuse(StatusCode::NOT_FOUND, "unknown tenant");
    }
    let store = Arc::clone(&collector.store);
    let appended = blocking(move || {
        store
            .append_record(&record, &text, unix_now())
            .map_err(StoreError::Database)
    })
    .await;
    match appended {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            eprintln!("keksdose: consent log: {error}");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the consent log cannot store records right now",
            )
        }
    }
}

/// Serves `app` on `listener` with `limits` until `shutdown` completes; then stops accepting
/// and gives requests in flight up to 5 s to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_time)
        // A request head beyond 16 KiB is answered 431.
        .max_buf_size(16 * 1024);
    let (stop, _) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&connections).acquire_owned() => permit,
        };
        let Ok(permit) = permit else { break };
        let (stream, _peer): (_, SocketAddr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_read_timeout(Some(limits.idle_time));
        stream.set_write_timeout(Some(limits.idle_time));
        let io = hyper_util::rt::TokioIo::new(Box::pin(stream));
        let connection = http.serve_connection(io, service.clone());
        let mut stopping = stop.subscribe();
        tokio::spawn(async move {
            tokio::pin!(connection);
            // Errors are the client's (gone, too slow, malformed): the connection just ends.
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    // Idle connections close now; a request in flight is answered first.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(permit);
        });
    }
    let _ = stop.send(());
    let in_flight = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), connections.acquire_many(in_flight)).await;
}
