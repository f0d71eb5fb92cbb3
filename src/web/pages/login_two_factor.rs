//! The second sign-in step (SPEC §7 "Two-factor"): after the right password
//! of an account with two-factor on, no session yet, only a challenge that
//! lasts a few minutes, bound to the user and to where the sign-in goes
//! afterwards; the browser holds its id in an `HttpOnly` cookie, the server
//! its hash. This page asks for **Code** (an app's code or a recovery code)
//! with **Verify**; the right one starts the session, which records both
//! factors (OIDC `amr`: `pwd`, `otp`, `mfa`).

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};

use crate::accounts::two_factor::{self, CHALLENGE_TTL, TwoFactorError};
use crate::domain::oidc::Authentication;
use crate::domain::token::{PlainSecret, SecretHash};
use crate::domain::user::UserId;
use crate::metrics::SignIn;
use crate::state::AppState;
use crate::store::TwoFactorChallenge;
use crate::web::audit;
use crate::web::client_addr::ClientAddr;
use crate::web::error::PageError;
use crate::web::pages::security::two_factor::internal;
use crate::web::pages::{Layout, PageContext, render};
use crate::web::params::Params;
use crate::web::paths;
use crate::web::redirect;
use crate::web::session::{self, Origin, Session};

/// The cookie that holds the challenge's id between the two steps.
pub const CHALLENGE_COOKIE: &str = "gatehouse_2fa";

#[derive(Template)]
#[template(path = "login_two_factor.html")]
struct SecondStepPage {
    layout: Layout,
    csrf_token: String,
    error: Option<String>,
}

/// Called by the sign-in form once the password of `user_id` was right and
/// two-factor is on: parks the sign-in as a challenge and sends the browser
/// to the second step, with no session.
pub async fn require_second_factor(
    state: &AppState,
    jar: CookieJar,
    user_id: UserId,
    return_to: &str,
) -> Result<Response, PageError> {
    let id = two_factor::start_challenge(&*state.store, user_id, return_to, state.clock.now()).await?;
    let cookie = session::base_cookie(state, CHALLENGE_COOKIE, id.expose().to_owned(), Some(CHALLENGE_TTL));
    Ok((jar.add(cookie), redirect::see_other(paths::LOGIN_TWO_FACTOR)).into_response())
}

/// The live challenge this browser's cookie names, with its id's hash.
async fn challenge_of(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<(SecretHash, TwoFactorChallenge)>, PageError> {
    let Some(cookie) = jar.get(CHALLENGE_COOKIE) else {
        return Ok(None);
    };
    let id_hash = PlainSecret::from_presented(cookie.value()).hash();
    let challenge = state.store.find_two_factor_challenge(&id_hash, state.clock.now()).await?;
    Ok(challenge.map(|challenge| (id_hash, challenge)))
}

/// Whether this browser is between the two sign-in steps (its password was
/// right and the second step waits): `prompt=none` then answers
/// `interaction_required`, not `login_required`.
pub async fn second_step_pending(state: &AppState, jar: &CookieJar) -> Result<bool, PageError> {
    Ok(challenge_of(state, jar).await?.is_some())
}

/// `GET /login/two-factor`: the form, or the sign-in page when there is no
/// live challenge (it lapsed, or the browser never gave a password).
pub async fn second_step_get(
    axum::extract::State(state): axum::extract::State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
) -> Result<Response, PageError> {
    if challenge_of(&state, &jar).await?.is_none() {
        return Ok(redirect::found(paths::LOGIN));
    }
    Ok(page(&state, jar, &ctx, StatusCode::OK, None))
}

fn page(state: &AppState, jar: CookieJar, ctx: &PageContext, status: StatusCode, error: Option<String>) -> Response {
    let (jar, csrf_token) = session::anonymous_csrf(state, jar);
    (jar, render(status, &SecondStepPage { layout: ctx.layout(), csrf_token, error })).into_response()
}

/// `POST /login/two-factor`: the right code ends the challenge and starts
/// the session; a wrong or replayed one shows the form again (401), and
/// repeated ones are throttled per account (429 with `Retry-After`).
pub async fn second_step_post(
    axum::extract::State(state): axum::extract::State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    ClientAddr(client_addr): ClientAddr,
    headers: HeaderMap,
    params: Result<Params, crate::web::params::ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let Some((id_hash, challenge)) = challenge_of(&state, &jar).await? else {
        return Ok(redirect::see_other(paths::LOGIN));
    };
    let typed = params.get("code").unwrap_or_default();
    let user_id = challenge.user_id;
    let t = ctx.lang.texts();
    let verified =
        two_factor::verify_second_factor(&state.store, &state.totp_sealer, &state.clock, user_id, typed, client_addr);
    let (status, error, retry_after) = match verified.await {
        Ok(_) => {
            let origin = Origin::of(client_addr, &headers);
            return complete(&state, jar, ctx.session.as_ref(), (id_hash, challenge), origin).await;
        }
        Err(TwoFactorError::WrongCode) => {
            audit::second_factor_failed(user_id, client_addr);
            state.metrics.sign_in(SignIn::TwoFactorFailure);
            (StatusCode::UNAUTHORIZED, t.two_factor_wrong_code.to_owned(), None)
        }
        Err(TwoFactorError::Throttled { retry_after }) => {
            audit::second_factor_throttled(user_id, client_addr, retry_after);
            state.metrics.sign_in(SignIn::TwoFactorThrottled);
            let message = t.too_many_attempts.replace("{seconds}", &retry_after.to_string());
            (StatusCode::TOO_MANY_REQUESTS, message, Some(retry_after))
        }
        Err(other) => return Err(internal(other)),
    };
    let mut response = page(&state, jar, &ctx, status, Some(error));
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response)
}

/// Ends the challenge (taken once: of two requests that both gave a right
/// code, one signs in) and starts the session, with both factors recorded.
async fn complete(
    state: &AppState,
    jar: CookieJar,
    previous: Option<&Session>,
    (id_hash, challenge): (SecretHash, TwoFactorChallenge),
    origin: Origin<'_>,
) -> Result<Response, PageError> {
    let now = state.clock.now();
    if !state.store.take_two_factor_challenge(&id_hash, now).await? {
        return Ok(redirect::see_other(paths::LOGIN));
    }
    audit::sign_in_succeeded(challenge.user_id, origin.ip);
    state.metrics.sign_in(SignIn::TwoFactorSuccess);
    let jar = jar.remove(Cookie::build(CHALLENGE_COOKIE).path("/"));
    let auth = Authentication::password_and_otp(now);
    let jar = session::sign_in_with(state, jar, previous, challenge.user_id, origin, auth).await?;
    Ok((jar, redirect::see_other(&challenge.return_to)).into_response())
}
