//! SPEC §8 "Admin CLI": the real `gatehouse` binary against the database of
//! a serving instance, on both backends. A disabled user or application
//! stops at once: sessions, access, refresh and personal tokens, the token
//! endpoint, introspection; enabling lets the user sign in again (their old
//! tokens stay ended). Backups while serving, and the restore drill.

use std::process::{Command, Output};

use gatehouse::domain::oidc::{KeyMaterial, KeyProtection};
use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};
use gatehouse::domain::token::SecretHash;

use crate::account_forms::{count, generate_token, logged, signed_in};
use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// Runs the CLI on `app`'s database.
fn gatehouse(app: &TestApp, args: &[&str]) -> Output {
    gatehouse_on(&app.database().url, args)
}

fn gatehouse_on(db: &str, args: &[&str]) -> Output {
    Command::new(BIN).arg("--database-url").arg(db).args(args).output().unwrap()
}

/// The command's standard output; it must have succeeded.
#[track_caller]
fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[track_caller]
fn json(output: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output)).unwrap()
}

/// A failed command's one-line message.
#[track_caller]
fn failure(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure: {}", String::from_utf8_lossy(&output.stdout));
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

/// A refused command line (clap's message, with its usage lines).
#[track_caller]
fn usage_error(output: &Output) -> String {
    assert!(!output.status.success());
    String::from_utf8(output.stderr.clone()).unwrap()
}

async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> serde_json::Value {
    let response = app
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(client.id(), Some(client.secret()))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn refresh(app: &TestApp, client: &TestClient, refresh_token: &str) -> reqwest::Response {
    app.token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client.id()),
        ("client_secret", client.secret()),
    ])
    .await
}

fn text(value: &serde_json::Value) -> &str {
    value.as_str().unwrap()
}

#[tokio::test]
async fn a_disabled_user_loses_session_and_every_token_at_once_and_enabled_signs_in_again() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let client = app.register_client(&bob, "user_info").await;
    let resource_server = app.register_client(&bob, "user_info").await;
    let browser = signed_in(&app, &ann).await;
    let personal = generate_token(&app, &browser, "CI", &["user_info"], "30").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let access = text(&tokens["access_token"]);
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 200);
    assert_eq!(app.api_get("/api/v5/user", &personal).await.status(), 200);
    assert_eq!(browser.get(app.url("/settings/profile")).send().await.unwrap().status(), 200);

    let disabled = gatehouse(&app, &["user", "disable", "ann@example.com"]);

    assert!(stdout(&disabled).contains("disabled user ann"));
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401, "access token");
    assert_eq!(app.api_get("/api/v5/user", &personal).await.status(), 401, "personal token");
    assert_oauth_error(refresh(&app, &client, text(&tokens["refresh_token"])).await, 400, "invalid_grant").await;
    assert_eq!(introspect(&app, &resource_server, access).await, serde_json::json!({ "active": false }));
    let page = browser.get(app.url("/settings/profile")).send().await.unwrap();
    assert_eq!(page.status(), 302, "the session ended");
    assert!(location(&page).path().starts_with("/login"));
    assert_oauth_error(app.password_attempt(&client, &ann.email, PASSWORD).await, 400, "invalid_grant").await;
    let refused = app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await;
    let wrong = app.sign_in_attempt(&app.browser(), &bob.email, "not the password").await;
    assert_eq!(refused.status(), wrong.status(), "the same answer as a wrong password");
    assert!(refused.text().await.unwrap().contains("Incorrect email or password"));
    assert_eq!(json(&gatehouse(&app, &["user", "show", "ann", "--json"]))["disabled"], true);
    assert_eq!(logged(&app, &ann).await.first(), Some(&SecurityEventKind::AccountDisabled));
    assert_eq!(app.api_get("/api/v5/user", text(&tokens["access_token"])).await.status(), 401);

    assert!(stdout(&gatehouse(&app, &["user", "enable", "ann"])).contains("enabled user ann"));
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 303, "signs in again");
    let fresh = app.password_grant(&ann, &client, "user_info").await;
    assert_eq!(app.api_get("/api/v5/user", text(&fresh["access_token"])).await.status(), 200);
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401, "old tokens stay ended");
    assert_eq!(app.api_get("/api/v5/user", &personal).await.status(), 401);
    assert_eq!(logged(&app, &ann).await.iter().filter(|k| **k == SecurityEventKind::AccountEnabled).count(), 1);
}

#[tokio::test]
async fn a_disabled_application_gets_no_tokens_and_its_tokens_stop_at_once() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let resource_server = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let access = text(&tokens["access_token"]);

    // Through the store, as /admin does, in the serving process: its cached
    // record is dropped as the change commits.
    let admin = app.store.admin();
    assert!(admin.set_app_disabled(client.client.id, true, T0).await.unwrap());

    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401);
    assert_eq!(introspect(&app, &resource_server, access).await["active"], false);
    assert_oauth_error(app.password_attempt(&client, &ann.email, PASSWORD).await, 401, "invalid_client").await;
    let authorize = app
        .authorize(
            &signed_in(&app, &ann).await,
            &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code")],
        )
        .await;
    assert_eq!(authorize.status(), 400, "an error page, never a redirect to the application");
    let shown = json(&gatehouse(&app, &["app", "show", client.id(), "--json"]));
    assert_eq!((shown["disabled"].clone(), shown["owner"]["login"].clone()), (true.into(), "ann".into()));

    assert!(stdout(&gatehouse(&app, &["app", "enable", client.id()])).contains("enabled application"));
    let fresh = app.password_grant(&ann, &client, "user_info").await;
    assert_eq!(app.api_get("/api/v5/user", text(&fresh["access_token"])).await.status(), 200);
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401, "old tokens stay revoked");

    // The command line on the serving database: the tokens stop at once.
    assert!(stdout(&gatehouse(&app, &["app", "disable", client.id()])).contains("disabled application"));
    assert_eq!(app.api_get("/api/v5/user", text(&fresh["access_token"])).await.status(), 401);
    let listed = json(&gatehouse(&app, &["app", "list", "--json"]));
    let states: Vec<bool> = listed.as_array().unwrap().iter().map(|a| a["disabled"].as_bool().unwrap()).collect();
    assert_eq!(states, [false, true], "newest first");
    assert!(stdout(&gatehouse(&app, &["app", "list"])).contains("disabled"));
}

#[tokio::test]
async fn list_and_show_print_accounts_as_text_and_json_and_unknown_names_fail_in_one_line() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    app.create_user("annabel").await;
    app.create_user("bob").await;
    let created = json(&gatehouse(
        &app,
        &[
            "user",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "root",
            "--password",
            PASSWORD,
            "--admin",
            "--json",
        ],
    ));
    assert_eq!(created["admin"], true);

    let all = json(&gatehouse(&app, &["user", "list", "--json"]));
    let anns = json(&gatehouse(&app, &["user", "list", "--search", "ANN", "--json"]));
    let page = json(&gatehouse(&app, &["user", "list", "--limit", "2", "--offset", "1", "--json"]));
    let logins = |list: &serde_json::Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|u| text(&u["login"]).to_owned()).collect()
    };
    assert_eq!(logins(&all), ["ann", "annabel", "bob", "root"]);
    assert_eq!(logins(&anns), ["ann", "annabel"]);
    assert_eq!(logins(&page), ["annabel", "bob"]);
    assert_eq!(json(&gatehouse(&app, &["user", "list", "--search", "%", "--json"])), serde_json::json!([]));
    let listed = stdout(&gatehouse(&app, &["user", "list"]));
    assert_eq!(listed.lines().count(), 5, "a header and four accounts:\n{listed}");
    assert!(listed.lines().any(|l| l.contains("root@example.com") && l.contains("yes")), "{listed}");

    let shown = json(&gatehouse(&app, &["user", "show", "ANN@example.com", "--json"]));
    assert_eq!((shown["id"].as_i64(), text(&shown["login"])), (Some(ann.user.id.0), "ann"));
    assert_eq!((shown["admin"].clone(), shown["disabled"].clone()), (false.into(), false.into()));
    let text_shown = stdout(&gatehouse(&app, &["user", "show", "ann"]));
    assert!(text_shown.contains("email:      ann@example.com") && text_shown.contains("state:      active"));

    assert!(stdout(&gatehouse(&app, &["user", "promote", "ann"])).contains("is an admin now"));
    assert_eq!(json(&gatehouse(&app, &["user", "show", "ann", "--json"]))["admin"], true);
    assert!(stdout(&gatehouse(&app, &["user", "demote", "ann"])).contains("is no admin now"));
    assert_eq!(json(&gatehouse(&app, &["user", "show", "ann", "--json"]))["admin"], false);

    for args in [
        &["user", "show", "nobody@example.com"][..],
        &["user", "disable", "nobody"],
        &["user", "reset-2fa", "nobody"],
        &["app", "show", "no-such-client"],
        &["token", "revoke", "--user", "nobody"],
    ] {
        let message = failure(&gatehouse(&app, args));
        assert!(message.contains("no user") || message.contains("no application"), "{args:?}: {message}");
    }
    assert!(usage_error(&gatehouse(&app, &["token", "revoke"])).contains("--user"));
    assert!(failure(&gatehouse(&app, &["user", "set-password", "ann", "--password", "short"])).contains("8 to 128"));
}

#[tokio::test]
async fn set_password_reset_2fa_and_delete_do_what_they_say_and_are_logged() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let id = ann.user.id;
    let secret = KeyMaterial(vec![7; 20]);
    assert!(app.store.begin_two_factor_setup(id, &secret, KeyProtection::None, T0).await.unwrap());
    let enabled = SecurityEvent::new(id, SecurityEventKind::TwoFactorEnabled, None);
    assert!(app.store.enable_two_factor(id, &secret, 1, &[SecretHash([1; 32])], &enabled, T0).await.unwrap());
    assert_eq!(json(&gatehouse(&app, &["user", "show", "ann", "--json"]))["two_factor"], true);

    let set = stdout(&gatehouse(&app, &["user", "set-password", "ann", "--password", "a brand new password"]));
    assert!(set.contains("1 session(s) ended"), "{set}");
    assert_eq!(browser.get(app.url("/settings/profile")).send().await.unwrap().status(), 302, "signed out");
    assert_ne!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 303, "old password");
    let reset = stdout(&gatehouse(&app, &["user", "reset-2fa", "ann@example.com"]));
    assert!(reset.contains("turned off"), "{reset}");
    assert!(app.store.find_two_factor(id).await.unwrap().is_none());
    assert_eq!(app.store.count_recovery_codes(id).await.unwrap(), 0);
    assert!(stdout(&gatehouse(&app, &["user", "reset-2fa", "ann"])).contains("off already"));
    let new_password = app.sign_in_attempt(&app.browser(), &ann.email, "a brand new password").await;
    assert_eq!(new_password.status(), 303, "no second step any more");
    let log = logged(&app, &ann).await;
    assert!(
        log.contains(&SecurityEventKind::PasswordSetByAdmin) && log.contains(&SecurityEventKind::TwoFactorResetByAdmin)
    );

    let client = app.register_client(&ann, "user_info").await;
    let refused = failure(&gatehouse(&app, &["user", "delete", "ann"]));
    assert!(refused.contains("--yes"), "{refused}");
    assert!(failure(&gatehouse(&app, &["app", "delete", client.id()])).contains("--yes"));
    assert!(stdout(&gatehouse(&app, &["app", "delete", client.id(), "--yes"])).contains("deleted application"));
    assert!(failure(&gatehouse(&app, &["app", "show", client.id()])).contains("no application"));
    assert!(stdout(&gatehouse(&app, &["user", "delete", "ann", "--yes"])).contains("deleted user ann"));
    assert!(failure(&gatehouse(&app, &["user", "show", "ann"])).contains("no user"));
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn token_revoke_ends_every_token_of_a_user_or_of_an_application_but_no_session() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let first = app.register_client(&bob, "user_info").await;
    let second = app.register_client(&bob, "user_info").await;
    let browser = signed_in(&app, &ann).await;
    let personal = generate_token(&app, &browser, "CI", &["user_info"], "30").await;
    let anns = app.password_grant(&ann, &first, "user_info").await;
    let bobs_first = app.password_grant(&bob, &first, "user_info").await;
    let bobs_second = app.password_grant(&bob, &second, "user_info").await;

    let revoked = stdout(&gatehouse(&app, &["token", "revoke", "--user", "ann@example.com"]));

    assert!(revoked.contains("revoked 3 token(s) of user ann"), "access, refresh, personal: {revoked}");
    assert_eq!(app.api_get("/api/v5/user", text(&anns["access_token"])).await.status(), 401);
    assert_eq!(app.api_get("/api/v5/user", &personal).await.status(), 401);
    assert_eq!(app.api_get("/api/v5/user", text(&bobs_first["access_token"])).await.status(), 200, "bob's stay");
    assert_eq!(browser.get(app.url("/settings/profile")).send().await.unwrap().status(), 200, "session stays");
    assert_eq!(logged(&app, &ann).await.first(), Some(&SecurityEventKind::TokensRevokedByAdmin));

    let revoked = stdout(&gatehouse(&app, &["token", "revoke", "--app", first.id()]));
    assert!(revoked.contains("revoked 2 token(s)"), "{revoked}");
    assert_eq!(app.api_get("/api/v5/user", text(&bobs_first["access_token"])).await.status(), 401);
    assert_eq!(app.api_get("/api/v5/user", text(&bobs_second["access_token"])).await.status(), 200);
    let both = gatehouse(&app, &["token", "revoke", "--user", "ann", "--app", first.id()]);
    assert!(usage_error(&both).contains("cannot be used"));
}

#[tokio::test]
async fn backup_copies_a_serving_sqlite_database_that_a_restored_server_runs_on_and_postgres_names_pg_dump() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let before = app.password_grant(&ann, &client, "user_info").await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("backup.db");
    let target_text = target.to_str().unwrap();

    if Backend::current() == Backend::Postgres {
        let message = failure(&gatehouse(&app, &["backup", "--to", target_text]));
        assert!(message.contains("pg_dump --format=custom --file"), "{message}");
        assert!(!target.exists());
        return;
    }
    // Writes go on while the copy is taken.
    let writing = tokio::spawn(app.password_request(&client, &ann.email, PASSWORD).send());
    let backed_up = stdout(&gatehouse(&app, &["backup", "--to", target_text]));
    assert!(backed_up.contains("backed up"), "{backed_up}");
    assert_eq!(writing.await.unwrap().unwrap().status(), 200);
    let again = failure(&gatehouse(&app, &["backup", "--to", target_text]));
    assert!(again.contains("exists already"), "{again}");
    app.create_user("after").await;

    // The restore drill: copy the backup to a fresh path, start a server on it.
    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::copy(&target, restored_dir.path().join("gatehouse.db")).unwrap();
    let url = format!("sqlite://{}", restored_dir.path().join("gatehouse.db").display());
    let restored = TestApp::spawn_on(TestDatabase { url, dir: Some(restored_dir) }, |_| {}).await;
    assert_eq!(restored.api_get("/api/v5/user", text(&before["access_token"])).await.status(), 200);
    assert_eq!(count(&restored, "SELECT count(*) FROM users").await, 1, "what came after the backup is not in it");
    let refreshed = restored
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", text(&before["refresh_token"])),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ])
        .await;
    assert_eq!(refreshed.status(), 200, "refresh tokens and the client secret survive");
}
