//! Remembering why the broker closed a channel.
//!
//! When RabbitMQ refuses a method (declaring an exchange with another type,
//! binding to a missing exchange) it closes the channel with a reply code and
//! text (`406 PRECONDITION_FAILED - inequivalent arg 'type' …`). amqprs hands
//! that reply to the channel callback, while the method call that provoked
//! it only fails with "channel closed". [`CloseReason`] is a callback that
//! keeps the reply, so that errors can quote the broker.

use std::sync::{Arc, Mutex, PoisonError};

use amqprs::callbacks::ChannelCallback;
use amqprs::channel::Channel;
use amqprs::{Ack, BasicProperties, Cancel, CloseChannel, Nack, Return};

/// The broker's reply when it closed a channel; empty while it is open.
#[derive(Debug, Clone, Default)]
pub struct CloseReason {
    reply: Arc<Mutex<Option<String>>>,
}

impl CloseReason {
    /// `406 PRECONDITION_FAILED - …`, once the broker closed the channel.
    pub fn get(&self) -> Option<String> {
        self.lock().clone()
    }

    /// Records the broker's reply.
    pub fn set(&self, close: &CloseChannel) {
        *self.lock() = Some(format!("{} {}", close.reply_code(), close.reply_text()));
    }

    /// The broker's reply if known, else what the client library said.
    pub fn explain(&self, error: &amqprs::error::Error) -> String {
        self.get().unwrap_or_else(|| error.to_string())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A plain value replaced in one step: a poisoned lock still holds a valid one.
        self.reply.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl ChannelCallback for CloseReason {
    async fn close(
        &mut self,
        _channel: &Channel,
        close: CloseChannel,
    ) -> Result<(), amqprs::error::Error> {
        self.set(&close);
        Ok(())
    }

    async fn cancel(
        &mut self,
        _channel: &Channel,
        _cancel: Cancel,
    ) -> Result<(), amqprs::error::Error> {
        Ok(())
    }

    async fn flow(
        &mut self,
        _channel: &Channel,
        active: bool,
    ) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }

    async fn publish_ack(&mut self, _channel: &Channel, _ack: Ack) {}

    async fn publish_nack(&mut self, _channel: &Channel, _nack: Nack) {}

    async fn publish_return(
        &mut self,
        _channel: &Channel,
        _ret: Return,
        _properties: BasicProperties,
        _content: Vec<u8>,
    ) {
    }
}
