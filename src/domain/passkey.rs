//! Passkeys (SPEC §7 "Passkeys"): what a passkey is called and how long a
//! WebAuthn ceremony may wait for the browser. The cryptography is
//! webauthn-rs's, in `accounts/passkeys.rs`; this holds only the rules.

use std::fmt;

use crate::clock::UnixTime;

/// A passkey's row id (`passkeys.id`): how its owner's page names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasskeyId(pub i64);

impl fmt::Display for PasskeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How long a registration or sign-in ceremony waits for the browser's
/// answer: the authenticator's prompt, then a click or a touch.
pub const CEREMONY_TTL: UnixTime = 300;

/// The longest passkey name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A passkey's name, trimmed: 1 to 64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    /// Reads a typed name; `None` when empty, too long or with control
    /// characters.
    pub fn parse(typed: &str) -> Option<PasskeyName> {
        let name = typed.trim();
        let fits = !name.is_empty() && name.chars().count() <= MAX_NAME_CHARS;
        (fits && !name.chars().any(char::is_control)).then(|| PasskeyName(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the security log's sign-in event says a passkey was used: its
/// detail is this prefix and the passkey's name (stored in one language;
/// the log page words it in the reader's).
const SIGN_IN_DETAIL_PREFIX: &str = "passkey: ";

/// The detail of a sign-in with the passkey `name`.
pub fn sign_in_detail(name: &str) -> String {
    format!("{SIGN_IN_DETAIL_PREFIX}{name}")
}

/// The passkey's name, when a sign-in's detail says one was used.
pub fn signed_in_with(detail: &str) -> Option<&str> {
    detail.strip_prefix(SIGN_IN_DETAIL_PREFIX)
}

/// Which ceremony a stored state belongs to: a state begun for one is never
/// finished as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// A signed-in user adds a passkey.
    Register,
    /// Someone signs in with a discoverable credential.
    SignIn,
}

impl CeremonyKind {
    /// The stored name (`passkey_ceremonies.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::SignIn => "sign_in",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_between_1_and_64_characters_without_control_characters() {
        assert_eq!(PasskeyName::parse("  Laptop  ").map(|n| n.0), Some("Laptop".to_owned()));
        assert_eq!(PasskeyName::parse("手机").map(|n| n.0), Some("手机".to_owned()));
        assert_eq!(PasskeyName::parse("   "), None);
        assert_eq!(PasskeyName::parse(&"x".repeat(65)), None);
        assert!(PasskeyName::parse(&"钥".repeat(64)).is_some());
        assert_eq!(PasskeyName::parse("a\u{7}b"), None);
    }

    #[test]
    fn a_passkey_sign_in_names_its_passkey_in_the_log() {
        assert_eq!(signed_in_with(&sign_in_detail("Laptop")), Some("Laptop"));
        assert_eq!(signed_in_with(""), None);
    }
}
