//! The `call-log` data type.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A call log event's data: the call (log) it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallLog {
    /// The identifier of the call (and of its call log).
    pub uuid: String,
}
