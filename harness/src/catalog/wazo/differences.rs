//! Where the document and current Wazo part ways, derived from the facts
//! table ([`super::current`]) rather than written twice: `switchboard
//! catalog errata` lists them in its section "document vs current Wazo".

use serde::Serialize;

use super::current::{self, CurrentSpec, Presence};
use super::{EventSpec, Profile, Wording, all_entries, ami};

/// One difference between the document and current Wazo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The event (the document's name; `*` for every message).
    pub event: String,
    /// What differs: `name`, `routing key`, `data field /join_time`, …
    pub what: String,
    /// What the document says (`-` when it says nothing).
    pub document: String,
    /// What current Wazo does.
    pub current: String,
    /// Where current Wazo's behaviour was read.
    pub source: &'static str,
}

/// Differences that hold for every message: the topology and the envelope.
const EVERY_MESSAGE: &[(&str, &str, &str, &str)] = &[
    (
        "exchange",
        "xivo (topic)",
        "wazo-headers (headers, durable), bound from xivo with #; wazo-auth alone still publishes on xivo",
        "wazo-calld, wazo-confd, wazo-amid wazo_*/config.py (bus.exchange_name); wazo-auth wazo_auth/config.py (amqp); wazo-test-helpers bus.py downstream_exchange_declare",
    ),
    (
        "delivery mode",
        "1 (not persistent)",
        "2 (persistent, kombu's default); content_encoding utf-8",
        "kombu entity.py maybe_delivery_mode, serialization.py register_json",
    ),
    (
        "headers",
        "name, origin_uuid, required_acl",
        "name, origin_uuid, timestamp, required_access, required_acl, tenant_uuid, user_uuid:* or user_uuid:<uuid> (true), the event's attributes (conference_id as a 32-bit int, forward_name, service_name)",
        "wazo-bus wazo_bus/mixins.py WazoEventMixin; resources/common/event.py",
    ),
    (
        "body",
        "{name, origin_uuid, required_acl?, data}",
        "every header copied beside data, written by Python's json.dumps (\", \" and \": \", non-ASCII escaped)",
        "wazo-bus wazo_bus/mixins.py __generate_payload; kombu utils/json.py",
    ),
    (
        "routing keys and ACLs",
        "values written as they are",
        "string values escaped: . as __DOT__, # as __HASH__, * as __STAR__; a missing value as None",
        "wazo-bus resources/common/routing_key.py, acl.py, abstract.py",
    ),
];

/// Every difference, the envelope's first, then the events' in the document's order.
pub fn differences() -> Vec<Difference> {
    let mut out: Vec<Difference> = EVERY_MESSAGE
        .iter()
        .map(|(what, document, current, source)| Difference {
            event: "*".to_owned(),
            what: (*what).to_owned(),
            document: (*document).to_owned(),
            current: (*current).to_owned(),
            source,
        })
        .collect();
    for entry in std::iter::once(ami::entry()).chain(all_entries()) {
        out.extend(of_event(entry.spec));
    }
    out
}

/// The differences of one event.
pub fn of_event(spec: &'static EventSpec) -> Vec<Difference> {
    let documented = Wording::of(spec, Profile::Documented);
    let current = Wording::of(spec, Profile::Wazo);
    let row = current.and_then(|wording| wording.current);
    let source = row.map_or("wazo-bus", |row| row.source);
    let difference = |what: &str, document: String, current: String| Difference {
        event: spec.name.to_owned(),
        what: what.to_owned(),
        document,
        current,
        source,
    };
    let (Some(documented), Some(current), Some(row)) = (documented, current, row) else {
        return vec![match documented {
            Some(_) => difference(
                "event",
                "documented".into(),
                "not published: removed from wazo-bus in 2019 (xivo-bus ca0d9ae1, \"remove unused xivo-cti events\")".into(),
            ),
            None => difference("event", "-".into(), "published (not in the document)".into()),
        }];
    };
    let mut out = Vec::new();
    if documented.name != current.name {
        out.push(difference(
            "name",
            documented.name.into(),
            current.name.into(),
        ));
    }
    if documented.routing_key.as_str() != current.routing_key.as_str() {
        out.push(difference(
            "routing key",
            documented.routing_key.as_str().into(),
            current.routing_key.as_str().into(),
        ));
    }
    let acl = |wording: &Wording| {
        wording
            .required_acl
            .map_or_else(|| "-".to_owned(), |acl| acl.as_str().to_owned())
    };
    if acl(&documented) != acl(&current) {
        out.push(difference("required_acl", acl(&documented), acl(&current)));
    }
    for fact in row.fields {
        let (document, now) = (fact.documented, fact.wazo);
        if document.written() == now.written() && !matches!(document, Presence::Tolerated) {
            continue;
        }
        out.push(difference(
            &format!("data field {}", fact.field),
            presence(document).into(),
            presence(now).into(),
        ));
    }
    if !row.attributes.is_empty() {
        let attributes: Vec<String> = row
            .attributes
            .iter()
            .map(|attribute| format!("{} ({:?})", attribute.header, attribute.kind))
            .collect();
        out.push(difference(
            "attribute headers",
            "-".into(),
            attributes.join(", "),
        ));
    }
    out.push(difference("audience", "-".into(), audience(row).into()));
    out
}

fn presence(presence: Presence) -> &'static str {
    match presence {
        Presence::Absent => "absent",
        Presence::Tolerated => "tolerated, not in the example",
        Presence::Optional => "optional",
        Presence::Required => "always sent (null when unknown)",
        Presence::RequiredNonNull => "always sent, never null",
    }
}

fn audience(row: &CurrentSpec) -> &'static str {
    match row.audience {
        current::Audience::Service => "service event: no tenant_uuid, no user_uuid flags",
        current::Audience::Tenant => "tenant event: tenant_uuid, user_uuid:* = true",
        current::Audience::User => "user event: tenant_uuid, user_uuid:<uuid> = true",
        current::Audience::MultiUser => {
            "multi-user event: tenant_uuid, one user_uuid:<uuid> = true per user"
        }
    }
}
