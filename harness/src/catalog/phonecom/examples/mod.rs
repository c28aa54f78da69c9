//! The events Phone.com publishes as examples, kept byte for byte as facts.
//!
//! Source: the public repository `phonedotcom/events-integration-doc`,
//! directory `events-examples/`, commit 2c642257b40d81fb356bb85cdfd0b65dc9b28a4d.
//! Each file under `published/` has the path it has there below
//! `events-examples/`. The seed's own example (`docs/events-format.md`) is
//! [`super::CALL_EXAMPLE`].
//!
//! Every JSON example must pass the contract checker except where it is
//! provably a typo; those are listed in [`TYPOS`] and in the catalog errata.

/// `events-examples/message.json`: an inbound MMS with one attachment.
pub const MESSAGE: &str = include_str!("published/message.json");
/// `events-examples/call-log.json`.
pub const CALL_LOG: &str = include_str!("published/call-log.json");
/// `events-examples/recording.json`.
pub const RECORDING: &str = include_str!("published/recording.json");
/// `events-examples/api-error.json`.
pub const API_ERROR: &str = include_str!("published/api-error.json");
/// `events-examples/api-error-email-text.txt`: the same kind of event as an
/// EMAIL callback in `text` mode delivers it.
pub const API_ERROR_EMAIL_TEXT: &str = include_str!("published/api-error-email-text.txt");

/// `events-examples/inbound-call-to-device/*.json`: the eight events of an
/// inbound call answered on a device, in the order of their file names.
pub const INBOUND_CALL_TO_DEVICE: [(&str, &str); 8] = [
    (
        "inbound-call-to-device/1-1st-leg-new.json",
        include_str!("published/inbound-call-to-device/1-1st-leg-new.json"),
    ),
    (
        "inbound-call-to-device/2-1st-leg-connecting.json",
        include_str!("published/inbound-call-to-device/2-1st-leg-connecting.json"),
    ),
    (
        "inbound-call-to-device/3-2nd-leg-new.json",
        include_str!("published/inbound-call-to-device/3-2nd-leg-new.json"),
    ),
    (
        "inbound-call-to-device/4-2nd-leg-connecting.json",
        include_str!("published/inbound-call-to-device/4-2nd-leg-connecting.json"),
    ),
    (
        "inbound-call-to-device/5-2nd-leg-connected.json",
        include_str!("published/inbound-call-to-device/5-2nd-leg-connected.json"),
    ),
    (
        "inbound-call-to-device/6-1st-leg-connected.json",
        include_str!("published/inbound-call-to-device/6-1st-leg-connected.json"),
    ),
    (
        "inbound-call-to-device/7-2nd-leg-completed.json",
        include_str!("published/inbound-call-to-device/7-2nd-leg-completed.json"),
    ),
    (
        "inbound-call-to-device/8-1st-leg-completed.json",
        include_str!("published/inbound-call-to-device/8-1st-leg-completed.json"),
    ),
];

/// Every JSON example: its path below `events-examples/` and its text.
pub fn json_examples() -> Vec<(&'static str, &'static str)> {
    let mut all = vec![
        ("api-error.json", API_ERROR),
        ("call-log.json", CALL_LOG),
        ("message.json", MESSAGE),
        ("recording.json", RECORDING),
    ];
    all.extend(INBOUND_CALL_TO_DEVICE);
    all
}

/// The examples that are provably typos, and the JSON path of the typo: the
/// checker reports them, and the errata name them.
pub const TYPOS: &[(&str, &str)] = &[("recording.json", "/data_object_uuid")];
