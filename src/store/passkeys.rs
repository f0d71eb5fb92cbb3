//! Passkeys' statements (migration `0012_passkeys.sql`): the registered
//! credentials and the ceremonies awaiting the browser's answer. `sql.rs`
//! implements the `Store` methods with these. A ceremony is taken by one
//! `DELETE … RETURNING`: of two answers to one challenge, on any instance,
//! exactly one finds it.

use sqlx::FromRow;

use super::pool::{Pool, on_pool, on_tx};
use super::writer::{TxFuture, Writer};
use super::{NewPasskey, PasskeyCeremony, PasskeyRecord, StoreError, StoreResult};
use crate::clock::UnixTime;
use crate::domain::passkey::{CeremonyKind, PasskeyId};
use crate::domain::security_event::SecurityEvent;
use crate::domain::token::SecretHash;
use crate::domain::user::UserId;

fn boxed<'t, T>(work: impl std::future::Future<Output = sqlx::Result<T>> + Send + 't) -> TxFuture<'t, T> {
    Box::pin(work)
}

const COLUMNS: &str = "id, user_id, credential_id, user_handle, name, passkey, created_at, last_used_at";

#[derive(FromRow)]
struct PasskeyRow {
    id: i64,
    user_id: UserId,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    name: String,
    passkey: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<PasskeyRow> for PasskeyRecord {
    fn from(row: PasskeyRow) -> PasskeyRecord {
        PasskeyRecord {
            id: PasskeyId(row.id),
            user_id: row.user_id,
            credential_id: row.credential_id,
            user_handle: row.user_handle,
            name: row.name,
            passkey: row.passkey,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// The user's passkeys, oldest first.
pub(super) async fn list(pool: &Pool, user_id: UserId) -> StoreResult<Vec<PasskeyRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY id");
    let rows: Vec<PasskeyRow> = on_pool!(pool, pool => {
        sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(PasskeyRecord::from).collect())
}

/// The passkey with this credential id, whoever's it is, unless its
/// account is disabled: a disabled account's passkey signs in no more than
/// its password does (checked in this one read, like every sign-in lookup).
pub(super) async fn find_by_credential(pool: &Pool, credential_id: &[u8]) -> StoreResult<Option<PasskeyRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1 \
         AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL)"
    );
    let row: Option<PasskeyRow> = on_pool!(pool, pool => {
        sqlx::query_as(&sql).bind(credential_id).fetch_optional(pool).await?
    });
    Ok(row.map(PasskeyRecord::from))
}

/// Stores a new passkey with its event; `Conflict` when its credential is
/// registered already (to this account or another).
pub(super) async fn insert(writer: &Writer, new: NewPasskey, event: SecurityEvent) -> StoreResult<PasskeyId> {
    let inserted = writer.write((new, event), |(new, event), tx| {
        boxed(async move {
            let id: Option<i64> = on_tx!(&mut *tx, conn => {
                sqlx::query_scalar(
                    "INSERT INTO passkeys (user_id, credential_id, user_handle, name, passkey, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (credential_id) DO NOTHING RETURNING id",
                )
                .bind(new.user_id)
                .bind(&new.credential_id)
                .bind(&new.user_handle)
                .bind(&new.name)
                .bind(&new.passkey)
                .bind(new.created_at)
                .fetch_optional(conn)
                .await?
            });
            if id.is_some() {
                tx.record_events(std::slice::from_ref(event), new.created_at).await?;
            }
            Ok(id)
        })
    });
    inserted.await?.map(PasskeyId).ok_or(StoreError::Conflict { constraint: "passkeys_credential_id_key" })
}

/// Renames the user's passkey with its event; `false` if the user has no
/// such passkey.
pub(super) async fn rename(
    writer: &Writer,
    (id, user_id): (PasskeyId, UserId),
    name: &str,
    event: &SecurityEvent,
    now: UnixTime,
) -> StoreResult<bool> {
    let renamed = writer.write((name.to_owned(), event.clone()), move |(name, event), tx| {
        boxed(async move {
            let changed = on_tx!(&mut *tx, conn => {
                sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3")
                    .bind(&*name)
                    .bind(id)
                    .bind(user_id)
                    .execute(conn)
                    .await?
                    .rows_affected()
            });
            if changed == 1 {
                tx.record_events(std::slice::from_ref(event), now).await?;
            }
            Ok(changed == 1)
        })
    });
    renamed.await
}

/// Removes the user's passkey with its event (the event names it: the
/// caller builds it from the name this statement returns); `None` if the
/// user has no such passkey.
pub(super) async fn remove(
    writer: &Writer,
    (id, user_id): (PasskeyId, UserId),
    event: &SecurityEvent,
    now: UnixTime,
) -> StoreResult<Option<String>> {
    let removed = writer.write(event.clone(), move |event, tx| {
        boxed(async move {
            let name: Option<String> = on_tx!(&mut *tx, conn => {
                sqlx::query_scalar("DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name")
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(conn)
                    .await?
            });
            if let Some(name) = &name {
                let event = event.clone().about(name.clone());
                tx.record_events(std::slice::from_ref(&event), now).await?;
            }
            Ok(name)
        })
    });
    removed.await
}

/// After a sign-in with it: the updated passkey (its counter) and the time;
/// `false` if it was removed meanwhile.
pub(super) async fn record_use(writer: &Writer, id: PasskeyId, passkey: &str, now: UnixTime) -> StoreResult<bool> {
    let used = writer.write(passkey.to_owned(), move |passkey, tx| {
        boxed(async move {
            let changed = on_tx!(tx, conn => {
                sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3")
                    .bind(&*passkey)
                    .bind(now)
                    .bind(id)
                    .execute(conn)
                    .await?
                    .rows_affected()
            });
            Ok(changed == 1)
        })
    });
    used.await
}

/// Parks a ceremony's state under the hash of its id.
pub(super) async fn insert_ceremony(writer: &Writer, id: &SecretHash, ceremony: PasskeyCeremony) -> StoreResult<()> {
    writer
        .write((*id, ceremony), |(id, ceremony), tx| {
            boxed(async move {
                on_tx!(tx, conn => {
                    sqlx::query(
                        "INSERT INTO passkey_ceremonies (id_hash, kind, user_id, state, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(*id)
                    .bind(ceremony.kind.as_str())
                    .bind(ceremony.user_id)
                    .bind(&ceremony.state)
                    .bind(ceremony.expires_at)
                    .execute(conn)
                    .await?;
                });
                Ok(())
            })
        })
        .await
}

/// Takes (deletes and returns) a live ceremony of `kind`; `None` when there
/// is none: never begun, of the other kind, lapsed or already answered.
pub(super) async fn take_ceremony(
    writer: &Writer,
    id: &SecretHash,
    kind: CeremonyKind,
    now: UnixTime,
) -> StoreResult<Option<PasskeyCeremony>> {
    let taken = writer.write(*id, move |id, tx| {
        boxed(async move {
            let row: Option<(Option<UserId>, String, i64)> = on_tx!(tx, conn => {
                sqlx::query_as(
                    "DELETE FROM passkey_ceremonies WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 \
                     RETURNING user_id, state, expires_at",
                )
                .bind(*id)
                .bind(kind.as_str())
                .bind(now)
                .fetch_optional(conn)
                .await?
            });
            Ok(row.map(|(user_id, state, expires_at)| PasskeyCeremony { kind, user_id, state, expires_at }))
        })
    });
    taken.await
}
