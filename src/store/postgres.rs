//! The PostgreSQL backend: for many stateless instances behind a load
//! balancer. Every piece of shared state is a row; atomic steps are single
//! statements whose row locks serialise concurrent instances. The statements
//! are `sql.rs`'s; here is what only PostgreSQL does.
//!
//! Transactions run at READ COMMITTED, set explicitly so that a database
//! whose default is stricter behaves the same: single-use credentials are
//! spent with `UPDATE … WHERE used_at IS NULL RETURNING`, and a concurrent
//! second `UPDATE` of the same row waits for the first to commit, then
//! re-checks its `WHERE` against the committed row and finds it spent. No
//! serialisation failures, no retries, and exactly one winner.

use std::str::FromStr;

use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use tokio::sync::oneshot;

use super::client_cache::{CHANNEL, ClientCache};
use super::sql::purge_statements;
use super::{PoolSettings, StoreError, StoreResult};
use crate::clock::UnixTime;
use crate::domain::client::ClientPk;
use crate::domain::token::FamilyId;

/// The advisory lock key that elects one purging instance at a time
/// ("gatehouse purge" in spirit; any constant unlikely to clash will do).
const PURGE_LOCK_KEY: i64 = 0x6761_7465_7075_7267;

/// Opens `postgres://…` with the pool sizes and timeouts of `settings` and
/// applies migrations if asked. sqlx's migrator holds a session-level
/// `pg_advisory_lock` (keyed by the database name) while it works, so
/// instances starting together apply each migration once, in turn.
pub(super) async fn connect(url: &str, settings: &PoolSettings, migrate: bool) -> StoreResult<PgPool> {
    let mut options = PgConnectOptions::from_str(url)?.application_name("gatehouse");
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
        .acquire_timeout(std::time::Duration::from_millis(settings.acquire_timeout_ms));
    // No fault shedding here (store/fault.rs): sqlx pings a PostgreSQL
    // connection before each checkout and drops a dead one itself.
    let pool = pool.connect_with(options).await?;
    if migrate {
        sqlx::migrate!("./migrations/postgres").run(&pool).await.map_err(StoreError::internal)?;
    }
    Ok(pool)
}

/// Begins every transaction (see the module comment).
pub(super) async fn begin(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    pool.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await
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
/// family's. Each write takes client before family; but a group-commit batch
/// holds the locks of its earlier writes while later ones take theirs, so
/// two batches can deadlock. PostgreSQL breaks the cycle after
/// `deadlock_timeout` and the writer runs the writes again alone
/// (`writer.rs`, `fault::is_transient_conflict`).
pub(super) async fn lock_client(
    tx: &mut Transaction<'static, Postgres>,
    client_pk: ClientPk,
    shared: bool,
) -> sqlx::Result<()> {
    let sql = if shared {
        "SELECT pg_advisory_xact_lock_shared($1, ($2 % 2147483647)::int4)"
    } else {
        "SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::int4)"
    };
    sqlx::query(sql).bind(CLIENT_LOCKS).bind(client_pk).execute(&mut **tx).await?;
    Ok(())
}

/// The family's lock (see `lock_client`).
pub(super) async fn lock_family(tx: &mut Transaction<'static, Postgres>, family_id: &FamilyId) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(FAMILY_LOCKS)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sends `payload` on `channel` when the transaction commits.
pub(super) async fn notify(tx: &mut Transaction<'static, Postgres>, channel: &str, payload: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(&mut **tx).await?;
    Ok(())
}

/// How often the listener checks that its connection still answers: a
/// connection that died silently would otherwise leave the cache on while
/// no notification can arrive.
const LISTENER_PING: std::time::Duration = std::time::Duration::from_secs(10);

/// Keeps `cache` in step with every instance's changes: evicts the
/// application each notification names. It listens on a connection of its
/// own, outside `pool` (a `PgListener` would otherwise hold one of the pool's
/// connections for good). Until it listens, whenever the connection drops
/// or stops answering its ping (messages may have been missed), the cache is
/// emptied and bypassed. Ends when `stop` fires or its sender is dropped.
pub(super) async fn listen_for_client_changes(pool: PgPool, cache: Arc<ClientCache>, mut stop: oneshot::Receiver<()>) {
    let own = PgPoolOptions::new().max_connections(1).connect_lazy_with((*pool.connect_options()).clone());
    drop(pool);
    loop {
        let connect = async {
            let mut listener = PgListener::connect_with(&own).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = &mut stop => return,
            connected = connect => match connected {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for application changes; client cache off, retrying");
                    tokio::select! {
                        _ = &mut stop => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        cache.reset(true);
        let mut ping = tokio::time::interval(LISTENER_PING);
        ping.tick().await;
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = ping.tick() => {
                    let answered = tokio::time::timeout(LISTENER_PING / 2, sqlx::query("SELECT 1").execute(&mut listener)).await;
                    if !matches!(answered, Ok(Ok(_))) {
                        cache.reset(false);
                        break;
                    }
                }
                message = listener.try_recv() => match message {
                    Ok(Some(notification)) => cache.evict(notification.payload()),
                    // The connection dropped: messages may be lost meanwhile.
                    Ok(None) | Err(_) => {
                        cache.reset(false);
                        break;
                    }
                },
            }
        }
    }
}

/// Deletes a bounded batch of expired rows from each table, inside the
/// writer's transaction, on one instance at a time: the others find the
/// advisory lock taken and delete nothing (no double work, no queue of
/// waiters). The lock is transaction-scoped, so a crashed purger releases
/// it. SKIP LOCKED steps over rows a request is spending right now instead
/// of waiting for them.
pub(super) async fn purge_expired(
    tx: &mut Transaction<'static, Postgres>,
    now: UnixTime,
    limit: i64,
) -> sqlx::Result<u64> {
    let elected: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)").bind(PURGE_LOCK_KEY).fetch_one(&mut **tx).await?;
    if !elected {
        return Ok(0);
    }
    let mut purged = 0;
    for sql in purge_statements(" FOR UPDATE SKIP LOCKED") {
        purged += sqlx::query(&sql).bind(now).bind(limit).execute(&mut **tx).await?.rows_affected();
    }
    Ok(purged)
}
