//! AMI events: Asterisk Manager Interface events relayed as they are.
//!
//! Every AMI event is broadcast on the bus under its own name (`QueueMemberStatus`,
//! `Newchannel`, …) with the routing key `ami.{event_name}` and the AMI fields as a
//! string-to-string dictionary.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::{EventEntry, EventSpec, Family, WazoEvent};
use crate::catalog::template::Template;

/// The content of an AMI event: each AMI header and its value.
pub type AmiData = BTreeMap<String, String>;

/// The spec shared by every AMI event; its `name` stands for "any AMI event name".
pub const SPEC: EventSpec = EventSpec {
    name: "<AmiEvent>",
    family: Family::Ami,
    description: "An Asterisk Manager Interface event, relayed on the bus with its name and fields.",
    routing_key: Template::new("ami.{event_name}").bind(&[("event_name", "/name")]),
    required_acl: None,
    headers: &[],
    example: Some(include_str!("examples/QueueMemberStatus.json")),
};

/// An AMI event: its name is chosen at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmiEvent {
    /// The AMI event name, e.g. `QueueMemberStatus`.
    pub name: String,
    /// The AMI fields.
    pub data: AmiData,
}

impl WazoEvent for AmiEvent {
    fn spec(&self) -> &'static EventSpec {
        &SPEC
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn data_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(&self.data)
    }

    fn write_data_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(out, &self.data)
    }
}

/// The registry entry describing all AMI events.
pub fn entry() -> &'static EventEntry {
    static ENTRY: OnceLock<EventEntry> = OnceLock::new();
    ENTRY.get_or_init(|| EventEntry::with_data::<AmiData>(&SPEC))
}

/// Whether `name` has the shape of an AMI event name.
///
/// AMI names are CamelCase (`QueueMemberStatus`, `DTMFBegin`) while every other Wazo
/// event is snake_case, which is how a bare envelope is told apart.
pub fn is_ami_event_name(name: &str) -> bool {
    name.starts_with(|first: char| first.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ami_names_are_camel_case() {
        assert!(is_ami_event_name("QueueMemberStatus"));
        assert!(is_ami_event_name("DTMFBegin"));
        assert!(!is_ami_event_name("call_created"));
        assert!(!is_ami_event_name("Queue.Member"));
        assert!(!is_ami_event_name(""));
    }
}
