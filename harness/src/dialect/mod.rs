//! Dialects: how each platform tells what the simulation says happened.
//!
//! The simulation ([`crate::sim`]) produces platform-neutral domain events; a
//! dialect renders them as one platform's messages, with that platform's
//! names, identifiers and envelope.

pub mod phonecom;
