//! The tx class. The embedded broker does not implement transactions; it
//! says so with 540 NOT_IMPLEMENTED (closing the connection) rather than
//! pretending to commit.

use amq_protocol::protocol::tx;

use crate::error::{AmqpException, AmqpResult, ReplyCode};

pub(crate) fn handle(method: tx::AMQPMethod) -> AmqpResult {
    let name = match method {
        tx::AMQPMethod::Select(_) => "tx.select",
        tx::AMQPMethod::Commit(_) => "tx.commit",
        tx::AMQPMethod::Rollback(_) => "tx.rollback",
        _ => "tx",
    };
    Err(AmqpException::new(
        ReplyCode::NotImplemented,
        format!("the embedded broker does not implement transactions ({name})"),
    ))
}
