//! Password reset by mail (SPEC §7 "Password reset"): `/password_reset`
//! asks for **Email** and **Send reset link** and answers the same page
//! whether an account has the address or not — the account is looked up,
//! and the mail written, in the background (`accounts::reset`); the link
//! in the mail opens `/password_reset/edit` with **New password** and
//! **Reset password**.

use std::net::IpAddr;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::reset::{self, ResetError};
use crate::accounts::{AccountError, emails};
use crate::domain::email::{LinkError, LinkPurpose};
use crate::domain::user::Email;
use crate::metrics::Throttle;
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::i18n::Lang;
use crate::web::mails::{self, Recipient};
use crate::web::pages::email_verification::{LinkResultPage, link_problem};
use crate::web::pages::{Layout, PageContext, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::session;

#[derive(Template)]
#[template(path = "password_reset/request.html")]
struct RequestPage {
    layout: Layout,
    csrf_token: String,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "password_reset/edit.html")]
struct EditPage {
    layout: Layout,
    csrf_token: String,
    token: String,
    intro: String,
    error: Option<&'static str>,
}

/// `GET /password_reset`
pub async fn request_get(State(state): State<AppState>, jar: CookieJar, ctx: PageContext) -> Response {
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let page = RequestPage { layout: ctx.layout(), csrf_token, email: String::new(), error: None };
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// `POST /password_reset`: counts the request against the throttle, hands
/// the rest to the background and answers "check your mail" for any
/// well-formed address.
pub async fn request_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let typed = params.get("email").unwrap_or_default();
    let t = ctx.lang.texts();
    let Ok(email) = Email::parse(typed) else {
        return Ok(request_again(
            &state,
            jar,
            &ctx,
            typed,
            t.invalid_email.to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    match reset::admit(&*state.store, &*state.clock, email.as_str(), ctx.addr).await {
        Ok(()) => {}
        Err(AccountError::Throttled { retry_after }) => {
            state.metrics.throttled(Throttle::PasswordReset);
            let message = t.too_many_reset_requests.replace("{seconds}", &retry_after.to_string());
            let mut response = request_again(&state, jar, &ctx, typed, message, StatusCode::TOO_MANY_REQUESTS);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return Ok(response);
        }
        Err(error) => return Err(error.into()),
    }
    send_reset_link(&state, ctx.lang, email.as_str().to_owned(), ctx.addr);
    let page = LinkResultPage {
        layout: ctx.layout(),
        title: t.reset_sent_title,
        message: t.reset_sent_message.replace("{email}", email.as_str()),
        next_href: paths::LOGIN,
        next_text: t.link_sign_in,
        problem: false,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Looks the account up, stores a link and writes its mail, all in the
/// background: nothing of it shows in the answer or its timing. Failures
/// are logged without the address's owner or the link.
fn send_reset_link(state: &AppState, lang: Lang, email: String, ip: IpAddr) {
    let (store, clock, issuer) = (state.store.clone(), state.clock.clone(), state.settings.issuer().to_owned());
    state.mailer.prepare(async move {
        let now = clock.now();
        let prepared = match reset::prepare(&*store, &email, now, ip).await {
            Ok(prepared) => prepared,
            Err(error) => {
                tracing::error!(%error, "could not prepare a password-reset link");
                return None;
            }
        };
        let (user, link) = prepared?;
        let to = Recipient { lang, login: &user.login, now };
        match mails::password_reset(to, &issuer, &link) {
            Ok(mail) => Some(mail),
            Err(error) => {
                tracing::error!(%error, user_id = %user.id, "could not write a password-reset mail");
                None
            }
        }
    });
}

/// The request form again with `message`.
fn request_again(
    state: &AppState,
    jar: CookieJar,
    ctx: &PageContext,
    typed: &str,
    message: String,
    status: StatusCode,
) -> Response {
    let (jar, csrf_token) = session::anonymous_csrf(state, jar);
    let page = RequestPage { layout: ctx.layout(), csrf_token, email: typed.to_owned(), error: Some(message) };
    (jar, render(status, &page)).into_response()
}

/// `GET /password_reset/edit?token=…`: the new-password form, if the link
/// works.
pub async fn edit_get(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    let token = params.get("token").unwrap_or_default();
    match emails::check_link(&*state.store, token, LinkPurpose::Reset, state.clock.now()).await {
        Ok((_, link)) => Ok(edit_form(&state, jar, &ctx, token, &link.email, None, StatusCode::OK)),
        Err(emails::EmailError::Link(error)) => Ok(reset_link_problem(&ctx, error)),
        Err(error) => Err(ResetError::from(error).into()),
    }
}

/// `POST /password_reset/edit`: sets the new password through the link;
/// every session of the account ends.
pub async fn edit_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let token = params.get("token").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    let now = state.clock.now();
    match reset::reset(&*state.store, &state.hasher, token, password, now, ctx.addr).await {
        Ok(user_id) => {
            let t = ctx.lang.texts();
            // A session of the account this browser had has ended with the others.
            let layout = match &ctx.user {
                Some(user) if user.id == user_id => Layout::new(ctx.lang, ctx.path.clone(), None, String::new()),
                _ => ctx.layout(),
            };
            let page = LinkResultPage {
                layout,
                title: t.password_reset_done_title,
                message: t.password_reset_done_message.to_owned(),
                next_href: paths::LOGIN,
                next_text: t.link_sign_in,
                problem: false,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(ResetError::Password(_)) => {
            let email = match emails::check_link(&*state.store, token, LinkPurpose::Reset, now).await {
                Ok((_, link)) => link.email,
                Err(_) => return Ok(reset_link_problem(&ctx, LinkError::Used)),
            };
            let error = Some(ctx.lang.texts().invalid_password);
            Ok(edit_form(&state, jar, &ctx, token, &email, error, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(ResetError::Link(error)) => Ok(reset_link_problem(&ctx, error)),
        Err(ResetError::Account(error)) => Err(error.into()),
    }
}

fn edit_form(
    state: &AppState,
    jar: CookieJar,
    ctx: &PageContext,
    token: &str,
    email: &str,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let (jar, csrf_token) = session::anonymous_csrf(state, jar);
    let intro = ctx.lang.texts().reset_for.replace("{email}", email);
    let page = EditPage { layout: ctx.layout(), csrf_token, token: token.to_owned(), intro, error };
    (jar, render(status, &page)).into_response()
}

/// A reset link that does not work, with the way to ask for a new one.
fn reset_link_problem(ctx: &PageContext, error: LinkError) -> Response {
    link_problem(ctx, error, (paths::PASSWORD_RESET, ctx.lang.texts().reset_title))
}

impl From<ResetError> for PageError {
    fn from(error: ResetError) -> Self {
        match error {
            ResetError::Account(error) => error.into(),
            other => PageError::Internal(Box::new(other)),
        }
    }
}
