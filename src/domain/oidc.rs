//! OpenID Connect's pure types (Core 1.0): the algorithms an ID token may be
//! signed with, how a user signed in (`auth_time`, RFC 8176 `amr`), and the
//! `at_hash` rule.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256, Sha512};

use crate::clock::UnixTime;

/// The longest `nonce` an authorization request may carry: relying parties
/// send a random value of a few dozen characters; this bounds what is stored.
pub const MAX_NONCE_LEN: usize = 512;

/// A JWS algorithm Gatehouse signs ID tokens with (SPEC §5: `RS256` by
/// default, `ES256` or `EdDSA` per application).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), 2048-bit keys: the
    /// one every relying party supports (OIDC Core §15.1).
    #[default]
    Rs256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    Es256,
    /// EdDSA on Ed25519 (RFC 8037 §3.1).
    EdDsa,
}

impl SigningAlg {
    /// Every algorithm, each of which has a current key.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JOSE name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    /// Parses a JOSE name, exactly as spelled (JOSE names are case-sensitive).
    pub fn parse(name: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|alg| alg.as_str() == name)
    }

    /// The left half of the hash of `value` that `at_hash` carries (OIDC
    /// Core §3.1.3.6: "the hash algorithm used in the alg Header Parameter
    /// of the ID Token's JOSE Header"; for Ed25519 that is SHA-512, as the
    /// OpenID Foundation and relying-party libraries read it), base64url.
    pub fn left_half_hash(self, value: &str) -> String {
        let digest = match self {
            SigningAlg::Rs256 | SigningAlg::Es256 => Sha256::digest(value.as_bytes()).to_vec(),
            SigningAlg::EdDsa => Sha512::digest(value.as_bytes()).to_vec(),
        };
        let half = digest.get(..digest.len() / 2).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(half)
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a user proved who they are (RFC 8176 §2 values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// `pwd`: a password.
    Pwd,
    /// `otp`: a one-time password (TOTP, recovery code).
    Otp,
    /// `hwk`: proof of possession of a hardware-secured key (a passkey).
    Hwk,
    /// `swk`: proof of possession of a software-secured key (a synced passkey).
    Swk,
    /// `user`: a user presence test (a passkey's touch, with its user
    /// verification).
    User,
    /// `mfa`: more than one factor.
    Mfa,
}

impl AuthMethod {
    /// Every method.
    pub const ALL: [AuthMethod; 6] =
        [AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Hwk, AuthMethod::Swk, AuthMethod::User, AuthMethod::Mfa];

    /// The RFC 8176 name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Pwd => "pwd",
            AuthMethod::Otp => "otp",
            AuthMethod::Hwk => "hwk",
            AuthMethod::Swk => "swk",
            AuthMethod::User => "user",
            AuthMethod::Mfa => "mfa",
        }
    }

    /// Parses an RFC 8176 name.
    pub fn parse(name: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|method| method.as_str() == name)
    }
}

/// When and how a user signed in: an ID token's `auth_time` and `amr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// When the user signed in (OIDC `auth_time`).
    pub time: UnixTime,
    /// How (OIDC `amr`), in the order they were used.
    pub methods: Vec<AuthMethod>,
}

impl Authentication {
    /// A sign-in with a password alone at `time`.
    pub fn password(time: UnixTime) -> Authentication {
        Authentication { time, methods: vec![AuthMethod::Pwd] }
    }

    /// A sign-in with a password and then a one-time code (an authenticator
    /// app's or a recovery code) at `time`: two factors (RFC 8176 `mfa`).
    pub fn password_and_otp(time: UnixTime) -> Authentication {
        Authentication { time, methods: vec![AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa] }
    }

    /// The methods as stored: RFC 8176 names, space-separated.
    pub fn amr(&self) -> String {
        self.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// Reads what [`Authentication::amr`] stored; unknown names are skipped.
    pub fn from_stored(time: UnixTime, amr: &str) -> Authentication {
        Authentication { time, methods: amr.split_ascii_whitespace().filter_map(AuthMethod::parse).collect() }
    }
}

/// How a stored secret (a signing key's private half, a TOTP secret) is
/// kept in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProtection {
    /// In the clear: the database's own access control is all that guards it.
    None,
    /// Sealed with AES-256-GCM under the operator's key-encryption key.
    Aes256Gcm,
}

impl KeyProtection {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyProtection::None => "none",
            KeyProtection::Aes256Gcm => "aes-256-gcm",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<KeyProtection> {
        [KeyProtection::None, KeyProtection::Aes256Gcm].into_iter().find(|p| p.as_str() == name)
    }
}

/// A secret as stored, in the clear or sealed: a private key's PKCS#8 PEM,
/// a TOTP secret's bytes. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial(pub Vec<u8>);

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_exact() {
        for alg in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(alg.as_str()), Some(alg));
        }
        assert_eq!(SigningAlg::parse("rs256"), None);
        assert_eq!(SigningAlg::parse("none"), None);
        assert_eq!(SigningAlg::parse("HS256"), None);
        assert_eq!(SigningAlg::default(), SigningAlg::Rs256);
    }

    // OIDC Core §3.1.3.6: "Its value is the base64url encoding of the
    // left-most half of the hash of the octets of the ASCII representation of
    // the access_token value, where the hash algorithm used is the hash
    // algorithm used in the alg Header Parameter of the ID Token's JOSE
    // Header. For instance, if the alg is RS256, hash the access_token value
    // with SHA-256, then take the left-most 128 bits and base64url encode them."
    #[test]
    fn oidc_core_3_1_3_6_at_hash_is_the_left_half_of_the_algorithms_hash() {
        // The example of OIDC Core Appendix A.3 (an RS256 ID token).
        assert_eq!(
            SigningAlg::Rs256.left_half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(SigningAlg::Es256.left_half_hash("x").len(), 22, "128 bits");
        assert_eq!(SigningAlg::EdDsa.left_half_hash("x").len(), 43, "256 bits of SHA-512");
        assert_ne!(SigningAlg::EdDsa.left_half_hash("x"), SigningAlg::Rs256.left_half_hash("x"));
    }

    #[test]
    fn amr_is_stored_as_rfc_8176_names() {
        let auth = Authentication { time: 7, methods: vec![AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa] };
        assert_eq!(auth.amr(), "pwd otp mfa");
        assert_eq!(Authentication::from_stored(7, &auth.amr()), auth);
        assert_eq!(Authentication::from_stored(7, "pwd face").methods, [AuthMethod::Pwd]);
        assert_eq!(Authentication::password(9), Authentication { time: 9, methods: vec![AuthMethod::Pwd] });
        assert_eq!(Authentication::password_and_otp(9).amr(), "pwd otp mfa");
        let passkey = Authentication { time: 9, methods: vec![AuthMethod::Hwk, AuthMethod::User, AuthMethod::Mfa] };
        assert_eq!(Authentication::from_stored(9, "hwk user mfa"), passkey);
    }

    #[test]
    fn key_material_never_shows_in_debug() {
        assert_eq!(format!("{:?}", KeyMaterial(b"-----BEGIN PRIVATE KEY-----".to_vec())), "KeyMaterial(<redacted>)");
        for protection in [KeyProtection::None, KeyProtection::Aes256Gcm] {
            assert_eq!(KeyProtection::parse(protection.as_str()), Some(protection));
        }
    }
}
