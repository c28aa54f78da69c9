//! A private node of the `rabbitmq-server` installed on this machine.
//!
//! The node shares nothing with a RabbitMQ that may already run here: its
//! own node name, AMQP and distribution ports on 127.0.0.1, data, logs,
//! configuration, enabled-plugins file (none: no management or prometheus
//! listener) and Erlang cookie (`HOME` points into the node's temporary
//! directory), all under one [`tempfile::TempDir`] removed afterwards.
//!
//! Ports are chosen by binding `127.0.0.1:0` and releasing the socket just
//! before RabbitMQ binds it; another process could take one in between, in
//! which case the node fails to start and the error shows its log.
//!
//! Debian and Ubuntu install `/usr/sbin/rabbitmq-server` as a wrapper that
//! switches to the `rabbitmq` user, who could not read our private
//! directory; the real scripts live in `/usr/lib/rabbitmq/bin`, which is
//! therefore preferred when present.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use std::{fs, io};

use tokio::process::{Child, Command};

use super::readiness::wait_for_amqp;
use super::{AmqpUrl, ConnectError};

/// Where Debian/Ubuntu packages keep the unwrapped RabbitMQ scripts.
const DEBIAN_SCRIPTS: &str = "/usr/lib/rabbitmq/bin";
/// Environment variable naming the directory holding `rabbitmq-server`, to
/// pick one installation among several.
pub const SBIN_ENV: &str = "SWITCHBOARD_RABBITMQ_SBIN";
/// How many lines of the node's output an error shows.
const LOG_TAIL_LINES: usize = 15;

/// How to start the local node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOptions {
    /// The directory holding `rabbitmq-server` and `rabbitmqctl`; `None`
    /// searches `$SWITCHBOARD_RABBITMQ_SBIN`, `/usr/lib/rabbitmq/bin`, then `PATH`.
    pub sbin: Option<PathBuf>,
    /// How long the node may take to accept AMQP connections.
    pub start_timeout: Duration,
    /// How long a graceful stop may take before the node is killed.
    pub stop_timeout: Duration,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            sbin: None,
            start_timeout: Duration::from_secs(90),
            stop_timeout: Duration::from_secs(30),
        }
    }
}

/// Why the local node could not be started or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// No `rabbitmq-server` was found.
    #[error(
        "cannot start a local RabbitMQ: no rabbitmq-server found in ${SBIN_ENV}, {DEBIAN_SCRIPTS} or PATH (install RabbitMQ or use --broker embedded)"
    )]
    NotInstalled,
    /// Preparing the private directory or ports failed.
    #[error("cannot prepare the private directory for a local RabbitMQ: {0}")]
    Prepare(#[source] io::Error),
    /// The `rabbitmq-server` process could not be spawned.
    #[error("cannot run {}: {cause}", .program.display())]
    Spawn {
        /// The program we tried to run.
        program: PathBuf,
        /// Why it failed.
        cause: io::Error,
    },
    /// The node exited before accepting connections.
    #[error("the local RabbitMQ node {node} exited while starting; its last output:\n{log_tail}")]
    Exited {
        /// The node name.
        node: String,
        /// The end of its output.
        log_tail: String,
    },
    /// The node did not accept connections in time.
    #[error(
        "the local RabbitMQ node {node} did not accept AMQP connections within {}: {cause}; its last output:\n{log_tail}",
        humantime::format_duration(*.timeout)
    )]
    StartTimeout {
        /// The node name.
        node: String,
        /// How long we waited.
        timeout: Duration,
        /// The last probe's failure.
        cause: Box<ConnectError>,
        /// The end of its output.
        log_tail: String,
    },
    /// Stopping the node failed; it was killed instead.
    #[error("the local RabbitMQ node {node} did not stop cleanly ({reason}); it was killed")]
    Stop {
        /// The node name.
        node: String,
        /// What went wrong.
        reason: String,
    },
}

/// The exact configuration of one private node: what it is started with.
/// Built separately from spawning so that it can be checked in unit tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePlan {
    /// `name@localhost`.
    pub node_name: String,
    /// The AMQP port on 127.0.0.1.
    pub amqp_port: u16,
    /// The Erlang distribution port on 127.0.0.1.
    pub dist_port: u16,
    /// Environment variables for `rabbitmq-server` and `rabbitmqctl`.
    pub env: Vec<(String, String)>,
    /// Files to write before starting: (path, contents).
    pub files: Vec<(PathBuf, String)>,
}

impl NodePlan {
    /// The plan for a node rooted at `dir`, listening on the given ports.
    pub fn new(dir: &Path, node_name: &str, amqp_port: u16, dist_port: u16) -> Self {
        let path = |name: &str| dir.join(name);
        let config = path("rabbitmq.conf");
        let plugins = path("enabled_plugins");
        let env_file = path("rabbitmq-env.conf");
        let text = |path: &Path| path.display().to_string();
        let env = vec![
            ("HOME", text(dir)),
            ("RABBITMQ_NODENAME", node_name.to_owned()),
            ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".to_owned()),
            ("RABBITMQ_NODE_PORT", amqp_port.to_string()),
            ("RABBITMQ_DIST_PORT", dist_port.to_string()),
            // Keep the distribution listener on loopback too.
            (
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}".to_owned(),
            ),
            ("ERL_EPMD_ADDRESS", "127.0.0.1".to_owned()),
            // An empty env file, so the system's rabbitmq-env.conf (which may
            // set NODENAME) does not apply.
            ("RABBITMQ_CONF_ENV_FILE", text(&env_file)),
            ("RABBITMQ_CONFIG_FILE", text(&config)),
            ("RABBITMQ_ENABLED_PLUGINS_FILE", text(&plugins)),
            ("RABBITMQ_MNESIA_BASE", text(&path("mnesia"))),
            ("RABBITMQ_LOG_BASE", text(&path("log"))),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        let files = vec![
            (env_file, String::new()),
            // RabbitMQ's defaults otherwise: user guest/guest, allowed from 127.0.0.1.
            (
                config,
                "# A private node started by switchboard.\n".to_owned(),
            ),
            // No plugins: no management or prometheus port to collide with.
            (plugins, "[].\n".to_owned()),
        ];
        Self {
            node_name: node_name.to_owned(),
            amqp_port,
            dist_port,
            env,
            files,
        }
    }
}

/// A running private RabbitMQ node. Dropping it kills the node; call
/// [`LocalNode::shutdown`] to stop it gracefully.
#[derive(Debug)]
pub struct LocalNode {
    url: AmqpUrl,
    plan: NodePlan,
    ctl: PathBuf,
    child: Child,
    stop_timeout: Duration,
    stopped: bool,
    // Declared last: removed only once the node no longer writes into it.
    dir: tempfile::TempDir,
}

impl LocalNode {
    /// Starts a node and returns once it accepts AMQP logins.
    pub async fn start(options: &LocalOptions) -> Result<Self, LocalError> {
        let sbin = find_sbin(options.sbin.as_deref()).ok_or(LocalError::NotInstalled)?;
        let dir = tempfile::Builder::new()
            .prefix("switchboard-rabbitmq-")
            .tempdir()
            .map_err(LocalError::Prepare)?;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let node_name = format!("switchboard-{}@localhost", &suffix[..12]);
        let (amqp_port, dist_port) = (
            free_port().map_err(LocalError::Prepare)?,
            free_port().map_err(LocalError::Prepare)?,
        );
        let plan = NodePlan::new(dir.path(), &node_name, amqp_port, dist_port);
        for (path, contents) in &plan.files {
            fs::write(path, contents).map_err(LocalError::Prepare)?;
        }
        let output =
            fs::File::create(dir.path().join("output.log")).map_err(LocalError::Prepare)?;
        let errors = output.try_clone().map_err(LocalError::Prepare)?;
        let server = sbin.join("rabbitmq-server");
        let child = Command::new(&server)
            .envs(plan.env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            // Its own process group: the script forks the Erlang VM, and a
            // kill must reach both.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| LocalError::Spawn {
                program: server,
                cause: source,
            })?;
        let mut node = Self {
            url: AmqpUrl::localhost(amqp_port),
            plan,
            ctl: sbin.join("rabbitmqctl"),
            child,
            stop_timeout: options.stop_timeout,
            stopped: false,
            dir,
        };
        tracing::info!(node = %node.plan.node_name, port = amqp_port, "starting a local RabbitMQ node");
        let ready = tokio::select! {
            ready = wait_for_amqp(&node.url, options.start_timeout) => ready,
            _exit = node.child.wait() => {
                return Err(LocalError::Exited {
                    node: node.plan.node_name.clone(),
                    log_tail: node.log_tail(),
                });
            }
        };
        match ready {
            Ok(()) => Ok(node),
            Err(source) => Err(LocalError::StartTimeout {
                node: node.plan.node_name.clone(),
                timeout: options.start_timeout,
                cause: Box::new(source),
                log_tail: node.log_tail(),
            }),
        }
    }

    /// The node's AMQP URL (guest/guest on 127.0.0.1).
    pub fn url(&self) -> &AmqpUrl {
        &self.url
    }

    /// The node's configuration.
    pub fn plan(&self) -> &NodePlan {
        &self.plan
    }

    /// Stops the node with `rabbitmqctl stop` and waits for it to exit; kills
    /// it if that fails or takes longer than `stop_timeout`.
    pub async fn shutdown(mut self) -> Result<(), LocalError> {
        let timeout = self.stop_timeout;
        let outcome = tokio::time::timeout(timeout, self.stop_gracefully()).await;
        let failure = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(reason)) => Some(reason),
            Err(_elapsed) => Some(format!(
                "no exit within {}",
                humantime::format_duration(timeout)
            )),
        };
        match failure {
            None => {
                self.stopped = true;
                Ok(())
            }
            Some(reason) => {
                self.kill_group();
                Err(LocalError::Stop {
                    node: self.plan.node_name.clone(),
                    reason,
                })
            }
        }
    }

    async fn stop_gracefully(&mut self) -> Result<(), String> {
        let status = Command::new(&self.ctl)
            .args(["-n", &self.plan.node_name, "stop"])
            .envs(self.plan.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status()
            .await
            .map_err(|error| format!("cannot run {}: {error}", self.ctl.display()))?;
        if !status.success() {
            return Err(format!("rabbitmqctl stop exited with {status}"));
        }
        self.child
            .wait()
            .await
            .map_err(|error| format!("cannot wait for rabbitmq-server: {error}"))?;
        Ok(())
    }

    /// Kills the whole process group: the server script and the Erlang VM it forked.
    fn kill_group(&mut self) {
        if let Some(pid) = self.child.id() {
            // `kill` rather than a signal call: this crate forbids unsafe code.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
        self.stopped = true;
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.path().join("output.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }
}

impl Drop for LocalNode {
    fn drop(&mut self) {
        if !self.stopped {
            self.kill_group();
        }
    }
}

/// Finds the directory holding `rabbitmq-server`.
fn find_sbin(explicit: Option<&Path>) -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("rabbitmq-server").is_file();
    if let Some(dir) = explicit {
        return has_server(dir).then(|| dir.to_owned());
    }
    let from_env = std::env::var_os(SBIN_ENV).map(PathBuf::from);
    let debian = Some(PathBuf::from(DEBIAN_SCRIPTS));
    let path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    from_env
        .into_iter()
        .chain(debian)
        .chain(path)
        .find(|dir| has_server(dir))
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether a `rabbitmq-server` can be found, for tests that need one.
pub fn is_installed() -> bool {
    find_sbin(None).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_keeps_everything_private() {
        let dir = Path::new("/tmp/node");
        let plan = NodePlan::new(dir, "sb-1@localhost", 40001, 40002);
        let env: std::collections::HashMap<_, _> = plan.env.iter().cloned().collect();
        assert_eq!(env["RABBITMQ_NODENAME"], "sb-1@localhost");
        assert_eq!(env["RABBITMQ_NODE_PORT"], "40001");
        assert_eq!(env["RABBITMQ_DIST_PORT"], "40002");
        assert_eq!(env["RABBITMQ_NODE_IP_ADDRESS"], "127.0.0.1");
        assert_eq!(env["HOME"], "/tmp/node");
        assert_eq!(env["RABBITMQ_MNESIA_BASE"], "/tmp/node/mnesia");
        assert_eq!(env["RABBITMQ_LOG_BASE"], "/tmp/node/log");
        assert_eq!(env["RABBITMQ_CONFIG_FILE"], "/tmp/node/rabbitmq.conf");
        assert_eq!(
            env["RABBITMQ_ENABLED_PLUGINS_FILE"],
            "/tmp/node/enabled_plugins"
        );
        assert_eq!(env["RABBITMQ_CONF_ENV_FILE"], "/tmp/node/rabbitmq-env.conf");
        for (_, value) in &plan.env {
            assert!(
                !value.starts_with('/') || value.starts_with("/tmp/node"),
                "{value} escapes the private directory"
            );
        }
        let plugins = plan
            .files
            .iter()
            .find(|(path, _)| path.ends_with("enabled_plugins"))
            .unwrap();
        assert_eq!(plugins.1, "[].\n");
    }

    #[test]
    fn an_explicit_directory_without_the_server_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_sbin(Some(dir.path())), None);
        fs::write(dir.path().join("rabbitmq-server"), "").unwrap();
        assert_eq!(find_sbin(Some(dir.path())), Some(dir.path().to_owned()));
    }
}
