//! Changing a profile (SPEC §7 "Profile"): the settings page and
//! `PATCH /api/v5/user` share this rule.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::domain::profile::{ProfileChange, ProfileError};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::user::User;
use crate::store::{Store, StoreError};

/// Why a profile was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileUpdateError {
    /// Fields that failed their rules, in field order.
    #[error("invalid profile fields")]
    Invalid(Vec<ProfileError>),
    /// The account is gone (deleted meanwhile).
    #[error("no such account")]
    NoUser,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies `change` to `user`'s profile: every given field is checked; a
/// change that alters nothing writes nothing and logs nothing.
pub async fn update(
    store: &dyn Store,
    user: &User,
    change: &ProfileChange,
    now: UnixTime,
    address: Option<IpAddr>,
) -> Result<User, ProfileUpdateError> {
    let change = change.validate().map_err(ProfileUpdateError::Invalid)?;
    if !change.alters(user) {
        return Ok(user.clone());
    }
    let event = SecurityEvent::new(user.id, SecurityEventKind::ProfileUpdated, address);
    store.update_profile(user.id, &change, now, &event).await?.ok_or(ProfileUpdateError::NoUser)
}
