//! `GET` and `PATCH /api/v5/user` and `GET /api/v5/emails`, with the
//! platform's field names.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::accounts::profile;
use crate::domain::email::EmailAddress;
use crate::domain::profile::ProfileChange;
use crate::domain::scope::Scope;
use crate::domain::user::{User, UserId};
use crate::oauth::error::BearerError;
use crate::state::AppState;
use crate::web::api::bearer::{Authenticated, authenticate, presented_token};
use crate::web::api::openapi::{BearerRefusals, forms};
use crate::web::client_addr::ClientAddr;
use crate::web::error::{ApiError, MessageBody, ValidationBody};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;

/// The platform's `User` model, as far as it applies to Gatehouse: the
/// counters and the URLs of what Gatehouse does not host are there for the
/// platform's clients, with zeros.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserResponse {
    /// The user's id, never reassigned (the `sub` of OpenID Connect).
    #[schema(value_type = i64)]
    id: UserId,
    /// The login (user name).
    login: String,
    /// The display name.
    name: String,
    /// The avatar's URL.
    avatar_url: String,
    /// The user's API URL.
    url: String,
    /// The user's page.
    html_url: String,
    /// Always empty.
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
    /// Always `User`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The user's site.
    blog: String,
    /// The user's Weibo name.
    weibo: String,
    /// A short text about the user.
    bio: String,
    public_repos: u32,
    public_gists: u32,
    followers: u32,
    following: u32,
    stared: u32,
    watched: u32,
    /// RFC 3339.
    created_at: String,
    /// RFC 3339.
    updated_at: String,
    /// The primary email address.
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
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Email)]
pub struct EmailResponse {
    /// The address.
    email: String,
    /// Whether its owner followed a verification link mailed to it.
    state: EmailState,
    /// `primary` marks the primary address; every address may sign commits.
    scope: Vec<EmailScope>,
}

/// The platform's states of an address.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EmailState {
    /// Verified.
    Confirmed,
    /// Not verified (yet).
    Unconfirmed,
}

/// The platform's uses of an address.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EmailScope {
    /// The account's primary address.
    Primary,
    /// May sign commits.
    Commit,
}

/// `GET /api/v5/user` (scope `user_info`).
///
/// The profile of the user the token acts for.
#[utoipa::path(
    get,
    path = paths::API_USER,
    tag = "api",
    operation_id = "get_user",
    summary = "The user the token acts for",
    responses(
        (status = 200, description = "The user.", body = UserResponse),
        BearerRefusals,
    ),
    security(("bearer" = ["user_info"]), ("access_token" = ["user_info"])),
)]
pub async fn user_get(
    State(state): State<AppState>,
    Authenticated(access): Authenticated,
) -> Result<Json<UserResponse>, BearerError> {
    let user = access.user_with(Scope::UserInfo)?;
    Ok(Json(UserResponse::new(user, state.settings.issuer())))
}

/// `PATCH /api/v5/user` (scope `user_info`).
///
/// Changes `name`, `blog`, `weibo` and `bio`, as the platform's does, from a
/// JSON or form body (or the query). A field left out stays as it is; one
/// sent empty is cleared (a name cannot be). The token may also come as the
/// `access_token` parameter (RFC 6750 §2.2). The answer is the updated user,
/// as `GET` shows it.
#[utoipa::path(
    patch,
    path = paths::API_USER,
    tag = "api",
    operation_id = "update_user",
    summary = "Change the user's profile",
    request_body(
        description = "The fields to change; also accepted in the query string.",
        content(
            (forms::UserPatchRequest = "application/json"),
            (forms::UserPatchRequest = "application/x-www-form-urlencoded"),
        ),
    ),
    responses(
        (status = 200, description = "The updated user.", body = UserResponse),
        (status = 400, description = "The body cannot be read.", body = MessageBody),
        BearerRefusals,
        (status = 422, description = "Refused fields; nothing was changed.", body = ValidationBody),
    ),
    security(("bearer" = ["user_info"]), ("access_token" = ["user_info"])),
)]
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

/// `GET /api/v5/emails` (scope `emails`).
///
/// Every address of the account, the primary one first, with the platform's
/// states (`confirmed` once verified, else `unconfirmed`) and scopes
/// (`primary` marks the primary address; every address may sign commits).
#[utoipa::path(
    get,
    path = paths::API_EMAILS,
    tag = "api",
    operation_id = "list_emails",
    summary = "The user's email addresses",
    responses(
        (status = 200, description = "The addresses, the primary one first.", body = Vec<EmailResponse>),
        BearerRefusals,
    ),
    security(("bearer" = ["emails"]), ("access_token" = ["emails"])),
)]
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
            state: if address.verified { EmailState::Confirmed } else { EmailState::Unconfirmed },
            scope: if address.primary {
                vec![EmailScope::Primary, EmailScope::Commit]
            } else {
                vec![EmailScope::Commit]
            },
            email: address.email,
        }
    }
}
