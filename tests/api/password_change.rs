//! SPEC §7 "Password": Current password, New password, Change password;
//! other sessions end, this one stays; personal access tokens (and the
//! applications' tokens) keep working; a wrong current password is refused
//! and throttled like a sign-in.

use gatehouse::domain::security_event::SecurityEventKind;

use crate::account_forms::*;
use crate::helpers::*;

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn change(app: &TestApp, browser: &reqwest::Client, current: &str, new: &str) -> reqwest::Response {
    let fields = [("current_password", current), ("new_password", new)];
    post_form(app, browser, "/settings/password", "/settings/password", &fields).await
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_keeps_this_one_and_every_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let this = signed_in(&app, &ann).await;
    let other = signed_in(&app, &ann).await;
    let personal = generate_token(&app, &this, "CI", &["user_info"], "30").await;
    let issued = access_token(&app, &ann, "user_info").await;
    let page = settings_page(&app, &this, "/settings/password").await;
    for label in [">Current password<", ">New password<", ">Change password<"] {
        assert!(page.contains(label), "{label}");
    }

    let changed = change(&app, &this, PASSWORD, NEW_PASSWORD).await;

    assert_eq!(changed.status(), 303);
    assert_eq!(location(&changed).as_str(), app.url("/settings/password?notice=changed"));
    assert!(
        settings_page(&app, &this, "/settings/password?notice=changed")
            .await
            .contains("Every other session was signed out")
    );
    assert_eq!(other.get(app.url("/settings/profile")).send().await.unwrap().status(), 302, "the other session ended");
    assert_eq!(app.api_get("/api/v5/user", &personal).await.status(), 200, "the personal token survives");
    assert_eq!(app.api_get("/api/v5/user", &issued).await.status(), 200, "so does the application's token");
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 401, "the old password");
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, NEW_PASSWORD).await.status(), 303, "the new one");
    assert!(logged(&app, &ann).await.contains(&SecurityEventKind::PasswordChanged));
}

#[tokio::test]
async fn a_wrong_current_password_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let this = signed_in(&app, &ann).await;
    let other = signed_in(&app, &ann).await;

    let wrong = change(&app, &this, "not the password", NEW_PASSWORD).await;

    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("The current password is incorrect"));
    assert_eq!(other.get(app.url("/settings/profile")).send().await.unwrap().status(), 200, "no session ended");
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 303, "still the old password");
    let log = logged(&app, &ann).await;
    assert!(!log.contains(&SecurityEventKind::PasswordChanged));
    assert!(log.contains(&SecurityEventKind::SignInFailed), "the wrong guess is in the log: {log:?}");
}

#[tokio::test]
async fn a_new_password_that_breaks_the_rule_is_refused_before_the_current_one_is_checked() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let short = change(&app, &browser, PASSWORD, "short").await;
    let long = change(&app, &browser, PASSWORD, &"x".repeat(129)).await;

    assert_eq!((short.status().as_u16(), long.status().as_u16()), (422, 422));
    assert!(short.text().await.unwrap().contains("Password must be 8 to 128 characters"));
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 303);
    assert!(!logged(&app, &ann).await.contains(&SecurityEventKind::SignInFailed), "no failure counted");
}

#[tokio::test]
async fn guessing_the_current_password_is_throttled_like_signing_in() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let mut statuses = Vec::new();
    for guess in 0..7 {
        statuses.push(change(&app, &browser, &format!("guess number {guess}"), NEW_PASSWORD).await.status().as_u16());
    }
    let right_but_locked = change(&app, &browser, PASSWORD, NEW_PASSWORD).await;

    // As at sign-in: the sixth failure sets the first lock.
    assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 429]);
    assert_eq!(right_but_locked.status(), 429);
    assert!(right_but_locked.headers().contains_key("retry-after"));
    assert!(right_but_locked.text().await.unwrap().contains("Too many failed attempts"));
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 429, "one budget for both");
}

#[tokio::test]
async fn the_password_form_needs_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let this = signed_in(&app, &ann).await;
    let other = signed_in(&app, &ann).await;

    let forged = this
        .post(app.url("/settings/password"))
        .form(&[("csrf_token", "forged"), ("current_password", PASSWORD), ("new_password", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(forged.status(), 403);
    assert_eq!(other.get(app.url("/settings/profile")).send().await.unwrap().status(), 200);
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 303);
}
