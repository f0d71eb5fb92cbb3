//! The OAuth endpoints: authorization, token, revocation, introspection, metadata.

mod authorize;
pub mod client_credentials;
mod metadata;
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
        .route(paths::METADATA, get(metadata::metadata_get))
}
