//! `cargo xtask bench websocketd`: the Wazo WebSocket's fan-out latency
//! beside a direct-AMQP baseline measured in the same run.
//!
//! The measuring program is the root package's `bench_websocketd` example
//! (it needs the library, the broker and WebSocket clients, which xtask does
//! not); this task builds it with optimisations and runs it.

use crate::shell;

/// Runs the WebSocket benchmark; `extra` goes to the example
/// (`--sessions N --rate R --seconds S --broker URL`).
pub fn run(extra: &[&str]) -> anyhow::Result<()> {
    let mut args = vec![
        "run",
        "--release",
        "--quiet",
        "-p",
        "switchboard",
        "--example",
        "bench_websocketd",
        "--",
    ];
    args.extend_from_slice(extra);
    shell::run("cargo", &args)
}
