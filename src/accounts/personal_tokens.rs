//! Generating and revoking personal access tokens (SPEC §7). The clear text
//! is handed back once; only its hash is stored.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::domain::personal_token::{NewPersonalToken, PersonalToken, PersonalTokenId, PersonalTokenRequest};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::{PlainSecret, SecretKind};
use crate::domain::user::UserId;
use crate::store::{Store, StoreError};

/// A token just made: its clear text (to show once) and its record.
#[derive(Debug)]
pub struct Generated {
    /// `gpt_…`, never stored.
    pub secret: PlainSecret,
    /// What was stored.
    pub token: PersonalToken,
}

/// Makes a token for `user_id`; `None` when they hold the most allowed.
pub async fn generate(
    store: &dyn Store,
    user_id: UserId,
    request: PersonalTokenRequest,
    now: UnixTime,
    address: IpAddr,
) -> Result<Option<Generated>, StoreError> {
    let secret = PlainSecret::generate(SecretKind::PersonalToken);
    let new = NewPersonalToken {
        hash: secret.hash(),
        user_id,
        expires_at: request.expiration.expires_at(now),
        scopes: request.scopes,
        description: request.description,
    };
    let event = SecurityEvent::new(user_id, SecurityEventKind::PersonalTokenCreated, Some(address))
        .about(new.description.clone());
    let token = store.insert_personal_token(&new, now, &event).await?;
    Ok(token.map(|token| Generated { secret, token }))
}

/// Revokes `user_id`'s token `id`; `false` if they have no such token.
pub async fn revoke(
    store: &dyn Store,
    user_id: UserId,
    id: PersonalTokenId,
    now: UnixTime,
    address: IpAddr,
) -> Result<bool, StoreError> {
    let event = SecurityEvent::new(user_id, SecurityEventKind::PersonalTokenRevoked, Some(address));
    store.revoke_personal_token(user_id, id, now, &event).await
}
