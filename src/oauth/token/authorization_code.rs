//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.8.2).

use super::{IssuedTokens, TokenContext, mint};
use crate::domain::client::Client;
use crate::domain::token::PlainSecret;
use crate::oauth::error::TokenError;
use crate::store::Redemption;

/// Redeems a code once. A second redemption fails and revokes every token the
/// first one issued (RFC 6749 §4.1.2: "the authorization server MUST deny the
/// request and SHOULD revoke … all tokens previously issued based on that
/// authorization code").
pub(super) async fn exchange(
    ctx: TokenContext<'_>,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    let invalid = |m: &str| TokenError::InvalidGrant(m.to_owned());
    let hash = PlainSecret::from_presented(code).hash();
    let record =
        ctx.store.find_authorization_code(&hash).await?.ok_or_else(|| invalid("unknown authorization code"))?;
    let request = &record.request;
    if record.used {
        // A replay, from whoever and whenever: revoke what the code issued.
        ctx.store.revoke_family(&record.family_id, ctx.now).await?;
        return Err(invalid("the authorization code was already used; its tokens are revoked"));
    }
    if request.client_pk != client.id {
        return Err(invalid("the authorization code was issued to another client"));
    }
    if ctx.now >= record.expires_at {
        return Err(invalid("the authorization code has expired"));
    }
    match redirect_uri {
        Some(given) if given != request.redirect_uri => {
            return Err(invalid("redirect_uri does not match"));
        }
        None if request.redirect_uri_given => return Err(invalid("redirect_uri is required")),
        _ => {}
    }
    match (&request.challenge, code_verifier) {
        (Some(challenge), Some(verifier)) if challenge.verify(verifier) => {}
        (Some(_), Some(_)) => {
            return Err(invalid("code_verifier does not match the code_challenge"));
        }
        (Some(_), None) => return Err(invalid("code_verifier is required")),
        (None, Some(_)) => return Err(invalid("the code was issued without a code_challenge")),
        (None, None) => {}
    }
    let minted = mint(
        ctx,
        (client.id, &client.client_id),
        Some(request.user_id),
        request.scopes.clone(),
        record.family_id.clone(),
        true,
    );
    match ctx.store.redeem_authorization_code(&hash, &minted.stored, ctx.now).await? {
        Redemption::Issued => Ok(minted.issued),
        Redemption::Replayed => Err(invalid("the authorization code was already used; its tokens are revoked")),
    }
}
