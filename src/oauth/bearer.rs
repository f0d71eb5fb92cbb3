//! Checking an access token presented to the Open API (RFC 6750).

use crate::clock::UnixTime;
use crate::domain::client::ClientPk;
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
    /// The client's internal id.
    pub client_pk: ClientPk,
    /// Granted scopes.
    pub scopes: ScopeSet,
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
    let record = store
        .find_token(&PlainSecret::from_presented(token).hash())
        .await?
        .filter(|r| r.kind == TokenKind::Access && r.is_active(now))
        .ok_or(BearerError::InvalidToken)?;
    Ok(AccessContext { user_id: record.user_id, user: record.user, client_pk: record.client_pk, scopes: record.scopes })
}
