//! Registered applications (OAuth clients, RFC 6749 §2).

use std::fmt;

use crate::clock::UnixTime;
use crate::domain::oidc::SigningAlg;
use crate::domain::redirect_uri;
use crate::domain::scope::ScopeSet;
use crate::domain::token::SecretHash;
use crate::domain::user::UserId;

/// An application's internal id (`clients.id`, and the `client_pk` columns
/// that refer to it). Never shown to anyone: the public id is the
/// `client_id` string. A type of its own, so that it cannot be passed where
/// a user's id is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientPk(pub i64);

impl fmt::Display for ClientPk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An application as stored.
#[derive(Debug, Clone)]
pub struct Client {
    /// Internal row id.
    pub id: ClientPk,
    /// The public `client_id`.
    pub client_id: String,
    /// SHA-256 of the client secret; `None` for a public client.
    pub secret_hash: Option<SecretHash>,
    /// The last characters of the secret, to recognise it on a page.
    pub secret_hint: Option<String>,
    /// The user who registered it.
    pub owner_id: UserId,
    /// Display name, as typed.
    pub name: String,
    /// Homepage URL (`http` or `https`).
    pub homepage: String,
    /// Free text, as typed.
    pub description: String,
    /// Registered callback URLs, compared exactly.
    pub redirect_uris: Vec<String>,
    /// The scopes it may request; also the default when a request names none.
    pub scopes: ScopeSet,
    /// The algorithm its ID tokens are signed with.
    pub id_token_alg: SigningAlg,
    /// Where `/oauth/logout` may send the browser afterwards, compared exactly.
    pub post_logout_redirect_uris: Vec<String>,
    /// When it was registered.
    pub created_at: UnixTime,
}

impl Client {
    /// A public client (RFC 6749 §2.1) has no secret and must use PKCE.
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// Whether `presented` is one of the sign-out URLs, character for
    /// character (OIDC RP-Initiated Logout §3: "MUST exactly match").
    pub fn has_post_logout_redirect_uri(&self, presented: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|registered| registered == presented)
    }

    /// The registered callback that `presented` matches, if any.
    pub fn find_redirect_uri(&self, presented: &str) -> Option<&str> {
        self.redirect_uris.iter().find(|registered| redirect_uri::matches(registered, presented)).map(String::as_str)
    }
}

/// What is needed to register an application.
#[derive(Debug, Clone)]
pub struct NewClient {
    /// The public `client_id`.
    pub client_id: String,
    /// SHA-256 of the secret; `None` for a public client.
    pub secret_hash: Option<SecretHash>,
    /// The last characters of the secret.
    pub secret_hint: Option<String>,
    /// The registering user.
    pub owner_id: UserId,
    /// Display name.
    pub name: String,
    /// Homepage URL.
    pub homepage: String,
    /// Free text.
    pub description: String,
    /// Validated callback URLs.
    pub redirect_uris: Vec<String>,
    /// Scopes it may request.
    pub scopes: ScopeSet,
    /// The algorithm its ID tokens are signed with.
    pub id_token_alg: SigningAlg,
    /// Validated sign-out URLs.
    pub post_logout_redirect_uris: Vec<String>,
}
