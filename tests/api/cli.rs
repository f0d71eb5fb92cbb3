//! SPEC §2 command line: the real binary, end to end.

use std::process::{Command, Output, Stdio};

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{Backend, TestDatabase, USER_AGENT};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

fn gatehouse(db: &str, args: &[&str]) -> Output {
    Command::new(BIN).arg("--database-url").arg(db).args(args).output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn created_user_and_app_work_against_a_served_instance_which_stops_on_sigterm() {
    let database = TestDatabase::create().await;
    let db = database.url.clone();
    let user = json(&gatehouse(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ann@example.com",
            "--name",
            "ann",
            "--password",
            "correct horse battery",
            "--json",
        ],
    ));
    let app = json(&gatehouse(
        &db,
        &[
            "app",
            "create",
            "--owner",
            "ann@example.com",
            "--name",
            "CLI App",
            "--redirect-uri",
            "https://a.example/cb",
            "--redirect-uri",
            "https://a.example/cb2",
            "--scopes",
            "user_info projects",
            "--json",
        ],
    ));
    assert_eq!(user["login"], "ann");
    let client_id = app["client_id"].as_str().unwrap();
    let client_secret = app["client_secret"].as_str().unwrap();
    assert_eq!(client_id.len(), 64);
    assert!(client_secret.starts_with("gcs_"));
    let port = free_port();
    let mut server = tokio::process::Command::new(BIN)
        .args(["--database-url", &db, "serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut logs = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut log_text = String::new();
    while let Some(line) = logs.next_line().await.unwrap() {
        log_text.push_str(&line);
        if line.contains("listening") {
            break;
        }
    }

    let response = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .build()
        .unwrap()
        .post(format!("http://127.0.0.1:{port}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "ann@example.com"),
            ("password", "correct horse battery"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("scope", "user_info"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token: serde_json::Value = response.json().await.unwrap();
    let status = Command::new("kill").args(["-TERM", &server.id().unwrap().to_string()]).status().unwrap();
    assert!(status.success());
    while let Some(line) = logs.next_line().await.unwrap() {
        log_text.push_str(&line);
    }
    let exit = server.wait().await.unwrap();

    assert!(exit.success(), "serve exits 0 on SIGTERM");
    assert!(log_text.contains("gatehouse stopped"), "{log_text}");
    for secret in [
        client_secret,
        token["access_token"].as_str().unwrap(),
        token["refresh_token"].as_str().unwrap(),
        "correct horse battery",
    ] {
        assert!(!log_text.contains(secret), "a secret reached the logs");
    }
    // At rest: the SQLite file is read whole; PostgreSQL's tables are dumped as text.
    let stored = match Backend::current() {
        Backend::Sqlite => {
            let dir = database.dir.as_ref().unwrap().path();
            let mut bytes = std::fs::read(dir.join("gatehouse.db")).unwrap();
            bytes.extend(std::fs::read(dir.join("gatehouse.db-wal")).unwrap_or_default());
            bytes
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db).await.unwrap();
            let mut text = String::new();
            for table in ["users", "clients", "tokens", "sessions", "authorization_codes"] {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT t::text FROM {table} t")).fetch_all(&pool).await.unwrap();
                text.extend(rows);
            }
            text.into_bytes()
        }
    };
    for secret in [client_secret, token["access_token"].as_str().unwrap(), token["refresh_token"].as_str().unwrap()] {
        let needle = secret.as_bytes();
        assert!(!stored.windows(needle.len()).any(|w| w == needle), "a secret is stored in the clear");
    }
}

#[tokio::test]
async fn a_public_app_gets_no_secret() {
    let database = TestDatabase::create().await;
    let db = database.url.clone();
    json(&gatehouse(&db, &["user", "create", "--email", "ann@example.com", "--name", "ann", "--json"]));

    let app = json(&gatehouse(
        &db,
        &[
            "app",
            "create",
            "--owner",
            "ann@example.com",
            "--name",
            "Native",
            "--redirect-uri",
            "com.example.app:/cb",
            "--public",
            "--json",
        ],
    ));

    assert!(app["client_secret"].is_null());
    assert_eq!(app["public"], true);
}

#[tokio::test]
async fn a_generated_password_is_printed_once() {
    let database = TestDatabase::create().await;
    let db = database.url.clone();

    let user = json(&gatehouse(&db, &["user", "create", "--email", "ann@example.com", "--name", "ann", "--json"]));

    assert!(user["password"].as_str().unwrap().len() >= 40);
}

#[tokio::test]
async fn bad_input_exits_non_zero_with_a_one_line_message() {
    let database = TestDatabase::create().await;
    let db = database.url.clone();
    json(&gatehouse(&db, &["user", "create", "--email", "ann@example.com", "--name", "ann", "--json"]));

    for args in [
        vec!["user", "create", "--email", "not-an-email", "--name", "bob", "--password", "long enough"],
        vec!["user", "create", "--email", "ann@example.com", "--name", "other", "--password", "long enough"],
        vec!["app", "create", "--owner", "nobody@example.com", "--name", "X", "--redirect-uri", "https://a.example/cb"],
        vec!["app", "create", "--owner", "ann@example.com", "--name", "X", "--redirect-uri", "javascript:alert(1)"],
        vec![
            "app",
            "create",
            "--owner",
            "ann@example.com",
            "--name",
            "X",
            "--redirect-uri",
            "https://a.example/cb",
            "--scopes",
            "admin",
        ],
    ] {
        let output = gatehouse(&db, &args);

        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("gatehouse: "), "{stderr}");
    }
}

#[test]
fn every_command_documents_itself() {
    for (args, expected) in [
        (vec!["--help"], "serve"),
        (vec!["serve", "--help"], "--listen"),
        (vec!["serve", "--help"], "GATEHOUSE_DATABASE_URL"),
        (vec!["user", "create", "--help"], "--password-stdin"),
        (vec!["app", "create", "--help"], "--redirect-uri"),
        (vec!["app", "create", "--help"], "--public"),
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();

        assert!(output.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains(expected), "{args:?} lacks {expected}");
    }
}
