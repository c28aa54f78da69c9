//! The Wazo WebSocket: an emulator of wazo-websocketd fed by the broker the
//! harness publishes to.
//!
//! Integrations (web apps, the JS SDK, mobile apps) connect to
//! `wss://HOST/api/websocketd/?token=T&version=2`, subscribe to event names,
//! send `start`, and receive the bus events their token's ACL allows. The
//! modules map onto wazo-websocketd's own (`wazo_websocketd/*.py`):
//!
//! | module | real service | what it holds |
//! |---|---|---|
//! | [`protocol`] | `protocol.py` | frames in and out, close codes, the upgrade's query |
//! | [`session`] (private) | `session.py` | one connection's state machine |
//! | [`auth`] | `auth.py` + wazo-auth | tokens, the token store, the expiry schedule |
//! | [`acl`] | xivo `auth_verifier.py` | wazo-auth's ACL matching |
//! | [`bus`] | `bus.py` | the AMQP connection, session queues and bindings |
//! | [`filter`] | `bus.py` decoding + bindings | the delivery decision and its reasons |
//! | [`server`] | `controller.py` | accept loop, TLS, the handle |
//! | [`scenario`] | (wazo-auth logins) | the tokens of a scenario run |

pub mod acl;
pub mod auth;
pub mod bus;
pub mod filter;
pub mod protocol;
pub mod scenario;
pub mod server;
mod session;

pub use auth::{ExpiryStrategy, Token, TokenSpecError, TokenStore, parse_token_spec};
pub use filter::DropReason;
pub use scenario::{NamedToken, scenario_tokens};
pub use server::{
    DEFAULT_MASTER_TENANT, DEFAULT_ORIGIN_UUID, DEFAULT_TENANT, Options, SessionReport, StartError,
    Tls, WebsocketdHandle, WsDelivery, start,
};
