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
//! the fault clears, on either backend.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::error::DatabaseError;

/// The process's reference point for fault times.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
/// Nanoseconds after [`EPOCH`] of the latest fault, plus one; 0 for none.
static LAST_FAULT: AtomicU64 = AtomicU64::new(0);

/// Whether `error` means the database is unwritable or unreachable (a
/// condition that can clear by itself), rather than a bug or a bad request.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => sqlite_unavailable(db.as_ref()) || postgres_unavailable(db.as_ref()),
        _ => false,
    }
}

/// SQLite's primary result codes for a busy, read-only, full or failing disk.
fn sqlite_unavailable(db: &dyn DatabaseError) -> bool {
    const BUSY: i64 = 5;
    const LOCKED: i64 = 6;
    const NOMEM: i64 = 7;
    const READONLY: i64 = 8;
    const IOERR: i64 = 10;
    const FULL: i64 = 13;
    const CANTOPEN: i64 = 14;
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_none() {
        return false;
    }
    let code = db.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
    matches!(code & 0xff, BUSY | LOCKED | NOMEM | READONLY | IOERR | FULL | CANTOPEN)
}

/// PostgreSQL's SQLSTATE classes for a lost connection (08), exhausted
/// resources such as a full disk (53), an operator's shutdown or a statement
/// timeout (57), a system I/O error (58), and a read-only standby (25006).
fn postgres_unavailable(db: &dyn DatabaseError) -> bool {
    if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_none() {
        return false;
    }
    let code = db.code().unwrap_or_default();
    ["08", "53", "57", "58"].iter().any(|class| code.starts_with(class)) || code == "25006"
}

/// Notes that a fault happened now.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_and_pool_errors_are_unavailable_and_row_errors_are_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::other("disk"))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
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
