//! SMS and MMS: one `message` event when a user's inbox receives or sends
//! one, or when a tenant's main number (an inbox no extension owns:
//! `inbox.extension_id` null, as in Phone.com's `message.json`) receives one.

use super::parties::{PhonecomParties, did, extension_id};
use super::{Object, RenderError, tags};
use crate::catalog::phonecom::{Direction, Inbox, Media, Message, MessageType};
use crate::scenario::{MessageDirection, MessageKind};
use crate::sim::{Party, TextMessage};

/// The `state` of a received message.
const RECEIVED: &str = "received";
/// The `state` of a sent message.
const SENT: &str = "sent";

/// The event for a text message.
pub(crate) fn render(
    parties: &PhonecomParties<'_>,
    message: &TextMessage,
) -> Result<Object, RenderError> {
    // A user's inbox, or a tenant's main number, which no extension owns.
    let (own_number, owner) = match (parties.party(&message.user), parties.tenant(&message.user)) {
        (Ok(Party::User(user)), _) => (parties.did_of_user(user), Some(extension_id(user))),
        (_, Some(tenant)) => (tenant.number.clone(), None),
        _ => return Err(RenderError::NotAUser(message.user.clone())),
    };
    let outside = parties
        .party(&message.party)?
        .caller_id_number()
        .to_string();
    let (direction, state, from, to) = match message.direction {
        MessageDirection::Received => (Direction::Inbound, RECEIVED, &outside, &own_number),
        MessageDirection::Sent => (Direction::Outbound, SENT, &own_number, &outside),
    };
    let kind = match message.kind {
        MessageKind::Sms => MessageType::Sms,
        MessageKind::Mms => MessageType::Mms,
    };
    let data = Message {
        uuid: message.uuid.to_string(),
        direction,
        state: state.to_string(),
        inbox: Inbox {
            id: message.inbox_id,
            extension_id: owner,
            did: own_number.clone(),
        },
        from: did(from),
        to: vec![did(to)],
        kind,
        message: message.text.clone(),
        media: message
            .media
            .iter()
            .map(|item| Media {
                url: item.url.clone(),
                mime_type: item.mime_type.clone(),
                size: item.size,
                filename: item.filename.clone(),
                thumbnail: item.thumbnail.clone(),
            })
            .collect(),
    };
    Ok(Object::of(
        &data,
        message.uuid,
        tags::message(kind, message.direction),
        parties.extension_ids([message.user.as_str()]),
    ))
}
