//! switchboard: a test harness for telephony event buses.
//!
//! It gives the teams who build on Wazo's message bus (and on Phone.com's event
//! webhooks) a realistic, reproducible source of events in CI. See
//! `ARCHITECTURE.md` for the flow of data; the modules follow it:
//!
//! | module | what it holds |
//! |---|---|
//! | [`catalog`] | the documented contracts as typed Rust: events, routing keys, ACLs, examples, errata |
//! | [`contract`] | the contract checker: how a message departs from the documentation |
//! | [`scenario`] | scenario files (TOML): parse, validate with file:line:column errors |
//! | [`sim`] | the domain simulation: virtual clock, seeded fake data, calls, conferences, … |
//! | [`dialect`] | renderers: a simulated timeline as the messages a platform sends (Wazo, Phone.com v2) |
//! | [`provision`] | brokers: embedded, an `amqp://` URL, a container, a local `rabbitmq-server` |
//! | [`sink`] | where messages go: the AMQP publisher with confirms, Phone.com webhooks |
//! | [`record`] | the recording consumer and its [`record::Delivery`] values |
//! | [`harness`] | [`harness::Harness`]: broker + publisher + recorder for a test |
//! | [`load`] | load generation against a real broker: rates, latencies, the ledger |
//! | [`websocketd`] | the Wazo WebSocket: a wazo-websocketd emulator over the broker |
//! | [`cli`] | the `switchboard` command line, a thin layer over the library |

pub mod catalog;
pub mod cli;
pub mod contract;
pub mod dialect;
pub mod harness;
pub mod load;
pub mod provision;
pub mod record;
pub mod scenario;
pub mod sim;
pub mod sink;
pub mod websocketd;
