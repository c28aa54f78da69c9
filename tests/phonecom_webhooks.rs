//! Phone.com events delivered over real HTTP to the webhook receiver:
//! snapshots of every scenario Phone.com has words for, subscriptions and
//! contexts on the wire, and a receiver that is down, slow or failing.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use hyper::StatusCode;
use serde_json::Value;
use switchboard::dialect::phonecom::{self, RenderOptions, Rendered};
use switchboard::record::Body;
use switchboard::scenario::Scenario;
use switchboard::sim::{self, SimOptions};
use switchboard::sink::webhook::client::PostError;
use switchboard::sink::webhook::{
    DeliveryOptions, DeliveryReport, FailureReason, Listener, ListenerCounts, Received,
    ReceivedKind, Receiver, ReceiverOptions, deliver,
};

const LOCALHOST: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);
const WAIT: Duration = Duration::from_secs(10);

fn render_file(path: &Path) -> Rendered {
    let scenario = Scenario::load(path).unwrap();
    let timeline = sim::simulate(&scenario, &SimOptions::default()).unwrap();
    phonecom::render(&timeline, &RenderOptions::default()).unwrap()
}

fn render(name: &str) -> Rendered {
    render_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml")))
}

async fn receiver(options: ReceiverOptions) -> Receiver {
    Receiver::bind(LOCALHOST, options).await.unwrap()
}

fn listener(spec: &str, receiver: &Receiver) -> Listener {
    spec.replace("{url}", &receiver.url("/hook"))
        .parse()
        .unwrap()
}

/// The events a receiver got, as JSON bodies.
fn events(received: &[Received]) -> Vec<Value> {
    received
        .iter()
        .filter(|received| received.kind == ReceivedKind::Event)
        .map(|received| match &received.body {
            Body::Json(value) => value.clone(),
            other => panic!("not JSON: {other:?}"),
        })
        .collect()
}

fn counts(report: &DeliveryReport, listener_id: u64) -> ListenerCounts {
    let counts = report
        .listeners
        .iter()
        .find(|counts| counts.listener_id == listener_id)
        .unwrap()
        .clone();
    // Nothing matched is left uncounted.
    assert_eq!(
        counts.matched,
        counts.delivered + counts.failed + counts.suppressed + counts.not_sent,
        "{counts:?}"
    );
    counts
}

#[test]
fn every_scenario_delivered_over_http_is_snapshotted() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    insta::glob!("../scenarios", "*.toml", |path| {
        let rendered = render_file(path);
        if rendered.events.is_empty() {
            // Conferences, faxes, administration: Phone.com has no word for them.
            return;
        }
        let received = runtime.block_on(async {
            let receiver = receiver(ReceiverOptions::default()).await;
            let everything = listener(
                "id=1000,url={url},tags=call,tags=message,tags=call-log,tags=recording,tags=api-error",
                &receiver,
            );
            let report = deliver(&rendered, &[everything], &DeliveryOptions::default()).await;
            assert!(report.is_ok(), "{report}");
            let counts = counts(&report, 1000);
            assert_eq!(counts.delivered as usize, rendered.events.len());
            let mut received = receiver
                .wait_for(rendered.events.len() + 1, WAIT)
                .await
                .unwrap();
            receiver.shutdown().await.unwrap();
            for request in &mut received {
                assert!(request.violations.is_empty(), "{request:#?}");
                // The only thing that differs by run: the receiver's port.
                request.headers.remove("host");
            }
            received
        });
        assert_eq!(received[0].kind, ReceivedKind::Check);
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_json_snapshot!("phonecom_delivery", received);
        });
    });
}

#[tokio::test]
async fn subscriptions_and_contexts_choose_what_each_listener_gets() {
    let mut rendered = render("inbound_call_to_device");
    let messages = render("messages");
    let offset = rendered.events.len();
    rendered
        .events
        .extend(messages.events.into_iter().map(|mut event| {
            event.index += offset;
            event
        }));
    let receiver = receiver(ReceiverOptions::default()).await;
    let listeners = [
        listener("id=1,url={url},tags=call+inbound", &receiver),
        listener("id=2,url={url},tags=message+outbound", &receiver),
        listener("id=3,url={url},tags=inbound", &receiver),
        listener("id=4,url={url},tags=call+message", &receiver),
        // Any of several subscriptions: each event once.
        listener(
            "id=5,url={url},tags=call,tags=first-leg,tags=sms-message",
            &receiver,
        ),
        // Alice's extension id in the inbound scenario is 555555; the
        // messages scenario's Alice has another.
        listener(
            "id=6,url={url},tags=call,tags=message,context=extension:555555",
            &receiver,
        ),
    ];
    let report = deliver(&rendered, &listeners, &DeliveryOptions::default()).await;
    assert!(report.is_ok(), "{report}");
    let matched: Vec<u64> = (1..=6).map(|id| counts(&report, id).matched).collect();
    // 8 inbound call events; messages: 3 inbound, 2 outbound, 2 SMS.
    assert_eq!(matched, [8, 2, 11, 0, 10, 8]);
    assert_eq!(report.unmatched, 0);
    let expected_requests = 6 + matched.iter().sum::<u64>() as usize;
    let received = receiver.wait_for(expected_requests, WAIT).await.unwrap();
    receiver.shutdown().await.unwrap();
    // Each matching event once per listener, nothing more.
    assert_eq!(received.len(), expected_requests);
    let per_listener = |id: u64| {
        events(&received)
            .into_iter()
            .filter(|event| event["listener_id"] == id)
            .collect::<Vec<_>>()
    };
    assert!(per_listener(4).is_empty());
    let extension = per_listener(6);
    assert_eq!(extension.len(), 8);
    assert_eq!(extension[0]["context"]["type"], "extension");
    assert_eq!(extension[0]["context"]["id"], 555555);
    assert_eq!(extension[0]["context"]["voip_id"], rendered.account_id);
    assert!(per_listener(2).iter().all(|event| {
        event["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("outbound"))
    }));
}

#[tokio::test]
async fn leg_tags_and_number_filters_choose_over_http() {
    // Phone.com's inbound sequence: the 1st leg (did -> did) is to-did, the
    // 2nd (did -> device) to-extension; the caller's number is on every leg,
    // the account's number only on the 1st leg and in every first_leg.
    let rendered = render("inbound_call_to_device");
    let account_number = rendered.events[0].data["event_leg"]["to"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let receiver = receiver(ReceiverOptions::default()).await;
    let listeners = [
        listener("id=1,url={url},tags=call+to-did", &receiver),
        listener("id=2,url={url},tags=call+to-extension", &receiver),
        listener(
            "id=3,url={url},tags=call,filter=number:eq:+15550000001",
            &receiver,
        ),
        listener(
            "id=4,url={url},tags=call,filter=not:number:match:+1555%",
            &receiver,
        ),
        listener(
            &format!(
                "id=5,url={{url}},tags=completed-call,filter=number:in:+15559999999|{account_number}"
            ),
            &receiver,
        ),
    ];
    let report = deliver(&rendered, &listeners, &DeliveryOptions::default()).await;
    assert!(report.is_ok(), "{report}");
    let matched: Vec<u64> = (1..=5).map(|id| counts(&report, id).matched).collect();
    assert_eq!(matched, [4, 4, 8, 0, 2]);
    let expected = listeners.len() + matched.iter().sum::<u64>() as usize;
    let received = receiver.wait_for(expected, WAIT).await.unwrap();
    receiver.shutdown().await.unwrap();
    let to_did: Vec<Value> = events(&received)
        .into_iter()
        .filter(|event| event["listener_id"] == 1)
        .collect();
    assert!(
        to_did
            .iter()
            .all(|event| event["data"]["event_leg"]["is_first"] == true)
    );
}

#[tokio::test]
async fn api_errors_reach_account_listeners_only() {
    let rendered = render("api_errors");
    let receiver = receiver(ReceiverOptions::default()).await;
    let listeners = [
        listener("id=1,url={url},tags=api-error", &receiver),
        listener("id=2,url={url},tags=api-error-trusted", &receiver),
        listener(
            "id=3,url={url},tags=api-error,context=extension:555555",
            &receiver,
        ),
    ];
    let report = deliver(&rendered, &listeners, &DeliveryOptions::default()).await;
    assert!(report.is_ok(), "{report}");
    let matched: Vec<u64> = (1..=3).map(|id| counts(&report, id).matched).collect();
    // Three errors; the 401 is not trusted; no extension listener gets any.
    assert_eq!(matched, [3, 2, 0]);
    receiver.wait_for(3 + 5, WAIT).await.unwrap();
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn headers_and_content_type_reach_the_callback() {
    let rendered = render("messages");
    let receiver = receiver(ReceiverOptions::default()).await;
    let options = DeliveryOptions {
        headers: vec!["X-Api-Key: s3cret".parse().unwrap()],
        ..DeliveryOptions::default()
    };
    let report = deliver(
        &rendered,
        &[listener("id=9,url={url},tags=message", &receiver)],
        &options,
    )
    .await;
    assert!(report.is_ok(), "{report}");
    let received = receiver.wait_for(5, WAIT).await.unwrap();
    receiver.shutdown().await.unwrap();
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/hook");
        assert_eq!(request.headers["x-api-key"], "s3cret");
        assert_eq!(request.headers["content-type"], "application/json");
    }
    assert_eq!(received[0].body, Body::Json(serde_json::json!({"test": 1})));
}

#[tokio::test]
async fn the_rate_limit_suppresses_and_counts_the_excess() {
    // Events at 0 ms (2), 400 ms, 1.04 s (the 2nd leg connecting 640 ms
    // after its new), 5.4 s (2), 77.4 s and 77.44 s: windows of 1 s from
    // 0 ms (3 events, one suppressed), 1.04 s, 5.4 s and 77.4 s.
    let rendered = render("inbound_call_to_device");
    let receiver = receiver(ReceiverOptions::default()).await;
    let options = DeliveryOptions {
        rate_limit: Some("2/1s".parse().unwrap()),
        ..DeliveryOptions::default()
    };
    let report = deliver(
        &rendered,
        &[listener("id=1,url={url},tags=call", &receiver)],
        &options,
    )
    .await;
    let counts = counts(&report, 1);
    assert_eq!(
        (counts.matched, counts.delivered, counts.suppressed),
        (8, 7, 1)
    );
    assert!(
        report.is_ok(),
        "suppression is configured behaviour, not a failure"
    );
    let received = receiver.wait_for(8, WAIT).await.unwrap();
    receiver.shutdown().await.unwrap();
    let states: Vec<String> = events(&received)
        .iter()
        .map(|event| event["tags"][1].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        states,
        [
            "new-call",
            "connecting-call",
            "connecting-call",
            "connected-call",
            "connected-call",
            "completed-call",
            "completed-call"
        ]
    );
}

#[tokio::test]
async fn a_receiver_that_is_down_fails_every_event_and_the_others_still_get_theirs() {
    let rendered = render("inbound_call_to_device");
    // A port that was free a moment ago: nothing listens there.
    let down = {
        let socket = std::net::TcpListener::bind(LOCALHOST).unwrap();
        socket.local_addr().unwrap()
    };
    let healthy = receiver(ReceiverOptions::default()).await;
    let listeners = [
        format!("id=1,url=http://{down}/hook,tags=call")
            .parse::<Listener>()
            .unwrap(),
        listener("id=2,url={url},tags=call", &healthy),
    ];

    // Checked first, as Phone.com does: the check fails, no event is sent.
    let report = deliver(&rendered, &listeners, &DeliveryOptions::default()).await;
    let down_counts = counts(&report, 1);
    assert_eq!(
        (
            down_counts.checked,
            down_counts.matched,
            down_counts.not_sent
        ),
        (false, 8, 8)
    );
    assert_eq!(counts(&report, 2).delivered, 8);
    assert_eq!(report.failures.len(), 1 + 8);
    assert_eq!(report.failures[0].event_index, None);
    assert!(matches!(
        report.failures[0].reason,
        FailureReason::NoAnswer(PostError::Connect { .. })
    ));
    let per_event: Vec<Option<usize>> = report.failures[1..]
        .iter()
        .map(|failure| failure.event_index)
        .collect();
    assert_eq!(per_event, (0..8).map(Some).collect::<Vec<_>>());
    assert!(
        report.failures[1]
            .to_string()
            .starts_with("listener 1: event #0 [call new-call first-leg")
    );

    // Unchecked: each event is tried and fails on its own.
    let unchecked = DeliveryOptions {
        check_callbacks: false,
        ..DeliveryOptions::default()
    };
    let report = deliver(&rendered, &listeners, &unchecked).await;
    let down_counts = counts(&report, 1);
    assert_eq!((down_counts.failed, down_counts.delivered), (8, 0));
    assert_eq!(counts(&report, 2).delivered, 8);
    assert_eq!(report.failures.len(), 8);
    for failure in &report.failures {
        let text = failure.to_string();
        assert!(
            text.contains(&format!("cannot connect to http://{down}/hook")),
            "{text}"
        );
    }
    assert!(report.to_string().contains("listener 1 (http://"));
    // One check and 8 events, then 8 events unchecked.
    healthy.wait_for(9 + 8, WAIT).await.unwrap();
    healthy.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_slow_receiver_times_out_per_event() {
    let rendered = render("inbound_call_to_device");
    let slow = receiver(ReceiverOptions {
        delay: Duration::from_secs(5),
        ..ReceiverOptions::default()
    })
    .await;
    let options = DeliveryOptions {
        timeout: Duration::from_millis(150),
        ..DeliveryOptions::default()
    };
    let report = deliver(
        &rendered,
        &[listener("id=1,url={url},tags=call", &slow)],
        &options,
    )
    .await;
    let counts = counts(&report, 1);
    // The check is answered at once; every event then times out.
    assert_eq!(
        (counts.checked, counts.failed, counts.delivered),
        (true, 8, 0)
    );
    assert!(report.failures.iter().all(|failure| matches!(
        failure.reason,
        FailureReason::NoAnswer(PostError::Timeout { .. })
    )));
    assert!(
        report.failures[0].to_string().ends_with("within 150ms"),
        "{}",
        report.failures[0]
    );
    // It did receive them all; it just answered too late.
    slow.wait_for(9, WAIT).await.unwrap();
    slow.shutdown().await.unwrap();
}

#[tokio::test]
async fn error_answers_are_failures_and_a_failed_check_stops_the_listener() {
    let rendered = render("messages");
    let failing = receiver(ReceiverOptions {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        ..ReceiverOptions::default()
    })
    .await;
    let report = deliver(
        &rendered,
        &[listener("id=1,url={url},tags=message", &failing)],
        &DeliveryOptions::default(),
    )
    .await;
    let counts_500 = counts(&report, 1);
    assert_eq!((counts_500.failed, counts_500.delivered), (5, 0));
    assert!(report.failures.iter().all(|failure| matches!(
        failure.reason,
        FailureReason::Status(StatusCode::INTERNAL_SERVER_ERROR)
    )));
    assert!(
        report.failures[0]
            .to_string()
            .ends_with("answered 500 Internal Server Error")
    );
    failing.shutdown().await.unwrap();

    let refusing = receiver(ReceiverOptions {
        check_status: StatusCode::NOT_FOUND,
        ..ReceiverOptions::default()
    })
    .await;
    let report = deliver(
        &rendered,
        &[listener("id=1,url={url},tags=message", &refusing)],
        &DeliveryOptions::default(),
    )
    .await;
    let counts_404 = counts(&report, 1);
    assert_eq!((counts_404.checked, counts_404.not_sent), (false, 5));
    assert_eq!(
        report.failures[0].to_string(),
        "listener 1: callback check: answered 404 Not Found"
    );
    // Only the check arrived.
    assert_eq!(refusing.received().len(), 1);
    refusing.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_receiver_records_and_flags_what_breaks_the_contract() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("received.jsonl");
    let receiver = receiver(ReceiverOptions {
        record: Some(path.clone()),
        ..ReceiverOptions::default()
    })
    .await;
    let url: url::Url = receiver.url("/x?y=1").parse().unwrap();
    let post = |body: &str| {
        switchboard::sink::webhook::client::post_json(&url, &[], body.as_bytes().to_vec(), WAIT)
    };
    assert_eq!(post(r#"{"test": 1}"#).await.unwrap(), StatusCode::OK);
    assert_eq!(
        post(r#"{"data_type": "fax"}"#).await.unwrap(),
        StatusCode::OK
    );
    assert_eq!(post("not json").await.unwrap(), StatusCode::OK);
    let addr = receiver.local_addr();
    receiver.shutdown().await.unwrap();
    // Shut down means gone: nothing listens any more.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["kind"], "check");
    assert_eq!(lines[0]["path"], "/x?y=1");
    assert_eq!(lines[1]["violations"][0]["kind"], "unknown_data_type");
    assert_eq!(lines[2]["body"]["text"], "not json");
    assert_eq!(lines[2]["violations"][0]["kind"], "not_an_object");
}

#[tokio::test]
async fn a_speed_paces_deliveries_on_the_virtual_clock() {
    // The last events come 77.4 s after the first: at 200x, 387 ms later.
    let rendered = render("inbound_call_to_device");
    let receiver = receiver(ReceiverOptions::default()).await;
    let options = DeliveryOptions {
        speed: 200.0,
        ..DeliveryOptions::default()
    };
    let started = std::time::Instant::now();
    let report = deliver(
        &rendered,
        &[listener("id=1,url={url},tags=call", &receiver)],
        &options,
    )
    .await;
    assert!(report.is_ok(), "{report}");
    assert!(
        started.elapsed() >= Duration::from_millis(387),
        "{:?}",
        started.elapsed()
    );
    receiver.shutdown().await.unwrap();
}
