//! Sign up: Email, Username, Password; errors are shown beside their field
//! and what was typed is kept (except the password).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::{self, AccountError};
use crate::domain::user::AccountFieldError;
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::pages::login::ReturnTo;
use crate::web::pages::{render, safe_return_to};
use crate::web::params::{Params, ParamsError};
use crate::web::redirect;
use crate::web::session::{self, MaybeSession};

#[derive(Template, Default)]
#[template(path = "signup.html")]
struct SignupPage {
    csrf_token: String,
    return_to: String,
    email: String,
    username: String,
    form_error: Option<String>,
    email_error: Option<String>,
    username_error: Option<String>,
    password_error: Option<String>,
}

/// `GET /signup`
pub async fn signup_get(State(state): State<AppState>, jar: CookieJar, Query(query): Query<ReturnTo>) -> Response {
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let return_to = safe_return_to(query.return_to.as_deref());
    (jar, render(StatusCode::OK, &SignupPage { csrf_token, return_to, ..SignupPage::default() })).into_response()
}

/// `POST /signup`: creates the account and signs it in.
pub async fn signup_post(
    State(state): State<AppState>,
    jar: CookieJar,
    MaybeSession(previous): MaybeSession,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let email = params.get("email").unwrap_or_default();
    let username = params.get("username").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    let return_to = safe_return_to(params.get("return_to"));
    let now = state.clock.now();
    let error = match accounts::sign_up(&*state.store, &state.hasher, email, username, password, now).await {
        Ok(user) => {
            tracing::info!(user_id = user.id, "account created");
            let jar = session::sign_in(&state, jar, previous.as_ref(), user.id).await?;
            return Ok((jar, redirect::see_other(&return_to)).into_response());
        }
        Err(error @ (AccountError::Hash(_) | AccountError::Store(_))) => {
            return Err(PageError::Internal(Box::new(error)));
        }
        Err(error) => error,
    };
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let mut page = SignupPage {
        csrf_token,
        return_to,
        email: email.to_owned(),
        username: username.to_owned(),
        ..SignupPage::default()
    };
    let message = Some(error.to_string());
    match error {
        AccountError::Field(AccountFieldError::Email) | AccountError::EmailTaken => page.email_error = message,
        AccountError::Field(AccountFieldError::Login) | AccountError::LoginTaken => page.username_error = message,
        AccountError::Field(AccountFieldError::Password) => page.password_error = message,
        _ => page.form_error = message,
    }
    page.form_error.get_or_insert_with(|| "Please correct the fields marked below.".to_owned());
    Ok((jar, render(StatusCode::UNPROCESSABLE_ENTITY, &page)).into_response())
}
