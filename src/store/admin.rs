//! What the operator's tools read and write (SPEC §8: the admin command line
//! and `/admin`): accounts and applications found or listed whatever their
//! state, disabled and enabled, and the security log across users.
//!
//! A disabled account or application is refused where it is looked up on
//! the request path (`find_user_credentials`, `find_session`, `find_token`,
//! `find_personal_token`, `find_client`: one `disabled_at IS NULL` in the
//! same read), so it stops on every instance at once; disabling also ends
//! its sessions and tokens for good, so enabling it again revives none.

use async_trait::async_trait;
use sqlx::FromRow;

use super::pool::{Pool, Tx, on_pool, on_tx};
use super::rows::{ClientRow, UserRow, client_columns, user_columns};
use super::sql::{SqlStore, boxed};
use super::{StoreResult, client_cache::ClientCache};
use crate::clock::UnixTime;
use crate::domain::client::{Client, ClientPk};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind, SecurityEventRecord};
use crate::domain::user::{User, UserId};

/// An account as the operator sees it.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// The user.
    pub user: User,
    /// Whether they see `/admin`.
    pub admin: bool,
    /// When it was disabled (`None`: it works).
    pub disabled_at: Option<UnixTime>,
    /// Whether two-factor authentication is on.
    pub two_factor: bool,
}

/// An application as the operator sees it.
#[derive(Debug, Clone)]
pub struct AppRecord {
    /// The application.
    pub client: Client,
    /// Its owner's login.
    pub owner_login: String,
    /// Its owner's email.
    pub owner_email: String,
    /// When it was disabled (`None`: it works).
    pub disabled_at: Option<UnixTime>,
}

/// A security-log event with whose account it is.
#[derive(Debug, Clone)]
pub struct AccountEvent {
    /// The account.
    pub user_id: UserId,
    /// Its login.
    pub login: String,
    /// The event.
    pub event: SecurityEventRecord,
}

/// The operator's reads and writes, apart from the `Store` trait that the
/// request path sees (`Store::admin`).
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// An account by email or login (either case), whatever its state.
    async fn find_account(&self, name: &str) -> StoreResult<Option<AccountRecord>>;
    /// An account by id, whatever its state.
    async fn find_account_by_id(&self, id: UserId) -> StoreResult<Option<AccountRecord>>;
    /// Accounts whose email or login holds `search` (any case; empty: all),
    /// oldest first, `limit` from `offset`.
    async fn list_accounts(&self, search: &str, offset: i64, limit: i64) -> StoreResult<Vec<AccountRecord>>;
    /// Makes the account an admin or not; `false` if there is no such user.
    async fn set_admin(&self, id: UserId, admin: bool) -> StoreResult<bool>;
    /// Disables the account (`disabled`) and ends its sessions, issued and
    /// personal tokens, unused codes and pending sign-ins, or enables it
    /// again, recording `event`; `false` if it was in that state already (or
    /// there is no such user).
    async fn set_account_disabled(
        &self,
        id: UserId,
        disabled: bool,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool>;
    /// Revokes every token of the user, issued and personal, and forgets
    /// their unused codes, recording `event`; how many tokens ended.
    async fn revoke_user_tokens(&self, id: UserId, now: UnixTime, event: &SecurityEvent) -> StoreResult<u64>;
    /// An application by client id, whatever its state.
    async fn find_app(&self, client_id: &str) -> StoreResult<Option<AppRecord>>;
    /// Applications, newest first, `limit` from `offset`.
    async fn list_apps(&self, offset: i64, limit: i64) -> StoreResult<Vec<AppRecord>>;
    /// Disables the application (revoking its tokens and forgetting its
    /// unused codes) or enables it again; every instance drops its cached
    /// record when this commits. `false` if it was in that state already.
    async fn set_app_disabled(&self, client_pk: ClientPk, disabled: bool, now: UnixTime) -> StoreResult<bool>;
    /// The most recent security events of every account, newest first.
    async fn recent_events(&self, limit: i64) -> StoreResult<Vec<AccountEvent>>;
    /// Copies a SQLite database into the new file `path` with `VACUUM INTO`:
    /// one read transaction, so writers go on meanwhile and the copy is
    /// consistent. Fails if the file exists, and on PostgreSQL.
    async fn backup_into(&self, path: &str) -> StoreResult<()>;
}

/// `AccountRecord`'s columns, from `users`.
macro_rules! account_select {
    () => {
        concat!(
            "SELECT ",
            user_columns!(),
            ", disabled_at, EXISTS (SELECT 1 FROM two_factor f WHERE f.user_id = users.id \
             AND f.enabled_at IS NOT NULL) AS two_factor FROM users"
        )
    };
}

/// `AppRecord`'s columns, from `clients c` and its owner `u`.
macro_rules! app_select {
    () => {
        concat!(
            "SELECT ",
            client_columns!("c."),
            ", c.disabled_at, u.login AS owner_login, u.email AS owner_email \
             FROM clients c JOIN users u ON u.id = c.owner_id"
        )
    };
}

#[derive(FromRow)]
struct AccountRow {
    #[sqlx(flatten)]
    user: UserRow,
    disabled_at: Option<i64>,
    two_factor: bool,
}

impl AccountRow {
    fn into_record(self) -> AccountRecord {
        AccountRecord {
            admin: self.user.admin,
            user: self.user.into_user(),
            disabled_at: self.disabled_at,
            two_factor: self.two_factor,
        }
    }
}

#[derive(FromRow)]
struct AppRow {
    #[sqlx(flatten)]
    client: ClientRow,
    disabled_at: Option<i64>,
    owner_login: String,
    owner_email: String,
}

impl AppRow {
    fn into_record(self) -> AppRecord {
        AppRecord {
            client: self.client.into_client(),
            owner_login: self.owner_login,
            owner_email: self.owner_email,
            disabled_at: self.disabled_at,
        }
    }
}

/// A `LIKE` pattern that finds `search` anywhere, its own `%`, `_` and `\`
/// taken literally.
fn contains_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Ends what a user holds: sessions, issued tokens, personal tokens, unused
/// codes, parked consents and pending second steps. How many tokens ended.
async fn end_everything_of(tx: &mut Tx, id: UserId, now: UnixTime, sessions: bool) -> sqlx::Result<u64> {
    let mut ended = on_tx!(&mut *tx, conn => {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(conn).await?.rows_affected()
    });
    ended += on_tx!(&mut *tx, conn => {
        sqlx::query("DELETE FROM personal_tokens WHERE user_id = $1").bind(id).execute(conn).await?.rows_affected()
    });
    let mut statements = vec![
        "DELETE FROM authorization_codes WHERE user_id = $1 AND used_at IS NULL",
        "DELETE FROM device_codes WHERE user_id = $1 AND used_at IS NULL",
        "DELETE FROM consent_requests WHERE user_id = $1",
    ];
    if sessions {
        statements.extend([
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM two_factor_challenges WHERE user_id = $1",
        ]);
    }
    for statement in statements {
        on_tx!(&mut *tx, conn => sqlx::query(statement).bind(id).execute(conn).await?.rows_affected());
    }
    Ok(ended)
}

/// Revokes an application's tokens and forgets its unused codes.
async fn end_everything_of_app(tx: &mut Tx, client_pk: ClientPk, now: UnixTime) -> sqlx::Result<()> {
    tx.lock_client(client_pk, false).await?;
    on_tx!(&mut *tx, conn => {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE client_pk = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(client_pk)
            .execute(conn).await?.rows_affected()
    });
    for statement in [
        "DELETE FROM authorization_codes WHERE client_pk = $1 AND used_at IS NULL",
        "DELETE FROM device_codes WHERE client_pk = $1 AND used_at IS NULL",
        "DELETE FROM consent_requests WHERE client_pk = $1",
    ] {
        on_tx!(&mut *tx, conn => sqlx::query(statement).bind(client_pk).execute(conn).await?.rows_affected());
    }
    Ok(())
}

#[async_trait]
impl AdminStore for SqlStore {
    async fn find_account(&self, name: &str) -> StoreResult<Option<AccountRecord>> {
        let name = name.trim().to_lowercase();
        let row: Option<AccountRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(account_select!(), " WHERE email = $1 OR lower(login) = $1"))
                .bind(&name)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(AccountRow::into_record))
    }

    async fn find_account_by_id(&self, id: UserId) -> StoreResult<Option<AccountRecord>> {
        let row: Option<AccountRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(account_select!(), " WHERE id = $1")).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(AccountRow::into_record))
    }

    async fn list_accounts(&self, search: &str, offset: i64, limit: i64) -> StoreResult<Vec<AccountRecord>> {
        let pattern = contains_pattern(search);
        let rows: Vec<AccountRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(
                account_select!(),
                " WHERE email LIKE $1 ESCAPE '\\' OR lower(login) LIKE $1 ESCAPE '\\' ORDER BY id LIMIT $2 OFFSET $3"
            ))
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(AccountRow::into_record).collect())
    }

    async fn set_admin(&self, id: UserId, admin: bool) -> StoreResult<bool> {
        let changed = self
            .writer
            .write((), move |(), tx| {
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query("UPDATE users SET admin = $1 WHERE id = $2")
                            .bind(admin)
                            .bind(id)
                            .execute(conn).await.map(|done| done.rows_affected())
                    })
                })
            })
            .await?;
        Ok(changed > 0)
    }

    async fn set_account_disabled(
        &self,
        id: UserId,
        disabled: bool,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        let changed = self
            .writer
            .write(event.clone(), move |event, tx| {
                boxed(async move {
                    let statement = if disabled {
                        "UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL"
                    } else {
                        "UPDATE users SET disabled_at = NULL WHERE id = $2 AND disabled_at IS NOT NULL AND $1 = $1"
                    };
                    let changed = on_tx!(&mut *tx, conn => {
                        sqlx::query(statement).bind(now).bind(id).execute(conn).await?.rows_affected()
                    });
                    if changed == 0 {
                        return Ok(false);
                    }
                    if disabled {
                        end_everything_of(tx, id, now, true).await?;
                    }
                    tx.record_events(std::slice::from_ref(event), now).await?;
                    Ok(true)
                })
            })
            .await?;
        Ok(changed)
    }

    async fn revoke_user_tokens(&self, id: UserId, now: UnixTime, event: &SecurityEvent) -> StoreResult<u64> {
        let ended = self
            .writer
            .write(event.clone(), move |event, tx| {
                boxed(async move {
                    let ended = end_everything_of(tx, id, now, false).await?;
                    tx.record_events(std::slice::from_ref(event), now).await?;
                    Ok(ended)
                })
            })
            .await?;
        Ok(ended)
    }

    async fn find_app(&self, client_id: &str) -> StoreResult<Option<AppRecord>> {
        let row: Option<AppRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(app_select!(), " WHERE c.client_id = $1"))
                .bind(client_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(AppRow::into_record))
    }

    async fn list_apps(&self, offset: i64, limit: i64) -> StoreResult<Vec<AppRecord>> {
        let rows: Vec<AppRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(app_select!(), " ORDER BY c.id DESC LIMIT $1 OFFSET $2"))
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(AppRow::into_record).collect())
    }

    async fn set_app_disabled(&self, client_pk: ClientPk, disabled: bool, now: UnixTime) -> StoreResult<bool> {
        let clients = std::sync::Arc::clone(&self.clients);
        let changed = self
            .writer
            .write_then(
                (),
                move |(), tx| {
                    boxed(async move {
                        let statement = if disabled {
                            "UPDATE clients SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL RETURNING client_id"
                        } else {
                            "UPDATE clients SET disabled_at = NULL WHERE id = $2 AND disabled_at IS NOT NULL \
                             AND $1 = $1 RETURNING client_id"
                        };
                        let changed: Option<String> = on_tx!(&mut *tx, conn => {
                            sqlx::query_scalar(statement).bind(now).bind(client_pk).fetch_optional(conn).await?
                        });
                        if let Some(client_id) = &changed {
                            if disabled {
                                end_everything_of_app(tx, client_pk, now).await?;
                            }
                            // The same path as an owner's edit: every
                            // instance drops its cached record at the commit.
                            tx.notify_client_changed(client_id).await?;
                        }
                        Ok(changed)
                    })
                },
                move |changed: &Option<String>| evict(&clients, changed.as_deref()),
            )
            .await?;
        Ok(changed.is_some())
    }

    async fn recent_events(&self, limit: i64) -> StoreResult<Vec<AccountEvent>> {
        let rows: Vec<(UserId, String, String, String, String, i64)> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT e.user_id, u.login, e.kind, e.ip, e.detail, e.created_at FROM security_events e \
                 JOIN users u ON u.id = e.user_id ORDER BY e.created_at DESC, e.id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(user_id, login, kind, ip, detail, created_at)| {
                let kind = SecurityEventKind::parse(&kind)?;
                Some(AccountEvent { user_id, login, event: SecurityEventRecord { kind, ip, detail, created_at } })
            })
            .collect())
    }

    async fn backup_into(&self, path: &str) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1").bind(path).execute(pool).await?;
                Ok(())
            }
            Pool::Postgres(_) => Err(super::StoreError::internal(NotSqlite)),
        }
    }
}

/// `backup_into` on PostgreSQL: `pg_dump` is the tool.
#[derive(Debug, thiserror::Error)]
#[error("only a SQLite database can be copied this way; use pg_dump")]
struct NotSqlite;

fn evict(clients: &ClientCache, client_id: Option<&str>) {
    if let Some(client_id) = client_id {
        clients.evict(client_id);
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn a_search_matches_its_wildcards_literally() {
        assert_eq!(contains_pattern(" Ann "), "%ann%");
        assert_eq!(contains_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
