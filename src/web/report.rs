//! What an error response carries for the log: the error's kind and, for
//! failures on our side, its source chain. Handlers and `IntoResponse` impls
//! attach an [`ErrorReport`] to the response; only the boundary middleware
//! (`web/boundary.rs`) writes it to the log, once, inside the request's span.
//! The report never reaches the client.

use std::sync::Arc;

use axum::response::Response;

/// An error behind a response, for the log only.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    /// A short, fixed name of what failed (`"invalid_grant"`, `"page"`, …).
    pub kind: &'static str,
    /// The error and its sources, for failures on our side (5xx) only:
    /// client errors are logged by kind, since their messages may echo input.
    pub detail: Option<Arc<str>>,
}

impl ErrorReport {
    /// A client error: logged by kind alone.
    pub fn refused(kind: &'static str) -> ErrorReport {
        ErrorReport { kind, detail: None }
    }

    /// A failure on our side: logged with the error's source chain.
    pub fn failed(kind: &'static str, error: &(dyn std::error::Error + 'static)) -> ErrorReport {
        let mut detail = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        ErrorReport { kind, detail: Some(detail.into()) }
    }

    /// A failure on our side described by a message (a panic's payload).
    pub fn failed_with(kind: &'static str, message: &str) -> ErrorReport {
        ErrorReport { kind, detail: Some(message.into()) }
    }

    /// Attaches the report to `response`.
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}
