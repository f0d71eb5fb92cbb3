//! The account pages in the browser (SPEC §7): profile, password, personal
//! access tokens (generated, shown once, revoked) and deleting the account,
//! each in English and Chinese, with a screenshot of every step.

use crate::driver::Browser;
use crate::helpers::{PASSWORD, TestApp};
use crate::{sign_in, token_client};

/// Switches the pages to Chinese with the header's link.
async fn to_chinese(browser: &Browser) {
    browser.press("中文").await;
    assert_eq!(browser.eval("return document.documentElement.lang").await, "zh-CN");
}

async fn api_status(app: &TestApp, token: &str) -> u16 {
    let response = token_client().get(app.url("/api/v5/user")).bearer_auth(token).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn editing_the_profile_in_both_languages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("profile").await;
    sign_in(&app, &browser, &ann).await;

    browser.press("Settings").await;
    assert_eq!(browser.url().await.path(), "/settings/profile", "settings open on the profile");
    browser.shot("profile").await;
    browser.fill("Name", "Ann Lee").await;
    browser.fill("Bio", "Writes Rust, drinks tea.").await;
    browser.fill("Website", "https://ann.example").await;
    browser.press("Save").await;

    browser.shot("saved").await;
    assert!(browser.text().await.contains("Your profile was saved."));
    assert_eq!(browser.field("Name").await.prop("value").await.unwrap().as_deref(), Some("Ann Lee"));
    let user = app.store.find_user(ann.user.id).await.unwrap().unwrap();
    assert_eq!((user.bio.as_str(), user.blog.as_str()), ("Writes Rust, drinks tea.", "https://ann.example"));

    to_chinese(&browser).await;
    // Spaces pass the browser's `required`; the server trims them away.
    browser.fill("姓名", "   ").await;
    browser.press("保存").await;
    browser.shot("zh-CN-refused").await;
    let text = browser.text().await;
    assert!(text.contains("个人资料") && text.contains("姓名为 1 到 50 个字符"), "{text}");
    browser.close().await;
}

#[tokio::test]
async fn changing_the_password_in_both_languages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("password").await;
    sign_in(&app, &browser, &ann).await;

    browser.goto(&app.url("/settings/password")).await;
    browser.shot("form").await;
    browser.fill("Current password", "not my password").await;
    browser.fill("New password", "a brand new passphrase").await;
    browser.press("Change password").await;
    browser.shot("wrong-current").await;
    assert!(browser.text().await.contains("The current password is incorrect"));
    browser.fill("Current password", PASSWORD).await;
    browser.fill("New password", "a brand new passphrase").await;
    browser.press("Change password").await;

    browser.shot("changed").await;
    assert!(browser.text().await.contains("Your password was changed."));
    let old = app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await;
    assert_eq!(old.status(), 401);
    to_chinese(&browser).await;
    browser.shot("zh-CN").await;
    let text = browser.text().await;
    assert!(text.contains("当前密码") && text.contains("新密码") && text.contains("修改密码"), "{text}");
    browser.close().await;
}

#[tokio::test]
async fn a_personal_access_token_is_shown_once_works_and_is_revoked() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("personal_tokens").await;
    sign_in(&app, &browser, &ann).await;

    browser.goto(&app.url("/settings/tokens")).await;
    browser.shot("empty").await;
    browser.fill("Description", "Deploys from CI").await;
    browser.click("#scope_projects").await;
    browser.click("#expiration option[value='7']").await;
    browser.shot("form-filled").await;
    browser.press("Generate token").await;

    browser.shot("generated").await;
    let token = browser.value_of("#personal_token").await;
    assert!(token.starts_with("gpt_"), "{token}");
    assert!(browser.text().await.contains("It is shown only once."));
    assert_eq!(api_status(&app, &token).await, 200, "the shown token opens the API");
    browser.goto(&app.url("/settings/tokens")).await;
    browser.shot("listed").await;
    let listed = browser.text().await;
    assert!(!listed.contains(&token), "shown once");
    assert!(listed.contains("Deploys from CI") && listed.contains("user_info projects"), "{listed}");
    assert!(listed.contains("2026-11-25 11:06 UTC"), "expires in 7 days: {listed}");

    to_chinese(&browser).await;
    browser.shot("zh-CN").await;
    assert!(browser.text().await.contains("私人令牌"));
    browser.press("吊销").await;
    browser.shot("zh-CN-revoked").await;
    assert!(browser.text().await.contains("令牌已吊销。"));
    assert_eq!(api_status(&app, &token).await, 401, "revoked at once");
    browser.close().await;
}

#[tokio::test]
async fn deleting_the_account_in_both_languages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = Browser::start("delete_account").await;
    sign_in(&app, &browser, &ann).await;

    browser.goto(&app.url("/settings/account")).await;
    to_chinese(&browser).await;
    browser.shot("zh-CN").await;
    assert!(browser.text().await.contains("此操作无法撤销"));
    browser.fill("密码", "wrong password").await;
    browser.press("删除账号").await;
    browser.shot("zh-CN-wrong-password").await;
    assert!(browser.text().await.contains("密码不正确"));
    browser.press("English").await;
    browser.shot("confirm").await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Delete account").await;

    browser.shot("deleted").await;
    assert_eq!(browser.url().await.path(), "/account/deleted");
    let text = browser.text().await;
    assert!(text.contains("Account deleted") && text.contains("Sign in"), "signed out: {text}");
    assert!(app.store.find_user(ann.user.id).await.unwrap().is_none());
    browser.close().await;
}
