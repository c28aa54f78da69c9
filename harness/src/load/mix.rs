//! The scenario mix: `call_lifecycle=70,conference=20,fax_success=10`.
//!
//! Each entry names a scenario (a shipped one, looked up as
//! `<dir>/<name>.toml`, or a path to any scenario file) and a weight. The
//! weights are shares, not percentages: `a=7,b=3` and `a=70,b=30` are the same
//! mix. Which scenario the n-th instance plays is decided by a smooth weighted
//! round-robin ([`MixPicker`]), so that any window of a run holds the mix in
//! its exact proportions rather than only on average.

use std::path::{Path, PathBuf};

use crate::scenario::{Scenario, ScenarioError};

/// One entry of a mix, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixEntry {
    /// The scenario's name or path, as written.
    pub scenario: String,
    /// Its share of instances (at least 1).
    pub weight: u32,
}

/// A parsed `--mix` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    /// The entries, in the order written.
    pub entries: Vec<MixEntry>,
}

/// Why a mix could not be parsed or its scenarios loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MixError {
    /// The mix is empty.
    #[error(
        "the mix is empty: expected NAME=WEIGHT[,NAME=WEIGHT…], e.g. call_lifecycle=70,conference=30"
    )]
    Empty,
    /// An entry is not `NAME=WEIGHT` (a lone name means weight 1).
    #[error(
        "invalid mix entry '{entry}': expected NAME=WEIGHT with a whole number weight of at least 1"
    )]
    Entry {
        /// The entry as written.
        entry: String,
    },
    /// The same scenario appears twice.
    #[error("the mix names scenario '{scenario}' twice")]
    Duplicate {
        /// The scenario.
        scenario: String,
    },
    /// A scenario name matches no file.
    #[error("mix entry '{scenario}': no scenario file {} (give a shipped scenario's name or a path to a .toml file)", .path.display())]
    NotFound {
        /// The name as written.
        scenario: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A scenario file has errors.
    #[error("mix entry '{scenario}': {source}")]
    Scenario {
        /// The name as written.
        scenario: String,
        /// What is wrong with the file.
        #[source]
        source: ScenarioError,
    },
}

impl std::str::FromStr for Mix {
    type Err = MixError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut entries: Vec<MixEntry> = Vec::new();
        for raw in text.split(',').map(str::trim).filter(|raw| !raw.is_empty()) {
            let invalid = || MixError::Entry {
                entry: raw.to_owned(),
            };
            let (scenario, weight) = match raw.rsplit_once('=') {
                Some((name, weight)) => (
                    name.trim(),
                    weight.trim().parse::<u32>().map_err(|_| invalid())?,
                ),
                None => (raw, 1),
            };
            if scenario.is_empty() || weight == 0 {
                return Err(invalid());
            }
            if entries.iter().any(|entry| entry.scenario == scenario) {
                return Err(MixError::Duplicate {
                    scenario: scenario.to_owned(),
                });
            }
            entries.push(MixEntry {
                scenario: scenario.to_owned(),
                weight,
            });
        }
        if entries.is_empty() {
            return Err(MixError::Empty);
        }
        Ok(Self { entries })
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, entry) in self.entries.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={}", entry.scenario, entry.weight)?;
        }
        Ok(())
    }
}

impl Mix {
    /// Loads every scenario of the mix: a value containing a path separator
    /// or ending in `.toml` is a path; anything else is `<dir>/<name>.toml`.
    pub fn load(&self, dir: &Path) -> Result<Vec<(Scenario, u32)>, MixError> {
        self.entries
            .iter()
            .map(|entry| {
                let path = resolve(&entry.scenario, dir);
                if !path.is_file() {
                    return Err(MixError::NotFound {
                        scenario: entry.scenario.clone(),
                        path,
                    });
                }
                let scenario = Scenario::load(&path).map_err(|source| MixError::Scenario {
                    scenario: entry.scenario.clone(),
                    source,
                })?;
                Ok((scenario, entry.weight))
            })
            .collect()
    }
}

/// Where the scenario `name` of a mix lives.
pub fn resolve(name: &str, dir: &Path) -> PathBuf {
    let is_path = name.contains(std::path::MAIN_SEPARATOR) || name.contains('/');
    if is_path || name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        dir.join(format!("{name}.toml"))
    }
}

/// Chooses the scenario of each successive instance so that every prefix of
/// the sequence is as close as possible to the weights (smooth weighted
/// round-robin: each pick adds every weight to its credit, takes the
/// largest credit and charges it the total).
#[derive(Debug, Clone)]
pub struct MixPicker {
    weights: Vec<i64>,
    credit: Vec<i64>,
    total: i64,
}

impl MixPicker {
    /// A picker over `weights` (at least one, each at least 1).
    pub fn new(weights: &[u32]) -> Self {
        let weights: Vec<i64> = weights.iter().map(|weight| i64::from(*weight)).collect();
        Self {
            credit: vec![0; weights.len()],
            total: weights.iter().sum(),
            weights,
        }
    }

    /// The index of the next instance's scenario.
    pub fn next_index(&mut self) -> usize {
        let mut best = 0;
        for (index, weight) in self.weights.iter().enumerate() {
            self.credit[index] += weight;
            if self.credit[index] > self.credit[best] {
                best = index;
            }
        }
        self.credit[best] -= self.total;
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_weights_and_lone_names() {
        let mix: Mix = "call_lifecycle=70, conference=20,fax_success"
            .parse()
            .unwrap();
        let pairs: Vec<(&str, u32)> = mix
            .entries
            .iter()
            .map(|entry| (entry.scenario.as_str(), entry.weight))
            .collect();
        assert_eq!(
            pairs,
            [
                ("call_lifecycle", 70),
                ("conference", 20),
                ("fax_success", 1)
            ]
        );
        assert_eq!(
            mix.to_string(),
            "call_lifecycle=70,conference=20,fax_success=1"
        );
    }

    #[test]
    fn refuses_bad_entries_in_one_sentence() {
        let error = |text: &str| text.parse::<Mix>().unwrap_err().to_string();
        assert_eq!(
            error("a=x"),
            "invalid mix entry 'a=x': expected NAME=WEIGHT with a whole number weight of at least 1"
        );
        assert!(error("a=0").starts_with("invalid mix entry 'a=0'"));
        assert!(error("=3").starts_with("invalid mix entry '=3'"));
        assert_eq!(error("a=1,a=2"), "the mix names scenario 'a' twice");
        assert!(error(" , ").starts_with("the mix is empty"));
    }

    #[test]
    fn resolves_names_in_the_directory_and_paths_as_given() {
        let dir = Path::new("scenarios");
        assert_eq!(resolve("fax_success", dir), dir.join("fax_success.toml"));
        assert_eq!(resolve("my/own.toml", dir), PathBuf::from("my/own.toml"));
        assert_eq!(resolve("own.toml", dir), PathBuf::from("own.toml"));
    }

    #[test]
    fn a_missing_scenario_names_the_file_it_looked_for() {
        let mix: Mix = "nope=1".parse().unwrap();
        let error = mix.load(Path::new("scenarios")).unwrap_err().to_string();
        assert!(error.starts_with("mix entry 'nope': no scenario file scenarios/nope.toml"));
    }

    #[test]
    fn picks_follow_the_weights_exactly_in_every_window_of_their_total() {
        let mut picker = MixPicker::new(&[70, 20, 5, 5]);
        for _window in 0..3 {
            let mut counts = [0; 4];
            for _ in 0..100 {
                counts[picker.next_index()] += 1;
            }
            assert_eq!(counts, [70, 20, 5, 5]);
        }
        let mut picker = MixPicker::new(&[1, 1]);
        let picks: Vec<usize> = (0..4).map(|_| picker.next_index()).collect();
        assert_eq!(picks, [0, 1, 0, 1]);
    }
}
