//! `POST /oauth/device/code`: the device authorization endpoint (RFC 8628
//! §3.1–3.2). Parameters and client credentials are read as at the token
//! endpoint; errors are RFC 6749 §5.2 JSON.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::oauth::device;
use crate::state::AppState;
use crate::web::api::openapi::forms;
use crate::web::client_addr::ClientAddr;
use crate::web::error::{NO_STORE, OAuthErrorBody};
use crate::web::oauth::client_credentials::take_credentials;
use crate::web::params::{Params, ParamsError};
use crate::web::{audit, paths};

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceAuthorizationResponse<'a> {
    /// What the device polls the token endpoint with (`gdc_…`).
    device_code: &'a str,
    /// What the user types: eight letters shown in two groups of four, like `BCDF-GHJK`.
    #[schema(pattern = "^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")]
    user_code: String,
    /// Where the user types it: `{issuer}/device`.
    verification_uri: String,
    /// The same page with the code filled in (for a QR code).
    verification_uri_complete: String,
    /// Seconds the codes live: 900.
    expires_in: i64,
    /// Seconds the device waits between polls: 5.
    interval: i64,
}

/// `POST /oauth/device/code`
///
/// Starts the device authorization grant (RFC 8628 §3.1): the device shows
/// the user code and polls `POST /oauth/token` with the device code.
#[utoipa::path(
    post,
    path = paths::DEVICE_AUTHORIZATION,
    tag = "oauth",
    operation_id = "device_authorization",
    summary = "Start a device authorization",
    request_body(
        description = "The client and scopes; also accepted as JSON and in the query string.",
        content(
            (forms::DeviceAuthorizationRequest = "application/x-www-form-urlencoded"),
            (forms::DeviceAuthorizationRequest = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "The codes (RFC 8628 §3.2).", body = DeviceAuthorizationResponse<'static>),
        (status = 400, description = "`invalid_request`, `invalid_scope`, `unauthorized_client`.", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`: unknown client, or a confidential one without its secret.",
            body = OAuthErrorBody, headers(("WWW-Authenticate" = String, description = "When the client used HTTP Basic."))),
        (status = 500, description = "`server_error`.", body = OAuthErrorBody),
        (status = 503, description = "`temporarily_unavailable`.", body = OAuthErrorBody, headers(("Retry-After" = i64))),
    ),
    security((), ("client_basic" = [])),
)]
pub async fn device_authorization_post(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    headers: HeaderMap,
    params: Result<Params, ParamsError>,
) -> Response {
    let result = async {
        let mut params = params?;
        let credentials = take_credentials(&headers, &mut params)?;
        let scope = params.take("scope");
        device::start(&*state.store, &state.settings.policy, &credentials, scope.as_deref(), state.clock.now()).await
    }
    .await;
    let started = match result {
        Ok(started) => started,
        Err(error) => {
            audit::token_refused(error.code(), client_addr);
            return error.into_response();
        }
    };
    audit::device_authorization_started(&started.client_id, client_addr);
    let verification_uri = format!("{}{}", state.settings.issuer(), paths::DEVICE);
    let user_code = started.user_code.display();
    // The code is eight letters and a dash: nothing in it needs escaping.
    let verification_uri_complete = format!("{verification_uri}?user_code={user_code}");
    let body = DeviceAuthorizationResponse {
        device_code: started.device_code.expose(),
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_in: started.expires_in,
        interval: started.interval,
    };
    (StatusCode::OK, NO_STORE, Json(body)).into_response()
}
