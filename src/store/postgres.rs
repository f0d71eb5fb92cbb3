//! The PostgreSQL backend: for many stateless instances behind a load
//! balancer. Every piece of shared state is a row; atomic steps are single
//! statements whose row locks serialise concurrent instances.
//!
//! Transactions run at READ COMMITTED, set explicitly so that a database
//! whose default is stricter behaves the same: single-use credentials are
//! spent with `UPDATE … WHERE used_at IS NULL RETURNING`, and a concurrent
//! second `UPDATE` of the same row waits for the first to commit, then
//! re-checks its `WHERE` against the committed row and finds it spent. No
//! serialisation failures, no retries, and exactly one winner.

use std::str::FromStr;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use super::fault;
use super::rows::{
    CLIENT_COLUMNS, ClientRow, CodeRow, ConsentRow, GrantRow, ThrottleRow, TokenRow, USER_COLUMNS, UserRow,
    parse_scopes, throttle_select, token_select,
};
use super::{
    BoundRequest, ClientUpdate, CodeRecord, GrantRecord, NewTokens, NewUser, PoolSettings, Redemption, SessionRecord,
    Store, StoreError, StoreResult, ThrottleRecord, ThrottleStep, TokenRecord, UserCredentials,
};
use crate::clock::UnixTime;
use crate::domain::client::{Client, NewClient};
use crate::domain::scope::ScopeSet;
use crate::domain::token::SecretHash;
use crate::domain::user::User;

/// The advisory lock key that elects one purging instance at a time
/// ("gatehouse purge" in spirit; any constant unlikely to clash will do).
const PURGE_LOCK_KEY: i64 = 0x6761_7465_7075_7267;

/// Every transaction starts with this (see the module comment).
const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Opens `postgres://…` with the pool sizes and timeouts of `settings`
    /// and applies migrations if asked. sqlx's migrator holds a session-level
    /// `pg_advisory_lock` (keyed by the database name) while it works, so
    /// instances starting together apply each migration once, in turn.
    pub async fn connect(url: &str, settings: &PoolSettings, migrate: bool) -> StoreResult<PgStore> {
        let mut options = PgConnectOptions::from_str(url).map_err(internal)?.application_name("gatehouse");
        if settings.session_options {
            // Startup parameters: no extra round trip per connection. A pooler
            // that refuses them (PgBouncer) gets `session_options = false`
            // and the same settings on the database role instead.
            options = options.options([
                ("statement_timeout", format!("{}ms", settings.statement_timeout_ms)),
                ("idle_in_transaction_session_timeout", format!("{}ms", settings.statement_timeout_ms * 4)),
            ]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(0)
            .acquire_timeout(std::time::Duration::from_millis(settings.acquire_timeout_ms))
            // Connections that lived through a fault are closed, not reused
            // (store/fault.rs); sqlx's own ping before each checkout stays on.
            .after_release(|_, meta| Box::pin(async move { Ok(!fault::lived_through_a_fault(meta.age)) }))
            .before_acquire(|_, meta| Box::pin(async move { Ok(!fault::lived_through_a_fault(meta.age)) }))
            .connect_with(options)
            .await
            .map_err(internal)?;
        if migrate {
            sqlx::migrate!("./migrations/postgres").run(&pool).await.map_err(internal)?;
        }
        Ok(PgStore { pool })
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin_with(BEGIN).await
    }
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Internal(Box::new(error))
}

/// Maps a driver error once: unique violations become `Conflict` with the
/// index name, which PostgreSQL reports as the violated constraint.
fn map_err(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            let constraint = match db.constraint() {
                Some("users_email_key") => "users_email_key",
                Some("users_login_key") => "users_login_key",
                Some("clients_client_id_key") => "clients_client_id_key",
                _ => "unknown",
            };
            return StoreError::Conflict { constraint };
        }
    }
    StoreError::from_driver(error)
}

async fn write_tokens(tx: &mut Transaction<'_, Postgres>, tokens: &NewTokens) -> Result<(), sqlx::Error> {
    let rows = [
        (Some(tokens.access_hash), "access", tokens.access_expires_at, &tokens.scopes),
        (tokens.refresh_hash, "refresh", tokens.refresh_expires_at, &tokens.refresh_scopes),
    ];
    for (hash, kind, expires_at, scopes) in rows {
        let Some(hash) = hash else { continue };
        sqlx::query(
            "INSERT INTO tokens (token_hash, kind, client_id, user_id, scopes, family_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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

/// Advisory lock namespaces (the two-key form of `pg_advisory_xact_lock`).
const CLIENT_LOCKS: i32 = 1001;
const FAMILY_LOCKS: i32 = 1002;

/// Issuing and revoking take turns, so a revocation always sees the tokens
/// minted before it and no token minted during it survives it (READ
/// COMMITTED alone would let a concurrent insert slip past the UPDATE).
/// Issuing holds its client's lock shared (issuances never wait on each
/// other) and its family's exclusively; revoking a grant or an application's
/// tokens holds the client's lock exclusively, revoking a family the
/// family's. Always client before family, so no cycle can deadlock.
async fn lock_client(tx: &mut Transaction<'_, Postgres>, client_pk: i64, shared: bool) -> Result<(), sqlx::Error> {
    let sql = if shared {
        "SELECT pg_advisory_xact_lock_shared($1, ($2 % 2147483647)::int4)"
    } else {
        "SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::int4)"
    };
    sqlx::query(sql).bind(CLIENT_LOCKS).bind(client_pk).execute(&mut **tx).await?;
    Ok(())
}

async fn lock_family(tx: &mut Transaction<'_, Postgres>, family_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(FAMILY_LOCKS)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn revoke_family_in(
    tx: &mut Transaction<'_, Postgres>,
    family_id: &str,
    now: UnixTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl PgStore {
    /// Spends a single-use credential with `spend_sql` (an UPDATE binding
    /// `now` as `$1` and the hash as `$2`, returning the family id only if it
    /// was unused) and writes `tokens` in the same transaction; on a replay,
    /// revokes the family `family_sql` finds. The UPDATE's row lock makes a
    /// concurrent redemption on any instance wait and then see the credential
    /// spent, so two redemptions can never both succeed; a crash before
    /// COMMIT leaves neither the spend nor the tokens.
    async fn spend_and_issue(
        &self,
        spend_sql: &'static str,
        family_sql: &'static str,
        hash: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<Redemption> {
        let mut tx = self.begin().await.map_err(map_err)?;
        lock_client(&mut tx, tokens.client_pk, true).await.map_err(map_err)?;
        lock_family(&mut tx, &tokens.family_id).await.map_err(map_err)?;
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
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    async fn insert_user(&self, user: &NewUser, now: UnixTime) -> StoreResult<User> {
        let sql = format!(
            "INSERT INTO users (login, name, email, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = sqlx::query_as(&sql)
            .bind(&user.login)
            .bind(&user.name)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.into_user())
    }

    async fn find_user(&self, id: i64) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(UserRow::into_user))
    }

    async fn find_user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> =
            sqlx::query_as(&sql).bind(email).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(UserRow::into_credentials))
    }

    async fn insert_client(&self, client: &NewClient, now: UnixTime) -> StoreResult<Client> {
        let sql = format!(
            "INSERT INTO clients (client_id, secret_hash, secret_hint, owner_id, name, homepage, description, \
             redirect_uris, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
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
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.into_client())
    }

    async fn find_client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = $1");
        let row: Option<ClientRow> =
            sqlx::query_as(&sql).bind(client_id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(ClientRow::into_client))
    }

    async fn find_client_by_pk(&self, id: i64) -> StoreResult<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1");
        let row: Option<ClientRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await.map_err(map_err)?;
        Ok(row.map(ClientRow::into_client))
    }

    async fn find_grant(&self, user_id: i64, client_pk: i64) -> StoreResult<Option<ScopeSet>> {
        let scopes: Option<String> =
            sqlx::query_scalar("SELECT scopes FROM grants WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_pk)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(scopes.as_deref().map(parse_scopes))
    }

    async fn save_grant(&self, user_id: i64, client_pk: i64, scopes: &ScopeSet, now: UnixTime) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO grants (user_id, client_id, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(client_pk)
        .bind(scopes.to_string())
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
             state, code_challenge, code_challenge_method, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        // DELETE … RETURNING: of two instances receiving the same form, only
        // one gets the row.
        let row: Option<ConsentRow> = sqlx::query_as(
            "DELETE FROM consent_requests WHERE id_hash = $1 RETURNING client_id, user_id, redirect_uri, \
             redirect_uri_given, scopes, state, code_challenge, code_challenge_method, expires_at",
        )
        .bind(id.0.as_slice())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
             code_challenge_method, family_id, expires_at, used_at FROM authorization_codes WHERE code_hash = $1",
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
            "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
             RETURNING family_id",
            "SELECT family_id FROM authorization_codes WHERE code_hash = $1",
            code,
            tokens,
            now,
        )
        .await
    }

    async fn insert_tokens(&self, tokens: &NewTokens) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(map_err)?;
        lock_client(&mut tx, tokens.client_pk, true).await.map_err(map_err)?;
        write_tokens(&mut tx, tokens).await.map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn find_token(&self, token: &SecretHash) -> StoreResult<Option<TokenRecord>> {
        let row: Option<TokenRow> = sqlx::query_as(concat!(token_select!(), " WHERE t.token_hash = $1"))
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
            "UPDATE tokens SET used_at = $1 WHERE token_hash = $2 AND kind = 'refresh' AND used_at IS NULL \
             AND revoked_at IS NULL RETURNING family_id",
            "SELECT family_id FROM tokens WHERE token_hash = $1 AND used_at IS NOT NULL",
            refresh,
            tokens,
            now,
        )
        .await
    }

    async fn revoke_token(&self, token: &SecretHash, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(token.0.as_slice())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn revoke_family(&self, family_id: &str, now: UnixTime) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(map_err)?;
        lock_family(&mut tx, family_id).await.map_err(map_err)?;
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
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
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
            sqlx::query_as("SELECT user_id, csrf_token FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                .bind(id.0.as_slice())
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(row.map(|(user_id, csrf_token)| SessionRecord { user_id, csrf_token }))
    }

    async fn delete_session(&self, id: &SecretHash) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id.0.as_slice())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn list_clients_by_owner(&self, owner_id: i64) -> StoreResult<Vec<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE owner_id = $1 ORDER BY id DESC");
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
            "UPDATE clients SET name = $1, homepage = $2, description = $3, redirect_uris = $4, scopes = $5, \
             updated_at = $6 WHERE id = $7 AND owner_id = $8 RETURNING {CLIENT_COLUMNS}"
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
            "UPDATE clients SET secret_hash = $1, secret_hint = $2, updated_at = $3 \
             WHERE id = $4 AND owner_id = $5 AND secret_hash IS NOT NULL",
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
        let mut tx = self.begin().await.map_err(map_err)?;
        lock_client(&mut tx, client_pk, false).await.map_err(map_err)?;
        let revoked = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        sqlx::query("DELETE FROM authorization_codes WHERE client_id = $1 AND used_at IS NULL")
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(revoked)
    }

    async fn delete_client(&self, client_pk: i64, owner_id: i64) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM clients WHERE id = $1 AND owner_id = $2")
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
             FROM grants g JOIN clients c ON c.id = g.client_id WHERE g.user_id = $1 \
             ORDER BY g.updated_at DESC, c.id DESC",
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
        let mut tx = self.begin().await.map_err(map_err)?;
        lock_client(&mut tx, client_pk, false).await.map_err(map_err)?;
        let deleted = sqlx::query("DELETE FROM grants WHERE user_id = $1 AND client_id = $2")
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
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM authorization_codes WHERE user_id = $1 AND client_id = $2 AND used_at IS NULL")
            .bind(user_id)
            .bind(client_pk)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(deleted == 1)
    }

    async fn find_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRecord>> {
        let row: Option<ThrottleRow> = sqlx::query_as(concat!(throttle_select!(), " WHERE key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(ThrottleRow::into_record))
    }

    async fn update_throttles(&self, keys: &[&str], step: &ThrottleStep<'_>) -> StoreResult<Vec<ThrottleRecord>> {
        // The upsert is a write, so it takes the row's lock (and on SQLite
        // the database's write lock) before the state is read.
        let mut tx = self.begin().await.map_err(map_err)?;
        let mut read = Vec::with_capacity(keys.len());
        for key in keys {
            let row: ThrottleRow = sqlx::query_as(
                "INSERT INTO throttles (key, failures, last_failure_at, locked_until, in_flight, in_flight_since) \
                 VALUES ($1, 0, 0, 0, 0, 0) ON CONFLICT (key) DO UPDATE SET key = excluded.key \
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
                    "UPDATE throttles SET failures = $1, last_failure_at = $2, locked_until = $3, \
                     in_flight = $4, in_flight_since = $5 WHERE key = $6",
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
        sqlx::query("DELETE FROM throttles WHERE key = $1").bind(key).execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    async fn purge_expired(&self, now: UnixTime, limit: i64) -> StoreResult<u64> {
        // One instance purges at a time: the others find the advisory lock
        // taken and return at once (no double work, no queue of waiters).
        // The lock is transaction-scoped, so a crashed purger releases it.
        let mut tx = self.begin().await.map_err(map_err)?;
        let elected: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(PURGE_LOCK_KEY)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if !elected {
            tx.rollback().await.map_err(map_err)?;
            return Ok(0);
        }
        // Each batch walks the expiry index with a LIMIT, so its cost is the
        // batch size, not the table size; SKIP LOCKED steps over rows a
        // request is spending right now instead of waiting for them.
        let statements = [
            ("authorization_codes", "code_hash", "expires_at < $1"),
            ("consent_requests", "id_hash", "expires_at < $1"),
            ("sessions", "id_hash", "expires_at < $1"),
            // Spent and expired tokens stay a day so a replay is still recognised.
            ("tokens", "token_hash", "expires_at < $1 - 86400"),
            ("throttles", "key", "last_failure_at < $1 - 86400 AND locked_until < $1"),
        ];
        let mut purged = 0;
        for (table, key, expired) in statements {
            let sql = format!(
                "DELETE FROM {table} WHERE {key} IN \
                 (SELECT {key} FROM {table} WHERE {expired} LIMIT $2 FOR UPDATE SKIP LOCKED)"
            );
            purged += sqlx::query(&sql).bind(now).bind(limit).execute(&mut *tx).await.map_err(map_err)?.rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(purged)
    }
}
