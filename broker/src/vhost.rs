//! A virtual host: its exchanges, queues and bindings (the topology).
//!
//! The topology sits behind one read-write lock. Publishing only reads it
//! (routing), so publishers on many connections proceed side by side;
//! declarations, bindings and deletions are rare and take it briefly for writing.
//! Lock order: the topology before any queue, never the reverse.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard},
    time::Instant,
};

use amq_protocol::types::{AMQPValue, FieldTable, ShortString, generation::gen_field_table};

use crate::{
    error::{AmqpException, AmqpResult, ReplyCode},
    inspect::{BindingInfo, DestinationKind, ExchangeInfo, QueueInfo},
    queue::{ConnectionId, Queue, QueueOptions},
    routing::{Destination, ExchangeKind, Router},
};

/// Names of the exchanges every virtual host starts with.
const PREDECLARED: [(&str, ExchangeKind); 6] = [
    ("", ExchangeKind::Direct),
    ("amq.direct", ExchangeKind::Direct),
    ("amq.fanout", ExchangeKind::Fanout),
    ("amq.topic", ExchangeKind::Topic),
    ("amq.headers", ExchangeKind::Headers),
    ("amq.match", ExchangeKind::Headers),
];

#[derive(Debug)]
pub(crate) struct VirtualHost {
    pub(crate) name: Arc<str>,
    topology: RwLock<Topology>,
}

#[derive(Debug, Default)]
struct Topology {
    exchanges: HashMap<Arc<str>, Exchange>,
    queues: HashMap<Arc<str>, Arc<Queue>>,
}

#[derive(Debug)]
struct Exchange {
    kind: ExchangeKind,
    durable: bool,
    auto_delete: bool,
    internal: bool,
    router: Router,
    /// The bindings from this exchange, by identity (destination, key, arguments).
    bindings: HashMap<BindingKey, ShortString>,
}

/// What makes two bindings the same one: RabbitMQ compares destination,
/// routing key and arguments. Arguments are compared in their wire encoding
/// (a `FieldTable` is ordered, so equal tables encode equally).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BindingKey {
    destination: Destination,
    routing_key: Box<str>,
    arguments: Vec<u8>,
}

impl BindingKey {
    fn new(destination: Destination, routing_key: &str, arguments: &FieldTable) -> Self {
        let encoded = gen_field_table(arguments)(Vec::new().into())
            .map(|context| context.into_inner().0)
            .unwrap_or_default();
        Self {
            destination,
            routing_key: routing_key.into(),
            arguments: encoded,
        }
    }
}

/// An `exchange.declare` request.
#[derive(Debug)]
pub(crate) struct ExchangeDeclaration<'a> {
    pub(crate) name: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) passive: bool,
    pub(crate) durable: bool,
    pub(crate) auto_delete: bool,
    pub(crate) internal: bool,
    pub(crate) arguments: &'a FieldTable,
}

/// A `queue.declare` request (the name already chosen when it was empty).
#[derive(Debug)]
pub(crate) struct QueueDeclaration<'a> {
    pub(crate) name: &'a str,
    /// The broker chose the name (`amq.gen-…`): the reserved prefix is allowed.
    pub(crate) server_named: bool,
    pub(crate) passive: bool,
    pub(crate) durable: bool,
    pub(crate) exclusive: bool,
    pub(crate) auto_delete: bool,
    pub(crate) arguments: &'a FieldTable,
    pub(crate) connection: ConnectionId,
    pub(crate) message_limit: usize,
}

/// Queue arguments compared on re-declaration, as RabbitMQ compares them.
const EQUIVALENT_QUEUE_ARGUMENTS: [&str; 3] = ["x-message-ttl", "x-max-length", "x-expires"];

/// Queue arguments RabbitMQ knows and this broker does not implement: refused
/// rather than silently ignored.
const UNSUPPORTED_QUEUE_ARGUMENTS: [&str; 8] = [
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length-bytes",
    "x-max-priority",
    "x-single-active-consumer",
    "x-queue-mode",
    "x-queue-master-locator",
    "x-message-ttl-by-policy",
];

impl VirtualHost {
    pub(crate) fn new(name: &str) -> Self {
        let mut topology = Topology::default();
        for (exchange, kind) in PREDECLARED {
            topology.exchanges.insert(
                exchange.into(),
                Exchange {
                    kind,
                    durable: true,
                    auto_delete: false,
                    internal: false,
                    router: Router::new(kind),
                    bindings: HashMap::new(),
                },
            );
        }
        Self {
            name: name.into(),
            topology: RwLock::new(topology),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Topology> {
        self.topology
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Topology> {
        self.topology
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn not_found(&self, what: &str, name: &str) -> AmqpException {
        AmqpException::not_found(what, name, &self.name)
    }

    fn access_refused_default(&self) -> AmqpException {
        AmqpException::new(
            ReplyCode::AccessRefused,
            "operation not permitted on the default exchange",
        )
    }

    pub(crate) fn declare_exchange(&self, declaration: &ExchangeDeclaration<'_>) -> AmqpResult {
        let name = declaration.name;
        let mut topology = self.write();
        if declaration.passive {
            return if topology.exchanges.contains_key(name) {
                Ok(())
            } else {
                Err(self.not_found("exchange", name))
            };
        }
        if name.is_empty() {
            return Err(self.access_refused_default());
        }
        let Some(kind) = ExchangeKind::parse(declaration.kind) else {
            return Err(AmqpException::new(
                ReplyCode::CommandInvalid,
                format!("unknown exchange type '{}'", declaration.kind),
            ));
        };
        if declaration.arguments.contains_key("alternate-exchange") {
            return Err(AmqpException::new(
                ReplyCode::NotImplemented,
                "the embedded broker does not implement alternate-exchange",
            ));
        }
        if let Some(existing) = topology.exchanges.get(name) {
            let mismatch = |arg: &str, received: &str, current: &str| {
                Err(AmqpException::new(
                    ReplyCode::PreconditionFailed,
                    format!(
                        "inequivalent arg '{arg}' for exchange '{name}' in vhost '{}': received '{received}' but current is '{current}'",
                        self.name
                    ),
                ))
            };
            if existing.kind != kind {
                return mismatch("type", kind.as_str(), existing.kind.as_str());
            }
            for (arg, received, current) in [
                ("durable", declaration.durable, existing.durable),
                ("auto_delete", declaration.auto_delete, existing.auto_delete),
                ("internal", declaration.internal, existing.internal),
            ] {
                if received != current {
                    return mismatch(arg, &received.to_string(), &current.to_string());
                }
            }
            return Ok(());
        }
        if name.starts_with("amq.") {
            return Err(AmqpException::new(
                ReplyCode::AccessRefused,
                format!("exchange name '{name}' contains reserved prefix 'amq.*'"),
            ));
        }
        topology.exchanges.insert(
            name.into(),
            Exchange {
                kind,
                durable: declaration.durable,
                auto_delete: declaration.auto_delete,
                internal: declaration.internal,
                router: Router::new(kind),
                bindings: HashMap::new(),
            },
        );
        Ok(())
    }

    pub(crate) fn delete_exchange(&self, name: &str, if_unused: bool) -> AmqpResult {
        if name.is_empty() {
            return Err(self.access_refused_default());
        }
        if name.starts_with("amq.") {
            return Err(AmqpException::new(
                ReplyCode::AccessRefused,
                format!("deletion of system exchange '{name}' is not allowed"),
            ));
        }
        let mut topology = self.write();
        let Some(exchange) = topology.exchanges.get(name) else {
            // RabbitMQ treats deleting a missing exchange as done.
            return Ok(());
        };
        if if_unused && !exchange.bindings.is_empty() {
            return Err(AmqpException::new(
                ReplyCode::PreconditionFailed,
                format!("exchange '{name}' in vhost '{}' in use", self.name),
            ));
        }
        topology.remove_exchange(name);
        Ok(())
    }

    /// `queue.bind` and `exchange.bind`.
    pub(crate) fn bind(
        &self,
        source: &str,
        destination: Destination,
        routing_key: &str,
        arguments: &FieldTable,
        connection: ConnectionId,
    ) -> AmqpResult {
        if source.is_empty()
            || (matches!(destination, Destination::Exchange(_)) && destination.name().is_empty())
        {
            return Err(self.access_refused_default());
        }
        let mut topology = self.write();
        self.check_destination(&topology, &destination, connection)?;
        let Some(exchange) = topology.exchanges.get_mut(source) else {
            return Err(self.not_found("exchange", source));
        };
        exchange.router.validate(arguments)?;
        let key = BindingKey::new(destination.clone(), routing_key, arguments);
        if !exchange.bindings.contains_key(&key) {
            exchange.router.bind(routing_key, arguments, destination);
            exchange
                .bindings
                .insert(key, crate::wire::short_string_lossy(routing_key));
        }
        Ok(())
    }

    /// `queue.unbind` and `exchange.unbind`; unbinding what is not bound is not an error.
    pub(crate) fn unbind(
        &self,
        source: &str,
        destination: Destination,
        routing_key: &str,
        arguments: &FieldTable,
        connection: ConnectionId,
    ) -> AmqpResult {
        if source.is_empty()
            || (matches!(destination, Destination::Exchange(_)) && destination.name().is_empty())
        {
            return Err(self.access_refused_default());
        }
        let mut topology = self.write();
        self.check_destination(&topology, &destination, connection)?;
        if !topology.exchanges.contains_key(source) {
            return Err(self.not_found("exchange", source));
        }
        let key = BindingKey::new(destination, routing_key, arguments);
        topology.remove_binding(source, &key, arguments);
        Ok(())
    }

    fn check_destination(
        &self,
        topology: &Topology,
        destination: &Destination,
        connection: ConnectionId,
    ) -> AmqpResult {
        match destination {
            Destination::Queue(name) => match topology.queues.get(name) {
                Some(queue) => queue.check_access(connection, &self.name),
                None => Err(self.not_found("queue", name)),
            },
            Destination::Exchange(name) => {
                if topology.exchanges.contains_key(name) {
                    Ok(())
                } else {
                    Err(self.not_found("exchange", name))
                }
            }
        }
    }

    /// `queue.declare`; returns the queue and whether this call created it.
    pub(crate) fn declare_queue(
        &self,
        declaration: &QueueDeclaration<'_>,
    ) -> AmqpResult<Arc<Queue>> {
        let name = declaration.name;
        let mut topology = self.write();
        if let Some(queue) = topology.queues.get(name) {
            queue.check_access(declaration.connection, &self.name)?;
            if !declaration.passive {
                let exclusive_matches = queue.exclusive_owner.is_some() == declaration.exclusive;
                if !exclusive_matches {
                    return Err(AmqpException::new(
                        ReplyCode::ResourceLocked,
                        format!(
                            "cannot obtain exclusive access to locked queue '{name}' in vhost '{}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.",
                            self.name
                        ),
                    ));
                }
                self.check_queue_equivalence(queue, declaration)?;
            }
            queue.touch();
            return Ok(Arc::clone(queue));
        }
        if declaration.passive {
            return Err(self.not_found("queue", name));
        }
        if !declaration.server_named && name.starts_with("amq.") {
            return Err(AmqpException::new(
                ReplyCode::AccessRefused,
                format!("queue name '{name}' contains reserved prefix 'amq.*'"),
            ));
        }
        let options = self.queue_options(name, declaration.arguments)?;
        let name: Arc<str> = name.into();
        let queue = Arc::new(Queue::new(
            Arc::clone(&name),
            declaration.durable,
            declaration.exclusive.then_some(declaration.connection),
            declaration.auto_delete,
            declaration.arguments.clone(),
            options,
            declaration.message_limit,
        ));
        topology.queues.insert(name, Arc::clone(&queue));
        Ok(queue)
    }

    fn check_queue_equivalence(
        &self,
        queue: &Queue,
        declaration: &QueueDeclaration<'_>,
    ) -> AmqpResult {
        let name = declaration.name;
        let vhost = &self.name;
        for (arg, received, current) in [
            ("durable", declaration.durable, queue.durable),
            ("auto_delete", declaration.auto_delete, queue.auto_delete),
        ] {
            if received != current {
                return Err(AmqpException::new(
                    ReplyCode::PreconditionFailed,
                    format!(
                        "inequivalent arg '{arg}' for queue '{name}' in vhost '{vhost}': received '{received}' but current is '{current}'"
                    ),
                ));
            }
        }
        for arg in EQUIVALENT_QUEUE_ARGUMENTS {
            let received = declaration
                .arguments
                .inner()
                .get(arg)
                .and_then(integer_argument);
            let current = queue.arguments.inner().get(arg).and_then(integer_argument);
            if received != current {
                let show = |value: Option<i64>| {
                    value.map_or_else(|| "none".to_owned(), |v| format!("'{v}'"))
                };
                return Err(AmqpException::new(
                    ReplyCode::PreconditionFailed,
                    format!(
                        "inequivalent arg '{arg}' for queue '{name}' in vhost '{vhost}': received {} but current is {}",
                        show(received),
                        show(current)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn queue_options(&self, name: &str, arguments: &FieldTable) -> AmqpResult<QueueOptions> {
        let vhost = &self.name;
        for arg in UNSUPPORTED_QUEUE_ARGUMENTS {
            if arguments.contains_key(arg) {
                return Err(AmqpException::new(
                    ReplyCode::NotImplemented,
                    format!("the embedded broker does not implement queue argument '{arg}'"),
                ));
            }
        }
        if let Some(overflow) = arguments.inner().get("x-overflow")
            && !matches!(overflow, AMQPValue::LongString(s) if s.as_bytes() == b"drop-head")
        {
            return Err(AmqpException::new(
                ReplyCode::NotImplemented,
                "the embedded broker implements only x-overflow 'drop-head'",
            ));
        }
        let invalid = |arg: &str, why: &str| {
            AmqpException::new(
                ReplyCode::PreconditionFailed,
                format!("invalid arg '{arg}' for queue '{name}' in vhost '{vhost}': {why}"),
            )
        };
        let non_negative = |arg: &str, minimum: i64| -> AmqpResult<Option<u64>> {
            match arguments.inner().get(arg) {
                None => Ok(None),
                Some(value) => match integer_argument(value) {
                    Some(v) if v >= minimum => Ok(u64::try_from(v).ok()),
                    Some(v) => Err(invalid(arg, &format!("value {v} is out of range"))),
                    None => Err(invalid(arg, "it must be an integer")),
                },
            }
        };
        Ok(QueueOptions {
            message_ttl: non_negative("x-message-ttl", 0)?.map(std::time::Duration::from_millis),
            max_length: non_negative("x-max-length", 0)?
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX)),
            expires: non_negative("x-expires", 1)?.map(std::time::Duration::from_millis),
        })
    }

    /// A queue by name, checking the connection may use it.
    pub(crate) fn queue(&self, name: &str, connection: ConnectionId) -> AmqpResult<Arc<Queue>> {
        let topology = self.read();
        let queue = topology
            .queues
            .get(name)
            .ok_or_else(|| self.not_found("queue", name))?;
        queue.check_access(connection, &self.name)?;
        Ok(Arc::clone(queue))
    }

    /// Deletes a queue with its bindings; returns its ready message count
    /// (`None` if it did not exist). `only` guards against deleting a newer
    /// queue that took the name of the one an auto-delete or expiry was about.
    pub(crate) fn delete_queue(&self, name: &str, only: Option<&Arc<Queue>>) -> Option<usize> {
        let mut topology = self.write();
        let queue = topology.queues.get(name)?;
        if only.is_some_and(|only| !Arc::ptr_eq(only, queue)) {
            return None;
        }
        let queue = topology.queues.remove(name)?;
        topology.remove_bindings_to(&Destination::Queue(Arc::clone(&queue.name)));
        Some(queue.mark_deleted())
    }

    /// Routes a message: appends the queues it goes to, each once.
    /// `scratch` is the caller's reusable buffer, so routing allocates nothing.
    pub(crate) fn route(
        &self,
        exchange: &str,
        routing_key: &str,
        headers: Option<&FieldTable>,
        scratch: &mut Vec<Destination>,
        queues: &mut Vec<Arc<Queue>>,
    ) -> AmqpResult {
        let topology = self.read();
        let Some(source) = topology.exchanges.get(exchange) else {
            return Err(self.not_found("exchange", exchange));
        };
        if source.internal {
            return Err(AmqpException::new(
                ReplyCode::AccessRefused,
                format!(
                    "cannot publish to internal exchange '{exchange}' in vhost '{}'",
                    self.name
                ),
            ));
        }
        if exchange.is_empty() {
            if let Some(queue) = topology.queues.get(routing_key) {
                queues.push(Arc::clone(queue));
            }
            return Ok(());
        }
        scratch.clear();
        source.router.route(routing_key, headers, scratch);
        // Exchange-to-exchange bindings: follow each exchange once (cycles are allowed).
        let mut next = 0;
        let mut seen_exchanges: Option<HashSet<Arc<str>>> = None;
        while next < scratch.len() {
            if let Destination::Exchange(name) = &scratch[next] {
                let name = Arc::clone(name);
                let seen =
                    seen_exchanges.get_or_insert_with(|| HashSet::from([Arc::from(exchange)]));
                if seen.insert(Arc::clone(&name))
                    && let Some(exchange) = topology.exchanges.get(&name)
                {
                    exchange.router.route(routing_key, headers, scratch);
                }
            }
            next += 1;
        }
        scratch.sort_unstable();
        scratch.dedup();
        for destination in scratch.iter() {
            if let Destination::Queue(name) = destination
                && let Some(queue) = topology.queues.get(name)
            {
                queues.push(Arc::clone(queue));
            }
        }
        Ok(())
    }

    /// Queues whose `x-expires` has passed (after dropping expired messages everywhere).
    pub(crate) fn sweep(&self, now: Instant) -> Vec<Arc<Queue>> {
        self.read()
            .queues
            .values()
            .filter(|queue| queue.sweep(now))
            .cloned()
            .collect()
    }

    pub(crate) fn queue_infos(&self) -> Vec<QueueInfo> {
        let topology = self.read();
        let mut infos: Vec<_> = topology
            .queues
            .values()
            .map(|queue| {
                let counts = queue.counts();
                QueueInfo {
                    vhost: self.name.to_string(),
                    name: queue.name.to_string(),
                    messages: counts.ready,
                    unacked: counts.unacked,
                    consumers: counts.consumers,
                    durable: queue.durable,
                    exclusive: queue.exclusive_owner.is_some(),
                    auto_delete: queue.auto_delete,
                }
            })
            .collect();
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        infos
    }

    pub(crate) fn exchange_infos(&self) -> Vec<ExchangeInfo> {
        let topology = self.read();
        let mut infos: Vec<_> = topology
            .exchanges
            .iter()
            .map(|(name, exchange)| ExchangeInfo {
                vhost: self.name.to_string(),
                name: name.to_string(),
                kind: exchange.kind,
                durable: exchange.durable,
                auto_delete: exchange.auto_delete,
                internal: exchange.internal,
            })
            .collect();
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        infos
    }

    pub(crate) fn binding_infos(&self) -> Vec<BindingInfo> {
        let topology = self.read();
        let mut infos: Vec<_> = topology
            .exchanges
            .iter()
            .flat_map(|(source, exchange)| {
                exchange.bindings.keys().map(move |key| BindingInfo {
                    vhost: self.name.to_string(),
                    source: source.to_string(),
                    destination: key.destination.name().to_owned(),
                    destination_kind: match key.destination {
                        Destination::Queue(_) => DestinationKind::Queue,
                        Destination::Exchange(_) => DestinationKind::Exchange,
                    },
                    routing_key: key.routing_key.to_string(),
                })
            })
            .collect();
        infos.sort_by(|a, b| {
            (&a.source, &a.destination, &a.routing_key).cmp(&(
                &b.source,
                &b.destination,
                &b.routing_key,
            ))
        });
        infos
    }
}

impl Topology {
    /// Removes one binding; an auto-delete exchange left without bindings goes too.
    fn remove_binding(&mut self, source: &str, key: &BindingKey, arguments: &FieldTable) {
        let Some(exchange) = self.exchanges.get_mut(source) else {
            return;
        };
        if exchange.bindings.remove(key).is_some() {
            exchange
                .router
                .unbind(&key.routing_key, arguments, &key.destination);
            if exchange.auto_delete && exchange.bindings.is_empty() {
                self.remove_exchange(source);
            }
        }
    }

    /// Removes an exchange, its bindings and the bindings to it.
    fn remove_exchange(&mut self, name: &str) {
        if self.exchanges.remove(name).is_some() {
            self.remove_bindings_to(&Destination::Exchange(name.into()));
        }
    }

    /// Removes every binding leading to `destination` (a deleted queue or exchange).
    fn remove_bindings_to(&mut self, destination: &Destination) {
        let mut emptied = Vec::new();
        for (source, exchange) in &mut self.exchanges {
            let doomed: Vec<BindingKey> = exchange
                .bindings
                .keys()
                .filter(|key| &key.destination == destination)
                .cloned()
                .collect();
            let lost_any = !doomed.is_empty();
            for key in doomed {
                exchange.bindings.remove(&key);
                let arguments = decode_arguments(&key.arguments);
                exchange
                    .router
                    .unbind(&key.routing_key, &arguments, &key.destination);
            }
            if lost_any && exchange.auto_delete && exchange.bindings.is_empty() {
                emptied.push(Arc::clone(source));
            }
        }
        for source in emptied {
            self.remove_exchange(&source);
        }
    }
}

/// Decodes binding arguments kept in their wire form (see [`BindingKey`]).
fn decode_arguments(encoded: &[u8]) -> FieldTable {
    amq_protocol::types::parsing::parse_field_table(encoded)
        .map(|(_, table)| table)
        .unwrap_or_default()
}

/// An integer queue argument, whatever integer type the client sent it as.
fn integer_argument(value: &AMQPValue) -> Option<i64> {
    match value {
        AMQPValue::ShortShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongInt(v) => Some(i64::from(*v)),
        AMQPValue::LongUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongLongInt(v) => Some(*v),
        _ => None,
    }
}
