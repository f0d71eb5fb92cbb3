//! Server-rendered pages: each handler sits beside its askama `…Page` struct,
//! and every page shares the `Layout` (language, signed-in user, switch).

pub mod account;
pub mod admin;
pub mod apps;
pub mod assets;
pub mod authorized;
pub mod consent;
pub mod device;
pub mod email_verification;
pub mod emails;
pub mod home;
pub mod language;
pub mod login;
pub mod login_passkey;
pub mod login_two_factor;
pub mod password;
pub mod password_reset;
pub mod profile;
pub mod security;
pub mod security_log;
pub mod sessions;
pub mod signup;
pub mod tokens;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::user::User;
use crate::state::AppState;
use crate::web::client_addr::ClientAddr;
use crate::web::error::PageError;
use crate::web::i18n::Lang;
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
pub use crate::web::render::{Layout, render};
use crate::web::session::{MaybeSession, Session};

/// The request facts every page needs: language, session, user, path.
pub struct PageContext {
    /// The page language.
    pub lang: Lang,
    /// The live session, if any.
    pub session: Option<Session>,
    /// The signed-in user, if any.
    pub user: Option<User>,
    /// This request's path and query.
    pub path: String,
    /// The client's address (for the audit trail).
    pub addr: std::net::IpAddr,
}

impl PageContext {
    /// The shared frame for this request.
    pub fn layout(&self) -> Layout {
        let mut layout = Layout::new(
            self.lang,
            self.path.clone(),
            self.user.as_ref().map(|u| u.login.clone()),
            self.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default(),
        );
        layout.admin = self.user.as_ref().is_some_and(|u| u.admin);
        layout
    }
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(lang) = Lang::from_request_parts(parts, state).await;
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, state).await?;
        let user = match &session {
            Some(session) => state.store.find_user(session.user_id).await?,
            None => None,
        };
        let path = parts.uri.path_and_query().map_or_else(|| paths::HOME.to_owned(), |p| p.as_str().to_owned());
        let Ok(ClientAddr(addr)) = ClientAddr::from_request_parts(parts, state).await;
        Ok(PageContext { lang, session, user, path, addr })
    }
}

/// A request from a signed-in user; anyone else is sent to sign in.
pub struct SignedIn {
    /// The page context.
    pub ctx: PageContext,
    /// The session.
    pub session: Session,
    /// The user.
    pub user: User,
}

impl SignedIn {
    /// A settings form's parameters, once its CSRF token checks out.
    pub fn checked(&self, params: Result<Params, ParamsError>) -> Result<Params, PageError> {
        let params = params?;
        self.session.check_csrf(params.get("csrf_token"))?;
        Ok(params)
    }
}

/// Query of a settings page that shows a notice after a redirect.
#[derive(Debug, serde::Deserialize)]
pub struct NoticeQuery {
    /// Which notice (each page knows its own).
    pub notice: Option<String>,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = PageContext::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match (ctx.session.clone(), ctx.user.clone()) {
            (Some(session), Some(user)) => Ok(SignedIn { ctx, session, user }),
            _ => {
                let back = if parts.method == Method::GET { ctx.path.as_str() } else { paths::HOME };
                let query =
                    url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", back).finish();
                Err(redirect::found(&format!("{}?{query}", paths::LOGIN)))
            }
        }
    }
}

impl SignedIn {
    /// A settings form's parameters, once its CSRF token is the session's.
    pub fn checked_params(&self, params: Result<Params, ParamsError>) -> Result<Params, PageError> {
        let params = params?;
        self.session.check_csrf(params.get("csrf_token"))?;
        Ok(params)
    }
}

/// Answers unknown paths: JSON under the API, a page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "message": "Not Found" }))).into_response();
    }
    PageError::NotFound.into_response()
}

/// Where to go after sign-in or sign-out: only a path on this server (SPEC
/// §4); `//host`, backslashes, control characters and other schemes fall
/// back to the home page.
pub fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => paths::HOME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_return_to(Some("/oauth/authorize?client_id=x")), "/oauth/authorize?client_id=x");
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/a\nb", ""] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }
}
