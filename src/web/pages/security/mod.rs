//! `/settings/security` (SPEC §7): the account's ways of proving who it is
//! beyond the password, one section each. Two-factor authentication with an
//! authenticator app is the first (`two_factor.rs`); passkeys will be the
//! next section of the same page, with a module of their own beside it.

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

#[derive(Template)]
#[template(path = "settings/security.html")]
struct SecurityPage {
    layout: Layout,
    notice: Option<&'static str>,
    two_factor: TwoFactorSection,
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
        _ => None,
    };
    security_page(&state, &signed_in, StatusCode::OK, notice, None).await
}

/// The page with `status`, a notice on top and an error in the two-factor
/// section.
async fn security_page(
    state: &AppState,
    signed_in: &SignedIn,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let two_factor_status = crate::accounts::two_factor::status(&*state.store, signed_in.user.id).await?;
    let two_factor = TwoFactorSection { status: two_factor_status, error };
    Ok(render(status, &SecurityPage { layout: signed_in.ctx.layout(), notice, two_factor }))
}
