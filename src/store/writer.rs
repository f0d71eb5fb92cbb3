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
//! When one write fails (a deadlock the server broke, a fault) the batch
//! rolls back and each write runs again alone, so a failure is only ever
//! its own; a write that loses a deadlock alone is tried again, and once the
//! database itself turns out to be failing the rest fail at once. Writes
//! that anyone can make fail (a sign-up with a taken email) run under a
//! savepoint instead (`write_guarded`), so they cannot make a batch roll
//! back. A failure to begin or to commit fails the whole batch and nothing
//! is retried: after a failed COMMIT nobody knows whether it took, and
//! running a spend twice would call the first a replay. A write whose caller
//! left before its batch began is skipped.
//!
//! Reads do not come here; they keep the pool.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, mpsc, oneshot};

use super::pool::{Pool, Tx};
use super::{StoreError, fault};

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
        self.submit(Job::new(args, work)).await
    }

    /// `write` for a write that anyone can make fail (a sign-up with a taken
    /// email): it runs under a savepoint of its own, so its failure is
    /// answered without rolling back and re-running the rest of its batch.
    pub(super) async fn write_guarded<A, T, F>(&self, args: A, work: F) -> Result<T, StoreError>
    where
        A: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t A, &'t mut Tx) -> TxFuture<'t, T> + Send + Sync + 'static,
    {
        self.submit(Job { guarded: true, ..Job::new(args, work) }).await
    }

    /// `write`, then `after_commit` with the result on the writer, once the
    /// commit is durable and before the caller hears of it, even if the
    /// caller has gone meanwhile (a cache eviction).
    pub(super) async fn write_then<A, T, F>(
        &self,
        args: A,
        work: F,
        after_commit: impl FnOnce(&T) + Send + 'static,
    ) -> Result<T, StoreError>
    where
        A: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t A, &'t mut Tx) -> TxFuture<'t, T> + Send + Sync + 'static,
    {
        self.submit(Job { after_commit: Some(Box::new(after_commit)), ..Job::new(args, work) }).await
    }

    async fn submit<A, T, F>(&self, job: Job<A, T, F>) -> Result<T, StoreError>
    where
        A: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t A, &'t mut Tx) -> TxFuture<'t, T> + Send + Sync + 'static,
    {
        let (reply, answer) = oneshot::channel();
        // A caller that goes away before its batch starts has its write
        // skipped (nobody would learn its outcome, and a spent code would
        // make the client's retry look like a replay); once the batch has
        // started, the write stands.
        self.queue
            .send(Box::new(Job { reply: Some(reply), ..job }))
            .await
            .map_err(|_| StoreError::internal(WriterGone))?;
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
    /// Whether its caller has gone (then it is skipped).
    fn abandoned(&self) -> bool;
    /// Whether it runs under a savepoint of its own.
    fn guarded(&self) -> bool;
    /// Runs the write in `tx`, keeping its result until the commit.
    fn apply<'t>(&'t mut self, tx: &'t mut Tx) -> TxFuture<'t, ()>;
    /// A guarded write failed and was rolled back to its savepoint: keep
    /// the error as its answer.
    fn keep_failure(&mut self, error: StoreError);
    /// Forgets a result kept from an earlier try (before a re-run).
    fn reset(&mut self);
    /// The batch committed: answer with what was kept.
    fn finish(self: Box<Self>);
    /// Answer with an error.
    fn fail(self: Box<Self>, error: StoreError);
}

/// What a caller runs after its write commits.
type AfterCommit<T> = Box<dyn FnOnce(&T) + Send>;

struct Job<A, T, F> {
    args: A,
    work: F,
    guarded: bool,
    /// `Some` once applied in the current try: its result, or a guarded
    /// write's own failure.
    outcome: Option<Result<T, StoreError>>,
    after_commit: Option<AfterCommit<T>>,
    reply: Option<oneshot::Sender<Result<T, StoreError>>>,
}

impl<A, T, F> Job<A, T, F> {
    fn new(args: A, work: F) -> Job<A, T, F> {
        Job { args, work, guarded: false, outcome: None, after_commit: None, reply: None }
    }

    fn answer(&mut self, answer: Result<T, StoreError>) {
        if let Some(reply) = self.reply.take() {
            // The caller may have gone away; its write stands all the same.
            let _ = reply.send(answer);
        }
    }
}

impl<A, T, F> Pending for Job<A, T, F>
where
    A: Send + Sync + 'static,
    T: Send + 'static,
    F: for<'t> Fn(&'t A, &'t mut Tx) -> TxFuture<'t, T> + Send + Sync + 'static,
{
    fn abandoned(&self) -> bool {
        self.reply.as_ref().is_none_or(oneshot::Sender::is_closed)
    }

    fn guarded(&self) -> bool {
        self.guarded
    }

    fn apply<'t>(&'t mut self, tx: &'t mut Tx) -> TxFuture<'t, ()> {
        let Job { args, work, outcome, .. } = self;
        Box::pin(async move {
            *outcome = Some(Ok(work(args, tx).await?));
            Ok(())
        })
    }

    fn keep_failure(&mut self, error: StoreError) {
        self.outcome = Some(Err(error));
    }

    fn reset(&mut self) {
        self.outcome = None;
    }

    fn finish(mut self: Box<Self>) {
        // `None`: skipped, its caller gone.
        let Some(outcome) = self.outcome.take() else { return };
        if let (Ok(result), Some(after_commit)) = (&outcome, self.after_commit.take()) {
            after_commit(result);
        }
        self.answer(outcome);
    }

    fn fail(mut self: Box<Self>, error: StoreError) {
        self.answer(Err(error));
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
        apply_batch(&pool, &mut batch, &commits).await;
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

/// Applies a batch and answers every job in it; each commit is counted in
/// `commits` as it happens, before anyone is answered.
async fn apply_batch(pool: &Pool, batch: &mut Vec<Box<dyn Pending>>, commits: &AtomicU64) {
    match run_together(pool, batch, commits).await {
        Ok(()) => batch.drain(..).for_each(|job| job.finish()),
        // Alone in its batch, the write gets its own error as the driver
        // gave it (a unique violation stays a `Conflict`)...
        Err(Failure::Write(error)) if batch.len() == 1 && !fault::is_transient_conflict(&error) => {
            if let Some(job) = batch.pop() {
                job.fail(error.into());
            }
        }
        // ...else each write runs again alone, until the database itself
        // turns out to be failing: then the rest fail at once instead of
        // each waiting for its own timeout.
        Err(Failure::Write(_)) => {
            let mut jobs = batch.drain(..);
            while let Some(job) = jobs.next() {
                match run_alone(pool, job, commits).await {
                    Alone::Committed | Alone::Failed => {}
                    Alone::Unavailable(message) => {
                        answer_all(&message, true, jobs);
                        break;
                    }
                }
            }
        }
        Err(Failure::Begin(error) | Failure::Commit(error)) => fail_all(error, batch.drain(..)),
    }
}

/// Runs the batch's writes in one transaction: skips those whose caller has
/// gone, runs guarded ones under a savepoint, commits once.
async fn run_together(pool: &Pool, batch: &mut [Box<dyn Pending>], commits: &AtomicU64) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let mut tx = Tx::begin(pool).await.map_err(|error| Failure::Begin(noted(error)))?;
    for job in batch.iter_mut() {
        job.reset();
        if job.abandoned() {
            continue;
        }
        if let Err(error) = apply_one(&mut tx, job.as_mut()).await {
            // Noted before the rollback releases the connection, so a
            // connection that saw an I/O fault is not reused (fault.rs).
            let error = noted(error);
            tx.rollback().await;
            return Err(Failure::Write(error));
        }
    }
    let applied = started.elapsed();
    tx.commit().await.map_err(|error| Failure::Commit(noted(error)))?;
    commits.fetch_add(1, Ordering::Relaxed);
    // For profiling the write path (`RUST_LOG=gatehouse::store::writer=trace`).
    let (writes, applied_us, total_us) = (batch.len(), applied.as_micros(), started.elapsed().as_micros());
    tracing::trace!(writes, applied_us, total_us, "batch committed");
    Ok(())
}

/// One write; a guarded write's own failure (not a storage fault) is rolled
/// back to its savepoint and kept as its answer.
async fn apply_one(tx: &mut Tx, job: &mut dyn Pending) -> sqlx::Result<()> {
    if !job.guarded() {
        return job.apply(tx).await;
    }
    tx.savepoint().await?;
    match job.apply(tx).await {
        Ok(()) => tx.release_savepoint().await,
        Err(error) if fault::classify(&error).is_none() && !fault::is_transient_conflict(&error) => {
            tx.rollback_to_savepoint().await?;
            job.keep_failure(error.into());
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// Records a connection-breaking fault at once (see `run_together`).
fn noted(error: sqlx::Error) -> sqlx::Error {
    if fault::classify(&error) == Some(fault::Fault::Broken) {
        fault::record();
    }
    error
}

/// How a write run alone ended.
enum Alone {
    Committed,
    Failed,
    /// The database is failing: the message, for the writes still waiting.
    Unavailable(String),
}

/// How many times a write that lost a deadlock or a serialisation conflict
/// is tried alone (PostgreSQL aborts one side of a cycle between batches).
const CONFLICT_TRIES: usize = 3;

async fn run_alone(pool: &Pool, job: Box<dyn Pending>, commits: &AtomicU64) -> Alone {
    let mut single = [job];
    let mut tries = 0;
    let outcome = loop {
        tries += 1;
        match run_together(pool, &mut single, commits).await {
            Err(Failure::Write(error)) if fault::is_transient_conflict(&error) && tries < CONFLICT_TRIES => continue,
            outcome => break outcome,
        }
    };
    let [job] = single;
    match outcome {
        Ok(()) => {
            job.finish();
            Alone::Committed
        }
        Err(Failure::Begin(error) | Failure::Write(error) | Failure::Commit(error)) => {
            let unavailable = fault::classify(&error).is_some().then(|| error.to_string());
            job.fail(error.into());
            unavailable.map_or(Alone::Failed, Alone::Unavailable)
        }
    }
}

/// Gives every job of a failed batch the same error, classified once (so a
/// storage fault is recorded once, `store/fault.rs`).
fn fail_all(error: sqlx::Error, jobs: impl Iterator<Item = Box<dyn Pending>>) {
    let message = error.to_string();
    let unavailable = matches!(StoreError::from(error), StoreError::Unavailable(_));
    answer_all(&message, unavailable, jobs);
}

/// Fails every job with `message`, as `Unavailable` (worth retrying) or not.
fn answer_all(message: &str, unavailable: bool, jobs: impl Iterator<Item = Box<dyn Pending>>) {
    for job in jobs {
        let source = message.to_owned().into();
        job.fail(if unavailable { StoreError::Unavailable(source) } else { StoreError::Internal(source) });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    fn insert_key<'t>(key: &'t String, tx: &'t mut Tx) -> TxFuture<'t, u64> {
        Box::pin(async move {
            on_tx!(tx, conn => {
                sqlx::query("INSERT INTO keys (key) VALUES ($1)").bind(key).execute(conn).await.map(|r| r.rows_affected())
            })
        })
    }

    async fn insert(writer: &Writer, key: &str) -> Result<u64, StoreError> {
        writer.write(key.to_owned(), insert_key).await
    }

    fn count_keys<'t>((): &'t (), tx: &'t mut Tx) -> TxFuture<'t, i64> {
        Box::pin(
            async move { on_tx!(tx, conn => sqlx::query_scalar("SELECT count(*) FROM keys").fetch_one(conn).await) },
        )
    }

    async fn keys(writer: &Writer) -> i64 {
        writer.write((), count_keys).await.unwrap()
    }

    fn pause<'t>((): &'t (), _tx: &'t mut Tx) -> TxFuture<'t, ()> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            Ok(())
        })
    }

    /// Keeps the writer busy for a moment, so that the writes queued
    /// meanwhile make up the next batch together.
    async fn hold_writer(writer: &Writer) -> tokio::task::JoinHandle<()> {
        let writer = writer.clone();
        let hold = tokio::spawn(async move { writer.write((), pause).await.unwrap() });
        tokio::time::sleep(Duration::from_millis(100)).await;
        hold
    }

    /// 50 writes queued behind `hold_writer`, one of them on a taken key;
    /// returns how many failed with a conflict.
    async fn fifty_writes_with_one_conflict(writer: &Writer, guarded: bool) -> usize {
        insert(writer, "taken").await.unwrap();
        let hold = hold_writer(writer).await;
        let writes: Vec<_> = (0..50)
            .map(|i| {
                let writer = writer.clone();
                let key = if i == 25 { "taken".to_owned() } else { format!("k{i}") };
                tokio::spawn(async move {
                    if guarded {
                        writer.write_guarded(key, insert_key).await
                    } else {
                        writer.write(key, insert_key).await
                    }
                })
            })
            .collect();
        hold.await.unwrap();
        let mut conflicts = 0;
        for write in writes {
            match write.await.unwrap() {
                Ok(1) => {}
                Err(StoreError::Conflict { .. }) => conflicts += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        conflicts
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
    async fn a_failing_write_rolls_its_batch_back_and_every_write_runs_again_alone() {
        let (writer, _dir) = writer().await;
        let before = writer.commits();
        assert_eq!(fifty_writes_with_one_conflict(&writer, false).await, 1, "only the taken key fails");
        // "taken" (1), the hold (1), then the 49 good writes one by one.
        assert_eq!(writer.commits() - before, 51, "the batch was rolled back and re-run write by write");
        assert_eq!(keys(&writer).await, 50, "the 49 new keys and the taken one");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_guarded_write_fails_alone_and_its_batch_commits_once() {
        let (writer, _dir) = writer().await;
        let before = writer.commits();
        assert_eq!(fifty_writes_with_one_conflict(&writer, true).await, 1, "only the taken key fails");
        // "taken" (1), the hold (1), then the batch of 50 in one commit.
        assert_eq!(writer.commits() - before, 3, "the conflict was undone to its savepoint only");
        assert_eq!(keys(&writer).await, 50, "the 49 new keys and the taken one");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_whose_caller_left_before_its_batch_is_skipped() {
        let (writer, _dir) = writer().await;
        let hold = hold_writer(&writer).await;
        let gone = tokio::spawn({
            let writer = writer.clone();
            async move { insert(&writer, "abandoned").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        gone.abort();
        hold.await.unwrap();
        assert_eq!(insert(&writer, "kept").await.unwrap(), 1);
        assert_eq!(keys(&writer).await, 1, "the abandoned write was not applied");
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
