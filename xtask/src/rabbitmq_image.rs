//! `cargo xtask rabbitmq image`: the offline RabbitMQ image, for machines
//! that reach no image registry.
//!
//! A minimal root file system is bootstrapped from the machine's own apt
//! sources (`debootstrap --variant=minbase --include=rabbitmq-server`), given
//! the two settings the harness needs, and imported into the Docker engine
//! as `switchboard/rabbitmq:offline` (what `docker import` does), through
//! the engine's API. An existing image is reused unless `--rebuild`.
//!
//! The two settings: `loopback_users.guest = false` (RabbitMQ refuses guest
//! from anywhere but localhost otherwise, and the harness connects through
//! the published port), and `RABBITMQ_LOGS=-` (logs on stdout, where the
//! start-up line is looked for).

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, bail};
use bytes::Bytes;
use switchboard::provision::container::{ContainerImage, Engine};
use tokio::io::AsyncReadExt;

use crate::apt_sources;

/// Where debootstrap keeps one script per suite it can bootstrap.
const DEBOOTSTRAP_SCRIPTS: &str = "/usr/share/debootstrap/scripts";
/// Where the root file system is bootstrapped (a few hundred MB; not /tmp,
/// which may be a small tmpfs).
const WORK_DIR: &str = "/var/tmp";

/// RabbitMQ's configuration inside the image.
const RABBITMQ_CONF: &str = "\
# Written by `cargo xtask rabbitmq image` (switchboard's offline image).
# The harness logs in as guest through the port the engine publishes on
# 127.0.0.1, which RabbitMQ sees as a remote address.
loopback_users.guest = false
listeners.tcp.default = 5672
";

/// Builds the offline image unless it exists (or always, with `--rebuild`).
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let rebuild = match args {
        [] => false,
        ["--rebuild"] => true,
        other => bail!("unknown arguments {other:?}: expected `rabbitmq image [--rebuild]`"),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(build(rebuild))
}

async fn build(rebuild: bool) -> anyhow::Result<()> {
    let engine = Engine::connect().await?;
    let official = ContainerImage::official();
    if engine.has_image(&official).await? {
        eprintln!(
            "xtask: note: the official image {official} is on this machine; `--broker container` uses it, not the offline one"
        );
    }
    let image = ContainerImage::offline();
    if !rebuild && engine.has_image(&image).await? {
        eprintln!("xtask: reusing the offline image {image} (`--rebuild` builds it again)");
        return Ok(());
    }
    let sources = apt_sources::read(Path::new("/"));
    let is_known = |suite: &str| Path::new(DEBOOTSTRAP_SCRIPTS).join(suite).exists();
    let Some(source) = apt_sources::release_source(&sources, is_known) else {
        bail!(
            "no apt source of this machine names a release debootstrap knows (read /etc/apt/sources.list and /etc/apt/sources.list.d/; scripts in {DEBOOTSTRAP_SCRIPTS}); the offline image is built from Debian or Ubuntu packages"
        );
    };
    if !is_root() {
        bail!(
            "building the offline image runs debootstrap, which needs root: run `cargo xtask rabbitmq image` as root"
        );
    }
    if !crate::shell::available("debootstrap", &["--version"]) {
        bail!("debootstrap is not installed (Debian/Ubuntu: apt-get install debootstrap)");
    }
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("switchboard-rabbitmq-rootfs-")
        .tempdir_in(WORK_DIR)
        .with_context(|| format!("cannot create a directory in {WORK_DIR}"))?;
    let root = dir.path().join("root");
    let mut args = vec![
        "--variant=minbase".to_owned(),
        "--include=rabbitmq-server".to_owned(),
    ];
    if !source.components.is_empty() {
        args.push(format!("--components={}", source.components.join(",")));
    }
    if let Some(keyring) = source.keyring.as_ref().filter(|path| path.is_file()) {
        args.push(format!("--keyring={}", keyring.display()));
    }
    args.push(source.suite.clone());
    args.push(root.display().to_string());
    args.push(source.uri.clone());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::shell::run("debootstrap", &args)?;
    configure(&root)?;
    eprintln!(
        "xtask: bootstrapped {} in {:.0}s; importing it as {image}",
        source.suite,
        started.elapsed().as_secs_f64()
    );
    import(&engine, &image, &root, &source.suite).await?;
    eprintln!(
        "xtask: built the offline image {image} in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// RabbitMQ's configuration, and no package caches (they would only make
/// the image bigger).
fn configure(root: &Path) -> anyhow::Result<()> {
    let conf = root.join("etc/rabbitmq/rabbitmq.conf");
    std::fs::write(&conf, RABBITMQ_CONF)
        .with_context(|| format!("cannot write {}", conf.display()))?;
    for cache in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        let dir = root.join(cache);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_file()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(())
}

/// What `docker import --change …` is given: how the image runs RabbitMQ.
fn image_changes(suite: &str) -> Vec<String> {
    vec![
        "ENV RABBITMQ_LOGS=-".to_owned(),
        "ENV HOME=/var/lib/rabbitmq".to_owned(),
        // The unwrapped scripts first: Debian's /usr/sbin ones switch users.
        "ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            .to_owned(),
        "USER rabbitmq".to_owned(),
        "WORKDIR /var/lib/rabbitmq".to_owned(),
        "EXPOSE 5672".to_owned(),
        r#"CMD ["rabbitmq-server"]"#.to_owned(),
        format!("LABEL org.switchboard.image=offline org.switchboard.suite={suite}"),
    ]
}

/// Streams `tar -c` of `root` into the engine's image import.
async fn import(
    engine: &Engine,
    image: &ContainerImage,
    root: &Path,
    suite: &str,
) -> anyhow::Result<()> {
    let mut tar = tokio::process::Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(root)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run tar")?;
    let stdout = tar.stdout.take().context("tar has no stdout")?;
    let chunks = futures_lite::stream::unfold(stdout, |mut stdout| async move {
        let mut buffer = vec![0u8; 1 << 20];
        match stdout.read(&mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                Some((Ok(Bytes::from(buffer)), stdout))
            }
            Err(error) => Some((Err(error), stdout)),
        }
    });
    engine.import(image, image_changes(suite), chunks).await?;
    let status = tar.wait().await.context("cannot wait for tar")?;
    if !status.success() {
        bail!("tar of {} failed ({status})", root.display());
    }
    Ok(())
}

/// Whether this process runs as root (read from /proc: debootstrap is
/// Linux-only anyway, and this crate forbids the unsafe `geteuid`).
fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|effective| effective == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_logs_to_stdout_and_lets_guest_in() {
        assert!(RABBITMQ_CONF.contains("\nloopback_users.guest = false\n"));
        let changes = image_changes("bookworm");
        assert!(changes.contains(&"ENV RABBITMQ_LOGS=-".to_owned()));
        assert!(changes.contains(&r#"CMD ["rabbitmq-server"]"#.to_owned()));
        assert!(
            changes
                .iter()
                .any(|c| c.ends_with("org.switchboard.suite=bookworm"))
        );
    }
}
