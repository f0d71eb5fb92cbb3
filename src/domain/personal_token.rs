//! Personal access tokens (SPEC §7; the platform's "private tokens"): a
//! token a user makes for a script or CI, with the scopes they pick and an
//! expiry. The Open API accepts it like an access token, never beyond its
//! scopes. It belongs to the user and to no application, so it survives a
//! password change and ends with the account.

use std::fmt;

use crate::clock::UnixTime;
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::token::{SecretHash, SecretKind};
use crate::domain::user::UserId;

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 100;
/// Most tokens one user may hold; a soft cap against a runaway script.
pub const MAX_TOKENS_PER_USER: i64 = 100;
/// How stale a token's recorded last use may get before a request writes it
/// anew: at most one write a minute per token, never one per request.
pub const USE_EVERY: i64 = 60;

/// A token's row id (`personal_tokens.id`): how its owner's page names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PersonalTokenId(pub i64);

impl fmt::Display for PersonalTokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a presented token has the personal token prefix (`gpt_`): the
/// bearer check looks it up among personal tokens, not issued ones.
pub fn is_personal(token: &str) -> bool {
    token.starts_with(SecretKind::PersonalToken.prefix())
}

/// Whether a personal token may carry `scope`: the platform's scopes. The
/// OpenID Connect scopes are for an application signing a person in, which
/// a personal token never does (no ID token is ever issued for one).
pub fn grantable(scope: Scope) -> bool {
    !matches!(scope, Scope::OpenId | Scope::Profile | Scope::Email)
}

/// How long a new token lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    /// 7 days.
    Week,
    /// 30 days (what the form offers first).
    Month,
    /// 90 days.
    Quarter,
    /// 365 days.
    Year,
    /// Until revoked.
    Never,
}

impl Expiration {
    /// Every choice, in the order the form lists them.
    pub const ALL: [Expiration; 5] =
        [Expiration::Week, Expiration::Month, Expiration::Quarter, Expiration::Year, Expiration::Never];

    /// The form's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Expiration::Week => "7",
            Expiration::Month => "30",
            Expiration::Quarter => "90",
            Expiration::Year => "365",
            Expiration::Never => "none",
        }
    }

    /// Reads the form's value.
    pub fn parse(value: &str) -> Option<Expiration> {
        Expiration::ALL.into_iter().find(|e| e.as_str() == value)
    }

    /// When a token made at `now` expires (`None`: never).
    pub fn expires_at(self, now: UnixTime) -> Option<UnixTime> {
        let days = match self {
            Expiration::Week => 7,
            Expiration::Month => 30,
            Expiration::Quarter => 90,
            Expiration::Year => 365,
            Expiration::Never => return None,
        };
        Some(now + days * 86_400)
    }
}

/// Why a token could not be made; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonalTokenError {
    /// Empty, too long, or more than one line.
    #[error("Description must be 1 to {MAX_DESCRIPTION_CHARS} characters on one line")]
    Description,
    /// No scope chosen.
    #[error("Choose at least one scope")]
    NoScopes,
    /// An OpenID Connect scope.
    #[error("scope `{0}` cannot be given to a personal access token")]
    Scope(Scope),
    /// Not one of the offered expirations.
    #[error("Choose an expiration: 7, 30 or 90 days, a year, or none")]
    Expiration,
    /// The user holds [`MAX_TOKENS_PER_USER`] already.
    #[error("You have {MAX_TOKENS_PER_USER} tokens already; revoke one first")]
    TooMany,
}

/// A token as its owner asked for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalTokenRequest {
    /// What it is for (trimmed).
    pub description: String,
    /// What it may do.
    pub scopes: ScopeSet,
    /// How long it lives.
    pub expiration: Expiration,
}

impl PersonalTokenRequest {
    /// Checks what the form sent: the description, the scopes ticked, the
    /// expiration's value.
    pub fn parse(description: &str, scopes: ScopeSet, expiration: &str) -> Result<Self, PersonalTokenError> {
        let description = description.trim();
        let fits = (1..=MAX_DESCRIPTION_CHARS).contains(&description.chars().count());
        if !fits || description.chars().any(char::is_control) {
            return Err(PersonalTokenError::Description);
        }
        if let Some(scope) = scopes.iter().find(|&s| !grantable(s)) {
            return Err(PersonalTokenError::Scope(scope));
        }
        if scopes.is_empty() {
            return Err(PersonalTokenError::NoScopes);
        }
        let expiration = Expiration::parse(expiration).ok_or(PersonalTokenError::Expiration)?;
        Ok(PersonalTokenRequest { description: description.to_owned(), scopes, expiration })
    }
}

/// A token to store: only the hash of its clear text.
#[derive(Debug, Clone)]
pub struct NewPersonalToken {
    /// SHA-256 of the clear text.
    pub hash: SecretHash,
    /// Its owner.
    pub user_id: UserId,
    /// What it is for.
    pub description: String,
    /// What it may do.
    pub scopes: ScopeSet,
    /// `None`: never.
    pub expires_at: Option<UnixTime>,
}

/// A token as stored (never its clear text, nor its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalToken {
    /// Its id.
    pub id: PersonalTokenId,
    /// Its owner.
    pub user_id: UserId,
    /// What it is for.
    pub description: String,
    /// What it may do.
    pub scopes: ScopeSet,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it stops working (`None`: never).
    pub expires_at: Option<UnixTime>,
    /// Its last use as recorded (at most a minute behind).
    pub last_used_at: Option<UnixTime>,
}

impl PersonalToken {
    /// Whether it still works at `now`.
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.expires_at.is_none_or(|expires_at| now < expires_at)
    }

    /// Whether a use at `now` should be written: never recorded, or the
    /// record is [`USE_EVERY`] seconds old.
    pub fn use_is_due(&self, now: UnixTime) -> bool {
        self.last_used_at.is_none_or(|last| now - last >= USE_EVERY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = 1_795_000_000;

    fn scopes(raw: &str) -> ScopeSet {
        ScopeSet::parse(raw).unwrap()
    }

    #[test]
    fn expirations_are_the_forms_five_choices() {
        let got: Vec<_> =
            Expiration::ALL.iter().map(|e| (e.as_str(), e.expires_at(NOW).map(|t| (t - NOW) / 86_400))).collect();
        assert_eq!(got, [("7", Some(7)), ("30", Some(30)), ("90", Some(90)), ("365", Some(365)), ("none", None)]);
        for bad in ["", "8", "never", "-1", "36500"] {
            assert_eq!(Expiration::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_request_needs_a_description_a_platform_scope_and_an_offered_expiration() {
        let ok = PersonalTokenRequest::parse("  CI deploys ", scopes("projects user_info"), "90").unwrap();
        assert_eq!((ok.description.as_str(), ok.expiration), ("CI deploys", Expiration::Quarter));
        let cases = [
            ("", "user_info", "30", PersonalTokenError::Description),
            ("a\nb", "user_info", "30", PersonalTokenError::Description),
            (&"x".repeat(MAX_DESCRIPTION_CHARS + 1), "user_info", "30", PersonalTokenError::Description),
            ("CI", "", "30", PersonalTokenError::NoScopes),
            ("CI", "user_info openid", "30", PersonalTokenError::Scope(Scope::OpenId)),
            ("CI", "email", "30", PersonalTokenError::Scope(Scope::Email)),
            ("CI", "user_info", "forever", PersonalTokenError::Expiration),
        ];
        for (description, granted, expiration, expected) in cases {
            let got = PersonalTokenRequest::parse(description, scopes(granted), expiration);
            assert_eq!(got, Err(expected), "{description:?} {granted:?} {expiration:?}");
        }
    }

    #[test]
    fn a_token_works_until_its_expiry_and_records_use_at_most_once_a_minute() {
        let token = PersonalToken {
            id: PersonalTokenId(1),
            user_id: UserId(1),
            description: "CI".into(),
            scopes: scopes("user_info"),
            created_at: NOW,
            expires_at: Some(NOW + 10),
            last_used_at: None,
        };
        assert!(token.is_active(NOW + 9) && !token.is_active(NOW + 10));
        assert!(PersonalToken { expires_at: None, ..token.clone() }.is_active(NOW + 100 * 365 * 86_400));
        assert!(token.use_is_due(NOW), "never recorded");
        let used = PersonalToken { last_used_at: Some(NOW), ..token };
        assert!(!used.use_is_due(NOW + USE_EVERY - 1) && used.use_is_due(NOW + USE_EVERY));
    }

    #[test]
    fn only_the_prefix_marks_a_personal_token() {
        assert!(is_personal("gpt_abc"));
        assert!(!is_personal("gat_abc") && !is_personal("GPT_abc") && !is_personal(""));
    }
}
