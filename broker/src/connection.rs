//! One client connection: buffered framing, the handshake, then the loop that
//! reads frames, hands them to channels, writes deliveries, keeps heartbeats
//! and closes on error or shutdown.
//!
//! Reading keeps partial bytes between reads: an incomplete frame is a normal
//! state, not an error. Every complete frame in the buffer is handled before
//! anything is written, and all replies and deliveries produced meanwhile go
//! out in one write. Nothing a client sends can panic the broker: a malformed
//! or oversized frame closes this connection with 501 and nothing else.

use std::{
    collections::HashMap,
    io,
    sync::Arc,
    time::{Duration, Instant},
};

use amq_protocol::{
    frame::{AMQPFrame, parse_frame},
    protocol::{AMQPClass, channel, connection},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::mpsc,
};
use tokio_util::sync::CancellationToken;

use crate::{
    channel::Channel,
    class::{
        self,
        connection::{Negotiated, Refused},
    },
    error::{AmqpException, ReplyCode},
    queue::Outbound,
    session::Session,
    state::BrokerState,
    wire::{FRAME_OVERHEAD, FrameWriter},
};

/// How long the broker waits for `close-ok` after sending `connection.close`.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Bytes of outbound frames past which the connection writes before taking
/// more deliveries from its outbox, so one write never grows without bound.
const WRITE_BATCH: usize = 256 * 1024;

/// The socket with its inbound buffer.
#[derive(Debug)]
pub(crate) struct FrameIo {
    socket: TcpStream,
    input: Vec<u8>,
    /// Bytes at the start of `input` already parsed.
    consumed: usize,
    /// Largest frame accepted from the client, framing included.
    frame_max: usize,
}

impl FrameIo {
    fn new(socket: TcpStream, frame_max: u32) -> Self {
        Self {
            socket,
            input: Vec::with_capacity(16 * 1024),
            consumed: 0,
            frame_max: frame_max as usize,
        }
    }

    pub(crate) fn set_frame_max(&mut self, frame_max: u32) {
        self.frame_max = frame_max as usize;
    }

    /// Reads more bytes; `Ok(0)` means the peer closed. Cancel-safe.
    async fn read_more(&mut self) -> io::Result<usize> {
        if self.consumed > 0 {
            self.input.drain(..self.consumed);
            self.consumed = 0;
        }
        self.input.reserve(16 * 1024);
        self.socket.read_buf(&mut self.input).await
    }

    /// Reads the 8-byte protocol header; says whether it is AMQP 0-9-1.
    pub(crate) async fn read_protocol_header(&mut self) -> io::Result<bool> {
        let expected = class::connection::PROTOCOL_HEADER;
        while self.input.len() < expected.len() {
            let seen = &self.input[..];
            if !expected.starts_with(seen) {
                return Ok(false);
            }
            if self.read_more().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let matches = &self.input[..expected.len()] == expected;
        self.consumed = expected.len();
        Ok(matches)
    }

    /// The next complete frame already in the buffer, if any.
    fn next_frame(&mut self) -> Result<Option<AMQPFrame>, AmqpException> {
        let data = &self.input[self.consumed..];
        if data.len() < 7 {
            return Ok(None);
        }
        let size = u32::from_be_bytes([data[3], data[4], data[5], data[6]]) as usize;
        let total = size.saturating_add(FRAME_OVERHEAD);
        if total > self.frame_max {
            return Err(AmqpException::new(
                ReplyCode::FrameError,
                format!(
                    "frame size {total} exceeds the negotiated frame_max {}",
                    self.frame_max
                ),
            ));
        }
        if data.len() < total {
            return Ok(None);
        }
        let frame_bytes = &data[..total];
        match parse_frame(frame_bytes) {
            Ok(([], frame)) => {
                self.consumed += total;
                Ok(Some(frame))
            }
            Ok(_) | Err(_) => {
                let (class_id, method_id) = if frame_bytes[0] == 1 && size >= 4 {
                    (
                        u16::from_be_bytes([frame_bytes[7], frame_bytes[8]]),
                        u16::from_be_bytes([frame_bytes[9], frame_bytes[10]]),
                    )
                } else {
                    (0, 0)
                };
                Err(AmqpException::new(ReplyCode::FrameError, "malformed frame")
                    .at(class_id, method_id))
            }
        }
    }

    /// Waits for the next complete frame (`None` when the peer closed).
    pub(crate) async fn read_frame(&mut self) -> Result<Option<AMQPFrame>, Refused> {
        loop {
            if let Some(frame) = self.next_frame()? {
                return Ok(Some(frame));
            }
            match self.read_more().await {
                Ok(0) | Err(_) => return Ok(None),
                Ok(_) => {}
            }
        }
    }

    pub(crate) async fn flush(&mut self, out: &mut FrameWriter) -> io::Result<()> {
        if !out.is_empty() {
            let result = self.socket.write_all(out.bytes()).await;
            out.clear();
            result?;
        }
        Ok(())
    }
}

/// Serves one accepted socket until it closes or the broker shuts down.
pub(crate) async fn serve(
    socket: TcpStream,
    broker: Arc<BrokerState>,
    shutdown: CancellationToken,
) {
    let _ = socket.set_nodelay(true);
    let mut io = FrameIo::new(socket, broker.config.frame_max);
    let mut out = FrameWriter::new(broker.config.frame_max as usize);
    let handshake = tokio::time::timeout(
        broker.config.handshake_timeout,
        class::connection::handshake(&mut io, &mut out, &broker),
    );
    let negotiated = tokio::select! {
        () = shutdown.cancelled() => return,
        result = handshake => match result {
            Ok(Ok(negotiated)) => negotiated,
            Ok(Err(Refused::Exception(error))) => {
                send_connection_close(&mut out, &error);
                let _ = io.flush(&mut out).await;
                return;
            }
            Ok(Err(Refused::Gone)) => {
                let _ = io.flush(&mut out).await;
                return;
            }
            Ok(Err(Refused::SilentClose)) => return,
            Err(_elapsed) => {
                tracing::info!("handshake timed out");
                return;
            }
        },
    };
    let (outbox, inbox) = mpsc::unbounded_channel();
    let Negotiated {
        channel_max,
        heartbeat,
        vhost,
        capabilities,
        ..
    } = negotiated;
    let session = Session {
        id: broker.next_connection_id(),
        broker,
        vhost,
        capabilities,
        out,
        outbox,
        exclusive_queues: Vec::new(),
        has_published: false,
        route_scratch: Vec::new(),
        route_queues: Vec::new(),
    };
    let mut connection = Connection {
        session,
        channels: HashMap::new(),
        io,
        inbox,
        channel_max,
        heartbeat: (heartbeat > 0).then(|| Duration::from_secs(u64::from(heartbeat))),
        phase: Phase::Open,
    };
    connection.run(&shutdown).await;
    connection.clean_up();
}

fn send_connection_close(out: &mut FrameWriter, error: &AmqpException) {
    out.method(
        0,
        AMQPClass::Connection(connection::AMQPMethod::Close(connection::Close {
            reply_code: error.code.code(),
            reply_text: error.reply_text(),
            class_id: error.class_id,
            method_id: error.method_id,
        })),
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    /// `connection.close` sent; waiting for `close-ok` until the deadline.
    Closing {
        deadline: tokio::time::Instant,
    },
    Closed,
}

#[derive(Debug)]
struct Connection {
    session: Session,
    channels: HashMap<u16, Channel>,
    io: FrameIo,
    inbox: mpsc::UnboundedReceiver<Outbound>,
    channel_max: u16,
    heartbeat: Option<Duration>,
    phase: Phase,
}

impl Connection {
    async fn run(&mut self, shutdown: &CancellationToken) {
        let mut memory_alarm = self.session.broker.gauge.subscribe();
        let mut told_blocked = false;
        let tick_every = self.heartbeat.map_or(Duration::from_secs(3600), |h| h / 2);
        let mut ticker = tokio::time::interval(tick_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_read = Instant::now();
        let mut last_write = Instant::now();
        loop {
            self.handle_buffered_frames();
            self.after_batch();
            while self.session.out.len() < WRITE_BATCH {
                match self.inbox.try_recv() {
                    Ok(outbound) => self.outbound(outbound),
                    Err(_) => break,
                }
            }
            if !self.session.out.is_empty() {
                if self.io.flush(&mut self.session.out).await.is_err() {
                    return;
                }
                last_write = Instant::now();
            }
            if self.phase == Phase::Closed || self.session.out.is_broken() {
                return;
            }
            let blocked = *memory_alarm.borrow();
            let reading_paused = blocked && self.session.has_published;
            let deadline = match self.phase {
                Phase::Closing { deadline } => deadline,
                _ => tokio::time::Instant::now() + Duration::from_secs(86_400),
            };
            tokio::select! {
                () = shutdown.cancelled(), if self.phase == Phase::Open => {
                    self.close_connection(AmqpException::new(ReplyCode::ConnectionForced, "broker shutdown"));
                }
                read = self.io.read_more(), if !reading_paused => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => last_read = Instant::now(),
                },
                Some(outbound) = self.inbox.recv() => self.outbound(outbound),
                _ = ticker.tick() => {
                    if let Some(heartbeat) = self.heartbeat {
                        if last_read.elapsed() > heartbeat * 2 {
                            tracing::info!(connection = self.session.id, "missed heartbeats from client, closing");
                            return;
                        }
                        if last_write.elapsed() >= heartbeat / 2 {
                            self.session.out.heartbeat();
                        }
                    }
                }
                Ok(()) = memory_alarm.changed() => {
                    let blocked = *memory_alarm.borrow_and_update();
                    if self.session.capabilities.connection_blocked && blocked != told_blocked {
                        told_blocked = blocked;
                        let method = if blocked {
                            connection::AMQPMethod::Blocked(connection::Blocked { reason: "low on memory".into() })
                        } else {
                            connection::AMQPMethod::Unblocked(connection::Unblocked {})
                        };
                        self.session.send(0, AMQPClass::Connection(method));
                    }
                }
                () = tokio::time::sleep_until(deadline), if matches!(self.phase, Phase::Closing { .. }) => return,
            }
        }
    }

    fn handle_buffered_frames(&mut self) {
        while self.phase != Phase::Closed {
            match self.io.next_frame() {
                Ok(Some(frame)) => self.handle_frame(frame),
                Ok(None) => return,
                Err(error) => {
                    tracing::info!(connection = self.session.id, %error, "closing on a bad frame");
                    self.close_connection(error);
                    // Nothing after a bad frame can be trusted: drop it all.
                    self.io.consumed = self.io.input.len();
                    return;
                }
            }
        }
    }

    fn handle_frame(&mut self, frame: AMQPFrame) {
        if let Phase::Closing { .. } = self.phase {
            // After connection.close only close and close-ok matter.
            match frame {
                AMQPFrame::Method(0, AMQPClass::Connection(connection::AMQPMethod::CloseOk(_))) => {
                    self.phase = Phase::Closed;
                }
                AMQPFrame::Method(0, AMQPClass::Connection(connection::AMQPMethod::Close(_))) => {
                    self.send_close_ok();
                }
                _ => {}
            }
            return;
        }
        match frame {
            AMQPFrame::Heartbeat => {}
            AMQPFrame::Method(0, AMQPClass::Connection(method)) => self.connection_method(method),
            AMQPFrame::Method(0, method) => self.close_connection(
                class::command_invalid()
                    .at(method.get_amqp_class_id(), method.get_amqp_method_id()),
            ),
            AMQPFrame::Method(id, AMQPClass::Channel(channel::AMQPMethod::Open(_))) => {
                self.open_channel(id)
            }
            AMQPFrame::Method(id, AMQPClass::Channel(channel::AMQPMethod::Close(_))) => {
                if let Some(mut channel) = self.channels.remove(&id) {
                    channel.teardown(&self.session);
                    self.session.send(
                        id,
                        AMQPClass::Channel(channel::AMQPMethod::CloseOk(channel::CloseOk {})),
                    );
                } else {
                    self.close_connection(channel_error(id).at(20, 40));
                }
            }
            AMQPFrame::Method(id, AMQPClass::Channel(channel::AMQPMethod::CloseOk(_))) => {
                if self.channels.get(&id).is_some_and(|c| c.closing) {
                    self.channels.remove(&id);
                } else {
                    self.close_connection(channel_error(id).at(20, 41));
                }
            }
            AMQPFrame::Method(id, method) => {
                let (class_id, method_id) =
                    (method.get_amqp_class_id(), method.get_amqp_method_id());
                self.on_channel(id, |session, channel| {
                    class::dispatch(session, channel, method).map_err(|e| e.at(class_id, method_id))
                });
            }
            AMQPFrame::Header(id, header) => {
                self.on_channel(id, |session, channel| {
                    class::basic::content_header(session, channel, header)
                });
            }
            AMQPFrame::Body(id, body) => {
                self.on_channel(id, |session, channel| {
                    class::basic::content_body(session, channel, body)
                });
            }
            AMQPFrame::ProtocolHeader(_) | AMQPFrame::InvalidHeartbeat(_) => {
                self.close_connection(AmqpException::new(
                    ReplyCode::FrameError,
                    "unexpected frame type",
                ));
            }
        }
    }

    /// Runs a handler on an open channel and turns its exception into a
    /// channel or connection close. Frames for a closing channel are dropped.
    fn on_channel(
        &mut self,
        id: u16,
        handler: impl FnOnce(&mut Session, &mut Channel) -> Result<(), AmqpException>,
    ) {
        let Some(channel) = self.channels.get_mut(&id) else {
            self.close_connection(channel_error(id));
            return;
        };
        if channel.closing {
            return;
        }
        if let Err(error) = handler(&mut self.session, channel) {
            if error.code.closes_connection() {
                self.close_connection(error);
            } else {
                channel.teardown(&self.session);
                channel.closing = true;
                self.session.send(
                    id,
                    AMQPClass::Channel(channel::AMQPMethod::Close(channel::Close {
                        reply_code: error.code.code(),
                        reply_text: error.reply_text(),
                        class_id: error.class_id,
                        method_id: error.method_id,
                    })),
                );
            }
        }
    }

    fn open_channel(&mut self, id: u16) {
        if id > self.channel_max || self.channels.contains_key(&id) {
            let text = if id > self.channel_max {
                format!(
                    "channel {id} is above the negotiated channel_max {}",
                    self.channel_max
                )
            } else {
                format!("second 'channel.open' seen on channel {id}")
            };
            self.close_connection(AmqpException::new(ReplyCode::ChannelError, text).at(20, 10));
            return;
        }
        self.channels.insert(id, Channel::new(id));
        self.session.send(
            id,
            AMQPClass::Channel(channel::AMQPMethod::OpenOk(channel::OpenOk {})),
        );
    }

    fn connection_method(&mut self, method: connection::AMQPMethod) {
        match method {
            connection::AMQPMethod::Close(_) => {
                self.send_close_ok();
            }
            connection::AMQPMethod::CloseOk(_) => self.phase = Phase::Closed,
            connection::AMQPMethod::UpdateSecret(_) => {
                // Credentials never expire here: accept the new secret.
                self.session.send(
                    0,
                    AMQPClass::Connection(connection::AMQPMethod::UpdateSecretOk(
                        connection::UpdateSecretOk {},
                    )),
                );
            }
            other => {
                let class = AMQPClass::Connection(other);
                self.close_connection(
                    class::command_invalid()
                        .at(class.get_amqp_class_id(), class.get_amqp_method_id()),
                );
            }
        }
    }

    fn send_close_ok(&mut self) {
        self.session.send(
            0,
            AMQPClass::Connection(connection::AMQPMethod::CloseOk(connection::CloseOk {})),
        );
        self.phase = Phase::Closed;
    }

    /// Sends `connection.close` and waits (a little) for `close-ok`.
    fn close_connection(&mut self, error: AmqpException) {
        if self.phase != Phase::Open {
            return;
        }
        send_connection_close(&mut self.session.out, &error);
        self.phase = Phase::Closing {
            deadline: tokio::time::Instant::now() + CLOSE_TIMEOUT,
        };
    }

    /// Work done once per batch of inbound frames: confirms go out as one
    /// multiple ack, and queues deliver into credit that acks gave back.
    fn after_batch(&mut self) {
        for channel in self.channels.values_mut() {
            channel.flush_confirms(&mut self.session);
            channel.redispatch();
        }
    }

    fn outbound(&mut self, outbound: Outbound) {
        match outbound {
            Outbound::Deliver(delivery) => {
                let channel = self.channels.get_mut(&delivery.channel);
                class::basic::deliver(&mut self.session, channel, delivery);
            }
            Outbound::Cancelled {
                channel,
                consumer_tag,
            } => {
                let channel = self.channels.get_mut(&channel);
                class::basic::cancelled_by_broker(&mut self.session, channel, consumer_tag);
            }
        }
    }

    /// Whatever ended the connection: cancel its consumers, requeue what it
    /// had not acknowledged, delete its exclusive queues.
    fn clean_up(mut self) {
        self.inbox.close();
        for (_, mut channel) in self.channels.drain() {
            channel.teardown(&self.session);
        }
        for queue in std::mem::take(&mut self.session.exclusive_queues) {
            self.session.delete_queue(&queue);
        }
        while let Ok(outbound) = self.inbox.try_recv() {
            if let Outbound::Deliver(delivery) = outbound {
                class::basic::deliver(&mut self.session, None, delivery);
            }
        }
    }
}

fn channel_error(id: u16) -> AmqpException {
    AmqpException::new(
        ReplyCode::ChannelError,
        format!("expected 'channel.open' on channel {id}"),
    )
}
