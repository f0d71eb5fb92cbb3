//! The home page: who is signed in, and where to go.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::web::pages::{Layout, PageContext, render};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

/// `GET /`
pub async fn home_get(ctx: PageContext) -> Response {
    render(StatusCode::OK, &HomePage { layout: ctx.layout() })
}
