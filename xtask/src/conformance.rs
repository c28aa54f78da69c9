//! `cargo xtask conformance [--broker local|container[:IMAGE]]`: only the
//! conformance cases (the same observations on the embedded broker and on
//! RabbitMQ), then a table of case × broker.
//!
//! RabbitMQ is the local one on 127.0.0.1:5672 (started if installed and
//! stopped), or a container started for the run and removed afterwards,
//! with the same code as `--broker container`: the tests are pointed at it
//! with `SWITCHBOARD_RABBITMQ_URL` and required to reach it.
//!
//! The test binary appends one line per case to a report file named by
//! `SWITCHBOARD_CONFORMANCE_REPORT` (see `broker/tests/conformance.rs`); the
//! table is read from there, so it shows every case, failing ones included.

use std::process::Command;

use anyhow::{Context, bail};
use switchboard::provision::ContainerImage;
use switchboard::provision::container::ContainerBroker;

use crate::{rabbitmq, shell};

/// The RabbitMQ the cases are compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Against {
    Local,
    Container(Option<ContainerImage>),
}

fn parse(args: &[&str]) -> anyhow::Result<Against> {
    let value = match args {
        [] => return Ok(Against::Local),
        ["--broker", value] => *value,
        other => bail!(
            "unknown arguments {other:?}: expected `conformance [--broker local|container[:IMAGE]]`"
        ),
    };
    match value {
        "local" => Ok(Against::Local),
        "container" => Ok(Against::Container(None)),
        other => match other.strip_prefix("container:").map(ContainerImage::parse) {
            Some(Some(image)) => Ok(Against::Container(Some(image))),
            _ => bail!("--broker '{other}': expected local, container or container:IMAGE[:TAG]"),
        },
    }
}

/// Runs the conformance tests and prints the table; fails if a case differs.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    match parse(args)? {
        Against::Local => {
            rabbitmq::up()?;
            run_cases(None)
        }
        Against::Container(image) => {
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let broker = runtime.block_on(ContainerBroker::start(image.as_ref()))?;
            eprintln!(
                "xtask: comparing with RabbitMQ from {} at {} (container {})",
                broker.image(),
                broker.url(),
                broker.name()
            );
            let outcome = run_cases(Some(&broker.url().to_url_with_credentials()));
            runtime.block_on(broker.shutdown())?;
            outcome
        }
    }
}

/// Runs the cases against the RabbitMQ at `url` (`None`: the tests' default).
fn run_cases(url: Option<&str>) -> anyhow::Result<()> {
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
    let mut command = Command::new("cargo");
    command
        .args(args)
        .env("SWITCHBOARD_CONFORMANCE_REPORT", &report)
        .current_dir(shell::workspace_root());
    if let Some(url) = url {
        // A broker started for this run: the cases must reach it, not skip.
        command
            .env("SWITCHBOARD_RABBITMQ_URL", url)
            .env("SWITCHBOARD_REQUIRE_RABBITMQ", "1");
    }
    let status = command.status().context("cannot start `cargo nextest`")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brokers_parse() {
        assert_eq!(parse(&[]).unwrap(), Against::Local);
        assert_eq!(parse(&["--broker", "local"]).unwrap(), Against::Local);
        assert_eq!(
            parse(&["--broker", "container"]).unwrap(),
            Against::Container(None)
        );
        assert_eq!(
            parse(&["--broker", "container:rabbitmq:4.0"]).unwrap(),
            Against::Container(Some(ContainerImage::new("rabbitmq", "4.0")))
        );
        assert!(parse(&["--broker", "embedded"]).is_err());
        assert!(parse(&["--broker"]).is_err());
    }
}
