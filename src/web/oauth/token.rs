//! `POST /oauth/token`, `/oauth/revoke` and `/oauth/introspect`. Parameters
//! are parsed here, once, into the protocol's request types.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::metrics::Throttle;
use crate::oauth::claims::ProviderUrls;
use crate::oauth::client_auth::ClientCredentials;
use crate::oauth::error::TokenError;
use crate::oauth::id_token::IdTokenIssuer;
use crate::oauth::introspect::Introspection;
use crate::oauth::token::{self, GrantRequest, IssuedTokens, TokenContext, TokenRequest};
use crate::oauth::{introspect, revoke};
use crate::state::AppState;
use crate::web::api::openapi::forms;
use crate::web::audit;
use crate::web::client_addr::ClientAddr;
use crate::web::error::{NO_STORE, OAuthErrorBody, user_agent_required};
use crate::web::oauth::client_credentials::take_credentials;
use crate::web::params::{Params, ParamsError};
use crate::web::paths;

/// The token response (SPEC §2), with the platform's `created_at`, and an
/// `id_token` when the scopes hold `openid` (OIDC Core §3.1.3.3).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse<'a> {
    /// The access token (`gat_…`).
    access_token: &'a str,
    /// Always `bearer`.
    #[schema(value_type = String, pattern = "^bearer$")]
    token_type: &'static str,
    /// Seconds the access token lives: 86400, a day.
    expires_in: i64,
    /// The refresh token, spent by its next use (not issued to `client_credentials`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    refresh_token: Option<&'a str>,
    /// The granted scopes, space-separated.
    scope: String,
    /// When the token was issued, in Unix seconds (the platform's field).
    created_at: i64,
    /// The OpenID Connect ID token (a JWS), when the scopes hold `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    id_token: Option<&'a str>,
}

impl IntoResponse for IssuedTokens {
    fn into_response(self) -> Response {
        let body = TokenResponse {
            access_token: self.access_token.expose(),
            token_type: "bearer",
            expires_in: self.expires_in,
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose()),
            scope: self.scopes.to_string(),
            created_at: self.created_at,
            id_token: self.id_token.as_deref(),
        };
        (StatusCode::OK, NO_STORE, Json(body)).into_response()
    }
}

/// `POST /oauth/token`
///
/// Issues tokens for one grant, tagged by `grant_type`. Requests without a
/// `User-Agent` header are refused (the platform does the same).
#[utoipa::path(
    post,
    path = paths::TOKEN,
    tag = "oauth",
    operation_id = "token",
    summary = "Issue tokens",
    request_body(
        description = "The grant's parameters; also accepted as JSON and in the query string.",
        content(
            (forms::TokenRequest = "application/x-www-form-urlencoded"),
            (forms::TokenRequest = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "The tokens (with `Cache-Control: no-store`).", body = TokenResponse<'static>),
        (status = 400, description = "A refused request or grant: `invalid_request`, `invalid_grant`, \
            `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`; at a device's poll \
            `authorization_pending`, `slow_down`, `access_denied`, `expired_token`.", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`: client authentication failed.", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "When the client used HTTP Basic."))),
        (status = 403, description = "`invalid_request`: the request has no `User-Agent` header.", body = OAuthErrorBody),
        (status = 429, description = "`invalid_grant`: too many failed password attempts.", body = OAuthErrorBody,
            headers(("Retry-After" = i64, description = "Seconds until the next attempt."))),
        (status = 500, description = "`server_error`.", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`: storage is down; nothing was issued.",
            body = OAuthErrorBody, headers(("Retry-After" = i64))),
    ),
    security((), ("client_basic" = [])),
)]
pub async fn token_post(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    headers: HeaderMap,
    params: Result<Params, ParamsError>,
) -> Response {
    if state.settings.require_user_agent && !headers.contains_key(header::USER_AGENT) {
        return user_agent_required();
    }
    // Set once the grant is parsed; read only when tokens were issued.
    let mut grant_type = "";
    let result = async {
        let mut params = params?;
        let credentials = take_credentials(&headers, &mut params)?;
        let grant = grant_request(&mut params)?;
        grant_type = grant_label(&grant);
        let issuer = state.settings.issuer();
        let avatar = format!("{issuer}{}", paths::AVATAR);
        let ctx = TokenContext {
            store: &state.store,
            clock: &state.clock,
            hasher: &state.hasher,
            policy: &state.settings.policy,
            now: state.clock.now(),
            client_addr,
            id_tokens: IdTokenIssuer {
                keys: &state.keys,
                urls: ProviderUrls { issuer, avatar: &avatar },
                ttl: state.settings.policy.id_token_ttl,
            },
        };
        token::exchange(ctx, TokenRequest { grant, credentials }).await
    }
    .await;
    answer(&state, client_addr, grant_type, result)
}

/// The token endpoint's answer, audited and counted in the metrics.
fn answer(
    state: &AppState,
    client_addr: IpAddr,
    grant_type: &'static str,
    result: Result<IssuedTokens, TokenError>,
) -> Response {
    match result {
        Ok(issued) => {
            audit::token_issued(&issued.client_id, issued.user_id, &issued.scopes, client_addr);
            state.metrics.token_issued(grant_type);
            issued.into_response()
        }
        Err(error) => {
            state.metrics.token_error(error.code());
            match &error {
                // A device waiting for its user is not refused: no audit line per poll.
                TokenError::AuthorizationPending | TokenError::SlowDown { .. } => {}
                TokenError::Throttled { .. } => {
                    state.metrics.throttled(Throttle::PasswordGrant);
                    audit::token_refused(error.code(), client_addr);
                }
                _ => audit::token_refused(error.code(), client_addr),
            }
            error.into_response()
        }
    }
}

/// The `grant_type` as a metrics label (the device grant's URN shortened).
fn grant_label(grant: &GrantRequest) -> &'static str {
    match grant {
        GrantRequest::AuthorizationCode { .. } => "authorization_code",
        GrantRequest::RefreshToken { .. } => "refresh_token",
        GrantRequest::Password { .. } => "password",
        GrantRequest::ClientCredentials { .. } => "client_credentials",
        GrantRequest::DeviceCode { .. } => "device_code",
    }
}

/// The device grant's `grant_type` (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Parses the grant, tagged by `grant_type`.
pub fn grant_request(params: &mut Params) -> Result<GrantRequest, TokenError> {
    fn required(params: &mut Params, name: &str) -> Result<String, TokenError> {
        params.take(name).ok_or_else(|| TokenError::InvalidRequest(format!("{name} is required")))
    }
    let grant_type = required(params, "grant_type")?;
    Ok(match grant_type.as_str() {
        "authorization_code" => GrantRequest::AuthorizationCode {
            code: required(params, "code")?,
            redirect_uri: params.take("redirect_uri"),
            code_verifier: params.take("code_verifier"),
        },
        "refresh_token" => GrantRequest::RefreshToken {
            refresh_token: required(params, "refresh_token")?,
            scope: params.take("scope"),
        },
        "password" => GrantRequest::Password {
            username: required(params, "username")?,
            password: required(params, "password")?,
            scope: params.take("scope"),
        },
        "client_credentials" => GrantRequest::ClientCredentials { scope: params.take("scope") },
        DEVICE_CODE_GRANT => GrantRequest::DeviceCode { device_code: required(params, "device_code")? },
        _ => return Err(TokenError::UnsupportedGrantType),
    })
}

/// The `token` parameter and the client's credentials of a revocation or
/// introspection request.
fn token_and_credentials(
    headers: &HeaderMap,
    params: Result<Params, ParamsError>,
) -> Result<(ClientCredentials, String), TokenError> {
    let mut params = params?;
    let credentials = take_credentials(headers, &mut params)?;
    let token = params.take("token").ok_or_else(|| TokenError::InvalidRequest("token is required".into()))?;
    Ok((credentials, token))
}

/// `POST /oauth/revoke` (RFC 7009): 200 with an empty body, also for unknown tokens.
///
/// Revoking a refresh token revokes the access tokens issued with it. Public
/// clients may revoke their own tokens with their `client_id` alone.
#[utoipa::path(
    post,
    path = paths::REVOKE,
    tag = "oauth",
    operation_id = "revoke",
    summary = "Revoke a token",
    request_body(
        description = "The token; also accepted as JSON and in the query string.",
        content(
            (forms::TokenHintRequest = "application/x-www-form-urlencoded"),
            (forms::TokenHintRequest = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "Revoked, or no such token (RFC 7009 §2.2); an empty body."),
        (status = 400, description = "`invalid_request`; `unauthorized_client` for a token issued to another \
            client or a personal access token.", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`.", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "When the client used HTTP Basic."))),
        (status = 500, description = "`server_error`.", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`.", body = OAuthErrorBody, headers(("Retry-After" = i64))),
    ),
    security((), ("client_basic" = [])),
)]
pub async fn revoke_post(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    headers: HeaderMap,
    params: Result<Params, ParamsError>,
) -> Response {
    let result = async {
        let (credentials, token) = token_and_credentials(&headers, params)?;
        revoke::revoke(&*state.store, &credentials, &token, state.clock.now()).await
    }
    .await;
    match result {
        Ok(()) => {
            audit::token_revoked(client_addr);
            (StatusCode::OK, NO_STORE).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// `POST /oauth/introspect` (RFC 7662).
///
/// For resource servers, registered as confidential applications: any of
/// them may ask about any token.
#[utoipa::path(
    post,
    path = paths::INTROSPECT,
    tag = "oauth",
    operation_id = "introspect",
    summary = "Describe a token",
    request_body(
        description = "The token; also accepted as JSON and in the query string.",
        content(
            (forms::TokenHintRequest = "application/x-www-form-urlencoded"),
            (forms::TokenHintRequest = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "What the token is; `{\"active\": false}` alone when it is not usable.",
            body = Introspection),
        (status = 400, description = "`invalid_request`.", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`: a confidential client must authenticate.", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "When the client used HTTP Basic."))),
        (status = 500, description = "`server_error`.", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`.", body = OAuthErrorBody, headers(("Retry-After" = i64))),
    ),
    security(("client_basic" = []), ()),
)]
pub async fn introspect_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Params, ParamsError>,
) -> Response {
    let result = async {
        let (credentials, token) = token_and_credentials(&headers, params)?;
        introspect::introspect(&*state.store, &credentials, &token, state.clock.now()).await
    }
    .await;
    match result {
        Ok(answer) => (StatusCode::OK, NO_STORE, Json(answer)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Any method but POST at the token endpoints.
pub async fn method_not_allowed() -> Response {
    let body = serde_json::json!({ "error": "invalid_request", "error_description": "use POST" });
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")], Json(body)).into_response()
}
