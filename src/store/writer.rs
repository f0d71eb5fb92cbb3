//! Group commit: every write of the store goes through a writer task, which
//! applies all the writes waiting for it in one transaction with one commit
//! (one fsync), then answers each caller — only once its write is durable.
//!
//! Why: a transaction per request costs an fsync per request, and on SQLite
//! concurrent writers only queue for its single write lock, sleeping in the
//! busy handler. One writer owning the lock never sleeps and never sees
//! `SQLITE_BUSY`; a burst of 64 requests costs one commit, not 64. On
//! PostgreSQL a few writers share the queue, so one batch collects while
//! another commits (`writer_count`).
//!
//! A batch runs its writes one after another in one transaction, exactly as
//! if they had run alone in that order: a second spend of a code sees the
//! first one's `used_at`, so single use and rotation keep exactly one winner.
//! When one write fails (a unique violation, a deadlock the server broke)
//! the batch rolls back and each write runs again alone, so a failure is
//! only ever its own. A failure to begin or to commit fails the whole batch
//! and nothing is retried: after a failed COMMIT nobody knows whether it
//! took, and running a spend twice would call the first a replay.
//!
//! Reads do not come here; they keep the pool.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, mpsc, oneshot};

use super::StoreError;
use super::pool::{Pool, Tx};

/// What a write returns: a future borrowing its inputs and the transaction.
pub(super) type TxFuture<'t, T> = Pin<Box<dyn Future<Output = sqlx::Result<T>> + Send + 't>>;

/// Most writes in one transaction: enough to amortise the commit at a few
/// hundred concurrent requests, few enough that one batch holds the write
/// lock for milliseconds, not longer.
const MAX_BATCH: usize = 128;

/// Writes waiting beyond this make callers wait to hand theirs over
/// (backpressure) instead of growing memory without bound.
const QUEUE_LENGTH: usize = 4096;

/// The handle requests hand their writes to; cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    queue: mpsc::Sender<Box<dyn Pending>>,
    commits: Arc<AtomicU64>,
}

/// How many writer tasks a pool gets: one on SQLite (it has one write lock;
/// more writers would only queue for it), a few on PostgreSQL, leaving most
/// of the pool's connections to reads.
pub(super) fn writer_count(pool: &Pool, max_connections: u32) -> usize {
    match pool {
        Pool::Sqlite(_) => 1,
        Pool::Postgres(_) => (max_connections as usize / 2).clamp(1, 4),
    }
}

impl Writer {
    /// Starts `writers` writer tasks on `pool`. They end when the last handle
    /// is dropped.
    pub(super) fn spawn(pool: Pool, writers: usize) -> Writer {
        let (queue, waiting) = mpsc::channel(QUEUE_LENGTH);
        let waiting = Arc::new(Mutex::new(waiting));
        let commits = Arc::new(AtomicU64::new(0));
        let tasks = (0..writers).map(|_| supervise(pool.clone(), Arc::clone(&waiting), Arc::clone(&commits)));
        match pool {
            // SQLite's writer gets a thread of its own: on the shared runtime
            // it waited behind every request task at each of its awaits (one
            // per statement), which made the one writer the bottleneck
            // (docs/performance.md). sqlx's SQLite connections do no tokio
            // I/O, so they work from any runtime.
            Pool::Sqlite(_) => {
                let tasks: Vec<_> = tasks.collect();
                let thread = std::thread::Builder::new().name("gatehouse-writer".to_owned()).spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    match runtime {
                        Ok(runtime) => runtime.block_on(futures_join_all(tasks)),
                        Err(error) => tracing::error!(%error, "cannot start the store's writer runtime"),
                    }
                });
                if let Err(error) = thread {
                    tracing::error!(%error, "cannot start the store's writer thread");
                }
            }
            // PostgreSQL's writers mostly wait on the server; their sockets
            // belong to the shared runtime, so they stay on it.
            Pool::Postgres(_) => tasks.for_each(|task| drop(tokio::spawn(task))),
        }
        Writer { queue, commits }
    }

    /// Transactions committed so far: fewer than the writes when group
    /// commit is doing its job.
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Runs `work` on `args` inside the next batch's transaction and returns
    /// its result once that transaction has committed. `work` may run more
    /// than once (see the module comment), so it owns its inputs through
    /// `args` and changes nothing outside the transaction.
    pub(super) async fn write<A, T, F>(&self, args: A, work: F) -> Result<T, StoreError>
    where
        A: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t A, &'t mut Tx) -> TxFuture<'t, T> + Send + Sync + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job { args, work, result: None, reply });
        // A caller that goes away after this still has its write applied:
        // the job belongs to the writer now.
        self.queue.send(job).await.map_err(|_| StoreError::internal(WriterGone))?;
        answer.await.map_err(|_| StoreError::internal(WriterGone))?
    }
}

/// The writer task stopped (the runtime is shutting down) or panicked in
/// the middle of this write's batch.
#[derive(Debug, thiserror::Error)]
#[error("the store's writer stopped before answering")]
struct WriterGone;

/// A write waiting for its batch, with its answer slot.
trait Pending: Send {
    /// Runs the write in `tx`, keeping its result until the commit.
    fn apply<'t>(&'t mut self, tx: &'t mut Tx) -> TxFuture<'t, ()>;
    /// The batch committed: answer with the kept result.
    fn succeed(self: Box<Self>);
    /// Answer with an error.
    fn fail(self: Box<Self>, error: StoreError);
}

struct Job<A, T, F> {
    args: A,
    work: F,
    result: Option<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<A, T, F> Pending for Job<A, T, F>
where
    A: Send + Sync + 'static,
    T: Send + 'static,
    F: for<'t> Fn(&'t A, &'t mut Tx) -> TxFuture<'t, T> + Send + Sync + 'static,
{
    fn apply<'t>(&'t mut self, tx: &'t mut Tx) -> TxFuture<'t, ()> {
        let Job { args, work, result, .. } = self;
        Box::pin(async move {
            *result = Some(work(args, tx).await?);
            Ok(())
        })
    }

    fn succeed(self: Box<Self>) {
        let answer = self.result.ok_or_else(|| StoreError::internal(WriterGone));
        // The caller may have gone away; its write stands all the same.
        let _ = self.reply.send(answer);
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

type Queue = Arc<Mutex<mpsc::Receiver<Box<dyn Pending>>>>;

/// Runs every writer on the current (dedicated) runtime until all end.
async fn futures_join_all(tasks: Vec<impl Future<Output = ()> + Send + 'static>) {
    let running: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
    for task in running {
        let _ = task.await;
    }
}

/// Keeps one writer running: a panic in a write fails that batch's callers
/// (their answer slots drop) and starts the writer again.
async fn supervise(pool: Pool, waiting: Queue, commits: Arc<AtomicU64>) {
    loop {
        match tokio::spawn(drain(pool.clone(), Arc::clone(&waiting), Arc::clone(&commits))).await {
            Err(stopped) if stopped.is_panic() => tracing::error!("store writer panicked; restarting it"),
            // Every handle is gone, or the runtime is shutting down.
            _ => return,
        }
    }
}

/// Takes whatever is waiting (up to a batch) and applies it, until every
/// handle is dropped. With several writers, one holds the queue while it
/// waits, the others are busy committing.
async fn drain(pool: Pool, waiting: Queue, commits: Arc<AtomicU64>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if waiting.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let committed = apply_batch(&pool, &mut batch).await;
        commits.fetch_add(committed, Ordering::Relaxed);
    }
}

/// Where a batch failed.
enum Failure {
    /// No transaction: nothing ran.
    Begin(sqlx::Error),
    /// One write failed; the transaction is rolled back.
    Write(sqlx::Error),
    /// The commit failed: the batch may or may not have taken.
    Commit(sqlx::Error),
}

/// Applies a batch and answers every job in it; returns how many
/// transactions committed.
async fn apply_batch(pool: &Pool, batch: &mut Vec<Box<dyn Pending>>) -> u64 {
    match run_together(pool, batch).await {
        Ok(()) => {
            batch.drain(..).for_each(|job| job.succeed());
            1
        }
        // Alone in its batch, the write gets its own error as the driver
        // gave it (a unique violation stays a `Conflict`).
        Err(Failure::Write(error)) if batch.len() == 1 => {
            if let Some(job) = batch.pop() {
                job.fail(error.into());
            }
            0
        }
        Err(Failure::Write(_)) => {
            let mut committed = 0;
            for job in batch.drain(..) {
                committed += run_alone(pool, job).await;
            }
            committed
        }
        Err(Failure::Begin(error) | Failure::Commit(error)) => {
            fail_all(error, batch.drain(..));
            0
        }
    }
}

async fn run_together(pool: &Pool, batch: &mut [Box<dyn Pending>]) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let mut tx = Tx::begin(pool).await.map_err(Failure::Begin)?;
    for job in batch.iter_mut() {
        if let Err(error) = job.apply(&mut tx).await {
            tx.rollback().await;
            return Err(Failure::Write(error));
        }
    }
    let applied = started.elapsed();
    tx.commit().await.map_err(Failure::Commit)?;
    // For profiling the write path (`RUST_LOG=gatehouse::store::writer=trace`).
    let (writes, applied_us, total_us) = (batch.len(), applied.as_micros(), started.elapsed().as_micros());
    tracing::trace!(writes, applied_us, total_us, "batch committed");
    Ok(())
}

async fn run_alone(pool: &Pool, job: Box<dyn Pending>) -> u64 {
    let mut single = [job];
    let outcome = run_together(pool, &mut single).await;
    let [job] = single;
    match outcome {
        Ok(()) => {
            job.succeed();
            1
        }
        Err(Failure::Begin(error) | Failure::Write(error) | Failure::Commit(error)) => {
            job.fail(error.into());
            0
        }
    }
}

/// Gives every job of a failed batch the same error, classified once (so a
/// storage fault is recorded once, `store/fault.rs`).
fn fail_all(error: sqlx::Error, jobs: impl Iterator<Item = Box<dyn Pending>>) {
    let message = error.to_string();
    let unavailable = matches!(StoreError::from(error), StoreError::Unavailable(_));
    for job in jobs {
        let source = message.clone().into();
        job.fail(if unavailable { StoreError::Unavailable(source) } else { StoreError::Internal(source) });
    }
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;

    use super::*;
    use crate::store::pool::on_tx;

    /// A writer on a fresh SQLite file with one table of unique keys.
    async fn writer() -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let pool = SqlitePoolOptions::new().max_connections(2).connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE keys (key TEXT PRIMARY KEY)").execute(&pool).await.unwrap();
        (Writer::spawn(Pool::Sqlite(pool), 1), dir)
    }

    async fn insert(writer: &Writer, key: &str) -> Result<u64, StoreError> {
        writer
            .write(key.to_owned(), |key, tx| {
                Box::pin(async move {
                    on_tx!(tx, conn => {
                        sqlx::query("INSERT INTO keys (key) VALUES ($1)").bind(key).execute(conn).await?.rows_affected()
                    });
                    Ok(1)
                })
            })
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_share_commits_and_each_is_answered() {
        let (writer, _dir) = writer().await;
        let writes = (0..200).map(|i| {
            let writer = writer.clone();
            tokio::spawn(async move { insert(&writer, &format!("k{i}")).await })
        });
        for write in writes.collect::<Vec<_>>() {
            assert_eq!(write.await.unwrap().unwrap(), 1);
        }
        let commits = writer.commits();
        assert!(commits < 200, "200 concurrent writes took {commits} commits: no batching");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_fails_alone_and_its_batch_still_commits() {
        let (writer, _dir) = writer().await;
        insert(&writer, "taken").await.unwrap();
        let writes: Vec<_> = (0..50)
            .map(|i| {
                let writer = writer.clone();
                let key = if i == 25 { "taken".to_owned() } else { format!("k{i}") };
                tokio::spawn(async move { insert(&writer, &key).await })
            })
            .collect();
        let mut conflicts = 0;
        for write in writes {
            match write.await.unwrap() {
                Ok(1) => {}
                Err(StoreError::Conflict { .. }) => conflicts += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(conflicts, 1, "exactly the write of the taken key fails, as a conflict");
        let rows: i64 = writer
            .write((), |(), tx| {
                Box::pin(async move {
                    on_tx!(tx, conn => sqlx::query_scalar("SELECT count(*) FROM keys").fetch_one(conn).await)
                })
            })
            .await
            .unwrap();
        assert_eq!(rows, 50, "the 49 new keys and the taken one");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_fails_its_caller_and_the_writer_goes_on() {
        let (writer, _dir) = writer().await;
        let panicked: Result<(), _> =
            writer.write((), |(), _tx| Box::pin(async move { panic!("a bug in one write") })).await;
        assert!(matches!(panicked, Err(StoreError::Internal(_))), "got {panicked:?}");
        assert_eq!(insert(&writer, "after").await.unwrap(), 1);
    }
}
