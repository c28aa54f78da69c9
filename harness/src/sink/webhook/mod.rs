//! Webhooks: Phone.com's way of delivering events — an HTTP POST of the JSON
//! event to each listener whose subscriptions match its tags.
//!
//! | file | what it holds |
//! |---|---|
//! | [`subscription`] | tag sets matched with AND logic; any of a listener's subscriptions |
//! | [`listener`] | a callback URL, its subscriptions, filters and context (account or extension) |
//! | [`filter`] | listener filters by phone number (`eq`, `in`, `match`, `not_logic`) |
//! | [`options`] | headers, per-callback timeout, rate limit, the callback check |
//! | [`client`] | one HTTP/1.1 POST within a deadline |
//! | [`sender`] | [`deliver`]: rendered events to listeners, in order, paced or not, counting everything |
//! | [`report`] | [`DeliveryReport`]: exact counts and every failure |
//! | [`receiver`] | [`Receiver`]: records, validates and answers (`switchboard receive`) |

pub mod client;
pub mod filter;
pub mod listener;
pub mod options;
pub mod receiver;
pub mod report;
pub mod sender;
pub mod subscription;

pub use filter::{Filter, FilterError, NumberTest};
pub use listener::{Listener, ListenerContext, ListenerError};
pub use options::{CallbackHeader, DEFAULT_TIMEOUT, DeliveryOptions, RateLimit};
pub use receiver::{Received, ReceivedKind, Receiver, ReceiverError, ReceiverOptions};
pub use report::{DeliveryReport, Failure, FailureReason, ListenerCounts};
pub use sender::{Outcome, OutcomeResult, deliver, deliver_observed};
pub use subscription::Subscription;
