//! `cargo xtask bench broker`: the embedded broker against the local
//! RabbitMQ, in one run, with the same client code.
//!
//! The measuring program is the broker crate's `bench` example (it needs the
//! broker and an AMQP client, which xtask does not); this task makes sure
//! RabbitMQ is up, builds the example with optimisations and runs it.

use crate::{rabbitmq, shell};

/// Runs the broker benchmark; `extra` goes to the example (`--messages N`).
pub fn run(extra: &[&str]) -> anyhow::Result<()> {
    rabbitmq::up()?;
    let mut args = vec![
        "run",
        "--release",
        "--quiet",
        "-p",
        "switchboard-broker",
        "--example",
        "bench",
        "--",
    ];
    args.extend_from_slice(extra);
    shell::run("cargo", &args)
}
