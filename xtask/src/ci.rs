//! `cargo xtask ci`: what CI runs, and what a developer runs before pushing.
//!
//! It first sets up what the tests need on a fresh machine, then checks
//! formatting and lints, then runs every test. Real-broker tests skip loudly
//! when RabbitMQ is down unless `SWITCHBOARD_REQUIRE_RABBITMQ=1` (set by
//! `.ci/run`), in which case they fail.

use crate::{rabbitmq, shell};

/// The Python packages the cross-client tests use (the Wazo document's own
/// client, kombu, and pika as a second independent client).
const PYTHON_PACKAGES: &[&str] = &["kombu==5.*", "pika==1.*"];

pub fn run() -> anyhow::Result<()> {
    set_up()?;
    shell::run("cargo", &["fmt", "--all", "--", "--check"])?;
    shell::run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    shell::run(
        "cargo",
        &[
            "nextest",
            "run",
            "--workspace",
            "--profile",
            "ci",
            "--no-fail-fast",
        ],
    )?;
    // nextest does not run doctests; the library's examples are tests too.
    shell::run("cargo", &["test", "--workspace", "--doc"])
}

fn set_up() -> anyhow::Result<()> {
    if !shell::available("cargo", &["nextest", "--version"]) {
        shell::run("cargo", &["install", "cargo-nextest", "--locked"])?;
    }
    if shell::available("python3", &["--version"]) {
        let mut args = vec![
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ];
        args.extend_from_slice(PYTHON_PACKAGES);
        shell::run("python3", &args)?;
    } else {
        eprintln!("xtask: python3 not found: the Python client tests will skip");
    }
    let require = std::env::var("SWITCHBOARD_REQUIRE_RABBITMQ").is_ok_and(|value| value == "1");
    match rabbitmq::up() {
        Ok(()) => Ok(()),
        Err(error) if !require => {
            eprintln!("xtask: {error:#}; real-broker tests will print SKIPPED");
            Ok(())
        }
        Err(error) => Err(error),
    }
}
