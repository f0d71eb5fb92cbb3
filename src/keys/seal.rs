//! Secrets at rest: sealed with AES-256-GCM under a key derived
//! (HKDF-SHA256) from the operator's key-encryption key, when there is one.
//! Private signing keys and TOTP secrets each get a key of their own (the
//! HKDF salt names the purpose). Each sealed value carries its own random
//! 96-bit nonce, and what it belongs to (a key's `kid`, a TOTP secret's
//! user) is the additional authenticated data, so a sealed value copied onto
//! another row does not open.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use zeroize::Zeroizing;

use super::KeyError;

/// The shortest key-encryption key accepted, in bytes: 32 random bytes in
/// base64 (`openssl rand -base64 32`) are 44.
pub const MIN_KEK_LEN: usize = 32;

/// HKDF's salt: names what the derived key is for, so the same secret used
/// elsewhere yields an unrelated key.
const HKDF_SALT: &[u8] = b"gatehouse signing keys";
/// The salt of the key that seals TOTP secrets.
const HKDF_SALT_TOTP: &[u8] = b"gatehouse totp secrets";
/// HKDF's info: the cipher and the version of this format.
const HKDF_INFO: &[u8] = b"aes-256-gcm v1";
/// AES-GCM's nonce length.
const NONCE_LEN: usize = 12;

/// The operator's key-encryption secret (`--key-encryption-key`,
/// `GATEHOUSE_KEY_ENCRYPTION_KEY`). `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEncryptionKey(Zeroizing<String>);

impl KeyEncryptionKey {
    /// Wraps the secret as configured.
    pub fn new(secret: impl Into<String>) -> KeyEncryptionKey {
        KeyEncryptionKey(Zeroizing::new(secret.into()))
    }
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptionKey(<redacted>)")
    }
}

/// Seals and opens private keys.
pub struct Sealer {
    key: RandomizedNonceKey,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

impl Sealer {
    /// Derives the AES-256 key that seals private signing keys from the
    /// operator's secret.
    pub fn new(kek: &KeyEncryptionKey) -> Result<Sealer, KeyError> {
        Sealer::derive(kek, HKDF_SALT)
    }

    /// Derives the AES-256 key that seals TOTP secrets: unrelated to the
    /// signing keys' one, though made from the same operator's secret.
    pub fn for_totp_secrets(kek: &KeyEncryptionKey) -> Result<Sealer, KeyError> {
        Sealer::derive(kek, HKDF_SALT_TOTP)
    }

    fn derive(kek: &KeyEncryptionKey, salt: &[u8]) -> Result<Sealer, KeyError> {
        let secret = kek.0.trim();
        if secret.len() < MIN_KEK_LEN {
            return Err(KeyError::WeakKeyEncryptionKey);
        }
        let mut key = Zeroizing::new([0_u8; 32]);
        Salt::new(HKDF_SHA256, salt)
            .extract(secret.as_bytes())
            .expand(&[HKDF_INFO], HKDF_SHA256)
            .and_then(|okm| okm.fill(key.as_mut_slice()))
            .map_err(|_| KeyError::Crypto("deriving the key-encryption key"))?;
        let key = RandomizedNonceKey::new(&AES_256_GCM, key.as_slice())
            .map_err(|_| KeyError::Crypto("deriving the key-encryption key"))?;
        Ok(Sealer { key })
    }

    /// The sealed form of `plaintext` bound to `kid` (a key's id, or whose a
    /// TOTP secret is): the nonce, then the ciphertext and its tag.
    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut in_out = plaintext.to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(kid.as_bytes()), &mut in_out)
            .map_err(|_| KeyError::Crypto("sealing a private key"))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + in_out.len());
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// Opens what [`Sealer::seal`] made for `kid`; a wrong key-encryption
    /// key, another row's key or any change to the bytes fails.
    pub fn open(&self, kid: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let wrong = || KeyError::CannotOpen { kid: kid.to_owned() };
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN).ok_or_else(wrong)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut in_out = Zeroizing::new(ciphertext.to_vec());
        let plaintext_len =
            self.key.open_in_place(nonce, Aad::from(kid.as_bytes()), in_out.as_mut_slice()).map_err(|_| wrong())?.len();
        in_out.truncate(plaintext_len);
        Ok(in_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> Sealer {
        Sealer::new(&KeyEncryptionKey::new(secret)).unwrap()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_sealed_key_opens_only_with_its_secret_and_kid() {
        let sealed = sealer(SECRET).seal("kid-1", b"private").unwrap();

        assert_eq!(sealer(SECRET).open("kid-1", &sealed).unwrap().as_slice(), b"private");
        assert!(!sealed.windows(7).any(|w| w == b"private"), "the bytes are not in the clear");
        assert!(matches!(sealer(SECRET).open("kid-2", &sealed), Err(KeyError::CannotOpen { .. })), "another row");
        let other = sealer("fedcba9876543210fedcba9876543210");
        assert!(matches!(other.open("kid-1", &sealed), Err(KeyError::CannotOpen { .. })), "another secret");
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(sealer(SECRET).open("kid-1", &tampered).is_err(), "a changed byte");
        assert!(sealer(SECRET).open("kid-1", &sealed[..5]).is_err(), "truncated");
        assert_ne!(sealer(SECRET).seal("kid-1", b"private").unwrap(), sealed, "a fresh nonce each time");
    }

    #[test]
    fn totp_secrets_are_sealed_under_a_key_of_their_own() {
        let kek = KeyEncryptionKey::new(SECRET);
        let totp = Sealer::for_totp_secrets(&kek).unwrap();
        let sealed = totp.seal("user:1", b"totp secret").unwrap();

        assert_eq!(totp.open("user:1", &sealed).unwrap().as_slice(), b"totp secret");
        assert!(Sealer::new(&kek).unwrap().open("user:1", &sealed).is_err(), "not with the signing keys' key");
        assert!(totp.open("user:2", &sealed).is_err(), "not as another user's");
    }

    #[test]
    fn a_short_secret_is_refused_and_never_shown() {
        assert!(matches!(Sealer::new(&KeyEncryptionKey::new("short")), Err(KeyError::WeakKeyEncryptionKey)));
        assert_eq!(format!("{:?}", KeyEncryptionKey::new(SECRET)), "KeyEncryptionKey(<redacted>)");
    }
}
