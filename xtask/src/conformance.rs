//! `cargo xtask conformance`: only the conformance cases (the same
//! observations on the embedded broker and on RabbitMQ), then a table of
//! case × broker.
//!
//! The test binary appends one line per case to a report file named by
//! `SWITCHBOARD_CONFORMANCE_REPORT` (see `broker/tests/conformance.rs`); the
//! table is read from there, so it shows every case, failing ones included.

use std::process::Command;

use anyhow::{Context, bail};

use crate::{rabbitmq, shell};

/// Runs the conformance tests and prints the table; fails if a case differs.
pub fn run() -> anyhow::Result<()> {
    rabbitmq::up()?;
    let report = std::env::temp_dir().join(format!(
        "switchboard-conformance-{}.tsv",
        std::process::id()
    ));
    // A stale report from an earlier run would add rows that are not ours.
    let _ = std::fs::remove_file(&report);
    let args = [
        "nextest",
        "run",
        "-p",
        "switchboard-broker",
        "--test",
        "conformance",
        "--no-fail-fast",
    ];
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new("cargo")
        .args(args)
        .env("SWITCHBOARD_CONFORMANCE_REPORT", &report)
        .current_dir(shell::workspace_root())
        .status()
        .context("cannot start `cargo nextest`")?;
    let rows = std::fs::read_to_string(&report)
        .with_context(|| format!("the tests wrote no report at {}", report.display()))?;
    let _ = std::fs::remove_file(&report);
    print_table(&rows);
    if !status.success() {
        bail!("some conformance cases failed ({status}); the table above shows which");
    }
    Ok(())
}

fn print_table(rows: &str) {
    let mut rows: Vec<Vec<&str>> = rows
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    rows.sort();
    println!("\n| case | embedded (observations) | RabbitMQ (observations) | outcome |");
    println!("|---|---|---|---|");
    for row in rows {
        if let [case, embedded, rabbitmq, verdict] = row.as_slice() {
            println!("| {case} | {embedded} | {rabbitmq} | {verdict} |");
        }
    }
}
