//! SPEC §7 "Password reset": the sign-in page links **Forgot password?**;
//! `/password_reset` answers the same whether an account has the address
//! or not (and mails only when one has); the mailed link works once, for
//! one hour, sets the new password and ends every session of the account;
//! requests are throttled per address and per account. Mail goes through a
//! real SMTP server.

use gatehouse::domain::security_event::SecurityEventKind::{
    EmailAdded, PasswordReset, PasswordResetRequested, SignIn, SignInFailed,
};

use crate::helpers::*;
use crate::mail_flows::*;
use crate::mailbox::SmtpServer;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Posts the reset request form for `email` from a fresh browser page.
async fn request_reset(app: &TestApp, browser: &reqwest::Client, email: &str) -> reqwest::Response {
    let form = browser.get(app.url("/password_reset")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let csrf = form_csrf(&form.text().await.unwrap());
    browser.post(app.url("/password_reset")).form(&[("email", email), ("csrf_token", &csrf)]).send().await.unwrap()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_mailed_link_and_every_session_ends() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let ann = app.create_user("ann").await;
    let (laptop, phone, anonymous) = (app.browser(), app.browser(), app.browser());
    app.login_as(&laptop, &ann).await;
    app.login_as(&phone, &ann).await;
    let login_page = anonymous.get(app.url("/login")).send().await.unwrap().text().await.unwrap();

    let asked = request_reset(&app, &anonymous, "ANN@example.com").await;
    app.mail_sent().await;
    let mails = smtp.mails();
    let form = anonymous.get(app.url(&mails[0].link_on(&app))).send().await.unwrap().text().await.unwrap();
    let reset = follow(&app, &anonymous, &mails[0], &[("password", NEW_PASSWORD)]).await;

    assert!(login_page.contains(r#"<a href="/password_reset">Forgot password?</a>"#), "{login_page}");
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("Check your mail"));
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].to.as_str(), mails[0].subject.as_str()), ("ann@example.com", "Reset your Gatehouse password"));
    assert!(mails[0].token().starts_with("gpr_"));
    assert!(mails[0].link().path() == "/password_reset/edit");
    assert!(
        form.contains(r#"<label for="password">New password</label>"#) && form.contains(">Reset password</button>")
    );
    assert_eq!(reset.status(), 200);
    assert!(reset.text().await.unwrap().contains("every session of your account has been signed out"));
    for browser in [&laptop, &phone] {
        let settings = browser.get(app.url("/settings/sessions")).send().await.unwrap();
        assert_eq!(settings.status(), 302, "signed out");
    }
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 401);
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, NEW_PASSWORD).await.status(), 303);
    assert_eq!(
        logged(&app, &ann).await,
        [SignIn, SignIn, PasswordResetRequested, PasswordReset, SignInFailed, SignIn],
        "the old password's failure too"
    );
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();

    let known = request_reset(&app, &browser, "ann@example.com").await;
    let unknown = request_reset(&app, &browser, "nobody@example.com").await;
    let (known_status, unknown_status) = (known.status(), unknown.status());
    let known_body = known.text().await.unwrap().replace("ann@example.com", "ADDRESS");
    let unknown_body = unknown.text().await.unwrap().replace("nobody@example.com", "ADDRESS");
    app.mail_sent().await;

    assert_eq!((known_status.as_u16(), unknown_status.as_u16()), (200, 200));
    assert_eq!(known_body, unknown_body, "one answer, whoever has the address");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "a mail only for the known address");
    assert_eq!(mails[0].envelope_to, "ann@example.com");
    assert_eq!(logged(&app, &ann).await, [PasswordResetRequested]);
}

#[tokio::test]
async fn a_reset_link_works_once_and_for_one_hour() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    request_reset(&app, &browser, &ann.email).await;
    app.mail_sent().await;
    let first = smtp.mails().remove(0);
    follow(&app, &browser, &first, &[("password", NEW_PASSWORD)]).await;

    let replay_page = browser.get(app.url(&first.link_on(&app))).send().await.unwrap();
    let csrf = form_csrf(&browser.get(app.url("/password_reset")).send().await.unwrap().text().await.unwrap());
    let replay = browser
        .post(app.url("/password_reset/edit"))
        .form(&[("token", first.token().as_str()), ("password", "the attackers password"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    request_reset(&app, &browser, &ann.email).await;
    app.mail_sent().await;
    let second = smtp.mails().remove(1);
    app.clock.advance(3600);
    let expired = browser.get(app.url(&second.link_on(&app))).send().await.unwrap();

    assert_eq!(replay_page.status(), 410);
    assert_eq!(replay.status(), 410);
    assert!(replay.text().await.unwrap().contains("This link has been used already"));
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("This link has expired"));
    assert_eq!(
        app.sign_in_attempt(&app.browser(), &ann.email, NEW_PASSWORD).await.status(),
        303,
        "still the first reset's"
    );
    assert_eq!(logged(&app, &ann).await.iter().filter(|k| **k == PasswordReset).count(), 1);
}

#[tokio::test]
async fn reset_requests_are_throttled_per_typed_address_per_client_and_per_account() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();

    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(request_reset(&app, &browser, &ann.email).await);
    }
    let throttled = statuses.pop().unwrap();
    let statuses: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    app.mail_sent().await;
    let mut by_client = Vec::new();
    for n in 0..16 {
        by_client.push(request_reset(&app, &browser, &format!("someone{n}@example.com")).await.status().as_u16());
    }

    assert_eq!(statuses, [200; 6]);
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
    assert!(throttled.text().await.unwrap().contains("Too many reset requests"));
    assert_eq!(smtp.mails().len(), 3, "at most three live links per account, whatever was asked");
    assert_eq!(by_client.iter().filter(|s| **s == 429).count(), 1, "the client's budget (20) ran out: {by_client:?}");
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 303, "sign-in is not locked");
    app.clock.advance(3601);
    assert_eq!(request_reset(&app, &app.browser(), &ann.email).await.status(), 200, "an hour later it works again");
}

#[tokio::test]
async fn the_three_live_links_cap_holds_when_requests_race() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let now = gatehouse::clock::Clock::now(&*app.clock);
    let localhost = std::net::IpAddr::from([127, 0, 0, 1]);

    // Background link writers run concurrently; on PostgreSQL several
    // writers do, each in its own READ COMMITTED transaction.
    let prepared = tokio_join_all((0..12).map(|_| {
        let store = app.state.store.clone();
        let email = ann.email.clone();
        tokio::spawn(async move {
            gatehouse::accounts::reset::prepare(&*store, &email, now, localhost).await.unwrap().is_some()
        })
    }))
    .await;

    assert_eq!(prepared.iter().filter(|stored| **stored).count(), 3, "{prepared:?}");
}

/// Awaits every spawned task, in order.
async fn tokio_join_all(tasks: impl Iterator<Item = tokio::task::JoinHandle<bool>>) -> Vec<bool> {
    let tasks: Vec<_> = tasks.collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test]
async fn a_reset_goes_only_to_the_primary_or_a_verified_address() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;
    add_email(&app, &browser, "unverified@example.com").await;
    add_email(&app, &browser, "verified@example.com").await;
    app.mail_sent().await;
    follow(&app, &browser, &to(&smtp.mails(), "verified@example.com")[0], &[]).await;
    let before = smtp.mails().len();

    for address in ["unverified@example.com", "verified@example.com", "ann@example.com"] {
        assert_eq!(request_reset(&app, &app.browser(), address).await.status(), 200);
    }
    app.mail_sent().await;

    let mut resets: Vec<String> = smtp.mails()[before..].iter().map(|m| m.to.clone()).collect();
    resets.sort();
    assert_eq!(resets, ["ann@example.com", "verified@example.com"]);
    assert_eq!(logged(&app, &ann).await.iter().filter(|k| **k == EmailAdded).count(), 2);
}

#[tokio::test]
async fn the_reset_forms_need_their_csrf_token_and_a_link_of_the_right_kind() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;
    let verification = {
        app.mail_sent().await;
        smtp.mails().remove(0)
    };
    let anonymous = app.browser();

    let forged_request = anonymous
        .post(app.url("/password_reset"))
        .form(&[("email", "ann@example.com"), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    request_reset(&app, &anonymous, &ann.email).await;
    app.mail_sent().await;
    let reset = smtp.mails().remove(1);
    let forged_reset = anonymous
        .post(app.url("/password_reset/edit"))
        .form(&[("token", reset.token().as_str()), ("password", NEW_PASSWORD), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    let csrf = form_csrf(&anonymous.get(app.url("/password_reset")).send().await.unwrap().text().await.unwrap());
    let verification_as_reset = anonymous
        .post(app.url("/password_reset/edit"))
        .form(&[("token", verification.token().as_str()), ("password", NEW_PASSWORD), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    let reset_as_verification = anonymous
        .post(app.url("/email_verification"))
        .form(&[("token", reset.token().as_str()), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    let short = follow(&app, &anonymous, &reset, &[("password", "short")]).await;

    assert_eq!((forged_request.status().as_u16(), forged_reset.status().as_u16()), (403, 403));
    assert_eq!((verification_as_reset.status().as_u16(), reset_as_verification.status().as_u16()), (404, 404));
    assert_eq!(short.status(), 422);
    assert!(short.text().await.unwrap().contains("Password must be 8 to 128 characters"));
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, PASSWORD).await.status(), 303, "unchanged");
    assert_eq!(follow(&app, &anonymous, &reset, &[("password", NEW_PASSWORD)]).await.status(), 200, "still works");
}

#[tokio::test]
async fn another_users_session_does_not_redirect_a_reset_link() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let bobs_browser = app.browser();
    app.login_as(&bobs_browser, &bob).await;
    request_reset(&app, &app.browser(), &ann.email).await;
    app.mail_sent().await;

    let reset = follow(&app, &bobs_browser, &smtp.mails()[0], &[("password", NEW_PASSWORD)]).await;

    assert_eq!(reset.status(), 200);
    assert_eq!(app.sign_in_attempt(&app.browser(), &ann.email, NEW_PASSWORD).await.status(), 303, "the link's account");
    assert_eq!(app.sign_in_attempt(&app.browser(), &bob.email, PASSWORD).await.status(), 303, "bob's is unchanged");
    let bobs_session = bobs_browser.get(app.url("/settings/sessions")).send().await.unwrap();
    assert_eq!(bobs_session.status(), 200, "bob's sessions are not ann's");
}
