//! Password hashing with Argon2id. Hashing is slow on purpose, so it runs on
//! the blocking pool, at most one hash per core at a time, each in a memory
//! buffer of `memory_kib` that is allocated once and reused (unbounded, a
//! burst of sign-ins would exhaust memory; freed after each hash, the
//! allocator keeps it anyway in per-thread arenas);
//! unknown accounts are checked against a dummy hash so the answer takes as
//! long as for a wrong password.

use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::user::Password;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct Argon2Settings {
    /// Memory in KiB (OWASP's minimum for Argon2id: 19456, i.e. 19 MiB).
    pub memory_kib: u32,
    /// Passes over memory (OWASP: 2).
    pub iterations: u32,
    /// Lanes (1: one core per hash, the other stays free for requests).
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Argon2Settings { memory_kib: 19_456, iterations: 2, parallelism: 1 }
    }
}

/// Hashing failed (bad parameters, or the blocking pool is gone).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HashError {
    /// The task that hashed panicked or was cancelled.
    pub fn from_join(error: &tokio::task::JoinError) -> HashError {
        HashError(error.to_string())
    }
}

/// Hashes and verifies passwords with fixed parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy_hash: String,
    memory: Arc<MemoryPool>,
}

/// Argon2's working memory (`memory_kib` per hash): one buffer per hash that
/// may run at once, allocated once and reused, so the memory a burst of
/// sign-ins takes is fixed (cores × `memory_kib`) instead of freed and
/// allocated anew on every check, which the allocator does not give back.
#[derive(Debug)]
struct MemoryPool {
    permits: Arc<Semaphore>,
    buffers: Mutex<Vec<Vec<Block>>>,
    /// Blocks per buffer (the configured cost).
    blocks: usize,
}

impl MemoryPool {
    /// A pool of at most `buffers` buffers, starting with `first`; the
    /// others are allocated when first needed, so an instance that never
    /// sees concurrent sign-ins never holds them.
    fn new(buffers: usize, first: Vec<Block>) -> MemoryPool {
        MemoryPool { permits: Arc::new(Semaphore::new(buffers)), blocks: first.len(), buffers: Mutex::new(vec![first]) }
    }

    /// Runs `work` on the blocking pool with a buffer of its own, waiting
    /// for one to be free.
    async fn with_buffer<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        // The permit moves into the blocking task and is released only after
        // the buffer is back, also when the request is cancelled meanwhile:
        // so there are never more buffers than permits; a permit that finds
        // none makes one (the first time, or after a panic lost one).
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|e| HashError(e.to_string()))?;
        let spare = self.buffers.lock().map_err(|e| HashError(e.to_string()))?.pop();
        let blocks = self.blocks;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut buffer = spare.unwrap_or_else(|| vec![Block::default(); blocks]);
            let result = work(&mut buffer);
            if let Ok(mut buffers) = pool.buffers.lock() {
                buffers.push(buffer);
            }
            drop(permit);
            result
        })
        .await
        .map_err(|e| HashError(e.to_string()))
    }
}

impl PasswordHasher {
    /// A hasher with the given cost.
    pub fn new(settings: Argon2Settings) -> Result<PasswordHasher, HashError> {
        let params = Params::new(settings.memory_kib, settings.iterations, settings.parallelism, None)
            .map_err(|e| HashError(e.to_string()))?;
        let mut first = vec![Block::default(); params.block_count()];
        let dummy_hash = hash_in(&params, "gatehouse dummy password", &mut first)?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let memory = Arc::new(MemoryPool::new(cores, first));
        Ok(PasswordHasher { params, dummy_hash, memory })
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: Password) -> Result<String, HashError> {
        let params = self.params.clone();
        self.memory.with_buffer(move |blocks| hash_in(&params, password.expose(), blocks)).await?
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown
    /// account) it does the same work against a dummy and answers `false`.
    pub async fn verify(&self, password: Password, stored: Option<String>) -> bool {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let matched = self.memory.with_buffer(move |blocks| verify_in(&hash, password.expose(), blocks)).await;
        known && matched.unwrap_or(false)
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

/// Hashes a new password in `blocks` (resized to what `params` needs).
fn hash_in(params: &Params, password: &str, blocks: &mut Vec<Block>) -> Result<String, HashError> {
    let fail = |e: &dyn std::fmt::Display| HashError(e.to_string());
    blocks.resize(params.block_count(), Block::default());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| fail(&e))?;
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(length, |out| {
        argon2(params)
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, blocks.as_mut_slice())
            .map_err(|_| password_hash::Error::Password)
    })
    .map_err(|e| fail(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| fail(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a stored PHC string in `blocks`. A hash made
/// with other costs (an operator changed them) is checked with memory of its
/// own size; `blocks` keeps its size for the configured cost.
fn verify_in(stored: &str, password: &str, blocks: &mut [Block]) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Ok(params), Some(expected), Some(salt)) = (Params::try_from(&parsed), parsed.hash, parsed.salt) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() || params.block_count() != blocks.len() {
        return Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    }
    let version = parsed.version.and_then(|v| Version::try_from(v).ok()).unwrap_or_default();
    let mut salt_bytes = [0_u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else { return false };
    let computed = Output::init_with(expected.len(), |out| {
        Argon2::new(Algorithm::Argon2id, version, params.clone())
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *blocks)
            .map_err(|_| password_hash::Error::Password)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let hasher = PasswordHasher::new(Argon2Settings::default()).unwrap();
        let hash = hasher.hash(Password::presented("correct horse")).await.unwrap();

        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(Password::presented("correct horse"), Some(hash.clone())).await);
        assert!(!hasher.verify(Password::presented("wrong horse"), Some(hash)).await);
        assert!(!hasher.verify(Password::presented("gatehouse dummy password"), None).await);
    }

    #[tokio::test]
    async fn hashes_made_by_the_plain_argon2_api_and_with_other_costs_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let hasher = PasswordHasher::new(Argon2Settings::default()).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        for params in [Params::new(19_456, 2, 1, None).unwrap(), Params::new(8_192, 1, 1, None).unwrap()] {
            let stored = argon2(&params).hash_password(b"correct horse", &salt).unwrap().to_string();
            assert!(hasher.verify(Password::presented("correct horse"), Some(stored.clone())).await, "{stored}");
            assert!(!hasher.verify(Password::presented("wrong horse"), Some(stored)).await);
        }
        let ours = hasher.hash(Password::presented("correct horse")).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2(&hasher.params).verify_password(b"correct horse", &parsed).is_ok(), "a standard PHC string");
    }
}
