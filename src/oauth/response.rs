//! How an authorization response reaches the client's callback: in the
//! query string (RFC 6749 §4.1.2, the default for `response_type=code`) or,
//! with `response_mode=form_post`, as the fields of a form the browser posts
//! there (OAuth 2.0 Form Post Response Mode §2), which keeps the code out of
//! the callback's URL, its logs and its history.

pub use crate::domain::response_mode::ResponseMode;
use crate::oauth::error::append_query;

/// The parameters an authorization request's answer sends to its verified
/// callback (a code and `state`, or an error), and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// The verified callback.
    pub redirect_uri: String,
    /// `code`, `state`, or `error`, `error_description`, `state`.
    pub params: Vec<(&'static str, String)>,
    /// Query string or form post.
    pub mode: ResponseMode,
}

impl AuthorizationResponse {
    /// The callback URL with the parameters in its query (the query mode).
    pub fn location(&self) -> String {
        let params: Vec<(&str, &str)> = self.params.iter().map(|(name, value)| (*name, value.as_str())).collect();
        append_query(&self.redirect_uri, &params)
    }
}
