//! `GET /oauth/authorize` (start of the code flow) and `POST /oauth/authorize`
//! (the consent form).

use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::clock::UnixTime;
use crate::oauth::authorize::{self, AuthorizeRequest, ConsentAnswer, Decision, SignIn, ValidatedRequest};
use crate::oauth::error::{AuthorizeError, AuthorizeErrorCode, ConsentError};
use crate::state::AppState;
use crate::web::audit;
use crate::web::client_addr::ClientAddr;
use crate::web::error::PageError;
use crate::web::i18n::{Lang, PageMessage};
use crate::web::oauth::callback::{self, After};
use crate::web::pages::PageContext;
use crate::web::pages::consent::{ConsentView, consent_page};
use crate::web::pages::login_two_factor::second_step_pending;
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::session::MaybeSession;

/// `GET /oauth/authorize`: validate; send a signed-out user to sign in and
/// back; then skip consent for a remembered scope set or show the consent page.
pub async fn authorize_get(
    State(state): State<AppState>,
    ctx: PageContext,
    jar: CookieJar,
    OriginalUri(uri): OriginalUri,
    params: Result<Params, ParamsError>,
) -> Result<Response, Response> {
    let mut params = params.map_err(|e| PageError::from(e).into_response())?;
    let request = AuthorizeRequest {
        client_id: params.take("client_id"),
        redirect_uri: params.take("redirect_uri"),
        response_type: params.take("response_type"),
        scope: params.take("scope"),
        state: params.take("state"),
        code_challenge: params.take("code_challenge"),
        code_challenge_method: params.take("code_challenge_method"),
        nonce: params.take("nonce"),
        prompt: params.take("prompt"),
        max_age: params.take("max_age"),
        request: params.take("request"),
        request_uri: params.take("request_uri"),
        response_mode: params.take("response_mode"),
    };
    let lang = ctx.lang;
    let refused = |error: AuthorizeError| callback::authorize_error(error, lang);
    let validated = authorize::validate(&*state.store, request).await.map_err(refused)?;
    let now = state.clock.now();
    let hinted = hinted_user(&state, &validated, params.take("id_token_hint"), now).await.map_err(refused)?;
    let session =
        match (authorize::sign_in_needed(&validated, ctx.session.as_ref().map(|s| &s.auth), now), &ctx.session) {
            (SignIn::Current, Some(session)) => session.clone(),
            _ if validated.prompt.none => {
                let pending = second_step_pending(&state, &jar).await.map_err(IntoResponse::into_response)?;
                return Err(refused(authorize::silent_sign_in_refused(&validated, pending)));
            }
            (_, session) => {
                let login_hint = params.take("login_hint");
                return Ok(redirect::found(&sign_in_first(&uri, login_hint.as_deref(), session.is_some())));
            }
        };
    authorize::check_hinted_user(&validated, hinted.as_deref(), session.user_id).map_err(refused)?;
    let signed_in = (session.user_id, &session.auth);
    let decision =
        authorize::decide(&*state.store, &state.settings.policy, &validated, signed_in, now).await.map_err(refused)?;
    match decision {
        Decision::Approved { response } => {
            audit::consent_remembered(session.user_id, &validated.client.client_id, ctx.addr);
            Ok(callback::deliver(&response, After::Get, lang))
        }
        Decision::NeedsConsent { consent_id } => {
            let owner = state
                .store
                .find_user(validated.client.owner_id)
                .await
                .map_err(|e| PageError::from(e).into_response())?;
            let view = ConsentView {
                request: &validated,
                owner: owner.as_ref().map_or("", |u| u.login.as_str()),
                consent_id: consent_id.expose(),
            };
            Ok(consent_page(&ctx, &view))
        }
    }
}

/// The user an `id_token_hint` names (its `sub`), if the request has one;
/// a hint this server did not sign is `invalid_request`.
async fn hinted_user(
    state: &AppState,
    validated: &ValidatedRequest,
    hint: Option<String>,
    now: UnixTime,
) -> Result<Option<String>, AuthorizeError> {
    let Some(hint) = hint.filter(|h| !h.is_empty()) else { return Ok(None) };
    match state.keys.verify_issued(&hint, state.settings.issuer(), now).await? {
        Some(token) => Ok(Some(token.sub)),
        None => {
            Err(validated
                .error(AuthorizeErrorCode::InvalidRequest, "id_token_hint is not an ID token this server issued"))
        }
    }
}

/// The sign-in page, coming back to this request afterwards. The way back
/// drops `prompt=login` and `max_age`: the user will just have signed in,
/// and keeping them would ask again forever (`max_age=0`, or any redirect
/// slower than `max_age`). The ID token's `auth_time` tells the relying
/// party when that was (OIDC Core §3.1.2.1 has it check). `again`: a
/// session exists and must sign in anew.
fn sign_in_first(uri: &axum::http::Uri, login_hint: Option<&str>, again: bool) -> String {
    let pairs = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).filter_map(|(name, value)| {
        if name == "max_age" {
            return None;
        }
        if name != "prompt" {
            return Some((name, value));
        }
        let kept: Vec<&str> = value.split_ascii_whitespace().filter(|v| *v != "login").collect();
        (!kept.is_empty()).then(|| (name, kept.join(" ").into()))
    });
    let pairs: Vec<_> = pairs.collect();
    let ui_locales = pairs.iter().find(|(name, _)| name == "ui_locales").map(|(_, value)| value.to_string());
    let back = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let here = if back.is_empty() { paths::AUTHORIZE.to_owned() } else { format!("{}?{back}", paths::AUTHORIZE) };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("return_to", &here);
    if let Some(hint) = login_hint {
        query.append_pair("login_hint", hint);
    }
    if again {
        query.append_pair("reauth", "1");
    }
    // The sign-in page speaks the language the relying party asked for.
    if let Some(ui_locales) = ui_locales {
        query.append_pair("ui_locales", &ui_locales);
    }
    format!("{}?{}", paths::LOGIN, query.finish())
}

/// `POST /oauth/authorize`: the consent form's decision. Answers 303 so the
/// browser does not re-post the form to the client (RFC 9700 §4.12).
pub async fn authorize_post(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    ClientAddr(client_addr): ClientAddr,
    lang: Lang,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    let Some(session) = session else {
        return Err(PageError::Forbidden(PageMessage::SessionEnded));
    };
    session.check_csrf(params.get("csrf_token"))?;
    let consent_id = params.get("consent_id").ok_or(PageError::BadRequest(PageMessage::NoConsentId))?;
    let answer = ConsentAnswer::parse(params.get("decision"));
    let answerer = authorize::Answerer { user_id: session.user_id, ip: client_addr };
    let outcome = authorize::answer_consent(
        &*state.store,
        &state.settings.policy,
        answerer,
        consent_id,
        answer,
        state.clock.now(),
    )
    .await
    .map_err(consent_error_page)?;
    let request = &outcome.request;
    match outcome.answer {
        ConsentAnswer::Authorize => {
            audit::access_granted(session.user_id, request.client_pk, &request.scopes, client_addr);
        }
        ConsentAnswer::Deny => {
            audit::access_denied(session.user_id, request.client_pk, client_addr);
        }
    }
    Ok(callback::deliver(&outcome.response, After::Post, lang))
}

/// The page that tells the user why their answer was not taken.
fn consent_error_page(error: ConsentError) -> PageError {
    match error {
        ConsentError::Expired => PageError::BadRequest(PageMessage::ConsentExpired),
        ConsentError::NoAnswer => PageError::BadRequest(PageMessage::NoDecision),
        ConsentError::Store(e) => PageError::from(e),
    }
}
