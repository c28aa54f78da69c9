use proptest::prelude::*;

use super::*;
use crate::scenario::{HangupCause, Scenario, SourceFile};

fn scenario(steps: &str) -> Scenario {
    let text = format!(
        "name = \"t\"\n[users.alice]\n[users.carol]\n[externals.bob]\n[conferences.room]\n{steps}"
    );
    Scenario::parse(&SourceFile::new("t.toml", text)).unwrap()
}

fn shipped(name: &str) -> Scenario {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    Scenario::load(path).unwrap()
}

fn changes(timeline: &Timeline) -> Vec<(String, ChannelChange)> {
    timeline
        .events
        .iter()
        .filter_map(|timed| match &timed.event {
            DomainEvent::Channel {
                channel, change, ..
            } => Some((channel.party.clone(), *change)),
            _ => None,
        })
        .collect()
}

const ANSWERED_CALL: &str = r#"
[[steps]]
action = "call.start"
call = "c1"
from = "bob"
to = "alice"
[[steps]]
at = "+1s"
action = "call.ring"
call = "c1"
[[steps]]
at = "+2s"
action = "call.answer"
call = "c1"
"#;

#[test]
fn an_answered_call_moves_both_channels_to_up_and_bridges_them() {
    let timeline = simulate(&scenario(ANSWERED_CALL), &SimOptions::default()).unwrap();
    let bob = || "bob".to_string();
    let alice = || "alice".to_string();
    assert_eq!(
        changes(&timeline),
        [
            (bob(), ChannelChange::Created),
            (alice(), ChannelChange::Created),
            (alice(), ChannelChange::Ringing),
            (alice(), ChannelChange::Answered),
            (bob(), ChannelChange::Answered),
            (alice(), ChannelChange::Bridged),
            (bob(), ChannelChange::Bridged),
        ]
    );
    let DomainEvent::Channel { call, channel, .. } = &timeline.events.last().unwrap().event else {
        panic!("expected a channel event");
    };
    assert_eq!(call.direction, Direction::Inbound);
    assert_eq!(channel.state, ChannelState::Up);
    assert_eq!(channel.role, Role::Caller);
    assert_eq!(channel.talking_to.len(), 1);
    assert!(channel.bridge.is_some());
    let (epoch, sequence) = channel.id.split_once('.').unwrap();
    assert_eq!(
        epoch.parse::<i64>().unwrap(),
        DEFAULT_ANCHOR.unix_timestamp()
    );
    assert!(sequence.parse::<u64>().is_ok());
    assert!(channel.name.starts_with("PJSIP/trunk-"), "{}", channel.name);
    assert_eq!(
        timeline.events.last().unwrap().at,
        DEFAULT_ANCHOR + std::time::Duration::from_secs(3)
    );
}

#[test]
fn a_hangup_ends_both_sides() {
    let steps = format!(
        "{ANSWERED_CALL}\n[[steps]]\naction = \"call.hangup\"\ncall = \"c1\"\ncause = \"answered\"\nby = \"alice\""
    );
    let timeline = simulate(&scenario(&steps), &SimOptions::default()).unwrap();
    let ended: Vec<(String, ChannelChange)> =
        changes(&timeline).into_iter().rev().take(2).collect();
    let hung_up = ChannelChange::HungUp(HangupCause::Answered);
    assert_eq!(ended, [("bob".into(), hung_up), ("alice".into(), hung_up)]);
}

#[test]
fn steps_that_make_no_sense_are_refused_with_their_location() {
    let steps = "[[steps]]\naction = \"call.start\"\ncall = \"c1\"\nfrom = \"bob\"\nto = \"alice\"\n\n[[steps]]\naction = \"call.answer\"\ncall = \"c1\"";
    let error = simulate(&scenario(steps), &SimOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.toml:12:1: call \"c1\" is not ringing yet; add a call.ring step before answering"
    );
    let error = simulate(
        &scenario("[[steps]]\naction = \"call.ring\"\ncall = \"c9\""),
        &SimOptions::default(),
    )
    .unwrap_err();
    assert!(
        error.message.contains("call \"c9\" is not in progress"),
        "{error}"
    );
}

#[test]
fn delayed_outcomes_are_placed_in_time_order() {
    let steps = "[[steps]]\naction = \"fax.send\"\nfrom = \"alice\"\nto = \"123\"\noutcome = \"success\"\nafter = \"1m\"\n[[steps]]\nat = \"+10s\"\naction = \"user.edit\"\nuser = \"alice\"";
    let timeline = simulate(&scenario(steps), &SimOptions::default()).unwrap();
    let kinds: Vec<&str> = timeline
        .events
        .iter()
        .map(|timed| match &timed.event {
            DomainEvent::Fax {
                change: FaxChange::Created,
                ..
            } => "fax created",
            DomainEvent::Fax { .. } => "fax done",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["fax created", "other", "fax done"]);
}

#[test]
fn every_shipped_scenario_simulates() {
    let directory = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|extension| extension == "toml")
        {
            let scenario = Scenario::load(&path).unwrap();
            let timeline = simulate(&scenario, &SimOptions::default()).unwrap();
            assert!(!timeline.events.is_empty(), "{}", path.display());
            count += 1;
        }
    }
    assert!(count >= 14, "only {count} scenarios");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Same file + same seed ⇒ the same events, down to the last byte of
    /// their debug form; another seed changes the generated data.
    #[test]
    fn same_scenario_and_seed_give_identical_events(seed in any::<u64>(), index in 0usize..4) {
        let name = ["call_lifecycle", "call_relocate", "conference", "fax_failure"][index];
        let scenario = shipped(name);
        let options = SimOptions { seed: Some(seed), ..SimOptions::default() };
        let first = simulate(&scenario, &options).unwrap();
        let second = simulate(&scenario, &options).unwrap();
        prop_assert_eq!(format!("{first:?}"), format!("{second:?}"));
        let other = SimOptions { seed: Some(seed.wrapping_add(1)), ..SimOptions::default() };
        prop_assert_ne!(first.directory.platform, simulate(&scenario, &other).unwrap().directory.platform);
    }
}

#[test]
fn a_failover_ends_the_unanswered_channel_and_rings_the_next_party() {
    let timeline = simulate(&shipped("call_failover"), &SimOptions::default()).unwrap();
    let changes = changes(&timeline);
    assert_eq!(
        changes[..6],
        [
            ("bob".to_string(), ChannelChange::Created),
            ("alice".to_string(), ChannelChange::Created),
            ("alice".to_string(), ChannelChange::Ringing),
            (
                "alice".to_string(),
                ChannelChange::HungUp(HangupCause::NoAnswer)
            ),
            ("carol".to_string(), ChannelChange::Created),
            ("carol".to_string(), ChannelChange::Ringing),
        ]
    );
}

#[test]
fn a_recording_lasts_as_long_as_the_call_was_up() {
    let timeline = simulate(&shipped("call_log_and_recording"), &SimOptions::default()).unwrap();
    let recording = timeline
        .events
        .iter()
        .find_map(|timed| match &timed.event {
            DomainEvent::RecordingAvailable { recording, .. } => Some(recording.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(recording.duration_seconds, 200);
    assert_eq!(recording.size, 200 * 4_000);
}

#[test]
fn phonecom_only_steps_that_make_no_sense_are_refused() {
    let cases = [
        (
            "[[steps]]\naction = \"call_log.available\"\ncall = \"c\"\n",
            "no call \"c\" has ended",
        ),
        (
            "[[steps]]\naction = \"call.start\"\ncall = \"c\"\nfrom = \"bob\"\nto = \"alice\"\n[[steps]]\naction = \"recording.available\"\ncall = \"c\"\n",
            "call \"c\" is still in progress",
        ),
        (
            "[[steps]]\naction = \"call.start\"\ncall = \"c\"\nfrom = \"bob\"\nto = \"alice\"\n[[steps]]\naction = \"call.hangup\"\ncall = \"c\"\ncause = \"cancelled\"\n[[steps]]\naction = \"recording.available\"\ncall = \"c\"\n",
            "was never answered",
        ),
        (
            "[[steps]]\naction = \"call.start\"\ncall = \"c\"\nfrom = \"bob\"\nto = \"alice\"\n[[steps]]\naction = \"call.failover\"\ncall = \"c\"\nto = \"carol\"\n",
            "is not ringing",
        ),
        (
            "[[steps]]\naction = \"sms.receive\"\nmessage = \"m\"\nfrom = \"bob\"\nto = \"alice\"\ntext = \"a\"\n[[steps]]\naction = \"sms.send\"\nmessage = \"m\"\nfrom = \"alice\"\nto = \"bob\"\ntext = \"b\"\n",
            "message \"m\" was already sent or received",
        ),
    ];
    for (steps, expected) in cases {
        let error = simulate(&scenario(steps), &SimOptions::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn a_ring_group_member_answers_and_the_others_stop_ringing() {
    let steps = r#"
[[steps]]
action = "call.start"
call = "c"
from = "bob"
to = "alice"
[[steps]]
action = "call.ring"
call = "c"
group = ["carol"]
[[steps]]
action = "call.answer"
call = "c"
by = "carol"
"#;
    let timeline = simulate(&scenario(steps), &SimOptions::default()).unwrap();
    let changes = changes(&timeline);
    let alice_ends = changes
        .iter()
        .position(|change| {
            *change
                == (
                    "alice".to_string(),
                    ChannelChange::HungUp(HangupCause::NoAnswer),
                )
        })
        .unwrap();
    let carol_answers = changes
        .iter()
        .position(|change| *change == ("carol".to_string(), ChannelChange::Answered))
        .unwrap();
    assert!(carol_answers < alice_ends, "{changes:?}");

    let wrong = steps.replace("by = \"carol\"", "by = \"bob\"");
    let error = simulate(&scenario(&wrong), &SimOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("\"bob\" is not ringing on call \"c\"; ringing: alice, carol"),
        "{error}"
    );
}
