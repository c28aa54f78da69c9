//! wazo-dird's events: favorite contacts.

use super::{RenderError, Renderer};
use crate::catalog::wazo::directory::{Favorite, FavoriteAdded, FavoriteDeleted, SourceEntryId};
use crate::scenario::EntryId;

/// A contact marked favorite, or no longer.
pub(super) fn favorite(
    r: &mut Renderer<'_>,
    user: &str,
    source: &str,
    entry: &EntryId,
    added: bool,
) -> Result<(), RenderError> {
    let event = if added {
        "favorite_added"
    } else {
        "favorite_deleted"
    };
    let source_entry_id = match entry {
        EntryId::Number(number) => SourceEntryId::Number(u64::try_from(*number).map_err(|_| {
            r.invalid(
                event,
                "source_entry_id",
                number.to_string(),
                "a contact id is a non-negative number or a string",
            )
        })?),
        EntryId::Text(text) => SourceEntryId::Text(text.clone()),
    };
    let user = r.user(user)?;
    let data = Favorite {
        xivo_uuid: r.origin(),
        user_uuid: user.uuid,
        source: source.to_owned(),
        source_entry_id,
    };
    let to = r.to_user(user);
    if added {
        r.publish(&FavoriteAdded(data), to)
    } else {
        r.publish(&FavoriteDeleted(data), to)
    }
}
