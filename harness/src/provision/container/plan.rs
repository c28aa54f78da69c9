//! The exact configuration of one broker container: what it is created
//! with. Built apart from the engine calls so that it can be checked in unit
//! tests.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};

use super::image::ContainerImage;

/// RabbitMQ's AMQP port inside the container.
pub const AMQP_PORT: &str = "5672/tcp";
/// The label every broker container carries, so that they can be found.
pub const ROLE_LABEL: (&str, &str) = ("org.switchboard.role", "broker");
/// How long the container may take to log its start-up line.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// One broker container, before it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPlan {
    /// The image to run.
    pub image: ContainerImage,
    /// The container's name: `switchboard-rabbitmq-…`.
    pub name: String,
    /// The port of 127.0.0.1 the AMQP port is published on. Chosen by
    /// switchboard rather than by the engine, so that it survives a
    /// `docker restart` and reconnecting clients find the broker again.
    pub host_port: u16,
    /// A command instead of the image's own (tests use it to start a
    /// container that is not RabbitMQ, or one configured differently).
    pub cmd: Option<Vec<String>>,
    /// How long the container may take to log "Server startup complete".
    pub startup_timeout: Duration,
}

impl ContainerPlan {
    /// A plan for `image` named `name`, published on `127.0.0.1:host_port`.
    pub fn new(image: ContainerImage, name: impl Into<String>, host_port: u16) -> Self {
        Self {
            image,
            name: name.into(),
            host_port,
            cmd: None,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
        }
    }

    /// A name no other container has: `switchboard-rabbitmq-` and 12 hex digits.
    pub fn unique_name() -> String {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        format!("switchboard-rabbitmq-{}", &suffix[..12])
    }

    /// What the engine is asked to create. The AMQP port is published on
    /// 127.0.0.1 only, whatever the engine's default address is.
    pub fn create_body(&self) -> ContainerCreateBody {
        let binding = PortBinding {
            host_ip: Some("127.0.0.1".to_owned()),
            host_port: Some(self.host_port.to_string()),
        };
        let port_bindings = HashMap::from([(AMQP_PORT.to_owned(), Some(vec![binding]))]);
        ContainerCreateBody {
            image: Some(self.image.to_string()),
            cmd: self.cmd.clone(),
            exposed_ports: Some(vec![AMQP_PORT.to_owned()]),
            labels: Some(HashMap::from([(
                ROLE_LABEL.0.to_owned(),
                ROLE_LABEL.1.to_owned(),
            )])),
            host_config: Some(HostConfig {
                port_bindings: Some(port_bindings),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_amqp_port_is_published_on_loopback_only() {
        let plan = ContainerPlan::new(ContainerImage::official(), "sb-1", 41234);
        let body = plan.create_body();
        assert_eq!(body.image.as_deref(), Some("rabbitmq:3.13-management"));
        assert_eq!(body.exposed_ports, Some(vec!["5672/tcp".to_owned()]));
        let bindings = body.host_config.unwrap().port_bindings.unwrap();
        assert_eq!(
            bindings["5672/tcp"],
            Some(vec![PortBinding {
                host_ip: Some("127.0.0.1".into()),
                host_port: Some("41234".into()),
            }])
        );
        assert_eq!(bindings.len(), 1, "only the AMQP port is published");
        assert_eq!(
            body.labels.unwrap()["org.switchboard.role"],
            "broker".to_owned()
        );
        assert_eq!(body.cmd, None, "the image's own command");
    }

    #[test]
    fn unique_names_differ() {
        let (a, b) = (ContainerPlan::unique_name(), ContainerPlan::unique_name());
        assert!(
            a.starts_with("switchboard-rabbitmq-") && a.len() == 33,
            "{a}"
        );
        assert_ne!(a, b);
    }
}
