//! Mail in the browser (SPEC §7 "Emails", "Password reset"): a newcomer
//! verifies their address from the `.eml` file Gatehouse wrote, adds a
//! second one, makes it primary and removes the first; someone who forgot
//! their password resets it from the mailed link. In both languages.

use crate::driver::Browser;
use crate::helpers::{PASSWORD, TestApp};

/// The link of the newest mail Gatehouse wrote (`.eml`, no SMTP).
async fn newest_link(app: &TestApp) -> String {
    let mails = app.written_mails().await;
    mails.last().expect("a mail was written").link().to_string()
}

#[tokio::test]
async fn a_newcomer_verifies_adds_and_switches_addresses_in_both_languages() {
    let app = TestApp::spawn().await;
    let browser = Browser::start("emails").await;
    browser.goto(&app.url("/signup")).await;
    browser.fill("Email", "mei@example.com").await;
    browser.fill("Username", "mei").await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Sign up").await;

    browser.goto(&app.url("/settings/emails")).await;
    browser.shot("unverified").await;
    assert!(browser.text().await.contains("Unverified"));
    browser.goto(&newest_link(&app).await).await;
    browser.shot("verify-page").await;
    browser.press("Verify email address").await;
    browser.shot("verified").await;
    assert!(browser.text().await.contains("mei@example.com is verified."));

    browser.goto(&app.url("/settings/emails")).await;
    browser.fill("Email", "mei.work@example.com").await;
    browser.press("Add").await;
    browser.shot("added").await;
    assert!(browser.text().await.contains("A verification link is on its way"));
    browser.goto(&newest_link(&app).await).await;
    browser.press("Verify email address").await;
    browser.goto(&app.url("/settings/emails")).await;
    browser.press("Make primary").await;
    browser.shot("made-primary").await;
    browser.press("Remove").await;
    browser.shot("removed").await;
    let text = browser.text().await;
    assert!(text.contains("mei.work@example.com") && !text.contains("mei@example.com"), "{text}");

    browser.press("中文").await;
    browser.shot("chinese").await;
    let text = browser.text().await;
    assert!(text.contains("邮箱") && text.contains("主邮箱") && text.contains("已验证"), "{text}");
    browser.fill("邮箱", "mei.home@example.com").await;
    browser.press("添加").await;
    browser.shot("chinese-added").await;
    assert!(browser.text().await.contains("验证链接已发往该地址"));
    let mails = app.written_mails().await;
    assert_eq!(mails.last().unwrap().subject, "验证你的邮箱地址", "the mail speaks the page's language");
    browser.goto(&newest_link(&app).await).await;
    browser.shot("chinese-verify-page").await;
    browser.press("验证邮箱").await;
    browser.shot("chinese-verified").await;
    assert!(browser.text().await.contains("mei.home@example.com 已验证"));
    browser.close().await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_mail_in_both_languages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("password_reset").await;

    for (lang, labels) in [
        ("en", ["Forgot password?", "Email", "Send reset link", "New password", "Reset password"]),
        ("zh-CN", ["忘记密码？", "邮箱", "发送重置链接", "新密码", "重置密码"]),
    ] {
        let new_password = format!("the {lang} new password");
        browser.goto(&app.url(&format!("/language/{lang}?return_to=/login"))).await;
        browser.press(labels[0]).await;
        browser.shot(&format!("{lang}-request")).await;
        browser.fill(labels[1], &ann.email).await;
        browser.press(labels[2]).await;
        browser.shot(&format!("{lang}-check-your-mail")).await;
        let link = newest_link(&app).await;
        browser.goto(&link).await;
        browser.shot(&format!("{lang}-new-password")).await;
        browser.fill(labels[3], &new_password).await;
        browser.press(labels[4]).await;
        browser.shot(&format!("{lang}-done")).await;
        browser.goto(&link).await;
        browser.shot(&format!("{lang}-link-used")).await;
        let used = if lang == "en" { "This link has been used already" } else { "此链接已经用过了" };
        assert!(browser.text().await.contains(used), "{lang}: a used link says so");

        let signed_in = app.sign_in_attempt(&app.browser(), &ann.email, &new_password).await;
        assert_eq!(signed_in.status(), 303, "{lang}: the new password works");
    }
    let subjects: Vec<String> = app.written_mails().await.into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, ["Reset your Gatehouse password", "重置你的 Gatehouse 密码"]);
    browser.goto(&app.url("/login")).await;
    browser.fill("邮箱", &ann.email).await;
    browser.fill("密码", PASSWORD).await;
    browser.press("登录").await;
    browser.shot("zh-CN-old-password").await;
    assert!(browser.text().await.contains("邮箱或密码不正确"), "the first password is long gone");
    browser.close().await;
}
