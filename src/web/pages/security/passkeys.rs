//! The passkeys section of `/settings/security` (SPEC §7 "Passkeys"): the
//! list (name, added, last used), **Add a passkey**, a rename form and
//! **Remove** per passkey. Adding is a WebAuthn ceremony that
//! `static/gatehouse.js` drives: `POST …/passkeys/options` answers the
//! options for `navigator.credentials.create` (JSON) and sets the ceremony
//! cookie; `POST …/passkeys` with the name and the browser's answer adds it
//! (JSON: where to go, or a readable error). Every request carries the
//! session's CSRF token.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};

use crate::accounts::passkeys::{self, PasskeyError};
use crate::domain::passkey::{CEREMONY_TTL, PasskeyId};
use crate::state::AppState;
use crate::store::PasskeyRecord;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::i18n::Texts;
use crate::web::pages::SignedIn;
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::render::date_time;
use crate::web::session;

/// The cookie that holds a passkey ceremony's id between its two requests.
pub const CEREMONY_COOKIE: &str = "gatehouse_passkey";

/// A passkey as the section lists it.
pub(crate) struct PasskeyRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created: String,
    pub(crate) last_used: String,
}

impl PasskeyRow {
    pub(crate) fn of(record: &PasskeyRecord, t: &Texts) -> PasskeyRow {
        PasskeyRow {
            id: record.id.to_string(),
            name: record.name.clone(),
            created: date_time(record.created_at),
            last_used: record.last_used_at.map_or_else(|| t.passkey_never_used.to_owned(), date_time),
        }
    }
}

/// A readable JSON error: `{"error": "…"}` in the request's language.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// The status and message of a ceremony that did not go through; `Err` for
/// what is not the user's doing (storage, a state that does not read).
pub(crate) fn refusal(error: PasskeyError, t: &Texts) -> Result<Response, PageError> {
    let (status, message) = match error {
        PasskeyError::NoRelyingParty(_) => (StatusCode::CONFLICT, t.passkey_unavailable),
        PasskeyError::NoCeremony => (StatusCode::BAD_REQUEST, t.passkey_expired),
        PasskeyError::Rejected => (StatusCode::BAD_REQUEST, t.passkey_rejected),
        PasskeyError::UnknownCredential => (StatusCode::UNAUTHORIZED, t.passkey_unknown),
        PasskeyError::AlreadyRegistered => (StatusCode::CONFLICT, t.passkey_already_registered),
        PasskeyError::BadName => (StatusCode::UNPROCESSABLE_ENTITY, t.passkey_bad_name),
        PasskeyError::NotFound => return Err(PageError::NotFound),
        PasskeyError::Store(store) => return Err(PageError::from(store)),
        PasskeyError::Internal(message) => return Err(PageError::Internal(message.into())),
    };
    Ok(json_error(status, message))
}

/// The ceremony cookie for `id`, five minutes.
pub(crate) fn ceremony_cookie(state: &AppState, id: String) -> Cookie<'static> {
    session::base_cookie(state, CEREMONY_COOKIE, id, Some(CEREMONY_TTL))
}

/// The ceremony cookie removed (its ceremony is taken).
pub(crate) fn forget_ceremony(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(CEREMONY_COOKIE).path("/"))
}

/// `POST /settings/security/passkeys/options`: the options for
/// `navigator.credentials.create`, the ceremony's id in its cookie.
pub async fn options_post(
    State(state): State<AppState>,
    jar: CookieJar,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let begun =
        passkeys::begin_registration(&*state.store, state.settings.issuer(), &signed_in.user, state.clock.now());
    match begun.await {
        Ok((id, options)) => {
            Ok((jar.add(ceremony_cookie(&state, id.expose().to_owned())), Json(options)).into_response())
        }
        Err(error) => refusal(error, signed_in.ctx.lang.texts()),
    }
}

/// `POST /settings/security/passkeys` (`name`, `credential`: the JSON of
/// the browser's `PublicKeyCredential`): adds the passkey; `{"redirect":
/// …}` to the page with its notice, or a readable error (4xx).
pub async fn add_post(
    State(state): State<AppState>,
    jar: CookieJar,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked_params(params)?;
    let t = signed_in.ctx.lang.texts();
    let ceremony = jar.get(CEREMONY_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let answer =
        (ceremony.as_str(), params.get("name").unwrap_or_default(), params.get("credential").unwrap_or_default());
    let (store, issuer, user) = (&*state.store, state.settings.issuer(), &signed_in.user);
    let added = passkeys::finish_registration(store, issuer, user, answer, (state.clock.now(), signed_in.ctx.addr));
    let added = added.await;
    // A bad name leaves the ceremony waiting: the user corrects it and answers again.
    let jar = if matches!(added, Err(PasskeyError::BadName)) { jar } else { forget_ceremony(jar) };
    let response = match added {
        Ok(_) => {
            audit::passkey_changed(user.id, signed_in.ctx.addr, "passkey_added");
            let to = format!("{}?notice=passkey_added#passkeys", paths::SECURITY);
            Json(serde_json::json!({ "redirect": to })).into_response()
        }
        Err(error) => refusal(error, t)?,
    };
    Ok((jar, response).into_response())
}

fn passkey_id(id: &str) -> Result<PasskeyId, PageError> {
    id.parse().map(PasskeyId).map_err(|_| PageError::NotFound)
}

/// `POST /settings/security/passkeys/{id}/rename` (`name`): renames one of
/// the user's passkeys (another's, or an unknown one, is not found).
pub async fn rename_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked_params(params)?;
    let (id, addr) = (passkey_id(&id)?, signed_in.ctx.addr);
    let name = params.get("name").unwrap_or_default();
    match passkeys::rename(&*state.store, signed_in.user.id, id, name, (state.clock.now(), addr)).await {
        Ok(()) => {
            audit::passkey_changed(signed_in.user.id, addr, "passkey_renamed");
            Ok(redirect::see_other(&format!("{}?notice=passkey_renamed#passkeys", paths::SECURITY)))
        }
        Err(PasskeyError::BadName) => {
            let message = signed_in.ctx.lang.texts().passkey_bad_name.to_owned();
            super::security_page(
                &state,
                &signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                super::Errors::passkeys(message),
            )
            .await
        }
        Err(error) => refusal(error, signed_in.ctx.lang.texts()),
    }
}

/// `POST /settings/security/passkeys/{id}/remove`: removes one of the
/// user's passkeys; it signs in no more.
pub async fn remove_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let (id, addr) = (passkey_id(&id)?, signed_in.ctx.addr);
    match passkeys::remove(&*state.store, signed_in.user.id, id, (state.clock.now(), addr)).await {
        Ok(_) => {
            audit::passkey_changed(signed_in.user.id, addr, "passkey_removed");
            Ok(redirect::see_other(&format!("{}?notice=passkey_removed#passkeys", paths::SECURITY)))
        }
        Err(error) => refusal(error, signed_in.ctx.lang.texts()),
    }
}
