//! `grant_type=refresh_token` (RFC 6749 §6, RFC 9700 §4.14.2). The seed sends
//! it with no client credentials; credentials that are sent are checked.
//! Refresh tokens rotate: each is spent on use, and presenting a spent one
//! revokes its whole family. There is no grace window: a client that lost the
//! response signs the user in again, which is safer than letting a stolen
//! token race the rightful one.

use super::{IssuedTokens, TokenContext, mint, resolve_scopes};
use crate::domain::token::PlainSecret;
use crate::oauth::client_auth::IdentifiedClient;
use crate::oauth::error::TokenError;
use crate::store::{Redemption, TokenKind};

pub(super) async fn exchange(
    ctx: TokenContext<'_>,
    client: Option<IdentifiedClient>,
    refresh_token: &str,
    scope: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    let invalid = |m: &str| TokenError::InvalidGrant(m.to_owned());
    let hash = PlainSecret::from_presented(refresh_token).hash();
    let record = ctx
        .store
        .find_token(&hash)
        .await?
        .filter(|r| r.kind == TokenKind::Refresh)
        .ok_or_else(|| invalid("unknown refresh token"))?;
    if client.is_some_and(|c| c.client.id != record.client_pk) {
        return Err(invalid("the refresh token was issued to another client"));
    }
    if record.revoked || ctx.now >= record.expires_at {
        return Err(invalid("the refresh token has expired or was revoked"));
    }
    let scopes = resolve_scopes(scope, &record.scopes)?;
    let mut minted =
        mint(ctx, (record.client_pk, &record.client_id), record.user_id, scopes, record.family_id.clone(), true);
    // A narrower access token; the refresh token keeps the grant's scope (RFC 6749 §6).
    minted.stored.refresh_scopes = record.scopes.clone();
    match ctx.store.rotate_refresh_token(&hash, &minted.stored, ctx.now).await? {
        Redemption::Issued => Ok(minted.issued),
        Redemption::Replayed => Err(invalid("the refresh token was already used; its family is revoked")),
    }
}
