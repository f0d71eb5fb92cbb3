//! Browser tests: the pages as a person uses them, in a real headless
//! Chromium. Every test leaves screenshots in `target/screenshots/TEST/`.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

#[path = "../api/helpers.rs"]
#[expect(dead_code, reason = "shared with the API tests, which use all of it")]
mod helpers;

#[path = "../../examples/sample_client/client.rs"]
mod sample_client;

mod account;
mod account_security;
mod admin;
#[path = "../api/mailbox.rs"]
#[expect(dead_code, reason = "shared with the API tests, which start SMTP servers too")]
mod mailbox;

mod driver;
mod mail;
mod oidc;
mod passkeys;
mod two_factor;

use driver::Browser;
use helpers::{PASSWORD, TestApp, TestUser, USER_AGENT};

async fn sign_in(app: &TestApp, browser: &Browser, user: &TestUser) {
    browser.goto(&app.url("/login")).await;
    browser.fill("Email", &user.email).await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Sign in").await;
}

/// Creates an application through the form; returns its client id and secret.
async fn create_application(app: &TestApp, browser: &Browser, name: &str, callback: &str) -> (String, String) {
    browser.goto(&app.url("/settings/applications/new")).await;
    browser.fill("Application name", name).await;
    browser.fill("Homepage URL", "https://sample.example").await;
    browser.fill("Description", "Signs people in").await;
    browser.fill("Callback URLs", callback).await;
    browser.click("#scope_emails").await;
    browser.shot("new-application-form").await;
    browser.press("Create application").await;
    let client_id = browser.value_of("#client_id").await;
    let secret = browser.value_of("#client_secret").await;
    (client_id, secret)
}

fn token_client() -> reqwest::Client {
    reqwest::Client::builder().user_agent(USER_AGENT).build().unwrap()
}

async fn password_grant(app: &TestApp, user: &TestUser, client_id: &str, secret: &str) -> reqwest::Response {
    token_client()
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", &user.email),
            ("password", PASSWORD),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_up_in_the_browser() {
    let app = TestApp::spawn().await;
    let browser = Browser::start("sign_up").await;

    browser.goto(&app.url("/signup")).await;
    browser.shot("empty-form").await;
    browser.fill("Email", "mei@example.com").await;
    browser.fill("Username", "mei").await;
    browser.fill("Password", "a long enough password").await;
    browser.press("Sign up").await;

    browser.shot("signed-up").await;
    assert_eq!(browser.url().await.path(), "/");
    assert!(browser.text().await.contains("Signed in as mei"));
    browser.close().await;
}

#[tokio::test]
async fn sign_up_form_errors_are_shown_beside_the_field_and_input_is_kept() {
    let app = TestApp::spawn().await;
    app.create_user("taken").await;
    let browser = Browser::start("sign_up_errors").await;

    browser.goto(&app.url("/signup")).await;
    browser.fill("Email", "not-an-email@x").await;
    browser.fill("Username", "taken").await;
    browser.fill("Password", "short").await;
    // The browser's own checks would stop an invalid email; the server's are what we test.
    browser.field("Email").await.prop("type").await.unwrap();
    let email = browser.field("Email").await;
    email.clear().await.unwrap();
    email.send_keys("someone@example").await.unwrap();
    browser.press("Sign up").await;

    browser.shot("errors").await;
    let text = browser.text().await;
    assert!(text.contains("Enter a valid email address"), "{text}");
    assert_eq!(browser.field("Username").await.prop("value").await.unwrap().as_deref(), Some("taken"));
    assert_eq!(browser.field("Email").await.prop("value").await.unwrap().as_deref(), Some("someone@example"));
    assert_eq!(browser.field("Password").await.prop("value").await.unwrap().as_deref(), Some(""));
    browser.close().await;
}

#[tokio::test]
async fn sign_in_in_the_browser_with_a_wrong_then_the_right_password() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("sign_in").await;

    browser.goto(&app.url("/login")).await;
    browser.fill("Email", &ann.email).await;
    browser.fill("Password", "wrong password").await;
    browser.press("Sign in").await;
    browser.shot("wrong-password").await;
    assert!(browser.text().await.contains("Incorrect email or password"));
    assert_eq!(browser.field("Email").await.prop("value").await.unwrap().as_deref(), Some(ann.email.as_str()));
    browser.fill("Password", PASSWORD).await;
    browser.press("Sign in").await;

    browser.shot("signed-in").await;
    assert!(browser.text().await.contains("Signed in as ann"));
    browser.close().await;
}

#[tokio::test]
async fn create_an_application_and_read_its_secret_once() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let browser = Browser::start("create_application").await;
    sign_in(&app, &browser, &dev).await;

    let (client_id, secret) = create_application(&app, &browser, "Sample App", "https://sample.example/cb").await;

    browser.shot("created-with-secret").await;
    assert_eq!(client_id.len(), 64);
    assert!(secret.starts_with("gcs_"), "{secret}");
    assert!(browser.text().await.contains("It is shown only once"));
    assert_eq!(password_grant(&app, &dev, &client_id, &secret).await.status(), 200, "the shown secret works");
    browser.goto(&app.url(&format!("/settings/applications/{client_id}"))).await;
    browser.shot("details-later").await;
    let later = browser.text().await;
    assert!(!later.contains(&secret), "the secret is shown only once");
    assert!(later.contains(&secret[secret.len() - 6..]), "its last characters identify it");
    browser.goto(&app.url("/settings/applications")).await;
    browser.shot("list").await;
    assert!(browser.text().await.contains("Sample App"));
    browser.close().await;
}

#[tokio::test]
async fn application_form_errors_are_explained() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let browser = Browser::start("application_form_errors").await;
    sign_in(&app, &browser, &dev).await;

    browser.goto(&app.url("/settings/applications/new")).await;
    browser.fill("Application name", "Bad").await;
    browser.fill("Callback URLs", "javascript:alert(1)").await;
    browser.press("Create application").await;

    browser.shot("refused").await;
    assert!(browser.text().await.contains("scheme `javascript` is not allowed"));
    assert_eq!(browser.field("Application name").await.prop("value").await.unwrap().as_deref(), Some("Bad"));
    browser.close().await;
}

#[tokio::test]
async fn the_full_code_flow_from_a_sample_client_then_revoke_from_authorized_applications() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("code_flow").await;
    sign_in(&app, &browser, &dev).await;
    let (client_id, secret) = create_application(&app, &browser, "Sample App", "http://127.0.0.1/cb").await;
    let config = sample_client::Config {
        gatehouse: app.base.clone(),
        client_id: client_id.clone(),
        client_secret: Some(secret),
        scope: "user_info emails".into(),
    };
    let sample = sample_client::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    browser.forget_cookies().await;

    browser.goto(&format!("http://{sample}/")).await;
    browser.shot("sample-client").await;
    browser.follow("#sign-in").await;
    browser.shot("sign-in-first").await;
    assert_eq!(browser.url().await.path(), "/login");
    browser.fill("Email", &ann.email).await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Sign in").await;
    browser.shot("consent").await;
    let consent = browser.text().await;
    for expected in ["Sample App", "dev", "https://sample.example", "Read your email addresses", "Read your profile"] {
        assert!(consent.contains(expected), "consent page lacks {expected}: {consent}");
    }
    browser.press("Authorize").await;
    browser.shot("signed-in-at-client").await;
    assert_eq!(browser.url().await.host_str(), Some("127.0.0.1"));
    let result = browser.text().await;
    assert!(result.contains("Signed in as ann with scopes: user_info emails"), "{result}");

    browser.goto(&format!("http://{sample}/login")).await;
    assert!(browser.text().await.contains("Signed in as ann"), "the same scopes skip consent");
    browser.goto(&app.url("/settings/authorized")).await;
    browser.shot("authorized-applications").await;
    let listed = browser.text().await;
    assert!(listed.contains("Sample App") && listed.contains("user_info") && listed.contains("emails"), "{listed}");
    browser.press("Revoke").await;
    browser.shot("revoked").await;
    assert!(browser.text().await.contains("You have not authorized any application."));
    browser.goto(&format!("http://{sample}/login")).await;
    browser.shot("consent-again").await;
    assert!(browser.text().await.contains("Authorize Sample App"), "after revoking, consent is asked again");
    browser.close().await;
}

#[tokio::test]
async fn resetting_the_secret_stops_the_old_one_at_once() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let browser = Browser::start("reset_secret").await;
    sign_in(&app, &browser, &dev).await;
    let (client_id, old_secret) = create_application(&app, &browser, "Sample App", "https://sample.example/cb").await;

    browser.press("Reset secret").await;

    browser.shot("new-secret").await;
    let new_secret = browser.value_of("#client_secret").await;
    assert_ne!(new_secret, old_secret);
    assert_eq!(password_grant(&app, &dev, &client_id, &old_secret).await.status(), 401);
    assert_eq!(password_grant(&app, &dev, &client_id, &new_secret).await.status(), 200);
    browser.close().await;
}

#[tokio::test]
async fn revoking_all_tokens_stops_every_token_of_the_application() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let browser = Browser::start("revoke_all_tokens").await;
    sign_in(&app, &browser, &dev).await;
    let (client_id, secret) = create_application(&app, &browser, "Sample App", "https://sample.example/cb").await;
    let tokens: serde_json::Value = password_grant(&app, &dev, &client_id, &secret).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 200);

    browser.press("Revoke all tokens").await;

    browser.shot("revoked").await;
    assert!(browser.text().await.contains("have been revoked"));
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401);
    browser.close().await;
}

#[tokio::test]
async fn editing_and_deleting_with_confirmation() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let browser = Browser::start("edit_delete").await;
    sign_in(&app, &browser, &dev).await;
    let (client_id, _) = create_application(&app, &browser, "Sample App", "https://sample.example/cb").await;

    browser.press("Edit").await;
    browser.fill("Application name", "Renamed App").await;
    browser.shot("edit").await;
    browser.press("Save changes").await;
    assert!(browser.text().await.contains("Renamed App"));
    browser.press("Delete").await;
    browser.shot("confirm-delete").await;
    assert!(browser.text().await.contains("cannot be undone"));
    browser.press("Delete application").await;

    browser.shot("deleted").await;
    assert_eq!(browser.url().await.path(), "/settings/applications");
    assert!(app.store.find_client(&client_id).await.unwrap().is_none());
    browser.close().await;
}

#[tokio::test]
async fn another_users_application_is_not_found() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let mallory = app.create_user("mallory").await;
    let client = app.register_client(&dev, "user_info").await;
    let browser = Browser::start("owner_only").await;
    sign_in(&app, &browser, &mallory).await;

    browser.goto(&app.url(&format!("/settings/applications/{}", client.id()))).await;

    browser.shot("not-found").await;
    assert!(browser.text().await.contains("This page does not exist."));
    let status =
        app.browser().get(app.url(&format!("/settings/applications/{}", client.id()))).send().await.unwrap().status();
    assert_eq!(status, 302, "signed out: sent to sign in");
    browser.close().await;
}

#[tokio::test]
async fn pages_switch_to_chinese_and_fit_a_phone() {
    let app = TestApp::spawn().await;
    let browser = Browser::start_sized("chinese_phone", 390, 844).await;

    browser.goto(&app.url("/login")).await;
    browser.shot("english").await;
    browser.press("中文").await;

    browser.shot("chinese").await;
    assert_eq!(browser.url().await.path(), "/login");
    let text = browser.text().await;
    assert!(text.contains("登录") && text.contains("邮箱") && text.contains("密码"), "{text}");
    let viewport = browser.eval("return document.documentElement.clientWidth").await;
    let content = browser.eval("return document.documentElement.scrollWidth").await;
    assert_eq!(viewport, 390);
    assert_eq!(content, viewport, "nothing overflows the phone's width");

    browser.goto(&app.url("/oauth/authorize?client_id=no_such_app&response_type=code")).await;
    browser.shot("error_page").await;
    let text = browser.text().await;
    assert!(text.contains("无法完成此请求") && text.contains("没有应用使用此 client_id。"), "{text}");
    browser.close().await;
}

/// A device (a CLI) starts the device grant as `client_id`, a public client.
async fn start_device(app: &TestApp, client_id: &str) -> serde_json::Value {
    let started = token_client().post(app.url("/oauth/device/code")).form(&[("client_id", client_id)]).send().await;
    let started = started.unwrap();
    assert_eq!(started.status(), 200);
    started.json().await.unwrap()
}

/// The device's poll, once.
async fn poll_device(app: &TestApp, client_id: &str, started: &serde_json::Value) -> reqwest::Response {
    let device_code = started["device_code"].as_str().unwrap();
    token_client()
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_device_is_approved_in_the_browser_after_signing_in() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let ann = app.create_user("ann").await;
    let client = app.register_client_with(&dev, "user_info emails", &[helpers::CALLBACK], true).await;
    let started = start_device(&app, client.id()).await;
    let user_code = started["user_code"].as_str().unwrap();
    let pending = poll_device(&app, client.id(), &started).await;
    assert_eq!(pending.json::<serde_json::Value>().await.unwrap()["error"], "authorization_pending");
    let browser = Browser::start("device_flow").await;

    browser.goto(started["verification_uri_complete"].as_str().unwrap()).await;
    browser.shot("sign-in-first").await;
    assert_eq!(browser.url().await.path(), "/login");
    browser.fill("Email", &ann.email).await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Sign in").await;
    browser.shot("code-filled-in").await;
    assert_eq!(browser.url().await.path(), "/device");
    assert_eq!(browser.field("Code").await.prop("value").await.unwrap().as_deref(), Some(user_code));
    browser.press("Continue").await;
    browser.shot("consent").await;
    let consent = browser.text().await;
    for expected in ["Authorize Test App", "dev", "Read your profile", "Read your email addresses", user_code] {
        assert!(consent.contains(expected), "consent page lacks {expected}: {consent}");
    }
    browser.press("Authorize").await;

    browser.shot("go-back-to-your-device").await;
    assert_eq!(browser.url().await.path(), "/device/done");
    assert!(browser.text().await.contains("You can go back to your device now"));
    let token = poll_device(&app, client.id(), &started).await;
    assert_eq!(token.status(), 200);
    let token: serde_json::Value = token.json().await.unwrap();
    assert_eq!(app.api_get("/api/v5/user", token["access_token"].as_str().unwrap()).await.status(), 200);
    browser.close().await;
}

#[tokio::test]
async fn a_device_code_typed_by_hand_then_denied_and_the_device_page_in_chinese() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client_with(&ann, "user_info", &[helpers::CALLBACK], true).await;
    let started = start_device(&app, client.id()).await;
    let typed = started["user_code"].as_str().unwrap().replace('-', "").to_lowercase();
    let browser = Browser::start("device_typed_denied_chinese").await;
    sign_in(&app, &browser, &ann).await;

    browser.goto(&app.url("/device")).await;
    browser.shot("empty").await;
    browser.fill("Code", "bcdf-ghj").await;
    browser.press("Continue").await;
    browser.shot("not-a-code").await;
    assert!(browser.text().await.contains("Enter the 8 letters shown on your device"));
    browser.fill("Code", &typed).await;
    browser.press("Continue").await;
    browser.shot("consent").await;
    browser.press("Deny").await;
    browser.shot("denied").await;
    assert!(browser.text().await.contains("The device was not given access"));
    let denied: serde_json::Value = poll_device(&app, client.id(), &started).await.json().await.unwrap();
    assert_eq!(denied["error"], "access_denied");

    browser.goto(&app.url("/device")).await;
    browser.press("中文").await;
    browser.shot("chinese").await;
    assert_eq!(browser.url().await.path(), "/device");
    let text = browser.text().await;
    assert!(text.contains("连接设备") && text.contains("代码") && text.contains("继续"), "{text}");
    browser.field("代码").await;
    browser.close().await;
}
