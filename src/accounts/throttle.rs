//! Brute-force throttling of sign-in and the password grant (SPEC §3, RFC
//! 9700 §4.16 on credential guessing): consecutive failures are counted per
//! account and per client address, in the database so every instance sees
//! them. Past a threshold each failure locks the key for an exponentially
//! growing time, capped, so an attacker cannot lock the rightful owner out
//! for long; the count restarts after an hour without failures, and a
//! successful sign-in resets the account's count.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::store::{Store, StoreError};

/// Failures older than this no longer count (seconds).
pub const WINDOW: i64 = 3600;
/// Failures of one account allowed before locks begin.
pub const ACCOUNT_THRESHOLD: i64 = 5;
/// Failures from one address allowed before locks begin (higher: offices share addresses).
pub const ADDRESS_THRESHOLD: i64 = 20;
/// The longest lock (seconds).
pub const MAX_LOCK: i64 = 900;

/// Who is trying: the account named and the client's address.
#[derive(Debug, Clone)]
pub struct Attempt {
    account_key: String,
    address_key: String,
}

impl Attempt {
    /// An attempt on `email` (as typed) from `address`.
    pub fn new(email: &str, address: IpAddr) -> Attempt {
        Attempt {
            account_key: format!("account:{}", email.trim().to_lowercase()),
            address_key: format!("address:{address}"),
        }
    }
}

/// Lock after the `failures`-th failure: none up to the threshold, then 1 s,
/// 2 s, 4 s, … up to [`MAX_LOCK`].
fn lock_after(failures: i64, threshold: i64) -> i64 {
    let over = failures - threshold;
    if over <= 0 {
        0
    } else {
        let exponent = u32::try_from(over - 1).unwrap_or(u32::MAX).min(20);
        (1_i64 << exponent).min(MAX_LOCK)
    }
}

fn account_lock(failures: i64) -> i64 {
    lock_after(failures, ACCOUNT_THRESHOLD)
}

fn address_lock(failures: i64) -> i64 {
    lock_after(failures, ADDRESS_THRESHOLD)
}

/// Seconds until `attempt` may be made, or `None` if it may be made now.
pub async fn locked_for(store: &dyn Store, attempt: &Attempt, now: UnixTime) -> Result<Option<i64>, StoreError> {
    let mut wait = 0;
    for key in [&attempt.account_key, &attempt.address_key] {
        if let Some(record) = store.find_throttle(key).await? {
            wait = wait.max(record.locked_until - now);
        }
    }
    Ok((wait > 0).then_some(wait))
}

/// Counts a failed attempt against the account and the address.
pub async fn failed(store: &dyn Store, attempt: &Attempt, now: UnixTime) -> Result<(), StoreError> {
    store.record_failure(&attempt.account_key, now, WINDOW, account_lock).await?;
    store.record_failure(&attempt.address_key, now, WINDOW, address_lock).await?;
    Ok(())
}

/// A success resets the account's count (not the address's: one's own
/// account must not launder guesses against others).
pub async fn succeeded(store: &dyn Store, attempt: &Attempt) -> Result<(), StoreError> {
    store.clear_throttle(&attempt.account_key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_after_the_threshold_and_double_up_to_the_cap() {
        let locks: Vec<i64> = (1..=10).map(account_lock).collect();
        assert_eq!(locks, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16]);
        assert_eq!(account_lock(1000), MAX_LOCK);
        assert_eq!(address_lock(20), 0);
        assert_eq!(address_lock(21), 1);
    }

    #[test]
    fn the_account_key_ignores_case_and_spaces() {
        let a = Attempt::new(" Ann@Example.com", "127.0.0.1".parse().unwrap());
        let b = Attempt::new("ann@example.com", "::1".parse().unwrap());
        assert_eq!(a.account_key, b.account_key);
        assert_ne!(a.address_key, b.address_key);
    }
}
