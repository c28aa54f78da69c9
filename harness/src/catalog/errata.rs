//! Where the documents contradict themselves, and what the catalog does about it.
//!
//! Each erratum is data, listed by `switchboard catalog errata`: which events it
//! touches, what the document says, what we do, and why. The rule throughout: the
//! example payloads and the behaviour of real Wazo servers win over the prose.

use serde::Serialize;

/// The document an erratum is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Document {
    /// The Wazo message bus reference.
    Wazo,
    /// The Phone.com events v2 format.
    Phonecom,
}

/// One contradiction in a document and its resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Erratum {
    /// A stable identifier, e.g. `favorites-xivo-id`.
    pub id: &'static str,
    pub document: Document,
    /// The events (or data types) concerned.
    pub events: &'static [&'static str],
    /// What the document says.
    pub document_says: &'static str,
    /// What the catalog does.
    pub we_do: &'static str,
    /// Why.
    pub why: &'static str,
}

/// Every known erratum, Wazo first, in the order of the documents.
pub fn errata() -> &'static [Erratum] {
    ERRATA
}

const ERRATA: &[Erratum] = &[
    Erratum {
        id: "client-example-binding-key",
        document: Document::Wazo,
        events: &["call_created", "call_updated", "call_ended"],
        document_says: "The Python client \"listening for call_created, call_updated, call_ended\" binds its queue with the routing key calls.*.",
        we_do: "Nothing in the catalog; bind with calls.call.* (or calls.#) to receive them.",
        why: "In a topic exchange * is exactly one word: calls.* matches no call event, whose keys have three words (calls.call.created).",
    },
    Erratum {
        id: "envelope-example-placeholder",
        document: Document::Wazo,
        events: &["call_form_result"],
        document_says: "The envelope introduction shows call_form_result with \"data\": {...}, which is not JSON.",
        we_do: "Use the call_form_result section's own example as its fixture.",
        why: "The introduction only illustrates the envelope; the section's example is complete.",
    },
    Erratum {
        id: "ami-binding-key",
        document: Document::Wazo,
        events: &["<AmiEvent>"],
        document_says: "The AMI example is introduced as an \"event with binding key QueueMemberStatus\".",
        we_do: "Publish AMI events with the routing key ami.{event_name} (ami.QueueMemberStatus for the example).",
        why: "The same section gives the routing key as ami.{event_name}; QueueMemberStatus is the event name.",
    },
    Erratum {
        id: "ami-name-shape",
        document: Document::Wazo,
        events: &["<AmiEvent>"],
        document_says: "All AMI events are broadcast on the bus, under any AMI event name.",
        we_do: "Treat a CamelCase name (first letter upper-case, letters, digits, underscores) as an AMI event; every other unknown name is reported as unknown.",
        why: "AMI names are CamelCase while every other Wazo event is snake_case, so a bare envelope can be classified without its routing key.",
    },
    Erratum {
        id: "tenant-key-placeholder",
        document: Document::Wazo,
        events: &[
            "auth_tenant_created",
            "auth_tenant_deleted",
            "auth_tenant_updated",
        ],
        document_says: "Routing key auth.tenants.{tenant_uuid}.*, but the data has no tenant_uuid field, only uuid.",
        we_do: "Fill {tenant_uuid} from data.uuid.",
        why: "data.uuid is the tenant's UUID; it is the only candidate.",
    },
    Erratum {
        id: "agent-status-values",
        document: Document::Wazo,
        events: &["agent_status_update"],
        document_says: "status is \"a string identifying the status\", without a list of values.",
        we_do: "Accept logged_in and logged_out.",
        why: "The event is described as published when an agent logs in or out, and the example carries logged_in.",
    },
    Erratum {
        id: "call-model-fields",
        document: Document::Wazo,
        events: &["call_created", "call_updated", "call_ended"],
        document_says: "The data has the fields of wazo-calld's Call model; the example shows bridges, call_id, caller_id_name, caller_id_number, creation_time, status, talking_to, user_uuid.",
        we_do: "Require the example's fields and accept, as optional, the other fields of the real Call model: conversation_id, peer_caller_id_name, peer_caller_id_number, on_hold, muted, record_state, is_caller, is_video, dialed_extension, sip_call_id, line_id, answer_time, hangup_time, direction, parked. Anything else is unexpected.",
        why: "wazo-calld's CallSchema serialises those fields; newer servers send them and must conform.",
    },
    Erratum {
        id: "call-acl-user-uuid",
        document: Document::Wazo,
        events: &["call_created", "call_updated", "call_ended"],
        document_says: "Required ACL events.calls.{user_uuid}, while the Call model's user_uuid may be empty for channels that belong to no user.",
        we_do: "Require data.user_uuid to be a UUID.",
        why: "Without it the documented ACL cannot be built and no websocket client could receive the event.",
    },
    Erratum {
        id: "conference-caller-id-num",
        document: Document::Wazo,
        events: &[
            "conference_participant_joined",
            "conference_participant_left",
            "conference_participant_muted",
            "conference_participant_unmuted",
        ],
        document_says: "The fields list caller_id_num; no example carries it.",
        we_do: "Accept an optional caller_id_number; caller_id_num is reported as unexpected.",
        why: "wazo-calld's conference participant model names the field caller_id_number, like the Call model.",
    },
    Erratum {
        id: "conference-mute-answered-time",
        document: Document::Wazo,
        events: &[
            "conference_participant_muted",
            "conference_participant_unmuted",
        ],
        document_says: "The joined/left events list answered_time; the mute events do not, and their example lacks it.",
        we_do: "Make answered_time optional in the participant shared by all participant events.",
        why: "Both the joined example (with it) and the muted example (without it) must conform.",
    },
    Erratum {
        id: "conference-descriptions-copied",
        document: Document::Wazo,
        events: &[
            "conference_participant_muted",
            "conference_participant_unmuted",
            "conference_record_started",
            "conference_record_stopped",
            "conference_participant_talk_started",
            "conference_participant_talk_stopped",
        ],
        document_says: "Each section says the events are sent \"when a participant joins or leaves a conference room\".",
        we_do: "Describe each event by what it reports: muted/unmuted, recording started/stopped, talking started/stopped.",
        why: "The text is copied from the joined/left section; the event names and routing keys say what they mean.",
    },
    Erratum {
        id: "conference-record-key-placeholder",
        document: Document::Wazo,
        events: &["conference_record_started", "conference_record_stopped"],
        document_says: "Routing key conferences.{conference_id}.record, but the data has only id (the conference ID).",
        we_do: "Fill {conference_id} from data.id.",
        why: "data.id is documented as the ID of the conference.",
    },
    Erratum {
        id: "conference-talk-data",
        document: Document::Wazo,
        events: &[
            "conference_participant_talk_started",
            "conference_participant_talk_stopped",
        ],
        document_says: "The data is described as id: the ID of the conference; the example carries a whole participant (id is the participant's, plus conference_id, call_id, …).",
        we_do: "Type the data as the conference participant.",
        why: "The example and the routing key ({conference_id}) both need the participant's fields.",
    },
    Erratum {
        id: "favorites-xivo-id",
        document: Document::Wazo,
        events: &["favorite_added", "favorite_deleted"],
        document_says: "The fields list xivo_id; the examples carry xivo_uuid.",
        we_do: "Require xivo_uuid; xivo_id is reported as unexpected.",
        why: "The examples show what wazo-dird sends.",
    },
    Erratum {
        id: "favorites-source-entry-id",
        document: Document::Wazo,
        events: &["favorite_added", "favorite_deleted"],
        document_says: "source_entry_id is \"the ID of the contact within this source\"; the example is the number 42.",
        we_do: "Accept a number or a string.",
        why: "Directory sources identify contacts by numbers (wazo-confd users) or strings (personal contacts use UUIDs).",
    },
    Erratum {
        id: "fax-failed-description",
        document: Document::Wazo,
        events: &["fax_outbound_failed", "fax_outbound_user_failed"],
        document_says: "Published \"when a fax was successfully sent\"; \"fax_outbound_user_created is only sent if the fax was sent by a user\".",
        we_do: "Describe the events as published when a fax could not be sent; fax_outbound_user_failed is the per-user one.",
        why: "Copied from the succeeded section: the names, routing keys and the error field say failure.",
    },
    Erratum {
        id: "fax-user-uuid-nullable",
        document: Document::Wazo,
        events: &[
            "fax_outbound_created",
            "fax_outbound_succeeded",
            "fax_outbound_failed",
        ],
        document_says: "user_uuid is \"the UUID of the user that sent the fax\", while the user events are \"only sent if the fax was sent by a user\".",
        we_do: "user_uuid may be null on the non-user events (messages switchboard builds always carry the field); the user events need it for their routing key.",
        why: "A fax sent through the API by no user still produces the non-user events.",
    },
    Erratum {
        id: "acl-absent-from-examples",
        document: Document::Wazo,
        events: &[
            "favorite_added",
            "favorite_deleted",
            "fax_outbound_created",
            "fax_outbound_succeeded",
            "fax_outbound_failed",
            "plugin_install_progress",
            "plugin_uninstall_progress",
            "relocate_completed",
        ],
        document_says: "A required ACL is documented, but the example envelope has no required_acl.",
        we_do: "Accept an envelope without required_acl (the envelope section makes it optional); when present it must match the template. Messages we build always carry it.",
        why: "The examples must conform, and wazo-websocketd needs the ACL to route the event.",
    },
    Erratum {
        id: "acl-undocumented",
        document: Document::Wazo,
        events: &[
            "auth_user_external_auth_added",
            "auth_user_external_auth_authorized",
            "auth_user_external_auth_deleted",
            "auth_tenant_created",
            "auth_tenant_deleted",
            "auth_tenant_updated",
            "call_form_result",
            "call_held",
            "call_resumed",
            "user_created",
            "user_deleted",
            "user_edited",
            "service_registered_event",
            "service_deregistered_event",
        ],
        document_says: "No required ACL is documented for these events, while every event may carry required_acl (\"either a string or null\").",
        we_do: "Accept any string or null as their required_acl; messages we build carry none.",
        why: "Newer Wazo servers attach ACLs the document does not list; inventing a template would flag them.",
    },
    Erratum {
        id: "plugin-status-values",
        document: Document::Wazo,
        events: &["plugin_install_progress", "plugin_uninstall_progress"],
        document_says: "status is \"the status of the installation/removal\", without a list; the examples show completed and removing.",
        we_do: "Accept wazo-plugind's steps: starting, downloading, extracting, validating, \"installing dependencies\", building, packaging, updating, installing, cleaning, completed, error (install); starting, removing, completed, error (uninstall); and an optional errors object.",
        why: "Those are the values wazo-plugind publishes, and they end up in the routing key and the ACL.",
    },
    Erratum {
        id: "relocate-xxx-placeholders",
        document: Document::Wazo,
        events: &[
            "relocate_initiated",
            "relocate_answered",
            "relocate_completed",
            "relocate_ended",
        ],
        document_says: "XXX stands for the event in calls.relocate.XXX, and for the initiator's user UUID in events.relocates.XXX and the header \"user_uuid:XXX\".",
        we_do: "Routing key calls.relocate.<initiated|answered|completed|ended>; ACL events.relocates.{initiator} and header user_uuid:{initiator} = true, from data.initiator.",
        why: "data.initiator is the initiator's user UUID.",
    },
    Erratum {
        id: "relocate-data-model",
        document: Document::Wazo,
        events: &[
            "relocate_initiated",
            "relocate_answered",
            "relocate_completed",
            "relocate_ended",
        ],
        document_says: "The data is \"a relocate object, see Documentation, section wazo-calld\".",
        we_do: "Type it as wazo-calld's relocate: the example's fields (completions is answer or api) plus optional timeout and auto_answer.",
        why: "That is what wazo-calld's RelocateSchema serialises.",
    },
    Erratum {
        id: "forwards-example-not-json",
        document: Document::Wazo,
        events: &["users_forwards_busy_updated"],
        document_says: "The example lacks the comma after \"enabled\": true, so it is not valid JSON.",
        we_do: "The fixture adds the comma; nothing else changes.",
        why: "An example that does not parse cannot be a fixture.",
    },
    Erratum {
        id: "forwards-name-placeholder",
        document: Document::Wazo,
        events: &[
            "users_forwards_busy_updated",
            "users_forwards_noanswer_updated",
            "users_forwards_unconditional_updated",
        ],
        document_says: "One section users_forwards_FORWARD_NAME_updated with {forward_name} in the keys, while the data has no forward_name field.",
        we_do: "Three events, each with its forward name written in its routing key and ACL. destination may be null.",
        why: "The forward name is part of the event name; wazo-confd sends a null destination when none is set.",
    },
    Erratum {
        id: "service-name-placeholder",
        document: Document::Wazo,
        events: &[
            "users_services_dnd_updated",
            "users_services_incallfilter_updated",
            "service_registered_event",
            "service_deregistered_event",
        ],
        document_says: "The keys contain an upper-case SERVICE_NAME outside braces, unlike every other placeholder.",
        we_do: "For user services, write the service name (dnd, incallfilter) into each event's keys; for the registry, use {service_name} from data.service_name.",
        why: "SERVICE_NAME is a placeholder; written literally it would match no real message.",
    },
    Erratum {
        id: "voicemail-section-title",
        document: Document::Wazo,
        events: &[
            "user_voicemail_message_created",
            "user_voicemail_message_updated",
            "user_voicemail_message_deleted",
        ],
        document_says: "The section is titled user_voicemail_message_created but documents three routing keys: created, updated, deleted.",
        we_do: "Three events with the same data and ACL, one routing key each.",
        why: "The text says messages are left, updated or deleted; the event names follow the created one.",
    },
    Erratum {
        id: "phonecom-call-uuid-not-uuid",
        document: Document::Phonecom,
        events: &["call"],
        document_says: "The example's data.uuid and first_leg.uuid are 1111-1111-1111-1111-111111111111, which is not a valid UUID.",
        we_do: "Type call and leg identifiers as strings; the envelope's uuid and data_object_uuid stay UUIDs.",
        why: "The documented example must conform.",
    },
    Erratum {
        id: "phonecom-object-uuid-differs",
        document: Document::Phonecom,
        events: &["call"],
        document_says: "data_object_uuid is \"the unique identifier of the data object\", yet the example's is 11111111-1111-1111-1111-111111111111 while data.uuid is 1111-1111-1111-1111-111111111111.",
        we_do: "Do not require data_object_uuid to equal data.uuid.",
        why: "The example would fail; the messages we generate use the same value for both.",
    },
    Erratum {
        id: "phonecom-null-leg-state",
        document: Document::Phonecom,
        events: &["call"],
        document_says: "Leg state is one of new, connecting, connected, completed and completion_status one of success, cancelled, busy, failed; the seed's example and every event of Phone.com's events-examples/inbound-call-to-device/ give first_leg (on an event about another leg) with null for both.",
        we_do: "first_leg is a copy of the first leg with state and completion_status null, as Phone.com sends it; event_leg always carries its state. The checker accepts null in either leg and rejects any other value.",
        why: "Every published example shows it; a consumer reading first_leg.state would read null from Phone.com, so it must from us too.",
    },
    Erratum {
        id: "phonecom-data-type-values",
        document: Document::Phonecom,
        events: &["message", "call-log", "recording", "api-error"],
        document_says: "The seed shows only \"call\" as a data_type value; Phone.com's events-examples/ give message.json \"message\", call-log.json \"call-log\", recording.json \"recording\" and api-error.json \"api-error\".",
        we_do: "Use message, call-log, recording and api-error; call_log (what switchboard wrote before) is an unknown data_type.",
        why: "The published examples are what Phone.com sends.",
    },
    Erratum {
        id: "phonecom-participant-id",
        document: Document::Phonecom,
        events: &["call", "message"],
        document_says: "id is \"the ID of the object; for type=did it will be phone number\"; the example has the number 777777 for a device and the string \"+15550000001\" for a DID.",
        we_do: "Accept a number or a string.",
        why: "Both appear in the documented example.",
    },
    Erratum {
        id: "phonecom-leg-tags",
        document: Document::Phonecom,
        events: &["call"],
        document_says: "The seed's example tags a second leg from-did, to-extension without saying what the tags describe; tags.md has to-extension (\"calling a Phone.com extension (device)\") and no to-device. Phone.com's inbound-call-to-device/ examples tag the first leg (did -> did) to-did and the second (did -> device) to-extension.",
        we_do: "from-* and to-* describe the event's leg: event_leg.from.type and event_leg.to.type, did as -did, device and extension as -extension. A subscription call+to-did gets the first leg's four events of an inbound call, call+to-extension the second leg's four.",
        why: "That is what every published example carries.",
    },
    Erratum {
        id: "phonecom-inbox-extension-null",
        document: Document::Phonecom,
        events: &["message"],
        document_says: "inbox.extension_id is \"the ID of the extension owning the inbox\"; Phone.com's events-examples/message.json has null.",
        we_do: "inbox.extension_id is a number or null; switchboard writes null for a message to a number no extension owns (the account's main number).",
        why: "The published example must conform; an account's number need not belong to an extension.",
    },
    Erratum {
        id: "phonecom-sms-media",
        document: Document::Phonecom,
        events: &["message"],
        document_says: "media is \"message attachments (for mms)\"; no published example is an SMS.",
        we_do: "An SMS carries \"media\": []; the checker also accepts an SMS without the key.",
        why: "Phone.com's examples write every documented key, null or empty rather than absent (message.json's inbox.extension_id is null), so an empty list is the likelier shape; the text allows either reading.",
    },
    Erratum {
        id: "phonecom-message-example-tags",
        document: Document::Phonecom,
        events: &["message"],
        document_says: "Phone.com's events-examples/message.json has data.type mms with an attachment, while its tags say sms-message; its tags are in the order message, *ms-message, sms-message, received-message, inbound.",
        we_do: "Tag an MMS mms-message and an SMS sms-message; write message tags in the example's order (message, *ms-message, kind, state, direction). The checker does not compare tags with data, so the example conforms.",
        why: "tags.md defines sms-message as \"message is of type SMS\": the example's tag contradicts its own data, and nothing shows which of the two is the slip.",
    },
    Erratum {
        id: "phonecom-recording-example-object-uuid",
        document: Document::Phonecom,
        events: &["recording"],
        document_says: "Phone.com's events-examples/recording.json has data_object_uuid 1111111-1111-1111-1111-111111111111: seven digits in the first group, while its data.uuid is 11111111-1111-1111-1111-111111111111.",
        we_do: "Report it: switchboard validate events-examples/recording.json finds one violation at /data_object_uuid. data_object_uuid stays a UUID.",
        why: "A provable typo: the same example's data.uuid, and every other example, have eight digits there; accepting any string would hide real mistakes.",
    },
    Erratum {
        id: "phonecom-api-error-source",
        document: Document::Phonecom,
        events: &["api-error"],
        document_says: "The seed has no api-error; tags.md says api-error is a \"request to API returned error\" (api-error-trusted: excluding unauthorized requests), account level only, and Phone.com's events-examples/api-error.json is a GET of /v4/accounts/1000002/wrong-endpoint answered 404.",
        we_do: "Produce api-error events from the scenario step api.error (a request to Phone.com's API that failed), for account-level listeners only, tagged api-error and, unless the status is 401, api-error-trusted. A callback that fails is reported in the delivery report, not as an api-error event.",
        why: "The documents tie api-error to the account's API requests; failing callbacks are what profiles.md's notification emails and the callback's fallback_callback_id are for.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<_> = errata().iter().map(|erratum| erratum.id).collect();
        assert!(
            ids.iter()
                .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
        ids.sort_unstable();
        let count = ids.len();
        ids.dedup();
        assert_eq!(count, ids.len());
    }
}
