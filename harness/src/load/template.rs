//! Instances by substitution: each scenario of the mix is simulated and
//! rendered a few times when the run starts, and every instance is one of
//! those renderings with its identity replaced. An instance then costs a few
//! copies instead of a simulation and a rendering, which is what keeps the
//! generator from being the bottleneck.
//!
//! What two instances must not share is what the simulation derives from
//! the seed and the clock: uuids, Asterisk channel ids (and the channel
//! names that end with their sequence number), timestamps. A rendering is
//! scanned for those tokens in its routing keys, header names, string header
//! values and bodies. A token is a *slot* when it does not occur in a
//! rendering of the same scenario made with another seed and another anchor;
//! what the scenario file fixes (a party's `uuid = "…"`, a literal in an
//! `emit` step) occurs in both and stays as written. Each instance fills the
//! slots:
//!
//! | token | filled with |
//! |---|---|
//! | uuid | a version-4 uuid drawn from the instance's seed, one per distinct uuid |
//! | Wazo timestamp `2026-01-15T04:00:00.500-0500` | the instance's arrival plus the token's time in the scenario, in the same UTC offset |
//! | Unix seconds `1768467600` | the same |
//! | channel id `1768467600.61` | seconds the same way; the sequence moved into a range of its own, so that no two instances of a run share a call id |
//! | channel name suffix `-0000003d` | that same sequence, in hexadecimal |
//!
//! Names, numbers, extensions and the events themselves come from the
//! rendering: a run shows [`RENDERINGS`] different sets of parties per
//! scenario, each instance with its own ids.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::ops::Range;
use std::time::Duration;

use amqprs::{FieldName, FieldTable, FieldValue, LongStr};
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

use crate::dialect::wazo::{Rendered, TIMESTAMP, timestamp};
use crate::sink::headers::{HeaderError, to_field_value};

/// Renderings kept per scenario: the number of distinct sets of parties a run shows.
pub const RENDERINGS: usize = 32;

/// Unix-second tokens are recognised within this distance of a rendering's
/// events: far enough for any timestamp a scenario writes, near enough that
/// a 10-digit phone number is not taken for a time.
const TIME_MARGIN_S: i64 = 86_400;

/// One message of an instance, ready for a channel task.
#[derive(Debug, Clone)]
pub struct LoadMessage {
    /// The AMQP routing key.
    pub routing_key: String,
    /// The AMQP headers, in amqprs' form.
    pub headers: FieldTable,
    /// The serialised body.
    pub body: Vec<u8>,
    /// Published on the topic exchange in the `wazo` profile (wazo-auth's events).
    pub on_topic: bool,
}

/// What an instance fills its slots from.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    /// The instance's seed (its uuids).
    pub seed: u64,
    /// Where its channel sequence numbers start.
    pub first_sequence: u64,
    /// Its scenario time zero, on the wall clock.
    pub arrival: OffsetDateTime,
}

/// A rendering of a scenario with its slots found. See the module documentation.
#[derive(Debug, Clone)]
pub struct Template {
    slots: Vec<Slot>,
    messages: Vec<MessageTemplate>,
    sequences: u64,
}

#[derive(Debug, Clone)]
struct MessageTemplate {
    offset: Duration,
    routing_key: Text,
    headers: Vec<(Text, HeaderTemplate)>,
    body: Text,
    on_topic: bool,
}

#[derive(Debug, Clone)]
enum HeaderTemplate {
    /// A string value, which may hold slots.
    Text(Text),
    /// Any other JSON value, converted once.
    Fixed(FieldValue),
}

/// What a slot becomes in an instance (times relative to the rendering's anchor).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Uuid,
    Timestamp {
        since_anchor: time::Duration,
        offset: UtcOffset,
    },
    UnixSeconds {
        since_anchor: i64,
    },
    ChannelId {
        since_anchor: i64,
        sequence: u64,
    },
    ChannelSuffix {
        sequence: u64,
    },
}

/// A text (routing key, header, body) as literal bytes and slots.
#[derive(Debug, Clone, Default)]
struct Text {
    pieces: Vec<Piece>,
    /// The rendering's length, to size the output once.
    len: usize,
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(Box<[u8]>),
    Slot(usize),
}

impl Text {
    fn fill(&self, values: &Values, out: &mut Vec<u8>) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(bytes) => out.extend_from_slice(bytes),
                Piece::Slot(index) => out.extend_from_slice(values.get(*index)),
            }
        }
    }

    fn to_bytes(&self, values: &Values) -> Vec<u8> {
        // Slots may grow by a digit or two (a longer sequence number).
        let mut out = Vec::with_capacity(self.len + 16);
        self.fill(values, &mut out);
        out
    }

    fn to_string(&self, values: &Values) -> String {
        // Literals are cut at ASCII characters of UTF-8 text and slot
        // values are ASCII, so this is always UTF-8; lossy is a safe net.
        String::from_utf8(self.to_bytes(values))
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
    }
}

/// One instance's slot values, end to end in one buffer.
struct Values {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Values {
    fn get(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.bytes[start..self.ends[index]]
    }
}

impl Template {
    /// Finds the slots of `rendering`, whose clock was anchored at `anchor`,
    /// by comparing it with `probe`, a rendering of the same scenario with
    /// another seed and anchor. Fails when a header has no AMQP form.
    pub fn new(
        rendering: &[Rendered],
        anchor: OffsetDateTime,
        probe: &[Rendered],
        probe_anchor: OffsetDateTime,
    ) -> Result<Self, HeaderError> {
        let fixed: HashSet<Vec<u8>> = texts(probe)
            .flat_map(|text| {
                scan(text, window(probe, probe_anchor))
                    .into_iter()
                    .map(|token| text[token.range].to_vec())
            })
            .collect();
        let mut builder = Builder {
            window: window(rendering, anchor),
            anchor,
            fixed,
            slots: Vec::new(),
            by_token: HashMap::new(),
            channel_sequences: HashSet::new(),
            first_sequence: 0,
        };
        // Channel ids first, so that a name's suffix is known as a channel's
        // wherever it comes.
        for text in texts(rendering) {
            builder.find_channel_ids(text);
        }
        builder.first_sequence = builder.channel_sequences.iter().copied().min().unwrap_or(0);
        let mut messages = Vec::with_capacity(rendering.len());
        for rendered in rendering {
            let message = &rendered.message;
            let mut headers = Vec::with_capacity(message.headers.len());
            for (name, value) in &message.headers {
                let value = match value {
                    Value::String(text) => HeaderTemplate::Text(builder.text(text.as_bytes())),
                    other => HeaderTemplate::Fixed(to_field_value(name, other)?),
                };
                headers.push((builder.text(name.as_bytes()), value));
            }
            messages.push(MessageTemplate {
                offset: Duration::try_from(rendered.at - anchor).unwrap_or(Duration::ZERO),
                routing_key: builder.text(message.routing_key.as_bytes()),
                headers,
                body: builder.text(&message.body),
                on_topic: message.on_topic,
            });
        }
        let sequences = builder
            .slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::ChannelId { sequence, .. } => Some(sequence + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        Ok(Self {
            slots: builder.slots,
            messages,
            sequences,
        })
    }

    /// How many channel sequence numbers an instance uses.
    pub fn sequences(&self) -> u64 {
        self.sequences
    }

    /// How many messages an instance has.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether an instance has no message at all.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The messages of the instance `identity`, with their offsets.
    pub fn instance(
        &self,
        identity: &Identity,
    ) -> Result<Vec<(Duration, LoadMessage)>, HeaderError> {
        let values = self.values(identity);
        self.messages
            .iter()
            .map(|message| {
                let mut headers = FieldTable::new();
                for (name, value) in &message.headers {
                    let name = name.to_string(&values);
                    let value = match value {
                        HeaderTemplate::Fixed(value) => value.clone(),
                        HeaderTemplate::Text(text) => FieldValue::S(
                            LongStr::try_from(text.to_string(&values))
                                .map_err(|_| HeaderError::TooLong { name: name.clone() })?,
                        ),
                    };
                    // AMQP's short strings hold 255 bytes; checked here so
                    // that the error can name the header.
                    if name.len() > usize::from(u8::MAX) {
                        return Err(HeaderError::NameTooLong {
                            name: name.chars().take(40).collect(),
                        });
                    }
                    let name = FieldName::try_from(name).map_err(|_| HeaderError::NameTooLong {
                        name: String::new(),
                    })?;
                    headers.insert(name, value);
                }
                Ok((
                    message.offset,
                    LoadMessage {
                        routing_key: message.routing_key.to_string(&values),
                        headers,
                        body: message.body.to_bytes(&values),
                        on_topic: message.on_topic,
                    },
                ))
            })
            .collect()
    }

    fn values(&self, identity: &Identity) -> Values {
        let mut bytes = Vec::with_capacity(self.slots.len() * 36);
        let mut ends = Vec::with_capacity(self.slots.len());
        let seconds = |since_anchor: i64| identity.arrival.unix_timestamp() + since_anchor;
        let mut uuids = 0u64;
        for slot in &self.slots {
            match *slot {
                Slot::Uuid => {
                    let high = super::source::derive_seed(identity.seed, 2 * uuids);
                    let low = super::source::derive_seed(identity.seed, 2 * uuids + 1);
                    uuids += 1;
                    let random = (u128::from(high) << 64 | u128::from(low)).to_be_bytes();
                    let uuid = uuid::Builder::from_random_bytes(random).into_uuid();
                    bytes.extend_from_slice(
                        uuid.hyphenated()
                            .encode_lower(&mut uuid::Uuid::encode_buffer())
                            .as_bytes(),
                    );
                }
                Slot::Timestamp {
                    since_anchor,
                    offset,
                } => {
                    bytes.extend_from_slice(
                        timestamp(identity.arrival + since_anchor, offset).as_bytes(),
                    );
                }
                Slot::UnixSeconds { since_anchor } => {
                    let _ = write!(bytes, "{}", seconds(since_anchor));
                }
                // Writing into a Vec cannot fail.
                Slot::ChannelId {
                    since_anchor,
                    sequence,
                } => {
                    let sequence = identity.first_sequence + sequence;
                    let _ = write!(bytes, "{}.{sequence}", seconds(since_anchor));
                }
                Slot::ChannelSuffix { sequence } => {
                    let _ = write!(bytes, "{:08x}", identity.first_sequence + sequence);
                }
            }
            ends.push(bytes.len());
        }
        Values { bytes, ends }
    }
}

/// Every text of a rendering a slot may hide in.
fn texts(rendering: &[Rendered]) -> impl Iterator<Item = &[u8]> {
    rendering.iter().flat_map(|rendered| {
        let message = &rendered.message;
        let headers = message.headers.iter().flat_map(|(name, value)| {
            let value = value.as_str().map(str::as_bytes);
            std::iter::once(name.as_bytes()).chain(value)
        });
        std::iter::once(message.routing_key.as_bytes())
            .chain(headers)
            .chain(std::iter::once(message.body.as_slice()))
    })
}

/// The Unix seconds a rendering's times fall in, with a margin.
fn window(rendering: &[Rendered], anchor: OffsetDateTime) -> Range<i64> {
    let start = anchor.unix_timestamp();
    let end = rendering
        .iter()
        .map(|rendered| rendered.at.unix_timestamp())
        .max()
        .unwrap_or(start);
    start.saturating_sub(TIME_MARGIN_S)..end.saturating_add(TIME_MARGIN_S)
}

/// Finds the slots of one rendering.
struct Builder {
    window: Range<i64>,
    anchor: OffsetDateTime,
    /// Token texts the probe rendering has too: not slots.
    fixed: HashSet<Vec<u8>>,
    slots: Vec<Slot>,
    by_token: HashMap<Vec<u8>, usize>,
    /// The sequences of the rendering's channel ids that are slots.
    channel_sequences: HashSet<u64>,
    /// The smallest of them: instances count from it.
    first_sequence: u64,
}

impl Builder {
    fn find_channel_ids(&mut self, text: &[u8]) {
        for token in scan(text, self.window.clone()) {
            if let Kind::ChannelId { sequence, .. } = token.kind
                && !self.fixed.contains(&text[token.range])
            {
                self.channel_sequences.insert(sequence);
            }
        }
    }

    fn text(&mut self, text: &[u8]) -> Text {
        let mut pieces = Vec::new();
        let mut literal_from = 0;
        for token in scan(text, self.window.clone()) {
            let token_text = &text[token.range.clone()];
            let Some(slot) = self.slot(token.kind, token_text) else {
                continue;
            };
            if token.range.start > literal_from {
                pieces.push(Piece::Literal(text[literal_from..token.range.start].into()));
            }
            pieces.push(Piece::Slot(slot));
            literal_from = token.range.end;
        }
        if literal_from < text.len() {
            pieces.push(Piece::Literal(text[literal_from..].into()));
        }
        Text {
            pieces,
            len: text.len(),
        }
    }

    /// The slot for a token, made on first sight; `None` when it is fixed.
    fn slot(&mut self, kind: Kind, text: &[u8]) -> Option<usize> {
        if self.fixed.contains(text) {
            return None;
        }
        let first_sequence = self.first_sequence;
        let since_anchor = |seconds: i64| seconds - self.anchor.unix_timestamp();
        let slot = match kind {
            Kind::Uuid => Slot::Uuid,
            Kind::Timestamp(at) => Slot::Timestamp {
                since_anchor: at - self.anchor,
                offset: at.offset(),
            },
            Kind::UnixSeconds(seconds) => Slot::UnixSeconds {
                since_anchor: since_anchor(seconds),
            },
            Kind::ChannelId { seconds, sequence } => Slot::ChannelId {
                since_anchor: since_anchor(seconds),
                sequence: sequence.saturating_sub(first_sequence),
            },
            // Only the suffix of a channel whose id is a slot: any other
            // eight hex digits after a dash are left alone.
            Kind::HexSuffix(sequence) if self.channel_sequences.contains(&sequence) => {
                Slot::ChannelSuffix {
                    sequence: sequence - first_sequence,
                }
            }
            Kind::HexSuffix(_) => return None,
        };
        // The same text in two places is the same slot (a uuid in a header
        // and in the body), but a suffix and an id never share one.
        let mut key = Vec::with_capacity(text.len() + 1);
        key.push(u8::from(matches!(kind, Kind::HexSuffix(_))));
        key.extend_from_slice(text);
        let next = self.slots.len();
        let index = *self.by_token.entry(key).or_insert(next);
        if index == next {
            self.slots.push(slot);
        }
        Some(index)
    }
}

/// A recognised token.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    range: Range<usize>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Uuid,
    Timestamp(OffsetDateTime),
    UnixSeconds(i64),
    ChannelId { seconds: i64, sequence: u64 },
    HexSuffix(u64),
}

/// The tokens of `text`, left to right; numbers count as times only within `window`.
fn scan(text: &[u8], window: Range<i64>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < text.len() {
        // Tokens start words, except a channel name's `-` suffix, which ends one.
        let starts_word = at == 0 || !text[at - 1].is_ascii_alphanumeric();
        if (starts_word || text[at] == b'-')
            && let Some(token) = token_at(text, at, &window)
        {
            at = token.range.end;
            tokens.push(token);
            continue;
        }
        // Skip the rest of the word (or number) at once.
        at += 1;
        while at < text.len()
            && text[at].is_ascii_alphanumeric()
            && text[at - 1].is_ascii_alphanumeric()
        {
            at += 1;
        }
    }
    tokens
}

/// The token starting at `at`, if any (`at` starts a word or is a `-`).
fn token_at(text: &[u8], at: usize, window: &Range<i64>) -> Option<Token> {
    let ends_word = |end: usize| end == text.len() || !text[end].is_ascii_alphanumeric();
    let token = |length: usize, kind| {
        Some(Token {
            range: at..at + length,
            kind,
        })
    };
    let rest = &text[at..];
    if is_uuid(rest) && ends_word(at + 36) {
        return token(36, Kind::Uuid);
    }
    if rest.first() == Some(&b'-') {
        let hex = rest.get(1..9)?;
        let after = text.get(at + 9);
        let lower_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        if hex.iter().all(lower_hex)
            && after.is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'-')
        {
            let value = u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            return Some(Token {
                range: at + 1..at + 9,
                kind: Kind::HexSuffix(value),
            });
        }
        return None;
    }
    if !rest.first()?.is_ascii_digit() {
        return None;
    }
    if let Some(stamp) = rest
        .get(..28)
        .filter(|candidate| looks_like_timestamp(candidate))
        && ends_word(at + 28)
        && let Ok(parsed) = OffsetDateTime::parse(std::str::from_utf8(stamp).ok()?, TIMESTAMP)
    {
        return token(28, Kind::Timestamp(parsed));
    }
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits != 10 {
        return None;
    }
    let seconds: i64 = std::str::from_utf8(&rest[..10]).ok()?.parse().ok()?;
    if !window.contains(&seconds) {
        return None;
    }
    if rest.get(10) == Some(&b'.') {
        let fraction = rest[11..].iter().take_while(|b| b.is_ascii_digit()).count();
        let after = rest.get(11 + fraction);
        if fraction == 0 || after.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.') {
            return None;
        }
        let sequence = std::str::from_utf8(&rest[11..11 + fraction])
            .ok()?
            .parse()
            .ok()?;
        return token(11 + fraction, Kind::ChannelId { seconds, sequence });
    }
    ends_word(at + 10).then_some(())?;
    token(10, Kind::UnixSeconds(seconds))
}

/// `8-4-4-4-12` lowercase hex digits.
fn is_uuid(text: &[u8]) -> bool {
    text.len() >= 36
        && text[..36]
            .iter()
            .enumerate()
            .all(|(index, byte)| match index {
                8 | 13 | 18 | 23 => *byte == b'-',
                _ => byte.is_ascii_digit() || (b'a'..=b'f').contains(byte),
            })
}

/// `dddd-dd-ddTdd:dd:dd.ddd±dddd`, the shape of a Wazo timestamp.
fn looks_like_timestamp(text: &[u8]) -> bool {
    const SHAPE: &[u8; 28] = b"9999-99-99T99:99:99.999+9999";
    text.len() == 28
        && text.iter().zip(SHAPE).all(|(byte, shape)| match shape {
            b'9' => byte.is_ascii_digit(),
            b'+' => *byte == b'+' || *byte == b'-',
            literal => byte == literal,
        })
}

#[cfg(test)]
mod tests;
