//! Recording what consumers receive.
//!
//! | file | what it holds |
//! |---|---|
//! | [`delivery`] | [`Delivery`], one received message, serialisable for recordings and snapshots |
//! | [`recorder`] | [`Recorder`], the recording consumer |
//! | [`jsonl`] | recordings as JSON Lines files |

pub mod delivery;
pub mod jsonl;
pub mod recorder;

pub use delivery::{Body, Delivery, Properties};
pub use recorder::{Cursor, RecordError, Recorder, RecorderOptions};
