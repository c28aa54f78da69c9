//! A webhook receiver: an HTTP server that records every request it gets,
//! checks each event against the v2 contract, and answers.
//!
//! It is what `switchboard receive` runs and what our own tests deliver to.
//! It answers 200 unless told otherwise: [`ReceiverOptions`] can make it
//! answer another status, or answer late, to test how a sender copes.
//!
//! Like the embedded broker, it is started on an already-bound socket, is
//! ready when [`Receiver::start`] returns, and [`Receiver::shutdown`] stops
//! every connection task before returning.

use std::convert::Infallible;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::sender::check_body;
use crate::contract::{Violation, check_phonecom};
use crate::record::Body;

/// How the receiver answers.
#[derive(Debug, Clone)]
pub struct ReceiverOptions {
    /// The status events are answered with (200).
    pub status: StatusCode,
    /// The status the `{"test": 1}` callback check is answered with (200).
    pub check_status: StatusCode,
    /// How long to wait before answering an event (none).
    pub delay: Duration,
    /// A JSON Lines file to append every request to, as it arrives.
    pub record: Option<PathBuf>,
}

impl Default for ReceiverOptions {
    fn default() -> Self {
        Self {
            status: StatusCode::OK,
            check_status: StatusCode::OK,
            delay: Duration::ZERO,
            record: None,
        }
    }
}

/// What a request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceivedKind {
    /// The `{"test": 1}` check a sender makes before delivering.
    Check,
    /// Anything else: an event.
    Event,
}

/// One request the receiver got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Received {
    /// Arrival order, from 1.
    pub seq: u64,
    /// A check or an event.
    pub kind: ReceivedKind,
    /// The HTTP method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, names in lower case, sorted.
    pub headers: Map<String, Value>,
    /// The body.
    pub body: Body,
    /// How an event departs from the v2 contract (empty for checks).
    pub violations: Vec<Violation>,
}

/// The receiver could not start, record or be waited on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiverError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The recording file could not be created or written.
    #[error("cannot write the recording {}: {source}", .path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// Fewer requests than expected arrived in time.
    #[error("expected {expected} requests within {}, got {got}", humantime::format_duration(*.after))]
    Timeout {
        /// How many were awaited.
        expected: usize,
        /// How many came.
        got: usize,
        /// How long it waited.
        after: Duration,
    },
}

/// A running receiver.
#[derive(Debug)]
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    token: CancellationToken,
    tracker: TaskTracker,
}

#[derive(Debug)]
struct Shared {
    options: ReceiverOptions,
    received: Mutex<Vec<Received>>,
    count: watch::Sender<usize>,
    recording: Mutex<Option<Recording>>,
}

#[derive(Debug)]
struct Recording {
    path: PathBuf,
    file: BufWriter<File>,
    error: Option<io::Error>,
}

impl Receiver {
    /// Binds `addr` (port 0: any free port) and starts serving.
    pub async fn bind(addr: SocketAddr, options: ReceiverOptions) -> Result<Self, ReceiverError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ReceiverError::Bind { addr, source })?;
        Self::start(listener, options)
    }

    /// Serves on an already-bound listener; ready when this returns.
    pub fn start(listener: TcpListener, options: ReceiverOptions) -> Result<Self, ReceiverError> {
        let addr = listener
            .local_addr()
            .map_err(|source| ReceiverError::Bind {
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })?;
        let recording = options
            .record
            .as_deref()
            .map(Recording::create)
            .transpose()?;
        let shared = Arc::new(Shared {
            options,
            received: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
            recording: Mutex::new(recording),
        });
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        tracker.spawn(accept_loop(
            listener,
            Arc::clone(&shared),
            token.clone(),
            tracker.clone(),
        ));
        Ok(Self {
            addr,
            shared,
            token,
            tracker,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A callback URL on this receiver, `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    /// What arrived after the first `already` requests.
    pub fn received_after(&self, already: usize) -> Vec<Received> {
        lock(&self.shared.received)
            .iter()
            .skip(already)
            .cloned()
            .collect()
    }

    /// A watch on the number of requests received, to wait for new ones.
    pub fn count(&self) -> watch::Receiver<usize> {
        self.shared.count.subscribe()
    }

    /// Waits until at least `expected` requests have arrived.
    pub async fn wait_for(
        &self,
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<Received>, ReceiverError> {
        let mut count = self.count();
        let arrived = tokio::time::timeout(timeout, count.wait_for(|got| *got >= expected))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if arrived {
            Ok(self.received())
        } else {
            Err(ReceiverError::Timeout {
                expected,
                got: lock(&self.shared.received).len(),
                after: timeout,
            })
        }
    }

    /// Stops accepting, ends every connection and returns once all tasks
    /// are done; reports a recording that could not be written.
    pub async fn shutdown(self) -> Result<(), ReceiverError> {
        self.token.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        let mut recording = lock(&self.shared.recording);
        match recording.as_mut() {
            Some(recording) => recording.finish(),
            None => Ok(()),
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // A receiver dropped without `shutdown` still stops its tasks.
        self.token.cancel();
    }
}

impl Recording {
    fn create(path: &Path) -> Result<Self, ReceiverError> {
        let file = File::create(path).map_err(|source| ReceiverError::Record {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            file: BufWriter::new(file),
            error: None,
        })
    }

    /// Appends one line and flushes it, keeping the first error for shutdown.
    fn write(&mut self, received: &Received) {
        if self.error.is_some() {
            return;
        }
        let written = serde_json::to_writer(&mut self.file, received)
            .map_err(io::Error::from)
            .and_then(|()| self.file.write_all(b"\n"))
            .and_then(|()| self.file.flush());
        if let Err(error) = written {
            tracing::error!(
                "cannot write the recording {}: {error}",
                self.path.display()
            );
            self.error = Some(error);
        }
    }

    fn finish(&mut self) -> Result<(), ReceiverError> {
        match self.error.take() {
            Some(source) => Err(ReceiverError::Record {
                path: self.path.clone(),
                source,
            }),
            None => Ok(()),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind: keep using it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    token: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            () = token.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!("webhook receiver: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        let token = token.clone();
        tracker.spawn(async move {
            let service = service_fn(move |request| handle(Arc::clone(&shared), request));
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                () = token.cancelled() => {}
                served = connection => {
                    if let Err(error) = served {
                        tracing::debug!("webhook receiver: connection ended: {error}");
                    }
                }
            }
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_string(), ToString::to_string);
    let mut headers: Map<String, Value> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_string(), Value::String(value))
        })
        .collect();
    headers.sort_keys();
    let bytes = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(error) => {
            tracing::debug!("webhook receiver: body broke off: {error}");
            return Ok(answer(StatusCode::BAD_REQUEST));
        }
    };
    let body = Body::from_bytes(bytes);
    let (kind, violations) = match &body {
        Body::Json(value) if *value == check_body() => (ReceivedKind::Check, Vec::new()),
        Body::Json(value) => (ReceivedKind::Event, check_phonecom(value).violations),
        Body::Text(_) | Body::Bytes(_) => (
            ReceivedKind::Event,
            vec![Violation::NotAnObject {
                path: "/".into(),
                found: "a body that is not JSON".into(),
            }],
        ),
    };
    {
        let mut received = lock(&shared.received);
        let entry = Received {
            seq: received.len() as u64 + 1,
            kind,
            method,
            path,
            headers,
            body,
            violations,
        };
        if let Some(recording) = lock(&shared.recording).as_mut() {
            recording.write(&entry);
        }
        received.push(entry);
        shared.count.send_replace(received.len());
    }
    let status = match kind {
        ReceivedKind::Check => shared.options.check_status,
        ReceivedKind::Event => {
            if !shared.options.delay.is_zero() {
                tokio::time::sleep(shared.options.delay).await;
            }
            shared.options.status
        }
    };
    Ok(answer(status))
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
