//! The one boundary between a request and the logs: request ids, the one
//! log line for an error, and the error page in the request's language.
//!
//! - Every request gets an id (`x-request-id`): a well-formed id the client
//!   sent is kept, anything else is replaced by a random UUID. The id is in
//!   the request's span, so every line logged for the request carries it,
//!   and it is returned in the response's `x-request-id`.
//! - Handlers and `IntoResponse` impls never log errors: they attach an
//!   [`ErrorReport`] to the response, and [`log_errors`] writes it, once.
//! - An error page is marked with the message to show
//!   ([`PendingErrorPage`]); [`log_errors`] renders it in the language the
//!   request asked for.

use std::any::Any;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::web::i18n::Lang;
use crate::web::render::{PendingErrorPage, error_page};
use crate::web::report::ErrorReport;

/// The header that carries the request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest request id kept from a client.
const MAX_REQUEST_ID_LEN: usize = 64;

/// Whether a client's request id may be kept: 1 to 64 characters of
/// `[A-Za-z0-9._-]` (what a UUID or a tracing id looks like, and nothing a
/// log line or a header could be confused by).
pub fn is_well_formed_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a request id that is not well formed, so that a new one is made.
pub async fn drop_malformed_request_id(mut request: Request) -> Request {
    let headers = request.headers_mut();
    let ids = headers.get_all(REQUEST_ID).iter().collect::<Vec<_>>();
    let keep = matches!(ids.as_slice(), [only] if is_well_formed_request_id(only));
    if !keep {
        headers.remove(REQUEST_ID);
    }
    request
}

/// The request id of `request`, for the span (set by the layer before).
pub fn request_id(request: &Request) -> &str {
    request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// Logs the error a response carries, once, and renders a pending error
/// page in the request's language.
pub async fn log_errors(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let mut response = next.run(request).await;
    let status = response.status();
    if let Some(report) = response.extensions_mut().remove::<ErrorReport>() {
        log(status, &report);
    }
    match response.extensions_mut().remove::<PendingErrorPage>() {
        Some(PendingErrorPage(message)) => with_body_of(response, error_page(status, lang, &message)),
        None => response,
    }
}

/// One line for one error: failures on our side with their cause, client
/// errors by kind (their messages may echo what the client sent).
fn log(status: StatusCode, report: &ErrorReport) {
    let kind = report.kind;
    let detail = report.detail.as_deref();
    let code = status.as_u16();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(status = code, kind, error = detail, "request failed: storage unavailable");
    } else if status.is_server_error() {
        tracing::error!(status = code, kind, error = detail, "request failed");
    } else {
        tracing::debug!(status = code, kind, "request refused");
    }
}

/// `page`'s body and content type with the headers `response` already has
/// (security headers, `Retry-After`, cookies).
fn with_body_of(response: Response, page: Response) -> Response {
    let (parts, _) = response.into_parts();
    let (page_parts, body) = page.into_parts();
    let mut merged = Response::from_parts(parts, body);
    merged.headers_mut().remove(header::CONTENT_LENGTH);
    if let Some(content_type) = page_parts.headers.get(header::CONTENT_TYPE) {
        merged.headers_mut().insert(header::CONTENT_TYPE, content_type.clone());
    }
    // A failed template comes back as a 500 with its own report.
    if page_parts.status != merged.status() {
        *merged.status_mut() = page_parts.status;
    }
    if let Some(report) = page_parts.extensions.get::<ErrorReport>() {
        log(page_parts.status, report);
    }
    merged
}

/// The answer to a panic: `500`, and the panic's message for the log.
pub fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    let response =
        (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "Service panicked")
            .into_response();
    ErrorReport::failed_with("panic", message).attach(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_only_when_well_formed() {
        for good in ["a", "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "trace.id_42-x", &"x".repeat(64)] {
            assert!(is_well_formed_request_id(&HeaderValue::from_str(good).unwrap()), "{good}");
        }
        for bad in ["", "with space", "semi;colon", "quote\"", "ü", &"x".repeat(65)] {
            let value = HeaderValue::from_bytes(bad.as_bytes()).unwrap();
            assert!(!is_well_formed_request_id(&value), "{bad}");
        }
    }
}
