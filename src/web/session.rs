//! Browser sessions and CSRF tokens. The session cookie holds a random id;
//! the database holds only its hash, the user and the session's CSRF token.
//! Forms shown before sign-in carry a token tied to a separate cookie
//! (double submit), since there is no session yet.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use subtle::ConstantTimeEq;

use std::net::IpAddr;

use crate::domain::oidc::Authentication;
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::{PlainSecret, SecretHash, SecretKind, random_token};
use crate::domain::user::UserId;
use crate::state::AppState;
use crate::store::SessionRecord;
use crate::web::error::PageError;
use crate::web::i18n::PageMessage;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "gatehouse_session";
/// The pre-sign-in CSRF cookie's name.
pub const CSRF_COOKIE: &str = "gatehouse_csrf";
/// How long a session lasts.
const SESSION_TTL: i64 = 14 * 86_400;

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// Hash of the session id.
    pub id_hash: SecretHash,
    /// The user.
    pub user_id: UserId,
    /// The token this session's forms must carry.
    pub csrf_token: String,
    /// When and how the user signed in.
    pub auth: Authentication,
}

impl Session {
    /// Checks a form's CSRF token against the session's, in constant time.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), PageError> {
        check_token(Some(&self.csrf_token), presented)
    }
}

/// The session, if the browser has a live one.
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Ok(MaybeSession(None));
        };
        let id_hash = PlainSecret::from_presented(cookie.value()).hash();
        let now = state.clock.now();
        let record = state.store.find_session(&id_hash, now).await?;
        if let Some(record) = &record {
            note_activity(state, id_hash, record.last_seen_at, now);
        }
        Ok(MaybeSession(record.map(|r| Session {
            id_hash,
            user_id: r.user_id,
            csrf_token: r.csrf_token,
            auth: r.auth,
        })))
    }
}

/// How stale a session's last activity may get before a request writes it
/// anew (SPEC §7 "Sessions": "updated at most once a minute, not on every
/// request").
const ACTIVITY_EVERY: i64 = 60;

/// Records the session's activity when the last record is a minute old, off
/// the request's path: a failure costs the sessions page a minute's
/// accuracy, never the request.
fn note_activity(state: &AppState, id_hash: SecretHash, last_seen_at: i64, now: i64) {
    if now - last_seen_at < ACTIVITY_EVERY {
        return;
    }
    let store = std::sync::Arc::clone(&state.store);
    tokio::spawn(async move {
        if let Err(error) = store.touch_session(&id_hash, now).await {
            tracing::debug!(%error, "could not record a session's activity");
        }
    });
}

/// Where a sign-in comes from: shown on the sessions page and in the
/// security log.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The client's address.
    pub ip: IpAddr,
    /// Its `User-Agent` (cut to [`MAX_USER_AGENT`] bytes when stored).
    pub user_agent: &'a str,
}

/// The longest `User-Agent` a session keeps.
pub const MAX_USER_AGENT: usize = 512;

impl<'a> Origin<'a> {
    /// The origin of a request from `ip` with `headers`.
    pub fn of(ip: IpAddr, headers: &'a axum::http::HeaderMap) -> Origin<'a> {
        let user_agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        Origin { ip, user_agent }
    }

    fn stored_user_agent(self) -> String {
        let mut end = self.user_agent.len().min(MAX_USER_AGENT);
        while !self.user_agent.is_char_boundary(end) {
            end -= 1;
        }
        self.user_agent[..end].to_owned()
    }
}

/// Starts a session for `user_id`, who signed in with a password alone,
/// with a new id (never one the browser had before: a planted cookie cannot
/// become a signed-in session), ending any previous one. Returns the jar
/// with the new cookie.
pub async fn sign_in(
    state: &AppState,
    jar: CookieJar,
    previous: Option<&Session>,
    user_id: UserId,
    origin: Origin<'_>,
) -> Result<CookieJar, PageError> {
    let auth = Authentication::password(state.clock.now());
    sign_in_with(state, jar, previous, user_id, origin, auth).await
}

/// [`sign_in`] for a user who proved who they are as `auth` says (the
/// factors become the ID tokens' `amr`).
pub async fn sign_in_with(
    state: &AppState,
    jar: CookieJar,
    previous: Option<&Session>,
    user_id: UserId,
    origin: Origin<'_>,
    auth: Authentication,
) -> Result<CookieJar, PageError> {
    sign_in_as(state, jar, previous, (user_id, origin, auth), "").await
}

/// [`sign_in_with`], the security log's sign-in event about `detail` (how:
/// a passkey's sign-in names the passkey).
pub async fn sign_in_as(
    state: &AppState,
    jar: CookieJar,
    previous: Option<&Session>,
    (user_id, origin, auth): (UserId, Origin<'_>, Authentication),
    detail: &str,
) -> Result<CookieJar, PageError> {
    if let Some(previous) = previous {
        state.store.delete_session(&previous.id_hash).await?;
    }
    let id = PlainSecret::generate(SecretKind::Session);
    let now = state.clock.now();
    let record = SessionRecord {
        user_id,
        csrf_token: random_token(),
        auth,
        user_agent: origin.stored_user_agent(),
        ip: origin.ip.to_string(),
        last_seen_at: now,
    };
    let event = SecurityEvent::new(user_id, SecurityEventKind::SignIn, Some(origin.ip)).about(detail);
    state.store.insert_session(&id.hash(), &record, now, now + SESSION_TTL, &[event]).await?;
    let cookie = base_cookie(state, SESSION_COOKIE, id.expose().to_owned(), Some(SESSION_TTL));
    Ok(jar.add(cookie))
}

/// Ends the session on the server and clears the cookie.
pub async fn sign_out(state: &AppState, jar: CookieJar, session: &Session) -> Result<CookieJar, PageError> {
    state.store.delete_session(&session.id_hash).await?;
    Ok(jar.remove(Cookie::build(SESSION_COOKIE).path("/")))
}

/// Clears the session cookie of a session that has already ended on the
/// server (its account was deleted).
pub fn forget(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"))
}

/// The pre-sign-in CSRF token, creating its cookie if the browser has none.
pub fn anonymous_csrf(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    if let Some(existing) = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()) {
        return (jar, existing);
    }
    let token = random_token();
    let cookie = base_cookie(state, CSRF_COOKIE, token.clone(), None);
    (jar.add(cookie), token)
}

/// Checks a pre-sign-in form's token against its cookie.
pub fn check_anonymous_csrf(jar: &CookieJar, presented: Option<&str>) -> Result<(), PageError> {
    check_token(jar.get(CSRF_COOKIE).map(Cookie::value), presented)
}

fn check_token(expected: Option<&str>, presented: Option<&str>) -> Result<(), PageError> {
    match (expected, presented) {
        (Some(expected), Some(presented)) if bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) => Ok(()),
        _ => Err(PageError::Forbidden(PageMessage::FormExpired)),
    }
}

/// `HttpOnly; SameSite=Lax; Path=/`, and `Secure` when the issuer is https.
pub(crate) fn base_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age: Option<i64>,
) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.is_https())
        .build();
    if let Some(seconds) = max_age {
        cookie.set_max_age(time::Duration::seconds(seconds));
    }
    cookie
}
