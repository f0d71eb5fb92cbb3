//! `GET /healthz`: liveness and database reachability.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use serde_json::json;

use crate::state::AppState;
use crate::web::report::ErrorReport;

/// 200 when the database answers, 503 when it does not (the cause goes to
/// the log through the boundary).
pub async fn health_get(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": "ok" }))).into_response(),
        Err(error) => {
            let body = Json(json!({ "status": "error", "database": "unreachable" }));
            ErrorReport::failed("health_check", &error).attach((StatusCode::SERVICE_UNAVAILABLE, body).into_response())
        }
    }
}
