//! `switchboard check-scenario FILE…`: validates scenario files without
//! playing them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, ValueEnum};
use serde_json::json;

use crate::cli::EXIT_ERROR;
use crate::scenario::{self, ScenarioError};

/// Check scenario files without playing them (exit 0: valid, 2: errors).
///
/// Checks TOML syntax, actions and their arguments, party names, timing, and
/// whether the steps make sense in order (a call must ring before it is
/// answered). Nothing is published.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The scenario files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Output format: `text` (one line per problem) or `json` (one object per file).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable lines.
    Text,
    /// JSON Lines, one object per file.
    Json,
}

/// Checks every file; exit 0 when all are valid, 2 otherwise.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut all_valid = true;
    for path in &args.files {
        let outcome = scenario::check(path);
        all_valid &= outcome.is_ok();
        match args.format {
            Format::Text => match &outcome {
                Ok(scenario) => println!(
                    "{}: ok ({} steps, scenario \"{}\")",
                    path.display(),
                    scenario.steps.len(),
                    scenario.name
                ),
                Err(error) => eprintln!("{error}"),
            },
            Format::Json => println!("{}", json_outcome(path, &outcome)),
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ERROR)
    })
}

fn json_outcome(
    path: &std::path::Path,
    outcome: &Result<scenario::Scenario, ScenarioError>,
) -> serde_json::Value {
    match outcome {
        Ok(scenario) => json!({
            "file": path.display().to_string(),
            "valid": true,
            "name": scenario.name,
            "steps": scenario.steps.len(),
            "errors": [],
        }),
        Err(ScenarioError::Invalid(diagnostics)) => json!({
            "file": path.display().to_string(),
            "valid": false,
            "errors": diagnostics.iter().map(|diagnostic| json!({
                "line": diagnostic.location.line,
                "column": diagnostic.location.column,
                "message": diagnostic.message,
            })).collect::<Vec<_>>(),
        }),
        Err(error @ ScenarioError::Read { .. }) => json!({
            "file": path.display().to_string(),
            "valid": false,
            "errors": [{ "line": null, "column": null, "message": error.to_string() }],
        }),
    }
}
