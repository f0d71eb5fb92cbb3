//! The OAuth 2 and OpenID Connect protocol rules: authorization, grants,
//! ID tokens, bearer checks, UserInfo, revocation and introspection. Sees
//! only `domain`, `accounts`, `keys` and the `Store` trait; knows nothing of
//! HTTP.

pub mod authorize;
pub mod bearer;
pub mod claims;
pub mod client_auth;
pub mod device;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod id_token;
pub mod introspect;
pub mod logout;
pub mod response;
pub mod revoke;
pub mod token;
pub mod userinfo;

/// Lifetimes and switches of the protocol, set by the operator.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Access token lifetime in seconds: one day, as the seed documents.
    pub access_token_ttl: i64,
    /// Refresh token lifetime in seconds (each rotation starts it anew).
    pub refresh_token_ttl: i64,
    /// Authorization code lifetime in seconds (RFC 6749 §4.1.2: at most 10 minutes).
    pub code_ttl: i64,
    /// How long a consent page stays valid.
    pub consent_ttl: i64,
    /// Whether the password grant (seed: "cipher mode") is on.
    pub password_grant: bool,
    /// ID token lifetime in seconds: an hour, as is common; a relying party
    /// checks it once, at sign-in.
    pub id_token_ttl: i64,
    /// Device code lifetime in seconds (RFC 8628 §3.2 `expires_in`): 15
    /// minutes, time to find a phone and sign in.
    pub device_code_ttl: i64,
    /// Seconds a device waits between polls at first (RFC 8628 §3.2 `interval`).
    pub device_poll_interval: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            access_token_ttl: 86_400,
            refresh_token_ttl: 30 * 86_400,
            code_ttl: 600,
            consent_ttl: 600,
            password_grant: true,
            id_token_ttl: 3_600,
            device_code_ttl: 900,
            device_poll_interval: 5,
        }
    }
}
