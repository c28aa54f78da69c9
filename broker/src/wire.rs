//! Outbound frames: a write buffer that frames are encoded into with
//! amq-protocol's generators, flushed to the socket in one write once the
//! connection has handled everything it has read (batched writes).

use amq_protocol::{
    frame::{AMQPFrame, WriteContext, gen_frame},
    protocol::{AMQPClass, BasicProperties, basic::gen_properties, constants},
    types::{
        ShortString,
        generation::{gen_id, gen_long_long_uint, gen_short_uint, gen_with_len},
    },
};
use cookie_factory::combinator::slice;
use cookie_factory::sequence::tuple;

/// Bytes of framing around a frame payload: type, channel, size and end marker.
pub(crate) const FRAME_OVERHEAD: usize = 8;

/// The class id of `basic`, the only class with content.
pub(crate) const BASIC_CLASS_ID: u16 = 60;

/// Encodes frames into a buffer the connection flushes in one write.
#[derive(Debug)]
pub(crate) struct FrameWriter {
    buffer: Vec<u8>,
    /// Largest frame the peer accepts, framing included.
    frame_max: usize,
    /// Set when a frame could not be encoded: the connection must close.
    broken: bool,
}

impl FrameWriter {
    pub(crate) fn new(frame_max: usize) -> Self {
        Self {
            buffer: Vec::with_capacity(16 * 1024),
            frame_max,
            broken: false,
        }
    }

    pub(crate) fn set_frame_max(&mut self, frame_max: usize) {
        self.frame_max = frame_max;
    }

    pub(crate) fn is_broken(&self) -> bool {
        self.broken
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.buffer.len()
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buffer
    }

    pub(crate) fn clear(&mut self) {
        self.buffer.clear();
    }

    /// Appends raw bytes (only the protocol header uses this).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    pub(crate) fn frame(&mut self, frame: &AMQPFrame) {
        self.encode(gen_frame(frame));
    }

    pub(crate) fn method(&mut self, channel: u16, method: AMQPClass) {
        self.frame(&AMQPFrame::Method(channel, method));
    }

    pub(crate) fn heartbeat(&mut self) {
        self.frame(&AMQPFrame::Heartbeat);
    }

    /// Writes a content header and the body split into frames of at most
    /// `frame_max`. The properties and body are borrowed: a delivery copies
    /// nothing but the bytes it writes to the buffer.
    pub(crate) fn content(&mut self, channel: u16, properties: &BasicProperties, body: &[u8]) {
        let body_size = body.len() as u64;
        self.encode(tuple((
            gen_frame_start(constants::FRAME_HEADER, channel),
            gen_with_len(tuple((
                gen_id(BASIC_CLASS_ID),
                gen_short_uint(0),
                gen_long_long_uint(body_size),
                gen_properties(properties),
            ))),
            slice([constants::FRAME_END]),
        )));
        let chunk = self.frame_max.saturating_sub(FRAME_OVERHEAD).max(1);
        for part in body.chunks(chunk) {
            // A body frame is its bytes between the common framing; amq-protocol's
            // generator for it wants an owned Vec, which would copy every body once more.
            self.buffer.push(constants::FRAME_BODY);
            self.buffer.extend_from_slice(&channel.to_be_bytes());
            self.buffer
                .extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            self.buffer.extend_from_slice(part);
            self.buffer.push(constants::FRAME_END);
        }
    }

    fn encode(&mut self, serializer: impl cookie_factory::SerializeFn<Vec<u8>>) {
        let start = self.buffer.len();
        let buffer = std::mem::take(&mut self.buffer);
        match serializer(WriteContext::from(buffer)) {
            Ok(context) => self.buffer = context.into_inner().0,
            Err(error) => {
                tracing::error!(%error, "cannot encode an outbound frame");
                self.buffer.truncate(start);
                self.broken = true;
            }
        }
    }
}

fn gen_frame_start<W: std::io::Write>(
    frame_type: u8,
    channel: u16,
) -> impl cookie_factory::SerializeFn<W> {
    tuple((slice([frame_type]), gen_id(channel)))
}

/// A short string from any text, cut at a character boundary to fit 255 bytes,
/// so that echoing a client's long name into a reply text can never panic.
pub(crate) fn short_string_lossy(text: &str) -> ShortString {
    let mut end = text.len().min(amq_protocol::types::MAX_SHORT_STRING_LENGTH);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    ShortString::from(&text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use amq_protocol::frame::parse_frame;

    #[test]
    fn content_is_split_at_frame_max_and_parses_back() {
        let mut writer = FrameWriter::new(16 + FRAME_OVERHEAD);
        let properties = BasicProperties::default().with_content_type("application/json".into());
        let body: Vec<u8> = (0..40).collect();
        writer.content(3, &properties, &body);
        let mut input = writer.bytes();
        let mut frames = Vec::new();
        while !input.is_empty() {
            let (rest, frame) = parse_frame(input).expect("valid frame");
            frames.push(frame);
            input = rest;
        }
        assert_eq!(frames.len(), 4, "one header and three body frames");
        match &frames[0] {
            AMQPFrame::Header(3, header) => {
                assert_eq!(header.body_size, 40);
                assert_eq!(header.properties, properties);
            }
            other => panic!("unexpected {other:?}"),
        }
        let mut joined = Vec::new();
        for frame in &frames[1..] {
            match frame {
                AMQPFrame::Body(3, part) => joined.extend_from_slice(part),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(joined, body);
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let text = "é".repeat(200);
        let short = short_string_lossy(&text);
        assert_eq!(short.as_str().len(), 254);
    }
}
