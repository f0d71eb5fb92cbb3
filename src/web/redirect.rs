//! Redirects that cannot panic: a location that is not a valid header value
//! (it can only come from odd input) becomes a 400 page instead. A leaf
//! beside `render.rs`: errors and pages use it, it uses neither.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::web::i18n::PageMessage;
use crate::web::render::error_response;
use crate::web::report::ErrorReport;

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
        Err(_) => ErrorReport::refused("bad_redirect")
            .attach(error_response(StatusCode::BAD_REQUEST, PageMessage::BadRedirect)),
    }
}
