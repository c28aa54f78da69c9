//! `cargo xtask …`: the project's automation, in Rust so that it runs wherever cargo does.
//!
//! One module per task. `cargo xtask --help` lists them.

mod apt_sources;
mod bench_broker;
mod bench_load;
mod bench_websocketd;
mod ci;
mod conformance;
mod rabbitmq;
mod rabbitmq_image;
mod shell;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <task>

Tasks:
  ci                 set up what the tests need (cargo-nextest, Python kombu, RabbitMQ),
                     then run fmt --check, clippy -D warnings and the whole test suite:
                     the README's test command and what .ci/run calls
  rabbitmq up        start the local RabbitMQ (rabbitmq-server -detached) unless it already
                     answers on 127.0.0.1:5672, and wait until it accepts AMQP
  rabbitmq up --container [--image IMAGE]
                     start RabbitMQ in the container switchboard-rabbitmq (Docker engine at
                     DOCKER_HOST; image: the official one if present or pullable, else the
                     offline one), wait for an AMQP login, print its URL on stdout
  rabbitmq status [--container]
                     say whether the local RabbitMQ and the container answer, and where
                     (--container: only the container, failing when it does not answer)
  rabbitmq down [--container]
                     stop the local RabbitMQ (rabbitmqctl stop), or remove the container
  rabbitmq image [--rebuild]
                     build the offline image switchboard/rabbitmq:offline from this machine's
                     apt sources (debootstrap + import; needs root), unless it exists
  conformance [--broker local|container[:IMAGE]]
                     run only the broker conformance cases (embedded vs RabbitMQ, local or
                     in a container started for the run) and print a table case × broker
  bench broker [--messages N]
                     the embedded broker against the local RabbitMQ, same client code:
                     rates, latency, routing cost, start-up; each figure with its ratio
  bench load [--messages N] [--kombu-messages N] [--runs N] [--connections N]
             [--channels N] [--confirm on|off]
                     switchboard load (call mix) against a bare amqprs loop and kombu on the
                     local RabbitMQ: rates, ratios, CPU per message, which process saturates
  bench websocketd [--sessions N] [--rate R] [--seconds S] [--broker URL]
                     the Wazo WebSocket's fan-out (default 1000 sessions, 10000 events/s):
                     p50/p99 publish→frame latency beside the same events consumed over AMQP
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["ci"] => ci::run(),
        ["rabbitmq", "up", extra @ ..] => rabbitmq::up_command(extra),
        ["rabbitmq", "status", extra @ ..] => rabbitmq::status_command(extra),
        ["rabbitmq", "down", extra @ ..] => rabbitmq::down_command(extra),
        ["rabbitmq", "image", extra @ ..] => rabbitmq_image::run(extra),
        ["conformance", extra @ ..] => conformance::run(extra),
        ["bench", "broker", extra @ ..] => bench_broker::run(extra),
        ["bench", "load", extra @ ..] => bench_load::run(extra),
        ["bench", "websocketd", extra @ ..] => bench_websocketd::run(extra),
        [] | ["help"] | ["--help"] | ["-h"] => {
            print!("{HELP}");
            Ok(())
        }
        _ => {
            eprint!("xtask: unknown task {args:?}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}
