//! Storage faults (SPEC §4): while the database cannot be written or
//! reached, requests that must write answer 503 within a few seconds and
//! hand out nothing that was not stored; when it comes back, the same
//! process serves again without a restart.
//!
//! Each test makes its own database and breaks it for real: SQLite files
//! made immutable (`chattr +i`, as root; an unprivileged run holds SQLite's
//! write lock from another connection instead), and a PostgreSQL server of
//! the test's own stopped and started with `pg_ctl`. They run once, in the
//! SQLite pass of `scripts/test`, and cover both backends.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Connection as _;

use crate::helpers::*;
use crate::pg_cluster::PgCluster;

/// "Within a few seconds" (SPEC §4): the store's timeouts are 5 s.
const PROMPT: Duration = Duration::from_secs(8);
/// How long recovery may take once the fault clears.
const RECOVERY: Duration = Duration::from_secs(20);

#[tokio::test]
async fn an_unwritable_sqlite_database_answers_503_and_recovers_without_restart() {
    let database = TestDatabase::sqlite();
    let app = TestApp::spawn_on(database, |_| {}).await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    assert_eq!(client_credentials(&app, &client).await.status(), 200);

    let fault = SqliteFault::begin(app.database().dir.as_ref().unwrap().path().to_owned()).await;
    assert_refused_while_broken(&app, &client, &ann).await;
    drop(fault);

    let token = recovered_token(&app, &client).await;
    // Durable means a new process on the same file finds it, not only the
    // connection that wrote it.
    let app = app.restart().await;
    assert_introspected_active(&app, &client, &token).await;
}

#[tokio::test]
async fn a_stopped_postgresql_answers_503_and_the_same_process_recovers_when_it_starts() {
    let cluster = PgCluster::start();
    // A 2 s acquire timeout (the default is 5 s) keeps the test short; the
    // bound it checks is the same.
    let database = TestDatabase { url: cluster.url(), dir: None };
    let app = TestApp::spawn_on(database, |s| s.database.acquire_timeout_ms = 2_000).await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let before = app.password_grant(&ann, &client, "user_info").await["access_token"].as_str().unwrap().to_owned();

    cluster.stop();
    assert_refused_while_broken(&app, &client, &ann).await;
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503, "/healthz reports the unreachable database");
    let api = app.api_get("/api/v5/user", &before).await;
    assert_eq!(api.status(), 503, "a bearer check that cannot read is 503, not 401");
    cluster.start_again();

    let token = recovered_token(&app, &client).await;
    assert_eq!(app.api_get("/api/v5/user", &before).await.status(), 200, "tokens from before still work");
    let app = app.restart().await;
    assert_introspected_active(&app, &client, &token).await;
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

/// Every kind of write is refused with 503, promptly, and nothing is issued.
async fn assert_refused_while_broken(app: &TestApp, client: &TestClient, user: &TestUser) {
    for attempt in 0..3 {
        let started = Instant::now();
        let response = client_credentials(app, client).await;
        assert!(started.elapsed() < PROMPT, "answered in {:?}", started.elapsed());
        let body = assert_oauth_error(response, 503, "temporarily_unavailable").await;
        assert!(body.get("access_token").is_none(), "attempt {attempt}: {body}");
    }
    let password = app.password_attempt(client, &user.email, &user.password).await;
    assert_oauth_error(password, 503, "temporarily_unavailable").await;
    let device = app
        .http
        .post(app.url("/oauth/device/code"))
        .form(&[("client_id", client.id()), ("client_secret", client.secret())])
        .send()
        .await
        .unwrap();
    let body = assert_oauth_error(device, 503, "temporarily_unavailable").await;
    assert!(body.get("device_code").is_none(), "no device code that was not stored: {body}");

    let started = Instant::now();
    let signed_in = app.sign_in_attempt(&app.browser(), &user.email, &user.password).await;
    assert!(started.elapsed() < PROMPT);
    assert_eq!(signed_in.status(), 503, "a sign-in that cannot be stored is refused");
    assert!(signed_in.headers().get("set-cookie").is_none(), "no session is handed out");
    assert!(signed_in.text().await.unwrap().contains("temporarily unavailable"));
}

async fn client_credentials(app: &TestApp, client: &TestClient) -> reqwest::Response {
    app.token(&[("grant_type", "client_credentials"), ("client_id", client.id()), ("client_secret", client.secret())])
        .await
}

/// Polls until a token is issued again; the fault has cleared by now.
async fn recovered_token(app: &TestApp, client: &TestClient) -> String {
    let started = Instant::now();
    loop {
        let response = client_credentials(app, client).await;
        if response.status() == 200 {
            let body: serde_json::Value = response.json().await.unwrap();
            return body["access_token"].as_str().unwrap().to_owned();
        }
        assert_eq!(response.status(), 503, "only 503 while recovering");
        assert!(started.elapsed() < RECOVERY, "the process did not recover within {RECOVERY:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The issued token was really stored: introspection finds it active.
async fn assert_introspected_active(app: &TestApp, client: &TestClient, token: &str) {
    let response = app
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(client.id(), Some(client.secret()))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
}

/// A SQLite database that cannot be written until this is dropped.
enum SqliteFault {
    /// The folder and files are immutable (root only).
    Immutable(Vec<PathBuf>),
    /// Another connection holds the write lock (unprivileged runs, where
    /// file modes do not stop writes through already-open descriptors).
    /// This covers the busy path only, not I/O errors and the shedding of
    /// connections; the root run (CI) covers those.
    Locked { _holder: sqlx::SqliteConnection },
}

impl SqliteFault {
    async fn begin(dir: PathBuf) -> SqliteFault {
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            let mut paths = vec![dir.clone(), dir.join("gatehouse.db")];
            paths.extend([dir.join("gatehouse.db-wal")].into_iter().filter(|p| p.exists()));
            chattr("+i", &paths);
            return SqliteFault::Immutable(paths);
        }
        let url = format!("sqlite://{}", dir.join("gatehouse.db").display());
        let mut holder = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut holder).await.unwrap();
        SqliteFault::Locked { _holder: holder }
    }
}

impl Drop for SqliteFault {
    fn drop(&mut self) {
        match self {
            SqliteFault::Immutable(paths) => chattr("-i", paths),
            // Dropping the connection closes it, which releases the lock.
            SqliteFault::Locked { .. } => {}
        }
    }
}

fn chattr(flag: &str, paths: &[PathBuf]) {
    let status = Command::new("chattr").arg(flag).args(paths).status().expect("chattr (e2fsprogs) is installed");
    assert!(status.success(), "chattr {flag} {paths:?}");
}

/// The crash test of `scale_out` on SQLite: a server killed with SIGKILL
/// under load loses no token it answered with 200, and the file holds no
/// half-written grant (runs in the SQLite pass only, like this module).
#[tokio::test]
async fn a_sqlite_server_killed_mid_load_leaves_every_issued_token_working_and_nothing_half_written() {
    crate::scale_out::killed_mid_load(&TestDatabase::sqlite()).await;
}
