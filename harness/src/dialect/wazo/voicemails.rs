//! Voicemail messages: left, moved between folders, deleted.

use super::{RenderError, Renderer};
use crate::catalog::wazo::voicemails::{
    Folder, FolderType, UserVoicemailMessage, UserVoicemailMessageCreated,
    UserVoicemailMessageDeleted, UserVoicemailMessageUpdated, VoicemailBox, VoicemailMessage,
};
use crate::scenario::VoicemailFolder;
use crate::sim::{self, VoicemailChange};

/// A voicemail message change, published for the mailbox's user.
pub(super) fn message(
    r: &mut Renderer<'_>,
    message: &sim::VoicemailMessage,
    change: VoicemailChange,
) -> Result<(), RenderError> {
    let user = r.user(&message.user)?;
    let data = UserVoicemailMessage {
        user_uuid: user.uuid,
        voicemail_id: u64::from(user.voicemail_id),
        message_id: message.id.clone(),
        message: VoicemailMessage {
            id: message.id.clone(),
            caller_id_name: message.caller_id_name.clone(),
            caller_id_num: message.caller_id_num.clone(),
            duration: message.duration_seconds,
            timestamp: u64::try_from(message.left_at.unix_timestamp()).unwrap_or(0),
            folder: folder(message.folder),
            empty: Some(message.duration_seconds == 0),
            transcription: None,
            // wazo-calld adds the box from wazo-confd: the user's own.
            voicemail: Some(VoicemailBox {
                id: u64::from(user.voicemail_id),
                name: user.name.clone(),
                accesstype: "personal".to_owned(),
            }),
        },
    };
    let to = r.to_user(user);
    match change {
        VoicemailChange::Created => r.publish(&UserVoicemailMessageCreated(data), to),
        VoicemailChange::Updated => r.publish(&UserVoicemailMessageUpdated(data), to),
        VoicemailChange::Deleted => r.publish(&UserVoicemailMessageDeleted(data), to),
    }
}

/// wazo-calld's folders: Asterisk's INBOX, Old and Urgent with their ids.
fn folder(folder: VoicemailFolder) -> Folder {
    let (id, name, kind) = match folder {
        VoicemailFolder::Inbox => (1, "inbox", FolderType::New),
        VoicemailFolder::Old => (2, "old", FolderType::Old),
        VoicemailFolder::Urgent => (3, "urgent", FolderType::Urgent),
    };
    Folder {
        id,
        name: name.to_owned(),
        kind,
    }
}
