//! The device authorization grant's rows (RFC 8628; `migrations/*/0007_device.sql`):
//! the records the protocol reads and writes, and their statements, each
//! written once for both databases like those of `sql.rs`, which delegates
//! its `Store` methods here.
//!
//! A poll of a pending code is one indexed read (`find`); it writes only
//! when its pace changes (`update_pace`), so waiting devices do not queue
//! at the writer. Spending the code is one conditional `UPDATE` in the
//! transaction that writes the tokens, so of any number of concurrent polls
//! exactly one wins them.

use std::net::IpAddr;

use sqlx::FromRow;

use super::pool::{Pool, on_pool, on_tx};
use super::rows::{authentication, parse_scopes};
use super::sql::{auth_columns, boxed, save_grant_in, write_tokens};
use super::writer::Writer;
use super::{NewTokens, StoreResult};
use crate::clock::UnixTime;
use crate::domain::client::ClientPk;
use crate::domain::device::Pace;
use crate::domain::oidc::Authentication;
use crate::domain::scope::ScopeSet;
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::SecretHash;
use crate::domain::user::UserId;

/// A device authorization to store (RFC 8628 §3.2).
#[derive(Debug, Clone)]
pub struct NewDeviceAuthorization {
    /// Hash of the device code.
    pub device_code: SecretHash,
    /// Hash of the user code's canonical form.
    pub user_code: SecretHash,
    /// The client that asked.
    pub client_pk: ClientPk,
    /// The scopes the user will be asked for.
    pub scopes: ScopeSet,
    /// Now.
    pub created_at: UnixTime,
    /// When both codes stop working.
    pub expires_at: UnixTime,
    /// The polling interval the device was told.
    pub interval: i64,
}

/// Where a device authorization stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    /// The user has not answered yet.
    Pending,
    /// The user approved; the tokens act for them.
    Approved {
        /// Who approved.
        user_id: UserId,
        /// How and when they had signed in (for the ID token).
        auth: Authentication,
    },
    /// The user denied.
    Denied,
}

/// A device authorization as a poll reads it.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    /// The client it was issued to.
    pub client_pk: ClientPk,
    /// The scopes asked for (and, once approved, granted).
    pub scopes: ScopeSet,
    /// When it stops working.
    pub expires_at: UnixTime,
    /// The polling pace.
    pub pace: Pace,
    /// The user's answer, if any.
    pub state: DeviceState,
    /// Whether a poll has already received its tokens.
    pub used: bool,
}

/// What a user is asked about: the request a user code names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRequest {
    /// The client that asks.
    pub client_pk: ClientPk,
    /// The scopes it asks for.
    pub scopes: ScopeSet,
}

/// A signed-in user's answer to a device request.
#[derive(Debug, Clone)]
pub struct DeviceAnswer {
    /// Who answers.
    pub user_id: UserId,
    /// Authorize (`true`) or Deny.
    pub approved: bool,
    /// How and when they signed in.
    pub auth: Authentication,
    /// Their address, for the security log.
    pub ip: IpAddr,
}

#[derive(FromRow)]
struct DeviceRow {
    client_pk: ClientPk,
    scopes: String,
    expires_at: i64,
    interval_secs: i64,
    polled_at: i64,
    slowed_at: i64,
    decision: Option<String>,
    user_id: Option<UserId>,
    auth_time: Option<i64>,
    amr: Option<String>,
    used_at: Option<i64>,
}

impl DeviceRow {
    fn into_record(self) -> DeviceRecord {
        let auth = authentication(self.auth_time, self.amr.as_deref());
        // The schema's CHECK admits only these; an approval whose user or
        // sign-in is missing reads as denied, never as a grant to nobody.
        let state = match (self.decision.as_deref(), self.user_id, auth) {
            (None, _, _) => DeviceState::Pending,
            (Some("approved"), Some(user_id), Some(auth)) => DeviceState::Approved { user_id, auth },
            _ => DeviceState::Denied,
        };
        DeviceRecord {
            client_pk: self.client_pk,
            scopes: parse_scopes(&self.scopes),
            expires_at: self.expires_at,
            pace: Pace { interval: self.interval_secs, polled_at: self.polled_at, slowed_at: self.slowed_at },
            state,
            used: self.used_at.is_some(),
        }
    }
}

#[derive(FromRow)]
struct RequestRow {
    client_pk: ClientPk,
    scopes: String,
}

impl RequestRow {
    fn into_request(self) -> DeviceRequest {
        DeviceRequest { client_pk: self.client_pk, scopes: parse_scopes(&self.scopes) }
    }
}

/// Stores a new device authorization. Guarded: a user code that collides
/// fails this write alone (`Conflict` on `device_codes_user_code_key`), and
/// the caller draws another.
pub(super) async fn insert(writer: &Writer, new: &NewDeviceAuthorization) -> StoreResult<()> {
    writer
        .write_guarded(new.clone(), |new, tx| {
            boxed(async move {
                on_tx!(tx, conn => {
                    sqlx::query(
                        "INSERT INTO device_codes (device_code_hash, user_code_hash, client_pk, scopes, created_at, \
                         expires_at, interval_secs) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(new.device_code)
                    .bind(new.user_code)
                    .bind(new.client_pk)
                    .bind(&new.scopes)
                    .bind(new.created_at)
                    .bind(new.expires_at)
                    .bind(new.interval)
                    .execute(conn).await.map(|done| done.rows_affected())
                })
            })
        })
        .await?;
    Ok(())
}

/// A device authorization by the hash of its device code: a poll's one read.
pub(super) async fn find(pool: &Pool, device_code: &SecretHash) -> StoreResult<Option<DeviceRecord>> {
    let row: Option<DeviceRow> = on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT client_pk, scopes, expires_at, interval_secs, polled_at, slowed_at, decision, user_id, \
             auth_time, amr, used_at FROM device_codes WHERE device_code_hash = $1",
        )
        .bind(device_code)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(DeviceRow::into_record))
}

/// The undecided request a user code names, unless it has expired.
pub(super) async fn find_request(
    pool: &Pool,
    user_code: &SecretHash,
    now: UnixTime,
) -> StoreResult<Option<DeviceRequest>> {
    let row: Option<RequestRow> = on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT client_pk, scopes FROM device_codes \
             WHERE user_code_hash = $1 AND decision IS NULL AND expires_at > $2",
        )
        .bind(user_code)
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(RequestRow::into_request))
}

/// Writes `next` if the pace is still `seen`: of two polls that read the
/// same pace, one writes and the other learns it came too soon (`false`).
pub(super) async fn update_pace(
    writer: &Writer,
    device_code: &SecretHash,
    seen: Pace,
    next: Pace,
) -> StoreResult<bool> {
    let updated = writer
        .write(*device_code, move |device_code, tx| {
            boxed(async move {
                on_tx!(tx, conn => {
                    sqlx::query(
                        "UPDATE device_codes SET interval_secs = $1, polled_at = $2, slowed_at = $3 \
                         WHERE device_code_hash = $4 AND interval_secs = $5 AND polled_at = $6 AND slowed_at = $7",
                    )
                    .bind(next.interval)
                    .bind(next.polled_at)
                    .bind(next.slowed_at)
                    .bind(device_code)
                    .bind(seen.interval)
                    .bind(seen.polled_at)
                    .bind(seen.slowed_at)
                    .execute(conn).await.map(|done| done.rows_affected())
                })
            })
        })
        .await?;
    Ok(updated == 1)
}

/// Records `answer` to the undecided, unexpired request `user_code` names
/// and, for an approval, remembers the grant, in one transaction. `None`
/// (and nothing written) if there is no such request: of two answers to one
/// request, the first one wins.
pub(super) async fn decide(
    writer: &Writer,
    user_code: &SecretHash,
    answer: &DeviceAnswer,
    now: UnixTime,
) -> StoreResult<Option<DeviceRequest>> {
    let args = (*user_code, answer.clone());
    let row: Option<RequestRow> = writer
        .write(args, move |(user_code, answer), tx| {
            let (auth_time, amr) = auth_columns(Some(&answer.auth));
            boxed(async move {
                let row: Option<RequestRow> = on_tx!(&mut *tx, conn => {
                    sqlx::query_as(
                        "UPDATE device_codes SET decision = $1, user_id = $2, decided_at = $3, auth_time = $4, \
                         amr = $5 WHERE user_code_hash = $6 AND decision IS NULL AND expires_at > $3 \
                         RETURNING client_pk, scopes",
                    )
                    .bind(if answer.approved { "approved" } else { "denied" })
                    .bind(answer.user_id)
                    .bind(now)
                    .bind(auth_time)
                    .bind(amr)
                    .bind(user_code)
                    .fetch_optional(conn)
                    .await?
                });
                if let (Some(row), true) = (&row, answer.approved) {
                    let scopes = parse_scopes(&row.scopes);
                    save_grant_in(tx, answer.user_id, row.client_pk, &scopes, now).await?;
                    let name: Option<String> = on_tx!(&mut *tx, conn => {
                        sqlx::query_scalar("SELECT name FROM clients WHERE id = $1")
                            .bind(row.client_pk)
                            .fetch_optional(conn)
                            .await?
                    });
                    let kind = SecurityEventKind::ApplicationAuthorized;
                    let event =
                        SecurityEvent::new(answer.user_id, kind, Some(answer.ip)).about(name.unwrap_or_default());
                    tx.record_events(&[event], now).await?;
                }
                Ok(row)
            })
        })
        .await?;
    Ok(row.map(RequestRow::into_request))
}

/// Spends an approved, unexpired device code and writes `tokens` in the same
/// transaction; `false` (nothing written) if it is spent already. The
/// `UPDATE`'s row lock (SQLite: the write lock) makes concurrent polls on any
/// instance take turns, and every one after the first finds it spent.
pub(super) async fn redeem(
    writer: &Writer,
    device_code: &SecretHash,
    tokens: &NewTokens,
    now: UnixTime,
) -> StoreResult<bool> {
    let args = (*device_code, tokens.clone());
    let redeemed = writer
        .write(args, move |(device_code, tokens), tx| {
            boxed(async move {
                tx.lock_client(tokens.client_pk, true).await?;
                tx.lock_family(&tokens.family_id).await?;
                let spent: Option<ClientPk> = on_tx!(&mut *tx, conn => {
                    sqlx::query_scalar(
                        "UPDATE device_codes SET used_at = $1 WHERE device_code_hash = $2 AND used_at IS NULL \
                         AND decision = 'approved' AND expires_at > $1 RETURNING client_pk",
                    )
                    .bind(now)
                    .bind(device_code)
                    .fetch_optional(conn)
                    .await?
                });
                if spent.is_none() {
                    return Ok(false);
                }
                write_tokens(tx, tokens).await?;
                Ok(true)
            })
        })
        .await?;
    Ok(redeemed)
}
