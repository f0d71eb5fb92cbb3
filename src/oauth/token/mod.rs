//! The token endpoint (RFC 6749 §3.2, §5): one file per `grant_type`, and the
//! issuance they share, with an ID token whenever the scopes hold `openid`
//! (OIDC Core §3.1.3.3, §12.2).

mod authorization_code;
mod client_credentials;
mod device_code;
mod password;
mod refresh_token;

use std::sync::Arc;

use crate::accounts::PasswordHasher;
use crate::clock::{Clock, UnixTime};
use crate::domain::client::ClientPk;
use crate::domain::oidc::{Authentication, SigningAlg};
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::token::{FamilyId, PlainSecret, SecretKind};
use crate::domain::user::{User, UserId};
use crate::oauth::Policy;
use crate::oauth::client_auth::{self, ClientCredentials};
use crate::oauth::error::TokenError;
use crate::oauth::id_token::{IdTokenGrant, IdTokenIssuer};
use crate::store::{NewTokens, Store};

/// A token request, tagged by `grant_type`.
#[derive(Debug, Clone)]
pub enum GrantRequest {
    /// `authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5).
    AuthorizationCode {
        /// `code`
        code: String,
        /// `redirect_uri`
        redirect_uri: Option<String>,
        /// `code_verifier`
        code_verifier: Option<String>,
    },
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken {
        /// `refresh_token`
        refresh_token: String,
        /// `scope`: may narrow the original grant.
        scope: Option<String>,
    },
    /// `password` (RFC 6749 §4.3), the seed's "cipher mode": `username` is the email.
    Password {
        /// `username`
        username: String,
        /// `password`
        password: String,
        /// `scope`
        scope: Option<String>,
    },
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials {
        /// `scope`
        scope: Option<String>,
    },
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): a
    /// device polls for the tokens its user approved.
    DeviceCode {
        /// `device_code`
        device_code: String,
    },
}

/// A token request: the grant and the client's credentials.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// What is exchanged.
    pub grant: GrantRequest,
    /// Who asks.
    pub credentials: ClientCredentials,
}

/// What the token endpoint hands out (RFC 6749 §5.1).
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The access token.
    pub access_token: PlainSecret,
    /// The refresh token, except for `client_credentials`.
    pub refresh_token: Option<PlainSecret>,
    /// The signed ID token, when the scopes hold `openid` and a user signed in.
    pub id_token: Option<String>,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    /// Issue time (the platform's `created_at`).
    pub created_at: UnixTime,
    /// The client they were issued to (for the audit trail).
    pub client_id: String,
    /// The user they act for (for the audit trail).
    pub user_id: Option<UserId>,
}

/// What the grants need besides the request.
#[derive(Clone, Copy)]
pub struct TokenContext<'a> {
    /// Storage (shared: the password grant's check runs as a task of its own).
    pub store: &'a Arc<dyn Store>,
    /// The clock (the password grant's throttling reads it again after waiting).
    pub clock: &'a Arc<dyn Clock>,
    /// For the password grant.
    pub hasher: &'a PasswordHasher,
    /// Lifetimes and switches.
    pub policy: &'a Policy,
    /// The time of the request.
    pub now: UnixTime,
    /// The client's network address (for throttling the password grant).
    pub client_addr: std::net::IpAddr,
    /// Signs ID tokens.
    pub id_tokens: IdTokenIssuer<'a>,
}

/// Runs a token request.
pub async fn exchange(ctx: TokenContext<'_>, request: TokenRequest) -> Result<IssuedTokens, TokenError> {
    let client = client_auth::identify(&**ctx.store, &request.credentials).await?;
    match request.grant {
        GrantRequest::AuthorizationCode { code, redirect_uri, code_verifier } => {
            let client = client_auth::require(client, true)?;
            authorization_code::exchange(ctx, &client, &code, redirect_uri.as_deref(), code_verifier.as_deref()).await
        }
        GrantRequest::RefreshToken { refresh_token, scope } => {
            refresh_token::exchange(ctx, client, &refresh_token, scope.as_deref()).await
        }
        GrantRequest::Password { username, password, scope } => {
            let client = client_auth::require(client, true)?;
            password::exchange(ctx, &client, &username, &password, scope.as_deref()).await
        }
        GrantRequest::ClientCredentials { scope } => {
            let client = client_auth::require(client, false)?;
            client_credentials::exchange(ctx, &client, scope.as_deref()).await
        }
        // RFC 8628 §3.4: "the client MUST authenticate" when confidential;
        // a public client names itself by `client_id`.
        GrantRequest::DeviceCode { device_code } => {
            let client = client_auth::require(client, true)?;
            device_code::exchange(ctx, &client, &device_code).await
        }
    }
}

/// The scopes a request gets: those it names, which must all be `allowed`,
/// or all of `allowed` when it names none (SPEC §1.7).
pub(crate) fn resolve_scopes(requested: Option<&str>, allowed: &ScopeSet) -> Result<ScopeSet, TokenError> {
    let requested = match requested.filter(|s| !s.trim().is_empty()) {
        None => return Ok(allowed.clone()),
        Some(raw) => ScopeSet::parse(raw).map_err(|e| TokenError::InvalidScope(e.to_string()))?,
    };
    if requested.is_subset(allowed) {
        Ok(requested)
    } else {
        Err(TokenError::InvalidScope("a requested scope exceeds what this grant allows".to_owned()))
    }
}

/// A single-use credential (code or refresh token) that its check refused.
#[derive(Debug)]
enum Refusal {
    /// It was spent before: deny, and revoke every token of its family
    /// (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
    Replayed(TokenError),
    /// Deny, and change nothing.
    Denied(TokenError),
}

/// New tokens for one grant, ready to store and to hand out.
struct Minted {
    stored: NewTokens,
    issued: IssuedTokens,
}

/// Issues tokens under the operator's lifetimes at the time of the request.
#[derive(Clone, Copy)]
struct Issuer<'a> {
    policy: &'a Policy,
    now: UnixTime,
}

impl Issuer<'_> {
    /// Fresh tokens for one grant; a refresh token only `with_refresh`.
    fn mint(
        self,
        (client_pk, client_id): (ClientPk, &str),
        user_id: Option<UserId>,
        scopes: ScopeSet,
        family_id: FamilyId,
        with_refresh: bool,
    ) -> Minted {
        let access_token = PlainSecret::generate(SecretKind::AccessToken);
        let refresh_token = with_refresh.then(|| PlainSecret::generate(SecretKind::RefreshToken));
        let stored = NewTokens {
            access_hash: access_token.hash(),
            refresh_hash: refresh_token.as_ref().map(PlainSecret::hash),
            client_pk,
            user_id,
            scopes: scopes.clone(),
            refresh_scopes: scopes.clone(),
            family_id,
            created_at: self.now,
            access_expires_at: self.now + self.policy.access_token_ttl,
            refresh_expires_at: self.now + self.policy.refresh_token_ttl,
            auth: None,
        };
        let issued = IssuedTokens {
            access_token,
            refresh_token,
            id_token: None,
            scopes,
            expires_in: self.policy.access_token_ttl,
            created_at: self.now,
            client_id: client_id.to_owned(),
            user_id,
        };
        Minted { stored, issued }
    }
}

impl<'a> TokenContext<'a> {
    /// Issues at this request's time under the operator's policy.
    fn issuer(self) -> Issuer<'a> {
        Issuer { policy: self.policy, now: self.now }
    }

    /// Adds the ID token to tokens issued for `user` when their scopes hold
    /// `openid` (OIDC Core §3.1.3.3: "an ID Token … MUST be returned"): one
    /// signature, with the application's algorithm `alg`.
    async fn add_id_token(
        self,
        issued: &mut IssuedTokens,
        user: &User,
        alg: SigningAlg,
        nonce: Option<&str>,
        auth: Option<&Authentication>,
    ) -> Result<(), TokenError> {
        if !issued.scopes.contains(Scope::OpenId) {
            return Ok(());
        }
        let grant = IdTokenGrant {
            user,
            client_id: &issued.client_id,
            scopes: &issued.scopes,
            access_token: issued.access_token.expose(),
            nonce,
            auth,
            alg,
        };
        let signed = self.id_tokens.issue(grant, self.now).await.map_err(|e| TokenError::Internal(Box::new(e)))?;
        issued.id_token = Some(signed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::fixtures::scopes;

    // RFC 6749 §3.3: "If the client omits the scope parameter when requesting
    // authorization, the authorization server MUST either process the request
    // using a pre-defined default value or fail the request"; SPEC §1.7: the
    // default is the set the application registered. §5.2 invalid_scope: "The
    // requested scope is invalid, unknown, malformed, or exceeds the scope
    // granted by the resource owner."
    #[test]
    fn rfc6749_3_3_a_grant_gets_the_scopes_it_names_within_what_is_allowed_or_all_of_it() {
        let allowed = scopes("user_info projects");
        let cases = [
            ("omitted", None, Ok("user_info projects")),
            ("blank", Some("  "), Ok("user_info projects")),
            ("a subset, comma-separated", Some("projects,"), Ok("projects")),
            ("exceeds", Some("projects issues"), Err("invalid_scope")),
            ("unknown", Some("admin"), Err("invalid_scope")),
        ];
        for (name, requested, expected) in cases {
            let got = resolve_scopes(requested, &allowed).map(|s| s.to_string()).map_err(|e| e.code());
            assert_eq!(got, expected.map(str::to_owned), "{name}");
        }
    }
}
