//! The fanout exchange: every bound destination, whatever the key.

use super::{Destination, remove_one};

#[derive(Debug, Default)]
pub(crate) struct FanoutRouter {
    destinations: Vec<Destination>,
}

impl FanoutRouter {
    pub(crate) fn bind(&mut self, destination: Destination) {
        self.destinations.push(destination);
    }

    pub(crate) fn unbind(&mut self, destination: &Destination) {
        remove_one(&mut self.destinations, destination);
    }

    pub(crate) fn route(&self, out: &mut Vec<Destination>) {
        out.extend(self.destinations.iter().cloned());
    }
}
