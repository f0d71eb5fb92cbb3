//! The SQL of the account pages (SPEC §7): profile, password change,
//! account deletion and personal access tokens, on both databases like
//! `sql.rs` (whose `Store` impl calls these). Each write records its
//! security-log event in the same transaction.

use std::sync::Arc;

use sqlx::FromRow;

use super::pool::{on_pool, on_tx};
use super::rows::{UserRow, parse_scopes, user_columns};
use super::sql::{SqlStore, boxed};
use super::{PersonalTokenRecord, StoreResult};
use crate::clock::UnixTime;
use crate::domain::personal_token::{MAX_TOKENS_PER_USER, NewPersonalToken, PersonalToken, PersonalTokenId};
use crate::domain::profile::ProfileChange;
use crate::domain::security_event::SecurityEvent;
use crate::domain::token::SecretHash;
use crate::domain::user::{User, UserId};

/// A personal token's columns (never its hash).
#[derive(FromRow)]
struct PersonalTokenRow {
    id: PersonalTokenId,
    user_id: UserId,
    description: String,
    scopes: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
}

/// The columns of [`PersonalTokenRow`], each after `$prefix`.
macro_rules! personal_token_columns {
    ($prefix:literal) => {
        concat!(
            $prefix,
            "id, ",
            $prefix,
            "user_id, ",
            $prefix,
            "description, ",
            $prefix,
            "scopes, ",
            $prefix,
            "created_at, ",
            $prefix,
            "expires_at, ",
            $prefix,
            "last_used_at"
        )
    };
}

impl PersonalTokenRow {
    fn into_token(self) -> PersonalToken {
        PersonalToken {
            id: self.id,
            user_id: self.user_id,
            description: self.description,
            scopes: parse_scopes(&self.scopes),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// A personal token with its owner, by JOIN: the bearer check's one read.
#[derive(FromRow)]
struct PersonalTokenUserRow {
    #[sqlx(flatten)]
    token: PersonalTokenRow,
    u_login: String,
    u_name: String,
    u_email: String,
    u_email_verified: bool,
    u_bio: String,
    u_blog: String,
    u_weibo: String,
    u_created_at: i64,
    u_updated_at: i64,
    u_admin: bool,
}

impl PersonalTokenUserRow {
    fn into_record(self) -> PersonalTokenRecord {
        let user = User {
            id: self.token.user_id,
            login: self.u_login,
            name: self.u_name,
            email: self.u_email,
            email_verified: self.u_email_verified,
            bio: self.u_bio,
            blog: self.u_blog,
            weibo: self.u_weibo,
            created_at: self.u_created_at,
            updated_at: self.u_updated_at,
            admin: self.u_admin,
        };
        PersonalTokenRecord { token: self.token.into_token(), user }
    }
}

impl SqlStore {
    /// What deleting a user runs after its commit: drops the applications
    /// they owned from this process's cache.
    fn evict_all(&self) -> impl FnOnce(&Option<Vec<String>>) + Send + 'static {
        let clients = Arc::clone(&self.clients);
        move |owned| owned.iter().flatten().for_each(|client_id| clients.evict(client_id))
    }

    pub(super) async fn update_profile_sql(
        &self,
        user_id: UserId,
        change: &ProfileChange,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<User>> {
        // COALESCE: only the fields given change, so two edits of different
        // fields at once both stand.
        let row: Option<UserRow> = self
            .writer
            .write((change.clone(), event.clone()), move |(change, event), tx| {
                boxed(async move {
                    let row: Option<UserRow> = on_tx!(&mut *tx, conn => {
                        sqlx::query_as(concat!(
                            "UPDATE users SET name = COALESCE($1, name), bio = COALESCE($2, bio), \
                             blog = COALESCE($3, blog), weibo = COALESCE($4, weibo), updated_at = $5 \
                             WHERE id = $6 RETURNING ",
                            user_columns!()
                        ))
                        .bind(&change.name)
                        .bind(&change.bio)
                        .bind(&change.blog)
                        .bind(&change.weibo)
                        .bind(now)
                        .bind(user_id)
                        .fetch_optional(conn)
                        .await?
                    });
                    if row.is_some() {
                        tx.record_events(std::slice::from_ref(event), now).await?;
                    }
                    Ok(row)
                })
            })
            .await?;
        Ok(row.map(UserRow::into_user))
    }

    pub(super) async fn change_password_sql(
        &self,
        user_id: UserId,
        password_hash: &str,
        keep: &SecretHash,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<u64>> {
        let args = (password_hash.to_owned(), *keep, event.clone());
        let ended = self
            .writer
            .write(args, move |(password_hash, keep, event), tx| {
                boxed(async move {
                    let changed = on_tx!(&mut *tx, conn => {
                        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                            .bind(password_hash)
                            .bind(user_id)
                            .execute(conn).await?.rows_affected()
                    });
                    if changed == 0 {
                        return Ok(None);
                    }
                    let ended = on_tx!(&mut *tx, conn => {
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                            .bind(user_id)
                            .bind(keep)
                            .execute(conn).await?.rows_affected()
                    });
                    tx.record_events(std::slice::from_ref(event), now).await?;
                    Ok(Some(ended))
                })
            })
            .await?;
        Ok(ended)
    }

    pub(super) async fn delete_user_sql(&self, user_id: UserId) -> StoreResult<bool> {
        // The schema cascades from users to everything of theirs. The
        // applications they own are cached by client_id (client_cache.rs):
        // every instance is told, and this one evicts them after the commit.
        let deleted = self
            .writer
            .write_then(
                (),
                move |(), tx| {
                    boxed(async move {
                        let owned: Vec<String> = on_tx!(&mut *tx, conn => {
                            sqlx::query_scalar("SELECT client_id FROM clients WHERE owner_id = $1")
                                .bind(user_id)
                                .fetch_all(conn)
                                .await?
                        });
                        let deleted = on_tx!(&mut *tx, conn => {
                            sqlx::query("DELETE FROM users WHERE id = $1").bind(user_id).execute(conn).await?.rows_affected()
                        });
                        if deleted == 0 {
                            return Ok(None);
                        }
                        for client_id in &owned {
                            tx.notify_client_changed(client_id).await?;
                        }
                        Ok(Some(owned))
                    })
                },
                self.evict_all(),
            )
            .await?;
        Ok(deleted.is_some())
    }

    pub(super) async fn insert_personal_token_sql(
        &self,
        token: &NewPersonalToken,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<PersonalToken>> {
        let id: Option<PersonalTokenId> = self
            .writer
            .write((token.clone(), event.clone()), move |(token, event), tx| {
                boxed(async move {
                    // The cap is soft: on PostgreSQL two inserts at once may
                    // both see one place left.
                    let id: Option<PersonalTokenId> = on_tx!(&mut *tx, conn => {
                        sqlx::query_scalar(
                            "INSERT INTO personal_tokens (token_hash, user_id, description, scopes, created_at, expires_at) \
                             SELECT $1, $2, $3, $4, $5, $6 \
                             WHERE (SELECT count(*) FROM personal_tokens WHERE user_id = $2) < $7 RETURNING id",
                        )
                        .bind(token.hash)
                        .bind(token.user_id)
                        .bind(&token.description)
                        .bind(&token.scopes)
                        .bind(now)
                        .bind(token.expires_at)
                        .bind(MAX_TOKENS_PER_USER)
                        .fetch_optional(conn)
                        .await?
                    });
                    if id.is_some() {
                        tx.record_events(std::slice::from_ref(event), now).await?;
                    }
                    Ok(id)
                })
            })
            .await?;
        Ok(id.map(|id| PersonalToken {
            id,
            user_id: token.user_id,
            description: token.description.clone(),
            scopes: token.scopes.clone(),
            created_at: now,
            expires_at: token.expires_at,
            last_used_at: None,
        }))
    }

    pub(super) async fn find_personal_token_sql(&self, hash: &SecretHash) -> StoreResult<Option<PersonalTokenRecord>> {
        let row: Option<PersonalTokenUserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                personal_token_columns!("p."),
                ", u.login AS u_login, u.name AS u_name, u.email AS u_email, \
                 EXISTS (SELECT 1 FROM emails e WHERE e.email = u.email AND e.verified_at IS NOT NULL) AS u_email_verified, \
                 u.bio AS u_bio, u.blog AS u_blog, \
                 u.weibo AS u_weibo, u.created_at AS u_created_at, u.updated_at AS u_updated_at, u.admin AS u_admin \
                 FROM personal_tokens p JOIN users u ON u.id = p.user_id WHERE p.token_hash = $1 \
                 AND u.disabled_at IS NULL"
            ))
            .bind(hash)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(PersonalTokenUserRow::into_record))
    }

    pub(super) async fn list_personal_tokens_sql(&self, user_id: UserId) -> StoreResult<Vec<PersonalToken>> {
        let rows: Vec<PersonalTokenRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                personal_token_columns!(""),
                " FROM personal_tokens WHERE user_id = $1 ORDER BY id DESC"
            ))
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(PersonalTokenRow::into_token).collect())
    }

    pub(super) async fn revoke_personal_token_sql(
        &self,
        user_id: UserId,
        id: PersonalTokenId,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        let revoked = self
            .writer
            .write(event.clone(), move |event, tx| {
                boxed(async move {
                    let description: Option<String> = on_tx!(&mut *tx, conn => {
                        sqlx::query_scalar("DELETE FROM personal_tokens WHERE id = $1 AND user_id = $2 RETURNING description")
                            .bind(id)
                            .bind(user_id)
                            .fetch_optional(conn)
                            .await?
                    });
                    let Some(description) = description else { return Ok(false) };
                    tx.record_events(&[event.clone().about(description)], now).await?;
                    Ok(true)
                })
            })
            .await?;
        Ok(revoked)
    }

    pub(super) async fn touch_personal_token_sql(&self, id: PersonalTokenId, now: UnixTime) -> StoreResult<()> {
        // Never backwards: two requests' writes may commit out of order.
        self.writer
            .write((), move |(), tx| {
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query(
                            "UPDATE personal_tokens SET last_used_at = $1 \
                             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
                        )
                        .bind(now)
                        .bind(id)
                        .execute(conn).await.map(|done| done.rows_affected())
                    })
                })
            })
            .await?;
        Ok(())
    }
}
