//! Paths are parameters too: `/settings/applications/{client_id}` hands a
//! percent-decoded segment to a handler and on to the store. A path whose
//! decoded form is not UTF-8 or holds a control character (PostgreSQL refuses
//! NUL in text) is answered 400 here, before routing, on every route.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::web::error::PageError;
use crate::web::i18n::PageMessage;

/// Refuses a request whose decoded path holds bytes no page can use.
pub async fn refuse_bad_paths(request: Request, next: Next) -> Response {
    if !is_clean_path(request.uri().path()) {
        return PageError::BadRequest(PageMessage::BadPath).into_response();
    }
    next.run(request).await
}

/// Whether the percent-decoded path is UTF-8 without control characters
/// (not even the line breaks and tabs a form field may hold).
fn is_clean_path(path: &str) -> bool {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_ok_and(|decoded| !decoded.chars().any(|c| c.is_ascii_control()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_paths_must_be_clean_utf8() {
        assert!(is_clean_path("/settings/applications/gh_abc%20x"));
        assert!(is_clean_path("/settings/applications/%E2%82%AC"));
        for path in ["/settings/applications/%00", "/a%0A", "/a%7F", "/a%FF", "/a%C0%AF", "/a%ED%A0%80"] {
            assert!(!is_clean_path(path), "{path}");
        }
    }
}
