//! Passkeys in a real Chromium with its WebAuthn virtual authenticator
//! (SPEC §7 "Passkeys"): added from /settings/security (listed with its
//! name), renamed, then **Sign in with a passkey** with no email typed and
//! no TOTP code asked though two-factor is on; removed, it signs in no
//! more, and the page says why. The section and the sign-in page in both
//! languages. WebAuthn needs a host name, so these servers' issuer is
//! `http://localhost:PORT` and the browser goes there.

use gatehouse::domain::oidc::{KeyMaterial, KeyProtection};
use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};

use crate::driver::Browser;
use crate::helpers::{PASSWORD, T0, TestApp, TestUser};

/// A server whose issuer is `http://localhost:PORT`; that base URL.
async fn spawn_on_localhost() -> (TestApp, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://localhost:{port}");
    let issuer = base.clone();
    let app = TestApp::spawn_with(move |settings| {
        settings.listen = format!("127.0.0.1:{port}").parse().unwrap();
        settings.issuer = Some(issuer);
    })
    .await;
    (app, base)
}

async fn sign_in_with_password(browser: &Browser, base: &str, user: &TestUser) {
    browser.goto(&format!("{base}/login")).await;
    browser.fill("Email", &user.email).await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Sign in").await;
}

/// Clicks `css` (a script answers, no navigation) and waits until the
/// element `#error` shows; its text.
async fn error_after_click(browser: &Browser, css: &str, error: &str) -> String {
    browser.click(css).await;
    let script = format!("const e = document.getElementById('{error}'); return e.hidden ? null : e.textContent");
    for _ in 0..2_000 {
        if let Some(text) = browser.eval(&script).await.as_str() {
            return text.to_owned();
        }
    }
    panic!("no error shown in #{error}");
}

#[tokio::test]
async fn a_passkey_is_added_renamed_signs_in_without_an_email_and_once_removed_no_more() {
    let (app, base) = spawn_on_localhost().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("passkeys").await;
    let authenticator = browser.add_virtual_authenticator().await;
    sign_in_with_password(&browser, &base, &ann).await;

    browser.goto(&format!("{base}/settings/security")).await;
    assert!(browser.text().await.contains("No passkeys yet."));
    browser.fill("Passkey name", "Laptop").await;
    browser.press("Add a passkey").await;
    browser.shot("passkey-added").await;
    let page = browser.text().await;
    assert!(page.contains("Passkey added.") && page.contains("Laptop"), "{page}");
    let held = browser.authenticator_credentials(&authenticator).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["isResidentCredential"], true, "discoverable: signs in without an email");

    let field = browser.eval("return document.querySelector('#passkey-list input[name=name]').id").await;
    browser.fill_id(field.as_str().unwrap(), "Work laptop").await;
    browser.press("Rename").await;
    let page = browser.text().await;
    assert!(page.contains("Passkey renamed.") && page.contains("Work laptop"), "{page}");
    browser.shot("passkey-renamed").await;

    // Two-factor on: a password sign-in would ask for a code; a passkey does not.
    let secret = KeyMaterial(vec![7; 20]);
    assert!(app.store.begin_two_factor_setup(ann.user.id, &secret, KeyProtection::None, T0).await.unwrap());
    let event = SecurityEvent::new(ann.user.id, SecurityEventKind::TwoFactorEnabled, None);
    assert!(app.store.enable_two_factor(ann.user.id, &secret, 0, &[], &event, T0).await.unwrap());
    browser.press("Sign out").await;
    browser.goto(&format!("{base}/login")).await;
    browser.shot("login").await;
    browser.press("Sign in with a passkey").await;
    assert_eq!(browser.url().await.path(), "/", "signed in, no second step");
    browser.goto(&format!("{base}/settings/security")).await;
    assert!(!browser.text().await.contains("Last used: never"), "its use is recorded");
    browser.shot("signed-in-by-passkey").await;

    browser.press("Remove").await;
    assert!(browser.text().await.contains("Passkey removed."));
    browser.press("Sign out").await;
    browser.goto(&format!("{base}/login")).await;
    let error = error_after_click(&browser, "#passkey-sign-in-button", "passkey-sign-in-error").await;
    assert!(error.contains("may have been removed"), "{error}");
    assert_eq!(browser.url().await.path(), "/login");
    browser.shot("removed-passkey-refused").await;
    browser.close().await;
}

#[tokio::test]
async fn the_passkey_section_and_sign_in_read_in_chinese() {
    let (app, base) = spawn_on_localhost().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("passkeys_zh").await;
    browser.add_virtual_authenticator().await;
    sign_in_with_password(&browser, &base, &ann).await;
    browser.goto(&format!("{base}/settings/security")).await;
    browser.shot("security-en").await;
    browser.press("中文").await;
    browser.fill("通行密钥名称", "手机").await;
    browser.press("添加通行密钥").await;
    let page = browser.text().await;
    assert!(page.contains("已添加通行密钥。") && page.contains("手机") && page.contains("重命名"), "{page}");
    browser.shot("security-zh").await;
    browser.press("退出").await;
    browser.goto(&format!("{base}/login")).await;
    browser.shot("login-zh").await;
    browser.press("使用通行密钥登录").await;
    assert_eq!(browser.url().await.path(), "/");
    browser.close().await;
}
