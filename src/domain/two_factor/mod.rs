//! Two-factor authentication's pure parts (SPEC §7 "Two-factor"): TOTP codes
//! (RFC 6238), recovery codes, and reading what a person typed into the
//! second sign-in step as one or the other.

pub mod recovery;
pub mod totp;

pub use recovery::RecoveryCode;
pub use totp::{Totp, TotpSecret};

/// The longest answer the second step reads; a recovery code with dashes is
/// 19 characters, so anything longer is neither kind.
pub const MAX_CODE_INPUT: usize = 64;

/// What a person typed into the second step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// Six digits: an authenticator app's code.
    Totp(String),
    /// A recovery code.
    Recovery(RecoveryCode),
}

impl SecondFactor {
    /// Reads the answer: six digits (spaces allowed, as apps show `123 456`)
    /// are an app's code, anything that reads as a recovery code is one;
    /// `None` otherwise.
    pub fn parse(typed: &str) -> Option<SecondFactor> {
        if typed.len() > MAX_CODE_INPUT {
            return None;
        }
        let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == totp::DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Some(SecondFactor::Totp(digits));
        }
        RecoveryCode::parse(typed.trim()).map(SecondFactor::Recovery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_an_app_code_and_the_rest_may_be_a_recovery_code() {
        assert_eq!(SecondFactor::parse(" 123 456 "), Some(SecondFactor::Totp("123456".into())));
        assert!(matches!(SecondFactor::parse("abcd-efgh-jkmn-pqrs"), Some(SecondFactor::Recovery(_))));
        for typed in ["", "12345", "1234567", "12345a", "x".repeat(MAX_CODE_INPUT + 1).as_str()] {
            assert_eq!(SecondFactor::parse(typed), None, "{typed}");
        }
    }
}
