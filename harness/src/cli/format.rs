//! The `--format` option shared by commands whose output CI may parse.

use clap::ValueEnum;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Plain text for people.
    #[default]
    Text,
    /// JSON for programs.
    Json,
}
