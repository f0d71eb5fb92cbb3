//! Sign up: Email, Username, Password; errors are shown beside their field
//! and what was typed is kept (except the password). The new address is
//! mailed a verification link.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::{self, AccountError, emails};
use crate::domain::user::{AccountFieldError, User};
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::i18n::{Lang, Texts};
use crate::web::mails::{self, Recipient};
use crate::web::pages::login::ReturnTo;
use crate::web::pages::{Layout, PageContext, render, safe_return_to};
use crate::web::params::{Params, ParamsError};
use crate::web::redirect;
use crate::web::session;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    layout: Layout,
    csrf_token: String,
    return_to: String,
    email: String,
    username: String,
    form_error: Option<&'static str>,
    email_error: Option<&'static str>,
    username_error: Option<&'static str>,
    password_error: Option<&'static str>,
}

impl SignupPage {
    fn new(layout: Layout, csrf_token: String, return_to: String) -> SignupPage {
        SignupPage {
            layout,
            csrf_token,
            return_to,
            email: String::new(),
            username: String::new(),
            form_error: None,
            email_error: None,
            username_error: None,
            password_error: None,
        }
    }

    /// Puts the message for `error` beside its field.
    fn show(&mut self, error: &AccountError) {
        let t: &Texts = self.layout.t;
        match error {
            AccountError::Field(AccountFieldError::Email) => self.email_error = Some(t.invalid_email),
            AccountError::EmailTaken => self.email_error = Some(t.email_taken),
            AccountError::Field(AccountFieldError::Login) => self.username_error = Some(t.invalid_username),
            AccountError::LoginTaken => self.username_error = Some(t.username_taken),
            AccountError::Field(AccountFieldError::Password) => self.password_error = Some(t.invalid_password),
            _ => {}
        }
        self.form_error = Some(t.correct_fields);
    }
}

/// `GET /signup`
pub async fn signup_get(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    Query(query): Query<ReturnTo>,
) -> Response {
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let return_to = safe_return_to(query.return_to.as_deref());
    (jar, render(StatusCode::OK, &SignupPage::new(ctx.layout(), csrf_token, return_to))).into_response()
}

/// `POST /signup`: creates the account and signs it in.
pub async fn signup_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    headers: axum::http::HeaderMap,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = match params {
        // The form again with its message (SPEC §4 "Robustness"), not an error page.
        Err(ParamsError::BadBytes(_)) => {
            let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
            let mut page = SignupPage::new(ctx.layout(), csrf_token, safe_return_to(None));
            page.form_error = Some(ctx.lang.texts().unreadable_form);
            return Ok((jar, render(StatusCode::BAD_REQUEST, &page)).into_response());
        }
        other => other?,
    };
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let email = params.get("email").unwrap_or_default();
    let username = params.get("username").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    let return_to = safe_return_to(params.get("return_to"));
    let now = state.clock.now();
    let error = match accounts::sign_up(&*state.store, &state.hasher, email, username, password, now).await {
        Ok(user) => {
            audit::account_created(user.id, ctx.addr);
            send_first_verification(&state, ctx.lang, user.clone());
            let origin = session::Origin::of(ctx.addr, &headers);
            let jar = session::sign_in(&state, jar, ctx.session.as_ref(), user.id, origin).await?;
            return Ok((jar, redirect::see_other(&return_to)).into_response());
        }
        Err(error @ (AccountError::Hash(_) | AccountError::Store(_))) => {
            return Err(PageError::from(error));
        }
        Err(error) => error,
    };
    let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
    let mut page = SignupPage::new(ctx.layout(), csrf_token, return_to);
    page.email = email.to_owned();
    page.username = username.to_owned();
    page.show(&error);
    Ok((jar, render(StatusCode::UNPROCESSABLE_ENTITY, &page)).into_response())
}

/// Mails the new account's address its first verification link (SPEC §7:
/// "Sign-up sends a verification mail"), in the sign-up page's language,
/// in the background: the link is stored there too, so sign-up answers
/// without waiting for either.
fn send_first_verification(state: &AppState, lang: Lang, user: User) {
    let (store, clock, issuer) = (state.store.clone(), state.clock.clone(), state.settings.issuer().to_owned());
    state.mailer.prepare(async move {
        let now = clock.now();
        let link = match emails::first_link(&*store, user.id, &user.email, now).await {
            Ok(link) => link?,
            Err(error) => {
                tracing::error!(%error, user_id = %user.id, "could not store a verification link");
                return None;
            }
        };
        let to = Recipient { lang, login: &user.login, now };
        mails::verification(to, &issuer, &link)
            .inspect_err(|error| tracing::error!(%error, user_id = %user.id, "could not write a verification mail"))
            .ok()
    });
}
