//! `/settings/emails` (SPEC §7 "Emails"): the account's addresses with their
//! state; **Email** + **Add** mails a verification link; **Make primary**
//! (a verified address), **Remove** (not the primary one), and a new link
//! for an unverified address. Another account's address is not found.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::accounts::emails::{self, EmailError, LinkToSend};
use crate::domain::email::{AddressRuleError, EmailAddress, EmailId, MAX_ADDRESSES};
use crate::domain::user::User;
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::i18n::{Lang, Texts};
use crate::web::mails::{self, Recipient};
use crate::web::pages::{Layout, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::render::date_time;

/// One address as the page shows it.
struct AddressView {
    id: String,
    email: String,
    verified: bool,
    primary: bool,
    added: String,
}

impl From<EmailAddress> for AddressView {
    fn from(address: EmailAddress) -> Self {
        AddressView {
            id: address.id.to_string(),
            added: date_time(address.created_at),
            email: address.email,
            verified: address.verified,
            primary: address.primary,
        }
    }
}

#[derive(Template)]
#[template(path = "settings/emails.html")]
struct EmailsPage {
    layout: Layout,
    addresses: Vec<AddressView>,
    notice: Option<&'static str>,
    error: Option<String>,
    /// What was typed into **Email**, kept after an error.
    email: String,
}

/// Query of the page: which change it reports.
#[derive(Debug, serde::Deserialize)]
pub struct EmailsQuery {
    notice: Option<String>,
}

/// `GET /settings/emails`
pub async fn emails_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<EmailsQuery>,
) -> Result<Response, PageError> {
    let t = signed_in.ctx.lang.texts();
    let notice = match query.notice.as_deref() {
        Some("added") => Some(t.email_added_notice),
        Some("sent") => Some(t.verification_sent_notice),
        Some("not_sent") => Some(t.verification_not_sent_notice),
        Some("primary") => Some(t.primary_changed_notice),
        Some("removed") => Some(t.email_removed_notice),
        _ => None,
    };
    page(&state, &signed_in, StatusCode::OK, notice, None, String::new()).await
}

/// `POST /settings/emails`: adds the address **Email** and mails it a
/// verification link.
pub async fn add_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked_params(params)?;
    let typed = params.get("email").unwrap_or_default();
    let (user, now) = (&signed_in.user, state.clock.now());
    match emails::add(&*state.store, user.id, typed, now, signed_in.ctx.addr).await {
        Ok((_, link)) => {
            send_verification(&state, signed_in.ctx.lang, user, &link);
            Ok(redirect::see_other(&format!("{}?notice=added", paths::EMAILS)))
        }
        Err(EmailError::Store(error)) => Err(error.into()),
        Err(error) => {
            let message = refusal(signed_in.ctx.lang.texts(), &error);
            page(&state, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message), typed.to_owned()).await
        }
    }
}

/// `POST /settings/emails/{id}/resend`: a new verification link.
pub async fn resend_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let (user, now) = (&signed_in.user, state.clock.now());
    let outcome = emails::resend(&*state.store, user.id, email_id(&id)?, now).await;
    let notice = match outcome {
        Ok(Some(link)) => {
            send_verification(&state, signed_in.ctx.lang, user, &link);
            "sent"
        }
        Ok(None) => "not_sent",
        Err(error) => return refused(&state, &signed_in, error).await,
    };
    Ok(redirect::see_other(&format!("{}?notice={notice}", paths::EMAILS)))
}

/// `POST /settings/emails/{id}/primary`
pub async fn primary_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let (user, now, ip) = (&signed_in.user, state.clock.now(), signed_in.ctx.addr);
    match emails::make_primary(&*state.store, user.id, email_id(&id)?, now, ip).await {
        Ok(_) => Ok(redirect::see_other(&format!("{}?notice=primary", paths::EMAILS))),
        Err(error) => refused(&state, &signed_in, error).await,
    }
}

/// `POST /settings/emails/{id}/remove`
pub async fn remove_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let (user, now, ip) = (&signed_in.user, state.clock.now(), signed_in.ctx.addr);
    match emails::remove(&*state.store, user.id, email_id(&id)?, now, ip).await {
        Ok(_) => Ok(redirect::see_other(&format!("{}?notice=removed", paths::EMAILS))),
        Err(error) => refused(&state, &signed_in, error).await,
    }
}

/// Writes the verification mail for `link` in `lang` and hands it to the
/// mailer; a failure to queue it is logged (the page offers a new link).
fn send_verification(state: &AppState, lang: Lang, user: &User, link: &LinkToSend) {
    let to = Recipient { lang, login: &user.login, now: state.clock.now() };
    let queued = mails::verification(to, state.settings.issuer(), link)
        .map_err(|error| error.to_string())
        .and_then(|mail| state.mailer.send(mail).map_err(|error| error.to_string()));
    if let Err(error) = queued {
        tracing::error!(%error, user_id = %user.id, "could not queue a verification mail");
    }
}

/// The page, listing the account's addresses.
async fn page(
    state: &AppState,
    signed_in: &SignedIn,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    email: String,
) -> Result<Response, PageError> {
    let addresses = state.store.list_emails(signed_in.user.id).await?.into_iter().map(AddressView::from).collect();
    let layout = signed_in.ctx.layout();
    Ok(render(status, &EmailsPage { layout, addresses, notice, error, email }))
}

/// The answer to a refused button: not found, or the page with the reason.
async fn refused(state: &AppState, signed_in: &SignedIn, error: EmailError) -> Result<Response, PageError> {
    match error {
        EmailError::NotFound => Err(PageError::NotFound),
        EmailError::Store(error) => Err(error.into()),
        _ => {
            let message = refusal(signed_in.ctx.lang.texts(), &error);
            page(state, signed_in, StatusCode::CONFLICT, None, Some(message), String::new()).await
        }
    }
}

/// Why a change was refused, in the page's language.
fn refusal(t: &Texts, error: &EmailError) -> String {
    match error {
        EmailError::Taken => t.email_in_use.to_owned(),
        EmailError::Rule(AddressRuleError::TooMany) => t.too_many_emails.replace("{max}", &MAX_ADDRESSES.to_string()),
        EmailError::Rule(AddressRuleError::NotVerified) => t.email_not_verified_error.to_owned(),
        EmailError::Rule(AddressRuleError::Primary) => t.primary_cannot_be_removed.to_owned(),
        EmailError::Rule(AddressRuleError::AlreadyVerified) => t.email_already_verified.to_owned(),
        _ => t.invalid_email.to_owned(),
    }
}

/// The address id in a path; anything else names no address.
fn email_id(raw: &str) -> Result<EmailId, PageError> {
    raw.parse().map(EmailId).map_err(|_| PageError::NotFound)
}
