//! Brokers switchboard starts itself: the embedded broker, a private
//! `rabbitmq-server` node and a RabbitMQ container. Each is used through the
//! Harness end to end, then shown to be gone after shutdown. The container's
//! failures are each shown to name their real cause.
//!
//! Container tests skip (loudly) without a Docker engine or a RabbitMQ
//! image, unless `SWITCHBOARD_REQUIRE_DOCKER=1` (set by `.ci/run`).

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::{container_engine, wazo_message};
use switchboard::harness::Harness;
use switchboard::provision::container::{self, ContainerBroker, ContainerPlan};
use switchboard::provision::{
    self, BrokerSpec, ContainerError, ContainerImage, LocalOptions, connect,
};

/// Publishes through a harness on `spec`, checks the recording, shuts it
/// down and checks that the broker no longer accepts connections.
async fn round_trip(spec: BrokerSpec) {
    let harness = Harness::start(spec).await.unwrap();
    let url = harness.url().clone();
    let messages: Vec<_> = (0..20)
        .map(|i| wazo_message(i, "calls.call.updated"))
        .collect();
    let report = harness.publish(&messages).await.unwrap();
    assert_eq!((report.published, report.confirmed), (20, 20));
    let received = harness
        .recorder()
        .wait_for(20, Duration::from_secs(10))
        .await
        .unwrap();
    let names: Vec<_> = received
        .iter()
        .map(|d| d.name().unwrap().to_owned())
        .collect();
    let sent: Vec<_> = messages.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names, sent);
    harness.shutdown().await.unwrap();
    assert!(
        connect(&url, "after-shutdown", Duration::from_secs(2))
            .await
            .is_err(),
        "the broker at {url} still accepts connections after shutdown"
    );
}

#[tokio::test]
async fn the_embedded_broker_serves_the_harness_and_stops_with_it() {
    round_trip(BrokerSpec::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_rabbitmq_node_is_private_and_stopped_afterwards() {
    if !provision::local::is_installed() {
        eprintln!(
            "SKIPPED: a_local_rabbitmq_node_is_private_and_stopped_afterwards: rabbitmq-server is not installed"
        );
        return;
    }
    round_trip(BrokerSpec::Local(LocalOptions::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rabbitmq_container_serves_the_harness() {
    if container_engine("a_rabbitmq_container_serves_the_harness")
        .await
        .is_none()
    {
        return;
    }
    round_trip(BrokerSpec::Container(None)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_container_is_removed() {
    let Some((engine, _)) = container_engine("a_dropped_container_is_removed").await else {
        return;
    };
    let broker = ContainerBroker::start(None).await.unwrap();
    let name = broker.name().to_owned();
    let url = broker.url().clone();
    assert_eq!(url.host(), "127.0.0.1", "published on loopback only");
    let found = container::find_named(&engine, &name)
        .await
        .unwrap()
        .unwrap();
    assert!(found.running);
    assert_eq!(found.url, Some(url.clone()));
    drop(broker); // no shutdown
    assert_eq!(container::find_named(&engine, &name).await.unwrap(), None);
    assert!(
        connect(&url, "after-drop", Duration::from_secs(2))
            .await
            .is_err()
    );
}

/// A container of the image `--broker container` uses, running `script`
/// instead of the image's command; returns the error its start gave.
async fn start_failure(
    test: &str,
    script: &str,
    startup_timeout: Duration,
) -> Option<ContainerError> {
    let (engine, chosen) = container_engine(test).await?;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut plan = ContainerPlan::new(chosen.image.clone(), ContainerPlan::unique_name(), port);
    plan.cmd = Some(vec!["sh".into(), "-c".into(), script.into()]);
    plan.startup_timeout = startup_timeout;
    let error = ContainerBroker::start_plan(&engine, chosen, &plan)
        .await
        .expect_err("the container should not have become ready");
    assert_eq!(
        container::find_named(&engine, &plan.name).await.unwrap(),
        None,
        "a container that failed to start is removed"
    );
    Some(error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_guest_login_is_reported_as_such() {
    // RabbitMQ with its defaults: guest may log in from localhost only,
    // which a published port is not.
    let script = "mkdir -p /tmp/no-conf.d \
        && printf 'listeners.tcp.default = 5672\\n' > /tmp/loopback-only.conf \
        && RABBITMQ_CONFIG_FILE=/tmp/loopback-only.conf RABBITMQ_CONFIG_FILES=/tmp/no-conf.d exec rabbitmq-server";
    let test = "a_refused_guest_login_is_reported_as_such";
    let Some(error) = start_failure(test, script, Duration::from_secs(120)).await else {
        return;
    };
    assert!(
        matches!(error, ContainerError::LoginRefused { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("refused the login for user 'guest'")
            && message.contains("loopback_users.guest = false"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_startup_line_is_reported_with_the_last_output() {
    let test = "a_missing_startup_line_is_reported_with_the_last_output";
    let script = "echo 'this is not RabbitMQ'; exec sleep 600";
    let Some(error) = start_failure(test, script, Duration::from_secs(3)).await else {
        return;
    };
    assert!(
        matches!(error, ContainerError::NoStartupLine { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("did not print \"Server startup complete\" within 3s")
            && message.ends_with("its last output:\nthis is not RabbitMQ"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_that_exits_is_reported_with_its_status_and_output() {
    let test = "a_container_that_exits_is_reported_with_its_status_and_output";
    let script = "echo 'first line'; echo 'bad configuration' >&2; exit 3";
    let Some(error) = start_failure(test, script, Duration::from_secs(60)).await else {
        return;
    };
    let message = error.to_string();
    assert!(matches!(error, ContainerError::Exited { .. }), "{message}");
    assert!(
        message.contains("exited with status 3 while starting")
            && message.contains("first line")
            && message.contains("bad configuration"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_image_that_cannot_be_pulled_is_one_sentence() {
    let test = "a_named_image_that_cannot_be_pulled_is_one_sentence";
    if container_engine(test).await.is_none() {
        return;
    }
    let image = ContainerImage::new("switchboard/no-such-image", "0");
    let error = ContainerBroker::start(Some(&image)).await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, ContainerError::ImageUnavailable { .. }),
        "{message}"
    );
    assert!(
        message.starts_with(
            "the image switchboard/no-such-image:0 is not on this machine and cannot be pulled ("
        ) && message.contains("cargo xtask rabbitmq image"),
        "{message}"
    );
}

#[test]
fn no_engine_at_docker_host_is_one_sentence_and_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["run", "scenarios/fax_failure.toml", "--broker", "container"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "switchboard: no Docker engine answers at unix:///nonexistent/docker.sock (No such file or directory (os error 2)); a RabbitMQ container needs one"
        ),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_local_node_is_killed() {
    if !provision::local::is_installed() {
        eprintln!("SKIPPED: a_dropped_local_node_is_killed: rabbitmq-server is not installed");
        return;
    }
    let node = provision::provision(&BrokerSpec::Local(LocalOptions::default()))
        .await
        .unwrap();
    let url = node.url().clone();
    drop(node); // no shutdown: the whole process group is killed

    // SIGKILL is delivered at once but the process dies asynchronously:
    // allow it a moment, polling.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if connect(&url, "after-drop", Duration::from_secs(1))
            .await
            .is_err()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node at {url} survived its drop"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
