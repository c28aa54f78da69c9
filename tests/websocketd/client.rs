//! A WebSocket client for the tests, written against the protocol as the
//! research page and wazo-websocketd's tests describe it, not against the
//! server's code: it speaks text frames and reads close codes.

#![allow(dead_code)] // Each test file uses its own subset.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// How long a test waits for any one frame.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// What the client saw next.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// A text frame.
    Text(String),
    /// The server's close frame: code and reason.
    Closed(u16, String),
    /// The connection ended without a close frame.
    Gone,
}

/// Either a plain or a TLS stream.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A connected client.
pub struct Client {
    ws: WebSocketStream<Box<dyn Stream>>,
}

impl Client {
    /// Connects to `base` (`ws://127.0.0.1:P/api/websocketd/`) with `query`.
    pub async fn connect(base: &str, query: &str) -> Self {
        Self::connect_with(base, query, &[]).await
    }

    /// Connects with extra request headers.
    pub async fn connect_with(base: &str, query: &str, headers: &[(&str, &str)]) -> Self {
        let url = format!("{base}?{query}");
        let parsed = url::Url::parse(&url).unwrap();
        let addr = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap());
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut request = url.as_str().into_client_request().unwrap();
        for (name, value) in headers {
            let name =
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        let (ws, _response) =
            tokio_tungstenite::client_async(request, Box::new(tcp) as Box<dyn Stream>)
                .await
                .unwrap();
        Self { ws }
    }

    /// Connects over TLS, trusting only `certificate_pem`.
    pub async fn connect_tls(base: &str, query: &str, certificate_pem: &str) -> Self {
        use rustls::pki_types::pem::PemObject;
        let url = format!("{base}?{query}");
        let parsed = url::Url::parse(&url).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for certificate in
            rustls::pki_types::CertificateDer::pem_slice_iter(certificate_pem.as_bytes())
        {
            roots.add(certificate.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(format!("127.0.0.1:{}", parsed.port().unwrap()))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await.unwrap();
        let (ws, _response) =
            tokio_tungstenite::client_async(url.as_str(), Box::new(tls) as Box<dyn Stream>)
                .await
                .unwrap();
        Self { ws }
    }

    /// The next thing the server did, within `within`; `None` if nothing.
    pub async fn next_within(&mut self, within: Duration) -> Option<Seen> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            return Some(match next {
                Some(Ok(Message::Text(text))) => Seen::Text(text.as_str().to_owned()),
                Some(Ok(Message::Close(Some(frame)))) => {
                    Seen::Closed(frame.code.into(), frame.reason.as_str().to_owned())
                }
                Some(Ok(Message::Close(None))) => Seen::Closed(1005, String::new()),
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Seen::Gone,
            });
        }
    }

    /// The next text frame; panics on anything else.
    pub async fn text(&mut self) -> String {
        match self.next_within(PATIENCE).await {
            Some(Seen::Text(text)) => text,
            other => panic!("expected a text frame, saw {other:?}"),
        }
    }

    /// The next text frame, parsed.
    pub async fn json(&mut self) -> Value {
        let text = self.text().await;
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
    }

    /// Expects a close frame with `code` next (within `within`); its reason.
    pub async fn closed_within(&mut self, within: Duration) -> (u16, String) {
        match self.next_within(within).await {
            Some(Seen::Closed(code, reason)) => (code, reason),
            other => panic!("expected a close frame, saw {other:?}"),
        }
    }

    /// Expects a close frame next.
    pub async fn closed(&mut self) -> (u16, String) {
        self.closed_within(PATIENCE).await
    }

    /// Expects nothing at all for `quiet`.
    pub async fn nothing_for(&mut self, quiet: Duration) {
        if let Some(seen) = self.next_within(quiet).await {
            panic!("expected nothing, saw {seen:?}");
        }
    }

    /// Sends a text frame.
    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_owned())).await.unwrap();
    }

    /// Sends raw bytes as a binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::binary(bytes)).await.unwrap();
    }

    /// `subscribe` to `name`; waits for the reply when one is expected.
    pub async fn subscribe(&mut self, name: &str, expect_reply: bool) {
        self.send(&format!(
            r#"{{"op": "subscribe", "data": {{"event_name": "{name}"}}}}"#
        ))
        .await;
        if expect_reply {
            assert_eq!(
                self.text().await,
                r#"{"op": "subscribe", "code": 0, "data": null}"#
            );
        }
    }

    /// `start`, and its reply.
    pub async fn start(&mut self) {
        self.send(r#"{"op": "start"}"#).await;
        assert_eq!(
            self.text().await,
            r#"{"op": "start", "code": 0, "data": null}"#
        );
    }

    /// `token` renewal; waits for the reply when one is expected.
    pub async fn renew(&mut self, token: &str, expect_reply: bool) {
        self.send(&format!(
            r#"{{"op": "token", "data": {{"token": "{token}"}}}}"#
        ))
        .await;
        if expect_reply {
            assert_eq!(
                self.text().await,
                r#"{"op": "token", "code": 0, "data": null}"#
            );
        }
    }

    /// Connects, checks `init`, subscribes to each name and starts (version 2).
    pub async fn started(base: &str, token: &str, names: &[&str]) -> Self {
        let mut client = Self::connect(base, &format!("token={token}&version=2")).await;
        assert_eq!(
            client.text().await,
            r#"{"op": "init", "code": 0, "data": {"version": 2}}"#
        );
        for name in names {
            client.subscribe(name, true).await;
        }
        client.start().await;
        client
    }
}
