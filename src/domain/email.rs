//! An account's email addresses and the links mailed to them (SPEC §7
//! "Emails", "Password reset"): the rules as pure functions over stored
//! records, so each is tested at a fixed time without IO.
//!
//! Every address of an account has a row, the primary one included; the
//! primary address is also the account's `users.email`, the one it signs in
//! with. A link's token is a [`PlainSecret`](crate::domain::token::PlainSecret)
//! of its purpose's kind, stored only as its hash, and works once.

use std::fmt;

use crate::clock::UnixTime;
use crate::domain::token::SecretKind;
use crate::domain::user::UserId;

/// Most addresses one account may have (the primary one included).
pub const MAX_ADDRESSES: usize = 10;

/// Most links of one purpose that may be live (unused, unexpired) for one
/// account at once: someone who knows an address cannot flood its inbox.
pub const MAX_LIVE_LINKS: i64 = 3;

/// An address's id (`emails.id`): how the pages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailId(pub i64);

impl fmt::Display for EmailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One address of an account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    /// Its id.
    pub id: EmailId,
    /// The address, lower-cased.
    pub email: String,
    /// Whether its owner followed a verification link sent to it.
    pub verified: bool,
    /// Whether it is the account's primary address (its `users.email`).
    pub primary: bool,
    /// When it was added.
    pub created_at: UnixTime,
}

/// What a mailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Proves that the account's owner receives mail at the address.
    Verify,
    /// Lets the owner of the address choose a new password.
    Reset,
}

impl LinkPurpose {
    /// The stored name (`email_links.purpose`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Verify => "verify",
            LinkPurpose::Reset => "reset",
        }
    }

    /// How long a link works: a day to verify (SPEC §7 "valid 24 h"), an
    /// hour to reset a password (SPEC §7 "valid one hour").
    pub fn lifetime(self) -> i64 {
        match self {
            LinkPurpose::Verify => 86_400,
            LinkPurpose::Reset => 3_600,
        }
    }

    /// The kind (and so the prefix) of its token.
    pub fn secret_kind(self) -> SecretKind {
        match self {
            LinkPurpose::Verify => SecretKind::EmailVerification,
            LinkPurpose::Reset => SecretKind::PasswordReset,
        }
    }
}

/// A mailed link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailLink {
    /// What it is for.
    pub purpose: LinkPurpose,
    /// The account it was sent for.
    pub user_id: UserId,
    /// The address it was sent to.
    pub email: String,
    /// When it stops working.
    pub expires_at: UnixTime,
    /// Whether it has been used.
    pub used: bool,
}

/// Why a link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// No such link (or one of another purpose).
    #[error("this link is not valid")]
    Unknown,
    /// It worked once already.
    #[error("this link has been used already")]
    Used,
    /// Its time is up.
    #[error("this link has expired")]
    Expired,
}

/// Whether `link` (looked up by the hash of the token presented) works for
/// `purpose` at `now`: unknown, of another purpose, used or expired, it does
/// not.
pub fn check_link(link: Option<&EmailLink>, purpose: LinkPurpose, now: UnixTime) -> Result<&EmailLink, LinkError> {
    match link {
        Some(link) if link.purpose != purpose => Err(LinkError::Unknown),
        Some(link) if link.used => Err(LinkError::Used),
        Some(link) if now >= link.expires_at => Err(LinkError::Expired),
        Some(link) => Ok(link),
        None => Err(LinkError::Unknown),
    }
}

/// Why a change to an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressRuleError {
    /// Only a verified address can become the primary one.
    #[error("only a verified address can be made primary")]
    NotVerified,
    /// The primary address cannot be removed.
    #[error("the primary address cannot be removed")]
    Primary,
    /// The address is verified already: no link to send.
    #[error("the address is verified already")]
    AlreadyVerified,
    /// The account has as many addresses as it may.
    #[error("an account may have at most {MAX_ADDRESSES} addresses")]
    TooMany,
}

/// Whether `address` may become the primary one: it must be verified
/// (otherwise the account would sign in, and receive its reset links, at an
/// address nobody proved). Making the primary address primary is allowed
/// and changes nothing.
pub fn check_make_primary(address: &EmailAddress) -> Result<(), AddressRuleError> {
    if address.verified { Ok(()) } else { Err(AddressRuleError::NotVerified) }
}

/// Whether `address` may be removed: not the primary one (the account signs
/// in with it).
pub fn check_removal(address: &EmailAddress) -> Result<(), AddressRuleError> {
    if address.primary { Err(AddressRuleError::Primary) } else { Ok(()) }
}

/// Whether a verification link may be sent to `address`: not once it is
/// verified.
pub fn check_resend(address: &EmailAddress) -> Result<(), AddressRuleError> {
    if address.verified { Err(AddressRuleError::AlreadyVerified) } else { Ok(()) }
}

/// Whether an account holding `addresses` may add one more.
pub fn check_add(addresses: &[EmailAddress]) -> Result<(), AddressRuleError> {
    if addresses.len() < MAX_ADDRESSES { Ok(()) } else { Err(AddressRuleError::TooMany) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = 1_795_000_000;

    fn link(purpose: LinkPurpose, used: bool, expires_at: UnixTime) -> EmailLink {
        EmailLink { purpose, user_id: UserId(7), email: "ann@example.com".into(), expires_at, used }
    }

    fn address(verified: bool, primary: bool) -> EmailAddress {
        EmailAddress { id: EmailId(1), email: "ann@example.com".into(), verified, primary, created_at: NOW }
    }

    // SPEC §7: "a verification link … (single use, valid 24 h)", "a link
    // valid one hour and once".
    #[test]
    fn a_link_works_once_for_its_purpose_until_it_expires() {
        use LinkPurpose::{Reset, Verify};
        let cases = [
            (None, Verify, Err(LinkError::Unknown)),
            (Some(link(Reset, false, NOW + 1)), Verify, Err(LinkError::Unknown)),
            (Some(link(Verify, false, NOW + 1)), Reset, Err(LinkError::Unknown)),
            (Some(link(Verify, true, NOW + 1)), Verify, Err(LinkError::Used)),
            (Some(link(Reset, false, NOW)), Reset, Err(LinkError::Expired)),
            (Some(link(Reset, false, NOW + 1)), Reset, Ok(())),
            (Some(link(Verify, false, NOW + 1)), Verify, Ok(())),
        ];
        for (stored, purpose, expected) in cases {
            assert_eq!(check_link(stored.as_ref(), purpose, NOW).map(drop), expected, "{stored:?} for {purpose:?}");
        }
        assert_eq!((Verify.lifetime(), Reset.lifetime()), (24 * 3600, 3600));
        assert_eq!((Verify.secret_kind().prefix(), Reset.secret_kind().prefix()), ("gev_", "gpr_"));
    }

    #[test]
    fn only_a_verified_address_becomes_primary_and_the_primary_one_stays() {
        assert_eq!(check_make_primary(&address(false, false)), Err(AddressRuleError::NotVerified));
        assert_eq!(check_make_primary(&address(true, false)), Ok(()));
        assert_eq!(check_removal(&address(true, true)), Err(AddressRuleError::Primary));
        assert_eq!(check_removal(&address(false, false)), Ok(()));
        assert_eq!(check_resend(&address(true, false)), Err(AddressRuleError::AlreadyVerified));
        assert_eq!(check_resend(&address(false, true)), Ok(()));
    }

    #[test]
    fn an_account_holds_a_bounded_number_of_addresses() {
        let some = vec![address(true, true); MAX_ADDRESSES - 1];
        let full = vec![address(true, true); MAX_ADDRESSES];
        assert_eq!(check_add(&some), Ok(()));
        assert_eq!(check_add(&full), Err(AddressRuleError::TooMany));
    }
}
