//! `/settings/password` (SPEC §7 "Password"): **Current password**, **New
//! password**, **Change password**. Every other session ends; this one,
//! the applications' tokens and the personal access tokens stay.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::accounts::AccountError;
use crate::accounts::reauth::{self, Confirmation};
use crate::domain::user::AccountFieldError;
use crate::metrics::Throttle;
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::pages::{Layout, NoticeQuery, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;

#[derive(Template)]
#[template(path = "settings/password.html")]
struct PasswordPage {
    layout: Layout,
    /// For password managers: whose password this is.
    login: String,
    notice: Option<&'static str>,
    error: Option<String>,
    current_error: Option<&'static str>,
    new_error: Option<&'static str>,
}

impl PasswordPage {
    fn new(signed_in: &SignedIn) -> PasswordPage {
        PasswordPage {
            layout: signed_in.ctx.layout(),
            login: signed_in.user.login.clone(),
            notice: None,
            error: None,
            current_error: None,
            new_error: None,
        }
    }
}

/// `GET /settings/password`
pub async fn password_get(signed_in: SignedIn, Query(query): Query<NoticeQuery>) -> Response {
    let mut page = PasswordPage::new(&signed_in);
    if query.notice.as_deref() == Some("changed") {
        page.notice = Some(page.layout.t.password_changed);
    }
    render(StatusCode::OK, &page)
}

/// `POST /settings/password`: a new password that keeps the sign-up rule
/// (422 otherwise), then the current one checked like a sign-in (401 when
/// wrong, 429 with `Retry-After` while throttled).
pub async fn password_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked(params)?;
    let addr = signed_in.ctx.addr;
    let current = params.get("current_password").unwrap_or_default();
    let current = Confirmation { user: &signed_in.user, password: current, address: addr };
    let new_password = params.get("new_password").unwrap_or_default();
    let keep = signed_in.session.id_hash;
    let result = reauth::change_password(&state.store, &state.hasher, &state.clock, current, new_password, &keep).await;
    let mut page = PasswordPage::new(&signed_in);
    let t = page.layout.t;
    let (status, retry_after) = match result {
        Ok(ended) => {
            audit::password_changed(signed_in.user.id, addr, ended);
            return Ok(redirect::see_other(&format!("{}?notice=changed", paths::PASSWORD)));
        }
        Err(AccountError::Field(AccountFieldError::Password)) => {
            page.new_error = Some(t.invalid_password);
            (StatusCode::UNPROCESSABLE_ENTITY, None)
        }
        Err(AccountError::InvalidCredentials) => {
            page.current_error = Some(t.wrong_current_password);
            (StatusCode::UNAUTHORIZED, None)
        }
        Err(AccountError::Throttled { retry_after }) => {
            state.metrics.throttled(Throttle::Reauth);
            page.error = Some(t.too_many_attempts.replace("{seconds}", &retry_after.to_string()));
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after))
        }
        Err(other) => return Err(other.into()),
    };
    Ok(with_retry_after(render(status, &page), retry_after))
}

/// Adds `Retry-After` to a throttled answer.
pub fn with_retry_after(mut response: Response, retry_after: Option<i64>) -> Response {
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
