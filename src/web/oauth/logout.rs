//! `GET`/`POST /oauth/logout`: RP-initiated sign-out (OpenID Connect
//! RP-Initiated Logout 1.0; rules in `oauth::logout`). A POST that carries
//! `confirm` is the user's answer on the page that asks; any other request
//! comes from a relying party (§2: "OPs MUST support the use of the HTTP GET
//! and POST methods").

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::domain::client::Client;
use crate::keys::IssuedIdToken;
use crate::oauth::logout::{self, LogoutError};
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::i18n::PageMessage;
use crate::web::pages::{Layout, PageContext, render};
use crate::web::params::{Params, ParamsError};
use crate::web::redirect;
use crate::web::session;

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    layout: Layout,
    app_name: Option<&'a str>,
    client_id: Option<&'a str>,
    post_logout_redirect_uri: Option<&'a str>,
    state: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage {
    layout: Layout,
}

/// A sign-out request, read and checked.
struct Checked {
    hint: Option<IssuedIdToken>,
    client: Option<Client>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// `GET /oauth/logout`
pub async fn logout_get(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let request = check(&state, &mut params?).await?;
    from_relying_party(&state, jar, ctx, request, false).await
}

/// `POST /oauth/logout`: a relying party's request, or the user's answer.
pub async fn logout_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let mut params = params?;
    let confirmed = params.take("confirm").is_some();
    let csrf_token = params.take("csrf_token");
    let request = check(&state, &mut params).await?;
    if !confirmed {
        return from_relying_party(&state, jar, ctx, request, true).await;
    }
    let jar = match &ctx.session {
        Some(session) => {
            session.check_csrf(csrf_token.as_deref())?;
            session::sign_out(&state, jar, session).await?
        }
        None => jar,
    };
    Ok((jar, finish(&ctx, &request, true)).into_response())
}

/// Signs out at once when the hint names the signed-in user, asks when
/// someone else is signed in, and goes straight on when nobody is.
async fn from_relying_party(
    state: &AppState,
    jar: CookieJar,
    ctx: PageContext,
    request: Checked,
    posted: bool,
) -> Result<Response, PageError> {
    let Some(session) = &ctx.session else {
        return Ok(finish(&ctx, &request, posted));
    };
    if logout::signs_out_at_once(request.hint.as_ref(), session.user_id) {
        let jar = session::sign_out(state, jar, session).await?;
        return Ok((jar, finish(&ctx, &request, posted)).into_response());
    }
    let page = LogoutPage {
        layout: ctx.layout(),
        app_name: request.client.as_ref().map(|c| c.name.as_str()),
        client_id: request.client.as_ref().map(|c| c.client_id.as_str()),
        post_logout_redirect_uri: request.post_logout_redirect_uri.as_deref(),
        state: request.state.as_deref(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// After signing out: back to the application's registered sign-out URL,
/// else the signed-out page.
fn finish(ctx: &PageContext, request: &Checked, posted: bool) -> Response {
    let destination = logout::destination(
        request.client.as_ref(),
        request.post_logout_redirect_uri.as_deref(),
        request.state.as_deref(),
    );
    match destination {
        Some(location) if posted => redirect::see_other(&location),
        Some(location) => redirect::found(&location),
        None => {
            let layout = Layout::new(ctx.lang, ctx.path.clone(), None, String::new());
            render(StatusCode::OK, &SignedOutPage { layout })
        }
    }
}

/// Reads the parameters of §2, verifies the hint and finds the application.
async fn check(state: &AppState, params: &mut Params) -> Result<Checked, PageError> {
    let now = state.clock.now();
    let hint = match params.take("id_token_hint").filter(|h| !h.is_empty()) {
        None => None,
        Some(token) => Some(
            state
                .keys
                .verify_issued(&token, state.settings.issuer(), now)
                .await?
                .ok_or(refused(LogoutError::BadHint))?,
        ),
    };
    let client_id = logout::requesting_client_id(params.get("client_id"), hint.as_ref()).map_err(refused)?;
    let client = match client_id {
        None => None,
        Some(client_id) => Some(state.store.find_client(&client_id).await?.ok_or(refused(LogoutError::UnknownClient))?),
    };
    Ok(Checked {
        hint,
        client,
        post_logout_redirect_uri: params.take("post_logout_redirect_uri").filter(|u| !u.is_empty()),
        state: params.take("state"),
    })
}

fn refused(error: LogoutError) -> PageError {
    PageError::BadRequest(match error {
        LogoutError::BadHint => PageMessage::BadIdTokenHint,
        LogoutError::ClientMismatch => PageMessage::LogoutClientMismatch,
        LogoutError::UnknownClient => PageMessage::UnknownClient,
    })
}
