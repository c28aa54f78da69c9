//! The direct exchange: the routing key must equal the binding key.

use std::collections::HashMap;

use super::{Destination, remove_one};

#[derive(Debug, Default)]
pub(crate) struct DirectRouter {
    by_key: HashMap<Box<str>, Vec<Destination>>,
}

impl DirectRouter {
    pub(crate) fn bind(&mut self, key: &str, destination: Destination) {
        self.by_key.entry(key.into()).or_default().push(destination);
    }

    pub(crate) fn unbind(&mut self, key: &str, destination: &Destination) {
        if let Some(destinations) = self.by_key.get_mut(key) {
            remove_one(destinations, destination);
            if destinations.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    pub(crate) fn route(&self, key: &str, out: &mut Vec<Destination>) {
        if let Some(destinations) = self.by_key.get(key) {
            out.extend(destinations.iter().cloned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_on_exact_key_only() {
        let mut router = DirectRouter::default();
        let queue = Destination::Queue("q".into());
        router.bind("a.b", queue.clone());
        let mut out = Vec::new();
        router.route("a.b", &mut out);
        router.route("a.*", &mut out);
        router.route("A.B", &mut out);
        assert_eq!(out, vec![queue.clone()]);
        router.unbind("a.b", &queue);
        out.clear();
        router.route("a.b", &mut out);
        assert!(out.is_empty());
    }
}
