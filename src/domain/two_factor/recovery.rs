//! Recovery codes: ten single-use codes shown once when two-factor
//! authentication is turned on, for the day the phone is lost. Each is 80
//! random bits in Crockford's base32 (no `i`, `l`, `o`, `u`: nothing to
//! misread), shown as `xxxx-xxxx-xxxx-xxxx`; only its SHA-256 is stored.
//! 80 bits make the hash as safe as a token's: no dictionary to try.

use std::fmt;

use crate::domain::token::{PlainSecret, SecretHash, random_bytes};

/// How many codes a user gets (SPEC §7: "ten single-use recovery codes").
pub const COUNT: usize = 10;
/// Characters of a code, dashes left out.
const LEN: usize = 16;
/// Crockford's base32 alphabet, lower case.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A recovery code in the clear: shown once, or as presented at sign-in.
/// `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// A fresh code: 16 characters of 5 random bits each.
    pub fn generate() -> RecoveryCode {
        let bytes = random_bytes::<LEN>();
        // Each byte's low five bits pick a character: uniform over 32.
        RecoveryCode(bytes.iter().filter_map(|b| ALPHABET.get(usize::from(b & 31))).map(|&c| char::from(c)).collect())
    }

    /// Ten fresh codes.
    pub fn generate_set() -> Vec<RecoveryCode> {
        (0..COUNT).map(|_| RecoveryCode::generate()).collect()
    }

    /// Reads a code as a person may type it: any case, with or without dashes
    /// and spaces, `i`/`l` for `1` and `o` for `0` (Crockford's reading).
    /// `None` unless it comes to 16 characters of the alphabet.
    pub fn parse(typed: &str) -> Option<RecoveryCode> {
        let mut code = String::with_capacity(LEN);
        for c in typed.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = match c.to_ascii_lowercase() {
                'i' | 'l' => '1',
                'o' => '0',
                other => other,
            };
            if code.len() == LEN || !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            code.push(c);
        }
        (code.len() == LEN).then_some(RecoveryCode(code))
    }

    /// The code as shown: four groups of four.
    pub fn display(&self) -> String {
        let groups: Vec<&str> = self.0.as_bytes().chunks(4).filter_map(|g| std::str::from_utf8(g).ok()).collect();
        groups.join("-")
    }

    /// What is stored and searched by: the SHA-256 of the bare code.
    pub fn hash(&self) -> SecretHash {
        PlainSecret::from_presented(self.0.as_str()).hash()
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_however_it_is_typed() {
        let code = RecoveryCode::generate();
        let shown = code.display();
        assert_eq!(shown.len(), 19);
        for typed in [shown.clone(), shown.to_uppercase(), shown.replace('-', ""), shown.replace('-', " ")] {
            assert_eq!(RecoveryCode::parse(&typed).map(|c| c.hash()), Some(code.hash()), "{typed}");
        }
        assert_eq!(RecoveryCode::parse("0L1I-OOOO-abcd-efgh"), RecoveryCode::parse("0111-0000-abcd-efgh"));
    }

    #[test]
    fn anything_else_is_not_a_recovery_code() {
        for typed in
            ["", "123456", "abcd-efgh-jkmn-pqr", "abcd-efgh-jkmn-pqrst", "abcd-efgh-jkmn-pqr!", "ünïc-ode0-0000-0000"]
        {
            assert_eq!(RecoveryCode::parse(typed), None, "{typed}");
        }
    }

    #[test]
    fn a_set_is_ten_distinct_codes_never_shown_in_debug() {
        let set = RecoveryCode::generate_set();
        let distinct: std::collections::HashSet<_> = set.iter().map(RecoveryCode::display).collect();
        assert_eq!(distinct.len(), COUNT);
        assert_eq!(format!("{:?}", set[0]), "RecoveryCode(<redacted>)");
    }
}
