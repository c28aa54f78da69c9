//! The options of commands that listen on a bus (`run`, `tap`): which broker,
//! which exchange and binding keys, where to keep what arrived and how to
//! print it. One definition, so both commands spell and explain them alike.

use std::path::PathBuf;

use super::format::OutputFormat;
use crate::sink::WAZO_EXCHANGE;

/// Broker, exchange, bindings, recording file and output format.
#[derive(Debug, clap::Args)]
pub struct BusArgs {
    /// The broker: embedded (default; started here), an amqp:// URL (e.g. a
    /// Wazo's bus), container (or container:IMAGE:TAG) or local.
    // Parsed by the command, not by clap: clap would echo a URL's password in its error.
    #[arg(long, default_value = "embedded", value_name = "BROKER")]
    pub broker: String,

    /// A binding key (topic pattern) to record; repeat for several. Default: # (everything).
    #[arg(long = "bind", value_name = "KEY")]
    pub bindings: Vec<String>,

    /// The exchange to listen on (and, for run, to publish on).
    #[arg(long, default_value = WAZO_EXCHANGE, value_name = "NAME")]
    pub exchange: String,

    /// Also write every delivery to this file, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Output format: text for people, json (JSON Lines) for CI.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

impl BusArgs {
    /// The binding keys to record with: those given, else `#`.
    pub fn bindings_or_everything(&self) -> Vec<String> {
        if self.bindings.is_empty() {
            vec!["#".to_owned()]
        } else {
            self.bindings.clone()
        }
    }
}
