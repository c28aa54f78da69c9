//! The connection class: the opening handshake (protocol header, start,
//! start-ok with PLAIN or AMQPLAIN, tune, tune-ok, open) and the server
//! properties RabbitMQ clients look for. Closing is in [`crate::connection`].

use std::sync::Arc;

use amq_protocol::{
    frame::AMQPFrame,
    protocol::{AMQPClass, connection},
    types::{AMQPValue, FieldTable, LongString, parsing::parse_field_table},
};

use crate::{
    connection::FrameIo,
    error::{AmqpException, AmqpResult, ReplyCode},
    session::ClientCapabilities,
    state::BrokerState,
    vhost::VirtualHost,
    wire::FrameWriter,
};

/// The bytes a client opens with; a client sending anything else gets these
/// back, as the specification asks, and the socket is closed.
pub(crate) const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";

/// Smallest frame_max a client may ask for (the specification's minimum).
const FRAME_MIN_SIZE: u32 = 4096;

/// What the handshake settled.
#[derive(Debug)]
pub(crate) struct Negotiated {
    pub(crate) channel_max: u16,
    pub(crate) heartbeat: u16,
    pub(crate) vhost: Arc<VirtualHost>,
    pub(crate) capabilities: ClientCapabilities,
}

/// Why the handshake did not end in an open connection.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The socket failed or closed, or the client spoke another protocol.
    Gone,
    /// A protocol error: `connection.close` with this exception is sent.
    Exception(AmqpException),
    /// Bad credentials from a client that did not ask for a close frame.
    SilentClose,
}

impl From<AmqpException> for Refused {
    fn from(error: AmqpException) -> Self {
        Self::Exception(error)
    }
}

pub(crate) async fn handshake(
    io: &mut FrameIo,
    out: &mut FrameWriter,
    broker: &BrokerState,
) -> Result<Negotiated, Refused> {
    if !io.read_protocol_header().await.map_err(|_| Refused::Gone)? {
        out.raw(PROTOCOL_HEADER);
        return Err(Refused::Gone);
    }
    out.method(0, connection_method(connection::AMQPMethod::Start(start())));
    io.flush(out).await.map_err(|_| Refused::Gone)?;

    let start_ok = match next_method(io).await? {
        connection::AMQPMethod::StartOk(start_ok) => start_ok,
        other => return Err(unexpected(&other).into()),
    };
    let capabilities = client_capabilities(&start_ok.client_properties);
    let authentication_failure_close = start_ok
        .client_properties
        .inner()
        .get("capabilities")
        .and_then(AMQPValue::as_field_table)
        .and_then(|caps| caps.inner().get("authentication_failure_close"))
        .and_then(AMQPValue::as_bool)
        .unwrap_or(false);
    let mechanism = start_ok.mechanism.as_str();
    let (username, password) =
        credentials(mechanism, &start_ok.response).map_err(|e| e.at(10, 11))?;
    if !broker.config.check_login(&username, &password) {
        tracing::info!(%username, mechanism, "login refused");
        return Err(if authentication_failure_close {
            AmqpException::new(
                ReplyCode::AccessRefused,
                format!("Login was refused using authentication mechanism {mechanism}."),
            )
            .at(10, 11)
            .into()
        } else {
            Refused::SilentClose
        });
    }

    let config = &broker.config;
    out.method(
        0,
        connection_method(connection::AMQPMethod::Tune(connection::Tune {
            channel_max: config.channel_max,
            frame_max: config.frame_max,
            heartbeat: config.heartbeat_seconds(),
        })),
    );
    io.flush(out).await.map_err(|_| Refused::Gone)?;
    let tune_ok = match next_method(io).await? {
        connection::AMQPMethod::TuneOk(tune_ok) => tune_ok,
        other => return Err(unexpected(&other).into()),
    };
    let (frame_max, channel_max) = check_tune(&tune_ok, config.frame_max, config.channel_max)?;
    io.set_frame_max(frame_max);
    out.set_frame_max(frame_max as usize);

    let open = match next_method(io).await? {
        connection::AMQPMethod::Open(open) => open,
        other => return Err(unexpected(&other).into()),
    };
    let Some(vhost) = broker.vhosts.get(open.virtual_host.as_str()) else {
        return Err(AmqpException::new(
            ReplyCode::NotAllowed,
            format!("vhost {} not found", open.virtual_host),
        )
        .at(10, 40)
        .into());
    };
    out.method(
        0,
        connection_method(connection::AMQPMethod::OpenOk(connection::OpenOk {})),
    );
    Ok(Negotiated {
        channel_max,
        heartbeat: tune_ok.heartbeat,
        vhost: Arc::clone(vhost),
        capabilities,
    })
}

fn connection_method(method: connection::AMQPMethod) -> AMQPClass {
    AMQPClass::Connection(method)
}

/// The next connection-class method on channel 0, skipping heartbeats.
async fn next_method(io: &mut FrameIo) -> Result<connection::AMQPMethod, Refused> {
    loop {
        match io.read_frame().await? {
            None => return Err(Refused::Gone),
            Some(AMQPFrame::Heartbeat) => {}
            Some(AMQPFrame::Method(0, AMQPClass::Connection(method))) => return Ok(method),
            Some(AMQPFrame::Method(_, method)) => {
                return Err(AmqpException::new(
                    ReplyCode::CommandInvalid,
                    "expected a connection method during the handshake",
                )
                .at(method.get_amqp_class_id(), method.get_amqp_method_id())
                .into());
            }
            Some(_) => {
                return Err(AmqpException::new(
                    ReplyCode::UnexpectedFrame,
                    "expected a method frame during the handshake",
                )
                .into());
            }
        }
    }
}

fn unexpected(method: &connection::AMQPMethod) -> AmqpException {
    let class = AMQPClass::Connection(method.clone());
    AmqpException::new(
        ReplyCode::CommandInvalid,
        "connection method out of order during the handshake",
    )
    .at(class.get_amqp_class_id(), class.get_amqp_method_id())
}

/// Checks `tune-ok` as RabbitMQ does; 0 means "the server's value".
fn check_tune(
    tune_ok: &connection::TuneOk,
    frame_max: u32,
    channel_max: u16,
) -> AmqpResult<(u32, u16)> {
    let not_allowed =
        |text: String| Err(AmqpException::new(ReplyCode::NotAllowed, text).at(10, 31));
    let client_frame_max = if tune_ok.frame_max == 0 {
        frame_max
    } else {
        tune_ok.frame_max
    };
    if client_frame_max < FRAME_MIN_SIZE {
        return not_allowed(format!(
            "frame_max={client_frame_max} < {FRAME_MIN_SIZE} min size"
        ));
    }
    if client_frame_max > frame_max {
        return not_allowed(format!(
            "frame_max={client_frame_max} > {frame_max} max size"
        ));
    }
    let client_channel_max = if tune_ok.channel_max == 0 {
        channel_max
    } else {
        tune_ok.channel_max
    };
    if client_channel_max > channel_max {
        return not_allowed(format!(
            "channel_max={client_channel_max} > {channel_max} max"
        ));
    }
    Ok((client_frame_max, client_channel_max))
}

/// `connection.start`: version, server properties, mechanisms, locales.
fn start() -> connection::Start {
    let mut capabilities = FieldTable::default();
    for capability in [
        "publisher_confirms",
        "exchange_exchange_bindings",
        "basic.nack",
        "consumer_cancel_notify",
        "connection.blocked",
        "authentication_failure_close",
        "per_consumer_qos",
    ] {
        capabilities.insert(capability.into(), AMQPValue::Boolean(true));
    }
    let mut properties = FieldTable::default();
    properties.insert("capabilities".into(), AMQPValue::FieldTable(capabilities));
    for (key, value) in [
        ("product", "switchboard-broker"),
        ("version", env!("CARGO_PKG_VERSION")),
        ("platform", "Rust (tokio)"),
        ("cluster_name", "switchboard@localhost"),
        ("copyright", "switchboard contributors"),
        (
            "information",
            "An embedded AMQP 0-9-1 broker with RabbitMQ's semantics, for tests",
        ),
    ] {
        properties.insert(key.into(), AMQPValue::LongString(value.into()));
    }
    connection::Start {
        version_major: 0,
        version_minor: 9,
        server_properties: properties,
        mechanisms: "PLAIN AMQPLAIN".into(),
        locales: "en_US".into(),
    }
}

fn client_capabilities(properties: &FieldTable) -> ClientCapabilities {
    let flag = |name: &str| {
        properties
            .inner()
            .get("capabilities")
            .and_then(AMQPValue::as_field_table)
            .and_then(|caps| caps.inner().get(name))
            .and_then(AMQPValue::as_bool)
            .unwrap_or(false)
    };
    ClientCapabilities {
        consumer_cancel_notify: flag("consumer_cancel_notify"),
        connection_blocked: flag("connection.blocked"),
    }
}

/// Username and password from a `start-ok` response.
fn credentials(mechanism: &str, response: &LongString) -> AmqpResult<(String, String)> {
    let malformed = || {
        AmqpException::new(
            ReplyCode::AccessRefused,
            format!("malformed {mechanism} response"),
        )
    };
    match mechanism {
        // PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd
        "PLAIN" => {
            let mut parts = response.as_bytes().split(|&b| b == 0);
            let (Some(_authzid), Some(user), Some(pass), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(malformed());
            };
            Ok((
                String::from_utf8_lossy(user).into_owned(),
                String::from_utf8_lossy(pass).into_owned(),
            ))
        }
        // AMQPLAIN: a field table without its length prefix, with LOGIN and PASSWORD.
        "AMQPLAIN" => {
            let bytes = response.as_bytes();
            let length = u32::try_from(bytes.len()).map_err(|_| malformed())?;
            let mut framed = Vec::with_capacity(bytes.len() + 4);
            framed.extend_from_slice(&length.to_be_bytes());
            framed.extend_from_slice(bytes);
            let (_, table) = parse_field_table(framed.as_slice()).map_err(|_| malformed())?;
            let text = |key: &str| match table.inner().get(key) {
                Some(AMQPValue::LongString(s)) => {
                    Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
                }
                Some(AMQPValue::ShortString(s)) => Some(s.as_str().to_owned()),
                _ => None,
            };
            Ok((
                text("LOGIN").ok_or_else(malformed)?,
                text("PASSWORD").ok_or_else(malformed)?,
            ))
        }
        other => Err(AmqpException::new(
            ReplyCode::CommandInvalid,
            format!("unknown authentication mechanism '{other}'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use amq_protocol::auth::{Credentials, SASLMechanism};

    use super::*;

    #[test]
    fn plain_and_amqplain_responses_parse() {
        let credentials_in = Credentials::new("user".into(), "pa ss".into());
        for mechanism in [SASLMechanism::Plain, SASLMechanism::AMQPlain] {
            let response = credentials_in.sasl_auth_string(mechanism);
            let name = mechanism.to_string();
            assert_eq!(
                credentials(&name, &response).unwrap(),
                ("user".to_owned(), "pa ss".to_owned()),
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_mechanism_is_command_invalid() {
        let error = credentials("EXTERNAL", &LongString::from("")).unwrap_err();
        assert_eq!(error.code, ReplyCode::CommandInvalid);
    }

    #[test]
    fn tune_ok_bounds() {
        let tune = |frame_max, channel_max| connection::TuneOk {
            channel_max,
            frame_max,
            heartbeat: 0,
        };
        assert_eq!(
            check_tune(&tune(0, 0), 131_072, 2047).unwrap(),
            (131_072, 2047)
        );
        assert_eq!(
            check_tune(&tune(8192, 10), 131_072, 2047).unwrap(),
            (8192, 10)
        );
        assert_eq!(
            check_tune(&tune(1000, 0), 131_072, 2047).unwrap_err().code,
            ReplyCode::NotAllowed
        );
        assert_eq!(
            check_tune(&tune(200_000, 0), 131_072, 2047)
                .unwrap_err()
                .code,
            ReplyCode::NotAllowed
        );
        assert_eq!(
            check_tune(&tune(0, 3000), 131_072, 2047).unwrap_err().code,
            ReplyCode::NotAllowed
        );
    }
}
