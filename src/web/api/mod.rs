//! The bearer-protected Open API under `/api/v5` (SPEC §1.9). Answers
//! cross-origin requests from any origin without cookies, so browser apps can
//! call it with a token.

pub(crate) mod bearer;
pub(crate) mod openapi;
mod user;

use std::time::Duration;

use axum::Router;
use axum::http::{Method, header};
use axum::routing::get;
use tower_http::cors::{Any, CorsLayer};

use crate::state::AppState;

/// The API routes, relative to `/api/v5`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user", get(user::user_get).patch(user::user_patch))
        .route("/emails", get(user::emails_get))
        .route("/openapi.json", get(openapi::openapi_get))
        .layer(cors())
}

/// Cross-origin requests from any origin, without cookies: for the Open API
/// and for what a browser relying party reads (discovery, JWKS, UserInfo).
pub(crate) fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(Duration::from_secs(86_400))
}
