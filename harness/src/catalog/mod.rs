//! The documented contracts as typed Rust.
//!
//! - [`wazo`]: every event of the Wazo message bus document, with routing-key and
//!   ACL templates, extra headers and the documented examples as fixtures;
//! - [`phonecom`]: the Phone.com events v2 envelope and its data types;
//! - [`template`]: the dotted templates routing keys and ACLs are written in;
//! - [`errata`](mod@errata): where the documents contradict themselves, and what we do;
//! - [`fields`]: a type's fields read back from its derived schema, for people.
//!
//! JSON Schemas are derived from the types (schemars), never written by hand.

pub mod errata;
pub mod fields;
pub mod phonecom;
pub mod template;
pub mod wazo;

pub use errata::{Erratum, errata};
pub use template::Template;
