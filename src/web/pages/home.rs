//! The home page: who is signed in, and a way out.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::pages::render;
use crate::web::session::MaybeSession;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    login: Option<String>,
    csrf_token: String,
}

/// `GET /`
pub async fn home_get(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
) -> Result<Response, PageError> {
    let page = match session {
        Some(session) => {
            let user = state.store.find_user(session.user_id).await?;
            HomePage { login: user.map(|u| u.login), csrf_token: session.csrf_token }
        }
        None => HomePage { login: None, csrf_token: String::new() },
    };
    Ok(render(StatusCode::OK, &page))
}
