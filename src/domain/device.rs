//! The device authorization grant's pure parts (RFC 8628): the user code a
//! person types, and the pace rule that tells a poll that comes too soon
//! (`slow_down`, §3.5) from one that may be answered.

use std::fmt;

use rand::Rng as _;

use crate::clock::UnixTime;
use crate::domain::token::{PlainSecret, SecretHash};

/// The letters of a user code: consonants without vowels (no words can
/// form) and with none that look alike in either case (RFC 8628 §6.1).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Letters in a user code: 20⁸ ≈ 2.6 × 10¹⁰ codes, walked only as fast as
/// the throttle lets wrong codes through (RFC 8628 §5.1).
pub const USER_CODE_LEN: usize = 8;
/// The longest input read as a user code: eight letters with room for
/// spaces and dashes; anything longer is refused without looking further.
pub const MAX_USER_CODE_INPUT: usize = 64;

/// A user code in its canonical form: eight letters of the alphabet, upper case.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// A fresh code, each letter drawn uniformly from the alphabet by the
    /// thread's CSPRNG (seeded from the OS).
    pub fn generate() -> UserCode {
        let mut rng = rand::rng();
        let letters = (0..USER_CODE_LEN).map(|_| {
            let index = rng.random_range(0..USER_CODE_ALPHABET.len());
            char::from(USER_CODE_ALPHABET.get(index).copied().unwrap_or(b'B'))
        });
        UserCode(letters.collect())
    }

    /// Reads what a person typed: any case, with or without the dash, with
    /// spaces (and the dashes word processors substitute) anywhere. `None`
    /// unless eight letters of the alphabet remain.
    pub fn parse(typed: &str) -> Option<UserCode> {
        if typed.len() > MAX_USER_CODE_INPUT {
            return None;
        }
        let letters: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = letters.len() == USER_CODE_LEN && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
        valid.then_some(UserCode(letters))
    }

    /// The code as a device shows it: `BCDF-GHJK` (four letters, a dash, four letters).
    pub fn display(&self) -> String {
        let (first, second) = self.0.split_at(USER_CODE_LEN / 2);
        format!("{first}-{second}")
    }

    /// The SHA-256 of the canonical form, under which the code is stored:
    /// whatever way it was typed, it finds the same row.
    pub fn hash(&self) -> SecretHash {
        PlainSecret::from_presented(self.0.as_str()).hash()
    }
}

/// Redacted: a user code is a credential while it lives.
impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserCode(<redacted>)")
    }
}

/// How fast a device may poll, and when it last did (RFC 8628 §3.5). Kept
/// with the device code and written only when it changes: at most once per
/// interval for a device that keeps the pace, twice (the answered poll and
/// the raise) for one that polls faster, however fast it polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Seconds the device must wait between polls: 5 at first, 5 more after
    /// each `slow_down`.
    pub interval: i64,
    /// The last poll that was answered `authorization_pending` (0: none yet).
    pub polled_at: UnixTime,
    /// The last time the interval was raised (0: never).
    pub slowed_at: UnixTime,
}

/// What the pace rule makes of a poll of a pending device code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceVerdict {
    /// In time: answer `authorization_pending` and remember the poll.
    InTime(Pace),
    /// Too soon: answer `slow_down`; the pace to store, if it changes (the
    /// first poll too soon after an answered one raises the interval by 5 s
    /// "for this and all subsequent requests"; further ones before the next
    /// answered poll have been told already).
    TooSoon(Option<Pace>),
}

/// Seconds `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: i64 = 5;

impl Pace {
    /// The pace of a new device code.
    pub fn new(interval: i64) -> Pace {
        Pace { interval, polled_at: 0, slowed_at: 0 }
    }

    /// The verdict on a poll at `now`. The first poll is always in time (a
    /// client may poll as soon as it has shown the code); after that one
    /// must wait `interval` seconds from the last answered poll. Timestamps
    /// are whole seconds: a device that truly waited `interval` seconds
    /// between arrivals always sees a difference of at least `interval`.
    pub fn on_poll(self, now: UnixTime) -> PaceVerdict {
        if self.polled_at == 0 || now - self.polled_at >= self.interval {
            return PaceVerdict::InTime(Pace { polled_at: now, ..self });
        }
        if self.slowed_at >= self.polled_at {
            return PaceVerdict::TooSoon(None);
        }
        PaceVerdict::TooSoon(Some(Pace { interval: self.interval + SLOW_DOWN_STEP, slowed_at: now, ..self }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_eight_letters_of_the_alphabet_and_differ() {
        let codes: Vec<UserCode> = (0..50).map(|_| UserCode::generate()).collect();
        for code in &codes {
            assert_eq!(code.0.len(), USER_CODE_LEN);
            assert!(code.0.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)), "{}", code.0);
        }
        assert!(codes.windows(2).any(|pair| pair[0] != pair[1]));
        let every_letter: std::collections::BTreeSet<u8> =
            (0..200).flat_map(|_| UserCode::generate().0.into_bytes()).collect();
        assert_eq!(every_letter.len(), USER_CODE_ALPHABET.len(), "every letter is drawn");
    }

    // RFC 8628 §6.1: "the authorization server should be case insensitive
    // when comparing the user code … and ignore punctuation like dashes".
    #[test]
    fn rfc8628_6_1_a_code_is_read_in_any_case_with_or_without_dash_and_spaces() {
        let canonical = UserCode::parse("BCDF-GHJK").unwrap();
        let cases =
            ["BCDFGHJK", "bcdf-ghjk", "bcdfghjk", " bcdf ghjk ", "Bcdf - Ghjk", "BCDF\u{2013}GHJK", "b-c-d-f-g-h-j-k"];
        for typed in cases {
            assert_eq!(UserCode::parse(typed).as_ref(), Some(&canonical), "{typed:?}");
            assert!(UserCode::parse(typed).unwrap().hash().ct_eq(&canonical.hash()), "{typed:?}");
        }
        assert_eq!(canonical.display(), "BCDF-GHJK");
    }

    #[test]
    fn anything_else_is_not_a_code() {
        let cases = [
            "",
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-GHJK",   // a vowel
            "BCDF-GHJ1",   // a digit
            "BCDF_GHJK",   // underscore is not a dash
            "ＢCDF-GHJK",  // full-width letter
            "ßCDF-GHJK",   // upper-cases to two letters elsewhere
            "BCDF-GHJK\0", // NUL
        ];
        for typed in cases {
            assert_eq!(UserCode::parse(typed), None, "{typed:?}");
        }
        let padded = format!("BCDFGHJK{}", " ".repeat(MAX_USER_CODE_INPUT));
        assert_eq!(UserCode::parse(&padded), None, "too long to read");
    }

    #[test]
    fn debug_never_shows_the_code() {
        assert!(!format!("{:?}", UserCode::parse("BCDFGHJK").unwrap()).contains("BCDF"));
    }

    // RFC 8628 §3.5: "slow_down: A variant of "authorization_pending", the
    // authorization request is still pending and polling should continue,
    // but the interval MUST be increased by 5 seconds for this and all
    // subsequent requests."
    #[test]
    fn rfc8628_3_5_a_poll_sooner_than_the_interval_slows_the_device_down_by_five_seconds() {
        let start = Pace::new(5);
        let at = |polled_at, interval, slowed_at| Pace { interval, polled_at, slowed_at };
        let cases = [
            ("the first poll, at once", start, 100, PaceVerdict::InTime(at(100, 5, 0))),
            ("five seconds later", at(100, 5, 0), 105, PaceVerdict::InTime(at(105, 5, 0))),
            ("much later", at(100, 5, 0), 200, PaceVerdict::InTime(at(200, 5, 0))),
            ("four seconds later", at(100, 5, 0), 104, PaceVerdict::TooSoon(Some(at(100, 10, 104)))),
            ("the same second", at(100, 5, 0), 100, PaceVerdict::TooSoon(Some(at(100, 10, 100)))),
            ("too soon again, already told", at(100, 10, 104), 106, PaceVerdict::TooSoon(None)),
            ("the raised interval counts", at(100, 10, 104), 109, PaceVerdict::TooSoon(None)),
            ("in time at the raised interval", at(100, 10, 104), 110, PaceVerdict::InTime(at(110, 10, 104))),
            ("too soon after that: raised again", at(110, 10, 104), 112, PaceVerdict::TooSoon(Some(at(110, 15, 112)))),
        ];
        for (name, pace, now, expected) in cases {
            assert_eq!(pace.on_poll(now), expected, "{name}");
        }
    }

    #[test]
    fn a_device_hammering_the_endpoint_changes_its_pace_once_per_interval() {
        let mut pace = Pace::new(5);
        let mut writes = 0;
        for now in (1_000..1_060).flat_map(|second| [second; 10]) {
            let next = match pace.on_poll(now) {
                PaceVerdict::InTime(next) => Some(next),
                PaceVerdict::TooSoon(next) => next,
            };
            if let Some(next) = next {
                writes += 1;
                pace = next;
            }
        }
        // 600 polls in a minute: a handful of writes as the interval grows.
        assert!(writes <= 12, "{writes} writes");
        assert!(pace.interval >= 20, "{pace:?}");
    }
}
