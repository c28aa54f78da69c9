//! Generation alone, for `cargo xtask bench load`: how many scenario
//! instances per second `switchboard load` can simulate and render (and
//! their messages), with no broker at all.
//!
//! It isolates the part of the generator's cost that the publish figures
//! cannot separate from amqprs and RabbitMQ, and is a convenient target for
//! `perf record`.
//!
//! Usage: `bench_render MIX INSTANCES` (MIX as for `switchboard load --mix`,
//! names looked up in `scenarios/`). Prints one line:
//! `instances=N messages=M seconds=S instance_rate=R message_rate=R cpu_us_per_message=C`.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use switchboard::load::metrics::process_cpu_seconds;
use switchboard::load::{InstanceSource, Mix};
use time::OffsetDateTime;

/// The allocator the `switchboard` binary uses, so that the figures are its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mix, instances] = args.as_slice() else {
        anyhow::bail!("usage: bench_render MIX INSTANCES");
    };
    let mix: Mix = mix.parse()?;
    let instances: u64 = instances
        .parse()
        .with_context(|| format!("INSTANCES must be a whole number, not '{instances}'"))?;
    let mut source = InstanceSource::new(mix.load(Path::new("scenarios"))?, 1)?;

    let cpu_before = process_cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    let arrival = OffsetDateTime::now_utc();
    let mut messages = 0u64;
    let mut body_bytes = 0usize;
    for index in 0..instances {
        let instance = source.instance(index, arrival)?;
        messages += instance.messages.len() as u64;
        // Touch every body, so that nothing rendered can be optimised away.
        body_bytes += instance
            .messages
            .iter()
            .map(|planned| planned.message.body.len())
            .sum::<usize>();
    }
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let cpu = process_cpu_seconds().unwrap_or(0.0) - cpu_before;
    println!(
        "instances={instances} messages={messages} seconds={seconds:.3} instance_rate={:.0} \
         message_rate={:.0} cpu_us_per_message={:.2} mean_body_bytes={}",
        instances as f64 / seconds,
        messages as f64 / seconds,
        cpu * 1e6 / messages.max(1) as f64,
        body_bytes / usize::try_from(messages.max(1)).unwrap_or(1),
    );
    Ok(())
}
