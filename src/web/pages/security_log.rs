//! `/settings/security-log` (SPEC §7 "Security log"): the account's events
//! with time and address, newest first.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::passkey;
use crate::domain::security_event::SecurityEventKind;
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::pages::{Layout, SignedIn, render};
use crate::web::render::date_time;

/// The most events the page shows.
const SHOWN: i64 = 200;

struct EventView {
    kind: &'static str,
    description: &'static str,
    detail: String,
    address: String,
    time: String,
}

#[derive(Template)]
#[template(path = "settings/security_log.html")]
struct SecurityLogPage {
    layout: Layout,
    events: Vec<EventView>,
}

/// `GET /settings/security-log`
pub async fn security_log_get(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageError> {
    let lang = signed_in.ctx.lang;
    let events = state
        .store
        .list_security_events(signed_in.user.id, SHOWN)
        .await?
        .into_iter()
        .map(|e| EventView {
            kind: e.kind.as_str(),
            description: lang.event_description(e.kind),
            detail: match (e.kind, passkey::signed_in_with(&e.detail)) {
                (SecurityEventKind::SignIn, Some(name)) => {
                    lang.texts().passkey_signed_in_detail.replace("{name}", name)
                }
                _ => e.detail,
            },
            address: e.ip,
            time: date_time(e.created_at),
        })
        .collect();
    Ok(render(StatusCode::OK, &SecurityLogPage { layout: signed_in.ctx.layout(), events }))
}
