//! Password hashing with Argon2id. Hashing is slow on purpose, so it runs on
//! the blocking pool, at most one hash per core at a time (each takes
//! `memory_kib` of memory: unbounded, a burst of sign-ins would exhaust it);
//! unknown accounts are checked against a dummy hash so the answer takes as
//! long as for a wrong password.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, Version};
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

/// Hashes and verifies passwords with fixed parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy_hash: String,
    running: Arc<Semaphore>,
}

impl PasswordHasher {
    /// A hasher with the given cost.
    pub fn new(settings: Argon2Settings) -> Result<PasswordHasher, HashError> {
        let params = Params::new(settings.memory_kib, settings.iterations, settings.parallelism, None)
            .map_err(|e| HashError(e.to_string()))?;
        let dummy_hash = hash_with(&params, "gatehouse dummy password")?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(PasswordHasher { params, dummy_hash, running: Arc::new(Semaphore::new(cores)) })
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: Password) -> Result<String, HashError> {
        let params = self.params.clone();
        let permit = Arc::clone(&self.running).acquire_owned().await.map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_with(&params, password.expose())
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown
    /// account) it does the same work against a dummy and answers `false`.
    pub async fn verify(&self, password: Password, stored: Option<String>) -> bool {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let params = self.params.clone();
        let Ok(permit) = Arc::clone(&self.running).acquire_owned().await else {
            return false;
        };
        let matched = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            PasswordHash::new(&hash)
                .map(|parsed| argon2(&params).verify_password(password.expose().as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        known && matched
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
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
}
