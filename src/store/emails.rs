//! The statements of an account's email addresses and mailed links (SPEC §7
//! "Emails", "Password reset"), for `sql.rs`'s `Store` impl. Each change is
//! one writer job, with its security-log event in the same transaction.

use sqlx::FromRow;

use super::pool::{Pool, Tx, on_pool, on_tx};
use super::rows::{UserRow, user_columns};
use super::sql::boxed;
use super::writer::Writer;
use super::{NewEmailLink, StoreResult};
use crate::clock::UnixTime;
use crate::domain::email::{EmailAddress, EmailId, EmailLink, LinkPurpose, MAX_LIVE_LINKS};
use crate::domain::security_event::SecurityEvent;
use crate::domain::token::SecretHash;
use crate::domain::user::{User, UserId};

/// An address row, with whether it is its account's primary one.
#[derive(FromRow)]
struct EmailRow {
    id: EmailId,
    email: String,
    verified_at: Option<i64>,
    created_at: i64,
    is_primary: bool,
}

impl EmailRow {
    fn into_address(self) -> EmailAddress {
        EmailAddress {
            id: self.id,
            email: self.email,
            verified: self.verified_at.is_some(),
            primary: self.is_primary,
            created_at: self.created_at,
        }
    }
}

/// A link row.
#[derive(FromRow)]
struct LinkRow {
    purpose: String,
    user_id: UserId,
    email: String,
    expires_at: i64,
    used_at: Option<i64>,
}

/// The account's addresses, the primary one first, then in the order added.
pub(super) async fn list(pool: &Pool, user_id: UserId) -> StoreResult<Vec<EmailAddress>> {
    let rows: Vec<EmailRow> = on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT e.id, e.email, e.verified_at, e.created_at, e.email = u.email AS is_primary \
             FROM emails e JOIN users u ON u.id = e.user_id WHERE e.user_id = $1 \
             ORDER BY e.email = u.email DESC, e.id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(EmailRow::into_address).collect())
}

/// Writes the row of a new account's address (in `insert_user`'s
/// transaction): not verified.
pub(super) async fn insert_primary(tx: &mut Tx, user_id: UserId, email: &str, now: UnixTime) -> sqlx::Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("INSERT INTO emails (user_id, email, verified_at, created_at) VALUES ($1, $2, NULL, $3)")
            .bind(user_id)
            .bind(email)
            .bind(now)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Adds an unverified address with its first verification link; a
/// conflict on `emails_email_key` when any account has it already.
pub(super) async fn add(writer: &Writer, link: &NewEmailLink, event: &SecurityEvent) -> StoreResult<EmailAddress> {
    let args = (link.clone(), event.clone());
    let row: EmailRow = writer
        .write_guarded(args, |(link, event), tx| {
            boxed(async move {
                let row: EmailRow = on_tx!(&mut *tx, conn => {
                    sqlx::query_as(
                        "INSERT INTO emails (user_id, email, verified_at, created_at) VALUES ($1, $2, NULL, $3) \
                         RETURNING id, email, verified_at, created_at, FALSE AS is_primary",
                    )
                    .bind(link.user_id)
                    .bind(&link.email)
                    .bind(link.created_at)
                    .fetch_one(conn)
                    .await?
                });
                insert_link_in(tx, link, None).await?;
                tx.record_events(std::slice::from_ref(event), link.created_at).await?;
                Ok(row)
            })
        })
        .await?;
    Ok(row.into_address())
}

/// Stores `link` unless its account has [`MAX_LIVE_LINKS`] live links of
/// its purpose already (`false`: nothing stored), with `event` if given.
pub(super) async fn insert_link(
    writer: &Writer,
    link: &NewEmailLink,
    event: Option<&SecurityEvent>,
) -> StoreResult<bool> {
    let args = (link.clone(), event.cloned());
    let stored = writer
        .write(args, |(link, event), tx| {
            boxed(async move {
                let stored = insert_link_in(tx, link, Some(MAX_LIVE_LINKS)).await?;
                if stored {
                    tx.record_events(event.as_slice(), link.created_at).await?;
                }
                Ok(stored)
            })
        })
        .await?;
    Ok(stored)
}

/// Inserts a link, unless `cap` live links of its purpose exist for its
/// account. SQLite has one writer, so the count cannot race. PostgreSQL
/// runs several writers (and instances) at READ COMMITTED, where two
/// counts could both see two links and both insert: there the account's
/// row is locked first, so the second count waits for the first insert.
async fn insert_link_in(tx: &mut Tx, link: &NewEmailLink, cap: Option<i64>) -> sqlx::Result<bool> {
    if let (Some(_), Tx::Postgres(tx)) = (cap, &mut *tx) {
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE").bind(link.user_id).execute(&mut **tx).await?;
    }
    let inserted = on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO email_links (token_hash, purpose, user_id, email, created_at, expires_at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM email_links \
             WHERE user_id = $3 AND purpose = $2 AND used_at IS NULL AND expires_at > $5) < $7",
        )
        .bind(link.token_hash)
        .bind(link.purpose.as_str())
        .bind(link.user_id)
        .bind(&link.email)
        .bind(link.created_at)
        .bind(link.expires_at)
        .bind(cap.unwrap_or(i64::MAX))
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

/// A link by the hash of its token.
pub(super) async fn find_link(pool: &Pool, token: &SecretHash) -> StoreResult<Option<EmailLink>> {
    let row: Option<LinkRow> = on_pool!(pool, pool => {
        sqlx::query_as("SELECT purpose, user_id, email, expires_at, used_at FROM email_links WHERE token_hash = $1")
            .bind(token)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.and_then(|row| {
        let purpose = [LinkPurpose::Verify, LinkPurpose::Reset].into_iter().find(|p| p.as_str() == row.purpose)?;
        Some(EmailLink {
            purpose,
            user_id: row.user_id,
            email: row.email,
            expires_at: row.expires_at,
            used: row.used_at.is_some(),
        })
    }))
}

/// Spends the link `token` of `purpose` for `user_id` if it still works at
/// `now`: one `UPDATE … WHERE used_at IS NULL` whose row lock lets exactly
/// one of two concurrent uses through. The address it was sent to, if spent.
async fn spend_link(
    tx: &mut Tx,
    token: &SecretHash,
    purpose: LinkPurpose,
    user_id: UserId,
    now: UnixTime,
) -> sqlx::Result<Option<String>> {
    on_tx!(tx, conn => {
        sqlx::query_scalar(
            "UPDATE email_links SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND user_id = $4 \
             AND used_at IS NULL AND expires_at > $1 RETURNING email",
        )
        .bind(now)
        .bind(token)
        .bind(purpose.as_str())
        .bind(user_id)
        .fetch_optional(conn)
        .await
    })
}

/// Spends a verification link and marks its address verified, recording
/// `event` (`false`: the link did not work, or its address is gone).
pub(super) async fn verify(
    writer: &Writer,
    token: &SecretHash,
    now: UnixTime,
    event: &SecurityEvent,
) -> StoreResult<bool> {
    let verified = writer
        .write((*token, event.clone()), move |(token, event), tx| {
            boxed(async move {
                let Some(email) = spend_link(tx, token, LinkPurpose::Verify, event.user_id, now).await? else {
                    return Ok(false);
                };
                // COALESCE: a second link to an address verified already
                // keeps the first verification's time (and logs nothing).
                let verified_at: Option<Option<i64>> = on_tx!(&mut *tx, conn => {
                    sqlx::query_scalar(
                        "UPDATE emails SET verified_at = COALESCE(verified_at, $1) WHERE user_id = $2 AND email = $3 \
                         RETURNING verified_at",
                    )
                    .bind(now)
                    .bind(event.user_id)
                    .bind(&email)
                    .fetch_optional(conn)
                    .await?
                });
                if verified_at == Some(Some(now)) {
                    tx.record_events(std::slice::from_ref(event), now).await?;
                }
                Ok(verified_at.is_some())
            })
        })
        .await?;
    Ok(verified)
}

/// Makes the user's verified address `email` the primary one, recording
/// `event` (`false`: it is not theirs, or not verified).
pub(super) async fn set_primary(
    writer: &Writer,
    user_id: UserId,
    email: &str,
    now: UnixTime,
    event: &SecurityEvent,
) -> StoreResult<bool> {
    let changed = writer
        .write((email.to_owned(), event.clone()), move |(email, event), tx| {
            boxed(async move {
                // The EXISTS re-checks, under the transaction, what the
                // caller read: still this account's, still verified.
                let changed = on_tx!(&mut *tx, conn => {
                    sqlx::query(
                        "UPDATE users SET email = $1 WHERE id = $2 AND email <> $1 AND EXISTS \
                         (SELECT 1 FROM emails WHERE user_id = $2 AND email = $1 AND verified_at IS NOT NULL)",
                    )
                    .bind(email)
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
        })
        .await?;
    Ok(changed)
}

/// Removes the user's address `email`, never the primary one, with the
/// links sent to it, recording `event` (`false`: nothing removed).
pub(super) async fn remove(
    writer: &Writer,
    user_id: UserId,
    email: &str,
    now: UnixTime,
    event: &SecurityEvent,
) -> StoreResult<bool> {
    let removed = writer
        .write((email.to_owned(), event.clone()), move |(email, event), tx| {
            boxed(async move {
                let removed = on_tx!(&mut *tx, conn => {
                    sqlx::query(
                        "DELETE FROM emails WHERE user_id = $1 AND email = $2 \
                         AND email <> (SELECT u.email FROM users u WHERE u.id = $1)",
                    )
                    .bind(user_id)
                    .bind(email)
                    .execute(conn)
                    .await?
                    .rows_affected()
                });
                if removed == 0 {
                    return Ok(false);
                }
                // A link to an address the account no longer has must not
                // verify it back, nor reset the password.
                on_tx!(&mut *tx, conn => {
                    sqlx::query("DELETE FROM email_links WHERE user_id = $1 AND email = $2")
                        .bind(user_id)
                        .bind(email)
                        .execute(conn)
                        .await?;
                });
                tx.record_events(std::slice::from_ref(event), now).await?;
                Ok(true)
            })
        })
        .await?;
    Ok(removed)
}

/// The account a password-reset link for `email` may go to: the one whose
/// primary address it is (verified or not: the sign-up address is where a
/// forgotten password is expected to be reset), or whose verified address
/// it is. Never through an unverified secondary address, which anyone can
/// add to their own account.
pub(super) async fn find_reset_account(pool: &Pool, email: &str) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = on_pool!(pool, pool => {
        sqlx::query_as(concat!(
            "SELECT ", user_columns!(), " FROM users WHERE id = \
             (SELECT e.user_id FROM emails e JOIN users u ON u.id = e.user_id \
              WHERE e.email = $1 AND (e.verified_at IS NOT NULL OR u.email = e.email))"
        ))
        .bind(email)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(UserRow::into_user))
}

/// Spends a reset link and sets the new password: every session of the
/// account ends and its other reset links stop working, with `event`
/// (`false`: the link did not work).
pub(super) async fn reset_password(
    writer: &Writer,
    token: &SecretHash,
    password_hash: &str,
    now: UnixTime,
    event: &SecurityEvent,
) -> StoreResult<bool> {
    let args = (*token, password_hash.to_owned(), event.clone());
    let reset = writer
        .write(args, move |(token, password_hash, event), tx| {
            boxed(async move {
                let user_id = event.user_id;
                if spend_link(tx, token, LinkPurpose::Reset, user_id, now).await?.is_none() {
                    return Ok(false);
                }
                on_tx!(&mut *tx, conn => {
                    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(password_hash)
                        .bind(user_id)
                        .execute(conn)
                        .await?;
                });
                on_tx!(&mut *tx, conn => {
                    sqlx::query(
                        "UPDATE email_links SET used_at = $1 WHERE user_id = $2 AND purpose = 'reset' \
                         AND used_at IS NULL",
                    )
                    .bind(now)
                    .bind(user_id)
                    .execute(conn)
                    .await?;
                });
                on_tx!(&mut *tx, conn => {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(conn).await?;
                });
                tx.record_events(std::slice::from_ref(event), now).await?;
                Ok(true)
            })
        })
        .await?;
    Ok(reset)
}
