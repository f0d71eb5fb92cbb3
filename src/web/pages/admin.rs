//! `/admin` (SPEC §8 "Admin pages"): for admins only (`user create
//! --admin`, `user promote`); everyone else, signed in or not, gets the 404
//! page on every `/admin` path, so the pages' existence is not shown.
//!
//! One page: users (searched by email or login, paged) with disable or
//! enable, sign out everywhere and reset two-factor; applications (paged)
//! with disable or enable; the recent security events of every account.
//! Every action is a CSRF-checked `POST`, recorded in the affected user's
//! security log with the admin's login and address.

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::user::{User, UserId};
use crate::state::AppState;
use crate::store::{AccountEvent, AccountRecord, AppRecord};
use crate::web::error::PageError;
use crate::web::pages::{Layout, PageContext, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::render::date_time;
use crate::web::session::Session;

/// Rows per page of users and of applications.
const PAGE_SIZE: i64 = 20;
/// Security events shown.
const EVENTS: i64 = 30;

/// A signed-in admin; anyone else is answered 404.
pub struct Admin {
    ctx: PageContext,
    session: Session,
    user: User,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = PageContext::from_request_parts(parts, state).await?;
        let (Some(session), Some(user)) = (ctx.session.clone(), ctx.user.clone()) else {
            return Err(PageError::NotFound);
        };
        // The user came with the session, whose lookup refuses a disabled
        // account, and carries its admin flag: no second read.
        if !user.admin {
            return Err(PageError::NotFound);
        }
        Ok(Admin { ctx, session, user })
    }
}

/// One user row.
struct UserView {
    id: i64,
    login: String,
    email: String,
    disabled: bool,
    admin: bool,
    two_factor: bool,
}

/// One application row.
struct AppView {
    client_id: String,
    name: String,
    owner: String,
    disabled: bool,
}

/// One event row.
struct EventView {
    time: String,
    login: String,
    kind: &'static str,
    description: &'static str,
    detail: String,
    address: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    notice: Option<&'static str>,
    search: String,
    users: Vec<UserView>,
    users_previous: Option<String>,
    users_next: Option<String>,
    apps: Vec<AppView>,
    apps_previous: Option<String>,
    apps_next: Option<String>,
    events: Vec<EventView>,
}

/// The page's query.
#[derive(Debug, Default, serde::Deserialize)]
pub struct AdminQuery {
    /// Email or login substring.
    #[serde(default)]
    q: String,
    /// Users page, from 1.
    page: Option<i64>,
    /// Applications page, from 1.
    apps_page: Option<i64>,
    /// The notice after an action.
    notice: Option<String>,
}

/// `GET /admin`
pub async fn admin_get(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<AdminQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) = query.unwrap_or_default();
    let store = state.store.admin();
    let (page, apps_page) = (query.page.unwrap_or(1).clamp(1, 100_000), query.apps_page.unwrap_or(1).clamp(1, 100_000));
    let mut users = store.list_accounts(&query.q, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1).await?;
    let mut apps = store.list_apps((apps_page - 1) * PAGE_SIZE, PAGE_SIZE + 1).await?;
    let events = store.recent_events(EVENTS).await?;
    let layout = admin.ctx.layout();
    let link = |users_page: i64, apps_page: i64| page_link(&query.q, users_page, apps_page);
    let users_next = (users.len() as i64 > PAGE_SIZE).then(|| link(page + 1, apps_page));
    let apps_next = (apps.len() as i64 > PAGE_SIZE).then(|| link(page, apps_page + 1));
    users.truncate(PAGE_SIZE as usize);
    apps.truncate(PAGE_SIZE as usize);
    let page_view = AdminPage {
        notice: notice(layout.t, query.notice.as_deref()),
        search: query.q.clone(),
        users: users.iter().map(user_view).collect(),
        users_previous: (page > 1).then(|| link(page - 1, apps_page)),
        users_next,
        apps: apps.iter().map(app_view).collect(),
        apps_previous: (apps_page > 1).then(|| link(page, apps_page - 1)),
        apps_next,
        events: events.iter().map(|e| event_view(admin.ctx.lang, e)).collect(),
        layout,
    };
    Ok(render(StatusCode::OK, &page_view))
}

/// `/admin?…` for a search and pages.
fn page_link(search: &str, page: i64, apps_page: i64) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", search)
        .append_pair("page", &page.to_string())
        .append_pair("apps_page", &apps_page.to_string())
        .finish();
    format!("{}?{query}", paths::ADMIN)
}

fn notice(t: &'static crate::web::i18n::Texts, notice: Option<&str>) -> Option<&'static str> {
    Some(match notice? {
        "user_disabled" => t.admin_user_disabled_notice,
        "user_enabled" => t.admin_user_enabled_notice,
        "signed_out" => t.admin_signed_out_notice,
        "two_factor_reset" => t.admin_two_factor_reset_notice,
        "app_disabled" => t.admin_app_disabled_notice,
        "app_enabled" => t.admin_app_enabled_notice,
        _ => return None,
    })
}

fn user_view(account: &AccountRecord) -> UserView {
    UserView {
        id: account.user.id.0,
        login: account.user.login.clone(),
        email: account.user.email.clone(),
        disabled: account.disabled_at.is_some(),
        admin: account.admin,
        two_factor: account.two_factor,
    }
}

fn app_view(app: &AppRecord) -> AppView {
    AppView {
        client_id: app.client.client_id.clone(),
        name: app.client.name.clone(),
        owner: app.owner_login.clone(),
        disabled: app.disabled_at.is_some(),
    }
}

fn event_view(lang: crate::web::i18n::Lang, event: &AccountEvent) -> EventView {
    EventView {
        time: date_time(event.event.created_at),
        login: event.login.clone(),
        kind: event.event.kind.as_str(),
        description: lang.event_description(event.event.kind),
        detail: event.event.detail.clone(),
        address: event.event.ip.clone(),
    }
}

/// `POST /admin/users/{id}/{action}`: `disable`, `enable`, `sign_out` or
/// `reset_two_factor`. Any other method or action is not found.
pub async fn user_action(
    State(state): State<AppState>,
    admin: Admin,
    method: Method,
    Path((id, action)): Path<(String, String)>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let id = id.parse::<i64>().map(UserId).map_err(|_| PageError::NotFound)?;
    let kind = match action.as_str() {
        "disable" => SecurityEventKind::AccountDisabled,
        "enable" => SecurityEventKind::AccountEnabled,
        "sign_out" => SecurityEventKind::SessionsEndedByAdmin,
        "reset_two_factor" => SecurityEventKind::TwoFactorResetByAdmin,
        _ => return Err(PageError::NotFound),
    };
    admin.check(&method, params)?;
    state.store.admin().find_account_by_id(id).await?.ok_or(PageError::NotFound)?;
    let event = SecurityEvent::new(id, kind, Some(admin.ctx.addr)).about(admin.user.login.clone());
    let now = state.clock.now();
    let (store, admin_store) = (&state.store, state.store.admin());
    let notice = match kind {
        SecurityEventKind::AccountDisabled => {
            admin_store.set_account_disabled(id, true, now, &event).await?;
            "user_disabled"
        }
        SecurityEventKind::AccountEnabled => {
            admin_store.set_account_disabled(id, false, now, &event).await?;
            "user_enabled"
        }
        SecurityEventKind::SessionsEndedByAdmin => {
            store.delete_other_sessions(id, None, now, &event).await?;
            "signed_out"
        }
        _ => {
            store.disable_two_factor(id, &event, now).await?;
            "two_factor_reset"
        }
    };
    Ok(redirect::see_other(&format!("{}?notice={notice}", paths::ADMIN)))
}

/// `POST /admin/applications/{client_id}/{action}`: `disable` or `enable`.
pub async fn app_action(
    State(state): State<AppState>,
    admin: Admin,
    method: Method,
    Path((client_id, action)): Path<(String, String)>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let (disabled, notice) = match action.as_str() {
        "disable" => (true, "app_disabled"),
        "enable" => (false, "app_enabled"),
        _ => return Err(PageError::NotFound),
    };
    admin.check(&method, params)?;
    let app = state.store.admin().find_app(&client_id).await?.ok_or(PageError::NotFound)?;
    state.store.admin().set_app_disabled(app.client.id, disabled, state.clock.now()).await?;
    Ok(redirect::see_other(&format!("{}?notice={notice}", paths::ADMIN)))
}

impl Admin {
    /// An action must be a `POST` (anything else is not found) carrying the
    /// session's CSRF token.
    fn check(&self, method: &Method, params: Result<Params, ParamsError>) -> Result<(), PageError> {
        if method != Method::POST {
            return Err(PageError::NotFound);
        }
        self.session.check_csrf(params?.get("csrf_token"))?;
        Ok(())
    }
}
