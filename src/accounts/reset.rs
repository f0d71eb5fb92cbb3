//! Password reset by mail (SPEC §7 "Password reset"). A request names an
//! address; the answer is the same whether an account has it or not, and
//! takes the same time: the request path only counts the attempt against
//! the throttle (per typed address and per client address, which say
//! nothing about accounts), and everything that depends on the account —
//! the lookup, the link, the mail — runs in the background (`prepare`).
//! An account gets at most a few live reset links at once, however many
//! addresses it has. The link works once, for an hour; using it sets the
//! new password, ends every session of the account and spends its other
//! reset links.

use std::net::IpAddr;

use crate::accounts::emails::{self, EmailError, LinkToSend};
use crate::accounts::throttle::{self, Admitted, Attempt};
use crate::accounts::{AccountError, PasswordHasher};
use crate::clock::{Clock, UnixTime};
use crate::domain::email::{LinkError, LinkPurpose};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::throttle::Outcome;
use crate::domain::user::{AccountFieldError, Email, Password, User, UserId};
use crate::store::{Store, StoreError};

/// Counts a reset request for `email` (as typed) from `ip` against the
/// throttle: refused while either key is locked. Every request counts, as
/// a failed sign-in does, whether an account has the address or not.
pub async fn admit(store: &dyn Store, clock: &dyn Clock, email: &str, ip: IpAddr) -> Result<(), AccountError> {
    let attempt = Attempt::password_reset(email, ip);
    match throttle::admit(store, &attempt, clock).await? {
        Admitted::Yes => {}
        Admitted::Locked(retry_after) => return Err(AccountError::Throttled { retry_after }),
        Admitted::Busy => return Err(AccountError::Throttled { retry_after: 1 }),
    }
    throttle::settle(store, &attempt, clock.now(), Outcome::Failed).await?;
    Ok(())
}

/// The link to mail for a reset request for `email`, if an account has the
/// address (as its primary address, or a verified one) and has not too
/// many live reset links already. Recorded in the account's security log.
pub async fn prepare(
    store: &dyn Store,
    email: &str,
    now: UnixTime,
    ip: IpAddr,
) -> Result<Option<(User, LinkToSend)>, StoreError> {
    let Ok(email) = Email::parse(email) else { return Ok(None) };
    let Some(user) = store.find_reset_account(email.as_str()).await? else { return Ok(None) };
    let (link, record) = emails::new_link(LinkPurpose::Reset, user.id, email.as_str(), now);
    let event = SecurityEvent::new(user.id, SecurityEventKind::PasswordResetRequested, Some(ip)).about(email.as_str());
    let stored = store.insert_email_link(&record, Some(&event)).await?;
    Ok(stored.then_some((user, link)))
}

/// Why a reset was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The new password breaks the length rule.
    #[error(transparent)]
    Password(AccountFieldError),
    /// The link does not work.
    #[error(transparent)]
    Link(LinkError),
    /// Hashing or storage failed.
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<EmailError> for ResetError {
    fn from(error: EmailError) -> Self {
        match error {
            EmailError::Link(link) => ResetError::Link(link),
            EmailError::Store(store) => ResetError::Account(AccountError::Store(store)),
            // `check_link` fails in no other way.
            _ => ResetError::Link(LinkError::Unknown),
        }
    }
}

/// Sets `new_password` through the reset link `token`: the account's
/// sessions end. The account's id.
pub async fn reset(
    store: &dyn Store,
    hasher: &PasswordHasher,
    token: &str,
    new_password: &str,
    now: UnixTime,
    ip: IpAddr,
) -> Result<UserId, ResetError> {
    let (hash, link) = emails::check_link(store, token, LinkPurpose::Reset, now).await?;
    let password = Password::parse_new(new_password).map_err(ResetError::Password)?;
    let password_hash = hasher.hash(password).await.map_err(AccountError::from)?;
    let event = SecurityEvent::new(link.user_id, SecurityEventKind::PasswordReset, Some(ip)).about(&link.email);
    let reset = store.reset_password(&hash, &password_hash, now, &event).await.map_err(AccountError::from)?;
    if reset { Ok(link.user_id) } else { Err(ResetError::Link(LinkError::Used)) }
}
