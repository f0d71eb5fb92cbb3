//! Token revocation (RFC 7009).

use crate::clock::UnixTime;
use crate::domain::personal_token;
use crate::domain::token::{PlainSecret, SecretHash};
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
    if personal_token::is_personal(token) {
        return refuse_personal(store, &hash).await;
    }
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

/// A personal access token was issued to no client, so no client may revoke
/// it (§2.1: "If this validation fails, the request is refused"); its owner
/// revokes it on the settings page. One that does not exist is an invalid
/// token like any other: success, silently.
async fn refuse_personal(store: &dyn Store, hash: &SecretHash) -> Result<(), TokenError> {
    if store.find_personal_token(hash).await?.is_none() {
        return Ok(());
    }
    Err(TokenError::UnauthorizedClient(
        "a personal access token is revoked by its owner on the settings page, not by a client".to_owned(),
    ))
}
