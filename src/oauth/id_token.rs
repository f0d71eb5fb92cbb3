//! The ID token (OIDC Core §2, §3.1.3.6, §12.2): what it claims, built
//! without IO by [`claims`], and signed once per token response by
//! [`IdTokenIssuer::issue`] with the application's algorithm.

use serde::Serialize;

use crate::clock::UnixTime;
use crate::domain::oidc::{Authentication, SigningAlg};
use crate::domain::scope::ScopeSet;
use crate::domain::user::User;
use crate::keys::{KeyError, Keyring};
use crate::oauth::claims::{ProviderUrls, UserClaims};

/// An ID token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdTokenClaims {
    /// The issuer.
    pub iss: String,
    /// `sub` and the claims of the granted scopes.
    #[serde(flatten)]
    pub user: UserClaims,
    /// The client the token is for.
    pub aud: String,
    /// The party it was issued to: the same client.
    pub azp: String,
    /// Expiry.
    pub exp: UnixTime,
    /// Issue time.
    pub iat: UnixTime,
    /// When the user signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<UnixTime>,
    /// The authorization request's `nonce`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The left half of the access token's hash.
    pub at_hash: String,
    /// How the user signed in (RFC 8176).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<&'static str>,
}

/// What one ID token is about.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenGrant<'a> {
    /// The user.
    pub user: &'a User,
    /// The client's public id.
    pub client_id: &'a str,
    /// The scopes of the access token beside it.
    pub scopes: &'a ScopeSet,
    /// The access token it comes with (for `at_hash`).
    pub access_token: &'a str,
    /// The authorization request's `nonce`, when there was one (never at a
    /// refresh: the refresh request carried none).
    pub nonce: Option<&'a str>,
    /// The sign-in the grant began with.
    pub auth: Option<&'a Authentication>,
    /// The algorithm it is signed with (for `at_hash`).
    pub alg: SigningAlg,
}

/// The claims of an ID token issued at `now`, living `ttl` seconds.
///
/// OIDC Core §2: `iss`, `sub`, `aud`, `exp`, `iat` always; `auth_time`
/// and `nonce` when known; `azp` names the client. §12.2: at a refresh the
/// same `iss`, `sub`, `aud`, `azp` and the original `auth_time`, a new `iat`
/// — which is what this gives, since a refresh passes the grant's sign-in.
pub fn claims(grant: IdTokenGrant<'_>, urls: ProviderUrls<'_>, now: UnixTime, ttl: i64) -> IdTokenClaims {
    IdTokenClaims {
        iss: urls.issuer.to_owned(),
        user: UserClaims::new(grant.user, grant.scopes, urls),
        aud: grant.client_id.to_owned(),
        azp: grant.client_id.to_owned(),
        exp: now + ttl,
        iat: now,
        auth_time: grant.auth.map(|a| a.time),
        nonce: grant.nonce.map(str::to_owned),
        at_hash: grant.alg.left_half_hash(grant.access_token),
        amr: grant.auth.map(|a| a.methods.iter().map(|m| m.as_str()).collect()).unwrap_or_default(),
    }
}

/// Signs ID tokens for one request.
#[derive(Clone, Copy)]
pub struct IdTokenIssuer<'a> {
    /// The signing keys.
    pub keys: &'a Keyring,
    /// The issuer and the URLs claims name.
    pub urls: ProviderUrls<'a>,
    /// ID token lifetime in seconds.
    pub ttl: i64,
}

impl IdTokenIssuer<'_> {
    /// The signed ID token for `grant` at `now`.
    pub async fn issue(self, grant: IdTokenGrant<'_>, now: UnixTime) -> Result<String, KeyError> {
        self.keys.sign(grant.alg, &claims(grant, self.urls, now, self.ttl)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oidc::AuthMethod;
    use crate::oauth::fixtures::{NOW, ann, scopes};

    const URLS: ProviderUrls<'static> =
        ProviderUrls { issuer: "https://id.example", avatar: "https://id.example/static/avatar.svg" };

    fn grant<'a>(scopes: &'a ScopeSet, user: &'a User, auth: Option<&'a Authentication>) -> IdTokenGrant<'a> {
        IdTokenGrant {
            user,
            client_id: "client-1",
            scopes,
            access_token: "gat_token",
            nonce: Some("n-0S6_WzA2Mj"),
            auth,
            alg: SigningAlg::Rs256,
        }
    }

    // OIDC Core §2: "iss REQUIRED … sub REQUIRED … aud REQUIRED. It MUST
    // contain the OAuth 2.0 client_id … exp REQUIRED … iat REQUIRED …
    // auth_time … nonce … If present in the Authentication Request,
    // Authorization Servers MUST include a nonce Claim in the ID Token with
    // the Claim Value being the nonce value sent in the Authentication
    // Request … amr OPTIONAL … azp OPTIONAL"; §3.1.3.6 at_hash.
    #[test]
    fn oidc_core_2_an_id_token_claims_who_for_whom_when_and_how() {
        let user = ann();
        let granted = scopes("openid");
        let auth = Authentication { time: NOW - 300, methods: vec![AuthMethod::Pwd] };

        let claims = serde_json::to_value(claims(grant(&granted, &user, Some(&auth)), URLS, NOW, 3600)).unwrap();

        assert_eq!(
            claims,
            serde_json::json!({
                "iss": "https://id.example", "sub": "42", "aud": "client-1", "azp": "client-1",
                "exp": NOW + 3600, "iat": NOW, "auth_time": NOW - 300, "nonce": "n-0S6_WzA2Mj",
                "at_hash": SigningAlg::Rs256.left_half_hash("gat_token"), "amr": ["pwd"],
            })
        );
    }

    #[test]
    fn without_a_nonce_or_a_known_sign_in_those_claims_are_left_out() {
        let user = ann();
        let granted = scopes("openid");
        let bare = IdTokenGrant { nonce: None, ..grant(&granted, &user, None) };

        let claims = serde_json::to_value(claims(bare, URLS, NOW, 3600)).unwrap();

        for absent in ["nonce", "auth_time", "amr"] {
            assert!(claims.get(absent).is_none(), "{absent}: {claims}");
        }
    }

    #[test]
    fn the_granted_scopes_add_their_claims_and_at_hash_follows_the_algorithm() {
        let user = ann();
        let granted = scopes("openid profile email");
        let eddsa = IdTokenGrant { alg: SigningAlg::EdDsa, ..grant(&granted, &user, None) };

        let claims = claims(eddsa, URLS, NOW, 3600);

        assert_eq!(claims.user.profile.as_ref().map(|p| p.preferred_username.as_str()), Some("ann"));
        assert_eq!(claims.user.email.as_ref().map(|e| e.email.as_str()), Some("ann@example.com"));
        assert_eq!(claims.at_hash, SigningAlg::EdDsa.left_half_hash("gat_token"));
    }
}
