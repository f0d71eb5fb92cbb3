//! What a signed-in user confirms with their password: changing it (SPEC
//! §7 "Password": other sessions end, this one stays, tokens stay) and
//! deleting the account. The password is checked like a sign-in, under the
//! same throttle, so a stolen session cannot guess it faster than the
//! sign-in form could; a wrong one is a failed sign-in in the security log.

use std::net::IpAddr;
use std::sync::Arc;

use crate::accounts::{self, AccountError, PasswordHasher};
use crate::clock::Clock;
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::SecretHash;
use crate::domain::user::{Password, User};
use crate::store::Store;

/// A password presented to confirm an action on `user`'s account.
#[derive(Debug, Clone, Copy)]
pub struct Confirmation<'a> {
    /// The signed-in user.
    pub user: &'a User,
    /// The password as typed.
    pub password: &'a str,
    /// The client's address (for the throttle and the log).
    pub address: IpAddr,
}

/// Checks the password, throttled per account and address like a sign-in.
pub async fn confirm(
    store: &Arc<dyn Store>,
    hasher: &PasswordHasher,
    clock: &Arc<dyn Clock>,
    confirmation: Confirmation<'_>,
) -> Result<(), AccountError> {
    let Confirmation { user, password, address } = confirmation;
    let signed_in = accounts::sign_in(store, hasher, clock, &user.email, password, address).await?;
    // One address, one account: only a concurrent change of the address
    // could name another account, and then this one's password was not checked.
    if signed_in.id == user.id { Ok(()) } else { Err(AccountError::InvalidCredentials) }
}

/// Changes the password once the current one is confirmed: the new one
/// must keep the sign-up rule; every session but `keep` ends. Returns how
/// many sessions ended.
pub async fn change_password(
    store: &Arc<dyn Store>,
    hasher: &PasswordHasher,
    clock: &Arc<dyn Clock>,
    current: Confirmation<'_>,
    new_password: &str,
    keep: &SecretHash,
) -> Result<u64, AccountError> {
    // The rule first: a typo in the new password costs no throttle budget.
    let new_password = Password::parse_new(new_password)?;
    confirm(store, hasher, clock, current).await?;
    let hash = hasher.hash(new_password).await?;
    let user_id = current.user.id;
    let event = SecurityEvent::new(user_id, SecurityEventKind::PasswordChanged, Some(current.address));
    store.change_password(user_id, &hash, keep, clock.now(), &event).await?.ok_or(AccountError::InvalidCredentials)
}

/// Deletes the account once its password is confirmed, with everything it
/// holds (`Store::delete_user`).
pub async fn delete_account(
    store: &Arc<dyn Store>,
    hasher: &PasswordHasher,
    clock: &Arc<dyn Clock>,
    confirmation: Confirmation<'_>,
) -> Result<(), AccountError> {
    confirm(store, hasher, clock, confirmation).await?;
    store.delete_user(confirmation.user.id).await?;
    Ok(())
}
