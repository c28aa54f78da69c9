//! The `recording` data type.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What was recorded; only calls are documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordingType {
    Call,
}

/// A recording event's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    /// The recording's identifier.
    pub uuid: String,
    /// What was recorded.
    #[serde(rename = "type")]
    pub kind: RecordingType,
    /// Size in bytes.
    pub size: u64,
    /// Duration in seconds.
    pub duration: u64,
}
