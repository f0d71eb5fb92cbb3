//! Two-factor authentication in the browser (SPEC §7 "Two-factor"): turned
//! on with a code computed from the secret the page shows, then asked for at
//! the next sign-in; the security page and the second step in Chinese too.

use totp_rs::{Algorithm, Secret, TOTP};

use crate::driver::Browser;
use crate::helpers::TestApp;
use crate::sign_in;
use gatehouse::clock::Clock as _;

/// What an authenticator app shows for the base32 `secret` at Unix `time`.
fn app_code(secret: &str, time: i64) -> String {
    let bytes = Secret::Encoded(secret.split_whitespace().collect()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, bytes, None, String::new()).generate(time as u64)
}

#[tokio::test]
async fn two_factor_is_turned_on_with_the_shown_secret_and_asked_for_at_sign_in() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("two_factor").await;
    sign_in(&app, &browser, &ann).await;

    browser.follow("nav a[href='/settings']").await;
    browser.press("Security").await;
    browser.shot("security-off").await;
    browser.press("Enable two-factor authentication").await;
    browser.shot("setup").await;
    let secret = browser.eval("return document.getElementById('totp-secret').textContent").await;
    let secret = secret.as_str().unwrap().to_owned();
    assert!(browser.eval("return document.querySelector('.qr svg') !== null").await.as_bool().unwrap(), "QR code");
    browser.fill("Code", &app_code(&secret, app.clock.now())).await;
    browser.press("Verify").await;
    browser.shot("recovery-codes").await;
    assert!(browser.text().await.contains("Save your recovery codes"));
    assert_eq!(browser.eval("return document.querySelectorAll('#recovery-codes li').length").await, 10);
    browser.press("Done").await;
    browser.shot("security-on").await;
    assert!(browser.text().await.contains("Two-factor authentication is on"));

    app.clock.advance(30);
    browser.press("Sign out").await;
    sign_in(&app, &browser, &ann).await;
    assert_eq!(browser.url().await.path(), "/login/two-factor");
    browser.shot("second-step").await;
    browser.fill("Code", &app_code(&secret, app.clock.now())).await;
    browser.press("Verify").await;
    assert_eq!(browser.url().await.path(), "/");
    browser.shot("signed-in").await;

    browser.goto(&app.url("/settings/security")).await;
    browser.press("中文").await;
    browser.shot("security-zh").await;
    let page = browser.text().await;
    assert!(page.contains("双因素认证已开启") && page.contains("关闭双因素认证"), "{page}");
    app.clock.advance(30);
    browser.press("退出").await;
    browser.goto(&app.url("/login")).await;
    browser.fill("邮箱", &ann.email).await;
    browser.fill("密码", crate::helpers::PASSWORD).await;
    browser.press("登录").await;
    assert_eq!(browser.url().await.path(), "/login/two-factor");
    browser.shot("second-step-zh").await;
    assert!(browser.text().await.contains("请输入身份验证器应用中的验证码"));
    browser.fill("验证码", &app_code(&secret, app.clock.now())).await;
    browser.press("验证").await;
    assert_eq!(browser.url().await.path(), "/");
    browser.close().await;
}
