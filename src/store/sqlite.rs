//! The SQLite backend: the embedded default. One file in WAL mode; writers
//! queue on SQLite's lock (`busy_timeout`), readers never block.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use super::fault;
use super::rows::{
    CLIENT_COLUMNS, ClientRow, CodeRow, ConsentRow, GrantRow, ThrottleRow, TokenRow, USER_COLUMNS, UserRow,
    parse_scopes, throttle_select, token_select,
};
use super::{
    BoundRequest, ClientUpdate, CodeRecord, GrantRecord, NewTokens, NewUser, Redemption, SessionRecord, Store,
    StoreError, StoreResult, ThrottleRecord, ThrottleStep, TokenRecord, UserCredentials,
};
use crate::clock::UnixTime;
use crate::domain::client::{Client, NewClient};
use crate::domain::scope::ScopeSet;
use crate::domain::token::SecretHash;
use crate::domain::user::User;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens `sqlite://path` (creating the file) and applies migrations if asked.
    pub async fn connect(url: &str, migrate: bool) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(internal)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a token handed to a client survives a power cut.
            .synchronous(SqliteSynchronous::Full)
            // A few seconds, not sqlx's 30: a writer that cannot get the lock
            // by then gets 503 (SPEC §4 "Storage faults"), not a hung request.
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // No ping before each checkout (sqlx's default): an embedded database
        // cannot lose its connection, and the ping is one more round trip to
        // the connection's worker thread on every query (docs/performance.md).
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .after_release(|_, meta| Box::pin(async move { Ok(!fault::lived_through_a_fault(meta.age)) }))
            .before_acquire(|_, meta| Box::pin(async move { Ok(!fault::lived_through_a_fault(meta.age)) }))
            .connect_with(options)
            .await
            .map_err(internal)?;
        if migrate {
            sqlx::migrate!("./migrations/sqlite").run(&pool).await.map_err(internal)?;
        }
        Ok(SqliteStore { pool })
    }
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Internal(Box::new(error))
}

/// Maps a driver error once: unique violations become `Conflict` with the
/// index name (SQLite reports the columns, so they are translated here).
fn map_err(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            let message = db.message();
            let constraint = if message.contains("users.email") || message.contains("users_email_key") {
                "users_email_key"
            } else if message.contains("users_login_key") {
                "users_login_key"
            } else if message.contains("clients.client_id") || message.contains("clients_client_id_key") {
                "clients_client_id_key"
            } else {
                "unknown"
            };
            return StoreError::Conflict { constraint };
        }
    }
    StoreError::from_driver(error)
}

async fn write_tokens(tx: &mut Transaction<'_, Sqlite>, tokens: &NewTokens) -> Result<(), sqlx::Error> {
    let rows = [
        (Some(tokens.access_hash), "access", tokens.access_expires_at, &tokens.scopes),
        (tokens.refresh_hash, "refresh", tokens.refresh_expires_at, &tokens.refresh_scopes),
    ];
    for (hash, kind, expires_at, scopes) in rows {
        let Some(hash) = hash else { continue };
        sqlx::query(
            "INSERT INTO tokens (token_hash, kind, client_id, user_id, scopes, family_id, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(hash.0.as_slice())
        .bind(kind)
        .bind(tokens.client_pk)
        .bind(tokens.user_id)
        .bind(scopes.to_string())
        .bind(&tokens.family_id)
        .bind(tokens.created_at)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn revoke_family_in(tx: &mut Transaction<'_, Sqlite>, family_id: &str, now: UnixTime) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL")
        .bind(now)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl SqliteStore {
    /// Spends a single-use credential with `spend_sql` (an UPDATE binding
    /// `now` and the hash, returning the family id only if it was unused) and
    /// writes `tokens`; on a replay, revokes the family `family_sql` finds.
    /// One transaction, so two redemptions can never both succeed.
    async fn spend_and_issue(
        &self,
        spend_sql: &'static str,
        family_sql: &'static str,
        hash: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<Redemption> {
        // The first statement is a write, so the transaction takes SQLite's
        // write lock at once and concurrent redemptions queue behind it.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let spent: Option<String> = sqlx::query_scalar(spend_sql)
            .bind(now)
            .bind(hash.0.as_slice())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        let outcome = if spent.is_some() {
            write_tokens(&mut tx, tokens).await.map_err(map_err)?;
            Redemption::Issued
        } else {
            let family: Option<String> = sqlx::query_scalar(family_sql)
                .bind(hash.0.as_slice())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
            if let Some(family_id) = family {
                revoke_family_in(&mut tx, &family_id, now).await.map_err(map_err)?;
            }
            Redemption::Replayed
        };
        tx.commit().await.map_err(map_err)?;
        Ok(outcome)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    async fn insert_user(&self, user: &NewUser, now: UnixTime) -> StoreResult<User> {
        let sql = format!(
            "INSERT INTO users (login, name, email, password_hash, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = sqlx::query_as(&sql)
            .bind(&user.login)
            .bind(&user.name)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(now)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.into_user())
    }

    async fn find_user(&self, id: i64) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        let row: Option<UserRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(UserRow::into_user))
    }

    async fn find_user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?");
        let row: Option<UserRow> =
            sqlx::query_as(&sql).bind(email).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(UserRow::into_credentials))
    }

    async fn insert_client(&self, client: &NewClient, now: UnixTime) -> StoreResult<Client> {
        let sql = format!(
            "INSERT INTO clients (client_id, secret_hash, secret_hint, owner_id, name, homepage, description, \
             redirect_uris, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING {CLIENT_COLUMNS}"
        );
        let row: ClientRow = sqlx::query_as(&sql)
            .bind(&client.client_id)
            .bind(client.secret_hash.map(|h| h.0.to_vec()))
            .bind(&client.secret_hint)
            .bind(client.owner_id)
            .bind(&client.name)
            .bind(&client.homepage)
            .bind(&client.description)
            .bind(client.redirect_uris.join("\n"))
            .bind(client.scopes.to_string())
            .bind(now)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.into_client())
    }

    async fn find_client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = ?");
        let row: Option<ClientRow> =
            sqlx::query_as(&sql).bind(client_id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(ClientRow::into_client))
    }

    async fn find_client_by_pk(&self, id: i64) -> StoreResult<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ?");
        let row: Option<ClientRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(ClientRow::into_client))
    }

    async fn find_grant(&self, user_id: i64, client_pk: i64) -> StoreResult<Option<ScopeSet>> {
        let scopes: Option<String> =
            sqlx::query_scalar("SELECT scopes FROM grants WHERE user_id = ? AND client_id = ?")
                .bind(user_id)
                .bind(client_pk)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(scopes.as_deref().map(parse_scopes))
    }

    async fn save_grant(&self, user_id: i64, client_pk: i64, scopes: &ScopeSet, now: UnixTime) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO grants (user_id, client_id, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(client_pk)
        .bind(scopes.to_string())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn insert_consent_request(
        &self,
        id: &SecretHash,
        request: &BoundRequest,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consent_requests (id_hash, user_id, client_id, redirect_uri, redirect_uri_given, scopes, \
             state, code_challenge, code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.0.as_slice())
        .bind(request.user_id)
        .bind(request.client_pk)
        .bind(&request.redirect_uri)
        .bind(request.redirect_uri_given)
        .bind(request.scopes.to_string())
        .bind(&request.state)
        .bind(request.challenge.as_ref().map(|c| c.challenge.clone()))
        .bind(request.challenge.as_ref().map(|c| c.method.as_str()))
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn take_consent_request(&self, id: &SecretHash, now: UnixTime) -> StoreResult<Option<BoundRequest>> {
        let row: Option<ConsentRow> = sqlx::query_as(
            "DELETE FROM consent_requests WHERE id_hash = ? RETURNING client_id, user_id, redirect_uri, \
             redirect_uri_given, scopes, state, code_challenge, code_challenge_method, expires_at",
        )
        .bind(id.0.as_slice())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        // Expiry is checked after the delete so an expired request is gone too.
        Ok(row.filter(|r| r.expires_at > now).map(|r| r.request.into_request(r.state)))
    }

    async fn insert_authorization_code(
        &self,
        code: &SecretHash,
        request: &BoundRequest,
        family_id: &str,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, redirect_uri_given, \
             scopes, code_challenge, code_challenge_method, family_id, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(code.0.as_slice())
        .bind(request.client_pk)
        .bind(request.user_id)
        .bind(&request.redirect_uri)
        .bind(request.redirect_uri_given)
        .bind(request.scopes.to_string())
        .bind(request.challenge.as_ref().map(|c| c.challenge.clone()))
        .bind(request.challenge.as_ref().map(|c| c.method.as_str()))
        .bind(family_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn find_authorization_code(&self, code: &SecretHash) -> StoreResult<Option<CodeRecord>> {
        let row: Option<CodeRow> = sqlx::query_as(
            "SELECT client_id, user_id, redirect_uri, redirect_uri_given, scopes, code_challenge, \
             code_challenge_method, family_id, expires_at, used_at FROM authorization_codes WHERE code_hash = ?",
        )
        .bind(code.0.as_slice())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.map(|r| CodeRecord {
            request: r.request.into_request(None),
            family_id: r.family_id,
            expires_at: r.expires_at,
            used: r.used_at.is_some(),
        }))
    }

    async fn redeem_authorization_code(
        &self,
        code: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<Redemption> {
        self.spend_and_issue(
            "UPDATE authorization_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING family_id",
            "SELECT family_id FROM authorization_codes WHERE code_hash = ?",
            code,
            tokens,
            now,
        )
        .await
    }

    async fn insert_tokens(&self, tokens: &NewTokens) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        write_tokens(&mut tx, tokens).await.map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn find_token(&self, token: &SecretHash) -> StoreResult<Option<TokenRecord>> {
        let row: Option<TokenRow> = sqlx::query_as(concat!(token_select!(), " WHERE t.token_hash = ?"))
            .bind(token.0.as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(TokenRow::into_record))
    }

    async fn rotate_refresh_token(
        &self,
        refresh: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<Redemption> {
        self.spend_and_issue(
            "UPDATE tokens SET used_at = ? WHERE token_hash = ? AND kind = 'refresh' AND used_at IS NULL \
             AND revoked_at IS NULL RETURNING family_id",
            "SELECT family_id FROM tokens WHERE token_hash = ? AND used_at IS NOT NULL",
            refresh,
            tokens,
            now,
        )
        .await
    }

    async fn revoke_token(&self, token: &SecretHash, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(token.0.as_slice())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn revoke_family(&self, family_id: &str, now: UnixTime) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        revoke_family_in(&mut tx, family_id, now).await.map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn insert_session(
        &self,
        id: &SecretHash,
        session: &SessionRecord,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id.0.as_slice())
        .bind(session.user_id)
        .bind(&session.csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn find_session(&self, id: &SecretHash, now: UnixTime) -> StoreResult<Option<SessionRecord>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT user_id, csrf_token FROM sessions WHERE id_hash = ? AND expires_at > ?")
                .bind(id.0.as_slice())
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(row.map(|(user_id, csrf_token)| SessionRecord { user_id, csrf_token }))
    }

    async fn delete_session(&self, id: &SecretHash) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id.0.as_slice())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn list_clients_by_owner(&self, owner_id: i64) -> StoreResult<Vec<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE owner_id = ? ORDER BY id DESC");
        let rows: Vec<ClientRow> = sqlx::query_as(&sql).bind(owner_id).fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows.into_iter().map(ClientRow::into_client).collect())
    }

    async fn update_client(
        &self,
        client_pk: i64,
        owner_id: i64,
        update: &ClientUpdate,
        now: UnixTime,
    ) -> StoreResult<Option<Client>> {
        let sql = format!(
            "UPDATE clients SET name = ?, homepage = ?, description = ?, redirect_uris = ?, scopes = ?, updated_at = ? \
             WHERE id = ? AND owner_id = ? RETURNING {CLIENT_COLUMNS}"
        );
        let row: Option<ClientRow> = sqlx::query_as(&sql)
            .bind(&update.name)
            .bind(&update.homepage)
            .bind(&update.description)
            .bind(update.redirect_uris.join("\n"))
            .bind(update.scopes.to_string())
            .bind(now)
            .bind(client_pk)
            .bind(owner_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(ClientRow::into_client))
    }

    async fn reset_client_secret(
        &self,
        client_pk: i64,
        owner_id: i64,
        secret_hash: &SecretHash,
        secret_hint: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE clients SET secret_hash = ?, secret_hint = ?, updated_at = ? \
             WHERE id = ? AND owner_id = ? AND secret_hash IS NOT NULL",
        )
        .bind(secret_hash.0.as_slice())
        .bind(secret_hint)
        .bind(now)
        .bind(client_pk)
        .bind(owner_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_client_tokens(&self, client_pk: i64, now: UnixTime) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let revoked = sqlx::query("UPDATE tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        sqlx::query("DELETE FROM authorization_codes WHERE client_id = ? AND used_at IS NULL")
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(revoked)
    }

    async fn delete_client(&self, client_pk: i64, owner_id: i64) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM clients WHERE id = ? AND owner_id = ?")
            .bind(client_pk)
            .bind(owner_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(result.rows_affected() == 1)
    }

    async fn list_grants_for_user(&self, user_id: i64) -> StoreResult<Vec<GrantRecord>> {
        let sql = format!(
            "SELECT {}, g.scopes AS granted_scopes, g.created_at AS granted_at, g.updated_at AS approved_at \
             FROM grants g JOIN clients c ON c.id = g.client_id WHERE g.user_id = ? ORDER BY g.updated_at DESC, c.id DESC",
            CLIENT_COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ")
        );
        let rows: Vec<GrantRow> = sqlx::query_as(&sql).bind(user_id).fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|r| GrantRecord {
                scopes: parse_scopes(&r.granted_scopes),
                created_at: r.granted_at,
                updated_at: r.approved_at,
                client: r.client.into_client(),
            })
            .collect())
    }

    async fn revoke_grant(&self, user_id: i64, client_pk: i64, now: UnixTime) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let deleted = sqlx::query("DELETE FROM grants WHERE user_id = ? AND client_id = ?")
            .bind(user_id)
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        if deleted == 0 {
            // No grant: nothing changes (the transaction rolls back unused).
            return Ok(false);
        }
        sqlx::query("UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND client_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM authorization_codes WHERE user_id = ? AND client_id = ? AND used_at IS NULL")
            .bind(user_id)
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(deleted == 1)
    }

    async fn find_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRecord>> {
        let row: Option<ThrottleRow> = sqlx::query_as(concat!(throttle_select!(), " WHERE key = ?"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(ThrottleRow::into_record))
    }

    async fn update_throttles(&self, keys: &[&str], step: &ThrottleStep<'_>) -> StoreResult<Vec<ThrottleRecord>> {
        // The upsert is a write, so it takes the row's lock (and on SQLite
        // the database's write lock) before the state is read.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut read = Vec::with_capacity(keys.len());
        for key in keys {
            let row: ThrottleRow = sqlx::query_as(
                "INSERT INTO throttles (key, failures, last_failure_at, locked_until, in_flight, in_flight_since) \
                 VALUES (?, 0, 0, 0, 0, 0) ON CONFLICT (key) DO UPDATE SET key = excluded.key \
                 RETURNING failures, last_failure_at, locked_until, in_flight, in_flight_since",
            )
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
            read.push(row.into_record());
        }
        if let Some(written) = step(&read) {
            for (key, state) in keys.iter().zip(written) {
                sqlx::query(
                    "UPDATE throttles SET failures = ?, last_failure_at = ?, locked_until = ?, \
                     in_flight = ?, in_flight_since = ? WHERE key = ?",
                )
                .bind(state.failures)
                .bind(state.last_failure_at)
                .bind(state.locked_until)
                .bind(state.in_flight)
                .bind(state.in_flight_since)
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(read)
    }

    async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttles WHERE key = ?").bind(key).execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    async fn purge_expired(&self, now: UnixTime, limit: i64) -> StoreResult<u64> {
        // Each statement deletes a bounded batch by its expiry index, so a
        // purge never holds the write lock for long.
        let statements = [
            ("authorization_codes", "code_hash", "expires_at < ?1"),
            ("consent_requests", "id_hash", "expires_at < ?1"),
            ("sessions", "id_hash", "expires_at < ?1"),
            // Spent and expired tokens stay a day so a replay is still recognised.
            ("tokens", "token_hash", "expires_at < ?1 - 86400"),
            ("throttles", "key", "locked_until < ?1 AND last_failure_at < ?1 - 86400"),
        ];
        let mut purged = 0;
        for (table, key, expired) in statements {
            let sql =
                format!("DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {expired} LIMIT ?2)");
            purged +=
                sqlx::query(&sql).bind(now).bind(limit).execute(&self.pool).await.map_err(map_err)?.rows_affected();
        }
        Ok(purged)
    }
}
