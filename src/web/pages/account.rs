//! `/settings/account` (SPEC §7 "Delete account"): with the password, the
//! account goes with its applications, grants, tokens and sessions; the
//! browser is signed out and sees a last page saying so.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::AccountError;
use crate::accounts::reauth::{self, Confirmation};
use crate::metrics::Throttle;
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::pages::password::with_retry_after;
use crate::web::pages::{Layout, PageContext, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::session;

#[derive(Template)]
#[template(path = "settings/account.html")]
struct AccountPage {
    layout: Layout,
    /// For password managers: whose password this is.
    login: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account_deleted.html")]
struct DeletedPage {
    layout: Layout,
}

/// `GET /settings/account`: what deleting takes away, and the password field.
pub async fn account_get(signed_in: SignedIn) -> Response {
    let page = AccountPage { layout: signed_in.ctx.layout(), login: signed_in.user.login.clone(), error: None };
    render(StatusCode::OK, &page)
}

/// `POST /settings/account`: deletes the account once the password checks
/// out (throttled like a sign-in: 401 when wrong, 429 while locked).
pub async fn delete_post(
    State(state): State<AppState>,
    jar: CookieJar,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked(params)?;
    let addr = signed_in.ctx.addr;
    let password = params.get("password").unwrap_or_default();
    let confirmation = Confirmation { user: &signed_in.user, password, address: addr };
    let t = signed_in.ctx.lang.texts();
    let (status, error, retry_after) =
        match reauth::delete_account(&state.store, &state.hasher, &state.clock, confirmation).await {
            Ok(()) => {
                audit::account_deleted(signed_in.user.id, addr);
                // The session row went with the account; the cookie goes too.
                let jar = session::forget(jar);
                return Ok((jar, redirect::see_other(paths::ACCOUNT_DELETED)).into_response());
            }
            Err(AccountError::InvalidCredentials) => (StatusCode::UNAUTHORIZED, t.incorrect_password.to_owned(), None),
            Err(AccountError::Throttled { retry_after }) => {
                state.metrics.throttled(Throttle::Reauth);
                let message = t.too_many_attempts.replace("{seconds}", &retry_after.to_string());
                (StatusCode::TOO_MANY_REQUESTS, message, Some(retry_after))
            }
            Err(other) => return Err(other.into()),
        };
    let page = AccountPage { layout: signed_in.ctx.layout(), login: signed_in.user.login.clone(), error: Some(error) };
    Ok(with_retry_after(render(status, &page), retry_after))
}

/// `GET /account/deleted`: the last page, signed out.
pub async fn deleted_get(ctx: PageContext) -> Response {
    render(StatusCode::OK, &DeletedPage { layout: ctx.layout() })
}
