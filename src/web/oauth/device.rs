//! `POST /oauth/device/code`: the device authorization endpoint (RFC 8628
//! §3.1–3.2). Parameters and client credentials are read as at the token
//! endpoint; errors are RFC 6749 §5.2 JSON.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::oauth::device;
use crate::state::AppState;
use crate::web::client_addr::ClientAddr;
use crate::web::error::NO_STORE;
use crate::web::oauth::client_credentials::take_credentials;
use crate::web::params::{Params, ParamsError};
use crate::web::{audit, paths};

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Serialize)]
struct DeviceAuthorizationResponse<'a> {
    device_code: &'a str,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: i64,
    interval: i64,
}

/// `POST /oauth/device/code`
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
