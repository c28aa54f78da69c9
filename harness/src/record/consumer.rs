//! [`ExternalConsumer`]: a downstream team's consumer, run as a process
//! against the harness's broker, with its standard output captured.
//!
//! The consumer is a shell command (`python3 consumer.py`); it learns where
//! the broker is from `SWITCHBOARD_AMQP_URL` (and `AMQP_URL`, the name many
//! clients read). It runs in its own process group so that stopping it stops
//! whatever the shell started too. Readiness — the moment publishing can
//! start without the consumer missing anything — is either a line it prints
//! ([`ExternalConsumer::wait_for_line`]) or its queue appearing bound to the
//! exchange on the embedded broker ([`ExternalConsumer::wait_until_bound`]).

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use regex::Regex;
use switchboard_broker::BrokerHandle;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::provision::AmqpUrl;

/// How often the broker's bindings are looked at while waiting for a consumer.
const POLL: Duration = Duration::from_millis(20);

/// Why the consumer could not be run or did not become ready.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsumerError {
    /// The command could not be started.
    #[error("cannot start the consumer `{command}`: {cause}")]
    Spawn {
        /// The command line.
        command: String,
        /// What the OS reported.
        cause: std::io::Error,
    },
    /// The consumer exited before it was ready.
    #[error(
        "the consumer `{command}` exited ({status}) before it was consuming; its output: {output:?}"
    )]
    ExitedEarly {
        /// The command line.
        command: String,
        /// How it exited.
        status: ExitStatus,
        /// What it printed on standard output.
        output: String,
    },
    /// The consumer did not become ready in time.
    #[error("the consumer `{command}` was not consuming after {}: {waited_for}", humantime::format_duration(*.timeout))]
    NotReady {
        /// The command line.
        command: String,
        /// How long we waited.
        timeout: Duration,
        /// What we were waiting for.
        waited_for: String,
    },
}

/// The captured standard output and how many lines it has so far.
#[derive(Debug, Default, Clone)]
struct Captured {
    lines: usize,
    closed: bool,
}

/// A running consumer process. Dropping it kills the process.
#[derive(Debug)]
pub struct ExternalConsumer {
    command: String,
    child: Child,
    output: Arc<Mutex<String>>,
    progress: watch::Receiver<Captured>,
    reader: JoinHandle<()>,
}

impl ExternalConsumer {
    /// Starts `command` with `sh -c`, `SWITCHBOARD_AMQP_URL` and `AMQP_URL`
    /// set to `url`, standard output captured and standard error passed through.
    pub fn spawn(command: &str, url: &AmqpUrl) -> Result<Self, ConsumerError> {
        Self::spawn_with_env(command, url, &[])
    }

    /// [`Self::spawn`] with more environment variables (the Wazo WebSocket's
    /// `SWITCHBOARD_WS_URL` and `SWITCHBOARD_WS_TOKEN`).
    pub fn spawn_with_env(
        command: &str,
        url: &AmqpUrl,
        env: &[(&str, &str)],
    ) -> Result<Self, ConsumerError> {
        let url = url.to_url_with_credentials();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .envs(env.iter().copied())
            .env("SWITCHBOARD_AMQP_URL", &url)
            .env("AMQP_URL", &url)
            // Python buffers a piped stdout unless told not to.
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|cause| ConsumerError::Spawn {
                command: command.to_owned(),
                cause,
            })?;
        let output = Arc::new(Mutex::new(String::new()));
        let (progress_tx, progress) = watch::channel(Captured::default());
        let stdout = child.stdout.take();
        let sink = Arc::clone(&output);
        let reader = tokio::spawn(async move {
            if let Some(stdout) = stdout {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    {
                        let mut output = lock(&sink);
                        output.push_str(&line);
                        output.push('\n');
                    }
                    progress_tx.send_modify(|captured| captured.lines += 1);
                }
            }
            progress_tx.send_modify(|captured| captured.closed = true);
        });
        Ok(Self {
            command: command.to_owned(),
            child,
            output,
            progress,
            reader,
        })
    }

    /// Everything the consumer printed so far.
    pub fn output(&self) -> String {
        lock(&self.output).clone()
    }

    /// Waits until a line of the consumer's output matches `ready`.
    pub async fn wait_for_line(
        &mut self,
        ready: &Regex,
        timeout: Duration,
    ) -> Result<(), ConsumerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut progress = self.progress.clone();
        loop {
            let closed = progress.borrow_and_update().closed;
            if self.output().lines().any(|line| ready.is_match(line)) {
                return Ok(());
            }
            self.fail_if_exited(closed).await?;
            if tokio::time::timeout_at(deadline, progress.changed())
                .await
                .is_err()
            {
                return Err(self.not_ready(timeout, format!("no line matched /{ready}/")));
            }
        }
    }

    /// Waits until a queue other than `except` is bound to `exchange` on the
    /// embedded broker and has a consumer: the consumer under test is listening.
    pub async fn wait_until_bound(
        &mut self,
        broker: &BrokerHandle,
        exchanges: &[&str],
        except: &str,
        timeout: Duration,
    ) -> Result<(), ConsumerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let queues = broker.queues();
            let consuming = broker.bindings().iter().any(|binding| {
                exchanges.contains(&binding.source.as_str())
                    && binding.destination != except
                    && queues
                        .iter()
                        .any(|queue| queue.name == binding.destination && queue.consumers > 0)
            });
            if consuming {
                return Ok(());
            }
            self.fail_if_exited(false).await?;
            if tokio::time::Instant::now() >= deadline {
                return Err(self.not_ready(
                    timeout,
                    format!(
                        "no queue of its own was bound to exchange '{}' and consumed",
                        exchanges.join("' or '")
                    ),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the consumer has printed nothing for `quiet` (or `limit`
    /// has passed, or it closed its output).
    pub async fn wait_until_quiet(&self, quiet: Duration, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        let mut progress = self.progress.clone();
        loop {
            if progress.borrow_and_update().closed {
                return;
            }
            let until = (tokio::time::Instant::now() + quiet).min(deadline);
            match tokio::time::timeout_at(until, progress.changed()).await {
                Ok(Ok(())) if tokio::time::Instant::now() < deadline => continue,
                _ => return,
            }
        }
    }

    /// Stops the consumer (SIGTERM to its process group, SIGKILL if it is
    /// still there a few seconds later) and returns everything it printed.
    pub async fn stop(mut self) -> String {
        if let Some(pid) = self.child.id() {
            signal_group(pid, "TERM");
            let exited = tokio::time::timeout(Duration::from_secs(3), self.child.wait()).await;
            if exited.is_err() {
                signal_group(pid, "KILL");
                let _ = self.child.wait().await;
            }
        }
        // The pipe closes with the process group; the reader then finishes.
        let _ = tokio::time::timeout(Duration::from_secs(3), &mut self.reader).await;
        self.output()
    }

    async fn fail_if_exited(&mut self, output_closed: bool) -> Result<(), ConsumerError> {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status,
            // Still running (or unknowable): keep waiting.
            Ok(None) | Err(_) => return Ok(()),
        };
        if !output_closed {
            // Let the reader take the last lines before reporting them.
            let _ = tokio::time::timeout(Duration::from_secs(1), &mut self.reader).await;
        }
        Err(ConsumerError::ExitedEarly {
            command: self.command.clone(),
            status,
            output: self.output(),
        })
    }

    fn not_ready(&self, timeout: Duration, waited_for: String) -> ConsumerError {
        ConsumerError::NotReady {
            command: self.command.clone(),
            timeout,
            waited_for,
        }
    }
}

impl Drop for ExternalConsumer {
    fn drop(&mut self) {
        // Not stopped with `stop`: leave nothing running behind.
        if let Some(pid) = self.child.id() {
            signal_group(pid, "KILL");
        }
        self.reader.abort();
    }
}

/// Sends a signal to every process of the group `pid` leads, with the
/// system's `kill` (this crate has no unsafe code to call it directly).
fn signal_group(pid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn lock(output: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    // Appending is the only mutation: a panic elsewhere cannot leave it half-done.
    output.lock().unwrap_or_else(PoisonError::into_inner)
}
