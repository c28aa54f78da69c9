//! AMI events: what Asterisk broadcasts about channels (`ami = true`), and
//! raw `ami` steps.
//!
//! wazo-amid relays every Asterisk Manager Interface event on the bus as
//! `ami.<Event>` with the AMI headers as a string dictionary. For a channel
//! change the events are those Asterisk emits, in its order: `Newchannel`,
//! `Newstate`, `BridgeEnter`, `BridgeLeave`, `Hold`, `Unhold`, `Hangup`.
//! Unlike wazo-calld's events they exist for trunk channels too.

use serde_json::{Map, Value};

use super::calls::{caller_id, status};
use super::{RenderError, Renderer};
use crate::catalog::wazo::ami::{AmiData, AmiEvent};
use crate::scenario::HangupCause;
use crate::sim::{CallInfo, Channel, ChannelChange, ChannelState, Party};

/// The AMI events a channel change causes.
pub(super) fn channel(
    r: &mut Renderer<'_>,
    call: &CallInfo,
    channel: &Channel,
    change: ChannelChange,
) -> Result<(), RenderError> {
    let fields = channel_fields(r, call, channel)?;
    match change {
        ChannelChange::Created => publish(r, "Newchannel", fields),
        ChannelChange::Ringing | ChannelChange::Answered => publish(r, "Newstate", fields),
        ChannelChange::Bridged => {
            let Some(bridge) = channel.bridge.clone() else {
                return Ok(());
            };
            r.bridges.insert(channel.id.clone(), bridge.clone());
            let members = r.bridges.values().filter(|other| **other == bridge).count();
            publish(r, "BridgeEnter", with_bridge(fields, &bridge, members))
        }
        ChannelChange::Unbridged => leave_bridge(r, channel, fields),
        ChannelChange::Held => {
            let mut fields = fields;
            fields.insert("MusicClass".into(), "default".into());
            publish(r, "Hold", fields)
        }
        ChannelChange::Resumed => publish(r, "Unhold", fields),
        ChannelChange::HungUp(cause) => {
            leave_bridge(r, channel, fields.clone())?;
            let (code, text) = hangup_cause(cause, channel);
            let mut fields = fields;
            fields.insert("Cause".into(), code.to_string());
            fields.insert("Cause-txt".into(), text.into());
            publish(r, "Hangup", fields)
        }
    }
}

/// A raw `ami` step: the event as given, every field a string as in AMI.
pub(super) fn raw(
    r: &mut Renderer<'_>,
    event: &str,
    fields: &Map<String, Value>,
) -> Result<(), RenderError> {
    if !crate::catalog::wazo::ami::is_ami_event_name(event) {
        return Err(RenderError::Emit {
            step: r.step,
            event: event.to_owned(),
            reason: "an AMI event name is CamelCase letters and digits, e.g. QueueMemberStatus"
                .into(),
        });
    }
    let data = ami_data(r, event, fields)?;
    publish(r, event, data)
}

/// AMI fields are strings: numbers and booleans are written as text, as AMI does.
pub(super) fn ami_data(
    r: &Renderer<'_>,
    event: &str,
    fields: &Map<String, Value>,
) -> Result<AmiData, RenderError> {
    fields
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::Null => String::new(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(RenderError::Emit {
                        step: r.step,
                        event: event.to_owned(),
                        reason: format!(
                            "AMI field \"{key}\" must be a string, a number or a boolean"
                        ),
                    });
                }
            };
            Ok((key.clone(), text))
        })
        .collect()
}

/// wazo-amid publishes every AMI header, `Event` included; the document's
/// examples leave it out (the catalog drops it from documented messages).
fn publish(r: &mut Renderer<'_>, name: &str, mut data: AmiData) -> Result<(), RenderError> {
    data.entry("Event".to_owned())
        .or_insert_with(|| name.to_owned());
    let to = r.to_platform();
    r.publish(
        &AmiEvent {
            name: name.to_owned(),
            data,
        },
        to,
    )
}

/// `BridgeLeave` if the channel was in a bridge.
fn leave_bridge(
    r: &mut Renderer<'_>,
    channel: &Channel,
    fields: AmiData,
) -> Result<(), RenderError> {
    let Some(bridge) = r.bridges.remove(&channel.id) else {
        return Ok(());
    };
    let members = r.bridges.values().filter(|other| **other == bridge).count();
    publish(r, "BridgeLeave", with_bridge(fields, &bridge, members))
}

fn with_bridge(mut fields: AmiData, bridge: &str, members: usize) -> AmiData {
    fields.insert("BridgeUniqueid".into(), bridge.to_owned());
    fields.insert("BridgeType".into(), "basic".into());
    fields.insert("BridgeTechnology".into(), "simple_bridge".into());
    fields.insert("BridgeCreator".into(), "<unknown>".into());
    fields.insert("BridgeName".into(), "<unknown>".into());
    fields.insert("BridgeNumChannels".into(), members.to_string());
    fields.insert("BridgeVideoSourceMode".into(), "none".into());
    fields
}

/// The headers Asterisk puts on every channel event.
fn channel_fields(
    r: &Renderer<'_>,
    call: &CallInfo,
    channel: &Channel,
) -> Result<AmiData, RenderError> {
    let own = caller_id(r, call, channel)?;
    let connected = match channel.peer.as_deref() {
        Some(peer) if peer != own.handle() => Some(r.party(peer)?),
        Some(_) => Some(r.party(&channel.party)?),
        None => None,
    };
    let context = match r.party(&channel.party)? {
        Party::User(user) => r
            .directory()
            .tenant_of(user)
            .map(|tenant| tenant.internal_context.clone())
            .unwrap_or_default(),
        Party::External(_) => "from-extern".to_owned(),
    };
    let mut fields = AmiData::new();
    fields.insert("Channel".into(), channel.name.clone());
    fields.insert("ChannelState".into(), state_code(channel.state).into());
    fields.insert("ChannelStateDesc".into(), status(channel.state).into());
    fields.insert("CallerIDNum".into(), own.caller_id_number().into());
    fields.insert("CallerIDName".into(), own.caller_id_name().into());
    fields.insert(
        "ConnectedLineNum".into(),
        connected
            .as_ref()
            .map_or("<unknown>", |party| party.caller_id_number())
            .into(),
    );
    fields.insert(
        "ConnectedLineName".into(),
        connected
            .as_ref()
            .map_or("<unknown>", |party| party.caller_id_name())
            .into(),
    );
    fields.insert("Language".into(), "en_US".into());
    fields.insert("AccountCode".into(), String::new());
    fields.insert("Context".into(), context);
    fields.insert("Exten".into(), channel.dialed.clone());
    fields.insert("Priority".into(), "1".into());
    fields.insert("Uniqueid".into(), channel.id.clone());
    fields.insert("Linkedid".into(), channel.linked_id.clone());
    Ok(fields)
}

/// Asterisk's numeric channel state (`ast_state`).
fn state_code(state: ChannelState) -> &'static str {
    match state {
        ChannelState::Down => "0",
        ChannelState::Ring => "4",
        ChannelState::Ringing => "5",
        ChannelState::Up => "6",
        ChannelState::Busy => "7",
    }
}

/// The Q.850 cause Asterisk reports for a hangup.
pub(super) fn hangup_cause(cause: HangupCause, channel: &Channel) -> (u8, &'static str) {
    match cause {
        HangupCause::Answered | HangupCause::Cancelled => (16, "Normal Clearing"),
        HangupCause::Busy => (17, "User busy"),
        HangupCause::NoAnswer if channel.state == ChannelState::Ringing => {
            (19, "User alerting, no answer")
        }
        HangupCause::NoAnswer => (16, "Normal Clearing"),
        HangupCause::Failed => (41, "Temporary failure"),
    }
}
