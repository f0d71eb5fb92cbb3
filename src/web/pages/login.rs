//! Sign in and sign out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::{self, AccountError, two_factor};
use crate::metrics::SignIn;
use crate::state::AppState;
use crate::web::audit;
use crate::web::client_addr::ClientAddr;
use crate::web::error::PageError;
use crate::web::pages::{Layout, PageContext, login_two_factor, render, safe_return_to};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::session;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf_token: String,
    return_to: String,
    email: String,
    error: Option<String>,
}

/// Query of pages that send the browser on afterwards.
#[derive(Debug, serde::Deserialize)]
pub struct ReturnTo {
    /// Where to go afterwards.
    pub return_to: Option<String>,
    /// The email to fill in (an authorization request's OIDC `login_hint`).
    pub login_hint: Option<String>,
    /// Present when an authorization request asks a signed-in user to sign
    /// in again (`prompt=login`, `max_age`): show the form all the same.
    pub reauth: Option<String>,
}

/// The longest `login_hint` put into the form; an email is shorter.
const MAX_LOGIN_HINT: usize = 254;

/// `GET /login`
pub async fn login_get(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    Query(query): Query<ReturnTo>,
) -> Response {
    let return_to = safe_return_to(query.return_to.as_deref());
    if ctx.user.is_some() && query.reauth.is_none() {
        return redirect::found(&return_to);
    }
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let email = query.login_hint.filter(|hint| hint.len() <= MAX_LOGIN_HINT).unwrap_or_default();
    let page = LoginPage { layout: ctx.layout(), csrf_token, return_to, email, error: None };
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// `POST /login`: on success a new session and a redirect to `return_to`;
/// on failure the form again, 401 (or 429 with `Retry-After` while throttled).
pub async fn login_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    ClientAddr(client_addr): ClientAddr,
    headers: axum::http::HeaderMap,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = match params {
        // The form again with its message (SPEC §4 "Robustness"), not an error page.
        Err(ParamsError::BadBytes(_)) => {
            let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
            let error = Some(ctx.lang.texts().unreadable_form.to_owned());
            let page = LoginPage {
                layout: ctx.layout(),
                csrf_token,
                return_to: safe_return_to(None),
                email: String::new(),
                error,
            };
            return Ok((jar, render(StatusCode::BAD_REQUEST, &page)).into_response());
        }
        other => other?,
    };
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let email = params.get("email").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    let return_to = safe_return_to(params.get("return_to"));
    let t = ctx.lang.texts();
    let (status, error, retry_after) =
        match accounts::sign_in(&state.store, &state.hasher, &state.clock, email, password, client_addr).await {
            Ok(user) => {
                // No session before the second factor, when the account has one.
                if two_factor::is_on(&*state.store, user.id).await? {
                    audit::second_factor_required(user.id, client_addr);
                    state.metrics.sign_in(SignIn::TwoFactorRequired);
                    return login_two_factor::require_second_factor(&state, jar, user.id, &return_to).await;
                }
                audit::sign_in_succeeded(user.id, client_addr);
                state.metrics.sign_in(SignIn::Success);
                let origin = session::Origin::of(client_addr, &headers);
                let jar = session::sign_in(&state, jar, ctx.session.as_ref(), user.id, origin).await?;
                return Ok((jar, redirect::see_other(&return_to)).into_response());
            }
            Err(AccountError::InvalidCredentials) => {
                audit::sign_in_failed(client_addr);
                state.metrics.sign_in(SignIn::Failure);
                (StatusCode::UNAUTHORIZED, t.incorrect_credentials.to_owned(), None)
            }
            Err(AccountError::Throttled { retry_after }) => {
                audit::sign_in_throttled(client_addr, retry_after);
                state.metrics.sign_in(SignIn::Throttled);
                let message = t.too_many_attempts.replace("{seconds}", &retry_after.to_string());
                (StatusCode::TOO_MANY_REQUESTS, message, Some(retry_after))
            }
            Err(other) => return Err(PageError::from(other)),
        };
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let page = LoginPage { layout: ctx.layout(), csrf_token, return_to, email: email.to_owned(), error: Some(error) };
    let mut response = (jar, render(status, &page)).into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response)
}

/// `POST /logout`: ends the session on the server.
pub async fn logout_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    let Some(session) = ctx.session else {
        return Ok(redirect::see_other(paths::HOME));
    };
    session.check_csrf(params.get("csrf_token"))?;
    let jar = session::sign_out(&state, jar, &session).await?;
    Ok((jar, redirect::see_other(&safe_return_to(params.get("return_to")))).into_response())
}
