//! Two-factor authentication's statements (migrations `0011_two_factor.sql`):
//! the authenticator of each user, the recovery codes, and sign-ins waiting
//! for their second factor. `sql.rs` implements the `Store` methods with
//! these, so that file does not grow by another concern. Every single-use
//! step (a TOTP time step, a recovery code, a challenge) is spent by one
//! statement whose `WHERE` says it is unspent: of two concurrent attempts,
//! on any instance, exactly one changes the row.

use sqlx::FromRow;

use super::pool::{Pool, Tx, on_pool, on_tx};
use super::writer::{TxFuture, Writer};
use super::{StoreError, StoreResult, TwoFactorChallenge, TwoFactorRecord};
use crate::clock::UnixTime;
use crate::domain::oidc::{KeyMaterial, KeyProtection};
use crate::domain::security_event::SecurityEvent;
use crate::domain::token::SecretHash;
use crate::domain::user::UserId;

fn boxed<'t, T>(work: impl std::future::Future<Output = sqlx::Result<T>> + Send + 't) -> TxFuture<'t, T> {
    Box::pin(work)
}

#[derive(FromRow)]
struct TwoFactorRow {
    secret: Vec<u8>,
    protection: String,
    created_at: i64,
    enabled_at: Option<i64>,
    last_used_step: i64,
}

impl TwoFactorRow {
    fn into_record(self) -> StoreResult<TwoFactorRecord> {
        let protection = KeyProtection::parse(&self.protection)
            .ok_or_else(|| StoreError::Internal(format!("unknown protection {:?}", self.protection).into()))?;
        Ok(TwoFactorRecord {
            secret: KeyMaterial(self.secret),
            protection,
            created_at: self.created_at,
            enabled_at: self.enabled_at,
            last_used_step: self.last_used_step,
        })
    }
}

/// The user's authenticator, set up or only begun.
pub(super) async fn find(pool: &Pool, user_id: UserId) -> StoreResult<Option<TwoFactorRecord>> {
    let row: Option<TwoFactorRow> = on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT secret, protection, created_at, enabled_at, last_used_step FROM two_factor WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await?
    });
    row.map(TwoFactorRow::into_record).transpose()
}

/// Stores a new secret awaiting confirmation, replacing a previous
/// unconfirmed one; `false` (nothing written) when two-factor is on.
pub(super) async fn begin_setup(
    writer: &Writer,
    user_id: UserId,
    secret: &KeyMaterial,
    protection: KeyProtection,
    now: UnixTime,
) -> StoreResult<bool> {
    let args = (secret.0.clone(), protection.as_str());
    let written = writer.write(args, move |(secret, protection), tx| {
        boxed(async move {
            let written = on_tx!(tx, conn => {
                sqlx::query(
                    "INSERT INTO two_factor (user_id, secret, protection, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, protection = excluded.protection, \
                     created_at = excluded.created_at, last_used_step = -1 WHERE two_factor.enabled_at IS NULL",
                )
                .bind(user_id)
                .bind(secret)
                .bind(*protection)
                .bind(now)
                .execute(conn)
                .await?
                .rows_affected()
            });
            Ok(written == 1)
        })
    });
    written.await
}

/// What turning two-factor on writes.
pub(super) struct Enable {
    pub(super) user_id: UserId,
    /// The secret as stored: only this setup is turned on, never one that
    /// another tab put in its place meanwhile.
    pub(super) secret: KeyMaterial,
    /// The step of the code that confirmed it (spent).
    pub(super) step: i64,
    pub(super) recovery_codes: Vec<SecretHash>,
    pub(super) event: SecurityEvent,
}

/// Turns the pending setup on with its recovery codes and the event, in one
/// transaction; `false` if that setup is gone or already on.
pub(super) async fn enable(writer: &Writer, enable: Enable, now: UnixTime) -> StoreResult<bool> {
    let enabled = writer.write(enable, move |enable, tx| {
        boxed(async move {
            let changed = on_tx!(&mut *tx, conn => {
                sqlx::query(
                    "UPDATE two_factor SET enabled_at = $1, last_used_step = $2 \
                     WHERE user_id = $3 AND enabled_at IS NULL AND secret = $4",
                )
                .bind(now)
                .bind(enable.step)
                .bind(enable.user_id)
                .bind(&enable.secret.0)
                .execute(conn)
                .await?
                .rows_affected()
            });
            if changed == 0 {
                return Ok(false);
            }
            replace_recovery_codes(tx, enable.user_id, &enable.recovery_codes).await?;
            tx.record_events(std::slice::from_ref(&enable.event), now).await?;
            Ok(true)
        })
    });
    enabled.await
}

async fn replace_recovery_codes(tx: &mut Tx, user_id: UserId, codes: &[SecretHash]) -> sqlx::Result<()> {
    on_tx!(&mut *tx, conn => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(conn).await?;
    });
    for code in codes {
        on_tx!(&mut *tx, conn => {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(code)
                .execute(conn)
                .await?;
        });
    }
    Ok(())
}

/// Turns two-factor off: the secret and the recovery codes go, the event is
/// recorded; `false` if it was not on.
pub(super) async fn disable(
    writer: &Writer,
    user_id: UserId,
    event: &SecurityEvent,
    now: UnixTime,
) -> StoreResult<bool> {
    let disabled = writer.write(event.clone(), move |event, tx| {
        boxed(async move {
            let deleted = on_tx!(&mut *tx, conn => {
                sqlx::query("DELETE FROM two_factor WHERE user_id = $1 AND enabled_at IS NOT NULL")
                    .bind(user_id)
                    .execute(conn)
                    .await?
                    .rows_affected()
            });
            if deleted == 0 {
                return Ok(false);
            }
            replace_recovery_codes(tx, user_id, &[]).await?;
            tx.record_events(std::slice::from_ref(event), now).await?;
            Ok(true)
        })
    });
    disabled.await
}

/// Spends the TOTP time step `step`: `true` only if two-factor is on and no
/// code of this step or a later one was accepted before. The row lock makes
/// a concurrent spend of the same step wait, then find it spent.
pub(super) async fn spend_step(writer: &Writer, user_id: UserId, step: i64) -> StoreResult<bool> {
    let spent = writer.write((), move |(), tx| {
        boxed(async move {
            let changed = on_tx!(tx, conn => {
                sqlx::query(
                    "UPDATE two_factor SET last_used_step = $1 \
                     WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_used_step < $1",
                )
                .bind(step)
                .bind(user_id)
                .execute(conn)
                .await?
                .rows_affected()
            });
            Ok(changed == 1)
        })
    });
    spent.await
}

/// Spends a recovery code and records `event` with it; `false` if the user
/// has no such unused code.
pub(super) async fn spend_recovery_code(
    writer: &Writer,
    user_id: UserId,
    code: &SecretHash,
    event: &SecurityEvent,
    now: UnixTime,
) -> StoreResult<bool> {
    let spent = writer.write((*code, event.clone()), move |(code, event), tx| {
        boxed(async move {
            let changed = on_tx!(&mut *tx, conn => {
                sqlx::query(
                    "UPDATE recovery_codes SET used_at = $1 \
                     WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                )
                .bind(now)
                .bind(user_id)
                .bind(code)
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
    spent.await
}

/// How many of the user's recovery codes are unused.
pub(super) async fn count_recovery_codes(pool: &Pool, user_id: UserId) -> StoreResult<i64> {
    Ok(on_pool!(pool, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(pool)
            .await?
    }))
}

/// Parks a sign-in that awaits its second factor under the hash of its id.
pub(super) async fn insert_challenge(
    writer: &Writer,
    id: &SecretHash,
    challenge: &TwoFactorChallenge,
) -> StoreResult<()> {
    writer
        .write((*id, challenge.clone()), |(id, challenge), tx| {
            boxed(async move {
                on_tx!(tx, conn => {
                    sqlx::query(
                        "INSERT INTO two_factor_challenges (id_hash, user_id, return_to, expires_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(challenge.user_id)
                    .bind(&challenge.return_to)
                    .bind(challenge.expires_at)
                    .execute(conn)
                    .await?;
                });
                Ok(())
            })
        })
        .await
}

/// A live challenge by the hash of its id.
pub(super) async fn find_challenge(
    pool: &Pool,
    id: &SecretHash,
    now: UnixTime,
) -> StoreResult<Option<TwoFactorChallenge>> {
    let row: Option<(crate::domain::user::UserId, String, i64)> = on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT user_id, return_to, expires_at FROM two_factor_challenges WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(user_id, return_to, expires_at)| TwoFactorChallenge { user_id, return_to, expires_at }))
}

/// Removes a challenge once its sign-in is done; `false` if another request
/// (or the purge) took it first.
pub(super) async fn take_challenge(writer: &Writer, id: &SecretHash, now: UnixTime) -> StoreResult<bool> {
    let taken = writer.write(*id, move |id, tx| {
        boxed(async move {
            let deleted = on_tx!(tx, conn => {
                sqlx::query("DELETE FROM two_factor_challenges WHERE id_hash = $1 AND expires_at > $2")
                    .bind(id)
                    .bind(now)
                    .execute(conn)
                    .await?
                    .rows_affected()
            });
            Ok(deleted == 1)
        })
    });
    taken.await
}
