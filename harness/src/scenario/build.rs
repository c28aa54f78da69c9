//! Turns a [`RawScenario`] into a validated [`Scenario`], collecting every
//! problem with its location rather than stopping at the first.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde_json::{Map, Value};
use toml::Spanned;

use super::action::{
    ACTIONS, Action, ActionSpec, ExternalAuthChange, FaxOutcome, ForwardKind, HangupCause,
    MediaSpec, MessageDirection, MessageKind, ServiceKind, Toggle, VoicemailFolder, find_spec,
};
use super::location::{Diagnostic, SourceFile};
use super::parties::{AgentSpec, ConferenceSpec, ExternalSpec, PartySpecs, TenantSpec, UserSpec};
use super::raw::{RawScenario, RawStep};
use super::timing::{At, parse_duration};
use super::tokens::{PURPOSES, TokenSpec};
use super::{PhonecomTiming, Scenario, Step};

/// The seed used when a scenario gives none.
pub const DEFAULT_SEED: u64 = 1;

/// The default time between two plugin progress statuses.
const DEFAULT_PLUGIN_EVERY: Duration = Duration::from_secs(1);
/// The default time a fax takes to be sent or fail.
const DEFAULT_FAX_AFTER: Duration = Duration::from_secs(30);
/// The default length of a voicemail message.
const DEFAULT_VOICEMAIL_DURATION: Duration = Duration::from_secs(12);

pub(crate) fn build(source: &SourceFile, raw: RawScenario) -> Result<Scenario, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let utc_offset = match &raw.utc_offset {
        None => super::DEFAULT_UTC_OFFSET,
        Some(text) => match parse_utc_offset(text.get_ref()) {
            Ok(offset) => offset,
            Err(message) => {
                diagnostics.push(source.diagnostic(text.span(), message));
                super::DEFAULT_UTC_OFFSET
            }
        },
    };
    let phonecom = build_phonecom(source, &raw, &mut diagnostics);
    let parties = build_parties(source, &raw, &mut diagnostics);
    let tokens = build_tokens(source, &raw, &parties, &mut diagnostics);
    let context = Context {
        source,
        parties: &parties,
    };

    let mut steps = Vec::new();
    let mut previous = Duration::ZERO;
    for raw_step in &raw.steps {
        match context.step(raw_step, previous) {
            Ok(step) => {
                previous = step.at;
                steps.push(step);
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }

    if diagnostics.is_empty() {
        Ok(Scenario {
            name: raw.name.into_inner(),
            description: raw.description,
            seed: raw.seed.unwrap_or(DEFAULT_SEED),
            ami: raw.ami,
            utc_offset,
            origin_uuid: raw.origin_uuid,
            phonecom,
            parties,
            tokens,
            steps,
        })
    } else {
        Err(diagnostics)
    }
}

/// Parses `+HH:MM` / `-HH:MM`.
fn parse_utc_offset(text: &str) -> Result<time::UtcOffset, String> {
    let format = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
    time::UtcOffset::parse(text, &format)
        .map_err(|_| format!("bad utc_offset \"{text}\"; expected e.g. \"-05:00\" or \"+01:00\""))
}

/// `[phonecom]`: each duration given replaces Phone.com's published spacing.
fn build_phonecom(
    source: &SourceFile,
    raw: &RawScenario,
    diagnostics: &mut Vec<Diagnostic>,
) -> PhonecomTiming {
    let mut timing = PhonecomTiming::default();
    let Some(given) = &raw.phonecom else {
        return timing;
    };
    for (text, field) in [
        (&given.connecting_delay, &mut timing.connecting_delay),
        (&given.completed_gap, &mut timing.completed_gap),
    ] {
        if let Some(text) = text {
            match parse_duration(text.get_ref()) {
                Ok(duration) => *field = duration,
                Err(message) => diagnostics.push(source.diagnostic(text.span(), message)),
            }
        }
    }
    timing
}

fn build_parties(
    source: &SourceFile,
    raw: &RawScenario,
    diagnostics: &mut Vec<Diagnostic>,
) -> PartySpecs {
    let tenants: BTreeMap<String, TenantSpec> = raw
        .tenants
        .iter()
        .map(|(handle, tenant)| {
            let spec = TenantSpec {
                uuid: tenant.uuid,
                name: tenant.name.clone(),
                slug: tenant.slug.clone(),
            };
            (handle.clone(), spec)
        })
        .collect();
    let mut users = BTreeMap::new();
    for (handle, user) in &raw.users {
        if let Some(tenant) = &user.tenant
            && !tenants.contains_key(tenant.get_ref())
        {
            diagnostics.push(unknown(source, tenant, "tenant", tenants.keys()));
        }
        let spec = UserSpec {
            uuid: user.uuid,
            id: user.id,
            extension: user.extension.clone(),
            line: user.line.clone(),
            name: user.name.clone(),
            tenant: user.tenant.as_ref().map(|tenant| tenant.get_ref().clone()),
        };
        users.insert(handle.clone(), spec);
    }
    let mut externals = BTreeMap::new();
    for (handle, external) in &raw.externals {
        if users.contains_key(handle) {
            let message = format!(
                "\"{handle}\" is declared both as a user and as an external; party handles must be unique"
            );
            diagnostics.push(source.diagnostic(raw.name.span(), message));
        }
        let spec = ExternalSpec {
            number: external.number.clone(),
            name: external.name.clone(),
        };
        externals.insert(handle.clone(), spec);
    }
    let mut agents = BTreeMap::new();
    for (handle, agent) in &raw.agents {
        if let Some(user) = &agent.user
            && !users.contains_key(user.get_ref())
        {
            diagnostics.push(unknown(source, user, "user", users.keys()));
        }
        let spec = AgentSpec {
            id: agent.id,
            number: agent.number.clone(),
            user: agent.user.as_ref().map(|user| user.get_ref().clone()),
        };
        agents.insert(handle.clone(), spec);
    }
    let conferences = raw
        .conferences
        .iter()
        .map(|(handle, conference)| {
            let spec = ConferenceSpec {
                id: conference.id,
                name: conference.name.clone(),
                extension: conference.extension.clone(),
            };
            (handle.clone(), spec)
        })
        .collect();
    PartySpecs {
        tenants,
        users,
        externals,
        agents,
        conferences,
    }
}

/// `[tokens.<name>]`: handles exist, the expiry parses, the purpose is wazo-auth's.
fn build_tokens(
    source: &SourceFile,
    raw: &RawScenario,
    parties: &PartySpecs,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, TokenSpec> {
    let mut tokens = BTreeMap::new();
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, token) in &raw.tokens {
        let span = token.span();
        let token = token.get_ref();
        if let Some(user) = &token.user
            && !parties.users.contains_key(user.get_ref())
        {
            diagnostics.push(unknown(source, user, "user", parties.users.keys()));
        }
        if let Some(tenant) = &token.tenant
            && !parties.tenants.contains_key(tenant.get_ref())
        {
            diagnostics.push(unknown(source, tenant, "tenant", parties.tenants.keys()));
        }
        let expires = token.expires.as_ref().and_then(|text| {
            parse_duration(text.get_ref())
                .map_err(|message| diagnostics.push(source.diagnostic(text.span(), message)))
                .ok()
        });
        if let Some(purpose) = &token.purpose
            && !PURPOSES.contains(&purpose.get_ref().as_str())
        {
            let message = format!(
                "unknown token purpose \"{}\"; purposes are: {}",
                purpose.get_ref(),
                PURPOSES.join(", ")
            );
            diagnostics.push(source.diagnostic(purpose.span(), message));
        }
        if let Some(id) = &token.id {
            if id.is_empty() {
                diagnostics.push(
                    source.diagnostic(span.clone(), format!("token \"{name}\" has an empty id")),
                );
            } else if let Some(other) = ids.insert(id, name) {
                let message =
                    format!("tokens \"{other}\" and \"{name}\" have the same id \"{id}\"");
                diagnostics.push(source.diagnostic(span.clone(), message));
            }
        }
        let spec = TokenSpec {
            id: token.id.clone(),
            user: token.user.as_ref().map(|user| user.get_ref().clone()),
            tenant: token.tenant.as_ref().map(|tenant| tenant.get_ref().clone()),
            acl: token.acl.clone(),
            session: token.session,
            expires,
            purpose: token
                .purpose
                .as_ref()
                .map(|purpose| purpose.get_ref().clone()),
            admin: token.admin,
        };
        tokens.insert(name.clone(), spec);
    }
    tokens
}

/// `unknown party "bob"; parties are: alice, carol`.
fn unknown<'a>(
    source: &SourceFile,
    value: &Spanned<String>,
    kind: &str,
    known: impl Iterator<Item = &'a String>,
) -> Diagnostic {
    let known: Vec<&str> = known.map(String::as_str).collect();
    let plural = match kind.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{kind}s"),
    };
    let listing = if known.is_empty() {
        format!("the scenario declares no {plural}")
    } else {
        format!("{plural} are: {}", known.join(", "))
    };
    source.diagnostic(
        value.span(),
        format!("unknown {kind} \"{}\"; {listing}", value.get_ref()),
    )
}

struct Context<'a> {
    source: &'a SourceFile,
    parties: &'a PartySpecs,
}

/// One step being validated: its raw form and the action's specification.
struct StepArgs<'a> {
    raw: &'a RawStep,
    spec: &'static ActionSpec,
    source: &'a SourceFile,
    action_span: Range<usize>,
}

impl StepArgs<'_> {
    /// The value of a required argument.
    fn required<'v, T>(
        &self,
        value: &'v Option<Spanned<T>>,
        name: &str,
    ) -> Result<&'v Spanned<T>, Diagnostic> {
        value.as_ref().ok_or_else(|| {
            self.source.diagnostic(
                self.action_span.clone(),
                format!(
                    "`{}` needs the argument `{name}`; it takes: {}",
                    self.spec.name,
                    describe_arguments(self.spec)
                ),
            )
        })
    }

    /// The value of one of a fixed set of words.
    fn choice<T: Copy>(
        &self,
        value: &Spanned<String>,
        name: &str,
        choices: &[(&str, T)],
    ) -> Result<T, Diagnostic> {
        choices
            .iter()
            .find(|(word, _)| *word == value.get_ref())
            .map(|(_, choice)| *choice)
            .ok_or_else(|| {
                let words: Vec<String> = choices
                    .iter()
                    .map(|(word, _)| format!("\"{word}\""))
                    .collect();
                self.source.diagnostic(
                    value.span(),
                    format!(
                        "bad {name} \"{}\"; expected one of {}",
                        value.get_ref(),
                        words.join(", ")
                    ),
                )
            })
    }

    fn duration(
        &self,
        value: &Option<Spanned<String>>,
        default: Duration,
    ) -> Result<Duration, Diagnostic> {
        match value {
            None => Ok(default),
            Some(text) => parse_duration(text.get_ref())
                .map_err(|message| self.source.diagnostic(text.span(), message)),
        }
    }

    fn table(
        &self,
        value: &Option<Spanned<toml::Table>>,
    ) -> Result<Map<String, Value>, Diagnostic> {
        let Some(table) = value else {
            return Ok(Map::new());
        };
        match serde_json::to_value(table.get_ref()) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) | Err(_) => Err(self.source.diagnostic(
                table.span(),
                "this table cannot be expressed as JSON (TOML dates are not supported here; use strings)",
            )),
        }
    }
}

fn describe_arguments(spec: &ActionSpec) -> String {
    let mut words: Vec<String> = spec.required.iter().map(|name| name.to_string()).collect();
    words.extend(
        spec.optional
            .iter()
            .map(|name| format!("{name} (optional)")),
    );
    if words.is_empty() {
        "no arguments".to_string()
    } else {
        words.join(", ")
    }
}

/// Whether a received message's `to` is a tenant (its main number) rather than a user.
fn received_by_tenant(parties: &PartySpecs, handle: &str, direction: MessageDirection) -> bool {
    direction == MessageDirection::Received
        && !parties.users.contains_key(handle)
        && parties.tenants.contains_key(handle)
}

fn owned(value: &Spanned<String>) -> String {
    value.get_ref().clone()
}

impl Context<'_> {
    fn step(&self, raw: &Spanned<RawStep>, previous: Duration) -> Result<Step, Diagnostic> {
        let step = raw.get_ref();
        let at = match &step.at {
            None => previous,
            Some(text) => {
                let at = At::parse(text.get_ref())
                    .map_err(|message| self.source.diagnostic(text.span(), message))?;
                match at {
                    At::AfterPrevious(delay) => previous + delay,
                    At::FromStart(instant) if instant < previous => {
                        return Err(self.source.diagnostic(
                            text.span(),
                            format!(
                                "this step at {} comes before the previous step (at {}); \
                                 steps must be in time order (use \"+…\" for a delay after the previous step)",
                                humantime::format_duration(instant),
                                humantime::format_duration(previous)
                            ),
                        ));
                    }
                    At::FromStart(instant) => instant,
                }
            }
        };
        let name = step.action.get_ref();
        let spec = find_spec(name).ok_or_else(|| {
            let known: Vec<&str> = ACTIONS.iter().map(|spec| spec.name).collect();
            self.source.diagnostic(
                step.action.span(),
                format!(
                    "unknown action \"{name}\"; known actions are: {}",
                    known.join(", ")
                ),
            )
        })?;
        for (argument, span) in step.present_arguments() {
            if !spec.required.contains(&argument) && !spec.optional.contains(&argument) {
                return Err(self.source.diagnostic(
                    span,
                    format!(
                        "`{argument}` is not an argument of `{}`; it takes: {}",
                        spec.name,
                        describe_arguments(spec)
                    ),
                ));
            }
        }
        let args = StepArgs {
            raw: step,
            spec,
            source: self.source,
            action_span: step.action.span(),
        };
        let action = self.action(&args)?;
        Ok(Step {
            at,
            location: self.source.location(raw.span().start),
            action,
        })
    }

    fn party(&self, value: &Spanned<String>) -> Result<String, Diagnostic> {
        let handle = value.get_ref();
        if self.parties.users.contains_key(handle) || self.parties.externals.contains_key(handle) {
            Ok(handle.clone())
        } else {
            let known = self
                .parties
                .users
                .keys()
                .chain(self.parties.externals.keys());
            Err(unknown(self.source, value, "party", known))
        }
    }

    fn optional_party(
        &self,
        value: &Option<Spanned<String>>,
    ) -> Result<Option<String>, Diagnostic> {
        value.as_ref().map(|value| self.party(value)).transpose()
    }

    fn user(&self, value: &Spanned<String>) -> Result<String, Diagnostic> {
        if self.parties.users.contains_key(value.get_ref()) {
            Ok(owned(value))
        } else {
            Err(unknown(
                self.source,
                value,
                "user",
                self.parties.users.keys(),
            ))
        }
    }

    fn agent(&self, value: &Spanned<String>) -> Result<String, Diagnostic> {
        if self.parties.agents.contains_key(value.get_ref()) {
            Ok(owned(value))
        } else {
            Err(unknown(
                self.source,
                value,
                "agent",
                self.parties.agents.keys(),
            ))
        }
    }

    fn conference(&self, value: &Spanned<String>) -> Result<String, Diagnostic> {
        if self.parties.conferences.contains_key(value.get_ref()) {
            Ok(owned(value))
        } else {
            Err(unknown(
                self.source,
                value,
                "conference",
                self.parties.conferences.keys(),
            ))
        }
    }

    fn tenant(&self, value: &Spanned<String>) -> Result<String, Diagnostic> {
        if self.parties.tenants.contains_key(value.get_ref()) {
            Ok(owned(value))
        } else {
            Err(unknown(
                self.source,
                value,
                "tenant",
                self.parties.tenants.keys(),
            ))
        }
    }

    fn action(&self, args: &StepArgs<'_>) -> Result<Action, Diagnostic> {
        let raw = args.raw;
        let call = || args.required(&raw.call, "call").map(owned);
        let toggle = |value| {
            args.choice(
                value,
                "state",
                &[("started", Toggle::Started), ("stopped", Toggle::Stopped)],
            )
        };
        let action = match args.spec.name {
            "call.start" => Action::CallStart {
                call: call()?,
                from: self.party(args.required(&raw.from, "from")?)?,
                to: self.party(args.required(&raw.to, "to")?)?,
            },
            "call.ring" => Action::CallRing {
                call: call()?,
                group: match &raw.group {
                    None => Vec::new(),
                    Some(group) => group
                        .get_ref()
                        .iter()
                        .map(|member| self.party(member))
                        .collect::<Result<_, _>>()?,
                },
            },
            "call.answer" => Action::CallAnswer {
                call: call()?,
                by: self.optional_party(&raw.by)?,
            },
            "call.hold" => Action::CallHold {
                call: call()?,
                by: self.optional_party(&raw.by)?,
            },
            "call.resume" => Action::CallResume {
                call: call()?,
                by: self.optional_party(&raw.by)?,
            },
            "call.transfer" => Action::CallTransfer {
                call: call()?,
                by: self.party(args.required(&raw.by, "by")?)?,
                to: self.party(args.required(&raw.to, "to")?)?,
            },
            "call.relocate" => Action::CallRelocate {
                call: call()?,
                by: self.user(args.required(&raw.by, "by")?)?,
                completions: raw.completions.as_ref().map_or_else(
                    || vec!["answer".to_string()],
                    |value| value.get_ref().clone(),
                ),
            },
            "call.hangup" => Action::CallHangup {
                call: call()?,
                cause: args.choice(
                    args.required(&raw.cause, "cause")?,
                    "cause",
                    &[
                        ("answered", HangupCause::Answered),
                        ("busy", HangupCause::Busy),
                        ("no_answer", HangupCause::NoAnswer),
                        ("cancelled", HangupCause::Cancelled),
                        ("failed", HangupCause::Failed),
                    ],
                )?,
                by: self.optional_party(&raw.by)?,
            },
            "call.failover" => Action::CallFailover {
                call: call()?,
                to: self.party(args.required(&raw.to, "to")?)?,
            },
            "sms.receive" | "sms.send" | "mms.receive" | "mms.send" => self.text_message(args)?,
            "call_log.available" => Action::CallLogAvailable { call: call()? },
            "recording.available" => Action::RecordingAvailable {
                call: call()?,
                duration: raw
                    .duration
                    .as_ref()
                    .map(|text| {
                        parse_duration(text.get_ref())
                            .map_err(|message| self.source.diagnostic(text.span(), message))
                    })
                    .transpose()?,
            },
            "api.error" => {
                let status = args.required(&raw.status, "status")?;
                if !(400..=599).contains(status.get_ref()) {
                    return Err(self.source.diagnostic(
                        status.span(),
                        format!(
                            "status {} is not an error; an API error has a status from 400 to 599",
                            status.get_ref()
                        ),
                    ));
                }
                Action::ApiError {
                    method: raw.method.as_ref().map_or_else(
                        || "GET".to_string(),
                        |method| method.get_ref().to_uppercase(),
                    ),
                    url: owned(args.required(&raw.url, "url")?),
                    status: *status.get_ref(),
                    error: raw.error.as_ref().map(owned),
                    body_size: raw.body_size.as_ref().map_or(0, |size| *size.get_ref()),
                }
            }
            "conference.join" => Action::ConferenceJoin {
                conference: self.conference(args.required(&raw.conference, "conference")?)?,
                party: self.party(args.required(&raw.party, "party")?)?,
                admin: raw.admin.as_ref().is_some_and(|value| *value.get_ref()),
                muted: raw.muted.as_ref().is_some_and(|value| *value.get_ref()),
                language: raw
                    .language
                    .as_ref()
                    .map_or_else(|| "en_US".to_string(), owned),
            },
            "conference.mute" | "conference.unmute" | "conference.leave" => {
                let conference = self.conference(args.required(&raw.conference, "conference")?)?;
                let party = self.party(args.required(&raw.party, "party")?)?;
                match args.spec.name {
                    "conference.mute" => Action::ConferenceMute { conference, party },
                    "conference.unmute" => Action::ConferenceUnmute { conference, party },
                    _ => Action::ConferenceLeave { conference, party },
                }
            }
            "conference.talk" => Action::ConferenceTalk {
                conference: self.conference(args.required(&raw.conference, "conference")?)?,
                party: self.party(args.required(&raw.party, "party")?)?,
                state: toggle(args.required(&raw.state, "state")?)?,
            },
            "conference.record" => Action::ConferenceRecord {
                conference: self.conference(args.required(&raw.conference, "conference")?)?,
                state: toggle(args.required(&raw.state, "state")?)?,
            },
            "fax.send" => self.fax(args)?,
            "agent.login" | "agent.logout" => Action::AgentStatus {
                agent: self.agent(args.required(&raw.agent, "agent")?)?,
                logged_in: args.spec.name == "agent.login",
            },
            "user.create" | "user.edit" | "user.delete" => {
                let user = self.user(args.required(&raw.user, "user")?)?;
                match args.spec.name {
                    "user.create" => Action::UserCreate { user },
                    "user.edit" => Action::UserEdit { user },
                    _ => Action::UserDelete { user },
                }
            }
            "user.forward" => Action::UserForward {
                user: self.user(args.required(&raw.user, "user")?)?,
                forward: args.choice(
                    args.required(&raw.forward, "forward")?,
                    "forward",
                    &[
                        ("busy", ForwardKind::Busy),
                        ("noanswer", ForwardKind::NoAnswer),
                        ("unconditional", ForwardKind::Unconditional),
                    ],
                )?,
                enabled: *args.required(&raw.enabled, "enabled")?.get_ref(),
                destination: raw.destination.as_ref().map(owned),
            },
            "user.service" => Action::UserService {
                user: self.user(args.required(&raw.user, "user")?)?,
                service: args.choice(
                    args.required(&raw.service, "service")?,
                    "service",
                    &[
                        ("dnd", ServiceKind::Dnd),
                        ("incallfilter", ServiceKind::IncallFilter),
                    ],
                )?,
                enabled: *args.required(&raw.enabled, "enabled")?.get_ref(),
            },
            "voicemail.leave" => Action::VoicemailLeave {
                user: self.user(args.required(&raw.user, "user")?)?,
                message: owned(args.required(&raw.message, "message")?),
                from: self.optional_party(&raw.from)?,
                duration: args.duration(&raw.duration, DEFAULT_VOICEMAIL_DURATION)?,
            },
            "voicemail.move" => Action::VoicemailMove {
                user: self.user(args.required(&raw.user, "user")?)?,
                message: owned(args.required(&raw.message, "message")?),
                folder: args.choice(
                    args.required(&raw.folder, "folder")?,
                    "folder",
                    &[
                        ("inbox", VoicemailFolder::Inbox),
                        ("old", VoicemailFolder::Old),
                        ("urgent", VoicemailFolder::Urgent),
                    ],
                )?,
            },
            "voicemail.delete" => Action::VoicemailDelete {
                user: self.user(args.required(&raw.user, "user")?)?,
                message: owned(args.required(&raw.message, "message")?),
            },
            "plugin.install" | "plugin.uninstall" => {
                let install = args.spec.name == "plugin.install";
                let default_statuses: &[&str] = if install {
                    &[
                        "starting",
                        "downloading",
                        "extracting",
                        "installing",
                        "completed",
                    ]
                } else {
                    &["starting", "removing", "completed"]
                };
                Action::Plugin {
                    plugin: owned(args.required(&raw.plugin, "plugin")?),
                    install,
                    statuses: raw.statuses.as_ref().map_or_else(
                        || {
                            default_statuses
                                .iter()
                                .map(|status| status.to_string())
                                .collect()
                        },
                        |value| value.get_ref().clone(),
                    ),
                    every: args.duration(&raw.every, DEFAULT_PLUGIN_EVERY)?,
                }
            }
            "tenant.create" => Action::TenantCreate {
                tenant: self.tenant(args.required(&raw.tenant, "tenant")?)?,
            },
            "tenant.update" => Action::TenantUpdate {
                tenant: self.tenant(args.required(&raw.tenant, "tenant")?)?,
                name: raw.name.as_ref().map(owned),
            },
            "tenant.delete" => Action::TenantDelete {
                tenant: self.tenant(args.required(&raw.tenant, "tenant")?)?,
            },
            "external_auth.add" | "external_auth.authorize" | "external_auth.delete" => {
                Action::ExternalAuth {
                    user: self.user(args.required(&raw.user, "user")?)?,
                    service: owned(args.required(&raw.service, "service")?),
                    change: match args.spec.name {
                        "external_auth.add" => ExternalAuthChange::Added,
                        "external_auth.authorize" => ExternalAuthChange::Authorized,
                        _ => ExternalAuthChange::Deleted,
                    },
                }
            }
            "favorite.add" | "favorite.delete" => Action::Favorite {
                user: self.user(args.required(&raw.user, "user")?)?,
                source: raw
                    .source
                    .as_ref()
                    .map_or_else(|| "internal".to_string(), owned),
                entry: args.required(&raw.entry, "entry")?.get_ref().clone(),
                added: args.spec.name == "favorite.add",
            },
            "service.register" => Action::ServiceRegister {
                service: owned(args.required(&raw.service, "service")?),
                address: raw.address.as_ref().map(owned),
                port: raw.port.as_ref().map(|port| *port.get_ref()),
                tags: raw.tags.as_ref().map(|tags| tags.get_ref().clone()),
            },
            "service.deregister" => Action::ServiceDeregister {
                service: owned(args.required(&raw.service, "service")?),
                tags: raw.tags.as_ref().map(|tags| tags.get_ref().clone()),
            },
            "call_form" => Action::CallForm {
                user: self.user(args.required(&raw.user, "user")?)?,
                variables: args.table(&raw.variables)?,
            },
            "ami" => Action::Ami {
                event: owned(args.required(&raw.event, "event")?),
                fields: args.table(&raw.fields)?,
            },
            "emit" => Action::Emit {
                event: owned(args.required(&raw.event, "event")?),
                fields: args.table(&raw.fields)?,
            },
            other => {
                // ACTIONS and this match are kept in step by the test
                // `every_listed_action_is_built`; reaching this is a bug.
                return Err(self.source.diagnostic(
                    args.action_span.clone(),
                    format!("action \"{other}\" is listed but not implemented"),
                ));
            }
        };
        Ok(action)
    }

    /// `sms.*` / `mms.*`: the user's side is `to` when receiving and `from`
    /// when sending; the other side is an outside number.
    fn text_message(&self, args: &StepArgs<'_>) -> Result<Action, Diagnostic> {
        let raw = args.raw;
        let (kind, direction) = match args.spec.name {
            "sms.receive" => (MessageKind::Sms, MessageDirection::Received),
            "sms.send" => (MessageKind::Sms, MessageDirection::Sent),
            "mms.receive" => (MessageKind::Mms, MessageDirection::Received),
            _ => (MessageKind::Mms, MessageDirection::Sent),
        };
        let from = args.required(&raw.from, "from")?;
        let to = args.required(&raw.to, "to")?;
        let (user, party) = match direction {
            MessageDirection::Received => (to, from),
            MessageDirection::Sent => (from, to),
        };
        // A tenant's inbox is its main number's, which no extension owns.
        let user = if received_by_tenant(self.parties, user.get_ref(), direction) {
            owned(user)
        } else {
            self.user(user)?
        };
        if !self.parties.externals.contains_key(party.get_ref()) {
            return Err(unknown(
                self.source,
                party,
                "external",
                self.parties.externals.keys(),
            ));
        }
        let media = match &raw.media {
            None => Vec::new(),
            Some(media) if media.get_ref().is_empty() => {
                return Err(self.source.diagnostic(
                    media.span(),
                    "an MMS needs at least one attachment in `media`",
                ));
            }
            Some(media) => media
                .get_ref()
                .iter()
                .map(|item| MediaSpec {
                    filename: item.filename.clone(),
                    mime_type: item.mime_type.clone(),
                    size: item.size,
                    url: item.url.clone(),
                    thumbnail: item.thumbnail.clone(),
                })
                .collect(),
        };
        Ok(Action::TextMessage {
            message: owned(args.required(&raw.message, "message")?),
            kind,
            direction,
            user,
            party: owned(party),
            text: raw.text.as_ref().map(owned).unwrap_or_default(),
            media,
        })
    }

    fn fax(&self, args: &StepArgs<'_>) -> Result<Action, Diagnostic> {
        let raw = args.raw;
        let from = raw
            .from
            .as_ref()
            .map(|value| self.user(value))
            .transpose()?;
        let tenant = raw
            .tenant
            .as_ref()
            .map(|value| self.tenant(value))
            .transpose()?;
        let outcome_value = args.required(&raw.outcome, "outcome")?;
        let outcome = match outcome_value.get_ref().as_str() {
            "success" => {
                if let Some(reason) = &raw.reason {
                    return Err(self.source.diagnostic(
                        reason.span(),
                        "a `reason` only goes with outcome = \"failure\"",
                    ));
                }
                FaxOutcome::Success
            }
            "failure" => FaxOutcome::Failure {
                reason: raw
                    .reason
                    .as_ref()
                    .map_or_else(|| "recipient did not answer".to_string(), owned),
            },
            other => {
                return Err(self.source.diagnostic(
                    outcome_value.span(),
                    format!("bad outcome \"{other}\"; expected one of \"success\", \"failure\""),
                ));
            }
        };
        Ok(Action::FaxSend {
            from,
            tenant,
            to: owned(args.required(&raw.to, "to")?),
            outcome,
            after: args.duration(&raw.after, DEFAULT_FAX_AFTER)?,
        })
    }
}
