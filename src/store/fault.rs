//! Storage faults (SPEC §4 "Storage faults"): which driver errors mean "the
//! database cannot be written or reached right now", and how a pool sheds the
//! connections that lived through one.
//!
//! Why shed them: a SQLite connection whose write failed with an I/O error
//! can be left inside its transaction, holding the database's write lock.
//! Back in the pool it blocks every other writer, and its own later
//! statements "succeed" inside that transaction without ever being
//! committed — a token answered 200 that was never stored. Closing every
//! connection opened before the latest fault (when it is next released or
//! acquired) releases the lock and lets the process recover by itself once
//! the fault clears. PostgreSQL needs no shedding: sqlx pings its
//! connections before each checkout and drops the dead ones, and a server's
//! refusals (too many connections, shutting down) are answered 503 without
//! closing the healthy connections, which would only feed a reconnect storm.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::error::DatabaseError;
use sqlx::pool::PoolOptions;

/// The process's reference point for fault times.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
/// Nanoseconds after [`EPOCH`] of the latest fault, plus one; 0 for none.
static LAST_FAULT: AtomicU64 = AtomicU64::new(0);

/// What a driver error says about the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Busy or slow (a lock held too long, an exhausted pool, a statement
    /// timeout): unavailable for now, but the connections are sound.
    Busy,
    /// Unwritable or unreachable (I/O error, read-only or full disk, lost
    /// connection, server shut down): the connections that saw it are suspect.
    Broken,
}

/// Whether `error` means the database is unwritable, unreachable or too busy
/// right now (a condition that can clear by itself), rather than a bug or a
/// bad request; `None` for anything else.
pub fn classify(error: &sqlx::Error) -> Option<Fault> {
    match error {
        // A SQLite connection runs on a worker thread of its own.
        sqlx::Error::WorkerCrashed => Some(Fault::Broken),
        // Network errors are PostgreSQL's: sqlx pings a PostgreSQL connection
        // before each checkout and drops a dead one itself, so nothing needs
        // shedding (and shedding healthy ones would feed a reconnect storm).
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed => Some(Fault::Busy),
        sqlx::Error::Database(db) => sqlite_fault(db.as_ref()).or_else(|| postgres_fault(db.as_ref())),
        _ => None,
    }
}

/// SQLite's primary result codes for a busy, read-only, full or failing disk.
fn sqlite_fault(db: &dyn DatabaseError) -> Option<Fault> {
    const BUSY: i64 = 5;
    const LOCKED: i64 = 6;
    const NOMEM: i64 = 7;
    const READONLY: i64 = 8;
    const IOERR: i64 = 10;
    const FULL: i64 = 13;
    const CANTOPEN: i64 = 14;
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    let code = db.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
    match code & 0xff {
        BUSY | LOCKED => Some(Fault::Busy),
        NOMEM | READONLY | IOERR | FULL | CANTOPEN => Some(Fault::Broken),
        _ => None,
    }
}

/// PostgreSQL's SQLSTATEs for a condition that can clear by itself: a lost
/// connection (class 08), exhausted resources such as a full disk or too
/// many connections (53), an operator's shutdown or a statement timeout
/// (57), a system I/O error (58), a read-only standby (25006). All are
/// `Busy`: sqlx itself drops a PostgreSQL connection that no longer answers.
fn postgres_fault(db: &dyn DatabaseError) -> Option<Fault> {
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    let code = db.code().unwrap_or_default();
    let unavailable = ["08", "53", "57", "58"].iter().any(|class| code.starts_with(class)) || code == "25006";
    unavailable.then_some(Fault::Busy)
}

/// Whether `error` is PostgreSQL breaking a deadlock (40P01) or refusing a
/// serialisation (40001): the transaction was rolled back and running it
/// again can succeed. Batches of the group-commit writer hold their locks
/// across writes, so two batches can wait on each other.
pub fn is_transient_conflict(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = error else { return false };
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some()
        && matches!(db.code().as_deref(), Some("40P01" | "40001"))
}

/// Notes that a connection-breaking fault happened now.
pub fn record() {
    let since = u64::try_from(EPOCH.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
    LAST_FAULT.fetch_max(since + 1, Ordering::Relaxed);
}

/// Whether a connection of this age was already open at the latest fault;
/// such a connection is closed instead of being used again.
pub fn lived_through_a_fault(age: Duration) -> bool {
    let last = LAST_FAULT.load(Ordering::Relaxed);
    if last == 0 {
        return false;
    }
    let since_fault = EPOCH.elapsed().saturating_sub(Duration::from_nanos(last - 1));
    age >= since_fault
}

/// Pool options that close, instead of reusing, every connection that lived
/// through a fault: when it is released and, should it be idle at the fault,
/// when it is next acquired.
pub fn shed_after_faults<DB: sqlx::Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .after_release(|_, meta| Box::pin(async move { Ok(!lived_through_a_fault(meta.age)) }))
        .before_acquire(|_, meta| Box::pin(async move { Ok(!lived_through_a_fault(meta.age)) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crashed_sqlite_worker_is_broken_network_and_timeouts_busy_row_errors_neither() {
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Some(Fault::Busy));
        assert_eq!(classify(&sqlx::Error::WorkerCrashed), Some(Fault::Broken));
        assert_eq!(classify(&sqlx::Error::Io(std::io::Error::other("reset"))), Some(Fault::Busy));
        assert_eq!(classify(&sqlx::Error::RowNotFound), None);
        assert_eq!(classify(&sqlx::Error::ColumnNotFound("x".into())), None);
    }

    #[test]
    fn only_connections_older_than_the_latest_fault_are_shed() {
        let _ = *EPOCH;
        std::thread::yield_now();
        record();
        assert!(lived_through_a_fault(Duration::from_secs(3600)));
        assert!(!lived_through_a_fault(Duration::ZERO));
    }
}
