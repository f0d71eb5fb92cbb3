//! Every mapping from an error to an HTTP response: RFC 6749 JSON at the
//! token endpoints, RFC 6750 challenges at the API, redirects or pages at the
//! authorization endpoint, the error page everywhere else. Nothing is logged
//! here: each response carries an `ErrorReport`, which the boundary
//! middleware logs once; the client sees an opaque message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::AccountError;
use crate::accounts::profile::ProfileUpdateError;
use crate::domain::profile::ProfileError;
use crate::keys::KeyError;
use crate::oauth::error::{AuthorizeError, BearerError, TokenError, Unredirectable};
use crate::store::StoreError;
use crate::web::i18n::{Lang, PageMessage};
use crate::web::params::ParamsError;
use crate::web::redirect;
use crate::web::render::error_response;
use crate::web::report::ErrorReport;

/// Seconds a client is asked to wait after a storage fault (`Retry-After`).
const UNAVAILABLE_RETRY_AFTER: u32 = 5;

/// Headers that keep a response out of every cache (RFC 6749 §5.1).
pub const NO_STORE: [(header::HeaderName, &str); 2] =
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")];

/// An `error_description` as RFC 6749 §5.2 (and §4.1.2.1, RFC 6750 §3)
/// allows it: `%x20-21 / %x23-5B / %x5D-7E`. A double quote becomes a single
/// one, a backslash a slash, other whitespace a space, anything else `?`.
/// Every description Gatehouse sends passes through here.
pub fn error_description(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect()
}

/// The JSON body of an OAuth error (RFC 6749 §5.2), at every OAuth endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OAuthError)]
pub struct OAuthErrorBody {
    /// The error code.
    #[schema(value_type = OAuthErrorCode)]
    pub error: &'static str,
    /// Why, in English, for the developer (never shown to users as is).
    pub error_description: String,
}

/// Every `error` code the OAuth endpoints answer with: RFC 6749 §5.2, RFC
/// 8628 §3.5 (the device grant's polling) and `temporarily_unavailable`
/// (storage faults, SPEC §4). Only its schema is used: the codes on the wire
/// come from `TokenError::code`, and a test holds the two together.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "snake_case")]
#[expect(dead_code, reason = "the OpenAPI document's list of codes; never built")]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AuthorizationPending,
    SlowDown,
    AccessDenied,
    ExpiredToken,
    TemporarilyUnavailable,
    ServerError,
}

/// The JSON body of an OAuth error (RFC 6749 §5.2).
pub fn oauth_error_body(code: &'static str, description: &str) -> Json<OAuthErrorBody> {
    Json(OAuthErrorBody { error: code, error_description: error_description(description) })
}

/// The Open API's refusal of a token (RFC 6750 §3.1): the platform's
/// `message` beside the RFC's code, which the `WWW-Authenticate` challenge
/// carries too.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BearerError)]
pub struct BearerErrorBody {
    /// Why, in English.
    pub message: String,
    /// `invalid_token` or `insufficient_scope`; `null` when no token was
    /// sent ("SHOULD NOT include an error code", RFC 6750 §3.1).
    #[schema(value_type = Option<BearerErrorCode>, required = true)]
    pub error: Option<&'static str>,
}

/// The codes of RFC 6750 §3.1 that the Open API answers with.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "snake_case")]
#[expect(dead_code, reason = "the OpenAPI document's list of codes; never built")]
pub enum BearerErrorCode {
    InvalidToken,
    InsufficientScope,
}

/// The platform's plain error body: a body that cannot be read, storage
/// down, an internal error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageBody {
    /// What went wrong, in English.
    pub message: String,
}

/// GitHub's "Validation Failed" body, as the platform sends it (422).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ValidationFailed)]
pub struct ValidationBody {
    /// `Validation Failed: ` and every reason.
    pub message: String,
    /// One entry per refused field, in field order.
    pub errors: Vec<FieldErrorBody>,
}

/// One refused field of a [`ValidationBody`].
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorBody {
    /// The resource: `User`.
    pub resource: &'static str,
    /// The field's wire name.
    pub field: &'static str,
    /// `invalid`.
    pub code: &'static str,
    /// Why, in English.
    pub message: String,
}

fn message(text: &str) -> Json<MessageBody> {
    Json(MessageBody { message: text.to_owned() })
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, report) = match &self {
            TokenError::InvalidClient { .. } => (StatusCode::UNAUTHORIZED, ErrorReport::refused(self.code())),
            TokenError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorReport::refused(self.code())),
            TokenError::TemporarilyUnavailable(source) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorReport::failed(self.code(), source))
            }
            TokenError::Internal(source) => {
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorReport::failed(self.code(), &**source))
            }
            _ => (StatusCode::BAD_REQUEST, ErrorReport::refused(self.code())),
        };
        let body = oauth_error_body(self.code(), &self.to_string());
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
        report.attach(response)
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
    let body = oauth_error_body("invalid_request", "a User-Agent header is required: set one in your HTTP client");
    ErrorReport::refused("user_agent_required").attach((StatusCode::FORBIDDEN, NO_STORE, body).into_response())
}

impl IntoResponse for ParamsError {
    fn into_response(self) -> Response {
        PageError::from(self).into_response()
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        if let BearerError::Store(source @ StoreError::Unavailable(_)) = &self {
            let body = message("the service is temporarily unavailable; try again in a few seconds");
            let retry = [(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER))];
            let response = (StatusCode::SERVICE_UNAVAILABLE, retry, body).into_response();
            return ErrorReport::failed("bearer_check", source).attach(response);
        }
        let (status, challenge) = match &self {
            BearerError::Missing => (StatusCode::UNAUTHORIZED, "Bearer realm=\"gatehouse\"".to_owned()),
            BearerError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"{}\"",
                    error_description(&self.to_string())
                ),
            ),
            BearerError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                format!("Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\"{scope}\""),
            ),
            BearerError::NoUser => {
                (StatusCode::FORBIDDEN, "Bearer realm=\"gatehouse\", error=\"insufficient_scope\"".to_owned())
            }
            BearerError::Store(source) => {
                let response = (StatusCode::INTERNAL_SERVER_ERROR, message("internal error")).into_response();
                return ErrorReport::failed("bearer_check", source).attach(response);
            }
        };
        let body = Json(BearerErrorBody { message: self.to_string(), error: self.code() });
        let mut response = (status, body).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        ErrorReport::refused(self.code().unwrap_or("token_missing")).attach(response)
    }
}

/// What a write to the Open API (`PATCH /api/v5/user`) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The token is missing, invalid or short of the scope.
    #[error(transparent)]
    Bearer(#[from] BearerError),
    /// The body cannot be read.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// Fields that fail their rules, in field order.
    #[error("validation failed")]
    Invalid(Vec<ProfileError>),
}

impl From<ProfileUpdateError> for ApiError {
    fn from(error: ProfileUpdateError) -> Self {
        match error {
            ProfileUpdateError::Invalid(errors) => ApiError::Invalid(errors),
            // The account was deleted meanwhile, and its tokens with it.
            ProfileUpdateError::NoUser => ApiError::Bearer(BearerError::InvalidToken),
            ProfileUpdateError::Store(source) => ApiError::Bearer(BearerError::Store(source)),
        }
    }
}

/// The platform's `{"message": …}` body: `400` for a body that cannot be
/// read; `422` for refused fields, shaped like GitHub's "Validation Failed"
/// (one entry per field under `errors`, each naming it by its wire name).
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Bearer(error) => error.into_response(),
            ApiError::Params(error) => {
                let body = message(&error.to_string());
                ErrorReport::refused("bad_request").attach((StatusCode::BAD_REQUEST, body).into_response())
            }
            ApiError::Invalid(errors) => {
                let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                let message = format!("Validation Failed: {}", reasons.join("; "));
                let errors = errors
                    .iter()
                    .zip(reasons)
                    .map(|(e, message)| FieldErrorBody { resource: "User", field: e.field(), code: "invalid", message })
                    .collect();
                let body = Json(ValidationBody { message, errors });
                ErrorReport::refused("validation_failed")
                    .attach((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
            }
        }
    }
}

/// The JWKS could not be read: 503 while storage is down, else 500; JSON
/// either way, the cause only in the log.
impl IntoResponse for KeyError {
    fn into_response(self) -> Response {
        if let KeyError::Store(source @ StoreError::Unavailable(_)) = &self {
            let body = oauth_error_body("temporarily_unavailable", "the service is temporarily unavailable");
            let retry = [(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER))];
            let response = (StatusCode::SERVICE_UNAVAILABLE, retry, body).into_response();
            return ErrorReport::failed("signing_keys", source).attach(response);
        }
        let response =
            (StatusCode::INTERNAL_SERVER_ERROR, oauth_error_body("server_error", "internal error")).into_response();
        ErrorReport::failed("signing_keys", &self).attach(response)
    }
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            AuthorizeError::NotRedirectable(reason) => PageError::BadRequest(reason.into()).into_response(),
            AuthorizeError::Redirect(mut error) => {
                let kind = error.code.code();
                error.description = error_description(&error.description);
                ErrorReport::refused(kind).attach(redirect::found(&error.location()))
            }
            AuthorizeError::Store(source) => PageError::from(source).into_response(),
        }
    }
}

impl From<Unredirectable> for PageMessage {
    fn from(reason: Unredirectable) -> Self {
        match reason {
            Unredirectable::NoClientId => PageMessage::NoClientId,
            Unredirectable::UnknownClient => PageMessage::UnknownClient,
            Unredirectable::UnregisteredRedirectUri => PageMessage::UnregisteredRedirectUri,
            Unredirectable::NoRedirectUri => PageMessage::NoRedirectUri,
        }
    }
}

/// Errors of the HTML pages. The message is a key into the language tables:
/// the boundary renders the page in the request's language.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The request cannot be served as sent.
    #[error("{}", .0.text(Lang::En))]
    BadRequest(PageMessage),
    /// A form without a valid CSRF token, or a forbidden action.
    #[error("{}", .0.text(Lang::En))]
    Forbidden(PageMessage),
    /// Nothing here, or not yours.
    #[error("page not found")]
    NotFound,
    /// The database cannot be written or reached right now.
    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),
    /// Something broke on our side.
    #[error("page failed")]
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
        PageError::BadRequest(PageMessage::Params(error))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message, report) = match self {
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, message, ErrorReport::refused("bad_request")),
            PageError::Forbidden(message) => (StatusCode::FORBIDDEN, message, ErrorReport::refused("forbidden")),
            PageError::NotFound => (StatusCode::NOT_FOUND, PageMessage::NotFound, ErrorReport::refused("not_found")),
            PageError::Unavailable(source) => {
                (StatusCode::SERVICE_UNAVAILABLE, PageMessage::Unavailable, ErrorReport::failed("page", &source))
            }
            PageError::Internal(source) => {
                (StatusCode::INTERNAL_SERVER_ERROR, PageMessage::Internal, ErrorReport::failed("page", &*source))
            }
        };
        let mut response = error_response(status, message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER));
        }
        report.attach(response)
    }
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema as _;

    use super::*;

    #[test]
    fn the_documented_oauth_error_codes_are_every_code_the_endpoints_send() {
        let schema = serde_json::to_value(OAuthErrorCode::schema()).unwrap();
        let documented: Vec<&str> = schema["enum"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        let store = || StoreError::Unavailable("down".into());
        let sent = [
            TokenError::InvalidRequest(String::new()),
            TokenError::invalid_client("", false),
            TokenError::InvalidGrant(String::new()),
            TokenError::UnauthorizedClient(String::new()),
            TokenError::UnsupportedGrantType,
            TokenError::InvalidScope(String::new()),
            TokenError::AuthorizationPending,
            TokenError::SlowDown { interval: 10 },
            TokenError::AccessDenied,
            TokenError::ExpiredToken,
            TokenError::Throttled { retry_after: 1 },
            TokenError::TemporarilyUnavailable(store()),
            TokenError::Internal("x".into()),
        ]
        .map(|error| error.code());

        let mut sorted = sent.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut listed = documented.clone();
        listed.sort_unstable();
        assert_eq!(listed, sorted);
    }

    #[test]
    fn error_descriptions_keep_only_rfc_6749_characters() {
        assert_eq!(error_description("code is invalid"), "code is invalid");
        assert_eq!(error_description("a \"quoted\" back\\slash"), "a 'quoted' back/slash");
        assert_eq!(error_description("line\nbreak\ttab"), "line break tab");
        assert_eq!(error_description("ünïcode 码\u{0}"), "?n?code ??");
        let all: String = (' '..='~').collect();
        assert!(error_description(&all).chars().all(|c| matches!(c, ' '..='!' | '#'..='[' | ']'..='~')));
    }
}
