//! Time-based one-time passwords (RFC 6238; HOTP is RFC 4226): the secret,
//! the codes it yields at a time step, and the check of a presented code
//! within ±1 step that never accepts a step at or before the last one used
//! (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the
//! OTP after the successful validation has been issued for the first OTP").
//! The arithmetic is `totp-rs`; what is accepted, and when, is decided here.

use std::fmt;

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::clock::UnixTime;
use crate::domain::token::random_bytes;

/// Seconds per time step (RFC 6238 §5.2 recommends 30).
pub const PERIOD: u64 = 30;
/// Digits per code: what every phone app shows.
pub const DIGITS: usize = 6;
/// Steps accepted either side of the current one (RFC 6238 §5.2: "at most
/// one time step is allowed as the network delay").
pub const SKEW: i64 = 1;
/// Bytes of secret: 160 bits, RFC 4226 §4's recommended length.
pub const SECRET_LEN: usize = 20;
/// The issuer phone apps show beside the account.
pub const ISSUER: &str = "Gatehouse";

/// A TOTP shared secret. `Debug` is redacted and the bytes are wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// A fresh secret from the OS random source.
    pub fn generate() -> TotpSecret {
        TotpSecret(Zeroizing::new(random_bytes::<SECRET_LEN>().to_vec()))
    }

    /// A secret read back from storage; `None` unless it has the right length.
    pub fn from_bytes(bytes: &[u8]) -> Option<TotpSecret> {
        (bytes.len() == SECRET_LEN).then(|| TotpSecret(Zeroizing::new(bytes.to_vec())))
    }

    /// The raw bytes, to store (sealed when the operator configured a key).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// The time step counter T of RFC 6238 §4.2 at `now`.
pub fn step_at(now: UnixTime) -> i64 {
    now.div_euclid(PERIOD as i64)
}

/// A code generator for one secret and account.
pub struct Totp {
    inner: TOTP,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Totp(<redacted>)")
    }
}

impl Totp {
    /// The codes of `secret` as phone apps make them (HMAC-SHA1, six digits,
    /// 30 s), labelled `Gatehouse:account` in the app.
    pub fn new(secret: &TotpSecret, account: &str) -> Totp {
        Totp::with(Algorithm::SHA1, DIGITS, secret.expose(), account)
    }

    /// Any algorithm and length (RFC 6238 Appendix A allows SHA-256 and
    /// SHA-512 and eight digits; its test vectors use them).
    fn with(algorithm: Algorithm, digits: usize, secret: &[u8], account: &str) -> Totp {
        // `new_unchecked`: the lengths are ours (20-byte secrets, 6 digits);
        // the checked constructor would also refuse a `:` in the account.
        let inner = TOTP::new_unchecked(
            algorithm,
            digits,
            0,
            PERIOD,
            secret.to_vec(),
            Some(ISSUER.to_owned()),
            account.to_owned(),
        );
        Totp { inner }
    }

    /// The code of time step `step`.
    pub fn code_at_step(&self, step: i64) -> String {
        self.inner.generate(u64::try_from(step).unwrap_or(0).saturating_mul(PERIOD))
    }

    /// The step whose code `presented` is, among the steps within [`SKEW`]
    /// of `now` and after `last_used_step`: `None` if it is none of them.
    /// Every candidate is compared, in constant time.
    pub fn verify(&self, presented: &str, now: UnixTime, last_used_step: i64) -> Option<i64> {
        let current = step_at(now);
        let mut matched = None;
        for step in (current - SKEW)..=(current + SKEW) {
            let expected = self.code_at_step(step);
            let equal: bool = expected.as_bytes().ct_eq(presented.as_bytes()).into();
            if equal && step > last_used_step && step >= 0 {
                matched = Some(step);
            }
        }
        matched
    }

    /// The secret as people type it into an app: RFC 4648 base32 without
    /// padding, in groups of four.
    pub fn secret_base32_grouped(&self) -> String {
        let plain = self.inner.get_secret_base32();
        let groups: Vec<&str> = plain.as_bytes().chunks(4).filter_map(|g| std::str::from_utf8(g).ok()).collect();
        groups.join(" ")
    }

    /// The `otpauth://totp/…` URI phone apps read from the QR code.
    pub fn uri(&self) -> String {
        self.inner.get_url()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: UnixTime = 1_795_000_000;

    /// RFC 6238 Appendix B: time, then the eight-digit codes for SHA-1,
    /// SHA-256 and SHA-512 with the appendix's seeds.
    const VECTORS: [(UnixTime, [&str; 3]); 6] = [
        (59, ["94287082", "46119246", "90693936"]),
        (1_111_111_109, ["07081804", "68084774", "25091201"]),
        (1_111_111_111, ["14050471", "67062674", "99943326"]),
        (1_234_567_890, ["89005924", "91819424", "93441116"]),
        (2_000_000_000, ["69279037", "90698825", "38618901"]),
        (20_000_000_000, ["65353130", "77737706", "47863826"]),
    ];

    fn rfc_6238_generators() -> [Totp; 3] {
        let seed = b"1234567890123456789012345678901234567890123456789012345678901234";
        [
            Totp::with(Algorithm::SHA1, 8, &seed[..20], "rfc"),
            Totp::with(Algorithm::SHA256, 8, &seed[..32], "rfc"),
            Totp::with(Algorithm::SHA512, 8, &seed[..64], "rfc"),
        ]
    }

    // RFC 6238 Appendix B: "The test token shared secret uses the ASCII
    // string value "12345678901234567890" […] with HMAC-SHA1", and 32 and 64
    // bytes of the same digits for HMAC-SHA256 and HMAC-SHA512; X = 30, T0 = 0.
    #[test]
    fn rfc_6238_appendix_b_test_vectors_verify() {
        for (time, codes) in VECTORS {
            for (generator, code) in rfc_6238_generators().iter().zip(codes) {
                assert_eq!(generator.verify(code, time, -1), Some(step_at(time)), "{code} at {time}");
                assert_eq!(generator.code_at_step(step_at(time)), code);
            }
        }
    }

    // RFC 6238 §5.2: "We RECOMMEND that at most one time step is allowed as
    // the network delay."
    #[test]
    fn rfc_6238_5_2_one_step_either_side_is_accepted_and_two_are_not() {
        let totp = Totp::new(&TotpSecret::generate(), "ann@example.com");
        let now = step_at(T);
        let cases = [(-2, None), (-1, Some(now - 1)), (0, Some(now)), (1, Some(now + 1)), (2, None)];
        for (offset, expected) in cases {
            assert_eq!(totp.verify(&totp.code_at_step(now + offset), T, -1), expected, "step {offset:+}");
        }
    }

    // RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the
    // OTP after the successful validation has been issued for the first OTP".
    #[test]
    fn rfc_6238_5_2_a_step_at_or_before_the_last_one_used_is_refused() {
        let totp = Totp::new(&TotpSecret::generate(), "ann@example.com");
        let now = step_at(T);
        assert_eq!(totp.verify(&totp.code_at_step(now), T, now), None, "the same code again");
        assert_eq!(totp.verify(&totp.code_at_step(now - 1), T, now), None, "an older one");
        assert_eq!(totp.verify(&totp.code_at_step(now + 1), T, now), Some(now + 1), "a later one");
    }

    #[test]
    fn wrong_or_malformed_codes_are_refused() {
        let totp = Totp::new(&TotpSecret::generate(), "ann@example.com");
        let right = totp.code_at_step(step_at(T));
        let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
        for presented in [wrong.as_str(), "", "12345", "1234567", "abcdef", &right[..5]] {
            assert_eq!(totp.verify(presented, T, -1), None, "{presented:?}");
        }
    }

    #[test]
    fn the_secret_reads_as_base32_and_never_shows_in_debug() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let totp = Totp::new(&secret, "ann@example.com");
        assert_eq!(totp.secret_base32_grouped(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        assert_eq!(format!("{secret:?} {totp:?}"), "TotpSecret(<redacted>) Totp(<redacted>)");
        assert!(TotpSecret::from_bytes(b"short").is_none());
        let uri = totp.uri();
        assert_eq!(
            uri,
            "otpauth://totp/Gatehouse:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse"
        );
    }
}
