//! Client authentication at the token, revocation and introspection
//! endpoints (RFC 6749 §2.3): HTTP Basic or `client_id`/`client_secret`
//! parameters; public clients identify themselves by `client_id` alone.

use crate::domain::client::Client;
use crate::domain::token::PlainSecret;
use crate::oauth::error::TokenError;
use crate::store::Store;

/// The credentials a request carried.
#[derive(Debug, Clone)]
pub enum ClientCredentials {
    /// None at all (the seed's refresh request).
    None,
    /// A `client_id` without a secret.
    IdOnly(String),
    /// A `client_id` and `client_secret`.
    Secret {
        /// The client id.
        client_id: String,
        /// The secret as presented.
        secret: PlainSecret,
        /// Whether they came by HTTP Basic (errors then answer 401 with a challenge).
        basic: bool,
    },
}

/// A client the request named, and whether it proved its secret.
#[derive(Debug, Clone)]
pub struct IdentifiedClient {
    /// The application.
    pub client: Client,
    /// Whether the secret was presented and correct.
    pub authenticated: bool,
}

/// Looks up the client the credentials name and checks a presented secret in
/// constant time. `Ok(None)` when none were sent.
pub async fn identify(
    store: &dyn Store,
    credentials: &ClientCredentials,
) -> Result<Option<IdentifiedClient>, TokenError> {
    let (client_id, secret, basic) = match credentials {
        ClientCredentials::None => return Ok(None),
        ClientCredentials::IdOnly(id) => (id, None, false),
        ClientCredentials::Secret { client_id, secret, basic } => (client_id, Some(secret), *basic),
    };
    let failed = || TokenError::invalid_client("client authentication failed", basic);
    let client = store.find_client(client_id).await?.ok_or_else(failed)?;
    let authenticated = match (secret, client.secret_hash) {
        (None, _) => false,
        (Some(secret), Some(stored)) if stored.ct_eq(&secret.hash()) => true,
        (Some(_), _) => return Err(failed()),
    };
    Ok(Some(IdentifiedClient { client, authenticated }))
}

/// Requires an identified client: a confidential one must have proved its
/// secret; a public one is accepted by id when `public_allowed`.
pub fn require(identified: Option<IdentifiedClient>, public_allowed: bool) -> Result<Client, TokenError> {
    let Some(IdentifiedClient { client, authenticated }) = identified else {
        return Err(TokenError::invalid_client("client authentication is required", false));
    };
    if client.is_public() && !public_allowed {
        return Err(TokenError::UnauthorizedClient("public clients may not use this grant".to_owned()));
    }
    if !client.is_public() && !authenticated {
        return Err(TokenError::invalid_client("client_secret is required", false));
    }
    Ok(client)
}
