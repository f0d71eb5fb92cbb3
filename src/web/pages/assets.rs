//! Static assets, compiled into the binary (the machine has no CDN).

use axum::http::header;
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("../../../static/gatehouse.css");
const AVATAR: &str = include_str!("../../../static/avatar.svg");
const SCRIPT: &str = include_str!("../../../static/gatehouse.js");
const CACHE: &str = "public, max-age=3600";

/// `GET /static/gatehouse.css`
pub async fn stylesheet_get() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, CACHE)], STYLESHEET)
}

/// `GET /static/avatar.svg`: the default avatar of every profile.
pub async fn avatar_get() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, CACHE)], AVATAR)
}

/// `GET /static/gatehouse.js`: copy buttons; every page works without it.
pub async fn script_get() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, CACHE)], SCRIPT)
}
