//! The keys ID tokens are signed with (SPEC §5 "Keys"): one current key per
//! algorithm, made on first start and kept in the database so every
//! instance signs with the same keys; retired keys stay published for
//! [`RETIRED_KEYS_PUBLISHED_FOR`] so the tokens they signed still verify.
//!
//! A [`Keyring`] holds the current keys in memory, ready to sign: a token
//! response costs one signature and no database read. It reloads them
//! lazily, at most every [`RELOAD_EVERY`], and at once when the published
//! set shows a current key it does not hold (a rotation on another
//! instance). Only this module imports aws-lc-rs and `jsonwebtoken`.

mod material;
mod seal;
mod verify;

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{EncodingKey, Header};
use serde::Serialize;

use crate::clock::UnixTime;
use crate::domain::oidc::{KeyMaterial, KeyProtection, SigningAlg};
use crate::store::{NewSigningKey, SigningKeyRecord, Store, StoreError};

pub use seal::{KeyEncryptionKey, MIN_KEK_LEN, Sealer};
pub use verify::IssuedIdToken;

/// How long a retired key's public half stays in the JWKS: well beyond the
/// one-hour life of the ID tokens it signed, and beyond the day relying
/// parties commonly cache a JWKS (SPEC §5: "at least a day").
pub const RETIRED_KEYS_PUBLISHED_FOR: i64 = 7 * 86_400;

/// How long the in-memory keys are trusted before the database is asked
/// again: a rotation on another instance reaches this one within it.
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);

/// What can go wrong with signing keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// aws-lc-rs refused an operation (never expected).
    #[error("cryptography failed: {0}")]
    Crypto(&'static str),
    /// `jsonwebtoken` refused a key or a token.
    #[error("JOSE: {0}")]
    Jose(#[from] jsonwebtoken::errors::Error),
    /// A key is sealed and no key-encryption key was configured.
    #[error("signing key {kid} is encrypted: set --key-encryption-key (GATEHOUSE_KEY_ENCRYPTION_KEY)")]
    Sealed {
        /// The key.
        kid: String,
    },
    /// A sealed key does not open with the configured key-encryption key.
    #[error("signing key {kid} does not open with this key-encryption key")]
    CannotOpen {
        /// The key.
        kid: String,
    },
    /// The configured key-encryption key is too short to be a key.
    #[error("the key-encryption key must be at least {MIN_KEK_LEN} characters (try: openssl rand -base64 32)")]
    WeakKeyEncryptionKey,
    /// A current key row has no private half.
    #[error("signing key {kid} has no private key")]
    NoPrivateKey {
        /// The key.
        kid: String,
    },
    /// No current key of an algorithm could be loaded.
    #[error("no current {0} signing key")]
    NoKey(SigningAlg),
    /// Key generation ran on a blocking thread that failed.
    #[error("key generation did not finish")]
    Join,
}

/// A current key, parsed and ready to sign.
struct ActiveKey {
    kid: String,
    key: EncodingKey,
}

/// The keys in memory and when they were last read.
struct Loaded {
    checked_at: Instant,
    current: BTreeMap<SigningAlg, Arc<ActiveKey>>,
}

/// The current signing keys of this instance.
pub struct Keyring {
    store: Arc<dyn Store>,
    sealer: Option<Sealer>,
    loaded: RwLock<Loaded>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("kids", &self.current_kids()).finish_non_exhaustive()
    }
}

impl Keyring {
    /// Loads the current keys, first making one for each algorithm that has
    /// none (the first start; instances starting together agree on one).
    pub async fn open(store: Arc<dyn Store>, sealer: Option<Sealer>, now: UnixTime) -> Result<Keyring, KeyError> {
        let existing = store.current_signing_keys().await?;
        check_sealing(&existing, sealer.as_ref())?;
        if sealer.is_some() {
            for key in existing.iter().filter(|k| k.protection == KeyProtection::None) {
                tracing::warn!(kid = %key.kid, "signing key stored unsealed; `gatehouse keys rotate` replaces it");
            }
        }
        for alg in SigningAlg::ALL {
            if !existing.iter().any(|k| k.alg == alg) {
                let key = new_key(alg, sealer.as_ref(), now).await?;
                if store.insert_first_signing_key(&key).await? {
                    tracing::info!(kid = %key.kid, alg = %alg, "created a signing key");
                }
            }
        }
        let current = load(&*store, sealer.as_ref(), &BTreeMap::new()).await?;
        if let Some(alg) = SigningAlg::ALL.into_iter().find(|alg| !current.contains_key(alg)) {
            return Err(KeyError::NoKey(alg));
        }
        Ok(Keyring { store, sealer, loaded: RwLock::new(Loaded { checked_at: Instant::now(), current }) })
    }

    /// A signed JWS of `claims` with the current key of `alg`, its `kid` in
    /// the header.
    pub async fn sign<T: Serialize>(&self, alg: SigningAlg, claims: &T) -> Result<String, KeyError> {
        if self.claim_reload() {
            self.reload_or_keep().await;
        }
        let key = self.read().current.get(&alg).cloned().ok_or(KeyError::NoKey(alg))?;
        let mut header = Header::new(material::jose_alg(alg));
        header.kid = Some(key.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &key.key)?)
    }

    /// The public keys to publish at `now`: every current key and every key
    /// retired less than [`RETIRED_KEYS_PUBLISHED_FOR`] ago, as JWKs. Seeing
    /// a current key this instance does not hold, it reloads its keys.
    pub async fn published(&self, now: UnixTime) -> Result<Vec<serde_json::Value>, KeyError> {
        let keys = self.store.list_signing_keys().await?;
        let held = self.current_kids();
        if keys.iter().any(|k| k.retired_at.is_none() && !held.contains(&k.kid)) {
            self.reload_or_keep().await;
        }
        Ok(keys
            .iter()
            .filter(|k| is_published(k, now))
            .filter_map(|k| match serde_json::from_str(&k.public_jwk) {
                Ok(jwk) => Some(jwk),
                Err(error) => {
                    tracing::error!(kid = %k.kid, %error, "a stored public JWK does not parse; not published");
                    None
                }
            })
            .collect())
    }

    /// Makes a new current key for every algorithm (the old ones retire)
    /// and signs with them from now on.
    pub async fn rotate(&self, now: UnixTime) -> Result<Vec<String>, KeyError> {
        let kids = rotate(&*self.store, self.sealer.as_ref(), now).await?;
        self.reload().await?;
        Ok(kids)
    }

    /// Reads the current keys again now.
    pub async fn reload(&self) -> Result<(), KeyError> {
        let held = self.read().current.clone();
        let current = load(&*self.store, self.sealer.as_ref(), &held).await?;
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        // An algorithm whose key could not be read keeps the one it had.
        for (alg, key) in current {
            loaded.current.insert(alg, key);
        }
        loaded.checked_at = Instant::now();
        Ok(())
    }

    /// The ids of the keys this instance signs with, by algorithm.
    pub fn current_kids(&self) -> Vec<String> {
        self.read().current.values().map(|k| k.kid.clone()).collect()
    }

    /// Reloads; on failure keeps signing with the keys it has (they are
    /// still published) and tries again after [`RELOAD_EVERY`].
    async fn reload_or_keep(&self) {
        if let Err(error) = self.reload().await {
            tracing::warn!(%error, "cannot reload the signing keys; signing with the ones in memory");
            self.loaded.write().unwrap_or_else(PoisonError::into_inner).checked_at = Instant::now();
        }
    }

    /// Whether this caller should reload now: the keys are older than
    /// [`RELOAD_EVERY`] and no other caller has claimed the reload (so a
    /// burst of requests reads the database once, not once each).
    fn claim_reload(&self) -> bool {
        if self.read().checked_at.elapsed() < RELOAD_EVERY {
            return false;
        }
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        if loaded.checked_at.elapsed() < RELOAD_EVERY {
            return false;
        }
        loaded.checked_at = Instant::now();
        true
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.loaded.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads the current keys, reusing those of `held` that have not changed
/// (an RSA key is parsed once, not every minute).
async fn load(
    store: &dyn Store,
    sealer: Option<&Sealer>,
    held: &BTreeMap<SigningAlg, Arc<ActiveKey>>,
) -> Result<BTreeMap<SigningAlg, Arc<ActiveKey>>, KeyError> {
    let mut current = BTreeMap::new();
    for record in store.current_signing_keys().await? {
        let key = match held.get(&record.alg) {
            Some(key) if key.kid == record.kid => Arc::clone(key),
            _ => Arc::new(open_key(&record, sealer)?),
        };
        current.insert(record.alg, key);
    }
    Ok(current)
}

/// Parses a stored private key, opening it first if sealed.
fn open_key(record: &SigningKeyRecord, sealer: Option<&Sealer>) -> Result<ActiveKey, KeyError> {
    let kid = record.kid.clone();
    let stored = record.private_key.as_ref().ok_or_else(|| KeyError::NoPrivateKey { kid: kid.clone() })?;
    let key = match (record.protection, sealer) {
        (KeyProtection::None, _) => material::encoding_key(record.alg, &stored.0)?,
        (KeyProtection::Aes256Gcm, Some(sealer)) => {
            material::encoding_key(record.alg, &sealer.open(&record.kid, &stored.0)?)?
        }
        (KeyProtection::Aes256Gcm, None) => return Err(KeyError::Sealed { kid }),
    };
    Ok(ActiveKey { kid, key })
}

/// A new key of `alg`, sealed when there is a sealer, ready to store.
async fn new_key(alg: SigningAlg, sealer: Option<&Sealer>, now: UnixTime) -> Result<NewSigningKey, KeyError> {
    let generated =
        tokio::task::spawn_blocking(move || material::generate(alg)).await.map_err(|_| KeyError::Join)??;
    let (private_key, protection) = match sealer {
        Some(sealer) => (sealer.seal(&generated.kid, &generated.pem)?, KeyProtection::Aes256Gcm),
        None => (generated.pem.to_vec(), KeyProtection::None),
    };
    Ok(NewSigningKey {
        kid: generated.kid,
        alg,
        public_jwk: generated.public_jwk,
        private_key: KeyMaterial(private_key),
        protection,
        created_at: now,
    })
}

/// Makes a new current key for every algorithm; the previous ones retire at
/// `now` (their private halves are erased, their public halves stay
/// published). Returns the new keys' ids. Instances pick the new keys up
/// within [`RELOAD_EVERY`], or at once when they serve the JWKS.
pub async fn rotate(store: &dyn Store, sealer: Option<&Sealer>, now: UnixTime) -> Result<Vec<String>, KeyError> {
    check_sealing(&store.current_signing_keys().await?, sealer)?;
    let mut kids = Vec::new();
    for alg in SigningAlg::ALL {
        let key = new_key(alg, sealer, now).await?;
        store.rotate_signing_key(&key, now).await?;
        tracing::info!(kid = %key.kid, alg = %alg, "rotated the signing key");
        kids.push(key.kid);
    }
    Ok(kids)
}

/// Refuses to go on without a key-encryption key when the current keys are
/// sealed: new keys would be stored in the clear beside them, silently
/// undoing the operator's choice to seal them.
fn check_sealing(current: &[SigningKeyRecord], sealer: Option<&Sealer>) -> Result<(), KeyError> {
    match current.iter().find(|k| k.protection != KeyProtection::None) {
        Some(sealed) if sealer.is_none() => Err(KeyError::Sealed { kid: sealed.kid.clone() }),
        _ => Ok(()),
    }
}

/// Where a key stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Signs new ID tokens.
    Current,
    /// Retired; its public key is published until the given time.
    Published {
        /// When it leaves the JWKS.
        until: UnixTime,
    },
    /// Retired and no longer published.
    Retired,
}

impl KeyState {
    /// Of `key` at `now`.
    pub fn of(key: &SigningKeyRecord, now: UnixTime) -> KeyState {
        match key.retired_at {
            None => KeyState::Current,
            Some(retired) if now < retired + RETIRED_KEYS_PUBLISHED_FOR => {
                KeyState::Published { until: retired + RETIRED_KEYS_PUBLISHED_FOR }
            }
            Some(_) => KeyState::Retired,
        }
    }

    /// A word for the listing.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Current => "current",
            KeyState::Published { .. } => "published",
            KeyState::Retired => "retired",
        }
    }
}

/// Whether `key`'s public half belongs in the JWKS at `now`.
fn is_published(key: &SigningKeyRecord, now: UnixTime) -> bool {
    KeyState::of(key, now) != KeyState::Retired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(retired_at: Option<UnixTime>) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: "k".into(),
            alg: SigningAlg::Rs256,
            public_jwk: "{}".into(),
            private_key: None,
            protection: KeyProtection::None,
            created_at: 0,
            retired_at,
        }
    }

    // SPEC §5: "`gatehouse keys rotate` makes a new key current and keeps
    // the old public key published for at least a day".
    #[test]
    fn spec_5_a_retired_key_stays_published_for_at_least_a_day() {
        const NOW: UnixTime = 1_000_000;
        let published_for = RETIRED_KEYS_PUBLISHED_FOR;
        assert!(published_for >= 86_400);
        let cases = [
            ("current", key(None), KeyState::Current),
            ("retired just now", key(Some(NOW)), KeyState::Published { until: NOW + published_for }),
            ("retired a day ago", key(Some(NOW - 86_400)), KeyState::Published { until: NOW - 86_400 + published_for }),
            ("retired to the second", key(Some(NOW - published_for + 1)), KeyState::Published { until: NOW + 1 }),
            ("retired long enough ago", key(Some(NOW - published_for)), KeyState::Retired),
        ];
        for (name, record, expected) in cases {
            assert_eq!(KeyState::of(&record, NOW), expected, "{name}");
            assert_eq!(is_published(&record, NOW), expected != KeyState::Retired, "{name}");
        }
    }
}
