//! Waiting until a freshly started broker accepts AMQP connections.
//!
//! Readiness is an AMQP login that succeeds, not a log line or a TCP port
//! that happens to be open: that is what the publisher and recorder need
//! next. The probe retries at a short interval until a deadline, except
//! when the broker refused the login or the virtual host: a broker that
//! answered "no" will not change its mind, and saying so at once beats a
//! timeout. A caller that owns the broker process races this against the
//! process's exit.

use std::time::Duration;

use super::{AmqpUrl, ConnectError, connect};

/// How often a starting broker is probed.
const PROBE_INTERVAL: Duration = Duration::from_millis(200);
/// How long one probe may take. A starting broker answers quickly or not at
/// all, but RabbitMQ answers a refused login from a client without the
/// `authentication_failure_close` capability (amqprs) by closing the socket
/// after a deliberate 3 s pause: a shorter probe would report that refusal
/// as a timeout.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Probes `url` until a login succeeds, the broker refuses it, or `timeout`
/// passes; on timeout, returns the last probe's failure.
pub(crate) async fn wait_for_amqp(url: &AmqpUrl, timeout: Duration) -> Result<(), ConnectError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut interval = tokio::time::interval(PROBE_INTERVAL);
    loop {
        interval.tick().await;
        match connect(url, "switchboard-readiness-probe", PROBE_TIMEOUT).await {
            Ok(connection) => {
                // The broker may drop the probe first; it is ready either way.
                let _ = connection.close().await;
                return Ok(());
            }
            Err(
                error @ (ConnectError::LoginRefused { .. } | ConnectError::VhostRefused { .. }),
            ) => return Err(error),
            Err(error) if tokio::time::Instant::now() >= deadline => return Err(error),
            Err(_not_yet) => {}
        }
    }
}
