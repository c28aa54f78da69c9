//! Dialects: how a platform says what the simulation says happened.
//!
//! The simulation ([`crate::sim`]) produces a [`crate::sim::Timeline`] of
//! platform-neutral domain events; a dialect renders that timeline into the
//! messages one platform would send, in order, each stamped with the virtual
//! instant and the scenario step that caused it. One scenario drives every
//! dialect.
//!
//! | module | platform |
//! |---|---|
//! | [`wazo`] | Wazo's message bus: wazo-calld, wazo-confd, wazo-auth, … on the `xivo` exchange |
//! | [`phonecom`] | Phone.com events v2, delivered to webhooks: legs, tags, messages, call logs, recordings |

pub mod phonecom;
pub mod wazo;
