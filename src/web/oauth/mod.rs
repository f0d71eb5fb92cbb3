//! The OAuth and OpenID Connect endpoints: authorization, token, revocation,
//! introspection, device authorization, metadata and discovery, JWKS, UserInfo.

mod authorize;
mod callback;
pub mod client_credentials;
pub(crate) mod device;
mod logout;
mod metadata;
pub(crate) mod oidc;
pub mod token;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::paths;

/// The OAuth routes. The token endpoints accept POST only (SPEC §4); other
/// methods get 405 with an RFC 6749 body.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::AUTHORIZE, get(authorize::authorize_get).post(authorize::authorize_post))
        .route(paths::TOKEN, post(token::token_post).fallback(token::method_not_allowed))
        .route(paths::REVOKE, post(token::revoke_post).fallback(token::method_not_allowed))
        .route(paths::INTROSPECT, post(token::introspect_post).fallback(token::method_not_allowed))
        .route(paths::OIDC_LOGOUT, get(logout::logout_get).post(logout::logout_post))
        .route(paths::DEVICE_AUTHORIZATION, post(device::device_authorization_post).fallback(token::method_not_allowed))
        .merge(public_routes())
}

/// What browser relying parties read cross-origin (no cookies involved).
fn public_routes() -> Router<AppState> {
    Router::new()
        .route(paths::METADATA, get(metadata::metadata_get))
        .route(paths::OPENID_CONFIGURATION, get(metadata::metadata_get))
        .route(paths::JWKS, get(oidc::jwks_get))
        .route(paths::USERINFO, get(oidc::userinfo_get).post(oidc::userinfo_post))
        .layer(crate::web::api::cors())
}
