//! The bus side, as wazo-websocketd consumes it (`wazo_websocketd/bus.py`).
//!
//! - One AMQP connection for the server ([`Bus`]), re-opened with backoff
//!   (1, 2, 4, 8, 16 then 32 s, as the real one) when lost. Losing it ends
//!   every session with 1011 "bus connection lost"; while it is down, new
//!   sessions end with 1011 "bus connection error".
//! - On connect, exchange `wazo-headers` (headers, durable) is declared.
//! - Per session ([`Consumer`]): a channel; unless the token's tenant is the
//!   master tenant, exchange `wazo-websocketd.tenant-<tenant>` (headers,
//!   auto-delete) bound from `wazo-headers` on `{origin_uuid, tenant_uuid}`;
//!   queue `wazo-websocketd.user-<user>.<6 hex>` (exclusive, auto-delete,
//!   prefetch 250); per `subscribe`, the bindings of [`bindings`]. One
//!   deviation: the real service acknowledges each message; here the queues
//!   are consumed without acknowledgements (no-ack), because amqprs manual
//!   acknowledgements added ~80 ms to every delivery in `cargo xtask bench
//!   websocketd` (p50 0.75 ms without, 200 sessions at 1 000 events/s).
//!   Clients cannot tell; the broker shows no unacknowledged messages.

use std::time::Duration;

use amqprs::channel::{
    BasicConsumeArguments, BasicQosArguments, Channel, ConsumerMessage, ExchangeBindArguments,
    ExchangeDeclareArguments, ExchangeType, QueueBindArguments, QueueDeclareArguments,
};
use amqprs::connection::Connection;
use amqprs::{FieldTable, FieldValue};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::auth::Token;
use super::filter::{BusEvent, is_privileged};
use crate::provision::{AmqpUrl, ConnectError, DEFAULT_CONNECT_TIMEOUT, connect};

/// The exchange Wazo publishes every event to, with the event's headers.
pub const WAZO_HEADERS_EXCHANGE: &str = "wazo-headers";
/// Unacknowledged messages a session queue may hold in flight (`consumer_prefetch`).
pub const PREFETCH: u16 = 250;
/// Reconnection delays after a loss: the real service's schedule.
const BACKOFF: [u64; 6] = [1, 2, 4, 8, 16, 32];

/// Why the bus could not serve a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The first connection failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The connection is down (being re-established).
    #[error("the bus connection is down")]
    Down,
    /// The broker refused a step of a session's set-up.
    #[error("the broker refused to {step}: {cause}")]
    Setup {
        /// What we were doing.
        step: String,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
}

/// The state the sessions watch.
#[derive(Clone)]
enum State {
    /// Connected; generation counts connections since start.
    Up(Connection, u64),
    /// Lost, being re-established (or shut down).
    Down,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Up(_, generation) => write!(f, "Up(generation {generation})"),
            Self::Down => f.write_str("Down"),
        }
    }
}

/// The server's bus connection, kept open by a task of the server's tracker.
#[derive(Debug, Clone)]
pub struct Bus {
    state: watch::Receiver<State>,
}

impl Bus {
    /// The live connection and its generation; `None` while the bus is down.
    fn current(&self) -> Option<(Connection, u64)> {
        match &*self.state.borrow() {
            State::Up(connection, generation) => Some((connection.clone(), *generation)),
            State::Down => None,
        }
    }

    /// Connects to `url` (failing if the broker cannot be reached now),
    /// declares `wazo-headers`, and keeps the connection open until `cancel`.
    pub async fn start(
        url: &AmqpUrl,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Self, BusError> {
        let connection = open(url).await?;
        let (state_tx, state) = watch::channel(State::Up(connection.clone(), 1));
        tasks.spawn(keep_open(url.clone(), connection, state_tx, cancel));
        Ok(Self { state })
    }

    /// Whether the connection is up now.
    pub fn is_up(&self) -> bool {
        matches!(*self.state.borrow(), State::Up(..))
    }

    /// Opens a session's consumer for `token` (tenant exchange, queue, consumer).
    pub async fn consumer(
        &self,
        token: &Token,
        master_tenant: Uuid,
        origin_uuid: Uuid,
    ) -> Result<Consumer, BusError> {
        let (connection, generation) = self.current().ok_or(BusError::Down)?;
        let channel = connection
            .open_channel(None)
            .await
            .map_err(setup("open a channel"))?;
        let exchange = if token.tenant_uuid == master_tenant {
            WAZO_HEADERS_EXCHANGE.to_owned()
        } else {
            let exchange = format!("wazo-websocketd.tenant-{}", token.tenant_uuid);
            channel
                .exchange_declare(
                    ExchangeDeclareArguments::of_type(&exchange, ExchangeType::Headers)
                        .durable(false)
                        .auto_delete(true)
                        .finish(),
                )
                .await
                .map_err(setup("declare the tenant exchange"))?;
            let mut arguments = FieldTable::new();
            put(
                &mut arguments,
                "origin_uuid",
                text(&origin_uuid.to_string()),
            );
            put(
                &mut arguments,
                "tenant_uuid",
                text(&token.tenant_uuid.to_string()),
            );
            channel
                .exchange_bind(
                    ExchangeBindArguments::new(&exchange, WAZO_HEADERS_EXCHANGE, "")
                        .arguments(arguments)
                        .finish(),
                )
                .await
                .map_err(setup("bind the tenant exchange"))?;
            exchange
        };
        channel
            .basic_qos(BasicQosArguments::new(0, PREFETCH, false))
            .await
            .map_err(setup("set the prefetch"))?;
        let name = format!(
            "wazo-websocketd.user-{}.{:06x}",
            token.user_uuid,
            rand::random::<u32>() & 0x00ff_ffff
        );
        channel
            .queue_declare(
                QueueDeclareArguments::new(&name)
                    .durable(false)
                    .exclusive(true)
                    .auto_delete(true)
                    .finish(),
            )
            .await
            .map_err(setup("declare the session queue"))?;
        consume(
            channel,
            name,
            exchange,
            generation,
            self.state.clone(),
            origin_uuid,
        )
        .await
    }

    /// Opens the server's audit consumer: a queue bound to `wazo-headers`
    /// for every message, so that events the session bindings keep away from
    /// a session can still be attributed a reason. Not part of the real
    /// service's topology; named `switchboard-websocketd.audit.<6 hex>`.
    pub async fn audit(&self, origin_uuid: Uuid) -> Result<Consumer, BusError> {
        let (connection, generation) = self.current().ok_or(BusError::Down)?;
        let channel = connection
            .open_channel(None)
            .await
            .map_err(setup("open the audit channel"))?;
        channel
            .basic_qos(BasicQosArguments::new(0, PREFETCH, false))
            .await
            .map_err(setup("set the audit prefetch"))?;
        let name = format!(
            "switchboard-websocketd.audit.{:06x}",
            rand::random::<u32>() & 0x00ff_ffff
        );
        channel
            .queue_declare(
                QueueDeclareArguments::new(&name)
                    .exclusive(true)
                    .auto_delete(true)
                    .finish(),
            )
            .await
            .map_err(setup("declare the audit queue"))?;
        channel
            .queue_bind(QueueBindArguments::new(&name, WAZO_HEADERS_EXCHANGE, "").finish())
            .await
            .map_err(setup("bind the audit queue"))?;
        let exchange = WAZO_HEADERS_EXCHANGE.to_owned();
        consume(
            channel,
            name,
            exchange,
            generation,
            self.state.clone(),
            origin_uuid,
        )
        .await
    }

    /// Waits until the connection is up (again); false if the bus was shut down.
    pub async fn wait_up(&self) -> bool {
        let mut state = self.state.clone();
        state
            .wait_for(|state| matches!(state, State::Up(..)))
            .await
            .is_ok()
    }
}

/// Starts consuming `queue` (exclusive, no-ack: see the module doc).
async fn consume(
    channel: Channel,
    queue: String,
    exchange: String,
    generation: u64,
    state: watch::Receiver<State>,
    origin_uuid: Uuid,
) -> Result<Consumer, BusError> {
    let (_tag, messages) = channel
        .basic_consume_rx(
            BasicConsumeArguments::new(&queue, "")
                .manual_ack(false)
                .exclusive(true)
                .finish(),
        )
        .await
        .map_err(|cause| BusError::Setup {
            step: format!("consume from '{queue}'"),
            cause,
        })?;
    Ok(Consumer {
        channel,
        queue,
        exchange,
        generation,
        state,
        messages,
        origin_uuid,
    })
}

/// Opens the server's connection and declares `wazo-headers`.
async fn open(url: &AmqpUrl) -> Result<Connection, BusError> {
    let connection = connect(url, "switchboard-websocketd", DEFAULT_CONNECT_TIMEOUT).await?;
    let channel = connection
        .open_channel(None)
        .await
        .map_err(|cause| BusError::Setup {
            step: "open a channel".into(),
            cause,
        })?;
    channel
        .exchange_declare(
            ExchangeDeclareArguments::of_type(WAZO_HEADERS_EXCHANGE, ExchangeType::Headers)
                .durable(true)
                .finish(),
        )
        .await
        .map_err(|cause| BusError::Setup {
            step: format!("declare the headers exchange '{WAZO_HEADERS_EXCHANGE}'"),
            cause,
        })?;
    let _ = channel.close().await;
    Ok(connection)
}

/// Watches the connection; on loss, marks the bus down and reconnects.
async fn keep_open(
    url: AmqpUrl,
    mut connection: Connection,
    state: watch::Sender<State>,
    cancel: CancellationToken,
) {
    let mut generation = 1;
    loop {
        tokio::select! {
            _ = connection.listen_network_io_failure() => {}
            () = cancel.cancelled() => {
                state.send_replace(State::Down);
                let _ = connection.close().await;
                return;
            }
        }
        state.send_replace(State::Down);
        tracing::warn!("websocketd: the bus connection was lost; reconnecting");
        let mut delays = BACKOFF
            .iter()
            .chain(std::iter::repeat(&BACKOFF[BACKOFF.len() - 1]));
        connection = loop {
            match open(&url).await {
                Ok(connection) => break connection,
                Err(error) => tracing::debug!(%error, "websocketd: reconnection failed"),
            }
            let delay = Duration::from_secs(*delays.next().unwrap_or(&32));
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = cancel.cancelled() => return,
            }
        };
        generation += 1;
        tracing::info!("websocketd: the bus connection is back");
        state.send_replace(State::Up(connection.clone(), generation));
    }
}

/// What a session's consumer yields.
#[derive(Debug)]
pub enum Received {
    /// A message from the session queue.
    Event(BusEvent),
    /// The connection or the channel went away.
    Lost,
}

/// Turns the client's error at `step` of a set-up into a [`BusError::Setup`].
fn setup(step: &str) -> impl FnOnce(amqprs::error::Error) -> BusError {
    let step = step.to_owned();
    move |cause| BusError::Setup { step, cause }
}

/// One session's queue and bindings.
pub struct Consumer {
    channel: Channel,
    queue: String,
    exchange: String,
    generation: u64,
    state: watch::Receiver<State>,
    messages: mpsc::UnboundedReceiver<ConsumerMessage>,
    origin_uuid: Uuid,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("queue", &self.queue)
            .field("exchange", &self.exchange)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl Consumer {
    /// The session queue's name.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The exchange the queue is bound to (`wazo-headers` or the tenant's).
    pub fn exchange(&self) -> &str {
        &self.exchange
    }

    /// Binds the queue for `event_name` (`*`: every name) as the token wants.
    pub async fn bind(
        &self,
        event_name: &str,
        token: &Token,
        master_tenant: Uuid,
    ) -> Result<(), BusError> {
        let privileged = is_privileged(token.tenant_uuid == master_tenant, token);
        for arguments in bindings(event_name, privileged, token.user_uuid, self.origin_uuid) {
            self.channel
                .queue_bind(
                    QueueBindArguments::new(&self.queue, &self.exchange, "")
                        .arguments(arguments)
                        .finish(),
                )
                .await
                .map_err(|cause| BusError::Setup {
                    step: format!("bind the session queue for '{event_name}'"),
                    cause,
                })?;
        }
        Ok(())
    }

    /// The next message, or [`Received::Lost`] once the bus is gone.
    pub async fn recv(&mut self) -> Received {
        loop {
            let lost = match &*self.state.borrow_and_update() {
                State::Up(_, generation) => *generation != self.generation,
                State::Down => true,
            };
            if lost {
                return Received::Lost;
            }
            tokio::select! {
                message = self.messages.recv() => {
                    let Some(message) = message else {
                        return Received::Lost;
                    };
                    if message.deliver.is_none() {
                        continue;
                    }
                    let headers = message.basic_properties.as_ref().and_then(|p| p.headers());
                    let body = message.content.unwrap_or_default();
                    return Received::Event(BusEvent::from_amqp(headers, body));
                }
                changed = self.state.changed() => {
                    if changed.is_err() {
                        return Received::Lost;
                    }
                }
            }
        }
    }

    /// Closes the channel: the exclusive queue and any unused tenant exchange go.
    pub async fn close(self) {
        if self.channel.is_open() {
            let _ = self.channel.close().await;
        }
    }
}

/// The bindings of one `subscribe` (x-match all, RabbitMQ's default):
/// privileged tokens `{name, origin_uuid}`; users `{name, user_uuid:<user>: true}`
/// and `{name, user_uuid:*: true}` (the tenant exchange already checks the
/// origin). `name` is left out for `*`.
pub fn bindings(
    event_name: &str,
    privileged: bool,
    user_uuid: Uuid,
    origin_uuid: Uuid,
) -> Vec<FieldTable> {
    let base = || {
        let mut table = FieldTable::new();
        if event_name != "*" {
            put(&mut table, "name", text(event_name));
        }
        table
    };
    if privileged {
        let mut table = base();
        put(&mut table, "origin_uuid", text(&origin_uuid.to_string()));
        return vec![table];
    }
    let mut own = base();
    put(
        &mut own,
        &format!("user_uuid:{user_uuid}"),
        FieldValue::t(true),
    );
    let mut everyone = base();
    put(&mut everyone, "user_uuid:*", FieldValue::t(true));
    vec![own, everyone]
}

fn put(table: &mut FieldTable, name: &str, value: FieldValue) {
    // Header names here are short (a uuid and a prefix), well within 255 bytes.
    if let Ok(name) = name.try_into() {
        table.insert(name, value);
    }
}

fn text(value: &str) -> FieldValue {
    FieldValue::S(value.try_into().unwrap_or_default())
}
