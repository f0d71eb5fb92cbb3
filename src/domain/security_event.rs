//! The account's security log (SPEC §7 "Security log"): what happened to an
//! account, when and from which address. Each event is written in the same
//! transaction as the change it records, so the log never shows a change
//! that did not happen, nor misses one that did.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::domain::user::UserId;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityEventKind {
    /// A sign-in with the right credentials.
    SignIn,
    /// A sign-in with a wrong password for this account.
    SignInFailed,
    /// The user signed out one of their other sessions.
    SessionRevoked,
    /// The user signed out every other session.
    OtherSessionsRevoked,
    /// The password was changed on the password page.
    PasswordChanged,
    /// Name, bio or website changed.
    ProfileUpdated,
    /// An email address was added.
    EmailAdded,
    /// An email address was verified.
    EmailVerified,
    /// An email address was removed.
    EmailRemoved,
    /// Another address became the primary one.
    PrimaryEmailChanged,
    /// A password-reset link was sent.
    PasswordResetRequested,
    /// The password was reset through a link.
    PasswordReset,
    /// Two-factor authentication was turned on.
    TwoFactorEnabled,
    /// Two-factor authentication was turned off.
    TwoFactorDisabled,
    /// A recovery code was used to sign in.
    RecoveryCodeUsed,
    /// A wrong two-factor code after the right password: someone knows it.
    TwoFactorFailed,
    /// A passkey was added.
    PasskeyAdded,
    /// A passkey was renamed.
    PasskeyRenamed,
    /// A passkey was removed.
    PasskeyRemoved,
    /// An application was authorized (consent given).
    ApplicationAuthorized,
    /// The user revoked an application's access.
    ApplicationRevoked,
    /// A personal access token was generated.
    PersonalTokenCreated,
    /// A personal access token was revoked.
    PersonalTokenRevoked,
    /// An administrator disabled the account (its sessions and tokens ended).
    AccountDisabled,
    /// An administrator enabled the account again.
    AccountEnabled,
    /// An administrator set a new password.
    PasswordSetByAdmin,
    /// An administrator turned two-factor authentication off.
    TwoFactorResetByAdmin,
    /// An administrator ended every session.
    SessionsEndedByAdmin,
    /// An administrator revoked every token (issued and personal).
    TokensRevokedByAdmin,
}

impl SecurityEventKind {
    /// Every kind, for the stored-name round trip.
    pub const ALL: [SecurityEventKind; 29] = [
        SecurityEventKind::SignIn,
        SecurityEventKind::SignInFailed,
        SecurityEventKind::SessionRevoked,
        SecurityEventKind::OtherSessionsRevoked,
        SecurityEventKind::PasswordChanged,
        SecurityEventKind::ProfileUpdated,
        SecurityEventKind::EmailAdded,
        SecurityEventKind::EmailVerified,
        SecurityEventKind::EmailRemoved,
        SecurityEventKind::PrimaryEmailChanged,
        SecurityEventKind::PasswordResetRequested,
        SecurityEventKind::PasswordReset,
        SecurityEventKind::TwoFactorEnabled,
        SecurityEventKind::TwoFactorDisabled,
        SecurityEventKind::RecoveryCodeUsed,
        SecurityEventKind::TwoFactorFailed,
        SecurityEventKind::PasskeyAdded,
        SecurityEventKind::PasskeyRenamed,
        SecurityEventKind::PasskeyRemoved,
        SecurityEventKind::ApplicationAuthorized,
        SecurityEventKind::ApplicationRevoked,
        SecurityEventKind::PersonalTokenCreated,
        SecurityEventKind::PersonalTokenRevoked,
        SecurityEventKind::AccountDisabled,
        SecurityEventKind::AccountEnabled,
        SecurityEventKind::PasswordSetByAdmin,
        SecurityEventKind::TwoFactorResetByAdmin,
        SecurityEventKind::SessionsEndedByAdmin,
        SecurityEventKind::TokensRevokedByAdmin,
    ];

    /// The stored name (`security_events.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityEventKind::SignIn => "sign_in",
            SecurityEventKind::SignInFailed => "sign_in_failed",
            SecurityEventKind::SessionRevoked => "session_revoked",
            SecurityEventKind::OtherSessionsRevoked => "other_sessions_revoked",
            SecurityEventKind::PasswordChanged => "password_changed",
            SecurityEventKind::ProfileUpdated => "profile_updated",
            SecurityEventKind::EmailAdded => "email_added",
            SecurityEventKind::EmailVerified => "email_verified",
            SecurityEventKind::EmailRemoved => "email_removed",
            SecurityEventKind::PrimaryEmailChanged => "primary_email_changed",
            SecurityEventKind::PasswordResetRequested => "password_reset_requested",
            SecurityEventKind::PasswordReset => "password_reset",
            SecurityEventKind::TwoFactorEnabled => "two_factor_enabled",
            SecurityEventKind::TwoFactorDisabled => "two_factor_disabled",
            SecurityEventKind::RecoveryCodeUsed => "recovery_code_used",
            SecurityEventKind::TwoFactorFailed => "two_factor_failed",
            SecurityEventKind::PasskeyAdded => "passkey_added",
            SecurityEventKind::PasskeyRenamed => "passkey_renamed",
            SecurityEventKind::PasskeyRemoved => "passkey_removed",
            SecurityEventKind::ApplicationAuthorized => "application_authorized",
            SecurityEventKind::ApplicationRevoked => "application_revoked",
            SecurityEventKind::PersonalTokenCreated => "personal_token_created",
            SecurityEventKind::PersonalTokenRevoked => "personal_token_revoked",
            SecurityEventKind::AccountDisabled => "account_disabled",
            SecurityEventKind::AccountEnabled => "account_enabled",
            SecurityEventKind::PasswordSetByAdmin => "password_set_by_admin",
            SecurityEventKind::TwoFactorResetByAdmin => "two_factor_reset_by_admin",
            SecurityEventKind::SessionsEndedByAdmin => "sessions_ended_by_admin",
            SecurityEventKind::TokensRevokedByAdmin => "tokens_revoked_by_admin",
        }
    }

    /// Reads a stored name back.
    pub fn parse(name: &str) -> Option<SecurityEventKind> {
        SecurityEventKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// An event to record, with the change it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Whose account.
    pub user_id: UserId,
    /// What happened.
    pub kind: SecurityEventKind,
    /// The address the request came from (`None`: the command line).
    pub ip: Option<IpAddr>,
    /// What it concerns, shown beside it: an application's name, an email
    /// address, a passkey's name. Never a secret.
    pub detail: String,
}

impl SecurityEvent {
    /// An event without detail.
    pub fn new(user_id: UserId, kind: SecurityEventKind, ip: Option<IpAddr>) -> SecurityEvent {
        SecurityEvent { user_id, kind, ip, detail: String::new() }
    }

    /// The same event about `detail`.
    #[must_use]
    pub fn about(self, detail: impl Into<String>) -> SecurityEvent {
        SecurityEvent { detail: detail.into(), ..self }
    }
}

/// An event as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEventRecord {
    /// What happened.
    pub kind: SecurityEventKind,
    /// From where, as text (empty: the command line).
    pub ip: String,
    /// What it concerns.
    pub detail: String,
    /// When.
    pub created_at: UnixTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
        }
        let names: std::collections::HashSet<_> = SecurityEventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), SecurityEventKind::ALL.len(), "names are distinct");
        assert_eq!(SecurityEventKind::parse("nonsense"), None);
    }
}
