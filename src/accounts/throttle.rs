//! Brute-force throttling of sign-in and the password grant (SPEC §3, §4;
//! RFC 6819 §4.4.3.6), per account and per client address, in the database
//! so every instance sees it. Each attempt is admitted on both keys before
//! the password is checked and settled after (the rule itself is
//! `domain::throttle`): a burst of parallel guesses cannot have more checked
//! than the failure budget allows, and a burst of right passwords waits its
//! turn instead of being refused. Past a threshold each failure locks the key
//! for an exponentially growing time, capped, so an attacker cannot lock the
//! rightful owner out for long; the count restarts after an hour without
//! failures, and a successful sign-in resets the account's count.

use std::net::IpAddr;

use std::time::Duration;

use crate::clock::{Clock, UnixTime};
use crate::domain::throttle::{Admission, Outcome, ThrottleRecord, ThrottleRule};
use crate::store::{Store, StoreError};

/// Attempts on one account: 5 allowed, then 1 s doubling up to 15 minutes.
pub const ACCOUNT_RULE: ThrottleRule = ThrottleRule { window: 3600, threshold: 5, max_lock: 900 };
/// Attempts from one address (an IPv4 address or an IPv6 /64): higher,
/// because offices share addresses.
pub const ADDRESS_RULE: ThrottleRule = ThrottleRule { window: 3600, threshold: 20, max_lock: 900 };

/// Wrong user codes of the device grant (RFC 8628 §5.1) from one address:
/// the same budget as sign-ins, counted apart from them.
pub const DEVICE_ADDRESS_RULE: ThrottleRule = ADDRESS_RULE;
/// Wrong user codes typed by one account (in any of its sessions): a
/// person mistypes a few; a script walking the 20⁸ codes is soon held to a
/// handful per hour.
pub const DEVICE_ACCOUNT_RULE: ThrottleRule = ACCOUNT_RULE;

/// Who is trying: an address and an account, each a throttling key with its
/// rule.
#[derive(Debug, Clone)]
pub struct Attempt {
    account_key: String,
    address_key: String,
    rules: [ThrottleRule; 2],
    /// Whether a success resets the account's count. For a sign-in it does:
    /// the right password proves the owner is there. For a user code it does
    /// not: anyone can make a valid code of their own to type between
    /// guesses, so a success must not launder the failures.
    success_resets: bool,
}

impl Attempt {
    /// A sign-in attempt on `email` (as typed) from `address`.
    pub fn new(email: &str, address: IpAddr) -> Attempt {
        Attempt {
            account_key: format!("account:{}", email.trim().to_lowercase()),
            address_key: format!("address:{}", network_of(address)),
            rules: RULES,
            success_resets: true,
        }
    }

    /// A user code typed by the signed-in user `user_id` from `address`:
    /// keys of their own, so wrong codes never lock anyone's sign-in.
    pub fn user_code(user_id: crate::domain::user::UserId, address: IpAddr) -> Attempt {
        Attempt {
            account_key: format!("device:user:{user_id}"),
            address_key: format!("device:address:{}", network_of(address)),
            rules: [DEVICE_ADDRESS_RULE, DEVICE_ACCOUNT_RULE],
            success_resets: false,
        }
    }

    /// A request for a password-reset link to `email` (as typed) from
    /// `address`: counted under keys of its own, so that reset requests
    /// never lock sign-in, nor the other way round.
    pub fn password_reset(email: &str, address: IpAddr) -> Attempt {
        Attempt {
            account_key: format!("reset-account:{}", email.trim().to_lowercase()),
            address_key: format!("reset-address:{}", network_of(address)),
            rules: RULES,
            success_resets: true,
        }
    }

    /// A second-factor code for `user_id` from `address`: the account's
    /// codes count apart from its passwords (whoever types one knew the
    /// password), the address's together with its passwords.
    pub fn second_factor(user_id: crate::domain::user::UserId, address: IpAddr) -> Attempt {
        Attempt {
            account_key: format!("two-factor:{}", user_id.0),
            address_key: format!("address:{}", network_of(address)),
            rules: RULES,
            success_resets: true,
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

/// How long an attempt waits for a place among the attempts in flight
/// before it gives up with "busy, try again" (503), never with a lock.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// How often a waiting attempt looks again: a cheap read, with jitter so
/// waiters do not look in lockstep.
const POLL_MS: std::ops::Range<u64> = 15..35;

/// The rule of each key of a sign-in's [`Attempt::keys`], in the same order.
const RULES: [ThrottleRule; 2] = [ADDRESS_RULE, ACCOUNT_RULE];

impl Attempt {
    /// The keys in the one order every caller locks them in.
    fn keys(&self) -> [&str; 2] {
        [&self.address_key, &self.account_key]
    }
}

/// What admitting an attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// Go ahead; settle it afterwards.
    Yes,
    /// A key is locked for this many more seconds.
    Locked(i64),
    /// The budget stayed taken by attempts in flight for [`MAX_WAIT`]:
    /// nothing was counted; the caller says "busy, try again".
    Busy,
}

/// Admits the attempt on the address and the account at once, waiting while
/// their budgets are taken by attempts in flight; refused while either key
/// is locked. An admitted attempt must be settled. While it waits it only
/// reads; it writes once, when the rule lets it in.
pub async fn admit(store: &dyn Store, attempt: &Attempt, clock: &dyn Clock) -> Result<Admitted, StoreError> {
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    // The usual case, no attempt of the key in flight, is one transaction;
    // only a waiting attempt reads (`peek`) until the rule would let it in.
    let mut verdict = try_admit(store, attempt, clock.now()).await?;
    loop {
        match verdict {
            Admission::Admitted => return Ok(Admitted::Yes),
            Admission::Locked { retry_after } => return Ok(Admitted::Locked(retry_after)),
            Admission::Wait if tokio::time::Instant::now() >= deadline => return Ok(Admitted::Busy),
            Admission::Wait => tokio::time::sleep(Duration::from_millis(rand::random_range(POLL_MS))).await,
        }
        let now = clock.now();
        verdict = match peek(store, attempt, now).await? {
            Admission::Admitted => try_admit(store, attempt, now).await?,
            looked => looked,
        };
    }
}

/// The verdict on every key together: locked if any is, else wait if any
/// must, else admitted.
fn verdict(rules: &[ThrottleRule; 2], states: &[ThrottleRecord], now: UnixTime) -> Admission {
    let verdicts = rules.iter().zip(states).map(|(rule, state)| rule.admit(*state, now));
    verdicts.fold(Admission::Admitted, |all, one| match (all, one) {
        (Admission::Locked { retry_after: a }, Admission::Locked { retry_after: b }) => {
            Admission::Locked { retry_after: a.max(b) }
        }
        (locked @ Admission::Locked { .. }, _) | (_, locked @ Admission::Locked { .. }) => locked,
        (Admission::Wait, _) | (_, Admission::Wait) => Admission::Wait,
        _ => Admission::Admitted,
    })
}

/// A read-only look at the verdict (a fresh key reads as zeros).
async fn peek(store: &dyn Store, attempt: &Attempt, now: UnixTime) -> Result<Admission, StoreError> {
    let mut states = Vec::with_capacity(attempt.rules.len());
    for key in attempt.keys() {
        states.push(store.find_throttle(key).await?.unwrap_or_default());
    }
    Ok(verdict(&attempt.rules, &states, now))
}

/// One try under the keys' row locks: admits on every key, or on none.
async fn try_admit(store: &dyn Store, attempt: &Attempt, now: UnixTime) -> Result<Admission, StoreError> {
    let keys = attempt.keys();
    let rules = attempt.rules;
    let step = move |states: &[ThrottleRecord]| {
        (verdict(&rules, states, now) == Admission::Admitted)
            .then(|| rules.iter().zip(states).map(|(rule, state)| rule.admitted(*state, now)).collect())
    };
    let read = store.update_throttles(&keys, Box::new(step)).await?;
    Ok(verdict(&rules, &read, now))
}

/// Settles an admitted attempt: a failure counts on both keys; a success
/// resets the account when the attempt says so (a sign-in) and takes the
/// attempt back from the address (one's own account must not launder
/// guesses against others); `Refunded` (the check itself failed) counts nowhere.
pub async fn settle(store: &dyn Store, attempt: &Attempt, now: UnixTime, outcome: Outcome) -> Result<(), StoreError> {
    let taken_back = if outcome == Outcome::Succeeded { Outcome::Refunded } else { outcome };
    let outcomes = [taken_back, if attempt.success_resets { outcome } else { taken_back }];
    let rules = attempt.rules;
    let step = move |states: &[ThrottleRecord]| {
        Some(
            rules
                .iter()
                .zip(states)
                .zip(outcomes)
                .map(|((rule, state), outcome)| rule.settled(*state, now, outcome))
                .collect(),
        )
    };
    store.update_throttles(&attempt.keys(), Box::new(step)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn user_codes_count_on_keys_of_their_own_and_a_success_resets_nothing() {
        let address = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let typed = Attempt::user_code(crate::domain::user::UserId(7), address);
        let signed_in = Attempt::new("ann@example.com", address);
        assert_eq!(typed.keys(), ["device:address:2001:db8:1:2::/64", "device:user:7"]);
        assert!(typed.keys().iter().all(|key| !signed_in.keys().contains(key)));
        assert!(signed_in.success_resets && !typed.success_resets);
    }
}
