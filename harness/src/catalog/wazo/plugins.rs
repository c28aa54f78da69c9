//! wazo-plugind events: progress of plugin installations and removals.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// The steps of an installation, in the order wazo-plugind publishes them
/// (the documentation shows only `completed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum InstallStatus {
    #[serde(rename = "starting")]
    Starting,
    #[serde(rename = "downloading")]
    Downloading,
    #[serde(rename = "extracting")]
    Extracting,
    #[serde(rename = "validating")]
    Validating,
    #[serde(rename = "installing dependencies")]
    InstallingDependencies,
    #[serde(rename = "building")]
    Building,
    #[serde(rename = "packaging")]
    Packaging,
    #[serde(rename = "updating")]
    Updating,
    #[serde(rename = "installing")]
    Installing,
    #[serde(rename = "cleaning")]
    Cleaning,
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "error")]
    Error,
}

/// The steps of a removal, in the order wazo-plugind publishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UninstallStatus {
    Starting,
    Removing,
    Completed,
    Error,
}

/// What went wrong, sent with the `error` status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginErrors {
    /// A stable identifier of the failure, e.g. `downloading_error`.
    pub error_id: String,
    /// A human-readable message.
    pub message: String,
    /// The resource concerned (`plugins`).
    pub resource: String,
    /// Free-form details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Map<String, Value>>,
}

/// A step of a plugin installation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallProgress {
    /// The installation task UUID.
    pub uuid: Uuid,
    /// The status of the installation.
    pub status: InstallStatus,
    /// The failure, with the `error` status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<PluginErrors>,
}

/// A step of a plugin removal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UninstallProgress {
    /// The removal task UUID.
    pub uuid: Uuid,
    /// The status of the removal.
    pub status: UninstallStatus,
    /// The failure, with the `error` status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<PluginErrors>,
}

documented_event! {
    /// `plugin_install_progress`
    PluginInstallProgress(InstallProgress) = EventSpec {
        name: "plugin_install_progress",
        family: Family::Plugins,
        description: "Published at each step of the installation of a plugin.",
        routing_key: Template::new("plugin.install.{uuid}.{status}"),
        required_acl: Some(Template::new("events.plugin.install.{uuid}.{status}")),
        headers: &[],
        example: Some(include_str!("examples/plugin_install_progress.json")),
    };
}

documented_event! {
    /// `plugin_uninstall_progress`
    PluginUninstallProgress(UninstallProgress) = EventSpec {
        name: "plugin_uninstall_progress",
        family: Family::Plugins,
        description: "Published at each step of the removal of a plugin.",
        routing_key: Template::new("plugin.uninstall.{uuid}.{status}"),
        required_acl: Some(Template::new("events.plugin.uninstall.{uuid}.{status}")),
        headers: &[],
        example: Some(include_str!("examples/plugin_uninstall_progress.json")),
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<PluginInstallProgress>(),
        EventEntry::of::<PluginUninstallProgress>(),
    ]
}
