//! Token revocation (RFC 7009).

use crate::clock::UnixTime;
use crate::domain::token::PlainSecret;
use crate::oauth::client_auth::{self, ClientCredentials};
use crate::oauth::error::TokenError;
use crate::store::{Store, TokenKind};

/// Revokes `token` for the client that asks. Unknown tokens succeed silently
/// (§2.2: "invalid tokens do not cause an error response"). Revoking a refresh
/// token revokes its family, access tokens included (§2.1 "SHOULD").
pub async fn revoke(
    store: &dyn Store,
    credentials: &ClientCredentials,
    token: &str,
    now: UnixTime,
) -> Result<(), TokenError> {
    let client = client_auth::require(client_auth::identify(store, credentials).await?, true)?;
    let hash = PlainSecret::from_presented(token).hash();
    let Some(record) = store.find_token(&hash).await? else {
        return Ok(());
    };
    // §2.1: the server "verifies whether the token was issued to the client
    // making the revocation request. If this validation fails, the request is refused".
    if record.client_pk != client.id {
        return Err(TokenError::UnauthorizedClient("the token was not issued to this client".to_owned()));
    }
    match record.kind {
        TokenKind::Refresh => store.revoke_family(&record.family_id, now).await?,
        TokenKind::Access => store.revoke_token(&hash, now).await?,
    }
    Ok(())
}
