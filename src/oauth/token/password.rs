//! `grant_type=password` (RFC 6749 §4.3): the seed's "cipher mode", with
//! `username` = the user's email. On by default because the platform documents
//! it; an operator can switch it off, and should consider doing so: RFC 9700
//! §2.4 says it "MUST NOT be used", since the client sees the password and
//! the flow cannot carry a second factor.

use super::{IssuedTokens, TokenContext, resolve_scopes};
use crate::accounts::{self, AccountError, two_factor};
use crate::domain::client::Client;
use crate::domain::oidc::Authentication;
use crate::domain::token::FamilyId;
use crate::oauth::error::TokenError;

/// Why an account with two-factor on cannot use this grant, and what to use.
const TWO_FACTOR_ON: &str = "two-factor authentication is on for this account, and the password grant cannot \
     ask for the second factor: sign in through the authorization code flow (or the device flow) instead";

pub(super) async fn exchange(
    ctx: TokenContext<'_>,
    client: &Client,
    username: &str,
    password: &str,
    scope: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    if !ctx.policy.password_grant {
        return Err(TokenError::UnsupportedGrantType);
    }
    let scopes = resolve_scopes(scope, &client.scopes)?;
    let user = accounts::sign_in(ctx.store, ctx.hasher, ctx.clock, username, password, ctx.client_addr).await.map_err(
        |e| match e {
            AccountError::Store(e) => TokenError::from(e),
            AccountError::Hash(e) => TokenError::Internal(Box::new(e)),
            AccountError::Throttled { retry_after } => TokenError::Throttled { retry_after },
            _ => TokenError::InvalidGrant("incorrect email or password".to_owned()),
        },
    )?;
    // The password is one factor; this grant has no way to ask for the
    // second, so an account that has one signs in through a browser.
    if two_factor::is_on(&**ctx.store, user.id).await? {
        return Err(TokenError::InvalidGrant(TWO_FACTOR_ON.to_owned()));
    }
    // Remembered like a consent, so the user finds the application under
    // authorized applications and can revoke it.
    ctx.store.save_grant(user.id, client.id, &scopes, ctx.now, None).await?;
    let mut minted =
        ctx.issuer().mint((client.id, &client.client_id), Some(user.id), scopes, FamilyId::generate(), true);
    // The user has just signed in, with a password.
    let auth = Authentication::password(ctx.now);
    minted.stored.auth = Some(auth.clone());
    ctx.store.insert_tokens(&minted.stored).await?;
    let mut issued = minted.issued;
    ctx.add_id_token(&mut issued, &user, client.id_token_alg, None, Some(&auth)).await?;
    Ok(issued)
}
