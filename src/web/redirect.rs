//! Redirects that cannot panic: a location that is not a valid header value
//! (it can only come from odd input) becomes a 400 page instead.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::web::error::PageError;

/// `302 Found` to `location`.
pub fn found(location: &str) -> Response {
    to(StatusCode::FOUND, location)
}

/// `303 See Other` to `location`: the answer to a form post.
pub fn see_other(location: &str) -> Response {
    to(StatusCode::SEE_OTHER, location)
}

fn to(status: StatusCode, location: &str) -> Response {
    match HeaderValue::try_from(location) {
        Ok(value) => (status, [(header::LOCATION, value)]).into_response(),
        Err(_) => PageError::BadRequest("The redirect address is not valid.".to_owned()).into_response(),
    }
}
