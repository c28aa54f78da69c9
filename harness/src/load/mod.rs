//! Load generation: many scenario instances at once, at a controlled rate,
//! against a real broker, with what the broker and its consumers sustained.
//!
//! Each instance is a scenario of the mix with its own seed: one of a few
//! renderings made at start-up, its uuids, ids and times replaced
//! ([`source`], [`template`]); instances arrive open-loop at
//! `--rate` ([`arrival`]); channel tasks publish them with confirms
//! ([`publisher`]) over connections that come back when they drop
//! ([`link`]); consumers receive them ([`consumer`]); every message is
//! followed in a strict [`ledger`] by its id and timed in HDR histograms
//! ([`metrics`]). [`run()`] does one run and returns a [`LoadReport`];
//! [`find_max`](find_max::find_max) ramps runs to find the highest
//! sustainable rate.
//!
//! | file | what it holds |
//! |---|---|
//! | [`mix`] | `--mix a=70,b=30`: parsing, scenario lookup, weighted picks |
//! | [`arrival`] | open-loop arrival times, `--rate`/`--event-rate`, `--speed` |
//! | [`source`] | instances: seeds, the renderings of each scenario, picks |
//! | [`template`] | a rendering's slots (uuids, ids, times) and an instance's fill |
//! | [`topic`] | topic matching, to know which binding expects what |
//! | [`ledger`] | published = confirmed + nacked + unconfirmed; losses, duplicates |
//! | [`metrics`] | HDR latency histograms and counters |
//! | [`link`] | a connection that reconnects with backoff, and its outages |
//! | [`publisher`] | channel tasks, confirm tracking, the timestamp header |
//! | [`consumer`] | `--consumers`, `--bind`, `--prefetch`, `--consumer-ack` |
//! | [`options`] | [`LoadOptions`] |
//! | [`run`](mod@run) | one run: scheduler, sampler, drain |
//! | [`report`] | [`LoadReport`], as text or JSON |
//! | [`slo`] | `--slo p99<50ms,loss=0` |
//! | [`junit`] | `--junit FILE` |
//! | [`find_max`](mod@find_max) | `--find-max` |

pub mod arrival;
pub mod consumer;
pub mod find_max;
pub mod junit;
pub mod ledger;
pub mod link;
pub mod metrics;
pub mod mix;
pub mod options;
pub mod publisher;
pub mod report;
pub mod run;
pub mod slo;
pub mod source;
pub mod template;
pub mod topic;

pub use arrival::{Rate, Speed};
pub use consumer::AckMode;
pub use find_max::{FindMaxReport, RampOptions, find_max};
pub use mix::Mix;
pub use options::{ConsumerOptions, LoadOptions};
pub use report::LoadReport;
pub use run::{LiveStatus, LoadError, run};
pub use slo::Slo;
pub use source::InstanceSource;
