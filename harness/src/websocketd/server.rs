//! The accept loop, TLS, and the handle a test or the CLI holds
//! (`wazo_websocketd/controller.py` and `process.py`).
//!
//! [`start`] binds (default `127.0.0.1:0`), connects to the broker, and
//! returns once both are ready. Every upgrade is accepted whatever its path;
//! failures are close frames after the handshake, as the real server reports
//! them. Each connection is a task of the server's [`TaskTracker`];
//! [`WebsocketdHandle::shutdown`] closes every session (1001) and waits for
//! all tasks, the bus connection's included.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::auth::{ExpiryStrategy, Token, TokenStore};
use super::bus::{Bus, BusError, Consumer, Received};
use super::filter::{BusEvent, DropReason, SessionView, route};
use super::protocol::{MAX_INCOMING_MESSAGE, Upgrade};
use super::session;
use crate::provision::AmqpUrl;

/// The origin uuid the server accepts when none is given.
pub const DEFAULT_ORIGIN_UUID: Uuid = Uuid::from_u128(0x7e57_0000_0000_4000_8000_0000_0000_0001);
/// The master tenant when none is given.
pub const DEFAULT_MASTER_TENANT: Uuid = Uuid::from_u128(0x7e57_0000_0000_4000_8000_0000_0000_00aa);
/// The tenant of command-line tokens that name none (not the master tenant).
pub const DEFAULT_TENANT: Uuid = Uuid::from_u128(0x7e57_0000_0000_4000_8000_0000_0000_00bb);
/// How often a session pings its client (the `websockets` library's 20 s).
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// The broker carrying Wazo's `wazo-headers` traffic.
    pub broker: AmqpUrl,
    /// Where to listen. Default `127.0.0.1:0`.
    pub bind: SocketAddr,
    /// This server's uuid: only events with this `origin_uuid` are delivered.
    pub origin_uuid: Uuid,
    /// Tokens of this tenant see every tenant (the real server learns it from
    /// its own service token).
    pub master_tenant: Uuid,
    /// The tokens accepted; shared, so a test may add or revoke while running.
    pub tokens: TokenStore,
    /// Serve `wss://` with a certificate generated at start.
    pub tls: Option<Tls>,
    /// When tokens are re-validated.
    pub expiry: ExpiryStrategy,
    /// WebSocket ping interval; a session whose client left a ping unanswered
    /// until the next one closes with 1011.
    pub ping_interval: Duration,
    /// Keep every delivered frame, for [`WebsocketdHandle::deliveries`].
    pub record: bool,
    /// Attribute a reason to the events each session's bindings keep away
    /// (other names, origins, tenants, users), from one extra queue bound to
    /// every message of `wazo-headers`. It costs one check per event and
    /// open session; off, those events are simply never seen (as in the
    /// real service) and only the later rules are counted.
    pub audit: bool,
}

impl Options {
    /// Defaults around `broker`: loopback ephemeral port, default origin and
    /// master tenant, no tokens, plain `ws://`, dynamic expiry.
    pub fn new(broker: AmqpUrl) -> Self {
        Self {
            broker,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            origin_uuid: DEFAULT_ORIGIN_UUID,
            master_tenant: DEFAULT_MASTER_TENANT,
            tokens: TokenStore::new(),
            tls: None,
            expiry: ExpiryStrategy::Dynamic,
            ping_interval: DEFAULT_PING_INTERVAL,
            record: false,
            audit: true,
        }
    }
}

/// `wss://` settings.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// Where to write the generated certificate (PEM), for clients to trust.
    pub cert_out: Option<PathBuf>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        cause: std::io::Error,
    },
    /// The broker could not be reached or refused the exchange.
    #[error("the WebSocket's bus: {0}")]
    Bus(Box<BusError>),
    /// The certificate could not be generated.
    #[error("cannot generate the TLS certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// The TLS configuration was refused.
    #[error("cannot configure TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The certificate could not be written where asked.
    #[error("cannot write the certificate to {path}: {cause}")]
    WriteCertificate {
        /// The path asked for.
        path: PathBuf,
        /// The operating system's reason.
        cause: std::io::Error,
    },
}

impl From<BusError> for StartError {
    fn from(error: BusError) -> Self {
        Self::Bus(Box::new(error))
    }
}

/// One session as the summary reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// Order of acceptance, from 1.
    pub id: u64,
    /// The token's user, once authenticated.
    pub user_uuid: Option<Uuid>,
    /// The token's tenant, once authenticated.
    pub tenant_uuid: Option<Uuid>,
    /// The protocol version.
    pub version: Option<u8>,
    /// Event names subscribed, in order.
    pub subscriptions: Vec<String>,
    /// The session sent `start`.
    pub started: bool,
    /// Events delivered.
    pub delivered: u64,
    /// Events not delivered, per reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// The close code and reason sent, if the server closed; `None` while
    /// open or when the client closed.
    pub closed: Option<(u16, &'static str)>,
    /// Whether the session has ended.
    pub ended: bool,
}

impl std::fmt::Display for SessionReport {
    /// `session 2 user U tenant T v2 [call_created, *] started: delivered 3;
    /// not delivered: acl_denied 1, not_subscribed 4; closed 4003 authentication expired`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "session {}", self.id)?;
        match (self.user_uuid, self.tenant_uuid, self.version) {
            (Some(user), Some(tenant), Some(version)) => {
                write!(f, " user {user} tenant {tenant} v{version}")?;
            }
            _ => f.write_str(" (not authenticated)")?,
        }
        if !self.subscriptions.is_empty() {
            write!(f, " [{}]", self.subscriptions.join(", "))?;
        }
        if self.started {
            f.write_str(" started")?;
        }
        write!(f, ": delivered {}", self.delivered)?;
        if !self.dropped.is_empty() {
            let dropped: Vec<String> = self
                .dropped
                .iter()
                .map(|(reason, count)| format!("{reason} {count}"))
                .collect();
            write!(f, "; not delivered: {}", dropped.join(", "))?;
        }
        match (self.closed, self.ended) {
            (Some((code, "")), _) => write!(f, "; closed {code}"),
            (Some((code, reason)), _) => write!(f, "; closed {code} {reason}"),
            (None, true) => f.write_str("; closed by the client"),
            (None, false) => f.write_str("; open"),
        }
    }
}

/// One frame delivered to a session, kept when [`Options::record`] is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WsDelivery {
    /// Deliveries across sessions, in order, from 1.
    pub seq: u64,
    /// The session.
    pub session: u64,
    /// The session's user.
    pub user_uuid: Uuid,
    /// The event name.
    pub event: String,
    /// The frame's text, as sent.
    pub frame: String,
}

/// What every session shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) tokens: TokenStore,
    pub(crate) bus: Bus,
    pub(crate) origin_uuid: Uuid,
    pub(crate) master_tenant: Uuid,
    pub(crate) expiry: ExpiryStrategy,
    pub(crate) ping_interval: Duration,
    record: bool,
    audit: bool,
    reports: Mutex<BTreeMap<u64, SessionReport>>,
    /// Each open session's view, for the audit of routing drops.
    live: Mutex<BTreeMap<u64, SessionView>>,
    deliveries: Mutex<Vec<WsDelivery>>,
    started: watch::Sender<usize>,
}

impl Shared {
    fn reports(&self) -> MutexGuard<'_, BTreeMap<u64, SessionReport>> {
        self.reports.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut SessionReport)) {
        if let Some(report) = self.reports().get_mut(&id) {
            change(report);
        }
    }

    fn session_accepted(&self, id: u64) {
        self.reports().insert(
            id,
            SessionReport {
                id,
                user_uuid: None,
                tenant_uuid: None,
                version: None,
                subscriptions: Vec::new(),
                started: false,
                delivered: 0,
                dropped: BTreeMap::new(),
                closed: None,
                ended: false,
            },
        );
    }

    pub(crate) fn session_opened(&self, id: u64, token: &Token, version: u8) {
        self.update(id, |report| {
            report.user_uuid = Some(token.user_uuid);
            report.tenant_uuid = Some(token.tenant_uuid);
            report.version = Some(version);
        });
    }

    pub(crate) fn session_subscribed(&self, id: u64, event_name: &str) {
        self.update(id, |report| {
            report.subscriptions.push(event_name.to_owned())
        });
    }

    pub(crate) fn session_started(&self, id: u64) {
        let mut first = false;
        self.update(id, |report| {
            first = !report.started;
            report.started = true;
        });
        if first {
            self.started.send_modify(|count| *count += 1);
        }
    }

    pub(crate) fn session_delivered(&self, id: u64, event: &str, frame: &str) {
        let mut user_uuid = None;
        self.update(id, |report| {
            report.delivered += 1;
            user_uuid = report.user_uuid;
        });
        if self.record {
            let mut deliveries = self
                .deliveries
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let seq = deliveries.len() as u64 + 1;
            deliveries.push(WsDelivery {
                seq,
                session: id,
                user_uuid: user_uuid.unwrap_or_default(),
                event: event.to_owned(),
                frame: frame.to_owned(),
            });
        }
    }

    pub(crate) fn session_dropped(&self, id: u64, reason: DropReason) {
        self.update(id, |report| {
            *report.dropped.entry(reason.as_str()).or_default() += 1
        });
    }

    /// The session's current view (after open, subscribe, start, renewal).
    pub(crate) fn session_view(&self, id: u64, view: &SessionView) {
        if self.audit {
            self.live
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, view.clone());
        }
    }

    /// Attributes an event seen on the audit queue to every open session
    /// whose bindings keep it away (the sessions count the rest themselves).
    fn audit(&self, event: &BusEvent) {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let mut reports = self.reports();
        let name = event.header_name.as_deref().unwrap_or("?");
        for (id, view) in live.iter() {
            if let Some(reason) = route(event, view) {
                tracing::debug!(session = id, user = %view.user_uuid, event = name, %reason, "websocketd: not delivered");
                if let Some(report) = reports.get_mut(id) {
                    *report.dropped.entry(reason.as_str()).or_default() += 1;
                }
            }
        }
    }

    pub(crate) fn session_closed(&self, id: u64, closed: Option<(u16, &'static str)>) {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        let mut was_started = false;
        self.update(id, |report| {
            report.closed = closed;
            report.ended = true;
            was_started = report.started;
        });
        if was_started {
            self.started
                .send_modify(|count| *count = count.saturating_sub(1));
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct WebsocketdHandle {
    addr: SocketAddr,
    tls: bool,
    certificate_pem: Option<String>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

/// Starts the server; returns once it listens and its bus connection is open.
pub async fn start(options: Options) -> Result<WebsocketdHandle, StartError> {
    let listener = TcpListener::bind(options.bind)
        .await
        .map_err(|cause| StartError::Bind {
            addr: options.bind,
            cause,
        })?;
    let addr = listener.local_addr().map_err(|cause| StartError::Bind {
        addr: options.bind,
        cause,
    })?;
    let (acceptor, certificate_pem) = match &options.tls {
        None => (None, None),
        Some(tls) => {
            let (acceptor, pem) = tls_acceptor()?;
            if let Some(path) = &tls.cert_out {
                std::fs::write(path, &pem).map_err(|cause| StartError::WriteCertificate {
                    path: path.clone(),
                    cause,
                })?;
            }
            (Some(acceptor), Some(pem))
        }
    };
    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    let bus = Bus::start(&options.broker, cancel.clone(), &tasks).await?;
    let (started, _) = watch::channel(0);
    let shared = Arc::new(Shared {
        tokens: options.tokens,
        bus,
        origin_uuid: options.origin_uuid,
        master_tenant: options.master_tenant,
        expiry: options.expiry,
        ping_interval: options.ping_interval,
        record: options.record,
        audit: options.audit,
        reports: Mutex::new(BTreeMap::new()),
        live: Mutex::new(BTreeMap::new()),
        deliveries: Mutex::new(Vec::new()),
        started,
    });
    if options.audit {
        let first = shared.bus.audit(options.origin_uuid).await?;
        tasks.spawn(audit_loop(first, Arc::clone(&shared), cancel.clone()));
    }
    tasks.spawn(accept_loop(
        listener,
        acceptor,
        Arc::clone(&shared),
        cancel.clone(),
        tasks.clone(),
    ));
    tracing::info!(%addr, "websocketd: listening");
    Ok(WebsocketdHandle {
        addr,
        tls: options.tls.is_some(),
        certificate_pem,
        shared,
        cancel,
        tasks,
    })
}

impl WebsocketdHandle {
    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL real clients use: `ws://127.0.0.1:PORT/api/websocketd/`
    /// (`wss://` with TLS); any path is accepted.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}/api/websocketd/", self.addr)
    }

    /// The generated certificate (PEM), with TLS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
    }

    /// The token store, to issue or revoke tokens while running.
    pub fn tokens(&self) -> &TokenStore {
        &self.shared.tokens
    }

    /// Whether the bus connection is up.
    pub fn bus_is_up(&self) -> bool {
        self.shared.bus.is_up()
    }

    /// Every session so far, in order of acceptance.
    pub fn sessions(&self) -> Vec<SessionReport> {
        self.shared.reports().values().cloned().collect()
    }

    /// Frames delivered so far (with [`Options::record`]).
    pub fn deliveries(&self) -> Vec<WsDelivery> {
        self.shared
            .deliveries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until `count` open sessions have sent `start`; false on timeout.
    pub async fn wait_started(&self, count: usize, timeout: Duration) -> bool {
        let mut started = self.shared.started.subscribe();
        tokio::time::timeout(timeout, started.wait_for(|n| *n >= count))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }

    /// Tasks still running (accept loop, sessions, bus connection).
    pub fn running_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// Closes every session (1001), the listener and the bus connection,
    /// waits for all of it, and returns the final state of every session.
    pub async fn shutdown(self) -> Vec<SessionReport> {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        self.sessions()
    }
}

impl Drop for WebsocketdHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Feeds [`Shared::audit`], re-opening the audit queue after a bus loss.
async fn audit_loop(mut consumer: Consumer, shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        loop {
            tokio::select! {
                () = cancel.cancelled() => {
                    consumer.close().await;
                    return;
                }
                received = consumer.recv() => match received {
                    Received::Event(event) => shared.audit(&event),
                    Received::Lost => break,
                },
            }
        }
        consumer = loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                up = shared.bus.wait_up() => if !up { return },
            }
            match shared.bus.audit(shared.origin_uuid).await {
                Ok(consumer) => break consumer,
                Err(error) => {
                    tracing::debug!(%error, "websocketd: the audit queue is not back yet");
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        };
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tasks: TaskTracker,
) {
    let ids = AtomicU64::new(1);
    loop {
        let (stream, peer) = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "websocketd: accept failed");
                    continue;
                }
            },
        };
        let id = ids.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::clone(&shared);
        let cancel = cancel.clone();
        let acceptor = acceptor.clone();
        tasks.spawn(async move {
            let _ = stream.set_nodelay(true);
            connection(stream, peer, id, acceptor, shared, cancel).await;
        });
    }
}

/// TLS (if any), the WebSocket handshake, then the session.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    match acceptor {
        None => upgrade(stream, peer, id, shared, cancel).await,
        Some(acceptor) => {
            let accepted = tokio::select! {
                accepted = acceptor.accept(stream) => accepted,
                () = cancel.cancelled() => return,
            };
            match accepted {
                Ok(stream) => upgrade(stream, peer, id, shared, cancel).await,
                Err(error) => tracing::debug!(%peer, %error, "websocketd: TLS handshake failed"),
            }
        }
    }
}

// The handshake callback's error type is tungstenite's HTTP response.
#[allow(clippy::result_large_err)]
async fn upgrade<S>(
    stream: S,
    peer: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut seen = None;
    let callback = |request: &Request, response: Response| {
        let headers = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
        seen = Some(Upgrade::parse(request.uri().query(), headers));
        Ok(response)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INCOMING_MESSAGE))
        .max_frame_size(Some(MAX_INCOMING_MESSAGE));
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config));
    let accepted = tokio::select! {
        accepted = handshake => accepted,
        () = cancel.cancelled() => return,
    };
    let ws = match accepted {
        Ok(ws) => ws,
        Err(error) => {
            tracing::debug!(%peer, %error, "websocketd: not a WebSocket upgrade");
            return;
        }
    };
    let Some(upgrade) = seen else { return };
    tracing::info!(session = id, %peer, "websocketd: connection accepted");
    shared.session_accepted(id);
    session::run(ws, upgrade, id, shared, cancel).await;
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, and its acceptor.
fn tls_acceptor() -> Result<(TlsAcceptor, String), StartError> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    let pem = certified.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)?;
    Ok((TlsAcceptor::from(Arc::new(config)), pem))
}
