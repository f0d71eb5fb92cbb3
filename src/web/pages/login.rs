//! Sign in and sign out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::{self, AccountError};
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::pages::{render, safe_return_to};
use crate::web::params::Params;
use crate::web::redirect;
use crate::web::session::{self, MaybeSession};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf_token: String,
    return_to: String,
    email: String,
    error: Option<String>,
}

/// Query of `GET /login`.
#[derive(Debug, serde::Deserialize)]
pub struct ReturnTo {
    /// Where to go afterwards.
    pub return_to: Option<String>,
}

/// `GET /login`
pub async fn login_get(
    State(state): State<AppState>,
    jar: CookieJar,
    MaybeSession(session): MaybeSession,
    Query(query): Query<ReturnTo>,
) -> Response {
    let return_to = safe_return_to(query.return_to.as_deref());
    if session.is_some() {
        return redirect::found(&return_to);
    }
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let page = LoginPage { csrf_token, return_to, email: String::new(), error: None };
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// `POST /login`: on success a new session and a redirect to `return_to`.
pub async fn login_post(
    State(state): State<AppState>,
    jar: CookieJar,
    MaybeSession(previous): MaybeSession,
    params: Result<Params, crate::web::params::ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let email = params.get("email").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    let return_to = safe_return_to(params.get("return_to"));
    match accounts::authenticate(&*state.store, &state.hasher, email, password).await {
        Ok(user) => {
            tracing::info!(user_id = user.id, "sign-in succeeded");
            let jar = session::sign_in(&state, jar, previous.as_ref(), user.id).await?;
            Ok((jar, redirect::see_other(&return_to)).into_response())
        }
        Err(AccountError::InvalidCredentials) => {
            tracing::info!("sign-in failed");
            let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
            let page = LoginPage {
                csrf_token,
                return_to,
                email: email.to_owned(),
                error: Some(AccountError::InvalidCredentials.to_string()),
            };
            Ok((jar, render(StatusCode::UNAUTHORIZED, &page)).into_response())
        }
        Err(other) => Err(PageError::Internal(Box::new(other))),
    }
}

/// `POST /logout`: ends the session on the server.
pub async fn logout_post(
    State(state): State<AppState>,
    jar: CookieJar,
    MaybeSession(session): MaybeSession,
    params: Result<Params, crate::web::params::ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    let Some(session) = session else {
        return Ok(redirect::see_other("/"));
    };
    session.check_csrf(params.get("csrf_token"))?;
    let jar = session::sign_out(&state, jar, &session).await?;
    Ok((jar, redirect::see_other(&safe_return_to(params.get("return_to")))).into_response())
}
