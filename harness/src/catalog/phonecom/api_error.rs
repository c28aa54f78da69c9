//! The `api-error` data type: a request to Phone.com's API that returned an error.
//!
//! Documented only by the tags (`api-error`, and `api-error-trusted` for
//! every error but unauthorised requests; account-level listeners only) and
//! by the published example `events-examples/api-error.json`, whose shape
//! this is.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An API error event's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// The error's message (`Not found`, `Forbidden`).
    pub error: String,
    /// The request that failed.
    pub request: ApiRequest,
    /// The answer it got.
    pub response: ApiResponse,
}

/// The request an API error is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiRequest {
    /// The HTTP method.
    pub method: String,
    /// The path requested (`/v4/accounts/1000002/wrong-endpoint`).
    pub url: String,
    /// The size of the request's body in bytes.
    pub body_size: u64,
}

/// The API's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The answer's body, as text (Phone.com's `{"@error": {…}}` document).
    pub payload: String,
}
