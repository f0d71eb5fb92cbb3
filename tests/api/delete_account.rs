//! SPEC §7 "Delete account": with the password, the account goes with its
//! applications (and every token issued to them), its grants, its tokens,
//! its personal access tokens and its sessions; the browser is signed out.

use crate::account_forms::*;
use crate::helpers::*;

async fn delete(app: &TestApp, browser: &reqwest::Client, password: &str) -> reqwest::Response {
    post_form(app, browser, "/settings/account", "/settings/account", &[("password", password)]).await
}

/// How many rows of `table` still name the user `id` in `column`.
async fn rows_of(app: &TestApp, table: &str, column: &str, id: i64) -> i64 {
    count(app, &format!("SELECT count(*) FROM {table} WHERE {column} = {id}")).await
}

#[tokio::test]
async fn deleting_the_account_removes_everything_it_held_and_signs_out() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    // Ann's own application, which bob has authorized with a token.
    let anns_app = app.register_client(&ann, "user_info").await;
    let bobs_token_from_anns_app = app.password_grant(&bob, &anns_app, "user_info").await;
    // Bob's application, which ann has authorized with a token.
    let bobs_app = app.register_client(&bob, "user_info").await;
    let anns_token_from_bobs_app = app.password_grant(&ann, &bobs_app, "user_info").await;
    let this = signed_in(&app, &ann).await;
    let other = signed_in(&app, &ann).await;
    let personal = generate_token(&app, &this, "CI", &["user_info"], "none").await;
    let bobs_browser = signed_in(&app, &bob).await;
    let bearer = |tokens: &serde_json::Value| tokens["access_token"].as_str().unwrap().to_owned();
    let page = settings_page(&app, &this, "/settings/account").await;
    assert!(page.contains(">Delete account<") && page.contains("cannot be undone"), "{page}");

    let deleted = delete(&app, &this, PASSWORD).await;

    assert_eq!(deleted.status(), 303);
    assert_eq!(location(&deleted).path(), "/account/deleted");
    let cleared = deleted.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.starts_with("gatehouse_session=") && cleared.contains("Max-Age=0"), "{cleared}");
    let goodbye = this.get(app.url("/account/deleted")).send().await.unwrap().text().await.unwrap();
    assert!(goodbye.contains("Account deleted") && goodbye.contains("Sign in"), "signed out: {goodbye}");
    assert_eq!(other.get(app.url("/settings/profile")).send().await.unwrap().status(), 302, "every session ended");
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 401, "no account");
    for token in [personal, bearer(&anns_token_from_bobs_app), bearer(&bobs_token_from_anns_app)] {
        assert_eq!(app.api_get("/api/v5/user", &token).await.status(), 401, "{}", &token[..4]);
    }
    assert!(app.store.find_client(anns_app.id()).await.unwrap().is_none(), "her application is gone");
    let grant = app
        .token(&[
            ("grant_type", "password"),
            ("username", &bob.email),
            ("password", PASSWORD),
            ("client_id", anns_app.id()),
            ("client_secret", anns_app.secret()),
        ])
        .await;
    assert_oauth_error(grant, 401, "invalid_client").await;
    let authorized = settings_page(&app, &bobs_browser, "/settings/authorized").await;
    assert!(authorized.contains("You have not authorized any application."), "bob's grant to her app went too");
    let id = ann.user.id.0;
    for (table, column) in [
        ("users", "id"),
        ("clients", "owner_id"),
        ("grants", "user_id"),
        ("tokens", "user_id"),
        ("authorization_codes", "user_id"),
        ("sessions", "user_id"),
        ("personal_tokens", "user_id"),
        ("security_events", "user_id"),
    ] {
        assert_eq!(rows_of(&app, table, column, id).await, 0, "{table}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM tokens").await, 0, "bob's token from her app went with it");
    assert!(app.store.find_user(bob.user.id).await.unwrap().is_some(), "bob stays");
    assert_eq!(app.api_get("/api/v5/user", &access_token(&app, &bob, "user_info").await).await.status(), 200);
}

#[tokio::test]
async fn a_wrong_password_deletes_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let refused = delete(&app, &browser, "not my password").await;

    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("Incorrect password"));
    assert!(app.store.find_user(ann.user.id).await.unwrap().is_some());
    assert_eq!(browser.get(app.url("/settings/account")).send().await.unwrap().status(), 200, "still signed in");
}

#[tokio::test]
async fn deleting_needs_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let forged = browser
        .post(app.url("/settings/account"))
        .form(&[("csrf_token", "forged"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let signed_out = app.browser().post(app.url("/settings/account")).form(&[("password", PASSWORD)]).send().await;

    assert_eq!(forged.status(), 403);
    assert_eq!(signed_out.unwrap().status(), 302);
    assert!(app.store.find_user(ann.user.id).await.unwrap().is_some());
}
