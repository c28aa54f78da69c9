//! End-to-end tests of the Wazo WebSocket emulator: a real broker (embedded,
//! or RabbitMQ when one answers), the server, messages published on
//! `wazo-headers` as Wazo publishes them, and an independent client
//! (`websocketd/client.rs`). One test per behaviour that wazo-websocketd's
//! own tests check (research page, section 6), plus the limits.

#[path = "websocketd/client.rs"]
mod client;
mod common;
#[path = "websocketd/wire.rs"]
mod wire;

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use switchboard::provision::AmqpUrl;
use switchboard::websocketd::auth::Token;
use switchboard::websocketd::{self, ExpiryStrategy, Options, Tls, WebsocketdHandle};
use switchboard_broker::{BrokerHandle, Config, EmbeddedBroker};
use uuid::Uuid;

use client::Client;
use common::Bus;
use wire::{Acl, Event, Publisher};

/// A broker, the server over it, and a publisher.
struct Env {
    broker: Option<BrokerHandle>,
    server: WebsocketdHandle,
    publisher: Publisher,
    origin: Uuid,
    master: Uuid,
    tenant: Uuid,
}

impl Env {
    async fn start(bus: Bus, test: &str, tune: impl FnOnce(&mut Options)) -> Option<Self> {
        let (broker, url) = match bus {
            Bus::Embedded => {
                let broker = EmbeddedBroker::start(Config::default()).await.unwrap();
                let url: AmqpUrl = broker.url().parse().unwrap();
                (Some(broker), url)
            }
            Bus::RabbitMq => (None, common::rabbitmq(test).await?),
        };
        // Fresh uuids: parallel tests on one RabbitMQ never see each other's events.
        let origin = Uuid::new_v4();
        let master = Uuid::new_v4();
        let mut options = Options::new(url.clone());
        options.origin_uuid = origin;
        options.master_tenant = master;
        tune(&mut options);
        let server = websocketd::start(options).await.unwrap();
        let publisher = Publisher::open(&url).await;
        Some(Self {
            broker,
            server,
            publisher,
            origin,
            master,
            tenant: Uuid::new_v4(),
        })
    }

    async fn embedded(test: &str) -> Self {
        Self::start(Bus::Embedded, test, |_| {}).await.unwrap()
    }

    /// Issues a default user token of `tenant` for a new user; (token id, user).
    fn user_token(&self, tenant: Uuid) -> (String, Uuid) {
        let user = Uuid::new_v4();
        let id = Uuid::new_v4().to_string();
        self.server
            .tokens()
            .insert(Token::for_user(&id, user, tenant));
        (id, user)
    }

    fn issue(&self, token: Token) -> String {
        let id = token.id.clone();
        self.server.tokens().insert(token);
        id
    }

    /// A user event for `user` of the env's tenant, with the ACL Wazo puts on call events.
    fn call_event(&self, name: &str, user: Uuid) -> Event {
        wire::call_event(name, self.origin, self.tenant, user)
    }

    /// A tenant-wide event (`user_uuid:*`) with a null ACL.
    fn tenant_event(&self, name: &str) -> Event {
        Event {
            name: Some(name.to_owned()),
            origin: self.origin,
            tenant: Some(self.tenant),
            users: Vec::new(),
            all_users: true,
            acl: Acl::Null,
            data: json!({"n": 1}),
            body: None,
        }
    }

    async fn shutdown(self) {
        self.server.shutdown().await;
        if let Some(broker) = self.broker {
            broker.shutdown().await;
        }
    }
}

fn base(env: &Env) -> String {
    env.server.url()
}

/// Publishes `event` and then a sentinel the session must receive, and
/// returns every frame before the sentinel: proof that nothing else came.
async fn frames_until_sentinel(
    env: &Env,
    client: &mut Client,
    sentinel_for: Uuid,
    events: &[Event],
) -> Vec<Value> {
    for event in events {
        env.publisher.publish(event).await;
    }
    let mut sentinel = env.call_event("sentinel", sentinel_for);
    sentinel.acl = Acl::Null;
    sentinel.all_users = true;
    env.publisher.publish(&sentinel).await;
    let mut frames = Vec::new();
    loop {
        let frame = client.json().await;
        if frame["data"]["name"] == json!("sentinel") || frame["name"] == json!("sentinel") {
            return frames;
        }
        frames.push(frame);
    }
}

// 1. Authentication at connection.

#[tokio::test]
async fn no_token_closes_4001() {
    let env = Env::embedded("no_token").await;
    let mut client = Client::connect(&base(&env), "version=2").await;
    assert_eq!(client.closed().await, (4001, "no token".to_owned()));
    env.shutdown().await;
}

#[tokio::test]
async fn a_valid_token_gets_init_with_the_requested_version() {
    let env = Env::embedded("init").await;
    let (token, _) = env.user_token(env.tenant);
    for (query, version) in [
        (format!("token={token}"), 1),
        (format!("token={token}&version=1"), 1),
        (format!("token={token}&version=2&userUuid=ignored"), 2),
    ] {
        let mut client = Client::connect(&base(&env), &query).await;
        assert_eq!(
            client.text().await,
            format!(r#"{{"op": "init", "code": 0, "data": {{"version": {version}}}}}"#)
        );
    }
    // The header works too, and any path is accepted.
    let other_path = base(&env).replace("/api/websocketd/", "/whatever");
    let mut client =
        Client::connect_with(&other_path, "version=2", &[("X-Auth-Token", &token)]).await;
    assert_eq!(client.json().await["op"], json!("init"));
    env.shutdown().await;
}

#[tokio::test]
async fn unknown_expired_or_unauthorised_tokens_close_4002() {
    let env = Env::embedded("auth_failed").await;
    let no_scope =
        env.issue(Token::for_user("no-scope", Uuid::new_v4(), env.tenant).with_acl(["events.#"]));
    let mut expired = Token::for_user("expired", Uuid::new_v4(), env.tenant);
    expired.expires_at = std::time::SystemTime::now() - Duration::from_secs(1);
    let expired = env.issue(expired);
    for token in ["never-issued", no_scope.as_str(), expired.as_str()] {
        let mut client = Client::connect(&base(&env), &format!("token={token}&version=2")).await;
        assert_eq!(
            client.closed().await,
            (4002, "authentication failed".to_owned()),
            "{token}"
        );
    }
    env.shutdown().await;
}

#[tokio::test]
async fn unsupported_versions_close_4004_and_non_integers_1011() {
    let env = Env::embedded("versions").await;
    let (token, _) = env.user_token(env.tenant);
    let mut client = Client::connect(&base(&env), &format!("token={token}&version=3")).await;
    assert_eq!(client.closed().await, (4004, String::new()));
    let mut client =
        Client::connect(&base(&env), &format!("token={token}&version=undefined")).await;
    assert_eq!(client.closed().await, (1011, String::new()));
    env.shutdown().await;
}

// 2. and 3. Expiry, renewal, revocation.

#[tokio::test]
async fn a_token_expiring_in_one_second_closes_4003() {
    let env = Env::embedded("expiry").await;
    let token = env.issue(
        Token::for_user("short", Uuid::new_v4(), env.tenant).expiring_in(Duration::from_secs(1)),
    );
    let started = Instant::now();
    let mut client = Client::connect(&base(&env), &format!("token={token}")).await;
    assert_eq!(client.json().await["op"], json!("init"));
    assert_eq!(
        client.closed().await,
        (4003, "authentication expired".to_owned())
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    env.shutdown().await;
}

#[tokio::test]
async fn renewing_a_two_second_token_postpones_the_4003() {
    let env = Env::embedded("renewal_timing").await;
    let user = Uuid::new_v4();
    let first =
        env.issue(Token::for_user("first", user, env.tenant).expiring_in(Duration::from_secs(2)));
    let started = Instant::now();
    let mut client = Client::connect(&base(&env), &format!("token={first}&version=2")).await;
    assert_eq!(client.json().await["op"], json!("init"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second =
        env.issue(Token::for_user("second", user, env.tenant).expiring_in(Duration::from_secs(2)));
    client.renew(&second, true).await;
    assert_eq!(
        client.closed().await,
        (4003, "authentication expired".to_owned())
    );
    let elapsed = started.elapsed();
    // As wazo-websocketd's test: more than expiration + 1 s in all.
    assert!(elapsed > Duration::from_secs(3), "closed after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(8), "closed after {elapsed:?}");
    env.shutdown().await;
}

#[tokio::test]
async fn static_checks_follow_the_current_token_through_renewal_and_revocation() {
    let env = Env::start(Bus::Embedded, "static", |options| {
        options.expiry = ExpiryStrategy::Static(Duration::from_millis(500));
    })
    .await
    .unwrap();
    let user = Uuid::new_v4();
    let old = env.issue(Token::for_user("old", user, env.tenant));
    let new = env.issue(Token::for_user("new", user, env.tenant));
    let mut client = Client::started(&base(&env), &old, &[]).await;
    client.renew(&new, true).await;
    assert!(env.server.tokens().revoke(&old));
    client.nothing_for(Duration::from_millis(1_500)).await;
    assert!(env.server.tokens().revoke(&new));
    assert_eq!(
        client.closed_within(Duration::from_secs(3)).await,
        (4003, "authentication expired".to_owned())
    );
    env.shutdown().await;
}

#[tokio::test]
async fn renewing_with_an_invalid_token_closes_4002() {
    let env = Env::embedded("renew_invalid").await;
    let (token, _) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &[]).await;
    client.renew("invalid-token", false).await;
    assert_eq!(
        client.closed().await,
        (4002, "authentication failed".to_owned())
    );
    env.shutdown().await;
}

// 4. and 5. Delivery by name and ACL, v1 and v2 frames, nothing before start.

#[tokio::test]
async fn acl_and_name_decide_delivery() {
    let env = Env::embedded("acl").await;
    let (token, user) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &["call_created", "sentinel"]).await;
    let granted = env.call_event("call_created", user);
    let mut null_acl = env.call_event("call_created", user);
    null_acl.acl = Acl::Null;
    null_acl.data = json!({"null": true});
    let other_name = env.call_event("call_ended", user);
    let mut no_acl = env.call_event("call_created", user);
    no_acl.acl = Acl::Absent;
    let mut lacking = env.call_event("call_created", user);
    lacking.acl = Acl::Text("events.calls.someone-else".into());
    let mut not_text = env.call_event("call_created", user);
    not_text.acl = Acl::Number;
    let frames = frames_until_sentinel(
        &env,
        &mut client,
        user,
        &[
            other_name,
            no_acl,
            lacking,
            not_text,
            granted.clone(),
            null_acl.clone(),
        ],
    )
    .await;
    assert_eq!(
        frames,
        vec![
            json!({"op": "event", "code": 0, "data": granted.body_json()}),
            json!({"op": "event", "code": 0, "data": null_acl.body_json()}),
        ]
    );
    // Routing drops are counted from the audit queue, which may lag.
    wait_for(|| env.server.sessions()[0].dropped.get("not_subscribed") == Some(&1)).await;
    let report = &env.server.sessions()[0];
    assert_eq!(report.delivered, 3, "two events and the sentinel");
    assert_eq!(report.dropped.get("no_required_acl"), Some(&1));
    assert_eq!(report.dropped.get("acl_denied"), Some(&1));
    assert_eq!(report.dropped.get("acl_not_text"), Some(&1));
    env.shutdown().await;
}

#[tokio::test]
async fn v1_frames_are_the_body_verbatim_and_v2_frames_wrap_it() {
    let env = Env::embedded("frames").await;
    let (token, user) = env.user_token(env.tenant);
    let mut v1 = Client::connect(&base(&env), &format!("token={token}")).await;
    assert_eq!(
        v1.text().await,
        r#"{"op": "init", "code": 0, "data": {"version": 1}}"#
    );
    v1.subscribe("call_created", true).await;
    v1.start().await;
    let mut v2 = Client::started(&base(&env), &token, &["call_created"]).await;
    let event = env.call_event("call_created", user);
    env.publisher.publish(&event).await;
    assert_eq!(v1.text().await, event.body_text());
    assert_eq!(
        v2.text().await,
        // Python's json.dumps spacing around the parsed body.
        format!(
            r#"{{"op": "event", "code": 0, "data": {}}}"#,
            python_spacing(&event.body_json())
        )
    );
    // In v1, commands after start are silent, except start itself.
    v1.subscribe("call_ended", false).await;
    v1.send(r#"{"op": "ping", "data": {"payload": "x"}}"#).await;
    v1.start().await;
    env.shutdown().await;
}

/// The body as Python's json.dumps writes it (ASCII-only test data).
fn python_spacing(body: &Map<String, Value>) -> String {
    let parts: Vec<String> = body
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Object(inner) => python_spacing(inner),
                other => serde_json::to_string(other).unwrap(),
            };
            format!("{}: {value}", serde_json::to_string(key).unwrap())
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

#[tokio::test]
async fn events_before_start_are_dropped_not_buffered() {
    let env = Env::embedded("before_start").await;
    let (token, user) = env.user_token(env.tenant);
    let mut client = Client::connect(&base(&env), &format!("token={token}&version=2")).await;
    assert_eq!(client.json().await["op"], json!("init"));
    client.subscribe("call_created", true).await;
    client.subscribe("sentinel", true).await;
    env.publisher
        .publish(&env.call_event("call_created", user))
        .await;
    // Let the early event reach the session before start.
    wait_for(|| env.server.sessions()[0].dropped.get("not_started") == Some(&1)).await;
    client.start().await;
    let frames = frames_until_sentinel(&env, &mut client, user, &[]).await;
    assert!(frames.is_empty(), "{frames:?}");
    env.shutdown().await;
}

#[tokio::test]
async fn renewing_to_a_token_without_the_acl_stops_delivery_and_back_restores_it() {
    let env = Env::embedded("renew_acl").await;
    let user = Uuid::new_v4();
    let full = env.issue(Token::for_user("full", user, env.tenant));
    let bare = env.issue(Token::for_user("bare", user, env.tenant).with_acl(["websocketd"]));
    let mut client = Client::started(&base(&env), &full, &["call_created", "sentinel"]).await;
    let event = env.call_event("call_created", user);
    assert_eq!(
        frames_until_sentinel(&env, &mut client, user, std::slice::from_ref(&event))
            .await
            .len(),
        1
    );
    client.renew(&bare, true).await;
    assert!(
        frames_until_sentinel(&env, &mut client, user, std::slice::from_ref(&event))
            .await
            .is_empty()
    );
    client.renew(&full, true).await;
    assert_eq!(
        frames_until_sentinel(&env, &mut client, user, std::slice::from_ref(&event))
            .await
            .len(),
        1
    );
    env.shutdown().await;
}

// 6. Users, tenants, privileged tokens, origin.

async fn audience_case(bus: Bus, test: &str) {
    let Some(env) = Env::start(bus, test, |_| {}).await else {
        return;
    };
    let other_tenant = Uuid::new_v4();
    let (alice, alice_uuid) = env.user_token(env.tenant);
    let (_bob, bob_uuid) = env.user_token(env.tenant);
    let mut admin = Token::for_user("admin", Uuid::new_v4(), env.tenant).with_acl(["#"]);
    admin.admin = true;
    let admin = env.issue(admin);
    let mut api = Token::for_user("api", Uuid::new_v4(), env.tenant).with_acl(["#"]);
    api.purpose = Some("external_api".into());
    let api = env.issue(api);
    let mut internal = Token::for_user("internal", Uuid::new_v4(), env.tenant).with_acl(["#"]);
    internal.purpose = Some("internal".into());
    let internal = env.issue(internal);
    let master = env.issue(Token::for_user("master", Uuid::new_v4(), env.master).with_acl(["#"]));

    let names = ["call_created", "sentinel"];
    let mut clients = Vec::new();
    for token in [&alice, &admin, &api, &internal, &master] {
        clients.push(Client::started(&base(&env), token, &names).await);
    }
    let for_alice = env.call_event("call_created", alice_uuid);
    let for_bob = env.call_event("call_created", bob_uuid);
    let mut for_everyone = env.tenant_event("call_created");
    for_everyone.data = json!({"everyone": true});
    let mut other_tenant_event = env.call_event("call_created", alice_uuid);
    other_tenant_event.tenant = Some(other_tenant);
    other_tenant_event.data = json!({"other_tenant": true});
    let mut master_tenant_event = env.tenant_event("call_created");
    master_tenant_event.tenant = Some(env.master);
    master_tenant_event.data = json!({"master_tenant": true});
    let mut other_origin = env.tenant_event("call_created");
    other_origin.origin = Uuid::new_v4();
    let events = [
        for_alice.clone(),
        for_bob.clone(),
        for_everyone.clone(),
        other_tenant_event.clone(),
        master_tenant_event.clone(),
        other_origin,
    ];
    for event in &events {
        env.publisher.publish(event).await;
    }
    // The sentinel reaches everyone: tenant-wide, and one per other tenant for the master.
    let mut sentinel = env.tenant_event("sentinel");
    sentinel.tenant = Some(env.tenant);
    env.publisher.publish(&sentinel).await;

    let data = |event: &Event| event.data.clone();
    let expected = [
        vec![data(&for_alice), data(&for_everyone)],
        vec![data(&for_alice), data(&for_bob), data(&for_everyone)],
        vec![data(&for_alice), data(&for_bob), data(&for_everyone)],
        vec![data(&for_alice), data(&for_bob), data(&for_everyone)],
        vec![
            data(&for_alice),
            data(&for_bob),
            data(&for_everyone),
            data(&other_tenant_event),
            data(&master_tenant_event),
        ],
    ];
    for ((client, expected), who) in clients.iter_mut().zip(expected).zip([
        "user",
        "admin",
        "external_api",
        "internal",
        "master",
    ]) {
        let mut seen = Vec::new();
        loop {
            let frame = client.json().await;
            if frame["data"]["name"] == json!("sentinel") {
                break;
            }
            seen.push(frame["data"]["data"].clone());
        }
        assert_eq!(seen, expected, "{who}");
    }
    if bus == Bus::Embedded {
        // Nothing else publishes there: the user's routing drops are exact.
        wait_for(|| {
            let alice = &env.server.sessions()[0];
            alice.dropped.get("other_user") == Some(&1)
                && alice.dropped.get("other_tenant") == Some(&2)
                && alice.dropped.get("other_origin") == Some(&1)
        })
        .await;
    }
    env.shutdown().await;
}

#[tokio::test]
async fn users_tenants_admins_and_origin_on_the_embedded_broker() {
    audience_case(Bus::Embedded, "audience_embedded").await;
}

#[tokio::test]
async fn users_tenants_admins_and_origin_on_rabbitmq() {
    audience_case(Bus::RabbitMq, "audience_rabbitmq").await;
}

#[tokio::test]
async fn the_session_queue_and_bindings_are_websocketds() {
    let env = Env::embedded("topology").await;
    let (token, user) = env.user_token(env.tenant);
    let _client = Client::started(&base(&env), &token, &["call_created"]).await;
    let broker = env.broker.as_ref().unwrap();
    let queue = broker
        .queues()
        .into_iter()
        .find(|queue| {
            queue
                .name
                .starts_with(&format!("wazo-websocketd.user-{user}."))
        })
        .expect("the session queue");
    let suffix = queue.name.rsplit('.').next().unwrap();
    assert!(
        suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_hexdigit()),
        "{}",
        queue.name
    );
    let tenant_exchange = format!("wazo-websocketd.tenant-{}", env.tenant);
    assert!(
        broker
            .exchanges()
            .iter()
            .any(|exchange| exchange.name == tenant_exchange)
    );
    assert!(
        broker
            .exchanges()
            .iter()
            .any(|exchange| exchange.name == "wazo-headers")
    );
    let bindings: Vec<_> = broker
        .bindings()
        .into_iter()
        .filter(|binding| binding.destination == queue.name)
        .collect();
    assert_eq!(bindings.len(), 2, "{bindings:?}");
    assert!(
        bindings
            .iter()
            .all(|binding| binding.source == tenant_exchange)
    );
    env.shutdown().await;
}

// Ordering, ping, limits, TLS, shutdown.

#[tokio::test]
async fn events_arrive_in_publish_order() {
    let env = Env::embedded("order").await;
    let (token, user) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &["*"]).await;
    for index in 0..300 {
        let mut event = env.call_event("call_updated", user);
        event.data = json!({"index": index});
        env.publisher.publish(&event).await;
    }
    for index in 0..300 {
        assert_eq!(client.json().await["data"]["data"]["index"], json!(index));
    }
    env.shutdown().await;
}

#[tokio::test]
async fn a_v2_ping_gets_a_pong_with_its_payload() {
    let env = Env::embedded("ping").await;
    let (token, _) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &[]).await;
    client
        .send(r#"{"op": "ping", "data": {"payload": "pong"}}"#)
        .await;
    assert_eq!(
        client.text().await,
        r#"{"op": "pong", "code": 0, "data": {"payload": "pong"}}"#
    );
    env.shutdown().await;
}

#[tokio::test]
async fn malformed_commands_close_4004() {
    let env = Env::embedded("protocol_errors").await;
    let (token, _) = env.user_token(env.tenant);
    for bad in [
        "not json",
        "[]",
        r#"{"data": {}}"#,
        r#"{"op": "unsubscribe", "data": {"event_name": "x"}}"#,
        r#"{"op": "subscribe", "data": {"event_name": 3}}"#,
        r#"{"op": "ping", "data": {}}"#,
    ] {
        let mut client = Client::started(&base(&env), &token, &[]).await;
        client.send(bad).await;
        assert_eq!(client.closed().await, (4004, String::new()), "{bad}");
    }
    let mut client = Client::started(&base(&env), &token, &[]).await;
    client.send_binary(b"{}".to_vec()).await;
    assert_eq!(client.closed().await, (4004, String::new()));
    env.shutdown().await;
}

#[tokio::test]
async fn messages_over_one_mebibyte_close_1009() {
    let env = Env::embedded("too_big").await;
    let (token, _) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &[]).await;
    let payload = "x".repeat(1 << 20);
    client
        .send(&format!(
            r#"{{"op": "ping", "data": {{"payload": "{payload}"}}}}"#
        ))
        .await;
    assert_eq!(client.closed().await.0, 1009);
    // Just under the limit is fine.
    let mut client = Client::started(&base(&env), &token, &[]).await;
    let payload = "x".repeat((1 << 20) - 100);
    client
        .send(&format!(
            r#"{{"op": "ping", "data": {{"payload": "{payload}"}}}}"#
        ))
        .await;
    assert!(client.text().await.starts_with(r#"{"op": "pong""#));
    env.shutdown().await;
}

#[tokio::test]
async fn wss_with_the_generated_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("websocketd.pem");
    let cert_out = cert.clone();
    let env = Env::start(Bus::Embedded, "tls", move |options| {
        options.tls = Some(Tls {
            cert_out: Some(cert_out),
        });
    })
    .await
    .unwrap();
    assert!(env.server.url().starts_with("wss://127.0.0.1:"));
    let pem = std::fs::read_to_string(&cert).unwrap();
    assert_eq!(Some(pem.as_str()), env.server.certificate_pem());
    let (token, user) = env.user_token(env.tenant);
    let mut client =
        Client::connect_tls(&env.server.url(), &format!("token={token}&version=2"), &pem).await;
    assert_eq!(client.json().await["op"], json!("init"));
    client.subscribe("call_created", true).await;
    client.start().await;
    env.publisher
        .publish(&env.call_event("call_created", user))
        .await;
    assert_eq!(client.json().await["op"], json!("event"));
    env.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_sessions_1001_and_leaves_nothing_running() {
    let env = Env::embedded("shutdown").await;
    let (token, _) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &["*"]).await;
    let Env { server, broker, .. } = env;
    let closing = tokio::spawn(async move {
        server.shutdown().await;
    });
    assert_eq!(client.closed().await.0, 1001);
    closing.await.unwrap();
    if let Some(broker) = broker {
        broker.shutdown().await;
    }
}

// 7. Bus loss and recovery.

#[tokio::test]
async fn losing_the_bus_closes_1011_and_new_sessions_work_once_it_is_back() {
    let env = Env::embedded("bus_loss").await;
    let (token, user) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &["call_created"]).await;
    let Env {
        broker,
        server,
        origin,
        tenant,
        ..
    } = env;
    let broker = broker.unwrap();
    let addr = broker.addr();
    broker.shutdown().await;
    assert_eq!(
        client.closed().await,
        (1011, "bus connection lost".to_owned())
    );
    // While it is down, new sessions are refused the same way.
    let mut refused = Client::connect(&server.url(), &format!("token={token}&version=2")).await;
    assert_eq!(
        refused.closed().await,
        (1011, "bus connection error".to_owned())
    );

    let broker = EmbeddedBroker::start(Config {
        bind: addr,
        ..Config::default()
    })
    .await
    .unwrap();
    wait_for(|| server.bus_is_up()).await;
    let url: AmqpUrl = broker.url().parse().unwrap();
    let publisher = Publisher::open(&url).await;
    let mut client = Client::started(&server.url(), &token, &["call_created"]).await;
    let event = Event {
        name: Some("call_created".into()),
        origin,
        tenant: Some(tenant),
        users: vec![user],
        all_users: false,
        acl: Acl::Text(format!("events.calls.{user}")),
        data: json!({"after": "recovery"}),
        body: None,
    };
    publisher.publish(&event).await;
    assert_eq!(
        client.json().await["data"]["data"],
        json!({"after": "recovery"})
    );
    server.shutdown().await;
    broker.shutdown().await;
}

// 8. Bodies the consumer cannot decode are dropped.

#[tokio::test]
async fn undecodable_bodies_and_nameless_events_are_dropped() {
    let env = Env::embedded("decoding").await;
    let (token, user) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &["*"]).await;
    let mut events = Vec::new();
    for body in [&b"\xff\xfe"[..], b"{not json", b"[1, 2]"] {
        let mut event = env.call_event("call_created", user);
        event.body = Some(body.to_vec());
        events.push(event);
    }
    let mut nameless = env.call_event("x", user);
    nameless.name = None;
    events.push(nameless);
    let frames = frames_until_sentinel(&env, &mut client, user, &events).await;
    assert!(frames.is_empty(), "{frames:?}");
    let report = &env.server.sessions()[0];
    assert_eq!(report.dropped.get("bad_body"), Some(&3));
    assert_eq!(report.dropped.get("no_name"), Some(&1));
    env.shutdown().await;
}

#[tokio::test]
async fn recorded_deliveries_hold_the_frames_sent() {
    let env = Env::start(Bus::Embedded, "record", |options| options.record = true)
        .await
        .unwrap();
    let (token, user) = env.user_token(env.tenant);
    let mut client = Client::started(&base(&env), &token, &["call_created"]).await;
    env.publisher
        .publish(&env.call_event("call_created", user))
        .await;
    let frame = client.text().await;
    let deliveries = env.server.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].frame, frame);
    assert_eq!(deliveries[0].user_uuid, user);
    assert_eq!(deliveries[0].event, "call_created");
    env.shutdown().await;
}

/// Polls `condition` for up to 15 s.
async fn wait_for(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "the condition did not hold within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
