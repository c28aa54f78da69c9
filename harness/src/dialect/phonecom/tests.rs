use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::catalog::phonecom::{Call, CompletionStatus, ContextType, Envelope};
use crate::scenario::{Scenario, SourceFile};
use crate::sim::{self, SimOptions};

fn rendered(steps: &str, options: &RenderOptions) -> Rendered {
    let text = format!(
        "name = \"t\"\nseed = 3\n[users.alice]\nextension = \"500\"\n[users.carol]\n[externals.bob]\n{steps}"
    );
    let scenario = Scenario::parse(&SourceFile::new("t.toml", text)).unwrap();
    let timeline = sim::simulate(&scenario, &SimOptions::default()).unwrap();
    render(&timeline, options).unwrap()
}

const ANSWERED_AND_HELD: &str = r#"
[[steps]]
action = "call.start"
call = "c"
from = "bob"
to = "alice"
[[steps]]
at = "+10ms"
action = "call.ring"
call = "c"
[[steps]]
at = "+20ms"
action = "call.answer"
call = "c"
[[steps]]
at = "+1s"
action = "call.hold"
call = "c"
[[steps]]
at = "+1s"
action = "call.resume"
call = "c"
[[steps]]
at = "+1s"
action = "call.hangup"
call = "c"
cause = "answered"
"#;

fn call_data(event: &PhonecomEvent) -> Call {
    serde_json::from_value(event.data.clone()).unwrap()
}

#[test]
fn hold_and_bridging_say_nothing_and_every_envelope_is_a_catalog_event() {
    let rendered = rendered(ANSWERED_AND_HELD, &RenderOptions::default());
    assert_eq!(rendered.events.len(), 8);
    let context = Context {
        kind: ContextType::Account,
        id: rendered.account_id,
        voip_id: rendered.account_id,
    };
    for event in &rendered.events {
        let envelope = event.envelope(77, &context);
        let typed: Envelope<Value> = serde_json::from_value(envelope.clone()).unwrap();
        assert_eq!(typed.listener_id, 77);
        assert_eq!(typed.timestamp, event.timestamp_ns / 1_000_000_000);
        let report = crate::contract::check_phonecom(&envelope);
        assert!(report.is_ok(), "{:?}", report.violations);
    }
}

#[test]
fn the_caller_hanging_up_first_completes_the_first_leg_first() {
    let rendered = rendered(ANSWERED_AND_HELD, &RenderOptions::default());
    let last: Vec<(bool, Option<CompletionStatus>)> = rendered.events[6..]
        .iter()
        .map(|event| {
            let leg = call_data(event).event_leg;
            (leg.is_first, leg.completion_status)
        })
        .collect();
    assert_eq!(
        last,
        [
            (true, Some(CompletionStatus::Success)),
            (false, Some(CompletionStatus::Success))
        ]
    );
}

#[test]
fn a_failed_call_completes_every_leg_failed() {
    let rendered = rendered(
        r#"
[[steps]]
action = "call.start"
call = "c"
from = "alice"
to = "bob"
[[steps]]
at = "+10ms"
action = "call.ring"
call = "c"
[[steps]]
at = "+1s"
action = "call.hangup"
call = "c"
cause = "failed"
"#,
        &RenderOptions::default(),
    );
    let completions: Vec<Option<CompletionStatus>> = rendered
        .events
        .iter()
        .filter(|event| event.tags.iter().any(|tag| tag == "completed-call"))
        .map(|event| call_data(event).event_leg.completion_status)
        .collect();
    assert_eq!(
        completions,
        [
            Some(CompletionStatus::Failed),
            Some(CompletionStatus::Failed)
        ]
    );
    // An outbound call: the first leg leaves a device for a DID.
    let first = call_data(&rendered.events[0]);
    assert_eq!(
        rendered.events[0].tags,
        [
            "call",
            "new-call",
            "first-leg",
            "outbound",
            "from-extension",
            "to-did"
        ]
    );
    assert_eq!(
        first.event_leg.from.kind,
        crate::catalog::phonecom::ParticipantType::Device
    );
}

#[test]
fn reordering_shuffles_only_within_the_window_and_is_fixed_by_the_seed() {
    let plain = rendered(ANSWERED_AND_HELD, &RenderOptions::default());
    let options = RenderOptions {
        reorder_window: Some(Duration::from_millis(50)),
    };
    let shuffled = rendered(ANSWERED_AND_HELD, &options);
    assert_eq!(shuffled, rendered(ANSWERED_AND_HELD, &options));
    // The first three events lie within 10 ms of each other, the next three
    // (the 2nd leg connecting 640 ms after its new, then both legs
    // connected) share an instant, the last two are 40 ms apart three
    // seconds later: each run stays in its place.
    let mut head: Vec<usize> = shuffled.events[..3]
        .iter()
        .map(|event| event.index)
        .collect();
    head.sort_unstable();
    assert_eq!(head, [0, 1, 2]);
    let mut middle: Vec<usize> = shuffled.events[3..6]
        .iter()
        .map(|event| event.index)
        .collect();
    middle.sort_unstable();
    assert_eq!(middle, [3, 4, 5]);
    let mut tail: Vec<usize> = shuffled.events[6..]
        .iter()
        .map(|event| event.index)
        .collect();
    tail.sort_unstable();
    assert_eq!(tail, [6, 7]);
    assert_eq!(shuffled.events.len(), plain.events.len());

    // Over a few seeds, some order differs from the simulation's.
    let mut events = plain.events.clone();
    let reordered = (0..20).any(|seed| {
        reorder::shuffle_close_events(&mut events, Duration::from_millis(50), seed);
        let order: Vec<usize> = events.iter().map(|event| event.index).collect();
        events.sort_by_key(|event| event.index);
        order != (0..plain.events.len()).collect::<Vec<_>>()
    });
    assert!(reordered);
}

#[test]
fn a_non_numeric_extension_is_a_clear_error() {
    let text = "name = \"t\"\n[users.alice]\nextension = \"*10\"\n[externals.bob]\n[[steps]]\naction = \"call.start\"\ncall = \"c\"\nfrom = \"bob\"\nto = \"alice\"\n[[steps]]\naction = \"call.ring\"\ncall = \"c\"\n";
    let scenario = Scenario::parse(&SourceFile::new("t.toml", text.to_string())).unwrap();
    let timeline = sim::simulate(&scenario, &SimOptions::default()).unwrap();
    let error = render(&timeline, &RenderOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "user \"alice\" has extension \"*10\", which is not a number; Phone.com extensions are numbers (set `extension = \"1001\"`)"
    );
}

/// (leg is first, state, milliseconds after the first event).
fn steps(rendered: &Rendered) -> Vec<(bool, String, u64)> {
    let start = rendered.events[0].timestamp_ns;
    rendered
        .events
        .iter()
        .map(|event| {
            let leg = &event.data["event_leg"];
            (
                leg["is_first"].as_bool().unwrap(),
                leg["state"].as_str().unwrap().to_string(),
                (event.timestamp_ns - start) / 1_000_000,
            )
        })
        .collect()
}

fn step(first: bool, state: &str, ms: u64) -> (bool, String, u64) {
    (first, state.to_string(), ms)
}

#[test]
fn a_call_answered_before_its_connecting_step_keeps_its_order() {
    // Rung at 10 ms, answered at 30 ms: Phone.com's connecting comes at 650 ms,
    // and the rest of the call follows it rather than overtaking it.
    let rendered = rendered(ANSWERED_AND_HELD, &RenderOptions::default());
    assert_eq!(
        steps(&rendered),
        [
            step(true, "new", 0),
            step(true, "connecting", 0),
            step(false, "new", 10),
            step(false, "connecting", 650),
            step(false, "connected", 650),
            step(true, "connected", 650),
            step(true, "completed", 3030),
            step(false, "completed", 3070),
        ]
    );
}

#[test]
fn the_scenario_sets_the_spacing_and_zero_keeps_the_simulations_instants() {
    let none = format!(
        "[phonecom]\nconnecting_delay = \"0s\"\ncompleted_gap = \"0s\"\n{ANSWERED_AND_HELD}"
    );
    let unspaced = rendered(&none, &RenderOptions::default());
    let times: Vec<u64> = steps(&unspaced).into_iter().map(|(_, _, ms)| ms).collect();
    assert_eq!(times, [0, 0, 10, 10, 30, 30, 3030, 3030]);

    let slow = format!("[phonecom]\nconnecting_delay = \"2s\"\n{ANSWERED_AND_HELD}");
    let spaced = rendered(&slow, &RenderOptions::default());
    let times: Vec<u64> = steps(&spaced).into_iter().map(|(_, _, ms)| ms).collect();
    assert_eq!(times, [0, 0, 10, 2010, 2010, 2010, 3030, 3070]);
}

#[test]
fn spaced_events_of_one_call_let_another_calls_events_through_in_time_order() {
    let two_calls = r#"
[[steps]]
action = "call.start"
call = "a"
from = "bob"
to = "alice"
[[steps]]
action = "call.ring"
call = "a"
[[steps]]
at = "+100ms"
action = "call.start"
call = "b"
from = "carol"
to = "bob"
"#;
    let rendered = rendered(two_calls, &RenderOptions::default());
    let order: Vec<(String, u64)> = rendered
        .events
        .iter()
        .map(|event| {
            (
                event.tags[1].clone(),
                (event.timestamp_ns - rendered.events[0].timestamp_ns) / 1_000_000,
            )
        })
        .collect();
    let at = |tag: &str, ms| (tag.to_string(), ms);
    assert_eq!(
        order,
        [
            at("new-call", 0),
            at("connecting-call", 0),
            at("new-call", 0),
            at("new-call", 100),
            at("connecting-call", 100),
            at("connecting-call", 640),
        ]
    );
    // Indices and uuids follow the delivery order.
    let indices: Vec<usize> = rendered.events.iter().map(|event| event.index).collect();
    assert_eq!(indices, [0, 1, 2, 3, 4, 5]);
}
