//! Token introspection for resource servers (RFC 7662). Any confidential
//! client that authenticates may introspect: resource servers are registered
//! as applications of their own.

use serde::Serialize;

use crate::clock::UnixTime;
use crate::domain::token::PlainSecret;
use crate::oauth::client_auth::{self, ClientCredentials};
use crate::oauth::error::TokenError;
use crate::store::Store;

/// The introspection response (RFC 7662 §2.2). Inactive tokens carry only `active: false`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Introspection {
    /// Whether the token is currently usable.
    pub active: bool,
    /// Granted scopes, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user's login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `bearer` for access tokens, `refresh_token` for refresh tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The user's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

/// Describes `token` to an authenticated confidential client.
pub async fn introspect(
    store: &dyn Store,
    credentials: &ClientCredentials,
    token: &str,
    now: UnixTime,
) -> Result<Introspection, TokenError> {
    client_auth::require(client_auth::identify(store, credentials).await?, false)?;
    let Some(record) = store.find_token(&PlainSecret::from_presented(token).hash()).await? else {
        return Ok(Introspection::default());
    };
    if !record.is_active(now) {
        return Ok(Introspection::default());
    }
    Ok(Introspection {
        active: true,
        scope: Some(record.scopes.to_string()),
        client_id: Some(record.client_id),
        username: record.user.as_ref().map(|u| u.login.clone()),
        token_type: Some(match record.kind {
            crate::store::TokenKind::Access => "bearer".to_owned(),
            crate::store::TokenKind::Refresh => "refresh_token".to_owned(),
        }),
        exp: Some(record.expires_at),
        iat: Some(record.created_at),
        sub: record.user_id.map(|id| id.to_string()),
    })
}
