//! Which database a store runs on: a pool or an open transaction of either
//! backend, and the two macros that run one statement on whichever it is.
//! Each macro expands its body once per backend, so both copies are
//! type-checked against a concrete driver (`SqlitePool`, `PgConnection`, …)
//! and nothing generic over `sqlx::Database` is needed.

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Postgres, Sqlite, Transaction};

use super::{postgres, sqlite};
use crate::clock::UnixTime;
use crate::domain::client::ClientPk;
use crate::domain::security_event::SecurityEvent;
use crate::domain::token::FamilyId;

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub(super) enum Pool {
    /// `sqlite://…`
    Sqlite(SqlitePool),
    /// `postgres://…`
    Postgres(PgPool),
}

/// An open transaction of either backend.
pub(super) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Evaluates `$body` with `$pool` bound to the concrete pool: one copy per
/// backend, each checked against its driver.
macro_rules! on_pool {
    ($pool_enum:expr, $pool:ident => $body:expr) => {
        match $pool_enum {
            $crate::store::pool::Pool::Sqlite($pool) => $body,
            $crate::store::pool::Pool::Postgres($pool) => $body,
        }
    };
}
pub(super) use on_pool;

/// Evaluates `$body` with `$conn` bound to the transaction's connection: one
/// copy per backend, each checked against its driver.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::pool::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::store::pool::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(super) use on_tx;

impl Tx {
    /// Begins a transaction the way its backend needs (`sqlite::begin`:
    /// the write lock at once; `postgres::begin`: READ COMMITTED).
    pub(super) async fn begin(pool: &Pool) -> sqlx::Result<Tx> {
        Ok(match pool {
            Pool::Sqlite(pool) => Tx::Sqlite(sqlite::begin(pool).await?),
            Pool::Postgres(pool) => Tx::Postgres(postgres::begin(pool).await?),
        })
    }

    /// Makes issuing and revoking for one client take turns
    /// (`postgres::lock_client`). Nothing to do on SQLite: a transaction
    /// there holds the only write lock from its start.
    pub(super) async fn lock_client(&mut self, client_pk: ClientPk, shared: bool) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(_) => Ok(()),
            Tx::Postgres(tx) => postgres::lock_client(tx, client_pk, shared).await,
        }
    }

    /// The same for one token family (`postgres::lock_family`); nothing to
    /// do on SQLite.
    pub(super) async fn lock_family(&mut self, family_id: &FamilyId) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(_) => Ok(()),
            Tx::Postgres(tx) => postgres::lock_family(tx, family_id).await,
        }
    }

    /// Tells every instance that the application `client_id` changed, when
    /// this transaction commits (`store/client_cache.rs`). On SQLite there is
    /// no other instance to tell.
    pub(super) async fn notify_client_changed(&mut self, client_id: &str) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(_) => Ok(()),
            Tx::Postgres(tx) => postgres::notify(tx, super::client_cache::CHANNEL, client_id).await,
        }
    }

    /// Writes the security log's `events` in this transaction, beside the
    /// change they record.
    pub(super) async fn record_events(&mut self, events: &[SecurityEvent], now: UnixTime) -> sqlx::Result<()> {
        for event in events {
            let ip = event.ip.map(|ip| ip.to_string()).unwrap_or_default();
            on_tx!(&mut *self, conn => {
                sqlx::query(
                    "INSERT INTO security_events (user_id, kind, ip, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(event.user_id)
                .bind(event.kind.as_str())
                .bind(ip)
                .bind(&event.detail)
                .bind(now)
                .execute(conn)
                .await?;
            });
        }
        Ok(())
    }

    /// Starts a savepoint for one guarded write (`writer.rs`).
    pub(super) async fn savepoint(&mut self) -> sqlx::Result<()> {
        self.execute("SAVEPOINT gatehouse_write").await
    }

    /// Keeps the guarded write.
    pub(super) async fn release_savepoint(&mut self) -> sqlx::Result<()> {
        self.execute("RELEASE SAVEPOINT gatehouse_write").await
    }

    /// Undoes the guarded write and nothing before it.
    pub(super) async fn rollback_to_savepoint(&mut self) -> sqlx::Result<()> {
        self.execute("ROLLBACK TO SAVEPOINT gatehouse_write").await
    }

    async fn execute(&mut self, sql: &'static str) -> sqlx::Result<()> {
        on_tx!(self, conn => { sqlx::query(sql).execute(conn).await?; });
        Ok(())
    }

    /// Rolls back, ignoring a failure: the error that made the caller roll
    /// back is the one worth reporting.
    pub(super) async fn rollback(self) {
        let _ = match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        };
    }

    /// Commits.
    pub(super) async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}
