//! SPEC §7 "Security log" and "Sessions": events written with the changes
//! they record and shown to the account's owner alone; every signed-in
//! browser listed with its device, address and last activity, and signed
//! out one at a time or all but this one.

use gatehouse::clock::Clock as _;
use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};

use crate::helpers::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A browser that says it is `user_agent`.
fn browser_as(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .unwrap()
}

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let response = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// The kinds in the user's log, newest first.
async fn logged(app: &TestApp, user: &TestUser) -> Vec<SecurityEventKind> {
    app.store.list_security_events(user.user.id, 100).await.unwrap().into_iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn sign_ins_failures_and_authorizations_reach_the_owners_security_log() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let client = app.register_client(&bob, "user_info").await;
    let browser = app.browser();

    let failed = app.sign_in_attempt(&browser, &ann.email, "not her password").await;
    assert_eq!(failed.status(), 401);
    app.clock.advance(1);
    app.login_as(&browser, &ann).await;
    app.clock.advance(1);
    let params =
        [("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("scope", "user_info")];
    app.authorize_and_approve(&browser, &params).await;
    app.clock.advance(1);
    let authorized = page(&app, &browser, "/settings/authorized").await;
    let csrf = hidden_value(&authorized, "csrf_token");
    let revoked = browser
        .post(app.url(&format!("/settings/authorized/{}/revoke", client.id())))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);

    use SecurityEventKind::{ApplicationAuthorized, ApplicationRevoked, SignIn, SignInFailed};
    assert_eq!(logged(&app, &ann).await, [ApplicationRevoked, ApplicationAuthorized, SignIn, SignInFailed]);
    assert!(logged(&app, &bob).await.is_empty(), "nothing of ann's in bob's log");
    let shown = page(&app, &browser, "/settings/security-log").await;
    let order: Vec<usize> = ["application_revoked", "application_authorized", "\"sign_in\"", "sign_in_failed"]
        .iter()
        .map(|kind| shown.find(kind).unwrap_or_else(|| panic!("{kind} not shown: {shown}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first: {order:?}");
    assert!(shown.contains("Test App") && shown.contains("127.0.0.1"), "the application and the address");
    assert!(shown.contains("Sign-in failed (wrong password)"));
}

#[tokio::test]
async fn a_wrong_password_for_no_account_records_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;

    let failed = app.sign_in_attempt(&app.browser(), "nobody@example.com", "whatever password").await;

    assert_eq!(failed.status(), 401);
    assert!(logged(&app, &ann).await.is_empty());
}

#[tokio::test]
async fn events_older_than_the_retention_are_purged_by_the_server() {
    let app = TestApp::spawn_with(|s| {
        s.purge_interval_secs = 1;
        s.security_log_days = 30;
    })
    .await;
    let ann = app.create_user("ann").await;
    let event = SecurityEvent::new(ann.user.id, SecurityEventKind::PasswordChanged, None);
    app.store.record_security_event(&event, T0 - 31 * 86_400).await.unwrap();
    app.store.record_security_event(&event, T0 - 29 * 86_400).await.unwrap();

    // The purge runs every second (plus jitter); wait for it, boundedly.
    for _ in 0..100 {
        if logged(&app, &ann).await.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let left = app.store.list_security_events(ann.user.id, 10).await.unwrap();
    assert_eq!(left.iter().map(|e| e.created_at).collect::<Vec<_>>(), [T0 - 29 * 86_400], "30 days are kept");
}

#[tokio::test]
async fn the_sessions_page_lists_every_browser_and_signs_one_out() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let laptop = app.browser();
    let phone = browser_as(FIREFOX);
    app.login_as(&laptop, &ann).await;
    app.clock.advance(120);
    app.login_as(&phone, &ann).await;

    let listed = page(&app, &laptop, "/settings/sessions").await;
    assert!(listed.contains("Firefox on Linux"), "the device, from the User-Agent: {listed}");
    assert!(listed.contains("This session") && listed.contains("127.0.0.1"));
    assert_eq!(listed.matches("/revoke\"").count(), 1, "a sign-out button for the other session only");
    let action = listed
        .split("action=\"")
        .find(|s| s.starts_with("/settings/sessions/") && !s.starts_with("/settings/sessions/revoke_others"))
        .unwrap();
    let action = action.split('"').next().unwrap();

    let forged = laptop.post(app.url(action)).form(&[("csrf_token", "forged")]).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let csrf = hidden_value(&listed, "csrf_token");
    let signed_out = laptop.post(app.url(action)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();

    assert_eq!(signed_out.status(), 303);
    let phone_page = phone.get(app.url("/settings/sessions")).send().await.unwrap();
    assert_eq!(phone_page.status(), 302, "the phone is signed out");
    assert_eq!(laptop.get(app.url("/settings/sessions")).send().await.unwrap().status(), 200, "the laptop is not");
    assert_eq!(logged(&app, &ann).await[0], SecurityEventKind::SessionRevoked);
}

#[tokio::test]
async fn another_users_session_cannot_be_signed_out() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let anns = app.browser();
    let bobs = app.browser();
    app.login_as(&anns, &ann).await;
    app.login_as(&bobs, &bob).await;
    let bobs_other = app.browser();
    app.login_as(&bobs_other, &bob).await;
    let bobs_listing = page(&app, &bobs, "/settings/sessions").await;
    let bobs_other_action = bobs_listing
        .split("action=\"")
        .find(|s| s.starts_with("/settings/sessions/") && !s.starts_with("/settings/sessions/revoke_others"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // Ann posts, with her own CSRF token, the sign-out of bob's other session.
    let csrf = hidden_value(&page(&app, &anns, "/settings/sessions").await, "csrf_token");
    let refused = anns.post(app.url(&bobs_other_action)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();

    assert_eq!(refused.status(), 404);
    assert_eq!(
        bobs_other.get(app.url("/settings/sessions")).send().await.unwrap().status(),
        200,
        "bob's session lives"
    );
    let garbage = anns.post(app.url("/settings/sessions/not-a-session/revoke")).form(&[("csrf_token", csrf.as_str())]);
    assert_eq!(garbage.send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn sign_out_everywhere_else_keeps_only_this_session() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browsers: Vec<_> = (0..3).map(|_| app.browser()).collect();
    for browser in &browsers {
        app.login_as(browser, &ann).await;
    }

    let listed = page(&app, &browsers[0], "/settings/sessions").await;
    let csrf = hidden_value(&listed, "csrf_token");
    let done = browsers[0]
        .post(app.url("/settings/sessions/revoke_others"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(done.status(), 303);
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for browser in &browsers {
            statuses.push(browser.get(app.url("/settings/sessions")).send().await.unwrap().status().as_u16());
        }
        statuses
    };
    assert_eq!(statuses, [200, 302, 302]);
    assert_eq!(logged(&app, &ann).await[0], SecurityEventKind::OtherSessionsRevoked);
}

#[tokio::test]
async fn last_activity_is_written_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let last_seen =
        || async { app.store.list_sessions(ann.user.id, app.clock.now()).await.unwrap()[0].record.last_seen_at };

    app.clock.advance(30);
    page(&app, &browser, "/settings/sessions").await;
    page(&app, &browser, "/settings/sessions").await;
    assert_eq!(last_seen().await, T0, "30 s later: not written");

    app.clock.advance(31);
    page(&app, &browser, "/settings/sessions").await;
    for _ in 0..100 {
        if last_seen().await == T0 + 61 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(last_seen().await, T0 + 61, "a minute later: written");
}
