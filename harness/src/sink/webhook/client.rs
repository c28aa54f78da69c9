//! One HTTP/1.1 POST of a JSON document, within a deadline.
//!
//! Each request opens its own connection: callbacks are few and events are
//! sent one after another, and a fresh connection means one slow or broken
//! exchange cannot poison the next.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use url::Url;

use super::options::CallbackHeader;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostError {
    /// The connection could not be made (refused, unreachable, no such host).
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The callback.
        url: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// No complete answer within the timeout.
    #[error("no answer from {url} within {}", humantime::format_duration(*.after))]
    Timeout {
        /// The callback.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// The exchange broke off (the peer closed the connection, spoke garbage).
    #[error("HTTP exchange with {url} failed: {source}")]
    Http {
        /// The callback.
        url: String,
        /// hyper's reason.
        #[source]
        source: hyper::Error,
    },
    /// The request could not be built (a URL hyper does not accept).
    #[error("cannot build a request for {url}: {source}")]
    Request {
        /// The callback.
        url: String,
        /// Why.
        #[source]
        source: hyper::http::Error,
    },
}

/// POSTs `body` (JSON) to `url` with `headers`; returns the answer's status.
pub async fn post_json(
    url: &Url,
    headers: &[CallbackHeader],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<StatusCode, PostError> {
    match tokio::time::timeout(timeout, exchange(url, headers, body)).await {
        Ok(result) => result,
        Err(_) => Err(PostError::Timeout {
            url: url.to_string(),
            after: timeout,
        }),
    }
}

async fn exchange(
    url: &Url,
    headers: &[CallbackHeader],
    body: Vec<u8>,
) -> Result<StatusCode, PostError> {
    let http_error = |source| PostError::Http {
        url: url.to_string(),
        source,
    };
    let host = url.host_str().unwrap_or("localhost");
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|source| PostError::Connect {
            url: url.to_string(),
            source,
        })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http_error)?;

    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let mut request = Request::post(target)
        .header(HOST, authority)
        .header(CONTENT_TYPE, "application/json");
    for header in headers {
        request = request.header(header.name.clone(), header.value.clone());
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|source| PostError::Request {
            url: url.to_string(),
            source,
        })?;

    let answer = async {
        let response = sender.send_request(request).await?;
        let status = response.status();
        // Read the whole answer so the exchange is complete before the next one.
        response.into_body().collect().await?;
        Ok::<_, hyper::Error>(status)
    };
    // The connection future drives the socket; it ends once the answer is
    // read and `sender` is dropped, or earlier if the peer goes away.
    let mut connection = std::pin::pin!(connection);
    let mut answer = std::pin::pin!(answer);
    tokio::select! {
        status = &mut answer => status.map_err(http_error),
        closed = &mut connection => match closed {
            Err(source) => Err(http_error(source)),
            Ok(()) => answer.await.map_err(http_error),
        },
    }
}
