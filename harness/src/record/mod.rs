//! Recording what consumers receive.
//!
//! | file | what it holds |
//! |---|---|
//! | [`delivery`] | [`Delivery`], one received message, serialisable for recordings and snapshots |
//! | [`recorder`] | [`Recorder`], the recording consumer |
//! | [`jsonl`] | recordings as JSON Lines files |
//! | [`consumer`] | [`ExternalConsumer`], a user's consumer run as a process, its output captured |
//! | [`snapshot`] | text snapshots in insta's `.snap` format, for captured outputs |

pub mod consumer;
pub mod delivery;
pub mod jsonl;
pub mod recorder;
pub mod snapshot;

pub use consumer::{ConsumerError, ExternalConsumer};
pub use delivery::{Body, Delivery, Properties};
pub use recorder::{Cursor, RecordError, Recorder, RecorderOptions};
