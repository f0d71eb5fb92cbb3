//! The user's side (RFC 8628 §3.3): the `/device` pages, codes typed in
//! any form, the consent page, the throttle on wrong codes, CSRF and sessions.

use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};

use super::*;

#[tokio::test]
async fn the_code_is_read_in_any_case_with_or_without_the_dash() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let device = device(&app, &client);
    let browser = signed_in(&app, &ann).await;

    for typed in [
        |code: &str| code.to_lowercase(),
        |code: &str| code.replace('-', ""),
        |code: &str| code.replace('-', "").to_lowercase(),
        |code: &str| format!(" {} ", code.replace('-', " ").to_lowercase()),
    ] {
        let details = start(&device, &[]).await;
        let shown = details.user_code().secret();

        let consent = type_code(&app, &browser, &typed(shown)).await;

        assert_eq!(consent.status(), 200, "{}", typed(shown));
        let page = consent.text().await.unwrap();
        assert_eq!(hidden_value(&page, "user_code"), *shown, "the consent page names the code as the device shows it");
        assert_eq!(decide(&app, &browser, &page, "authorize").await.status(), 303);
        assert_eq!(raw_poll(&app, &client, details.device_code().secret()).await.status(), 200);
    }
}

#[tokio::test]
async fn the_consent_page_names_the_application_and_every_scope() {
    let app = TestApp::spawn().await;
    let oliver = app.create_user("oliver").await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&oliver, "user_info projects").await;
    let details = start(&device(&app, &client), &[]).await;
    let browser = signed_in(&app, &ann).await;

    let consent = type_code(&app, &browser, details.user_code().secret()).await;

    assert_eq!(consent.status(), 200);
    let page = consent.text().await.unwrap();
    for expected in
        ["<strong>Test App</strong>", "<strong>oliver</strong>", "<strong>ann</strong>", "user_info", "projects"]
    {
        assert!(page.contains(expected), "{expected} missing:\n{page}");
    }
    assert!(page.contains(details.user_code().secret().as_str()), "the code to compare with the device's");
    assert!(page.contains("action=\"/device/consent\""));
    for decision in [r#"value="authorize" class="primary">Authorize</button>"#, r#"value="deny">Deny</button>"#] {
        assert!(page.contains(decision), "the Authorize and Deny buttons: {decision}");
    }
}

#[tokio::test]
async fn wrong_codes_are_throttled_per_account_and_a_right_code_does_not_reset_the_count() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;
    let browser = signed_in(&app, &ann).await;

    let mut wrong = Vec::new();
    for _ in 0..6 {
        wrong.push(type_code(&app, &browser, "BBBB-BBBB").await.status());
    }
    let locked = type_code(&app, &browser, details.user_code().secret()).await;
    let new_session = signed_in(&app, &ann).await;
    let locked_in_another_session = type_code(&app, &new_session, details.user_code().secret()).await;
    let malformed = type_code(&app, &browser, "BCDF-GHJ1").await;
    app.clock.advance(1);
    let after_the_lock = type_code(&app, &browser, details.user_code().secret()).await;
    let wrong_again = type_code(&app, &browser, "BBBB-BBBB").await;
    let locked_again = type_code(&app, &browser, "BBBB-BBBB").await;

    assert_eq!(wrong, [400; 6], "five free mistakes, and the sixth");
    assert_eq!(locked.status(), 429, "even the right code waits while locked");
    assert_eq!(locked.headers()["retry-after"], "1");
    assert!(locked.text().await.unwrap().contains("Too many failed attempts"));
    assert_eq!(locked_in_another_session.status(), 429, "a new session does not reset the count");
    assert_eq!(malformed.status(), 400, "a malformed code is refused without a lookup");
    assert_eq!(after_the_lock.status(), 200, "the right code after the lock");
    assert_eq!(wrong_again.status(), 400);
    assert_eq!(locked_again.status(), 429, "the right code did not launder the failures");
    assert_eq!(locked_again.headers()["retry-after"], "2", "the lock grows");
}

#[tokio::test]
async fn wrong_codes_are_throttled_per_address_across_accounts() {
    let app = TestApp::spawn().await;
    let owner = app.create_user("owner").await;
    let client = app.register_client(&owner, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;

    // Four accounts stay under their own budget of five, together at the address's 20.
    for name in ["a1", "a2", "a3", "a4"] {
        let user = app.create_user(name).await;
        let browser = signed_in(&app, &user).await;
        for _ in 0..5 {
            assert_eq!(type_code(&app, &browser, "BBBB-BBBB").await.status(), 400);
        }
    }
    let fresh = app.create_user("fresh").await;
    let browser = signed_in(&app, &fresh).await;
    let twenty_first = type_code(&app, &browser, "BBBB-BBBB").await;
    let refused = type_code(&app, &browser, details.user_code().secret()).await;

    assert_eq!(twenty_first.status(), 400);
    assert_eq!(refused.status(), 429, "the address is locked, whichever account types");
}

#[tokio::test]
async fn the_device_page_asks_a_signed_out_user_to_sign_in_and_comes_back_with_the_code() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();

    let signed_out = browser.get(app.url("/device?user_code=bcdfghjk")).send().await.unwrap();
    let to_login = location(&signed_out);
    let return_to = query_value(&to_login, "return_to").unwrap();
    let page = browser.get(to_login.as_str()).send().await.unwrap().text().await.unwrap();
    let signed_in = browser
        .post(app.url("/login"))
        .form(&[
            ("email", ann.email.as_str()),
            ("password", ann.password.as_str()),
            ("csrf_token", &hidden_value(&page, "csrf_token")),
            ("return_to", &hidden_value(&page, "return_to")),
        ])
        .send()
        .await
        .unwrap();
    let back = browser.get(location(&signed_in).as_str()).send().await.unwrap();

    assert_eq!(signed_out.status(), 302);
    assert_eq!(to_login.path(), "/login");
    assert_eq!(return_to, "/device?user_code=bcdfghjk");
    assert_eq!(location(&signed_in).as_str(), app.url("/device?user_code=bcdfghjk"));
    assert_eq!(back.status(), 200);
    let page = back.text().await.unwrap();
    assert!(page.contains("<label for=\"user_code\">Code</label>"), "{page}");
    assert!(page.contains(">Continue</button>"), "{page}");
    assert!(page.contains("value=\"BCDF-GHJK\""), "the field is filled, as the device shows it: {page}");
}

#[tokio::test]
async fn the_device_pages_speak_chinese_and_check_csrf_and_the_session() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let chinese = browser.get(app.url("/device")).header("accept-language", "zh-CN").send().await.unwrap();
    let no_csrf = browser.post(app.url("/device")).form(&[("user_code", "BCDF-GHJK")]).send().await.unwrap();
    let anonymous_post = app.browser().post(app.url("/device")).form(&[("user_code", "bcdf-ghjk")]).send().await;
    let anonymous_consent = app.browser().post(app.url("/device/consent")).form(&[("user_code", "x")]).send().await;
    let done = browser.get(app.url("/device/done?answer=authorized")).send().await.unwrap();
    let denied = browser.get(app.url("/device/done?answer=denied")).header("accept-language", "zh-CN").send().await;

    assert_eq!(chinese.status(), 200);
    let page = chinese.text().await.unwrap();
    assert!(page.contains("连接设备") && page.contains("代码") && page.contains("继续"), "{page}");
    assert_eq!(no_csrf.status(), 403);
    let anonymous_post = anonymous_post.unwrap();
    assert_eq!(anonymous_post.status(), 303, "sent to sign in");
    assert_eq!(query_value(&location(&anonymous_post), "return_to").unwrap(), "/device?user_code=BCDF-GHJK");
    assert_eq!(anonymous_consent.unwrap().status(), 403);
    assert!(done.text().await.unwrap().contains("You can go back to your device"));
    assert!(denied.unwrap().text().await.unwrap().contains("已拒绝访问"));
}

#[tokio::test]
async fn a_code_is_answered_once_and_revoking_the_grant_stops_an_unspent_approval() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;
    let browser = signed_in(&app, &ann).await;
    let consent = type_code(&app, &browser, details.user_code().secret()).await.text().await.unwrap();

    let approved = decide(&app, &browser, &consent, "authorize").await;
    let answered_again = decide(&app, &browser, &consent, "deny").await;
    let typed_again = type_code(&app, &browser, details.user_code().secret()).await;
    let revoked = SecurityEvent::new(ann.user.id, SecurityEventKind::ApplicationRevoked, None);
    app.store.revoke_grant(ann.user.id, client.client.id, T0, &revoked).await.unwrap();
    let after_revocation = raw_poll(&app, &client, details.device_code().secret()).await;

    assert_eq!(approved.status(), 303);
    let log = app.store.list_security_events(ann.user.id, 10).await.unwrap();
    assert!(
        log.iter().any(|e| e.kind == SecurityEventKind::ApplicationAuthorized && e.detail == "Test App"),
        "{log:?}"
    );
    assert_eq!(answered_again.status(), 400, "the first answer stands");
    assert_eq!(typed_again.status(), 400);
    assert_oauth_error(after_revocation, 400, "invalid_grant").await;
}
