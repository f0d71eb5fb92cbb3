//! The sessions page and the security log in the browser (SPEC §7), in both
//! languages.

use crate::driver::Browser;
use crate::helpers::TestApp;
use crate::sign_in;

#[tokio::test]
async fn sessions_and_the_security_log_in_english_and_chinese() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    // Another browser signs in first, after a wrong password.
    let other = app.browser();
    assert_eq!(app.sign_in_attempt(&other, &ann.email, "wrong password!").await.status(), 401);
    app.login_as(&other, &ann).await;
    let browser = Browser::start("account_security").await;
    sign_in(&app, &browser, &ann).await;

    browser.follow("nav a[href='/settings']").await;
    assert_eq!(browser.url().await.path(), "/settings/profile", "the header's Settings opens the first section");
    browser.press("Sessions").await;
    assert_eq!(browser.url().await.path(), "/settings/sessions");
    browser.shot("sessions").await;
    let listed = browser.text().await;
    assert!(listed.contains("This session") && listed.contains("Sign out everywhere else"), "{listed}");
    browser.press("Sign out everywhere else").await;
    browser.shot("other-sessions-signed-out").await;
    assert!(browser.text().await.contains("Every other session was signed out."));
    assert_eq!(other.get(app.url("/settings/sessions")).send().await.unwrap().status(), 302);

    browser.press("Security log").await;
    browser.shot("security-log").await;
    let log = browser.text().await;
    for event in ["Signed out every other session", "Signed in", "Sign-in failed (wrong password)"] {
        assert!(log.contains(event), "the log lacks {event}: {log}");
    }

    browser.press("中文").await;
    browser.shot("security-log-zh").await;
    let log = browser.text().await;
    assert!(log.contains("安全日志") && log.contains("退出了其他所有会话") && log.contains("登录失败"), "{log}");
    browser.press("会话").await;
    browser.shot("sessions-zh").await;
    assert!(browser.text().await.contains("当前会话"));
    browser.close().await;
}
