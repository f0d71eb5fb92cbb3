//! Building and running the server: bind first (so tests can read the port),
//! then serve until the shutdown future resolves, finishing in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::accounts::two_factor::TotpSealer;
use crate::accounts::{HashError, PasswordHasher};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::keys::{KeyError, Keyring, Sealer};
use crate::mail::{MailError, Mailer};
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::{self, Store, StoreError};
use crate::web;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The Argon2 parameters are invalid.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The signing keys could not be made or read.
    #[error("signing keys: {0}")]
    Keys(#[from] KeyError),
    /// The mail settings are unusable (a bad CA file, …).
    #[error("mail: {0}")]
    Mail(#[from] MailError),
    /// The metrics registry could not be made.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A bound, ready server.
pub struct App {
    listener: TcpListener,
    /// The `--metrics-listen` listener, when set.
    metrics_listener: Option<TcpListener>,
    state: AppState,
}

impl App {
    /// Opens the store (migrating it) and binds the listener, on the real clock.
    pub async fn build(settings: Settings) -> Result<App, StartupError> {
        App::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Like [`App::build`], with a given clock (tests fix time with it).
    pub async fn build_with_clock(mut settings: Settings, clock: Arc<dyn Clock>) -> Result<App, StartupError> {
        let store = store::connect_with(settings.database_url.expose(), &settings.database, settings.migrate).await?;
        let hasher = Arc::new(PasswordHasher::new(settings.argon2)?);
        let sealer = settings.key_encryption_key.as_ref().map(Sealer::new).transpose()?;
        let totp_sealer = Arc::new(TotpSealer::new(settings.key_encryption_key.as_ref())?);
        let keys = Arc::new(Keyring::open(Arc::clone(&store), sealer, clock.now()).await?);
        let listener = bind(settings.listen).await?;
        let metrics_listener = match settings.metrics_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        if settings.issuer.is_none() {
            let bound = listener.local_addr().unwrap_or(settings.listen);
            settings.issuer = Some(format!("http://{bound}"));
        }
        let mailer = Mailer::start(&settings.mail, &settings.mail_dir(), &settings.mail_from())?;
        let metrics = Arc::new(Metrics::new()?);
        let state = AppState { store, clock, hasher, keys, totp_sealer, settings: Arc::new(settings), mailer, metrics };
        Ok(App { listener, metrics_listener, state })
    }

    /// The bound port (useful when listening on port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// The metrics listener's bound port, when `--metrics-listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.port())
    }

    /// The store the server uses.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.state.store)
    }

    /// The shared state (store, clock, hasher, settings).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    /// Meanwhile purges expired rows every `purge_interval_secs` (if not 0).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let settings = &self.state.settings;
        let (interval, keep_log) = (settings.purge_interval_secs, i64::from(settings.security_log_days) * 86_400);
        let purger = (interval > 0).then(|| {
            let (store, clock) = (Arc::clone(&self.state.store), Arc::clone(&self.state.clock));
            tokio::spawn(purge_periodically(store, clock, interval, keep_log))
        });
        let mailer = self.state.mailer.clone();
        let metrics = self.metrics_listener.map(|listener| {
            let router = web::metrics::router(self.state.clone());
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let router = web::router(self.state);
        let served = axum::serve(self.listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        for task in [purger.map(|t| t.abort_handle()), metrics.map(|t| t.abort_handle())].into_iter().flatten() {
            task.abort();
        }
        // Mail handed over by the last requests goes out, unless the relay
        // keeps it waiting: then it is lost with the process (logged).
        if !mailer.drain(MAIL_DRAIN).await {
            tracing::warn!("stopping with mail still unsent");
        }
        served
    }
}

/// Binds `addr`.
async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })
}

/// How long a shutdown waits for mail still being sent.
const MAIL_DRAIN: Duration = Duration::from_secs(5);

/// Rows deleted per table and batch: small enough that one batch is a few
/// milliseconds of index walking, on any table size.
const PURGE_BATCH: i64 = 1_000;
/// Batches per run at most, so one run never monopolises the database; what
/// is left waits for the next run.
const PURGE_MAX_BATCHES: u32 = 100;

/// Deletes expired rows, and security-log events older than `keep_log`
/// seconds, every `interval_secs` (plus up to 20% jitter, so instances
/// started together drift apart). On PostgreSQL the store lets one instance
/// purge expired rows at a time and the others skip the run.
async fn purge_periodically(store: Arc<dyn Store>, clock: Arc<dyn Clock>, interval_secs: u64, keep_log: i64) {
    loop {
        let jitter_ms = rand::random_range(0..=interval_secs.saturating_mul(200));
        tokio::time::sleep(Duration::from_secs(interval_secs) + Duration::from_millis(jitter_ms)).await;
        purge_security_log(&*store, clock.now() - keep_log).await;
        let mut purged = 0;
        for _ in 0..PURGE_MAX_BATCHES {
            match store.purge_expired(clock.now(), PURGE_BATCH).await {
                Ok(0) => break,
                Ok(rows) => {
                    purged += rows;
                    tokio::task::yield_now().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "purging expired rows failed; will retry next run");
                    break;
                }
            }
        }
        if purged > 0 {
            tracing::info!(purged, "purged expired codes, tokens and sessions");
        }
    }
}

/// Deletes the security log's events from before `before`, in batches.
async fn purge_security_log(store: &dyn Store, before: i64) {
    for _ in 0..PURGE_MAX_BATCHES {
        match store.purge_security_events(before, PURGE_BATCH).await {
            Ok(0) => break,
            Ok(_) => tokio::task::yield_now().await,
            Err(error) => {
                tracing::warn!(%error, "purging old security-log events failed; will retry next run");
                break;
            }
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
