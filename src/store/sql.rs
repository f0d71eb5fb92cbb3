//! The SQL store: every statement once, for both databases. sqlx binds `$N`
//! placeholders by number on SQLite as on PostgreSQL, and each value bound
//! here has a column type on both schemas (INTEGER / BIGINT, BLOB / BYTEA,
//! INTEGER / BOOLEAN, TEXT), so one text serves both.
//!
//! `on_pool!` and `on_tx!` (`pool.rs`) expand a statement once per backend,
//! so each copy is type-checked against its own driver and no generic
//! `Database` bound leaks out. What truly differs lives beside: `sqlite.rs`
//! and `postgres.rs` hold the connect options, how a transaction begins,
//! PostgreSQL's advisory locks and the purge.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use tokio::sync::oneshot;

use super::client_cache::ClientCache;
use super::device;
use super::pool::{Pool, Tx, on_pool, on_tx};
use super::rows::{
    ActiveSessionRow, ClientRow, CodeRow, ConsentRow, GrantRow, SessionRow, SigningKeyRow, ThrottleRow, TokenRow,
    UserRow, client_columns, parse_scopes, public_key_select, session_columns, throttle_select, token_select,
    user_columns,
};
use super::writer::{TxFuture, Writer, writer_count};
use super::{
    ActiveSession, BoundRequest, ClientUpdate, CodeRecord, DeviceAnswer, DeviceRecord, DeviceRequest, GrantRecord,
    NewDeviceAuthorization, NewEmailLink, NewSigningKey, NewTokens, NewUser, PersonalTokenRecord, Redemption,
    SessionRecord, SigningKeyRecord, Store, StoreResult, ThrottleRecord, ThrottleStep, TokenRecord, UserCredentials,
    emails, postgres, sqlite,
};
use super::{NewPasskey, PasskeyCeremony, PasskeyRecord, passkeys};
use super::{PoolUsage, TwoFactorChallenge, TwoFactorRecord, two_factor};
use crate::clock::UnixTime;
use crate::domain::client::{Client, ClientPk, NewClient};
use crate::domain::device::Pace;
use crate::domain::email::{EmailAddress, EmailLink};
use crate::domain::oidc::{Authentication, KeyMaterial, KeyProtection};
use crate::domain::passkey::{CeremonyKind, PasskeyId};
use crate::domain::personal_token::{NewPersonalToken, PersonalToken, PersonalTokenId};
use crate::domain::pkce::CodeChallenge;
use crate::domain::profile::ProfileChange;
use crate::domain::response_mode::ResponseMode;
use crate::domain::scope::ScopeSet;
use crate::domain::security_event::{SecurityEvent, SecurityEventKind, SecurityEventRecord};
use crate::domain::token::{FamilyId, SecretHash};
use crate::domain::user::{User, UserId};

/// The store on either database: reads on the pool, writes through the
/// group-commit writer (`writer.rs`), application records through a cache
/// (`client_cache.rs`).
#[derive(Debug)]
pub(super) struct SqlStore {
    pub(super) pool: Pool,
    pub(super) writer: Writer,
    pub(super) clients: Arc<ClientCache>,
    /// Dropping it stops the PostgreSQL listener that keeps `clients` fresh.
    _stop_listening: Option<oneshot::Sender<()>>,
}

/// Pins a write's future, fixing its error type so `?` works inside.
pub(super) fn boxed<'t, T>(work: impl std::future::Future<Output = sqlx::Result<T>> + Send + 't) -> TxFuture<'t, T> {
    Box::pin(work)
}

impl SqlStore {
    /// What a write that changes an application runs after its commit:
    /// drops the application that `changed` names from this process's cache
    /// (other instances hear of it through the notification the write sent).
    fn evict_changed<T>(
        &self,
        changed: impl Fn(&T) -> Option<String> + Send + 'static,
    ) -> impl FnOnce(&T) + Send + 'static {
        let clients = Arc::clone(&self.clients);
        move |result: &T| {
            if let Some(client_id) = changed(result) {
                clients.evict(&client_id);
            }
        }
    }

    /// A store over an open (and migrated) pool of at most `max_connections`;
    /// starts its writer tasks.
    pub(super) fn new(pool: Pool, max_connections: u32) -> SqlStore {
        let writer = Writer::spawn(pool.clone(), writer_count(&pool, max_connections));
        let (clients, stop_listening) = match &pool {
            Pool::Sqlite(_) => (Arc::new(ClientCache::new(true)), None),
            Pool::Postgres(pg) => {
                let clients = Arc::new(ClientCache::new(false));
                let (stop, stopped) = oneshot::channel();
                tokio::spawn(postgres::listen_for_client_changes(pg.clone(), Arc::clone(&clients), stopped));
                (clients, Some(stop))
            }
        };
        SqlStore { pool, writer, clients, _stop_listening: stop_listening }
    }

    /// Spends a single-use credential with `spend_sql` (an UPDATE binding
    /// `now` as `$1` and the hash as `$2`, returning the family id only if it
    /// was unused) and writes `tokens` in the same transaction; on a replay,
    /// revokes the family `family_sql` finds. The UPDATE's row lock (SQLite:
    /// the database's write lock) makes a concurrent redemption on any
    /// instance wait and then see the credential spent, so two redemptions
    /// can never both succeed; a crash before COMMIT leaves neither the
    /// spend nor the tokens.
    async fn spend_and_issue(
        &self,
        spend_sql: &'static str,
        family_sql: &'static str,
        hash: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<Redemption> {
        let args = (*hash, tokens.clone());
        let outcome = self.writer.write(args, move |(hash, tokens), tx| {
            boxed(async move {
                tx.lock_client(tokens.client_pk, true).await?;
                tx.lock_family(&tokens.family_id).await?;
                let spent: Option<FamilyId> = on_tx!(&mut *tx, conn => {
                    sqlx::query_scalar(spend_sql).bind(now).bind(hash).fetch_optional(conn).await?
                });
                if spent.is_some() {
                    write_tokens(tx, tokens).await?;
                    return Ok(Redemption::Issued);
                }
                let family: Option<FamilyId> =
                    on_tx!(&mut *tx, conn => sqlx::query_scalar(family_sql).bind(hash).fetch_optional(conn).await?);
                if let Some(family_id) = family {
                    revoke_family_in(tx, &family_id, now).await?;
                }
                Ok(Redemption::Replayed)
            })
        });
        outcome.await
    }
}

/// Writes the access token and, if there is one, the refresh token, in one
/// statement: each statement is a round trip to the database (on SQLite, to
/// its connection's thread), and the writer runs them one after another.
pub(super) async fn write_tokens(tx: &mut Tx, tokens: &NewTokens) -> sqlx::Result<()> {
    const INSERT: &str = "INSERT INTO tokens (token_hash, kind, client_pk, user_id, scopes, family_id, created_at, \
         expires_at, auth_time, amr) VALUES ($1, 'access', $2, $3, $4, $5, $6, $7, $8, $9)";
    const INSERT_PAIR: &str = "INSERT INTO tokens (token_hash, kind, client_pk, user_id, scopes, family_id, created_at, \
         expires_at, auth_time, amr) VALUES ($1, 'access', $2, $3, $4, $5, $6, $7, $8, $9), \
         ($10, 'refresh', $2, $3, $11, $5, $6, $12, $8, $9)";
    let (auth_time, amr) = auth_columns(tokens.auth.as_ref());
    on_tx!(tx, conn => {
        let query = sqlx::query(if tokens.refresh_hash.is_some() { INSERT_PAIR } else { INSERT })
            .bind(tokens.access_hash)
            .bind(tokens.client_pk)
            .bind(tokens.user_id)
            .bind(&tokens.scopes)
            .bind(&tokens.family_id)
            .bind(tokens.created_at)
            .bind(tokens.access_expires_at)
            .bind(auth_time)
            .bind(amr.as_deref());
        let query = match tokens.refresh_hash {
            Some(refresh) => query.bind(refresh).bind(&tokens.refresh_scopes).bind(tokens.refresh_expires_at),
            None => query,
        };
        query.execute(conn).await?;
    });
    Ok(())
}

/// Remembers that `user_id` approved `scopes` for the client, replacing the
/// set approved before.
pub(super) async fn save_grant_in(
    tx: &mut Tx,
    user_id: UserId,
    client_pk: ClientPk,
    scopes: &ScopeSet,
    now: UnixTime,
) -> sqlx::Result<()> {
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO grants (user_id, client_pk, scopes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (user_id, client_pk) DO UPDATE \
             SET scopes = excluded.scopes, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(client_pk)
        .bind(scopes)
        .bind(now)
        .execute(conn)
        .await?;
    });
    Ok(())
}

async fn revoke_family_in(tx: &mut Tx, family_id: &FamilyId, now: UnixTime) -> sqlx::Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(family_id)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Inserts a signing key; with `unless_current`, nothing happens (and
/// `false` comes back) when its algorithm already has a current key.
async fn insert_signing_key_in(tx: &mut Tx, key: &NewSigningKey, unless_current: bool) -> sqlx::Result<bool> {
    const INSERT: &str = "INSERT INTO signing_keys (kid, alg, public_jwk, private_key, protection, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)";
    const INSERT_FIRST: &str = "INSERT INTO signing_keys (kid, alg, public_jwk, private_key, protection, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    let inserted = on_tx!(tx, conn => {
        sqlx::query(if unless_current { INSERT_FIRST } else { INSERT })
            .bind(&key.kid)
            .bind(key.alg.as_str())
            .bind(&key.public_jwk)
            .bind(&key.private_key.0)
            .bind(key.protection.as_str())
            .bind(key.created_at)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(inserted == 1)
}

/// Reads every key's state under its row lock (a fresh key reads as zeros)
/// and writes back what `step` makes of them; returns the states as read.
async fn update_throttles_in(tx: &mut Tx, keys: &[String], step: &ThrottleStep) -> sqlx::Result<Vec<ThrottleRecord>> {
    let mut read = Vec::with_capacity(keys.len());
    for key in keys {
        let row: ThrottleRow = on_tx!(&mut *tx, conn => {
            sqlx::query_as(
                "INSERT INTO throttles (key, failures, last_failure_at, locked_until, in_flight, in_flight_since) \
                 VALUES ($1, 0, 0, 0, 0, 0) ON CONFLICT (key) DO UPDATE SET key = excluded.key \
                 RETURNING failures, last_failure_at, locked_until, in_flight, in_flight_since",
            )
            .bind(key)
            .fetch_one(conn)
            .await?
        });
        read.push(row.into_record());
    }
    for (key, state) in keys.iter().zip(step(&read).unwrap_or_default()) {
        on_tx!(&mut *tx, conn => {
            sqlx::query(
                "UPDATE throttles SET failures = $1, last_failure_at = $2, locked_until = $3, in_flight = $4, \
                 in_flight_since = $5 WHERE key = $6",
            )
            .bind(state.failures)
            .bind(state.last_failure_at)
            .bind(state.locked_until)
            .bind(state.in_flight)
            .bind(state.in_flight_since)
            .bind(key)
            .execute(conn)
            .await?;
        });
    }
    Ok(read)
}

/// A sign-in as its two nullable columns (`auth_time`, `amr`).
pub(super) fn auth_columns(auth: Option<&Authentication>) -> (Option<i64>, Option<String>) {
    (auth.map(|a| a.time), auth.map(Authentication::amr))
}

/// A PKCE challenge as its two nullable columns.
fn challenge_columns(challenge: Option<&CodeChallenge>) -> (Option<&str>, Option<&'static str>) {
    (challenge.map(CodeChallenge::as_str), challenge.map(|c| c.method().as_str()))
}

/// What the purge deletes, in bounded batches: (table, key column,
/// condition on `$1` = now).
const PURGE_BATCHES: [(&str, &str, &str); 10] = [
    ("authorization_codes", "code_hash", "expires_at < $1"),
    // Device codes stay a day after expiry, so a device still polling
    // reads `expired_token` (RFC 8628 §3.5), not "unknown device code".
    ("device_codes", "device_code_hash", "expires_at < $1 - 86400"),
    ("consent_requests", "id_hash", "expires_at < $1"),
    ("sessions", "id_hash", "expires_at < $1"),
    // Spent and expired tokens stay a day so a replay is still recognised.
    ("tokens", "token_hash", "expires_at < $1 - 86400"),
    // Mailed links stay a day after expiry, so a late click reads "expired".
    ("email_links", "token_hash", "expires_at < $1 - 86400"),
    // Never a key with attempts in flight: its count would start again.
    ("throttles", "key", "last_failure_at < $1 - 86400 AND locked_until < $1 AND in_flight_since < $1 - 60"),
    ("two_factor_challenges", "id_hash", "expires_at < $1"),
    ("passkey_ceremonies", "id_hash", "expires_at < $1"),
    // A two-factor setup nobody confirmed within a day (its partial index).
    ("two_factor", "user_id", "enabled_at IS NULL AND created_at < $1 - 86400"),
];

/// The purge's statements, binding now as `$1` and the batch size as `$2`:
/// each walks an expiry index with a `LIMIT`, so its cost is the batch size,
/// not the table size. `locking` ends the batch's `SELECT` (PostgreSQL
/// skips rows a request holds; SQLite has no row locks).
pub(super) fn purge_statements(locking: &str) -> impl Iterator<Item = String> + '_ {
    PURGE_BATCHES.into_iter().map(move |(table, key, expired)| {
        format!("DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {expired} LIMIT $2{locking})")
    })
}

#[async_trait]
impl Store for SqlStore {
    fn commits(&self) -> u64 {
        self.writer.commits()
    }

    fn admin(&self) -> &dyn super::AdminStore {
        self
    }

    fn pool_usage(&self) -> PoolUsage {
        on_pool!(&self.pool, pool => PoolUsage {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    async fn ping(&self) -> StoreResult<()> {
        on_pool!(&self.pool, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    async fn insert_user(&self, user: &NewUser, now: UnixTime) -> StoreResult<User> {
        let row: UserRow = self
            .writer
            .write_guarded(user.clone(), move |user, tx| {
                boxed(async move {
                    let row: UserRow = on_tx!(&mut *tx, conn => {
                        sqlx::query_as(concat!(
                            "INSERT INTO users (login, name, email, password_hash, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $5) RETURNING ",
                            user_columns!()
                        ))
                        .bind(&user.login)
                        .bind(&user.name)
                        .bind(&user.email)
                        .bind(&user.password_hash)
                        .bind(now)
                        .fetch_one(conn).await?
                    });
                    emails::insert_primary(tx, row.id, user.email.as_str(), now).await?;
                    Ok(row)
                })
            })
            .await?;
        Ok(row.into_user())
    }

    async fn find_user(&self, id: UserId) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(UserRow::into_user))
    }

    async fn find_user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        let row: Option<UserRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1 AND disabled_at IS NULL"))
                .bind(email)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(UserRow::into_credentials))
    }

    async fn list_emails(&self, user_id: UserId) -> StoreResult<Vec<EmailAddress>> {
        emails::list(&self.pool, user_id).await
    }

    async fn add_email(&self, link: &NewEmailLink, event: &SecurityEvent) -> StoreResult<EmailAddress> {
        emails::add(&self.writer, link, event).await
    }

    async fn insert_email_link(&self, link: &NewEmailLink, event: Option<&SecurityEvent>) -> StoreResult<bool> {
        emails::insert_link(&self.writer, link, event).await
    }

    async fn find_email_link(&self, token: &SecretHash) -> StoreResult<Option<EmailLink>> {
        emails::find_link(&self.pool, token).await
    }

    async fn verify_email(&self, token: &SecretHash, now: UnixTime, event: &SecurityEvent) -> StoreResult<bool> {
        emails::verify(&self.writer, token, now, event).await
    }

    async fn set_primary_email(
        &self,
        user_id: UserId,
        email: &str,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        emails::set_primary(&self.writer, user_id, email, now, event).await
    }

    async fn remove_email(
        &self,
        user_id: UserId,
        email: &str,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        emails::remove(&self.writer, user_id, email, now, event).await
    }

    async fn find_reset_account(&self, email: &str) -> StoreResult<Option<User>> {
        emails::find_reset_account(&self.pool, email).await
    }

    async fn reset_password(
        &self,
        token: &SecretHash,
        password_hash: &str,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        emails::reset_password(&self.writer, token, password_hash, now, event).await
    }

    async fn insert_client(&self, client: &NewClient, now: UnixTime) -> StoreResult<Client> {
        let row: ClientRow = self
            .writer
            .write_guarded(client.clone(), move |client, tx| {
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query_as(concat!(
                            "INSERT INTO clients (client_id, secret_hash, secret_hint, owner_id, name, homepage, \
                             description, redirect_uris, scopes, id_token_alg, post_logout_redirect_uris, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING ",
                            client_columns!("")
                        ))
                        .bind(&client.client_id)
                        .bind(client.secret_hash)
                        .bind(&client.secret_hint)
                        .bind(client.owner_id)
                        .bind(&client.name)
                        .bind(&client.homepage)
                        .bind(&client.description)
                        .bind(client.redirect_uris.join("\n"))
                        .bind(&client.scopes)
                        .bind(client.id_token_alg.as_str())
                        .bind(client.post_logout_redirect_uris.join("\n"))
                        .bind(now)
                        .fetch_one(conn).await
                    })
                })
            })
            .await?;
        Ok(row.into_client())
    }

    async fn find_client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let ticket = match self.clients.get(client_id, Instant::now()) {
            Ok(client) => return Ok(Some(client)),
            Err(ticket) => ticket,
        };
        let row: Option<ClientRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!("SELECT ", client_columns!(""), " FROM clients WHERE client_id = $1 AND disabled_at IS NULL"))
                .bind(client_id)
                .fetch_optional(pool)
                .await?
        });
        let client = row.map(ClientRow::into_client);
        if let Some(client) = &client {
            self.clients.fill(ticket, client, Instant::now());
        }
        Ok(client)
    }

    async fn find_client_by_pk(&self, id: ClientPk) -> StoreResult<Option<Client>> {
        let row: Option<ClientRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!("SELECT ", client_columns!(""), " FROM clients WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(ClientRow::into_client))
    }

    async fn find_grant(&self, user_id: UserId, client_pk: ClientPk) -> StoreResult<Option<ScopeSet>> {
        let scopes: Option<String> = on_pool!(&self.pool, pool => {
            sqlx::query_scalar("SELECT scopes FROM grants WHERE user_id = $1 AND client_pk = $2")
                .bind(user_id)
                .bind(client_pk)
                .fetch_optional(pool)
                .await?
        });
        Ok(scopes.as_deref().map(parse_scopes))
    }

    async fn save_grant(
        &self,
        user_id: UserId,
        client_pk: ClientPk,
        scopes: &ScopeSet,
        now: UnixTime,
        event: Option<&SecurityEvent>,
    ) -> StoreResult<()> {
        let args = (scopes.clone(), event.cloned());
        self.writer
            .write(args, move |(scopes, event), tx| {
                boxed(async move {
                    save_grant_in(tx, user_id, client_pk, scopes, now).await?;
                    tx.record_events(event.as_slice(), now).await
                })
            })
            .await?;
        Ok(())
    }

    async fn insert_consent_request(
        &self,
        id: &SecretHash,
        request: &BoundRequest,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        self.writer
            .write((*id, request.clone()), move |(id, request), tx| {
                let (challenge, method) = challenge_columns(request.challenge.as_ref());
                let (auth_time, amr) = auth_columns(request.auth.as_ref());
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query(
                            "INSERT INTO consent_requests (id_hash, user_id, client_pk, redirect_uri, \
                             redirect_uri_given, scopes, state, code_challenge, code_challenge_method, expires_at, \
                             nonce, auth_time, amr, response_mode) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                        )
                        .bind(id)
                        .bind(request.user_id)
                        .bind(request.client_pk)
                        .bind(&request.redirect_uri)
                        .bind(request.redirect_uri_given)
                        .bind(&request.scopes)
                        .bind(&request.state)
                        .bind(challenge)
                        .bind(method)
                        .bind(expires_at)
                        .bind(&request.nonce)
                        .bind(auth_time)
                        .bind(amr)
                        .bind(request.response_mode.stored())
                        .execute(conn).await.map(|done| done.rows_affected())
                    })
                })
            })
            .await?;
        Ok(())
    }

    async fn take_consent_request(&self, id: &SecretHash, now: UnixTime) -> StoreResult<Option<BoundRequest>> {
        // DELETE … RETURNING: of two instances receiving the same form, only
        // one gets the row.
        let row: Option<ConsentRow> = self
            .writer
            .write(*id, |id, tx| {
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query_as(
                            "DELETE FROM consent_requests WHERE id_hash = $1 RETURNING client_pk, user_id, \
                             redirect_uri, redirect_uri_given, scopes, state, code_challenge, code_challenge_method, \
                             nonce, auth_time, amr, response_mode, expires_at",
                        )
                        .bind(id)
                        .fetch_optional(conn).await
                    })
                })
            })
            .await?;
        // Expiry is checked after the delete so an expired request is gone too.
        let Some(row) = row.filter(|r| r.expires_at > now) else { return Ok(None) };
        let mode = ResponseMode::from_stored(row.response_mode.as_deref());
        let request = row.request.into_request(row.state)?;
        Ok(Some(BoundRequest { response_mode: mode, ..request }))
    }

    async fn insert_authorization_code(
        &self,
        code: &SecretHash,
        request: &BoundRequest,
        family_id: &FamilyId,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        let args = (*code, request.clone(), family_id.clone());
        self.writer
            .write(args, move |(code, request, family_id), tx| {
                let (challenge, method) = challenge_columns(request.challenge.as_ref());
                let (auth_time, amr) = auth_columns(request.auth.as_ref());
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query(
                            "INSERT INTO authorization_codes (code_hash, client_pk, user_id, redirect_uri, \
                             redirect_uri_given, scopes, code_challenge, code_challenge_method, family_id, created_at, \
                             expires_at, nonce, auth_time, amr) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                        )
                        .bind(code)
                        .bind(request.client_pk)
                        .bind(request.user_id)
                        .bind(&request.redirect_uri)
                        .bind(request.redirect_uri_given)
                        .bind(&request.scopes)
                        .bind(challenge)
                        .bind(method)
                        .bind(family_id)
                        .bind(now)
                        .bind(expires_at)
                        .bind(&request.nonce)
                        .bind(auth_time)
                        .bind(amr)
                        .execute(conn).await.map(|done| done.rows_affected())
                    })
                })
            })
            .await?;
        Ok(())
    }

    async fn find_authorization_code(&self, code: &SecretHash) -> StoreResult<Option<CodeRecord>> {
        let row: Option<CodeRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT client_pk, user_id, redirect_uri, redirect_uri_given, scopes, code_challenge, \
                 code_challenge_method, nonce, auth_time, amr, family_id, expires_at, used_at FROM authorization_codes \
                 WHERE code_hash = $1",
            )
            .bind(code)
            .fetch_optional(pool)
            .await?
        });
        row.map(|r| {
            Ok(CodeRecord {
                request: r.request.into_request(None)?,
                family_id: r.family_id,
                expires_at: r.expires_at,
                used: r.used_at.is_some(),
            })
        })
        .transpose()
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
        self.writer
            .write(tokens.clone(), |tokens, tx| {
                boxed(async move {
                    tx.lock_client(tokens.client_pk, true).await?;
                    write_tokens(tx, tokens).await
                })
            })
            .await?;
        Ok(())
    }

    async fn find_token(&self, token: &SecretHash) -> StoreResult<Option<TokenRecord>> {
        let row: Option<TokenRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(
                token_select!(),
                // A disabled user's or application's tokens stop at once (0013_admin.sql).
                " WHERE t.token_hash = $1 AND u.disabled_at IS NULL AND c.disabled_at IS NULL"
            ))
                .bind(token)
                .fetch_optional(pool)
                .await?
        });
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
        self.writer
            .write(*token, move |token, tx| {
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
                            .bind(now)
                            .bind(token)
                            .execute(conn).await.map(|done| done.rows_affected())
                    })
                })
            })
            .await?;
        Ok(())
    }

    async fn revoke_family(&self, family_id: &FamilyId, now: UnixTime) -> StoreResult<()> {
        self.writer
            .write(family_id.clone(), move |family_id, tx| {
                boxed(async move {
                    tx.lock_family(family_id).await?;
                    revoke_family_in(tx, family_id, now).await
                })
            })
            .await?;
        Ok(())
    }

    async fn insert_session(
        &self,
        id: &SecretHash,
        session: &SessionRecord,
        now: UnixTime,
        expires_at: UnixTime,
        events: &[SecurityEvent],
    ) -> StoreResult<()> {
        self.writer
            .write((*id, session.clone(), events.to_vec()), move |(id, session, events), tx| {
                boxed(async move {
                    on_tx!(&mut *tx, conn => {
                        sqlx::query(
                            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, auth_time, amr, \
                             user_agent, ip, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4)",
                        )
                        .bind(id)
                        .bind(session.user_id)
                        .bind(&session.csrf_token)
                        .bind(now)
                        .bind(expires_at)
                        .bind(session.auth.time)
                        .bind(session.auth.amr())
                        .bind(&session.user_agent)
                        .bind(&session.ip)
                        .execute(conn).await?.rows_affected()
                    });
                    tx.record_events(events, now).await
                })
            })
            .await?;
        Ok(())
    }

    async fn find_session(&self, id: &SecretHash, now: UnixTime) -> StoreResult<Option<SessionRecord>> {
        let row: Option<SessionRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                session_columns!(),
                // A disabled user's sessions are refused in the same read.
                " FROM sessions WHERE id_hash = $1 AND expires_at > $2 \
                 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.disabled_at IS NOT NULL)"
            ))
                .bind(id)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(SessionRow::into_record))
    }

    async fn touch_session(&self, id: &SecretHash, now: UnixTime) -> StoreResult<()> {
        self.writer
            .write(*id, move |id, tx| {
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                            .bind(now)
                            .bind(id)
                            .execute(conn).await.map(|done| done.rows_affected())
                    })
                })
            })
            .await?;
        Ok(())
    }

    async fn list_sessions(&self, user_id: UserId, now: UnixTime) -> StoreResult<Vec<ActiveSession>> {
        let rows: Vec<ActiveSessionRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(
                "SELECT id_hash, created_at, ", session_columns!(),
                " FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, created_at DESC"
            ))
            .bind(user_id)
            .bind(now)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let id_hash = SecretHash::from_slice(&row.id_hash)?;
                Some(ActiveSession { id_hash, record: row.session.into_record(), created_at: row.created_at })
            })
            .collect())
    }

    async fn delete_user_session(
        &self,
        user_id: UserId,
        id: &SecretHash,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        let deleted = self
            .writer
            .write((*id, event.clone()), move |(id, event), tx| {
                boxed(async move {
                    let deleted = on_tx!(&mut *tx, conn => {
                        sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
                            .bind(id)
                            .bind(user_id)
                            .execute(conn).await?.rows_affected()
                    });
                    if deleted > 0 {
                        tx.record_events(std::slice::from_ref(event), now).await?;
                    }
                    Ok(deleted > 0)
                })
            })
            .await?;
        Ok(deleted)
    }

    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: Option<&SecretHash>,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<u64> {
        let deleted = self
            .writer
            .write((keep.copied(), event.clone()), move |(keep, event), tx| {
                boxed(async move {
                    // An all-zero hash is no session's: `None` keeps nothing.
                    let keep = keep.unwrap_or(SecretHash([0; 32]));
                    let deleted = on_tx!(&mut *tx, conn => {
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                            .bind(user_id)
                            .bind(keep)
                            .execute(conn).await?.rows_affected()
                    });
                    tx.record_events(std::slice::from_ref(event), now).await?;
                    Ok(deleted)
                })
            })
            .await?;
        Ok(deleted)
    }

    async fn record_security_event(&self, event: &SecurityEvent, now: UnixTime) -> StoreResult<()> {
        self.writer
            .write(event.clone(), move |event, tx| {
                boxed(async move { tx.record_events(std::slice::from_ref(event), now).await })
            })
            .await?;
        Ok(())
    }

    async fn list_security_events(&self, user_id: UserId, limit: i64) -> StoreResult<Vec<SecurityEventRecord>> {
        let rows: Vec<(String, String, String, i64)> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT kind, ip, detail, created_at FROM security_events WHERE user_id = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(user_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(kind, ip, detail, created_at)| {
                Some(SecurityEventRecord { kind: SecurityEventKind::parse(&kind)?, ip, detail, created_at })
            })
            .collect())
    }

    async fn purge_security_events(&self, before: UnixTime, limit: i64) -> StoreResult<u64> {
        let purged = self
            .writer
            .write((), move |(), tx| {
                boxed(async move {
                    on_tx!(tx, conn => {
                        sqlx::query(
                            "DELETE FROM security_events WHERE id IN \
                             (SELECT id FROM security_events WHERE created_at < $1 LIMIT $2)",
                        )
                        .bind(before)
                        .bind(limit)
                        .execute(conn).await.map(|done| done.rows_affected())
                    })
                })
            })
            .await?;
        Ok(purged)
    }

    async fn delete_session(&self, id: &SecretHash) -> StoreResult<()> {
        self.writer
            .write(*id, |id, tx| {
                boxed(async move { on_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id).execute(conn).await.map(|done| done.rows_affected())) })
            })
            .await?;
        Ok(())
    }

    async fn find_two_factor(&self, user_id: UserId) -> StoreResult<Option<TwoFactorRecord>> {
        two_factor::find(&self.pool, user_id).await
    }

    async fn begin_two_factor_setup(
        &self,
        user_id: UserId,
        secret: &KeyMaterial,
        protection: KeyProtection,
        now: UnixTime,
    ) -> StoreResult<bool> {
        two_factor::begin_setup(&self.writer, user_id, secret, protection, now).await
    }

    async fn enable_two_factor(
        &self,
        user_id: UserId,
        secret: &KeyMaterial,
        step: i64,
        recovery_codes: &[SecretHash],
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let enable = two_factor::Enable {
            user_id,
            secret: secret.clone(),
            step,
            recovery_codes: recovery_codes.to_vec(),
            event: event.clone(),
        };
        two_factor::enable(&self.writer, enable, now).await
    }

    async fn disable_two_factor(&self, user_id: UserId, event: &SecurityEvent, now: UnixTime) -> StoreResult<bool> {
        two_factor::disable(&self.writer, user_id, event, now).await
    }

    async fn spend_totp_step(&self, user_id: UserId, step: i64) -> StoreResult<bool> {
        two_factor::spend_step(&self.writer, user_id, step).await
    }

    async fn spend_recovery_code(
        &self,
        user_id: UserId,
        code: &SecretHash,
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<bool> {
        two_factor::spend_recovery_code(&self.writer, user_id, code, event, now).await
    }

    async fn count_recovery_codes(&self, user_id: UserId) -> StoreResult<i64> {
        two_factor::count_recovery_codes(&self.pool, user_id).await
    }

    async fn insert_two_factor_challenge(&self, id: &SecretHash, challenge: &TwoFactorChallenge) -> StoreResult<()> {
        two_factor::insert_challenge(&self.writer, id, challenge).await
    }

    async fn find_two_factor_challenge(
        &self,
        id: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<TwoFactorChallenge>> {
        two_factor::find_challenge(&self.pool, id, now).await
    }

    async fn take_two_factor_challenge(&self, id: &SecretHash, now: UnixTime) -> StoreResult<bool> {
        two_factor::take_challenge(&self.writer, id, now).await
    }

    async fn list_passkeys(&self, user_id: UserId) -> StoreResult<Vec<PasskeyRecord>> {
        passkeys::list(&self.pool, user_id).await
    }

    async fn find_passkey_by_credential(&self, credential_id: &[u8]) -> StoreResult<Option<PasskeyRecord>> {
        passkeys::find_by_credential(&self.pool, credential_id).await
    }

    async fn insert_passkey(&self, passkey: &NewPasskey, event: &SecurityEvent) -> StoreResult<PasskeyId> {
        passkeys::insert(&self.writer, passkey.clone(), event.clone()).await
    }

    async fn rename_passkey(
        &self,
        id: PasskeyId,
        user_id: UserId,
        name: &str,
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<bool> {
        passkeys::rename(&self.writer, (id, user_id), name, event, now).await
    }

    async fn remove_passkey(
        &self,
        id: PasskeyId,
        user_id: UserId,
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<Option<String>> {
        passkeys::remove(&self.writer, (id, user_id), event, now).await
    }

    async fn record_passkey_use(&self, id: PasskeyId, passkey: &str, now: UnixTime) -> StoreResult<bool> {
        passkeys::record_use(&self.writer, id, passkey, now).await
    }

    async fn insert_passkey_ceremony(&self, id: &SecretHash, ceremony: &PasskeyCeremony) -> StoreResult<()> {
        passkeys::insert_ceremony(&self.writer, id, ceremony.clone()).await
    }

    async fn take_passkey_ceremony(
        &self,
        id: &SecretHash,
        kind: CeremonyKind,
        now: UnixTime,
    ) -> StoreResult<Option<PasskeyCeremony>> {
        passkeys::take_ceremony(&self.writer, id, kind, now).await
    }

    async fn list_clients_by_owner(&self, owner_id: UserId) -> StoreResult<Vec<Client>> {
        let rows: Vec<ClientRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!("SELECT ", client_columns!(""), " FROM clients WHERE owner_id = $1 ORDER BY id DESC"))
                .bind(owner_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(ClientRow::into_client).collect())
    }

    async fn update_client(
        &self,
        client_pk: ClientPk,
        owner_id: UserId,
        update: &ClientUpdate,
        now: UnixTime,
    ) -> StoreResult<Option<Client>> {
        let row: Option<ClientRow> = self
            .writer
            .write_then(
                update.clone(),
                move |update, tx| {
                    boxed(async move {
                        let row: Option<ClientRow> = on_tx!(&mut *tx, conn => {
                            sqlx::query_as(concat!(
                                "UPDATE clients SET name = $1, homepage = $2, description = $3, redirect_uris = $4, \
                                 scopes = $5, id_token_alg = $6, post_logout_redirect_uris = $7, updated_at = $8 \
                                 WHERE id = $9 AND owner_id = $10 \
                                 RETURNING ",
                                client_columns!("")
                            ))
                            .bind(&update.name)
                            .bind(&update.homepage)
                            .bind(&update.description)
                            .bind(update.redirect_uris.join("\n"))
                            .bind(&update.scopes)
                            .bind(update.id_token_alg.as_str())
                            .bind(update.post_logout_redirect_uris.join("\n"))
                            .bind(now)
                            .bind(client_pk)
                            .bind(owner_id)
                            .fetch_optional(conn)
                            .await?
                        });
                        if let Some(row) = &row {
                            tx.notify_client_changed(&row.client_id).await?;
                        }
                        Ok(row)
                    })
                },
                self.evict_changed(|row: &Option<ClientRow>| row.as_ref().map(|row| row.client_id.clone())),
            )
            .await?;
        Ok(row.map(ClientRow::into_client))
    }

    async fn reset_client_secret(
        &self,
        client_pk: ClientPk,
        owner_id: UserId,
        secret_hash: &SecretHash,
        secret_hint: &str,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let args = (*secret_hash, secret_hint.to_owned());
        let changed = self
            .writer
            .write_then(
                args,
                move |(secret_hash, secret_hint), tx| {
                    boxed(async move {
                        let changed: Option<String> = on_tx!(&mut *tx, conn => {
                            sqlx::query_scalar(
                                "UPDATE clients SET secret_hash = $1, secret_hint = $2, updated_at = $3 \
                                 WHERE id = $4 AND owner_id = $5 AND secret_hash IS NOT NULL RETURNING client_id",
                            )
                            .bind(secret_hash)
                            .bind(secret_hint)
                            .bind(now)
                            .bind(client_pk)
                            .bind(owner_id)
                            .fetch_optional(conn)
                            .await?
                        });
                        if let Some(client_id) = &changed {
                            tx.notify_client_changed(client_id).await?;
                        }
                        Ok(changed)
                    })
                },
                self.evict_changed(Option::clone),
            )
            .await?;
        // The old secret stops working at once: no cached record keeps it.
        Ok(changed.is_some())
    }

    async fn revoke_client_tokens(&self, client_pk: ClientPk, now: UnixTime) -> StoreResult<u64> {
        let revoked = self
            .writer
            .write((), move |(), tx| {
                boxed(async move {
                    tx.lock_client(client_pk, false).await?;
                    let revoked = on_tx!(&mut *tx, conn => {
                        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE client_pk = $2 AND revoked_at IS NULL")
                            .bind(now)
                            .bind(client_pk)
                            .execute(conn)
                            .await?
                            .rows_affected()
                    });
                    on_tx!(&mut *tx, conn => {
                        sqlx::query("DELETE FROM authorization_codes WHERE client_pk = $1 AND used_at IS NULL")
                            .bind(client_pk)
                            .execute(conn)
                            .await?
                            .rows_affected()
                    });
                    // Device codes not yet spent, approved or not, buy nothing any more.
                    on_tx!(tx, conn => {
                        sqlx::query("DELETE FROM device_codes WHERE client_pk = $1 AND used_at IS NULL")
                            .bind(client_pk)
                            .execute(conn)
                            .await?
                            .rows_affected()
                    });
                    Ok(revoked)
                })
            })
            .await?;
        Ok(revoked)
    }

    async fn delete_client(&self, client_pk: ClientPk, owner_id: UserId) -> StoreResult<bool> {
        let deleted = self
            .writer
            .write_then((), move |(), tx| {
                boxed(async move {
                    let deleted: Option<String> = on_tx!(&mut *tx, conn => {
                        sqlx::query_scalar("DELETE FROM clients WHERE id = $1 AND owner_id = $2 RETURNING client_id")
                            .bind(client_pk)
                            .bind(owner_id)
                            .fetch_optional(conn)
                            .await?
                    });
                    if let Some(client_id) = &deleted {
                        tx.notify_client_changed(client_id).await?;
                    }
                    Ok(deleted)
                })
            }, self.evict_changed(Option::clone))
            .await?;
        Ok(deleted.is_some())
    }

    async fn list_grants_for_user(&self, user_id: UserId) -> StoreResult<Vec<GrantRecord>> {
        let rows: Vec<GrantRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                client_columns!("c."),
                ", g.scopes AS granted_scopes, g.created_at AS granted_at, g.updated_at AS approved_at \
                 FROM grants g JOIN clients c ON c.id = g.client_pk WHERE g.user_id = $1 \
                 ORDER BY g.updated_at DESC, c.id DESC"
            ))
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
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

    async fn revoke_grant(
        &self,
        user_id: UserId,
        client_pk: ClientPk,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        let deleted = self
            .writer
            .write(event.clone(), move |event, tx| {
                boxed(async move {
                    tx.lock_client(client_pk, false).await?;
                    let deleted = on_tx!(&mut *tx, conn => {
                        sqlx::query("DELETE FROM grants WHERE user_id = $1 AND client_pk = $2")
                            .bind(user_id)
                            .bind(client_pk)
                            .execute(conn)
                            .await?
                            .rows_affected()
                    });
                    if deleted == 0 {
                        // No grant: nothing to revoke.
                        return Ok(false);
                    }
                    on_tx!(&mut *tx, conn => {
                        sqlx::query(
                            "UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND client_pk = $3 \
                             AND revoked_at IS NULL",
                        )
                        .bind(now)
                        .bind(user_id)
                        .bind(client_pk)
                        .execute(conn)
                        .await?
                        .rows_affected()
                    });
                    on_tx!(&mut *tx, conn => {
                        sqlx::query(
                            "DELETE FROM authorization_codes WHERE user_id = $1 AND client_pk = $2 AND used_at IS NULL",
                        )
                        .bind(user_id)
                        .bind(client_pk)
                        .execute(conn)
                        .await?
                        .rows_affected()
                    });
                    // A device the user approved and that has not polled yet gets nothing.
                    on_tx!(&mut *tx, conn => {
                        sqlx::query("DELETE FROM device_codes WHERE user_id = $1 AND client_pk = $2 AND used_at IS NULL")
                            .bind(user_id)
                            .bind(client_pk)
                            .execute(conn)
                            .await?
                            .rows_affected()
                    });
                    tx.record_events(std::slice::from_ref(event), now).await?;
                    Ok(true)
                })
            })
            .await?;
        Ok(deleted)
    }

    // The account pages' statements live in `accounts.rs`.
    async fn update_profile(
        &self,
        user_id: UserId,
        change: &ProfileChange,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<User>> {
        self.update_profile_sql(user_id, change, now, event).await
    }

    async fn change_password(
        &self,
        user_id: UserId,
        password_hash: &str,
        keep: &SecretHash,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<u64>> {
        self.change_password_sql(user_id, password_hash, keep, now, event).await
    }

    async fn delete_user(&self, user_id: UserId) -> StoreResult<bool> {
        self.delete_user_sql(user_id).await
    }

    async fn insert_personal_token(
        &self,
        token: &NewPersonalToken,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<PersonalToken>> {
        self.insert_personal_token_sql(token, now, event).await
    }

    async fn find_personal_token(&self, hash: &SecretHash) -> StoreResult<Option<PersonalTokenRecord>> {
        self.find_personal_token_sql(hash).await
    }

    async fn list_personal_tokens(&self, user_id: UserId) -> StoreResult<Vec<PersonalToken>> {
        self.list_personal_tokens_sql(user_id).await
    }

    async fn revoke_personal_token(
        &self,
        user_id: UserId,
        id: PersonalTokenId,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool> {
        self.revoke_personal_token_sql(user_id, id, now, event).await
    }

    async fn touch_personal_token(&self, id: PersonalTokenId, now: UnixTime) -> StoreResult<()> {
        self.touch_personal_token_sql(id, now).await
    }

    async fn find_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRecord>> {
        let row: Option<ThrottleRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(throttle_select!(), " WHERE key = $1")).bind(key).fetch_optional(pool).await?
        });
        Ok(row.map(ThrottleRow::into_record))
    }

    async fn update_throttles(&self, keys: &[&str], step: Box<ThrottleStep>) -> StoreResult<Vec<ThrottleRecord>> {
        // The upsert locks the row (ON CONFLICT DO UPDATE), so concurrent
        // attempts on one key, on any instance, take turns until commit; on
        // SQLite the writer is the only one writing.
        let keys: Vec<String> = keys.iter().map(|&key| key.to_owned()).collect();
        let read = self.writer.write((keys, step), |(keys, step), tx| boxed(update_throttles_in(tx, keys, step)));
        Ok(read.await?)
    }

    async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
        self.writer
            .write(key.to_owned(), |key, tx| {
                boxed(async move { on_tx!(tx, conn => sqlx::query("DELETE FROM throttles WHERE key = $1").bind(key).execute(conn).await.map(|done| done.rows_affected())) })
            })
            .await?;
        Ok(())
    }

    async fn list_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows: Vec<SigningKeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(concat!(public_key_select!(), " ORDER BY created_at DESC, kid"))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(SigningKeyRow::into_record).collect()
    }

    async fn current_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows: Vec<SigningKeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT kid, alg, public_jwk, private_key, protection, created_at, retired_at FROM signing_keys \
                 WHERE retired_at IS NULL",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(SigningKeyRow::into_record).collect()
    }

    async fn insert_first_signing_key(&self, key: &NewSigningKey) -> StoreResult<bool> {
        // DO NOTHING on the partial unique index: of instances starting
        // together, the first key of an algorithm wins and the others load it.
        let inserted = self
            .writer
            .write(key.clone(), |key, tx| boxed(async move { insert_signing_key_in(tx, key, true).await }))
            .await?;
        Ok(inserted)
    }

    async fn rotate_signing_key(&self, key: &NewSigningKey, now: UnixTime) -> StoreResult<()> {
        // Guarded: a concurrent rotation of the same algorithm makes the
        // INSERT conflict, which must not roll back the rest of the batch.
        self.writer
            .write_guarded(key.clone(), move |key, tx| {
                boxed(async move {
                    on_tx!(&mut *tx, conn => {
                        sqlx::query(
                            "UPDATE signing_keys SET retired_at = $1, private_key = NULL \
                             WHERE alg = $2 AND retired_at IS NULL",
                        )
                        .bind(now)
                        .bind(key.alg.as_str())
                        .execute(conn)
                        .await?;
                    });
                    insert_signing_key_in(tx, key, false).await
                })
            })
            .await?;
        Ok(())
    }

    async fn insert_device_authorization(&self, new: &NewDeviceAuthorization) -> StoreResult<()> {
        device::insert(&self.writer, new).await
    }

    async fn find_device_authorization(&self, device_code: &SecretHash) -> StoreResult<Option<DeviceRecord>> {
        device::find(&self.pool, device_code).await
    }

    async fn find_device_request(&self, user_code: &SecretHash, now: UnixTime) -> StoreResult<Option<DeviceRequest>> {
        device::find_request(&self.pool, user_code, now).await
    }

    async fn update_device_pace(&self, device_code: &SecretHash, seen: Pace, next: Pace) -> StoreResult<bool> {
        device::update_pace(&self.writer, device_code, seen, next).await
    }

    async fn decide_device_request(
        &self,
        user_code: &SecretHash,
        answer: &DeviceAnswer,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceRequest>> {
        device::decide(&self.writer, user_code, answer, now).await
    }

    async fn redeem_device_code(
        &self,
        device_code: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<bool> {
        device::redeem(&self.writer, device_code, tokens, now).await
    }

    async fn purge_expired(&self, now: UnixTime, limit: i64) -> StoreResult<u64> {
        // One batch of each table per call, in the writer like any write: it
        // never waits for the write lock, nor makes a request wait long.
        let purged = self.writer.write((), move |(), tx| {
            boxed(async move {
                match tx {
                    Tx::Sqlite(tx) => sqlite::purge_expired(tx, now, limit).await,
                    Tx::Postgres(tx) => postgres::purge_expired(tx, now, limit).await,
                }
            })
        });
        Ok(purged.await?)
    }
}
