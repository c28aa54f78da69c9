//! `switchboard::load` end to end: short runs against the embedded broker
//! and the real RabbitMQ, checking the ledger's arithmetic against what the
//! consumers actually received.

mod common;

use std::path::Path;
use std::time::Duration;

use switchboard::load::{
    AckMode, ConsumerOptions, InstanceSource, LoadOptions, LoadReport, Mix, RampOptions, Rate, Slo,
    Speed, find_max, run,
};
use switchboard::provision::AmqpUrl;
use tokio_util::sync::CancellationToken;

use common::{Bus, TestBus, delete_exchange, unique};

const CALL_MIX: &str = "call_lifecycle=70,conference=20,fax_success=5,fax_failure=5";

fn scenarios_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
}

fn source(mix: &str) -> InstanceSource {
    let mix: Mix = mix.parse().unwrap();
    InstanceSource::new(mix.load(scenarios_dir()).unwrap(), 7).unwrap()
}

/// A short run: `count` instances, every step at its arrival, consumers on
/// `calls.#` (manual acks) and `#`.
fn options(url: AmqpUrl, exchange: &str, count: u64) -> LoadOptions {
    let mut options = LoadOptions::new(vec![url], Rate::Instances(400.0));
    options.exchange = exchange.to_owned();
    options.count = Some(count);
    options.speed = Speed::new(f64::INFINITY).unwrap();
    options.connections = 2;
    options.channels = 2;
    options.consumers = ConsumerOptions {
        count: 2,
        bindings: vec!["calls.#".to_owned(), "#".to_owned()],
        prefetch: 50,
        ack: AckMode::Manual,
    };
    options
}

/// What every clean run must show: all published, confirmed, delivered once.
fn assert_clean(report: &LoadReport, count: u64) {
    let ledger = &report.ledger;
    assert!(ledger.balanced(), "{}", report.to_text());
    assert_eq!(report.totals.instances, count, "{}", report.to_text());
    let instances: u64 = report.mix.iter().map(|entry| entry.instances).sum();
    assert_eq!(instances, count);
    assert!(ledger.published > count, "{}", report.to_text());
    assert_eq!(ledger.published, ledger.scheduled, "{}", report.to_text());
    assert_eq!(ledger.confirmed, ledger.published, "{}", report.to_text());
    assert_eq!(
        report.confirm_latency.unwrap().count,
        ledger.published,
        "one confirm latency per message"
    );
    let [calls, all] = ledger.bindings.as_slice() else {
        panic!("two bindings expected: {:?}", ledger.bindings);
    };
    assert_eq!(all.expected, ledger.published, "# receives everything");
    assert!(
        calls.expected > 0 && calls.expected < all.expected,
        "{calls:?}"
    );
    for binding in [calls, all] {
        assert_eq!(binding.delivered, binding.expected, "{binding:?}");
        assert_eq!(
            (binding.lost, binding.duplicates, binding.unexpected),
            (0, 0, 0),
            "{binding:?}"
        );
    }
    assert_eq!(ledger.foreign, 0);
    assert_eq!(
        report.totals.consumed,
        calls.expected + all.expected,
        "each delivery is counted once"
    );
    assert_eq!(
        report.deliver_latency.unwrap().count,
        report.totals.consumed,
        "every delivery carried the timestamp header"
    );
    assert!(report.outages.is_empty(), "{:?}", report.outages);
}

#[tokio::test]
async fn a_mix_run_on_the_embedded_broker_balances_to_the_message() {
    let bus = TestBus::start(Bus::Embedded, "load-embedded")
        .await
        .unwrap();
    let options = options(bus.url.clone(), "xivo", 60);
    let report = run(&options, source(CALL_MIX), &CancellationToken::new(), None)
        .await
        .unwrap();
    assert_clean(&report, 60);
    let slo: Slo = "loss=0,duplicates=0,p99<10s,deliver_max<10s"
        .parse()
        .unwrap();
    assert!(slo.check(&report).iter().all(|verdict| verdict.passed));
    let missed: Slo = "rate>=1000000000".parse().unwrap();
    assert!(!missed.check(&report)[0].passed);
}

#[tokio::test]
async fn a_mix_run_on_rabbitmq_balances_to_the_message() {
    let Some(url) = common::rabbitmq("load-rabbitmq").await else {
        return;
    };
    let exchange = unique("load");
    let options = options(url.clone(), &exchange, 60);
    let report = run(&options, source(CALL_MIX), &CancellationToken::new(), None)
        .await
        .unwrap();
    delete_exchange(&url, &exchange).await;
    assert_clean(&report, 60);
}

#[tokio::test]
async fn without_confirms_every_published_message_is_unconfirmed_but_expected() {
    let bus = TestBus::start(Bus::Embedded, "load-no-confirms")
        .await
        .unwrap();
    let mut options = options(bus.url.clone(), "xivo", 20);
    options.confirms = false;
    options.consumers.ack = AckMode::Auto;
    let report = run(
        &options,
        source("fax_success"),
        &CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    let ledger = &report.ledger;
    assert!(ledger.balanced());
    assert_eq!(ledger.confirmed, 0);
    assert_eq!(ledger.unconfirmed, ledger.published);
    assert!(report.confirm_latency.is_none());
    assert_eq!(ledger.bindings[1].expected, ledger.published);
    assert_eq!(ledger.bindings[1].delivered, ledger.published);
}

#[tokio::test]
async fn event_rate_and_speed_pace_the_run() {
    let bus = TestBus::start(Bus::Embedded, "load-event-rate")
        .await
        .unwrap();
    let source = source("call_lifecycle");
    let per_instance = source.mean_events();
    let mut options = LoadOptions::new(vec![bus.url.clone()], Rate::Events(per_instance * 20.0));
    options.count = Some(10);
    // call_lifecycle spans tens of seconds of virtual time: at 100× it takes
    // well under a second, so 10 instances at 20/s take about half a second.
    options.speed = Speed::new(100.0).unwrap();
    let started = std::time::Instant::now();
    let report = run(&options, source, &CancellationToken::new(), None)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!((report.rates.target_instances_per_s - 20.0).abs() < 1e-9);
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(report.ledger.confirmed, report.ledger.scheduled);
}

#[tokio::test]
async fn cancelling_ends_the_run_with_a_full_report() {
    let bus = TestBus::start(Bus::Embedded, "load-cancel").await.unwrap();
    let mut options = options(bus.url.clone(), "xivo", 1);
    options.count = None;
    options.duration = Some(Duration::from_secs(60));
    options.rate = Rate::Instances(100.0);
    options.speed = Speed::REAL_TIME;
    let cancel = CancellationToken::new();
    let stopper = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            cancel.cancel();
        })
    };
    let started = std::time::Instant::now();
    let report = run(&options, source(CALL_MIX), &cancel, None)
        .await
        .unwrap();
    stopper.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(report.interrupted);
    let ledger = &report.ledger;
    assert!(ledger.balanced(), "{}", report.to_text());
    assert!(ledger.published > 0);
    // Real-time scenarios were cut short: their later steps were never sent.
    assert!(ledger.not_sent_cancelled > 0, "{}", report.to_text());
    assert_eq!(ledger.not_sent, ledger.not_sent_cancelled);
}

#[tokio::test]
async fn instances_carry_distinct_data() {
    let mut source = source("call_lifecycle");
    let now = time::OffsetDateTime::now_utc();
    let first = source.instance(0, now).unwrap();
    let second = source.instance(1, now).unwrap();
    assert_ne!(first.seed, second.seed);
    assert_eq!(first.messages.len(), second.messages.len());
    let body = |instance: &switchboard::load::source::Instance| {
        String::from_utf8(instance.messages[0].message.body.clone()).unwrap()
    };
    let call_id = |body: &str| {
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        value["data"]["call_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_ne!(body(&first), body(&second));
    assert_ne!(call_id(&body(&first)), call_id(&body(&second)));
    // Reproducible: the same index gives the same instance.
    let mut again = self::source("call_lifecycle");
    assert_eq!(body(&again.instance(0, now).unwrap()), body(&first));
}

/// The sentence a run with `options` is refused with.
async fn refusal(options: &LoadOptions) -> String {
    run(
        options,
        source("fax_success"),
        &CancellationToken::new(),
        None,
    )
    .await
    .unwrap_err()
    .to_string()
}

#[tokio::test]
async fn bad_options_are_refused_in_one_sentence() {
    let url: AmqpUrl = "amqp://guest:guest@127.0.0.1:1/%2f".parse().unwrap();
    let mut options = LoadOptions::new(vec![url.clone()], Rate::Instances(10.0));
    assert_eq!(
        refusal(&options).await,
        "the run has no end: give --duration or --count (or both)"
    );
    options.count = Some(1);
    let error = refusal(&options).await;
    assert!(
        error.starts_with("cannot reach the broker at amqp://127.0.0.1:1/"),
        "{error}"
    );
    options.consumers.bindings = vec!["calls.#".to_owned()];
    assert_eq!(
        refusal(&options).await,
        "invalid load options: --bind needs consumers: add --consumers N"
    );
    options.consumers.bindings.clear();
    options.rate = Rate::Instances(0.0);
    assert_eq!(
        refusal(&options).await,
        "invalid rate 0: expected a positive number per second"
    );
}

#[tokio::test]
async fn find_max_ramps_until_a_step_is_not_sustained() {
    let bus = TestBus::start(Bus::Embedded, "load-find-max")
        .await
        .unwrap();
    let mut options = LoadOptions::new(vec![bus.url.clone()], Rate::Instances(20.0));
    options.speed = Speed::new(f64::INFINITY).unwrap();
    let ramp = RampOptions {
        factor: 2.0,
        step: Duration::from_millis(500),
        max_steps: 2,
        ..RampOptions::default()
    };
    let found = find_max(
        &options,
        &source("fax_success"),
        &ramp,
        &CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(found.unit, "instances/s");
    assert_eq!(found.steps.len(), 2, "{}", found.to_text());
    assert_eq!(found.steps[1].rate, 40.0);
    assert!(
        found.steps.iter().all(|step| step.sustained),
        "{}",
        found.to_text()
    );
    assert_eq!(found.highest_sustained, Some(40.0));
    assert!(
        found
            .to_text()
            .contains("highest sustainable rate: 40 instances/s")
    );

    // A threshold nobody can meet: the first step already falls behind.
    let impossible = RampOptions {
        max_confirm_p99: Duration::ZERO,
        ..ramp
    };
    let found = find_max(
        &options,
        &source("fax_success"),
        &impossible,
        &CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(found.steps.len(), 1);
    assert_eq!(found.highest_sustained, None);
    assert!(found.limit_reached);
    let reason = found.steps[0].reason.as_deref().unwrap();
    assert!(reason.starts_with("confirm p99 "), "{reason}");
}

#[tokio::test]
async fn an_exchange_of_another_type_is_refused_before_the_run_starts() {
    let bus = TestBus::start(Bus::Embedded, "load-refused").await.unwrap();
    let connection = switchboard::provision::connect(&bus.url, "test", Duration::from_secs(5))
        .await
        .unwrap();
    let channel = connection.open_channel(None).await.unwrap();
    channel
        .exchange_declare(amqprs::channel::ExchangeDeclareArguments::new(
            "taken", "direct",
        ))
        .await
        .unwrap();
    let mut options = options(bus.url.clone(), "taken", 1);
    options.consumers.count = 1;
    let error = run(
        &options,
        source("fax_success"),
        &CancellationToken::new(),
        None,
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("the broker at amqp://127.0.0.1:")
            && message.contains("refused to set up the consumers' queue for 'calls.#'"),
        "{message}"
    );
    let _ = connection.close().await;
}

#[tokio::test]
async fn several_brokers_share_the_connections() {
    let bus = TestBus::start(Bus::Embedded, "load-cluster").await.unwrap();
    // Two URLs of one broker stand for two nodes of a cluster.
    let other: AmqpUrl = format!("amqp://guest:guest@localhost:{}/%2f", bus.url.port())
        .parse()
        .unwrap();
    let mut options = options(bus.url.clone(), "xivo", 30);
    options.brokers.push(other);
    let report = run(&options, source(CALL_MIX), &CancellationToken::new(), None)
        .await
        .unwrap();
    assert_eq!(report.brokers.len(), 2);
    assert!(
        report.brokers[1].contains("localhost"),
        "{:?}",
        report.brokers
    );
    assert_clean(&report, 30);
}
