use rstest::rstest;

use super::*;

const HEADER: &str = r#"name = "t"

[users.alice]
[users.carol]
[externals.bob]
number = "+15145550100"
"#;

fn parse(steps: &str) -> Result<Scenario, ScenarioError> {
    let text = format!("{HEADER}\n{steps}");
    Scenario::parse(&SourceFile::new("x.toml", text))
}

fn error(steps: &str) -> String {
    match parse(steps) {
        Ok(scenario) => panic!("expected an error, got {scenario:#?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_call_parses_into_timed_actions() {
    let scenario = parse(
        r#"
[[steps]]
at = "+1s"
action = "call.start"
call = "c1"
from = "bob"
to = "alice"

[[steps]]
at = "+2s"
action = "call.hangup"
call = "c1"
cause = "cancelled"

[[steps]]
at = "10s"
action = "call.ring"
call = "c1"
"#,
    )
    .unwrap();
    let times: Vec<u64> = scenario
        .steps
        .iter()
        .map(|step| step.at.as_secs())
        .collect();
    assert_eq!(times, [1, 3, 10]);
    assert_eq!(scenario.seed, DEFAULT_SEED);
    assert_eq!(scenario.steps[0].location.to_string(), "x.toml:9:1");
    assert_eq!(
        scenario.steps[1].action,
        Action::CallHangup {
            call: "c1".into(),
            cause: HangupCause::Cancelled,
            by: None
        }
    );
}

#[rstest]
#[case::unknown_action(
    "[[steps]]\naction = \"call.strat\"\ncall = \"c1\"",
    "x.toml:9:10: unknown action \"call.strat\"; known actions are: call.start, call.ring"
)]
#[case::unknown_party(
    "[[steps]]\naction = \"call.start\"\ncall = \"c1\"\nfrom = \"dave\"\nto = \"alice\"",
    "x.toml:11:8: unknown party \"dave\"; parties are: alice, carol, bob"
)]
#[case::step_before_previous(
    "[[steps]]\nat = \"5s\"\naction = \"call.ring\"\ncall = \"c\"\n[[steps]]\nat = \"2s\"\naction = \"call.ring\"\ncall = \"c\"",
    "x.toml:13:6: this step at 2s comes before the previous step (at 5s)"
)]
#[case::bad_duration(
    "[[steps]]\nat = \"+2 parsecs\"\naction = \"call.ring\"\ncall = \"c\"",
    "x.toml:9:6: bad duration \"2 parsecs\""
)]
#[case::missing_argument(
    "[[steps]]\naction = \"call.start\"\ncall = \"c1\"\nto = \"alice\"",
    "x.toml:9:10: `call.start` needs the argument `from`; it takes: call, from, to"
)]
#[case::missing_action("[[steps]]\ncall = \"c1\"", "missing field `action`")]
#[case::wrong_type(
    "[[steps]]\naction = \"call.ring\"\ncall = 12",
    "x.toml:10:8: invalid type: integer `12`, expected a string"
)]
#[case::argument_of_another_action(
    "[[steps]]\naction = \"call.ring\"\ncall = \"c\"\ncause = \"busy\"",
    "x.toml:11:9: `cause` is not an argument of `call.ring`; it takes: call"
)]
#[case::unknown_argument(
    "[[steps]]\naction = \"call.ring\"\ncall = \"c\"\ncolour = \"red\"",
    "x.toml:11:1: unknown field `colour`"
)]
#[case::bad_choice(
    "[[steps]]\naction = \"call.hangup\"\ncall = \"c\"\ncause = \"bored\"",
    "bad cause \"bored\"; expected one of \"answered\", \"busy\", \"no_answer\", \"cancelled\""
)]
fn errors_name_the_place_and_what_is_expected(#[case] steps: &str, #[case] expected: &str) {
    let message = error(steps);
    assert!(
        message.contains(expected),
        "expected {expected:?} in:\n{message}"
    );
}

#[test]
fn every_error_of_a_file_is_reported() {
    let message = error(
        "[[steps]]\naction = \"nope\"\n[[steps]]\naction = \"call.ring\"\n[[steps]]\naction = \"call.ring\"\ncall = \"c\"\nfrom = \"bob\"",
    );
    assert_eq!(message.lines().count(), 3, "{message}");
}

#[test]
fn unknown_tenant_of_a_user_is_reported() {
    let text = "name = \"t\"\n[users.alice]\ntenant = \"acme\"\n";
    let error = Scenario::parse(&SourceFile::new("y.toml", text)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "y.toml:3:10: unknown tenant \"acme\"; the scenario declares no tenants"
    );
}

#[test]
fn every_listed_action_is_built() {
    // Give every argument a plausible value; each action picks what it takes.
    for spec in action::ACTIONS {
        let mut lines = vec![format!("action = \"{}\"", spec.name)];
        for argument in spec.required {
            // A text message's outside side must be an external.
            let outside = if spec.name.ends_with(".receive") {
                "from"
            } else {
                "to"
            };
            let texting = spec.name.starts_with("sms.") || spec.name.starts_with("mms.");
            let value = match *argument {
                side if texting && side == outside => "\"x\"",
                "from" | "to" | "by" | "party" | "user" => "\"alice\"",
                "cause" => "\"answered\"",
                "state" => "\"started\"",
                "outcome" => "\"success\"",
                "forward" => "\"busy\"",
                "service" if spec.name.starts_with("user.") => "\"dnd\"",
                "folder" => "\"old\"",
                "enabled" => "true",
                "entry" => "42",
                "status" => "404",
                "agent" => "\"agent\"",
                "conference" => "\"room\"",
                "tenant" => "\"acme\"",
                "media" => "[{ filename = \"a.jpg\", type = \"image/jpeg\", size = 1 }]",
                _ => "\"x\"",
            };
            lines.push(format!("{argument} = {value}"));
        }
        let text = format!(
            "name = \"t\"\n[users.alice]\n[externals.x]\n[agents.agent]\n[conferences.room]\n[tenants.acme]\n[[steps]]\n{}\n",
            lines.join("\n")
        );
        let parsed = Scenario::parse(&SourceFile::new("all.toml", text));
        assert!(parsed.is_ok(), "{}: {}", spec.name, parsed.unwrap_err());
    }
}

#[test]
fn phonecom_spacing_defaults_to_phonecoms_and_the_scenario_may_change_it() {
    let plain = Scenario::parse(&SourceFile::new("p.toml", "name = \"p\"\n".to_string())).unwrap();
    assert_eq!(plain.phonecom, PhonecomTiming::PUBLISHED);
    let text = "name = \"p\"\n[phonecom]\nconnecting_delay = \"1s\"\ncompleted_gap = \"0s\"\n";
    let tuned = Scenario::parse(&SourceFile::new("p.toml", text.to_string())).unwrap();
    assert_eq!(
        tuned.phonecom,
        PhonecomTiming {
            connecting_delay: Duration::from_secs(1),
            completed_gap: Duration::ZERO,
        }
    );
    let text = "name = \"p\"\n[phonecom]\ncompleted_gap = \"soon\"\n";
    let error = Scenario::parse(&SourceFile::new("p.toml", text.to_string())).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("p.toml:3:17: bad duration \"soon\""),
        "{error}"
    );
}

#[test]
fn an_api_error_needs_an_error_status() {
    let text = "name = \"p\"\n[[steps]]\naction = \"api.error\"\nurl = \"/v4/x\"\nstatus = 200\n";
    let error = Scenario::parse(&SourceFile::new("p.toml", text.to_string())).unwrap_err();
    assert_eq!(
        error.to_string(),
        "p.toml:5:10: status 200 is not an error; an API error has a status from 400 to 599"
    );
}

#[rstest]
#[case::sms_with_media(
    "action = \"sms.send\"\nmessage = \"m\"\nfrom = \"alice\"\nto = \"bob\"\ntext = \"t\"\nmedia = []",
    "`media` is not an argument of `sms.send`"
)]
#[case::mms_without_attachment(
    "action = \"mms.send\"\nmessage = \"m\"\nfrom = \"alice\"\nto = \"bob\"\nmedia = []",
    "an MMS needs at least one attachment"
)]
#[case::message_from_a_user_to_a_user(
    "action = \"sms.receive\"\nmessage = \"m\"\nfrom = \"carol\"\nto = \"alice\"\ntext = \"t\"",
    "unknown external \"carol\"; externals are: bob"
)]
#[case::bad_hangup_cause(
    "action = \"call.hangup\"\ncall = \"c\"\ncause = \"exploded\"",
    "expected one of \"answered\", \"busy\", \"no_answer\", \"cancelled\", \"failed\""
)]
fn phonecom_actions_name_their_mistakes(#[case] step: &str, #[case] expected: &str) {
    let message = error(&format!("[[steps]]\n{step}\n"));
    assert!(message.contains(expected), "{message}");
}

#[test]
fn tokens_parse_with_their_defaults_left_open() {
    let scenario = parse(
        r#"
[tokens.alice_narrow]
user = "alice"
acl = ["websocketd", "events.calls.me"]
expires = "2s"
session = "5a5a5a5a-0000-4000-8000-000000000001"

[tokens.api]
purpose = "external_api"
admin = true
id = "api-token"
"#,
    )
    .unwrap();
    let narrow = &scenario.tokens["alice_narrow"];
    assert_eq!(narrow.user.as_deref(), Some("alice"));
    assert_eq!(narrow.expires, Some(std::time::Duration::from_secs(2)));
    assert_eq!(narrow.acl.as_ref().unwrap().len(), 2);
    assert_eq!(narrow.purpose, None);
    let api = &scenario.tokens["api"];
    assert_eq!(api.purpose.as_deref(), Some("external_api"));
    assert!(api.admin);
    assert_eq!(api.id.as_deref(), Some("api-token"));
}

#[rstest]
#[case(
    "[tokens.t]\nuser = \"dave\"\n",
    "x.toml:9:8: unknown user \"dave\"; users are: alice, carol"
)]
#[case(
    "[tokens.t]\ntenant = \"acme\"\n",
    "x.toml:9:10: unknown tenant \"acme\"; the scenario declares no tenants"
)]
#[case(
    "[tokens.t]\nexpires = \"soon\"\n",
    "x.toml:9:11: bad duration \"soon\""
)]
#[case(
    "[tokens.t]\npurpose = \"root\"\n",
    "x.toml:9:11: unknown token purpose \"root\"; purposes are: user, internal, external_api"
)]
#[case("[tokens.t]\nscope = \"x\"\n", "x.toml:9:1: unknown field `scope`")]
#[case(
    "[tokens.a]\nid = \"same\"\n[tokens.b]\nid = \"same\"\n",
    "tokens \"a\" and \"b\" have the same id \"same\""
)]
fn token_errors_name_their_place(#[case] tokens: &str, #[case] expected: &str) {
    let message = error(tokens);
    assert!(message.contains(expected), "{message}");
}
