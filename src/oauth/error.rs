//! Protocol errors, one enum per RFC error family. Each variant's doc quotes
//! the RFC, and `code()` gives the wire string.

use crate::domain::scope::Scope;
use crate::oauth::response::{AuthorizationResponse, ResponseMode};
use crate::store::StoreError;

/// Error codes sent to the client's callback (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeErrorCode {
    /// "The request is missing a required parameter, includes an invalid
    /// parameter value, includes a parameter more than once, or is otherwise malformed."
    InvalidRequest,
    /// "The client is not authorized to request an authorization code using this method."
    UnauthorizedClient,
    /// "The resource owner or authorization server denied the request."
    AccessDenied,
    /// "The authorization server does not support obtaining an authorization
    /// code using this method."
    UnsupportedResponseType,
    /// "The requested scope is invalid, unknown, or malformed."
    InvalidScope,
    /// "The authorization server encountered an unexpected condition that
    /// prevented it from fulfilling the request."
    ServerError,
    /// OIDC Core §3.1.2.6: `prompt=none` and the user must sign in.
    LoginRequired,
    /// OIDC Core §3.1.2.6: `prompt=none` and the user must consent.
    ConsentRequired,
    /// OIDC Core §3.1.2.6: "The Authorization Server requires End-User
    /// interaction of some form to proceed": `prompt=none` while the user is
    /// half-way through signing in (the second step waits).
    InteractionRequired,
    /// OIDC Core §3.1.2.6: the `request` parameter is not supported.
    RequestNotSupported,
    /// OIDC Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
}

impl AuthorizeErrorCode {
    /// The wire string.
    pub fn code(self) -> &'static str {
        match self {
            AuthorizeErrorCode::InvalidRequest => "invalid_request",
            AuthorizeErrorCode::UnauthorizedClient => "unauthorized_client",
            AuthorizeErrorCode::AccessDenied => "access_denied",
            AuthorizeErrorCode::UnsupportedResponseType => "unsupported_response_type",
            AuthorizeErrorCode::InvalidScope => "invalid_scope",
            AuthorizeErrorCode::ServerError => "server_error",
            AuthorizeErrorCode::LoginRequired => "login_required",
            AuthorizeErrorCode::ConsentRequired => "consent_required",
            AuthorizeErrorCode::InteractionRequired => "interaction_required",
            AuthorizeErrorCode::RequestNotSupported => "request_not_supported",
            AuthorizeErrorCode::RequestUriNotSupported => "request_uri_not_supported",
        }
    }
}

/// An error redirected to a verified callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    /// The verified callback.
    pub redirect_uri: String,
    /// The client's `state`, echoed.
    pub state: Option<String>,
    /// What went wrong.
    pub code: AuthorizeErrorCode,
    /// A human-readable explanation (`error_description`).
    pub description: String,
    /// How the request asked to be answered.
    pub mode: ResponseMode,
}

impl RedirectError {
    /// The answer: `error`, `error_description` and `state`.
    pub fn response(&self) -> AuthorizationResponse {
        let mut params = vec![("error", self.code.code().to_owned()), ("error_description", self.description.clone())];
        if let Some(state) = &self.state {
            params.push(("state", state.clone()));
        }
        AuthorizationResponse { redirect_uri: self.redirect_uri.clone(), params, mode: self.mode }
    }

    /// The callback URL with the error in its query.
    pub fn location(&self) -> String {
        self.response().location()
    }
}

/// Adds parameters to a callback URL, keeping any query it already has
/// (RFC 6749 §3.1.2: "MUST retain the query component").
pub fn append_query(base: &str, params: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

/// What can fail at the authorization endpoint (RFC 6749 §4.1.2.1).
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// "If the request fails due to a missing, invalid, or mismatching
    /// redirection URI, or if the client identifier is missing or invalid, the
    /// authorization server SHOULD inform the resource owner of the error and
    /// MUST NOT automatically redirect the user-agent to the invalid redirection URI."
    #[error("{0}")]
    NotRedirectable(Unredirectable),
    /// Everything else goes back to the client's verified callback.
    #[error("{}", .0.description)]
    Redirect(RedirectError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an authorization request is answered with a page, never a redirect
/// (RFC 6749 §4.1.2.1). The web layer words it in the page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unredirectable {
    /// "if the client identifier is missing"
    #[error("The request has no client_id.")]
    NoClientId,
    /// "or invalid"
    #[error("No application has this client_id.")]
    UnknownClient,
    /// "mismatching redirection URI"
    #[error("The redirect_uri is not registered for this application.")]
    UnregisteredRedirectUri,
    /// "missing … redirection URI" when several are registered (§3.1.2.3).
    #[error("The request has no redirect_uri.")]
    NoRedirectUri,
}

/// What can fail when the consent page posts its answer. Not an RFC error:
/// these are shown to the user as a page, since the client's callback is
/// only reached once the user has answered.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// The parked request is unknown, expired, already answered, or parked
    /// for another user (which is not told apart, so it does not show).
    #[error("the authorization request has expired")]
    Expired,
    /// The form named neither `authorize` nor `deny`.
    #[error("the form names no decision")]
    NoAnswer,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Token endpoint errors (RFC 6749 §5.2), also used by revocation and introspection.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// "The request is missing a required parameter, includes an unsupported
    /// parameter value (other than grant type), repeats a parameter, includes
    /// multiple credentials, … or is otherwise malformed."
    #[error("{0}")]
    InvalidRequest(String),
    /// "Client authentication failed (e.g., unknown client, no client
    /// authentication included, or unsupported authentication method)."
    #[error("{description}")]
    InvalidClient {
        /// Why.
        description: String,
        /// The client tried HTTP Basic: answer 401 with `WWW-Authenticate`.
        basic: bool,
    },
    /// "The provided authorization grant … or refresh token is invalid,
    /// expired, revoked, does not match the redirection URI used in the
    /// authorization request, or was issued to another client."
    #[error("{0}")]
    InvalidGrant(String),
    /// "The authenticated client is not authorized to use this authorization grant type."
    #[error("{0}")]
    UnauthorizedClient(String),
    /// "The authorization grant type is not supported by the authorization server."
    #[error("grant_type is not supported")]
    UnsupportedGrantType,
    /// "The requested scope is invalid, unknown, malformed, or exceeds the
    /// scope granted by the resource owner."
    #[error("{0}")]
    InvalidScope(String),
    /// RFC 8628 §3.5 `authorization_pending`: "The authorization request is
    /// still pending as the end user hasn't yet completed the
    /// user-interaction steps."
    #[error("the user has not answered yet; poll again after the interval")]
    AuthorizationPending,
    /// RFC 8628 §3.5 `slow_down`: "A variant of "`authorization_pending`", the
    /// authorization request is still pending and polling should continue,
    /// but the interval MUST be increased by 5 seconds for this and all
    /// subsequent requests."
    #[error("polling too fast: wait at least {interval} seconds between polls")]
    SlowDown {
        /// The interval the device must keep from now on, in seconds.
        interval: i64,
    },
    /// RFC 8628 §3.5 `access_denied`: "The authorization request was denied."
    #[error("the user denied the request")]
    AccessDenied,
    /// RFC 8628 §3.5 `expired_token`: "The "`device_code`" has expired, and the
    /// device authorization session has concluded."
    #[error("the device code has expired; start again")]
    ExpiredToken,
    /// Too many failed password-grant attempts for the account or address:
    /// answered 429 with `Retry-After` and an `invalid_grant` body.
    #[error("too many failed attempts; retry after {retry_after} seconds")]
    Throttled {
        /// Seconds until the next attempt may be made.
        retry_after: i64,
    },
    /// The database cannot be written or reached right now (RFC 6749
    /// §4.1.2.1's `temporarily_unavailable`): answered 503, nothing issued.
    #[error("the service is temporarily unavailable; try again in a few seconds")]
    TemporarilyUnavailable(#[source] StoreError),
    /// Storage or hashing failed; the client sees `server_error` only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl TokenError {
    /// The wire string.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidClient { .. } => "invalid_client",
            TokenError::InvalidGrant(_) | TokenError::Throttled { .. } => "invalid_grant",
            TokenError::UnauthorizedClient(_) => "unauthorized_client",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::InvalidScope(_) => "invalid_scope",
            TokenError::AuthorizationPending => "authorization_pending",
            TokenError::SlowDown { .. } => "slow_down",
            TokenError::AccessDenied => "access_denied",
            TokenError::ExpiredToken => "expired_token",
            TokenError::TemporarilyUnavailable(_) => "temporarily_unavailable",
            TokenError::Internal(_) => "server_error",
        }
    }

    /// Shorthand for a failed client authentication.
    pub fn invalid_client(description: &str, basic: bool) -> TokenError {
        TokenError::InvalidClient { description: description.to_owned(), basic }
    }
}

impl From<StoreError> for TokenError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => TokenError::TemporarilyUnavailable(error),
            other => TokenError::Internal(Box::new(other)),
        }
    }
}

/// Why a user code typed on the device page (RFC 8628 §3.3) was not taken.
/// Not an RFC error: the person at the browser reads it on the page.
#[derive(Debug, thiserror::Error)]
pub enum UserCodeError {
    /// Not eight letters of the code's alphabet: nothing was looked up, and
    /// nothing counts against the throttle.
    #[error("that is not a code of eight letters")]
    Malformed,
    /// No request waits under this code (mistyped, expired, or answered
    /// already): counts as a wrong code (RFC 8628 §5.1).
    #[error("no pending request has this code")]
    Unknown,
    /// Too many wrong codes from this account or address lately.
    #[error("too many wrong codes; try again in {retry_after} seconds")]
    Throttled {
        /// Seconds until the next code may be typed.
        retry_after: i64,
    },
    /// Storage failed (or too many codes of one account were checked at once).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Errors of a bearer-protected resource (RFC 6750 §3.1).
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// "If the request lacks any authentication information …, the resource
    /// server SHOULD NOT include an error code or other error information."
    #[error("an access token is required")]
    Missing,
    /// "The access token provided is expired, revoked, malformed, or invalid
    /// for other reasons."
    #[error("the access token is invalid, expired or revoked")]
    InvalidToken,
    /// "The request requires higher privileges than provided by the access token."
    #[error("the access token lacks the `{0}` scope")]
    InsufficientScope(Scope),
    /// The token is valid but was issued to a client, not on behalf of a user.
    #[error("the access token does not act for a user")]
    NoUser,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BearerError {
    /// The `error` attribute of `WWW-Authenticate`, if any.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            BearerError::Missing | BearerError::Store(_) => None,
            BearerError::InvalidToken => Some("invalid_token"),
            BearerError::InsufficientScope(_) | BearerError::NoUser => Some("insufficient_scope"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_match_rfc_6749() {
        assert_eq!(TokenError::InvalidRequest(String::new()).code(), "invalid_request");
        assert_eq!(TokenError::invalid_client("x", false).code(), "invalid_client");
        assert_eq!(TokenError::InvalidGrant(String::new()).code(), "invalid_grant");
        assert_eq!(TokenError::UnauthorizedClient(String::new()).code(), "unauthorized_client");
        assert_eq!(TokenError::UnsupportedGrantType.code(), "unsupported_grant_type");
        assert_eq!(TokenError::InvalidScope(String::new()).code(), "invalid_scope");
        assert_eq!(TokenError::AuthorizationPending.code(), "authorization_pending");
        assert_eq!(TokenError::SlowDown { interval: 10 }.code(), "slow_down");
        assert_eq!(TokenError::AccessDenied.code(), "access_denied");
        assert_eq!(TokenError::ExpiredToken.code(), "expired_token");
        assert_eq!(AuthorizeErrorCode::UnsupportedResponseType.code(), "unsupported_response_type");
        assert_eq!(AuthorizeErrorCode::AccessDenied.code(), "access_denied");
        assert_eq!(AuthorizeErrorCode::InteractionRequired.code(), "interaction_required");
        assert_eq!(BearerError::InsufficientScope(Scope::Emails).code(), Some("insufficient_scope"));
        assert_eq!(BearerError::Missing.code(), None);
    }

    #[test]
    fn error_redirect_keeps_the_callback_query_and_state() {
        let error = RedirectError {
            redirect_uri: "https://app.example.com/cb?x=1".into(),
            state: Some("s t".into()),
            code: AuthorizeErrorCode::AccessDenied,
            description: "denied".into(),
            mode: ResponseMode::Query,
        };
        assert_eq!(
            error.location(),
            "https://app.example.com/cb?x=1&error=access_denied&error_description=denied&state=s+t"
        );
    }
}
