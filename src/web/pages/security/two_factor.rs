//! Turning two-factor authentication on and off (SPEC §7 "Two-factor"):
//! **Enable two-factor authentication** begins a setup and shows its QR code
//! and secret with a field **Code** and a button **Verify**; the right code
//! turns it on and shows the ten recovery codes, once. Turning it off asks
//! for the password. Every form carries the session's CSRF token.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{qr, security_page};
use crate::accounts::two_factor::{self, TwoFactorError};
use crate::domain::two_factor::Totp;
use crate::metrics::Throttle;
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::pages::{Layout, SignedIn, render};
use crate::web::params::Params;
use crate::web::paths;
use crate::web::redirect;

#[derive(Template)]
#[template(path = "settings/two_factor_setup.html")]
struct SetupPage {
    layout: Layout,
    qr_svg: String,
    secret: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "settings/recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
}

/// `POST /settings/security/two-factor/setup`: a fresh secret awaits its
/// first code (replacing an unconfirmed one); then the setup page.
pub async fn setup_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, crate::web::params::ParamsError>,
) -> Result<Response, PageError> {
    signed_in.session.check_csrf(params?.get("csrf_token"))?;
    let begun = two_factor::begin_setup(&*state.store, &state.totp_sealer, signed_in.user.id, state.clock.now())
        .await
        .map_err(internal)?;
    // Already on: nothing to set up; the page says so.
    let next = if begun { paths::TWO_FACTOR_SETUP } else { paths::SECURITY };
    Ok(redirect::see_other(next))
}

/// `GET /settings/security/two-factor/setup`: the QR code, the secret as
/// text, **Code** and **Verify**.
pub async fn setup_get(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageError> {
    let now = state.clock.now();
    let pending = two_factor::pending_setup(&*state.store, &state.totp_sealer, &signed_in.user, now).await;
    match pending.map_err(internal)? {
        Some(totp) => setup_page(&signed_in, &totp, StatusCode::OK, None),
        None => Ok(redirect::found(paths::SECURITY)),
    }
}

fn setup_page(
    signed_in: &SignedIn,
    totp: &Totp,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, PageError> {
    let qr_svg = qr::svg(&totp.uri()).ok_or_else(|| PageError::Internal("QR code too large".into()))?;
    let page = SetupPage { layout: signed_in.ctx.layout(), qr_svg, secret: totp.secret_base32_grouped(), error };
    Ok(render(status, &page))
}

/// `POST /settings/security/two-factor/enable`: the right code turns
/// two-factor on and shows the recovery codes, this once; a wrong one shows
/// the setup again (422).
pub async fn enable_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, crate::web::params::ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked_params(params)?;
    let (store, sealer, now, addr) = (&*state.store, &state.totp_sealer, state.clock.now(), signed_in.ctx.addr);
    let typed = params.get("code").unwrap_or_default();
    match two_factor::confirm_setup(store, sealer, &signed_in.user, typed, now, addr).await {
        Ok(codes) => {
            audit::two_factor_changed(signed_in.user.id, addr, true);
            let codes = codes.iter().map(|code| code.display()).collect();
            Ok(render(StatusCode::OK, &RecoveryCodesPage { layout: signed_in.ctx.layout(), codes }))
        }
        Err(TwoFactorError::WrongCode) => {
            let pending = two_factor::pending_setup(store, sealer, &signed_in.user, now).await.map_err(internal)?;
            let Some(totp) = pending else {
                return Ok(redirect::see_other(&format!("{}?notice=setup_expired", paths::SECURITY)));
            };
            let error = Some(signed_in.ctx.lang.texts().two_factor_wrong_code);
            setup_page(&signed_in, &totp, StatusCode::UNPROCESSABLE_ENTITY, error)
        }
        Err(TwoFactorError::NoSetup) => Ok(redirect::see_other(&format!("{}?notice=setup_expired", paths::SECURITY))),
        Err(other) => Err(internal(other)),
    }
}

/// `POST /settings/security/two-factor/disable`: with the right password
/// (throttled like a sign-in) two-factor goes off with its recovery codes;
/// otherwise the page again, 401 or 429.
pub async fn disable_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, crate::web::params::ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked_params(params)?;
    let password = params.get("password").unwrap_or_default();
    let (addr, t) = (signed_in.ctx.addr, signed_in.ctx.lang.texts());
    let outcome = two_factor::disable(&state.store, &state.hasher, &state.clock, &signed_in.user, password, addr).await;
    let (status, error, retry_after) = match outcome {
        Ok(turned_off) => {
            if turned_off {
                audit::two_factor_changed(signed_in.user.id, addr, false);
            }
            return Ok(redirect::see_other(&format!("{}?notice=two_factor_off", paths::SECURITY)));
        }
        Err(TwoFactorError::WrongPassword) => (StatusCode::UNAUTHORIZED, t.incorrect_password.to_owned(), None),
        Err(TwoFactorError::Throttled { retry_after }) => {
            state.metrics.throttled(Throttle::Reauth);
            let message = t.too_many_attempts.replace("{seconds}", &retry_after.to_string());
            (StatusCode::TOO_MANY_REQUESTS, message, Some(retry_after))
        }
        Err(other) => return Err(internal(other)),
    };
    let mut response = security_page(&state, &signed_in, status, None, super::Errors::two_factor(error)).await?;
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response.into_response())
}

/// Failures that are not the user's: storage (503 while it is down), or a
/// secret that does not open (500; the log says why).
pub(crate) fn internal(error: TwoFactorError) -> PageError {
    match error {
        TwoFactorError::Store(store) => PageError::from(store),
        other => PageError::Internal(Box::new(other)),
    }
}
