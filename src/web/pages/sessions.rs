//! `/settings/sessions` (SPEC §7 "Sessions"): every signed-in browser of the
//! account with its device, address and last activity; **Sign out** per
//! session and **Sign out everywhere else**.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::SecretHash;
use crate::state::AppState;
use crate::store::ActiveSession;
use crate::web::error::PageError;
use crate::web::pages::{Layout, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::render::date_time;

/// One session as the page shows it.
struct SessionView {
    /// The hash of its id, base64url: how the page names it.
    id: String,
    device: String,
    address: String,
    last_activity: String,
    signed_in: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "settings/sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionView>,
    notice: Option<&'static str>,
}

/// Query of the page.
#[derive(Debug, serde::Deserialize)]
pub struct SessionsQuery {
    notice: Option<String>,
}

/// `GET /settings/sessions`
pub async fn sessions_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<SessionsQuery>,
) -> Result<Response, PageError> {
    let sessions = state.store.list_sessions(signed_in.user.id, state.clock.now()).await?;
    let layout = signed_in.ctx.layout();
    let t = layout.t;
    let current = signed_in.session.id_hash;
    let sessions = sessions.iter().map(|s| view(s, s.id_hash == current, t.unknown_device)).collect();
    let notice = match query.notice.as_deref() {
        Some("signed_out") => Some(t.session_signed_out_notice),
        Some("others_signed_out") => Some(t.other_sessions_signed_out_notice),
        _ => None,
    };
    Ok(render(StatusCode::OK, &SessionsPage { layout, sessions, notice }))
}

fn view(session: &ActiveSession, current: bool, unknown: &str) -> SessionView {
    let record = &session.record;
    SessionView {
        id: URL_SAFE_NO_PAD.encode(session.id_hash.0),
        device: device_label(&record.user_agent).unwrap_or_else(|| unknown.to_owned()),
        address: record.ip.clone(),
        last_activity: date_time(record.last_seen_at),
        signed_in: date_time(session.created_at),
        current,
    }
}

/// `POST /settings/sessions/{id}/revoke`: signs out one of the user's
/// sessions (someone else's, or an unknown one, is not found).
pub async fn revoke_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let id_hash = URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .ok()
        .and_then(|bytes| SecretHash::from_slice(&bytes))
        .ok_or(PageError::NotFound)?;
    let event = SecurityEvent::new(signed_in.user.id, SecurityEventKind::SessionRevoked, Some(signed_in.ctx.addr));
    let now = state.clock.now();
    if !state.store.delete_user_session(signed_in.user.id, &id_hash, now, &event).await? {
        return Err(PageError::NotFound);
    }
    Ok(redirect::see_other(&format!("{}?notice=signed_out", paths::SESSIONS)))
}

/// `POST /settings/sessions/revoke_others`: signs out every session but
/// this one.
pub async fn revoke_others_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let kind = SecurityEventKind::OtherSessionsRevoked;
    let event = SecurityEvent::new(signed_in.user.id, kind, Some(signed_in.ctx.addr));
    let keep = signed_in.session.id_hash;
    state.store.delete_other_sessions(signed_in.user.id, Some(&keep), state.clock.now(), &event).await?;
    Ok(redirect::see_other(&format!("{}?notice=others_signed_out", paths::SESSIONS)))
}

/// "Firefox on Linux" from a `User-Agent`: the browser and the system a
/// person would recognise, or `None` when neither is known. The order of the
/// checks matters: Edge and Opera say "Chrome", Chrome says "Safari", and
/// Android says "Linux".
pub fn device_label(user_agent: &str) -> Option<String> {
    const BROWSERS: [(&str, &str); 8] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests/", "Python requests"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| table.iter().find(|(mark, _)| user_agent.contains(mark)).map(|t| t.1);
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => Some(format!("{browser} on {system}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::device_label;

    #[test]
    fn a_user_agent_reads_as_browser_and_system() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", Some("Firefox on Linux")),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0",
                Some("Edge on Windows"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                Some("Safari on macOS"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
                Some("Chrome on Android"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile Safari/604.1",
                Some("Safari on iOS"),
            ),
            ("curl/8.5.0", Some("curl")),
            ("", None),
            ("gatehouse-tests/1.0", None),
        ];
        for (user_agent, expected) in cases {
            assert_eq!(device_label(user_agent).as_deref(), expected, "{user_agent}");
        }
    }
}
