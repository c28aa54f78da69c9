//! `api-error`: a request to Phone.com's API that returned an error, told to
//! the account's listeners (tags.md: "account level only").
//!
//! The shape is Phone.com's published `events-examples/api-error.json`: the
//! error's message, the request (method, path, body size) and the response
//! (status, and the API's `{"@error": {…}}` answer as indented text).

use serde_json::json;
use time::OffsetDateTime;
use time::macros::format_description;

use super::{Object, tags};
use crate::catalog::phonecom::{ApiError, ApiRequest, ApiResponse};
use crate::sim::ApiRequestError;

/// The event for a failed API request made at `at`.
pub(crate) fn render(error: &ApiRequestError, at: OffsetDateTime) -> Object {
    let message = error
        .error
        .clone()
        .unwrap_or_else(|| status_message(error.status));
    let payload = json!({
        "@error": {
            "@message": message,
            "@httpStatusCode": error.status,
            "@time": api_time(at),
        }
    });
    let data = ApiError {
        error: message,
        request: ApiRequest {
            method: error.method.clone(),
            url: error.url.clone(),
            body_size: error.body_size,
        },
        response: ApiResponse {
            status: error.status,
            // A `Value` always serialises.
            payload: serde_json::to_string_pretty(&payload).unwrap_or_default(),
        },
    };
    let mut object = Object::of(
        &data,
        error.uuid,
        tags::api_error(error.status),
        Default::default(),
    );
    object.account_only = true;
    object
}

/// Phone.com's wording of a status: the reason phrase with only its first
/// letter capitalised (`Not found`, `Forbidden`), as in the examples.
fn status_message(status: u16) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Error");
    let mut words = reason.split(' ');
    let first = words.next().unwrap_or_default().to_string();
    std::iter::once(first)
        .chain(words.map(str::to_lowercase))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `2020-09-23T17:50:34.195Z`: the API's `@time`, UTC with milliseconds.
fn api_time(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_worded_as_phonecom_words_them() {
        assert_eq!(status_message(404), "Not found");
        assert_eq!(status_message(403), "Forbidden");
        assert_eq!(status_message(599), "Error");
    }
}
