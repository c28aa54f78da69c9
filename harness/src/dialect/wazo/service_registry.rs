//! Service discovery: Wazo daemons registering with Consul and leaving it.

use super::{RenderError, Renderer};
use crate::catalog::wazo::service_registry::{
    ServiceDeregistered, ServiceDeregisteredEvent, ServiceRegistered, ServiceRegisteredEvent,
};
use crate::sim::Service;

/// A service started and registered.
pub(super) fn registered(r: &mut Renderer<'_>, service: &Service) -> Result<(), RenderError> {
    let to = r.to_platform();
    r.publish(
        &ServiceRegisteredEvent(ServiceRegistered {
            service_name: service.name.clone(),
            service_id: service.id.to_string(),
            address: service.address.clone(),
            port: service.port,
            tags: service.tags.clone(),
        }),
        to,
    )
}

/// A service stopped and deregistered.
pub(super) fn deregistered(r: &mut Renderer<'_>, service: &Service) -> Result<(), RenderError> {
    let to = r.to_platform();
    r.publish(
        &ServiceDeregisteredEvent(ServiceDeregistered {
            service_name: service.name.clone(),
            service_id: service.id.to_string(),
            tags: service.tags.clone(),
        }),
        to,
    )
}
