//! Brute-force throttling of sign-in and the password grant (SPEC §3, RFC
//! 6819 §4.4.3.6): attempts are counted per account and per client address,
//! in the database so every instance sees them, and counted *before* the
//! password is checked, so a burst of parallel guesses cannot slip past a
//! lock. Past a threshold each attempt locks the key for an exponentially
//! growing time, capped, so an attacker cannot lock the rightful owner out
//! for long; the count restarts after an hour without attempts, and a
//! successful sign-in resets the account's count.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::store::{AttemptVerdict, Store, StoreError, ThrottleRule};

/// Attempts on one account: 5 allowed, then 1 s doubling up to 15 minutes.
pub const ACCOUNT_RULE: ThrottleRule = ThrottleRule { window: 3600, threshold: 5, max_lock: 900 };
/// Attempts from one address (an IPv4 address or an IPv6 /64): higher,
/// because offices share addresses.
pub const ADDRESS_RULE: ThrottleRule = ThrottleRule { window: 3600, threshold: 20, max_lock: 900 };

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
            address_key: format!("address:{}", network_of(address)),
        }
    }
}

/// IPv6 clients usually hold a whole /64: count that, not each address in it.
fn network_of(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Counts the attempt against the address, then the account; refused (with
/// the seconds to wait) while either is locked.
pub async fn begin(store: &dyn Store, attempt: &Attempt, now: UnixTime) -> Result<Option<i64>, StoreError> {
    for (key, rule) in [(&attempt.address_key, &ADDRESS_RULE), (&attempt.account_key, &ACCOUNT_RULE)] {
        if let AttemptVerdict::Locked { retry_after } = store.count_attempt(key, now, rule).await? {
            return Ok(Some(retry_after));
        }
    }
    Ok(None)
}

/// A success resets the account's count and takes the attempt back from the
/// address (one's own account must not launder guesses against others).
pub async fn succeeded(store: &dyn Store, attempt: &Attempt) -> Result<(), StoreError> {
    store.clear_throttle(&attempt.account_key).await?;
    store.forgive_attempt(&attempt.address_key).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ThrottleRecord, settle_attempt};

    #[test]
    fn locks_start_after_the_threshold_and_double_up_to_the_cap() {
        let locks: Vec<i64> = (1..=10).map(|n| ACCOUNT_RULE.lock_after(n)).collect();
        assert_eq!(locks, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16]);
        assert_eq!(ACCOUNT_RULE.lock_after(1000), 900);
        assert_eq!(ADDRESS_RULE.lock_after(20), 0);
        assert_eq!(ADDRESS_RULE.lock_after(21), 1);
    }

    #[test]
    fn a_locked_key_refuses_without_counting_and_an_old_count_restarts() {
        let locked = ThrottleRecord { failures: 7, last_failure_at: 100, locked_until: 110 };
        assert_eq!(settle_attempt(locked, 105, &ACCOUNT_RULE), AttemptVerdict::Locked { retry_after: 5 });
        let AttemptVerdict::Allowed(next) = settle_attempt(locked, 110, &ACCOUNT_RULE) else { panic!() };
        assert_eq!((next.failures, next.locked_until), (8, 110 + 4));
        let AttemptVerdict::Allowed(fresh) = settle_attempt(locked, 110 + 3601, &ACCOUNT_RULE) else { panic!() };
        assert_eq!(fresh.failures, 1);
    }

    #[test]
    fn keys_ignore_email_case_and_group_ipv6_by_64() {
        let a = Attempt::new(" Ann@Example.com", "127.0.0.1".parse().unwrap());
        let b = Attempt::new("ann@example.com", "2001:db8:1:2:aaaa::1".parse().unwrap());
        let c = Attempt::new("x@example.com", "2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a.account_key, b.account_key);
        assert_eq!(b.address_key, c.address_key);
        assert_eq!(b.address_key, "address:2001:db8:1:2::/64");
        assert_eq!(Attempt::new("x", "::ffff:10.0.0.1".parse().unwrap()).address_key, "address:10.0.0.1");
    }
}
