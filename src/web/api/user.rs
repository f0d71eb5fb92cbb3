//! `GET` and `PATCH /api/v5/user` and `GET /api/v5/emails`, with the
//! platform's field names.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::accounts::profile;
use crate::domain::email::EmailAddress;
use crate::domain::profile::ProfileChange;
use crate::domain::scope::Scope;
use crate::domain::user::{User, UserId};
use crate::oauth::error::BearerError;
use crate::state::AppState;
use crate::web::api::bearer::{Authenticated, authenticate, presented_token};
use crate::web::client_addr::ClientAddr;
use crate::web::error::ApiError;
use crate::web::params::{Params, ParamsError};
use crate::web::paths;

/// The platform's `User` model, as far as it applies to Gatehouse.
#[derive(Debug, Serialize)]
pub struct UserResponse {
    id: UserId,
    login: String,
    name: String,
    avatar_url: String,
    url: String,
    html_url: String,
    remark: String,
    followers_url: String,
    following_url: String,
    gists_url: String,
    starred_url: String,
    subscriptions_url: String,
    organizations_url: String,
    repos_url: String,
    events_url: String,
    received_events_url: String,
    #[serde(rename = "type")]
    kind: &'static str,
    blog: String,
    weibo: String,
    bio: String,
    public_repos: u32,
    public_gists: u32,
    followers: u32,
    following: u32,
    stared: u32,
    watched: u32,
    created_at: String,
    updated_at: String,
    email: String,
}

impl UserResponse {
    fn new(user: User, issuer: &str) -> UserResponse {
        let api = format!("{issuer}/api/v5/users/{}", user.login);
        UserResponse {
            id: user.id,
            avatar_url: format!("{issuer}{}", paths::AVATAR),
            html_url: format!("{issuer}/{}", user.login),
            remark: String::new(),
            followers_url: format!("{api}/followers"),
            following_url: format!("{api}/following_url{{/other_user}}"),
            gists_url: format!("{api}/gists{{/gist_id}}"),
            starred_url: format!("{api}/starred{{/owner}}{{/repo}}"),
            subscriptions_url: format!("{api}/subscriptions"),
            organizations_url: format!("{api}/orgs"),
            repos_url: format!("{api}/repos"),
            events_url: format!("{api}/events{{/privacy}}"),
            received_events_url: format!("{api}/received_events"),
            url: api,
            kind: "User",
            public_repos: 0,
            public_gists: 0,
            followers: 0,
            following: 0,
            stared: 0,
            watched: 0,
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
            login: user.login,
            name: user.name,
            blog: user.blog,
            weibo: user.weibo,
            bio: user.bio,
            email: user.email,
        }
    }
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// One entry of `GET /api/v5/emails`.
#[derive(Debug, Serialize)]
pub struct EmailResponse {
    email: String,
    state: &'static str,
    scope: Vec<&'static str>,
}

/// `GET /api/v5/user` (scope `user_info`).
pub async fn user_get(
    State(state): State<AppState>,
    Authenticated(access): Authenticated,
) -> Result<Json<UserResponse>, BearerError> {
    let user = access.user_with(Scope::UserInfo)?;
    Ok(Json(UserResponse::new(user, state.settings.issuer())))
}

/// `PATCH /api/v5/user` (scope `user_info`): changes `name`, `blog`, `weibo`
/// and `bio`, as the platform's does, from a JSON or form body (or the
/// query). A field left out stays as it is; one sent empty is cleared (a
/// name cannot be). The token may also come as the `access_token` parameter
/// (RFC 6750 §2.2). The answer is the updated user, as `GET` shows it.
pub async fn user_patch(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    params: Result<Params, ParamsError>,
) -> Result<Json<UserResponse>, ApiError> {
    let mut params = params?;
    let token = presented_token(&headers, params.take("access_token"))?;
    let user = authenticate(&state, &token).await?.user_with(Scope::UserInfo)?;
    let given = |name: &str| params.given(name).map(str::to_owned);
    let change = ProfileChange { name: given("name"), bio: given("bio"), blog: given("blog"), weibo: given("weibo") };
    let updated = profile::update(&*state.store, &user, &change, state.clock.now(), Some(addr)).await?;
    Ok(Json(UserResponse::new(updated, state.settings.issuer())))
}

/// `GET /api/v5/emails` (scope `emails`): every address of the account, the
/// primary one first, with the platform's states (`confirmed` once
/// verified, else `unconfirmed`) and scopes (`primary` marks the primary
/// address; every address may sign commits).
pub async fn emails_get(
    State(state): State<AppState>,
    Authenticated(access): Authenticated,
) -> Result<Json<Vec<EmailResponse>>, BearerError> {
    let user = access.user_with(Scope::Emails)?;
    let addresses = state.store.list_emails(user.id).await.map_err(BearerError::Store)?;
    Ok(Json(addresses.into_iter().map(EmailResponse::from).collect()))
}

impl From<EmailAddress> for EmailResponse {
    fn from(address: EmailAddress) -> Self {
        EmailResponse {
            state: if address.verified { "confirmed" } else { "unconfirmed" },
            scope: if address.primary { vec!["primary", "commit"] } else { vec!["commit"] },
            email: address.email,
        }
    }
}
