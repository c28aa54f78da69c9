//! One WebSocket connection, from upgrade to close (`wazo_websocketd/session.py`).
//!
//! Order of the opening: version (4004, or 1011 when not an integer), token
//! (4001 when none), token lookup (4002), the bus consumer (1011 "bus
//! connection error"), then `init`. After that one loop serves, in turn,
//! client commands (one at a time, in order), bus events (through
//! [`decide`]), the expiry check (4003), WebSocket keep-alive pings, and the
//! server's shutdown (1001).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::auth::Token;
use super::bus::{Consumer, Received};
use super::filter::{BusEvent, Decision, SessionView, decide};
use super::protocol::{
    CLOSE_AUTH_EXPIRED, CLOSE_AUTH_FAILED, CLOSE_GOING_AWAY, CLOSE_INTERNAL_ERROR, CLOSE_NO_TOKEN,
    CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, Command, ServerFrame, Upgrade,
};
use super::server::Shared;

/// How long a closing session waits for the client's close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a session ended: the close frame sent (or received).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Close {
    code: u16,
    reason: &'static str,
}

const fn close(code: u16, reason: &'static str) -> Close {
    Close { code, reason }
}

/// Serves one upgraded connection until it closes.
pub(crate) async fn run<S>(
    mut ws: WebSocketStream<S>,
    upgrade: Upgrade,
    id: u64,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let outcome = match open(&upgrade, &shared).await {
        Ok((token, version, consumer)) => {
            let mut session = Session::new(id, &shared, token, version);
            shared.session_opened(id, &session.token, version);
            shared.session_view(id, &session.view);
            session.serve(&mut ws, consumer, &cancel).await
        }
        Err(close) => Some(close),
    };
    if let Some(outcome) = &outcome {
        tracing::info!(
            session = id,
            code = outcome.code,
            reason = outcome.reason,
            "websocketd: closing the session"
        );
        let frame = CloseFrame {
            code: CloseCode::from(outcome.code),
            reason: outcome.reason.into(),
        };
        if ws.close(Some(frame)).await.is_ok() {
            // Let the client answer, so that it sees a clean closing handshake.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                while let Some(Ok(_)) = ws.next().await {}
            })
            .await;
        }
    }
    shared.session_closed(id, outcome.map(|close| (close.code, close.reason)));
}

/// The opening checks, in the real server's order.
async fn open(upgrade: &Upgrade, shared: &Shared) -> Result<(Token, u8, Consumer), Close> {
    let version = upgrade
        .version
        .clone()
        .map_err(|error| close(error.close_code(), ""))?;
    let Some(id) = &upgrade.token else {
        return Err(close(CLOSE_NO_TOKEN, "no token"));
    };
    let token = shared.tokens.validate(id).map_err(|error| {
        tracing::info!(%error, "websocketd: authentication failed");
        close(CLOSE_AUTH_FAILED, "authentication failed")
    })?;
    let consumer = shared
        .bus
        .consumer(&token, shared.master_tenant, shared.origin_uuid)
        .await
        .map_err(|error| {
            tracing::info!(%error, "websocketd: no bus consumer for the session");
            close(CLOSE_INTERNAL_ERROR, "bus connection error")
        })?;
    Ok((token, version, consumer))
}

/// A session's state once opened.
struct Session<'a> {
    id: u64,
    shared: &'a Shared,
    token: Token,
    version: u8,
    view: SessionView,
}

impl<'a> Session<'a> {
    fn new(id: u64, shared: &'a Shared, token: Token, version: u8) -> Self {
        let view = SessionView::new(shared.origin_uuid, shared.master_tenant, &token);
        Self {
            id,
            shared,
            token,
            version,
            view,
        }
    }

    /// The loop; returns the close to send, or `None` if the client closed.
    async fn serve<S>(
        &mut self,
        ws: &mut WebSocketStream<S>,
        mut consumer: Consumer,
        cancel: &CancellationToken,
    ) -> Option<Close>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let init = ServerFrame::Init {
            version: self.version,
        }
        .encode();
        if ws.send(Message::text(init)).await.is_err() {
            consumer.close().await;
            return None;
        }
        let mut next_check = self.next_check();
        let mut ping = tokio::time::interval_at(
            tokio::time::Instant::now() + self.shared.ping_interval,
            self.shared.ping_interval,
        );
        let mut awaiting_pong = false;
        let outcome = loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => break Some(close(CLOSE_GOING_AWAY, "")),
                incoming = ws.next() => {
                    let message = match incoming {
                        None => break None,
                        Some(Ok(message)) => message,
                        Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => {
                            break Some(close(CLOSE_TOO_BIG, ""));
                        }
                        Some(Err(error)) => {
                            tracing::debug!(session = self.id, %error, "websocketd: the connection failed");
                            break None;
                        }
                    };
                    let text = match message {
                        Message::Text(text) => text,
                        Message::Binary(_) => break Some(close(CLOSE_PROTOCOL_ERROR, "")),
                        Message::Pong(_) => {
                            awaiting_pong = false;
                            continue;
                        }
                        Message::Ping(_) | Message::Frame(_) => continue,
                        Message::Close(_) => break None,
                    };
                    let command = match Command::decode(text.as_str()) {
                        Ok(command) => command,
                        Err(error) => {
                            tracing::info!(session = self.id, %error, "websocketd: protocol error");
                            break Some(close(CLOSE_PROTOCOL_ERROR, ""));
                        }
                    };
                    match self.command(command, &consumer, ws).await {
                        Ok(true) => next_check = self.next_check(),
                        Ok(false) => {}
                        Err(outcome) => break outcome,
                    }
                }
                received = consumer.recv() => match received {
                    Received::Event(event) => {
                        if let Some(frame) = self.event(&event) && ws.send(Message::text(frame)).await.is_err() {
                            break None;
                        }
                    }
                    // At shutdown the bus goes too; the client is told why.
                    Received::Lost if cancel.is_cancelled() => break Some(close(CLOSE_GOING_AWAY, "")),
                    Received::Lost => break Some(close(CLOSE_INTERNAL_ERROR, "bus connection lost")),
                },
                () = tokio::time::sleep_until(next_check) => {
                    // Re-validate the current token, whatever the delay was computed from.
                    if let Err(error) = self.shared.tokens.validate(&self.token.id) {
                        tracing::info!(session = self.id, %error, "websocketd: authentication expired");
                        break Some(close(CLOSE_AUTH_EXPIRED, "authentication expired"));
                    }
                    next_check = self.next_check();
                }
                _ = ping.tick() => {
                    if awaiting_pong {
                        break Some(close(CLOSE_INTERNAL_ERROR, "keepalive ping timeout"));
                    }
                    awaiting_pong = true;
                    if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                        break None;
                    }
                }
            }
        };
        consumer.close().await;
        outcome
    }

    /// When the expiry check runs next, from the current token.
    fn next_check(&self) -> tokio::time::Instant {
        let delay = self
            .shared
            .expiry
            .next_check(&self.token, SystemTime::now());
        tokio::time::Instant::now() + delay
    }

    /// Applies one command. `Ok(true)` when the token changed (the expiry
    /// check is rescheduled from it); `Err` ends the session.
    async fn command<S>(
        &mut self,
        command: Command,
        consumer: &Consumer,
        ws: &mut WebSocketStream<S>,
    ) -> Result<bool, Option<Close>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let (reply, token_changed) = match command {
            Command::Subscribe { event_name } => {
                if let Err(error) = consumer
                    .bind(&event_name, &self.token, self.shared.master_tenant)
                    .await
                {
                    tracing::info!(session = self.id, %error, "websocketd: subscribe failed");
                    return Err(Some(close(CLOSE_INTERNAL_ERROR, "")));
                }
                self.view.subscribe(&event_name);
                self.shared.session_subscribed(self.id, &event_name);
                self.shared.session_view(self.id, &self.view);
                let reply =
                    (!self.view.started || self.version == 2).then_some(ServerFrame::Subscribe);
                (reply, false)
            }
            Command::Start => {
                self.view.started = true;
                self.shared.session_started(self.id);
                self.shared.session_view(self.id, &self.view);
                (Some(ServerFrame::Start), false)
            }
            Command::Token { token } => {
                let token = self.shared.tokens.validate(&token).map_err(|error| {
                    tracing::info!(session = self.id, %error, "websocketd: renewal refused");
                    Some(close(CLOSE_AUTH_FAILED, "authentication failed"))
                })?;
                self.view.set_token(self.shared.master_tenant, &token);
                self.token = token;
                self.shared.session_view(self.id, &self.view);
                let reply = (!self.view.started || self.version == 2).then_some(ServerFrame::Token);
                (reply, true)
            }
            Command::Ping { payload } => {
                let reply = (self.version == 2).then_some(ServerFrame::Pong { payload });
                (reply, false)
            }
        };
        if let Some(reply) = reply
            && ws.send(Message::text(reply.encode())).await.is_err()
        {
            return Err(None);
        }
        Ok(token_changed)
    }

    /// Decides on one event; the frame to send if delivered.
    fn event(&self, event: &BusEvent) -> Option<String> {
        let name = event.header_name.as_deref().unwrap_or("?");
        match decide(event, &self.view) {
            Decision::Deliver(body) => {
                let frame = if self.version == 1 {
                    String::from_utf8_lossy(&event.body).into_owned()
                } else {
                    ServerFrame::encode_event(&serde_json::Value::Object(body))
                };
                tracing::debug!(session = self.id, user = %self.view.user_uuid, event = name, "websocketd: delivered");
                self.shared.session_delivered(self.id, name, &frame);
                Some(frame)
            }
            Decision::Drop(reason) => {
                tracing::debug!(session = self.id, user = %self.view.user_uuid, event = name, %reason, "websocketd: not delivered");
                self.shared.session_dropped(self.id, reason);
                None
            }
        }
    }
}
