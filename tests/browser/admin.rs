//! The admin page in the browser (SPEC §8): an admin disables a user and
//! the page shows it, in English and Chinese; a non-admin finds nothing.

use crate::driver::Browser;
use crate::helpers::TestApp;
use crate::sign_in;

#[tokio::test]
async fn an_admin_disables_a_user_and_a_non_admin_finds_no_admin_page() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let root = app.create_user("root").await;
    assert!(app.store.admin().set_admin(root.user.id, true).await.unwrap());
    let anns = app.browser();
    app.login_as(&anns, &ann).await;
    let browser = Browser::start("admin").await;
    sign_in(&app, &browser, &root).await;

    browser.goto(&app.url("/admin")).await;
    browser.shot("admin").await;
    let page = browser.text().await;
    assert!(page.contains("Administration") && page.contains("Recent security events"), "{page}");
    browser.follow(&format!("form[action='/admin/users/{}/disable'] button", ann.user.id)).await;
    browser.shot("user-disabled").await;
    let page = browser.text().await;
    assert!(page.contains("The user was disabled"), "{page}");
    assert!(page.contains("Account disabled by an administrator: root"), "in the recent events: {page}");
    let badge = browser.eval("return document.querySelector(\"li[data-login='ann'] .badge\").textContent").await;
    assert_eq!(badge, "Disabled", "ann's row says so");
    assert_eq!(anns.get(app.url("/settings/profile")).send().await.unwrap().status(), 302, "ann is signed out");

    browser.press("中文").await;
    browser.shot("admin-zh").await;
    let page = browser.text().await;
    assert!(page.contains("管理") && page.contains("已停用") && page.contains("管理员停用了账号"), "{page}");
    browser.press("English").await;

    browser.forget_cookies().await;
    let bob = app.create_user("bob").await;
    sign_in(&app, &browser, &bob).await;
    browser.goto(&app.url("/admin")).await;
    browser.shot("not-found-for-a-non-admin").await;
    let page = browser.text().await;
    assert!(page.contains("This page does not exist.") && !page.contains("ann@example.com"), "{page}");
    browser.close().await;
}
