//! The device pages (SPEC §6, RFC 8628 §3.3): `GET /device` asks a signed-in
//! user for the code their device shows (filled from `?user_code=`, the
//! `verification_uri_complete`); `POST /device` shows the consent page of
//! the request that code names; `POST /device/consent` records the answer;
//! `GET /device/done` says the device may continue.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::domain::device::{MAX_USER_CODE_INPUT, UserCode};
use crate::metrics::{Metrics, Throttle};
use crate::oauth::authorize::ConsentAnswer;
use crate::oauth::device::{self, Typist};
use crate::oauth::error::UserCodeError;
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::i18n::PageMessage;
use crate::web::pages::consent::{DeviceConsentView, device_consent_page};
use crate::web::pages::{Layout, PageContext, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::session::Session;

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    layout: Layout,
    user_code: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "device_done.html")]
struct DeviceDonePage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
}

/// `GET /device`: the code entry form. A signed-out browser is sent to sign
/// in first and comes back here, code and all.
pub async fn device_get(signed_in: SignedIn, params: Result<Params, ParamsError>) -> Result<Response, PageError> {
    let params = params?;
    Ok(entry_page(&signed_in.ctx, StatusCode::OK, params.get("user_code"), None))
}

/// `POST /device`: the consent page of the pending request the typed code
/// names, or the form again saying why not.
pub async fn device_post(
    State(state): State<AppState>,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    let typed = params.get("user_code");
    let Some(session) = signed_in_session(&ctx) else {
        return Ok(sign_in_first(typed));
    };
    session.check_csrf(params.get("csrf_token"))?;
    let found = device::find_pending(&typist(&state, &ctx, &session), typed.unwrap_or_default()).await;
    let pending = match found {
        Ok(pending) => pending,
        Err(error) => return refused(&state.metrics, &ctx, &session, typed, error),
    };
    let owner = state.store.find_user(pending.client.owner_id).await?;
    let user_code = pending.user_code.display();
    let view = DeviceConsentView {
        client: &pending.client,
        scopes: &pending.scopes,
        owner: owner.as_ref().map_or("", |u| u.login.as_str()),
        user_code: &user_code,
    };
    Ok(device_consent_page(&ctx, &view))
}

/// `POST /device/consent`: the consent page's answer. Answers 303 to the
/// page that tells the user to go back to their device.
pub async fn consent_post(
    State(state): State<AppState>,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    let Some(session) = signed_in_session(&ctx) else {
        return Err(PageError::Forbidden(PageMessage::SessionEnded));
    };
    session.check_csrf(params.get("csrf_token"))?;
    let answer = ConsentAnswer::parse(params.get("decision")).ok_or(PageError::BadRequest(PageMessage::NoDecision))?;
    let typed = params.get("user_code");
    let typist = typist(&state, &ctx, &session);
    let request = match device::answer(&typist, typed.unwrap_or_default(), answer, &session.auth).await {
        Ok(request) => request,
        Err(error) => return refused(&state.metrics, &ctx, &session, typed, error),
    };
    let outcome = match answer {
        ConsentAnswer::Authorize => {
            audit::access_granted(session.user_id, request.client_pk, &request.scopes, ctx.addr);
            "authorized"
        }
        ConsentAnswer::Deny => {
            audit::access_denied(session.user_id, request.client_pk, ctx.addr);
            "denied"
        }
    };
    Ok(redirect::see_other(&format!("{}?answer={outcome}", paths::DEVICE_DONE)))
}

/// `GET /device/done?answer=authorized|denied`: the device may go on.
pub async fn done_get(ctx: PageContext, params: Result<Params, ParamsError>) -> Result<Response, PageError> {
    let params = params?;
    let t = ctx.lang.texts();
    let (title, message) = match params.get("answer") {
        Some("authorized") => (t.device_done_title, t.device_done),
        Some("denied") => (t.device_denied_title, t.device_denied),
        _ => return Ok(redirect::found(paths::DEVICE)),
    };
    Ok(render(StatusCode::OK, &DeviceDonePage { layout: ctx.layout(), title, message }))
}

/// The session of a signed-in user, if the request has one.
fn signed_in_session(ctx: &PageContext) -> Option<Session> {
    ctx.session.clone().filter(|_| ctx.user.is_some())
}

/// Who types the code: the throttle counts per account and per address.
fn typist(state: &AppState, ctx: &PageContext, session: &Session) -> Typist {
    Typist { store: state.store.clone(), clock: state.clock.clone(), user_id: session.user_id, address: ctx.addr }
}

/// A form posted without a session: sign in, then back to the form (with
/// the code, if it was one).
fn sign_in_first(typed: Option<&str>) -> Response {
    let back = match typed.and_then(UserCode::parse) {
        Some(code) => format!("{}?user_code={}", paths::DEVICE, code.display()),
        None => paths::DEVICE.to_owned(),
    };
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", &back).finish();
    redirect::see_other(&format!("{}?{query}", paths::LOGIN))
}

/// The form again, saying why the code was not taken: 400 for a code that
/// is malformed or names no pending request, 429 (with `Retry-After`) while
/// wrong codes are throttled.
fn refused(
    metrics: &Metrics,
    ctx: &PageContext,
    session: &Session,
    typed: Option<&str>,
    error: UserCodeError,
) -> Result<Response, PageError> {
    let t = ctx.lang.texts();
    let (status, message, retry_after) = match error {
        UserCodeError::Malformed => (StatusCode::BAD_REQUEST, t.device_malformed_code.to_owned(), None),
        UserCodeError::Unknown => {
            audit::user_code_refused(session.user_id, ctx.addr);
            (StatusCode::BAD_REQUEST, t.device_unknown_code.to_owned(), None)
        }
        UserCodeError::Throttled { retry_after } => {
            audit::user_code_throttled(session.user_id, ctx.addr, retry_after);
            metrics.throttled(Throttle::UserCode);
            let message = t.too_many_attempts.replace("{seconds}", &retry_after.to_string());
            (StatusCode::TOO_MANY_REQUESTS, message, Some(retry_after))
        }
        UserCodeError::Store(error) => return Err(PageError::from(error)),
    };
    let mut response = entry_page(ctx, status, typed, Some(message));
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response)
}

/// The code entry form with `status`, filled with what was typed: in its
/// canonical `BCDF-GHJK` form when it is a code, else as typed (if short).
fn entry_page(ctx: &PageContext, status: StatusCode, typed: Option<&str>, error: Option<String>) -> Response {
    let typed = typed.unwrap_or_default();
    let user_code = match UserCode::parse(typed) {
        Some(code) => code.display(),
        None if typed.len() <= MAX_USER_CODE_INPUT => typed.to_owned(),
        None => String::new(),
    };
    render(status, &DevicePage { layout: ctx.layout(), user_code, error })
}
