//! Accounts: the parsed forms of email, login and password, and the stored user.

use std::fmt;

use crate::clock::UnixTime;

/// A user's numeric id (`users.id`), the `id` the Open API shows: a type of
/// its own, so that it cannot be passed where a client's id is expected.
/// Serialises as the bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A user as stored (without the password hash).
#[derive(Debug, Clone)]
pub struct User {
    /// Numeric id, as the platform's API shows it.
    pub id: UserId,
    /// The login (user name) in the platform's safe alphabet.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Primary email, lower-cased.
    pub email: String,
    /// Whether the primary email is verified (SPEC §7: what OpenID
    /// Connect's `email_verified` and the Open API's email state say).
    pub email_verified: bool,
    /// Profile text.
    pub bio: String,
    /// Personal site.
    pub blog: String,
    /// Weibo handle.
    pub weibo: String,
    /// When the account was made.
    pub created_at: UnixTime,
    /// When the profile last changed.
    pub updated_at: UnixTime,
    /// An operator: sees `/admin` (SPEC §8; `user promote`).
    pub admin: bool,
}

/// Why an account field was refused; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountFieldError {
    /// Not a plausible email address.
    #[error("Enter a valid email address")]
    Email,
    /// Outside the login alphabet or length.
    #[error("Username must be 2 to 40 characters: letters, digits, '-', '_' or '.', starting with a letter or digit")]
    Login,
    /// Shorter than the minimum or absurdly long.
    #[error("Password must be 8 to 128 characters")]
    Password,
}

/// A parsed email address: trimmed and lower-cased, one `@`, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses what a user typed.
    pub fn parse(raw: &str) -> Result<Email, AccountFieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid { Ok(Email(email)) } else { Err(AccountFieldError::Email) }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A parsed login: 2 to 40 of `[A-Za-z0-9_.-]`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    /// Parses what a user typed.
    pub fn parse(raw: &str) -> Result<Login, AccountFieldError> {
        let login = raw.trim();
        let valid = (2..=40).contains(&login.len())
            && login.starts_with(|c: char| c.is_ascii_alphanumeric())
            && login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid { Ok(Login(login.to_owned())) } else { Err(AccountFieldError::Login) }
    }

    /// The login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: 8 to 128 characters. `Debug` is redacted.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks the length rule of a new password.
    pub fn parse_new(raw: &str) -> Result<Password, AccountFieldError> {
        if (8..=128).contains(&raw.chars().count()) {
            Ok(Password(raw.to_owned()))
        } else {
            Err(AccountFieldError::Password)
        }
    }

    /// Wraps a password presented at sign-in, unchecked (a wrong one just fails).
    pub fn presented(raw: &str) -> Password {
        Password(raw.to_owned())
    }

    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse(" Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "ann@", "@x.com", "a b@x.com", "a@x", "a@@x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn login_uses_the_safe_alphabet() {
        assert!(Login::parse("ann-lee_2.0").is_ok());
        for bad in ["a", "-ann", "ann lee", "<script>", &"a".repeat(41)] {
            assert!(Login::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_length_is_bounded() {
        assert!(Password::parse_new("short").is_err());
        assert!(Password::parse_new("long enough").is_ok());
        assert!(Password::parse_new(&"x".repeat(129)).is_err());
        assert_eq!(format!("{:?}", Password::presented("secret")), "Password(<redacted>)");
    }
}
