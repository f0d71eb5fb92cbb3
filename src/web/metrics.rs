//! HTTP metrics and the `--metrics-listen` listener (SPEC §8).
//!
//! [`count_requests`] wraps every request on the public listener and counts
//! it by route *template*: [`tag_route`], a route layer, copies axum's
//! `MatchedPath` (`/api/v5/user`, `/settings/applications/{id}`) into the
//! response, and anything no route matched is `"unmatched"`. The raw path
//! and query never become a label, so ids and tokens in them stay out of the
//! metrics. `/metrics` itself is served only by [`router`], on its own
//! listener; the public listener answers it with 404 like any unknown path.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;

use crate::metrics::Metrics;
use crate::state::AppState;

/// The path of the metrics document on the metrics listener.
pub const METRICS: &str = "/metrics";

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// The metrics listener's router: `GET /metrics` and nothing else.
pub fn router(state: AppState) -> Router {
    Router::new().route(METRICS, get(metrics_get)).with_state(state)
}

/// `GET /metrics`: every family in the Prometheus text format.
async fn metrics_get(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(state.store.pool_usage());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// The matched route's template, carried from [`tag_route`] to
/// [`count_requests`] in the response's extensions.
#[derive(Clone)]
struct Route(MatchedPath);

/// Route layer: marks the response with the route template that matched.
pub async fn tag_route(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(Route(matched));
    }
    response
}

/// Counts every request and its latency by route template, method and status.
pub async fn count_requests(State(metrics): State<std::sync::Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let mut response = next.run(request).await;
    let route = response.extensions_mut().remove::<Route>();
    let route = route.as_ref().map_or(UNMATCHED, |Route(matched)| matched.as_str());
    metrics.http_request(route, method, response.status().as_str(), started.elapsed().as_secs_f64());
    response
}

/// The method as a label from a fixed set (a client may send any token).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
