//! Token introspection for resource servers (RFC 7662). Any confidential
//! client that authenticates may introspect: resource servers are registered
//! as applications of their own.

use serde::Serialize;

use crate::clock::UnixTime;
use crate::domain::personal_token;
use crate::domain::token::PlainSecret;
use crate::oauth::client_auth::{self, ClientCredentials};
use crate::oauth::error::TokenError;
use crate::store::Store;

/// The introspection response (RFC 7662 §2.2). Inactive tokens carry only `active: false`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Introspection {
    /// Whether the token is currently usable.
    pub active: bool,
    /// Granted scopes, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub scope: Option<String>,
    /// The client it was issued to; absent for a personal access token,
    /// which no client holds (RFC 7662 §2.2 makes it optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_id: Option<String>,
    /// The user's login.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub username: Option<String>,
    /// `bearer` for access tokens, `refresh_token` for refresh tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token_type: Option<String>,
    /// Expiry, Unix seconds; absent for a personal access token that never
    /// expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub exp: Option<i64>,
    /// Issue time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub iat: Option<i64>,
    /// The user's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
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
    if personal_token::is_personal(token) {
        return personal(store, token, now).await;
    }
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

/// A personal access token (SPEC §7 "introspection reports it"): active while
/// it lives, with its scopes and owner, `token_type` `bearer` like the
/// access tokens it stands in for, and no `client_id`.
async fn personal(store: &dyn Store, token: &str, now: UnixTime) -> Result<Introspection, TokenError> {
    let found = store.find_personal_token(&PlainSecret::from_presented(token).hash()).await?;
    let Some(record) = found.filter(|r| r.token.is_active(now)) else {
        return Ok(Introspection::default());
    };
    Ok(Introspection {
        active: true,
        scope: Some(record.token.scopes.to_string()),
        client_id: None,
        username: Some(record.user.login),
        token_type: Some("bearer".to_owned()),
        exp: record.token.expires_at,
        iat: Some(record.token.created_at),
        sub: Some(record.user.id.to_string()),
    })
}
