//! **Sign in with a passkey** on the sign-in page (SPEC §7 "Passkeys"):
//! a discoverable credential, no email typed. `static/gatehouse.js` posts
//! to `/login/passkey/options` (the options for `navigator.credentials.get`,
//! JSON; the ceremony's id goes into a five-minute `HttpOnly` cookie), then
//! the browser's answer to `/login/passkey`, which starts the session and
//! answers `{"redirect": return_to}`, or a readable error (4xx). Both carry
//! the sign-in page's CSRF token. A passkey is two factors: no TOTP code is
//! asked, even with two-factor on.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::passkeys::{self, PasskeyError};
use crate::metrics::SignIn;
use crate::state::AppState;
use crate::web::audit;
use crate::web::client_addr::ClientAddr;
use crate::web::error::PageError;
use crate::web::pages::security::passkeys::{CEREMONY_COOKIE, ceremony_cookie, forget_ceremony, refusal};
use crate::web::pages::{PageContext, safe_return_to};
use crate::web::params::{Params, ParamsError};
use crate::web::session::{self, Origin};

/// `POST /login/passkey/options`: a fresh challenge for any passkey of
/// this relying party.
pub async fn options_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    session::check_anonymous_csrf(&jar, params?.get("csrf_token"))?;
    match passkeys::begin_sign_in(&*state.store, state.settings.issuer(), state.clock.now()).await {
        Ok((id, options)) => {
            Ok((jar.add(ceremony_cookie(&state, id.expose().to_owned())), Json(options)).into_response())
        }
        Err(error) => refusal(error, ctx.lang.texts()),
    }
}

/// `POST /login/passkey` (`credential`: the JSON of the browser's
/// `PublicKeyCredential`, `return_to`): verifies it against the ceremony
/// (taken: single use) and signs in with `amr` `hwk`/`swk`, `user`, `mfa`.
pub async fn finish_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    ClientAddr(client_addr): ClientAddr,
    headers: HeaderMap,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let ceremony = jar.get(CEREMONY_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let credential = params.get("credential").unwrap_or_default();
    let (store, issuer, now) = (&*state.store, state.settings.issuer(), state.clock.now());
    let jar = forget_ceremony(jar);
    let signed_in = match passkeys::finish_sign_in(store, issuer, &ceremony, credential, now).await {
        Ok(signed_in) => signed_in,
        Err(error) => {
            if !matches!(error, PasskeyError::Store(_) | PasskeyError::Internal(_)) {
                audit::passkey_sign_in_failed(client_addr);
                state.metrics.sign_in(SignIn::PasskeyFailure);
            }
            return Ok((jar, refusal(error, ctx.lang.texts())?).into_response());
        }
    };
    audit::sign_in_succeeded(signed_in.user_id, client_addr);
    let origin = Origin::of(client_addr, &headers);
    let detail = crate::domain::passkey::sign_in_detail(&signed_in.name);
    let how = (signed_in.user_id, origin, signed_in.auth);
    let jar = session::sign_in_as(&state, jar, ctx.session.as_ref(), how, &detail).await?;
    state.metrics.sign_in(SignIn::PasskeySuccess);
    let return_to = safe_return_to(params.get("return_to"));
    Ok((jar, Json(serde_json::json!({ "redirect": return_to }))).into_response())
}
