//! What remains of a call once it has ended: its call log and its recording.

use super::parties::PhonecomParties;
use super::{Object, RenderError, tags};
use crate::catalog::phonecom::{CallLog, Recording, RecordingType};
use crate::sim::{CallInfo, CallRecording};

/// The `call-log` event of an ended call; its uuid is the call's.
pub(crate) fn call_log(
    parties: &PhonecomParties<'_>,
    call: &CallInfo,
) -> Result<Object, RenderError> {
    let data = CallLog {
        uuid: call.uuid.to_string(),
    };
    Ok(Object::of(
        &data,
        call.uuid,
        tags::call_log(),
        parties.extension_ids([call.from.as_str(), call.to.as_str()]),
    )
    .of_call(call.uuid))
}

/// The `recording` event of a recorded call.
pub(crate) fn recording(
    parties: &PhonecomParties<'_>,
    call: &CallInfo,
    recording: &CallRecording,
) -> Result<Object, RenderError> {
    let data = Recording {
        uuid: recording.uuid.to_string(),
        kind: RecordingType::Call,
        size: recording.size,
        duration: recording.duration_seconds,
    };
    Ok(Object::of(
        &data,
        recording.uuid,
        tags::call_recording(),
        parties.extension_ids([call.from.as_str(), call.to.as_str()]),
    )
    .of_call(call.uuid))
}
