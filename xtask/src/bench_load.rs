//! `cargo xtask bench load`: how much the load generator costs, in one run
//! against the local RabbitMQ.
//!
//! Three publishers, same broker, same connections, channels and confirm
//! setting, run in alternation (so that a noisy neighbour on the machine
//! hurts them alike) and compared by their median rates:
//!
//! - `switchboard load` with the call mix, every step at its arrival and an
//!   arrival rate far above what can be published (so it runs flat out),
//!   in the documented profile and with `--profile wazo` (current Wazo's
//!   headers and bodies, on `wazo-headers`);
//! - the bare amqprs loop `examples/bench_bare_publisher.rs`, publishing a
//!   fixed 400-byte body: the ceiling for a Rust publisher;
//! - the same loop with the headers every `switchboard load` message
//!   carries, as fixed values: the ceiling for a publisher of Wazo messages,
//!   since RabbitMQ decodes every header it routes. `switchboard load`
//!   against it is what building realistic events costs;
//! - kombu (the Python library Wazo's daemons publish with), pip-installed
//!   here if missing, publishing the same body.
//!
//! Each round also runs `examples/bench_render.rs`, which simulates and
//! renders the same mix without publishing: the generator's own cost,
//! apart from amqprs and RabbitMQ.
//!
//! While each one runs, `/proc` is sampled for its CPU use and for
//! RabbitMQ's (`beam.smp`): the process nearer to a full core is the one
//! that saturates first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{rabbitmq, shell};

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// kombu writes the default virtual host as a trailing `//`.
const KOMBU_URL: &str = "amqp://guest:guest@127.0.0.1:5672//";
const EXCHANGE: &str = "switchboard-bench-load";
const CALL_MIX: &str = "call_lifecycle=70,conference=20,fax_success=5,fax_failure=5";
const KOMBU_SCRIPT: &str = include_str!("bench_load_kombu.py");
/// Linux's USER_HZ: /proc reports CPU time in hundredths of a second.
const TICKS_PER_SECOND: f64 = 100.0;

/// What the user may change: `--messages N --kombu-messages N --runs N
/// --connections N --channels N --confirm on|off`.
#[derive(Debug, Clone)]
struct Settings {
    messages: u64,
    kombu_messages: u64,
    runs: usize,
    connections: u64,
    channels: u64,
    confirm: String,
}

impl Settings {
    fn parse(extra: &[&str]) -> anyhow::Result<Self> {
        let mut settings = Self {
            messages: 200_000,
            kombu_messages: 20_000,
            runs: 3,
            connections: 1,
            channels: 1,
            confirm: "on".to_owned(),
        };
        let mut args = extra.iter();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .with_context(|| {
                        format!("{flag} expects a positive whole number, not '{value}'")
                    })
            };
            match *flag {
                "--messages" => settings.messages = number()?,
                "--kombu-messages" => settings.kombu_messages = number()?,
                "--runs" => settings.runs = usize::try_from(number()?)?,
                "--connections" => settings.connections = number()?,
                "--channels" => settings.channels = number()?,
                "--confirm" if matches!(*value, "on" | "off") => {
                    settings.confirm = (*value).to_owned()
                }
                _ => bail!(
                    "unknown option {flag} {value}: expected --messages, --kombu-messages, --runs, \
                     --connections, --channels N or --confirm on|off"
                ),
            }
        }
        Ok(settings)
    }
}

/// One publisher run.
#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    published: f64,
    rate: f64,
    cpu_s: f64,
    /// Mean CPU use during the run, in % of one core.
    own_cpu_percent: f64,
    beam_cpu_percent: f64,
}

impl Measure {
    fn cpu_us_per_message(&self) -> f64 {
        self.cpu_s * 1e6 / self.published.max(1.0)
    }
}

/// Runs the load benchmark; `extra` are the [`Settings`] flags.
pub fn run(extra: &[&str]) -> anyhow::Result<()> {
    let settings = Settings::parse(extra)?;
    rabbitmq::up()?;
    shell::run(
        "cargo",
        &[
            "build",
            "--release",
            "--quiet",
            "--bin",
            "switchboard",
            "--example",
            "bench_bare_publisher",
            "--example",
            "bench_render",
        ],
    )?;
    let kombu = ensure_kombu();
    if let Err(error) = &kombu {
        eprintln!("xtask: kombu is not available ({error:#}): its column will be empty");
    }
    let root = shell::workspace_root();
    let release = target_dir(&root).join("release");
    let script =
        std::env::temp_dir().join(format!("switchboard-bench-kombu-{}.py", std::process::id()));
    std::fs::write(&script, KOMBU_SCRIPT).context("cannot write the kombu script")?;

    let mut bare = Vec::new();
    let mut bare_headers = Vec::new();
    let mut generator = Vec::new();
    let mut generator_wazo = Vec::new();
    let mut python = Vec::new();
    let mut generation = Vec::new();
    for round in 0..settings.runs {
        eprintln!("bench load: round {} of {}", round + 1, settings.runs);
        generation.push(run_generation(&release, &settings)?);
        // Alternate the order, so neither always runs on a warmer broker.
        if round % 2 == 0 {
            bare.push(run_bare(&release, &settings, BareMode::Plain)?);
            bare_headers.push(run_bare(&release, &settings, BareMode::Headers)?);
            generator.push(run_switchboard(&release, &settings, "documented")?);
            generator_wazo.push(run_switchboard(&release, &settings, "wazo")?);
        } else {
            generator_wazo.push(run_switchboard(&release, &settings, "wazo")?);
            generator.push(run_switchboard(&release, &settings, "documented")?);
            bare_headers.push(run_bare(&release, &settings, BareMode::Headers)?);
            bare.push(run_bare(&release, &settings, BareMode::Plain)?);
        }
        if kombu.is_ok() {
            python.push(run_kombu(&script, &settings)?);
        }
    }
    let _ = std::fs::remove_file(&script);
    print_table(
        &settings,
        &Medians {
            bare: median(&bare),
            bare_headers: median(&bare_headers),
            generator: median(&generator),
            generator_wazo: median(&generator_wazo),
            kombu: python.first().map(|_| median(&python)),
        },
    );
    print_generation(&median_generation(&generation));
    Ok(())
}

/// One run of `examples/bench_render.rs`: the call mix simulated and
/// rendered, nothing published.
#[derive(Debug, Clone, Copy, Default)]
struct Generation {
    instance_rate: f64,
    message_rate: f64,
    cpu_us_per_message: f64,
}

fn run_generation(release: &Path, settings: &Settings) -> anyhow::Result<Generation> {
    let instances = (settings.messages / 8).max(1);
    let output = Command::new(release.join("examples").join("bench_render"))
        .current_dir(shell::workspace_root())
        .args([CALL_MIX, &instances.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start bench_render")?;
    if !output.status.success() {
        bail!("bench_render failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| field(&stdout, name, "bench_render's");
    Ok(Generation {
        instance_rate: field("instance_rate")?,
        message_rate: field("message_rate")?,
        cpu_us_per_message: field("cpu_us_per_message")?,
    })
}

/// The run with the median message rate.
fn median_generation(runs: &[Generation]) -> Generation {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.message_rate.total_cmp(&b.message_rate));
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn print_generation(generation: &Generation) {
    println!(
        "generation alone (call mix simulated and rendered, nothing published): {:.0} instances/s, \
         {:.0} messages/s, {:.2} µs CPU per message",
        generation.instance_rate, generation.message_rate, generation.cpu_us_per_message
    );
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn ensure_kombu() -> anyhow::Result<()> {
    if shell::available("python3", &["-c", "import kombu"]) {
        return Ok(());
    }
    shell::run(
        "python3",
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "kombu==5.*",
        ],
    )
}

/// What the bare loop sends beside its body (see `examples/bench_bare_publisher.rs`).
#[derive(Debug, Clone, Copy)]
enum BareMode {
    /// A content type and a delivery mode.
    Plain,
    /// Also switchboard's headers and message id, as fixed values.
    Headers,
}

fn run_bare(release: &Path, settings: &Settings, mode: BareMode) -> anyhow::Result<Measure> {
    let program = release.join("examples").join("bench_bare_publisher");
    let mut command = Command::new(program);
    command.args([
        URL,
        EXCHANGE,
        &settings.messages.to_string(),
        &settings.connections.to_string(),
        &settings.channels.to_string(),
        &settings.confirm,
        match mode {
            BareMode::Plain => "plain",
            BareMode::Headers => "headers",
        },
    ]);
    let (stdout, own, beam) = measure(command)?;
    let mut measure = parse_line(&stdout)?;
    measure.own_cpu_percent = own;
    measure.beam_cpu_percent = beam;
    Ok(measure)
}

fn run_kombu(script: &Path, settings: &Settings) -> anyhow::Result<Measure> {
    let mut command = Command::new("python3");
    command.arg(script).args([
        KOMBU_URL,
        EXCHANGE,
        &settings.kombu_messages.to_string(),
        &settings.confirm,
    ]);
    let (stdout, own, beam) = measure(command)?;
    let mut measure = parse_line(&stdout)?;
    measure.own_cpu_percent = own;
    measure.beam_cpu_percent = beam;
    Ok(measure)
}

/// `switchboard load` with the call mix in `profile` (`documented`, or
/// `wazo`: wazo-bus's headers and bodies, published on `wazo-headers`).
fn run_switchboard(release: &Path, settings: &Settings, profile: &str) -> anyhow::Result<Measure> {
    // About `messages` messages: the call mix averages a little over 8 per instance.
    let instances = (settings.messages / 8).max(1);
    let mut command = Command::new(release.join("switchboard"));
    command
        .current_dir(shell::workspace_root())
        .args([
            "load",
            "--broker",
            URL,
            "--exchange",
            EXCHANGE,
            "--mix",
            CALL_MIX,
            "--profile",
            profile,
        ])
        .args(["--rate", "10000000", "--speed", "inf", "--format", "json"])
        .args(["--count", &instances.to_string()])
        .args(["--backlog", &(settings.messages * 2).to_string()])
        .args(["--connections", &settings.connections.to_string()])
        .args(["--channels", &settings.channels.to_string()])
        .args(["--confirm", &settings.confirm]);
    let (stdout, own, beam) = measure(command)?;
    let report: serde_json::Value =
        serde_json::from_str(&stdout).context("switchboard load printed no JSON report")?;
    let number = |pointer: &str| {
        report
            .pointer(pointer)
            .and_then(serde_json::Value::as_f64)
            .with_context(|| format!("the report has no {pointer}"))
    };
    let published = number("/ledger/published")?;
    if number("/ledger/not_sent")? > 0.0 {
        bail!("switchboard load did not send every message: {stdout}");
    }
    Ok(Measure {
        published,
        rate: number("/rates/published_per_s")?,
        cpu_s: number("/cpu_s")?,
        own_cpu_percent: own,
        beam_cpu_percent: beam,
    })
}

/// Parses `published=N seconds=S rate=R cpu_s=C`.
fn parse_line(stdout: &str) -> anyhow::Result<Measure> {
    let field = |name: &str| field(stdout, name, "the publisher's");
    Ok(Measure {
        published: field("published")?,
        rate: field("rate")?,
        cpu_s: field("cpu_s")?,
        ..Measure::default()
    })
}

/// Runs `command`, sampling its CPU use and beam.smp's from /proc until it
/// exits; returns its stdout and both mean CPU uses (% of one core).
fn measure(mut command: Command) -> anyhow::Result<(String, f64, f64)> {
    let beam = find_process("beam.smp");
    let mut child: Child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let pid = child.id();
    let started = Instant::now();
    let first = (cpu_ticks(pid), beam.and_then(cpu_ticks));
    let mut last = first;
    let mut last_at = started;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        let sample = (cpu_ticks(pid), beam.and_then(cpu_ticks));
        // The child's counters vanish when it exits: keep the last reading.
        if sample.0.is_some() {
            last = sample;
            last_at = Instant::now();
        }
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("{command:?} failed ({})", output.status);
    }
    let seconds = last_at.duration_since(started).as_secs_f64().max(1e-3);
    let percent = |from: Option<u64>, to: Option<u64>| match (from, to) {
        (Some(from), Some(to)) => {
            (to.saturating_sub(from)) as f64 / TICKS_PER_SECOND / seconds * 100.0
        }
        _ => 0.0,
    };
    Ok((
        String::from_utf8_lossy(&output.stdout).into_owned(),
        percent(first.0, last.0),
        percent(first.1, last.1),
    ))
}

/// The pid of the first process whose name is `name`.
fn find_process(name: &str) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            (comm.trim() == name).then_some(pid)
        })
}

/// User + system CPU ticks of `pid` (fields 14 and 15 of /proc/PID/stat).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The run with the median rate (its other figures come along with it).
fn median(runs: &[Measure]) -> Measure {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// The median run of each publisher.
struct Medians {
    bare: Measure,
    bare_headers: Measure,
    generator: Measure,
    generator_wazo: Measure,
    kombu: Option<Measure>,
}

fn print_table(settings: &Settings, medians: &Medians) {
    let Medians {
        bare,
        bare_headers,
        generator,
        generator_wazo,
        kombu,
    } = medians;
    println!(
        "\n`cargo xtask bench load`: {} connection(s) × {} channel(s), confirms {}, medians of {} alternating runs\n",
        settings.connections, settings.channels, settings.confirm, settings.runs
    );
    println!("| publisher | messages/s | CPU µs per message | its CPU % | beam.smp CPU % |");
    println!("|---|---:|---:|---:|---:|");
    let row = |name: &str, m: &Measure| {
        println!(
            "| {name} | {:.0} | {:.1} | {:.0} | {:.0} |",
            m.rate,
            m.cpu_us_per_message(),
            m.own_cpu_percent,
            m.beam_cpu_percent
        );
    };
    row("bare amqprs loop, fixed 400-byte body", bare);
    row(
        "bare amqprs loop, same body + switchboard's headers (fixed)",
        bare_headers,
    );
    row("switchboard load, call mix", generator);
    row("switchboard load --profile wazo, call mix", generator_wazo);
    if let Some(kombu) = kombu {
        row("kombu (Python), fixed 400-byte body", kombu);
    }
    let verdict = |ratio: f64, target: f64| if ratio >= target { "met" } else { "NOT met" };
    let versus_bare = generator.rate / bare.rate.max(1.0);
    let versus_same_headers = generator.rate / bare_headers.rate.max(1.0);
    let headers_cost = bare_headers.rate / bare.rate.max(1.0);
    println!(
        "\nswitchboard / bare amqprs: {versus_bare:.2} (target ≥ 0.90: {})",
        verdict(versus_bare, 0.9)
    );
    println!(
        "switchboard / bare amqprs with the same headers: {versus_same_headers:.2} \
         (what building the events costs; ≥ 0.90: {})",
        verdict(versus_same_headers, 0.9)
    );
    println!(
        "bare with headers / bare: {headers_cost:.2} (what the headers cost RabbitMQ and amqprs: \
         the ceiling for any publisher of Wazo messages)"
    );
    println!(
        "switchboard --profile wazo / documented: {:.2} (what current Wazo's larger headers and bodies cost; \
         CPU per message {:.1} vs {:.1} µs)",
        generator_wazo.rate / generator.rate.max(1.0),
        generator_wazo.cpu_us_per_message(),
        generator.cpu_us_per_message()
    );
    if let Some(kombu) = kombu {
        let versus_kombu = generator.rate / kombu.rate.max(1.0);
        println!(
            "switchboard / kombu: {versus_kombu:.1}× (target ≥ 10×: {})",
            verdict(versus_kombu, 10.0)
        );
    }
    let saturating = if generator.beam_cpu_percent >= generator.own_cpu_percent {
        "beam.smp (RabbitMQ)"
    } else {
        "switchboard"
    };
    println!(
        "saturates first during switchboard runs: {saturating} (beam.smp {:.0}% vs switchboard {:.0}% of a core)",
        generator.beam_cpu_percent, generator.own_cpu_percent
    );
}

/// The number after `name=` in a benchmark program's `key=value` output line;
/// `whose` names the program in the error.
fn field(stdout: &str, name: &str, whose: &str) -> anyhow::Result<f64> {
    stdout
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .and_then(|value| value.parse::<f64>().ok())
        .with_context(|| format!("no {name}= in {whose} output: {stdout}"))
}
