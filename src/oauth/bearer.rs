//! Checking an access token presented to the Open API (RFC 6750): one the
//! token endpoint issued, or a user's personal access token (`gpt_…`, SPEC
//! §7), which opens the same API within its scopes.

use crate::clock::UnixTime;
use crate::domain::client::ClientPk;
use crate::domain::personal_token::{self, PersonalTokenId};
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::token::PlainSecret;
use crate::domain::user::{User, UserId};
use crate::oauth::error::BearerError;
use crate::store::{Store, TokenKind};

/// Who a valid access token speaks for, and what it may do.
#[derive(Debug, Clone)]
pub struct AccessContext {
    /// The user; `None` for a `client_credentials` token.
    pub user_id: Option<UserId>,
    /// The user's profile, read with the token.
    pub user: Option<User>,
    /// The client's internal id; `None` for a personal access token, which
    /// no application holds.
    pub client_pk: Option<ClientPk>,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// A personal access token whose use is due to be recorded (at most
    /// once a minute); the caller records it off the request's path.
    pub record_use: Option<PersonalTokenId>,
}

impl AccessContext {
    /// The user the token acts for, if it holds `scope`.
    pub fn user_with(self, scope: Scope) -> Result<User, BearerError> {
        if !self.scopes.contains(scope) {
            return Err(BearerError::InsufficientScope(scope));
        }
        self.user.ok_or(BearerError::NoUser)
    }
}

/// Looks an access token up by its hash: one indexed read.
pub async fn authenticate(store: &dyn Store, token: &str, now: UnixTime) -> Result<AccessContext, BearerError> {
    if personal_token::is_personal(token) {
        return authenticate_personal(store, token, now).await;
    }
    let record = store
        .find_token(&PlainSecret::from_presented(token).hash())
        .await?
        .filter(|r| r.kind == TokenKind::Access && r.is_active(now))
        .ok_or(BearerError::InvalidToken)?;
    Ok(AccessContext {
        user_id: record.user_id,
        user: record.user,
        client_pk: Some(record.client_pk),
        scopes: record.scopes,
        record_use: None,
    })
}

/// A personal access token: its owner, its scopes, while it has not expired.
async fn authenticate_personal(store: &dyn Store, token: &str, now: UnixTime) -> Result<AccessContext, BearerError> {
    let record = store
        .find_personal_token(&PlainSecret::from_presented(token).hash())
        .await?
        .filter(|r| r.token.is_active(now))
        .ok_or(BearerError::InvalidToken)?;
    Ok(AccessContext {
        user_id: Some(record.user.id),
        record_use: record.token.use_is_due(now).then_some(record.token.id),
        user: Some(record.user),
        client_pk: None,
        scopes: record.token.scopes,
    })
}
