//! Client authentication at the token, revocation and introspection
//! endpoints (RFC 6749 §2.3): HTTP Basic or `client_id`/`client_secret`
//! parameters; public clients identify themselves by `client_id` alone.
//! `identify` loads the client; `check_secret` and `require` are the rules.

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

/// Looks up the client the credentials name and checks a presented secret.
/// `Ok(None)` when none were sent.
pub async fn identify(
    store: &dyn Store,
    credentials: &ClientCredentials,
) -> Result<Option<IdentifiedClient>, TokenError> {
    let (client_id, secret, basic) = match credentials {
        ClientCredentials::None => return Ok(None),
        ClientCredentials::IdOnly(id) => (id, None, false),
        ClientCredentials::Secret { client_id, secret, basic } => (client_id, Some(secret), *basic),
    };
    let client = store.find_client(client_id).await?;
    check_secret(client, secret, basic).map(Some)
}

/// The client a request named (`None`: no such client) against the secret
/// it presented, compared in constant time. A secret that is presented must
/// be right, also for a public client, which has none to match.
pub fn check_secret(
    client: Option<Client>,
    secret: Option<&PlainSecret>,
    basic: bool,
) -> Result<IdentifiedClient, TokenError> {
    let failed = || TokenError::invalid_client("client authentication failed", basic);
    let client = client.ok_or_else(failed)?;
    let authenticated = match (secret, client.secret_hash) {
        (None, _) => false,
        (Some(secret), Some(stored)) if stored.ct_eq(&secret.hash()) => true,
        (Some(_), _) => return Err(failed()),
    };
    Ok(IdentifiedClient { client, authenticated })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::fixtures::{SECRET, confidential_client, public_client};

    /// What a check returned, reduced to what the wire shows.
    fn outcome(result: Result<IdentifiedClient, TokenError>) -> Result<bool, (&'static str, bool)> {
        result.map(|c| c.authenticated).map_err(|e| match e {
            TokenError::InvalidClient { basic, .. } => ("invalid_client", basic),
            other => (other.code(), false),
        })
    }

    // RFC 6749 §2.3.1: "The authorization server MUST support the HTTP Basic
    // authentication scheme for authenticating clients that were issued a
    // client password"; §5.2 invalid_client: "Client authentication failed
    // (e.g., unknown client, no client authentication included …)".
    #[test]
    fn rfc6749_2_3_a_presented_secret_must_match_the_clients() {
        let right = PlainSecret::from_presented(SECRET);
        let wrong = PlainSecret::from_presented("gcs_wrong");
        let cases = [
            ("confidential, right secret", Some(confidential_client()), Some(&right), false, Ok(true)),
            (
                "confidential, wrong secret",
                Some(confidential_client()),
                Some(&wrong),
                false,
                Err(("invalid_client", false)),
            ),
            (
                "wrong secret by Basic answers a challenge",
                Some(confidential_client()),
                Some(&wrong),
                true,
                Err(("invalid_client", true)),
            ),
            ("confidential, id only: not yet authenticated", Some(confidential_client()), None, false, Ok(false)),
            ("public, id only", Some(public_client()), None, false, Ok(false)),
            (
                "public clients have no secret to present",
                Some(public_client()),
                Some(&right),
                false,
                Err(("invalid_client", false)),
            ),
            ("unknown client", None, Some(&right), true, Err(("invalid_client", true))),
        ];
        for (name, client, secret, basic, expected) in cases {
            assert_eq!(outcome(check_secret(client, secret, basic)), expected, "{name}");
        }
    }

    // RFC 6749 §3.2.1: "A client MAY use the "client_id" request parameter to
    // identify itself when sending requests to the token endpoint" (public
    // clients); confidential clients "MUST authenticate with the authorization server".
    #[test]
    fn rfc6749_3_2_1_confidential_clients_must_authenticate_public_ones_identify() {
        let identified = |client: Client, authenticated| Some(IdentifiedClient { client, authenticated });
        let cases = [
            ("no credentials at all", None, true, Err("invalid_client")),
            ("confidential without its secret", identified(confidential_client(), false), true, Err("invalid_client")),
            ("confidential with its secret", identified(confidential_client(), true), false, Ok(())),
            ("public by id where public clients may", identified(public_client(), false), true, Ok(())),
            (
                "public where only confidential clients may",
                identified(public_client(), false),
                false,
                Err("unauthorized_client"),
            ),
            (
                "confidential without its secret where only confidential clients may",
                identified(confidential_client(), false),
                false,
                Err("invalid_client"),
            ),
        ];
        for (name, identified, public_allowed, expected) in cases {
            let got = require(identified, public_allowed).map(|_| ()).map_err(|e| e.code());
            assert_eq!(got, expected, "{name}");
        }
    }
}
