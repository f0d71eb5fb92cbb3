//! The SQLite backend: the embedded default. One file in WAL mode; writers
//! queue on SQLite's lock (`busy_timeout`), readers never block. The
//! statements are `sql.rs`'s; here is what only SQLite does.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use super::fault;
use super::sql::purge_statements;
use super::{StoreError, StoreResult};
use crate::clock::UnixTime;

/// Connections in the pool: the writer's one (`store/writer.rs`) and
/// readers, which WAL never blocks.
pub(super) const MAX_CONNECTIONS: u32 = 8;

/// Opens `sqlite://path` (creating the file) and applies migrations if asked.
pub(super) async fn connect(url: &str, migrate: bool) -> StoreResult<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a token handed to a client survives a power cut.
        .synchronous(SqliteSynchronous::Full)
        // A few seconds, not sqlx's 30: a writer that cannot get the lock by
        // then gets 503 (SPEC §4 "Storage faults"), not a hung request.
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    // No ping before each checkout (sqlx's default): an embedded database
    // cannot lose its connection, and the ping is one more round trip to
    // the connection's worker thread on every query (docs/performance.md).
    // Connections that lived through a fault are closed, not reused
    // (store/fault.rs): that is how a process recovers once the disk does.
    let pool = SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS).test_before_acquire(false);
    let pool = fault::shed_after_faults(pool.acquire_timeout(Duration::from_secs(5))).connect_with(options).await?;
    if migrate {
        sqlx::migrate!("./migrations/sqlite").run(&pool).await.map_err(StoreError::internal)?;
    }
    Ok(pool)
}

/// Begins a transaction that holds SQLite's write lock from its first
/// statement (`IMMEDIATE`), rather than reading first and failing to
/// upgrade. Only the writer (`store/writer.rs`) begins transactions, so in
/// one process nobody waits for the lock; another process (the CLI) may
/// hold it for up to `busy_timeout`.
pub(super) async fn begin(pool: &SqlitePool) -> sqlx::Result<Transaction<'static, Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Deletes a bounded batch of expired rows from each table, inside the
/// writer's transaction.
pub(super) async fn purge_expired(
    tx: &mut Transaction<'static, Sqlite>,
    now: UnixTime,
    limit: i64,
) -> sqlx::Result<u64> {
    let mut purged = 0;
    for sql in purge_statements("") {
        purged += sqlx::query(&sql).bind(now).bind(limit).execute(&mut **tx).await?.rows_affected();
    }
    Ok(purged)
}
