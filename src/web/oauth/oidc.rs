//! OpenID Connect's own endpoints: `GET /oauth/jwks`, the public signing
//! keys (RFC 7517 §5), and `GET`/`POST /oauth/userinfo` (OIDC Core §5.3),
//! which answers a bearer token holding `openid` with `sub` and the claims
//! of its scopes, and refuses others as the Open API does (RFC 6750 §3.1).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::keys::KeyError;
use crate::oauth::claims::{ProviderUrls, UserClaims};
use crate::oauth::error::BearerError;
use crate::oauth::userinfo::userinfo;
use crate::state::AppState;
use crate::web::api::bearer::{Authenticated, authenticate, presented_token};
use crate::web::api::openapi::{BearerRefusals, forms};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;

/// `GET /oauth/jwks`: the current keys and those retired recently enough to
/// verify the tokens they signed; public halves only.
pub async fn jwks_get(State(state): State<AppState>) -> Result<Response, KeyError> {
    let keys = state.keys.published(state.clock.now()).await?;
    Ok(Json(json!({ "keys": keys })).into_response())
}

/// `GET /oauth/userinfo`, the token in `Authorization` or `?access_token=`.
///
/// OpenID Connect UserInfo (Core §5.3): the token must hold `openid`.
#[utoipa::path(
    get,
    path = paths::USERINFO,
    tag = "oauth",
    operation_id = "userinfo_get",
    summary = "The claims about the user",
    responses(
        (status = 200, description = "`sub` and the claims the token's scopes release.", body = UserClaims),
        BearerRefusals,
    ),
    security(("bearer" = ["openid"]), ("access_token" = ["openid"])),
)]
pub async fn userinfo_get(
    State(state): State<AppState>,
    Authenticated(access): Authenticated,
) -> Result<Json<UserClaims>, BearerError> {
    let avatar = avatar_url(&state);
    Ok(Json(userinfo(access, urls(&state, &avatar))?))
}

/// `POST /oauth/userinfo`: also takes the token as the `access_token` form
/// parameter (RFC 6750 §2.2; OIDC Core §5.3.1).
///
/// OpenID Connect UserInfo (Core §5.3); the token may come in the form body.
#[utoipa::path(
    post,
    path = paths::USERINFO,
    tag = "oauth",
    operation_id = "userinfo_post",
    summary = "The claims about the user (token in the body)",
    request_body(
        description = "The token, when not in the `Authorization` header.",
        content((Option<forms::UserinfoRequest> = "application/x-www-form-urlencoded")),
    ),
    responses(
        (status = 200, description = "`sub` and the claims the token's scopes release.", body = UserClaims),
        BearerRefusals,
    ),
    security(("bearer" = ["openid"]), ("access_token" = ["openid"])),
)]
pub async fn userinfo_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Params, ParamsError>,
) -> Result<Json<UserClaims>, BearerError> {
    let mut params = params.map_err(|_| BearerError::InvalidToken)?;
    let token = presented_token(&headers, params.take("access_token"))?;
    let access = authenticate(&state, &token).await?;
    let avatar = avatar_url(&state);
    Ok(Json(userinfo(access, urls(&state, &avatar))?))
}

fn avatar_url(state: &AppState) -> String {
    format!("{}{}", state.settings.issuer(), paths::AVATAR)
}

fn urls<'a>(state: &'a AppState, avatar: &'a str) -> ProviderUrls<'a> {
    ProviderUrls { issuer: state.settings.issuer(), avatar }
}
