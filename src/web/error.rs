//! Every mapping from an error to an HTTP response: RFC 6749 JSON at the
//! token endpoints, RFC 6750 challenges at the API, redirects or pages at the
//! authorization endpoint, the error page everywhere else. Internal errors are
//! logged once, here, and the client sees an opaque message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::accounts::AccountError;
use crate::oauth::error::{AuthorizeError, BearerError, TokenError};
use crate::store::StoreError;
use crate::web::pages::error_page;
use crate::web::params::ParamsError;
use crate::web::redirect;

/// Seconds a client is asked to wait after a storage fault (`Retry-After`).
const UNAVAILABLE_RETRY_AFTER: u32 = 5;

/// Headers that keep a response out of every cache (RFC 6749 §5.1).
pub const NO_STORE: [(header::HeaderName, &str); 2] =
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")];

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let status = match &self {
            TokenError::InvalidClient { .. } => StatusCode::UNAUTHORIZED,
            TokenError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            TokenError::TemporarilyUnavailable(source) => {
                tracing::warn!(error = %source, "token endpoint: storage unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            TokenError::Internal(source) => {
                tracing::error!(error = %source, "token endpoint failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let body = Json(json!({ "error": self.code(), "error_description": self.to_string() }));
        let mut response = (status, NO_STORE, body).into_response();
        match self {
            TokenError::InvalidClient { basic: true, .. } => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"gatehouse\""));
            }
            TokenError::Throttled { retry_after } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            TokenError::TemporarilyUnavailable(_) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER));
            }
            _ => {}
        }
        response
    }
}

impl From<ParamsError> for TokenError {
    fn from(error: ParamsError) -> Self {
        TokenError::InvalidRequest(error.to_string())
    }
}

/// The token endpoint refuses requests without a `User-Agent` (SPEC §1.5),
/// as the platform does.
pub fn user_agent_required() -> Response {
    let body = json!({
        "error": "invalid_request",
        "error_description": "a User-Agent header is required: set one in your HTTP client",
    });
    (StatusCode::FORBIDDEN, NO_STORE, Json(body)).into_response()
}

impl IntoResponse for ParamsError {
    fn into_response(self) -> Response {
        PageError::from(self).into_response()
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        if let BearerError::Store(source @ StoreError::Unavailable(_)) = &self {
            tracing::warn!(error = %source, "bearer check: storage unavailable");
            let body = Json(json!({ "message": "the service is temporarily unavailable; try again in a few seconds" }));
            let retry = [(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER))];
            return (StatusCode::SERVICE_UNAVAILABLE, retry, body).into_response();
        }
        let (status, challenge) = match &self {
            BearerError::Missing => (StatusCode::UNAUTHORIZED, "Bearer realm=\"gatehouse\"".to_owned()),
            BearerError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                format!("Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"{self}\""),
            ),
            BearerError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                format!("Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\"{scope}\""),
            ),
            BearerError::NoUser => {
                (StatusCode::FORBIDDEN, "Bearer realm=\"gatehouse\", error=\"insufficient_scope\"".to_owned())
            }
            BearerError::Store(source) => {
                tracing::error!(error = %source, "bearer check failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "message": "internal error" })))
                    .into_response();
            }
        };
        let body = Json(json!({ "message": self.to_string(), "error": self.code() }));
        let mut response = (status, body).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            AuthorizeError::NotRedirectable(message) => PageError::BadRequest(message).into_response(),
            AuthorizeError::Redirect(error) => redirect::found(&error.location()),
            AuthorizeError::Store(source) => PageError::from(source).into_response(),
        }
    }
}

/// Errors of the HTML pages.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The request cannot be served as sent.
    #[error("{0}")]
    BadRequest(String),
    /// A form without a valid CSRF token, or a forbidden action.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here, or not yours.
    #[error("This page does not exist.")]
    NotFound,
    /// The database cannot be written or reached right now.
    #[error("The service is temporarily unavailable. Please try again in a few seconds.")]
    Unavailable(#[source] StoreError),
    /// Something broke on our side.
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => PageError::Unavailable(error),
            other => PageError::Internal(Box::new(other)),
        }
    }
}

impl From<AccountError> for PageError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Store(store) => PageError::from(store),
            other => PageError::Internal(Box::new(other)),
        }
    }
}

impl From<ParamsError> for PageError {
    fn from(error: ParamsError) -> Self {
        PageError::BadRequest(error.to_string())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = match &self {
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Unavailable(source) => {
                tracing::warn!(error = %source, "page: storage unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            PageError::Internal(source) => {
                tracing::error!(error = %source, "page failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = error_page(status, &self.to_string());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER));
        }
        response
    }
}
