//! Bearer secrets (access and refresh tokens, codes, client secrets, session
//! ids, the tokens of mailed links): 256 bits from the OS random source, a short kind prefix so secret
//! scanners can find leaked ones, and only their SHA-256 hash is ever stored.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The kinds of secret Gatehouse hands out, each with its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// An access token: `gha_`… is GitHub's, so ours is `gat_`.
    AccessToken,
    /// A refresh token: `grt_`.
    RefreshToken,
    /// An authorization code: `gac_`.
    AuthorizationCode,
    /// A client secret: `gcs_`.
    ClientSecret,
    /// A browser session id: `gss_`.
    Session,
    /// A pending consent id: `gcn_`.
    Consent,
    /// A device code (RFC 8628 §3.2), which the device polls with: `gdc_`.
    DeviceCode,
    /// A personal access token (the platform's "private token"): `gpt_`.
    PersonalToken,
    /// An email verification link's token: `gev_`.
    EmailVerification,
    /// A password-reset link's token: `gpr_`.
    PasswordReset,
    /// A sign-in waiting for its second factor: `gtf_`.
    TwoFactorChallenge,
    /// A passkey registration or sign-in awaiting the browser's answer: `gpc_`.
    PasskeyCeremony,
}

impl SecretKind {
    /// The prefix that starts every secret of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::AccessToken => "gat_",
            SecretKind::RefreshToken => "grt_",
            SecretKind::AuthorizationCode => "gac_",
            SecretKind::ClientSecret => "gcs_",
            SecretKind::Session => "gss_",
            SecretKind::Consent => "gcn_",
            SecretKind::DeviceCode => "gdc_",
            SecretKind::PersonalToken => "gpt_",
            SecretKind::EmailVerification => "gev_",
            SecretKind::PasswordReset => "gpr_",
            SecretKind::TwoFactorChallenge => "gtf_",
            SecretKind::PasskeyCeremony => "gpc_",
        }
    }
}

/// A secret in the clear, as handed to its holder once. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainSecret(String);

impl PlainSecret {
    /// A fresh secret of `kind`: its prefix and 32 random bytes, base64url.
    pub fn generate(kind: SecretKind) -> PlainSecret {
        let bytes = random_bytes::<32>();
        PlainSecret(format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a secret a client presented.
    pub fn from_presented(value: impl Into<String>) -> PlainSecret {
        PlainSecret(value.into())
    }

    /// The clear text, to put in a response.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 hash under which the secret is stored.
    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The last characters, which a page may show to identify the secret.
    pub fn hint(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let start = chars.len().saturating_sub(6);
        chars.get(start..).map(|c| c.iter().collect()).unwrap_or_default()
    }
}

impl fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainSecret(<redacted>)")
    }
}

/// The SHA-256 of a secret: what the database holds and is searched by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    /// Compares in constant time, for checking a presented client secret.
    pub fn ct_eq(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// Rebuilds a hash read from storage; `None` unless it is 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<SecretHash> {
        bytes.try_into().ok().map(SecretHash)
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({}…)", hex::encode(self.0.get(..4).unwrap_or_default()))
    }
}

/// The id every token descended from one grant shares (one code, or one
/// password or client-credentials grant): what replay detection revokes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FamilyId(String);

impl FamilyId {
    /// A new family: a `UUIDv7`, so that ids of one period sit together in
    /// the index.
    pub fn generate() -> FamilyId {
        FamilyId(uuid::Uuid::now_v7().to_string())
    }

    /// Wraps an id read back (or a fixed one in a test).
    pub fn new(id: impl Into<String>) -> FamilyId {
        FamilyId(id.into())
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FamilyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new public client id: 64 hex characters, the platform's format.
pub fn generate_client_id() -> String {
    hex::encode(random_bytes::<32>())
}

/// A random value that is not a credential (CSRF tokens, family ids), base64url.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// `N` bytes from the OS random source.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source failing is not recoverable; fall back to the
    // thread-local CSPRNG (itself seeded from the OS) rather than panic.
    if OsRng.try_fill_bytes(&mut bytes).is_err() {
        rand::fill(&mut bytes);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_carry_prefix_and_256_bits() {
        let token = PlainSecret::generate(SecretKind::AccessToken);
        assert!(token.expose().starts_with("gat_"));
        assert_eq!(token.expose().len(), 4 + 43);
        assert_ne!(token, PlainSecret::generate(SecretKind::AccessToken));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = PlainSecret::generate(SecretKind::RefreshToken);
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn hash_is_stable_and_compares() {
        let token = PlainSecret::from_presented("abc");
        assert!(token.hash().ct_eq(&PlainSecret::from_presented("abc").hash()));
        assert!(!token.hash().ct_eq(&PlainSecret::from_presented("abd").hash()));
    }

    #[test]
    fn client_id_is_64_hex() {
        let id = generate_client_id();
        assert_eq!(id.len(), 64);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
