//! The brute-force rule (SPEC §3, §4 "Robustness"; RFC 6819 §4.4.3.6) as
//! pure functions over one key's stored state. No IO: the store applies
//! them under the key's row lock, `accounts::throttle` drives them.
//!
//! An attempt is *admitted* before its password is checked and *settled*
//! after: a failure counts, a success resets (or, for an address, only takes
//! the attempt back). While attempts are in flight their outcome is not yet
//! known, so the key admits at most as many as its remaining failure budget;
//! the rest wait for a settlement instead of being refused. So a burst of
//! wrong guesses can never have more checked than the budget allows, and a
//! burst of right passwords is never refused for its concurrency alone.

use crate::clock::UnixTime;

/// An in-flight attempt older than this (seconds) is presumed lost (its
/// process died before settling it) and no longer holds a place.
pub const IN_FLIGHT_TTL: i64 = 60;

/// When a key locks: after `threshold` failures within `window` seconds,
/// each further failure locks it for 1 s, 2 s, 4 s, … up to `max_lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures older than this (seconds) no longer count.
    pub window: i64,
    /// Failures allowed before locks begin.
    pub threshold: i64,
    /// The longest lock (seconds).
    pub max_lock: i64,
}

/// One key's stored state. A fresh key is all zeros.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleRecord {
    /// Consecutive failures within the window.
    pub failures: i64,
    /// When the latest failure happened.
    pub last_failure_at: UnixTime,
    /// Attempts are refused until then.
    pub locked_until: UnixTime,
    /// Attempts admitted and not yet settled.
    pub in_flight: i64,
    /// When the latest attempt was admitted.
    pub in_flight_since: UnixTime,
}

/// Whether an attempt may be checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead; settle it afterwards.
    Admitted,
    /// Every place the budget allows is taken by attempts in flight: try
    /// again when one settles.
    Wait,
    /// Locked: refused without counting, for this many more seconds.
    Locked {
        /// Seconds until the lock ends.
        retry_after: i64,
    },
}

/// How an admitted attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Wrong credentials: counts towards the lock.
    Failed,
    /// Right credentials: the count starts again.
    Succeeded,
    /// Not counted either way (a success seen by a shared key such as an
    /// address, or an attempt that could not be checked).
    Refunded,
}

impl ThrottleRule {
    /// Seconds of lock after the `failures`-th failure.
    pub fn lock_after(&self, failures: i64) -> i64 {
        let over = failures - self.threshold;
        if over <= 0 {
            return 0;
        }
        let exponent = u32::try_from(over - 1).unwrap_or(u32::MAX).min(30);
        (1_i64 << exponent).min(self.max_lock)
    }

    /// The state as it counts at `now`: failures past the window and
    /// in-flight attempts past their time-to-live are forgotten.
    fn live(&self, stored: ThrottleRecord, now: UnixTime) -> ThrottleRecord {
        let mut live = stored;
        if stored.last_failure_at < now - self.window {
            live.failures = 0;
        }
        if stored.in_flight_since < now - IN_FLIGHT_TTL {
            live.in_flight = 0;
        }
        live
    }

    /// The verdict on a new attempt at `now`.
    pub fn admit(&self, stored: ThrottleRecord, now: UnixTime) -> Admission {
        let live = self.live(stored, now);
        if live.locked_until > now {
            return Admission::Locked { retry_after: live.locked_until - now };
        }
        // Past the threshold the next failure locks, so only one attempt at a
        // time may find out whether it is one.
        let budget = (self.threshold - live.failures).max(1);
        if live.in_flight < budget { Admission::Admitted } else { Admission::Wait }
    }

    /// The state after admitting an attempt at `now`.
    pub fn admitted(&self, stored: ThrottleRecord, now: UnixTime) -> ThrottleRecord {
        let live = self.live(stored, now);
        ThrottleRecord { in_flight: live.in_flight + 1, in_flight_since: now, ..live }
    }

    /// The state after an admitted attempt ended with `outcome` at `now`.
    pub fn settled(&self, stored: ThrottleRecord, now: UnixTime, outcome: Outcome) -> ThrottleRecord {
        let live = self.live(stored, now);
        let in_flight = (live.in_flight - 1).max(0);
        match outcome {
            Outcome::Failed => {
                let failures = live.failures + 1;
                ThrottleRecord {
                    failures,
                    last_failure_at: now,
                    locked_until: live.locked_until.max(now + self.lock_after(failures)),
                    in_flight,
                    ..live
                }
            }
            Outcome::Succeeded => {
                ThrottleRecord { failures: 0, last_failure_at: 0, locked_until: 0, in_flight, ..live }
            }
            Outcome::Refunded => ThrottleRecord { in_flight, ..live },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: ThrottleRule = ThrottleRule { window: 3600, threshold: 5, max_lock: 900 };
    const NOW: UnixTime = 1_000_000;

    fn record(failures: i64, in_flight: i64) -> ThrottleRecord {
        ThrottleRecord { failures, last_failure_at: NOW, locked_until: 0, in_flight, in_flight_since: NOW }
    }

    #[test]
    fn locks_start_after_the_threshold_and_double_up_to_the_cap() {
        let locks: Vec<i64> = (1..=10).map(|n| RULE.lock_after(n)).collect();
        assert_eq!(locks, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16]);
        assert_eq!(RULE.lock_after(1000), 900);
    }

    #[test]
    fn in_flight_attempts_are_admitted_up_to_the_remaining_budget() {
        // (failures, in flight) → verdict
        let cases = [
            ((0, 0), Admission::Admitted),
            ((0, 4), Admission::Admitted),
            ((0, 5), Admission::Wait),
            ((3, 1), Admission::Admitted),
            ((3, 2), Admission::Wait),
            ((5, 0), Admission::Admitted),
            ((5, 1), Admission::Wait),
            ((9, 0), Admission::Admitted),
        ];
        for ((failures, in_flight), expected) in cases {
            assert_eq!(
                RULE.admit(record(failures, in_flight), NOW),
                expected,
                "{failures} failed, {in_flight} in flight"
            );
        }
    }

    #[test]
    fn a_locked_key_refuses_without_counting() {
        let locked = ThrottleRecord { locked_until: NOW + 5, ..record(7, 0) };
        assert_eq!(RULE.admit(locked, NOW), Admission::Locked { retry_after: 5 });
        assert_eq!(RULE.admit(locked, NOW + 5), Admission::Admitted);
    }

    #[test]
    fn failures_lock_past_the_threshold_and_success_resets() {
        let mut state = ThrottleRecord::default();
        for _ in 0..5 {
            state = RULE.settled(RULE.admitted(state, NOW), NOW, Outcome::Failed);
        }
        assert_eq!((state.failures, state.locked_until, state.in_flight), (5, NOW, 0));
        state = RULE.settled(RULE.admitted(state, NOW), NOW, Outcome::Failed);
        assert_eq!(state.locked_until, NOW + 1);
        let reset = RULE.settled(RULE.admitted(state, NOW + 1), NOW + 1, Outcome::Succeeded);
        assert_eq!((reset.failures, reset.locked_until, reset.in_flight), (0, 0, 0));
    }

    #[test]
    fn a_refund_only_frees_the_place() {
        let state = RULE.settled(record(2, 3), NOW, Outcome::Refunded);
        assert_eq!((state.failures, state.in_flight), (2, 2));
    }

    #[test]
    fn old_failures_and_lost_attempts_are_forgotten() {
        let stale = ThrottleRecord { in_flight_since: NOW - IN_FLIGHT_TTL - 1, ..record(5, 1) };
        assert_eq!(RULE.admit(stale, NOW), Admission::Admitted, "a lost attempt holds no place");
        let old = ThrottleRecord { last_failure_at: NOW - 3601, ..record(5, 0) };
        assert_eq!(RULE.settled(RULE.admitted(old, NOW), NOW, Outcome::Failed).failures, 1);
    }

    #[test]
    fn a_burst_of_guesses_checks_at_most_the_threshold_and_one_more() {
        // Simulates any interleaving: admit while possible, then settle one.
        let mut state = ThrottleRecord::default();
        let (mut checked, mut refused, mut pending) = (0, 0, 0);
        for _ in 0..40 {
            loop {
                match RULE.admit(state, NOW) {
                    Admission::Admitted => {
                        state = RULE.admitted(state, NOW);
                        checked += 1;
                        pending += 1;
                        break;
                    }
                    Admission::Locked { .. } => {
                        refused += 1;
                        break;
                    }
                    Admission::Wait => {
                        state = RULE.settled(state, NOW, Outcome::Failed);
                        pending -= 1;
                    }
                }
            }
        }
        assert!(pending >= 0);
        assert_eq!((checked, refused), (6, 34));
    }
}
