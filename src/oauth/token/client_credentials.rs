//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client acts
//! for itself. No refresh token (§4.4.3: "A refresh token SHOULD NOT be included").

use super::{IssuedTokens, TokenContext, resolve_scopes};
use crate::domain::client::Client;
use crate::domain::token::FamilyId;
use crate::oauth::error::TokenError;

pub(super) async fn exchange(
    ctx: TokenContext<'_>,
    client: &Client,
    scope: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    let scopes = resolve_scopes(scope, &client.scopes)?;
    let minted = ctx.issuer().mint((client.id, &client.client_id), None, scopes, FamilyId::generate(), false);
    ctx.store.insert_tokens(&minted.stored).await?;
    Ok(minted.issued)
}
