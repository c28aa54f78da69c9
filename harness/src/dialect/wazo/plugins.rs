//! wazo-plugind's events: the progress of a plugin installation or removal.

use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use super::{RenderError, Renderer};
use crate::catalog::wazo::plugins::{
    InstallProgress, PluginInstallProgress, PluginUninstallProgress, UninstallProgress,
};

const INSTALL_STATUSES: &str = "starting, downloading, extracting, validating, \"installing dependencies\", building, packaging, updating, installing, cleaning, completed or error";
const UNINSTALL_STATUSES: &str = "starting, removing, completed or error";

/// One progress status of a plugin task.
pub(super) fn progress(
    r: &mut Renderer<'_>,
    task: Uuid,
    install: bool,
    status: &str,
) -> Result<(), RenderError> {
    if install {
        let status = parse_status(r, "plugin_install_progress", status, INSTALL_STATUSES)?;
        let to = r.to_platform();
        r.publish(
            &PluginInstallProgress(InstallProgress {
                uuid: task,
                status,
                errors: None,
            }),
            to,
        )
    } else {
        let status = parse_status(r, "plugin_uninstall_progress", status, UNINSTALL_STATUSES)?;
        let to = r.to_platform();
        r.publish(
            &PluginUninstallProgress(UninstallProgress {
                uuid: task,
                status,
                errors: None,
            }),
            to,
        )
    }
}

/// The catalog's status enum for `status`, named as wazo-plugind names it.
fn parse_status<S: DeserializeOwned>(
    r: &Renderer<'_>,
    event: &'static str,
    status: &str,
    expected: &str,
) -> Result<S, RenderError> {
    serde_json::from_value(Value::String(status.to_owned()))
        .map_err(|_| r.invalid(event, "status", status, format!("expected {expected}")))
}
