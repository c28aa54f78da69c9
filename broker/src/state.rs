//! What every connection of one broker shares: configuration, virtual hosts,
//! the memory gauge, and generators for ids and server-chosen names.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use crate::{config::Config, message::MemoryGauge, queue::ConnectionId, vhost::VirtualHost};

#[derive(Debug)]
pub(crate) struct BrokerState {
    pub(crate) config: Config,
    pub(crate) vhosts: HashMap<String, Arc<VirtualHost>>,
    pub(crate) gauge: Arc<MemoryGauge>,
    next_connection: AtomicU64,
    next_name: AtomicU64,
    name_seed: RandomState,
}

impl BrokerState {
    pub(crate) fn new(config: Config) -> Self {
        let vhosts = config
            .vhosts
            .iter()
            .map(|name| (name.clone(), Arc::new(VirtualHost::new(name))))
            .collect();
        let gauge = Arc::new(MemoryGauge::new(config.memory_limit));
        Self {
            config,
            vhosts,
            gauge,
            next_connection: AtomicU64::new(1),
            next_name: AtomicU64::new(0),
            name_seed: RandomState::new(),
        }
    }

    pub(crate) fn next_connection_id(&self) -> ConnectionId {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// A unique name with RabbitMQ's look: `amq.gen-` / `amq.ctag-` followed
    /// by 22 URL-safe base64 characters (128 bits: a counter mixed with a
    /// per-broker random seed, so names differ between brokers and runs).
    pub(crate) fn generate_name(&self, prefix: &str) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let counter = self.next_name.fetch_add(1, Ordering::Relaxed);
        let high = self.name_seed.hash_one((counter, 0u8));
        let low = self.name_seed.hash_one((counter, 1u8));
        let mut bits = (u128::from(high) << 64) | u128::from(low);
        let mut name = String::with_capacity(prefix.len() + 22);
        name.push_str(prefix);
        for _ in 0..22 {
            name.push(char::from(ALPHABET[(bits & 63) as usize]));
            bits >>= 6;
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_look_like_rabbitmqs_and_differ() {
        let state = BrokerState::new(Config::default());
        let a = state.generate_name("amq.gen-");
        let b = state.generate_name("amq.gen-");
        assert_eq!(a.len(), "amq.gen-".len() + 22);
        assert!(a.starts_with("amq.gen-"));
        assert_ne!(a, b);
    }
}
