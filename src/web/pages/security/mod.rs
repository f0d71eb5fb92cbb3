//! `/settings/security` (SPEC §7): the account's ways of proving who it is
//! beyond the password, one section each: two-factor authentication with
//! an authenticator app (`two_factor.rs`) and passkeys (`passkeys.rs`).

pub mod passkeys;
pub mod qr;
pub mod two_factor;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::accounts::two_factor::Status;
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::pages::{Layout, SignedIn, render};

/// The two-factor section as the page shows it.
pub(crate) struct TwoFactorSection {
    /// Whether it is on, with the recovery codes left.
    status: Status,
    /// Why the last attempt to turn it off failed.
    error: Option<String>,
}

/// The passkeys section as the page shows it.
pub(crate) struct PasskeysSection {
    /// The user's passkeys, oldest first.
    passkeys: Vec<passkeys::PasskeyRow>,
    /// Why the last rename failed.
    error: Option<String>,
}

/// The error each section shows, at most one.
#[derive(Default)]
pub(crate) struct Errors {
    two_factor: Option<String>,
    passkeys: Option<String>,
}

impl Errors {
    /// An error in the two-factor section.
    pub(crate) fn two_factor(message: String) -> Errors {
        Errors { two_factor: Some(message), passkeys: None }
    }

    /// An error in the passkeys section.
    pub(crate) fn passkeys(message: String) -> Errors {
        Errors { two_factor: None, passkeys: Some(message) }
    }
}

#[derive(Template)]
#[template(path = "settings/security.html")]
struct SecurityPage {
    layout: Layout,
    notice: Option<&'static str>,
    two_factor: TwoFactorSection,
    passkeys: PasskeysSection,
}

/// Query of the page.
#[derive(Debug, serde::Deserialize)]
pub struct SecurityQuery {
    notice: Option<String>,
}

/// `GET /settings/security`
pub async fn security_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<SecurityQuery>,
) -> Result<Response, PageError> {
    let t = signed_in.ctx.lang.texts();
    let notice = match query.notice.as_deref() {
        Some("two_factor_off") => Some(t.two_factor_off_notice),
        Some("setup_expired") => Some(t.two_factor_setup_expired),
        Some("passkey_added") => Some(t.passkey_added_notice),
        Some("passkey_renamed") => Some(t.passkey_renamed_notice),
        Some("passkey_removed") => Some(t.passkey_removed_notice),
        _ => None,
    };
    security_page(&state, &signed_in, StatusCode::OK, notice, Errors::default()).await
}

/// The page with `status`, a notice on top and the sections' errors.
async fn security_page(
    state: &AppState,
    signed_in: &SignedIn,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Errors,
) -> Result<Response, PageError> {
    let two_factor_status = crate::accounts::two_factor::status(&*state.store, signed_in.user.id).await?;
    let two_factor = TwoFactorSection { status: two_factor_status, error: errors.two_factor };
    let t = signed_in.ctx.lang.texts();
    let rows = state.store.list_passkeys(signed_in.user.id).await?;
    let rows = rows.iter().map(|record| passkeys::PasskeyRow::of(record, t)).collect();
    let passkeys = PasskeysSection { passkeys: rows, error: errors.passkeys };
    Ok(render(status, &SecurityPage { layout: signed_in.ctx.layout(), notice, two_factor, passkeys }))
}
