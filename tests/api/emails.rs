//! SPEC §7 "Emails": sign-up mails a verification link; addresses are
//! added (and mailed a link), verified by the link (once, within 24 h),
//! made primary (verified ones only) and removed (not the primary one);
//! `GET /api/v5/emails` and OpenID Connect's `email_verified` follow; each
//! change is in the security log. Every mail here goes through a real SMTP
//! server and is read back as a mail program would.

use base64::Engine as _;
use gatehouse::domain::security_event::SecurityEventKind::{
    EmailAdded, EmailRemoved, EmailVerified, PrimaryEmailChanged, SignIn,
};

use crate::helpers::*;
use crate::mail_flows::*;
use crate::mailbox::SmtpServer;

/// `GET /api/v5/emails` and whether the ID token and UserInfo call the
/// primary address verified, through a password grant for `openid email`.
async fn what_clients_see(app: &TestApp, user: &TestUser) -> (serde_json::Value, bool, bool) {
    let client = app.register_client(user, "openid email emails").await;
    let tokens = app.password_grant(user, &client, "openid email emails").await;
    let access = tokens["access_token"].as_str().unwrap();
    let emails = app.api_get("/api/v5/emails", access).await.json().await.unwrap();
    let userinfo: serde_json::Value = app.api_get("/oauth/userinfo", access).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    (emails, claims["email_verified"].as_bool().unwrap(), userinfo["email_verified"].as_bool().unwrap())
}

#[tokio::test]
async fn sign_up_mails_a_link_that_verifies_the_address_for_the_api_and_openid_connect() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;
    app.mail_sent().await;
    let before = what_clients_see(&app, &ann).await;

    let mails = smtp.mails();
    let verified = follow(&app, &browser, &mails[0], &[]).await;

    assert_eq!(mails.len(), 1, "one mail, to the new address");
    assert_eq!((mails[0].to.as_str(), mails[0].envelope_to.as_str()), ("ann@example.com", "ann@example.com"));
    assert_eq!(mails[0].subject, "Verify your email address");
    assert_eq!(mails[0].from, "Gatehouse <noreply@localhost>");
    assert!(mails[0].text.starts_with("Hello ann,"), "{}", mails[0].text);
    assert!(mails[0].token().starts_with("gev_"));
    assert_eq!(verified.status(), 200);
    assert!(verified.text().await.unwrap().contains("ann@example.com is verified."));
    let unconfirmed =
        serde_json::json!([{ "email": "ann@example.com", "state": "unconfirmed", "scope": ["primary", "commit"] }]);
    assert_eq!(before, (unconfirmed, false, false));
    let confirmed =
        serde_json::json!([{ "email": "ann@example.com", "state": "confirmed", "scope": ["primary", "commit"] }]);
    assert_eq!(what_clients_see(&app, &ann).await, (confirmed, true, true));
    assert_eq!(logged(&app, &ann).await, [SignIn, EmailVerified]);
}

#[tokio::test]
async fn an_added_address_is_verified_made_primary_and_the_old_one_removed() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;

    let added = add_email(&app, &browser, " Ann.Work@Example.com ").await;
    app.mail_sent().await;
    let work_mails = to(&smtp.mails(), "ann.work@example.com");
    let listed = page(&app, &browser, "/settings/emails?notice=added").await;
    follow(&app, &browser, &work_mails[0], &[]).await;
    let id = address_id(&app, &ann, "ann.work@example.com").await;
    let primary = post_with_csrf(&app, &browser, &format!("/settings/emails/{id}/primary"), &[]).await;
    let old = address_id(&app, &ann, "ann@example.com").await;
    let removed = post_with_csrf(&app, &browser, &format!("/settings/emails/{old}/remove"), &[]).await;

    assert_eq!(added.status(), 303);
    assert_eq!(work_mails.len(), 1, "the added address got its link");
    assert!(
        listed.contains("ann.work@example.com") && listed.contains("Unverified") && listed.contains(">Add</button>")
    );
    assert!(listed.contains("A verification link is on its way"));
    assert_eq!((primary.status().as_u16(), removed.status().as_u16()), (303, 303));
    let now: Vec<_> = addresses(&app, &ann).await.into_iter().map(|a| (a.email, a.verified, a.primary)).collect();
    assert_eq!(now, [("ann.work@example.com".to_owned(), true, true)]);
    let user = app.store.find_user(ann.user.id).await.unwrap().unwrap();
    assert_eq!((user.email.as_str(), user.email_verified), ("ann.work@example.com", true));
    let old_password = app.sign_in_attempt(&app.browser(), "ann@example.com", PASSWORD).await;
    let new_address = app.sign_in_attempt(&app.browser(), "ann.work@example.com", PASSWORD).await;
    assert_eq!(
        (old_password.status().as_u16(), new_address.status().as_u16()),
        (401, 303),
        "sign-in follows the primary address"
    );
    assert_eq!(logged(&app, &ann).await[1..5], [EmailAdded, EmailVerified, PrimaryEmailChanged, EmailRemoved]);
    let shown = page(&app, &browser, "/settings/security-log").await;
    assert!(shown.contains("Primary email address changed") && shown.contains("ann.work@example.com"));
}

#[tokio::test]
async fn a_verification_link_works_once_and_for_24_hours() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;
    add_email(&app, &browser, "late@example.com").await;
    app.mail_sent().await;
    let mails = smtp.mails();
    let (first, late) = (&to(&mails, "ann@example.com")[0], &to(&mails, "late@example.com")[0]);

    let used = follow(&app, &browser, first, &[]).await;
    let replayed = browser
        .post(app.url("/email_verification"))
        .form(&[("token", first.token()), ("csrf_token", browser_csrf(&app, &browser).await)])
        .send()
        .await
        .unwrap();
    let reopened = browser.get(app.url(&first.link_on(&app))).send().await.unwrap();
    app.clock.advance(24 * 3600);
    let expired = browser.get(app.url(&late.link_on(&app))).send().await.unwrap();
    let expired_post = browser
        .post(app.url("/email_verification"))
        .form(&[("token", late.token()), ("csrf_token", browser_csrf(&app, &browser).await)])
        .send()
        .await
        .unwrap();

    assert_eq!(used.status(), 200);
    assert_eq!(replayed.status(), 410);
    assert!(replayed.text().await.unwrap().contains("This link has been used already"));
    assert_eq!(reopened.status(), 410, "a used link's page says so at once");
    assert_eq!((expired.status().as_u16(), expired_post.status().as_u16()), (410, 410));
    assert!(expired.text().await.unwrap().contains("This link has expired"));
    let late_state = addresses(&app, &ann).await.into_iter().find(|a| a.email == "late@example.com").unwrap();
    assert!(!late_state.verified, "an expired link verifies nothing");
    assert_eq!(logged(&app, &ann).await.iter().filter(|k| **k == EmailVerified).count(), 1);
}

/// The anonymous CSRF token a page before sign-in gives this browser.
async fn browser_csrf(app: &TestApp, browser: &reqwest::Client) -> String {
    form_csrf(&browser.get(app.url("/password_reset")).send().await.unwrap().text().await.unwrap())
}

#[tokio::test]
async fn only_a_verified_address_becomes_primary_and_the_primary_one_stays() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;
    add_email(&app, &browser, "other@example.com").await;
    let other = address_id(&app, &ann, "other@example.com").await;
    let primary = address_id(&app, &ann, "ann@example.com").await;

    let unverified = post_with_csrf(&app, &browser, &format!("/settings/emails/{other}/primary"), &[]).await;
    let remove_primary = post_with_csrf(&app, &browser, &format!("/settings/emails/{primary}/remove"), &[]).await;

    assert_eq!(unverified.status(), 409);
    assert!(unverified.text().await.unwrap().contains("Only a verified address can be made primary"));
    assert_eq!(remove_primary.status(), 409);
    assert!(remove_primary.text().await.unwrap().contains("The primary address cannot be removed"));
    let user = app.store.find_user(ann.user.id).await.unwrap().unwrap();
    assert_eq!(user.email, "ann@example.com");
    assert_eq!(addresses(&app, &ann).await.len(), 2);
}

#[tokio::test]
async fn another_accounts_address_is_not_found_and_cannot_be_taken() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let (ann_browser, bob_browser) = (app.browser(), app.browser());
    let ann = sign_up(&app, &ann_browser, "ann", "en").await;
    add_email(&app, &ann_browser, "ann.second@example.com").await;
    sign_up(&app, &bob_browser, "bob", "en").await;
    let anns = address_id(&app, &ann, "ann.second@example.com").await;

    let mut statuses = Vec::new();
    for action in ["primary", "remove", "resend"] {
        let path = format!("/settings/emails/{anns}/{action}");
        statuses.push(post_with_csrf(&app, &bob_browser, &path, &[]).await.status().as_u16());
    }
    let taken = add_email(&app, &bob_browser, "ann.second@example.com").await;
    let taken_primary = add_email(&app, &bob_browser, "ann@example.com").await;
    let carl = app.browser();
    let signup_page = carl.get(app.url("/signup")).send().await.unwrap().text().await.unwrap();
    let signup = carl
        .post(app.url("/signup"))
        .form(&[
            ("email", "ann.second@example.com"),
            ("username", "carl"),
            ("password", PASSWORD),
            ("csrf_token", &hidden_value(&signup_page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(statuses, [404, 404, 404]);
    assert_eq!((taken.status().as_u16(), taken_primary.status().as_u16()), (422, 422));
    assert!(taken.text().await.unwrap().contains("This address is in use already"));
    assert_eq!(signup.status(), 422);
    assert!(signup.text().await.unwrap().contains("An account with this email already exists"));
    assert_eq!(addresses(&app, &ann).await.len(), 2, "nothing of ann's changed");
    let bad_ids = post_with_csrf(&app, &bob_browser, "/settings/emails/not-a-number/remove", &[]).await;
    assert_eq!(bad_ids.status(), 404);
}

#[tokio::test]
async fn every_email_form_needs_its_csrf_token() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;
    add_email(&app, &browser, "second@example.com").await;
    app.mail_sent().await;
    let id = address_id(&app, &ann, "second@example.com").await;
    let mails_before = smtp.mails().len();

    let mut statuses = Vec::new();
    for (action, form) in [
        ("/settings/emails".to_owned(), vec![("email", "third@example.com")]),
        (format!("/settings/emails/{id}/resend"), vec![]),
        (format!("/settings/emails/{id}/remove"), vec![]),
        (format!("/settings/emails/{id}/primary"), vec![]),
    ] {
        for csrf in [None, Some("forged")] {
            let mut fields = form.clone();
            fields.extend(csrf.map(|token| ("csrf_token", token)));
            statuses.push(browser.post(app.url(&action)).form(&fields).send().await.unwrap().status().as_u16());
        }
    }
    let link = &to(&smtp.mails(), "second@example.com")[0];
    let forged_verification = browser
        .post(app.url("/email_verification"))
        .form(&[("token", link.token().as_str()), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    app.mail_sent().await;

    assert!(statuses.iter().all(|s| *s == 403), "{statuses:?}");
    assert_eq!(forged_verification.status(), 403);
    assert_eq!(addresses(&app, &ann).await.len(), 2);
    assert!(addresses(&app, &ann).await.iter().all(|a| !a.verified));
    assert_eq!(smtp.mails().len(), mails_before, "no mail was sent");
    assert_eq!(follow(&app, &browser, link, &[]).await.status(), 200, "the link still works");
}

#[tokio::test]
async fn a_new_link_is_sent_on_request_but_never_more_than_three_live_ones() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = browser_in("zh-CN");
    let ann = sign_up(&app, &browser, "ann", "zh-CN").await;
    let id = address_id(&app, &ann, "ann@example.com").await;

    let mut notices = Vec::new();
    for _ in 0..3 {
        let response = post_with_csrf(&app, &browser, &format!("/settings/emails/{id}/resend"), &[]).await;
        notices.push(location(&response).query().unwrap_or_default().to_owned());
    }
    app.mail_sent().await;

    assert_eq!(notices, ["notice=sent", "notice=sent", "notice=not_sent"]);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 3, "the sign-up link and two more");
    assert!(
        mails.iter().all(|m| m.subject == "验证你的邮箱地址"),
        "in the language of the page: {:?}",
        mails[2].subject
    );
    assert!(mails[2].text.starts_with("ann，你好："), "{}", mails[2].text);
    let tokens: std::collections::HashSet<_> = mails.iter().map(|m| m.token()).collect();
    assert_eq!(tokens.len(), 3, "each link its own");
    app.clock.advance(24 * 3600);
    let later = post_with_csrf(&app, &browser, &format!("/settings/emails/{id}/resend"), &[]).await;
    assert_eq!(location(&later).query(), Some("notice=sent"), "expired links no longer count");
}

#[tokio::test]
async fn a_link_to_a_removed_address_verifies_nothing() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    let ann = sign_up(&app, &browser, "ann", "en").await;
    add_email(&app, &browser, "gone@example.com").await;
    app.mail_sent().await;
    let id = address_id(&app, &ann, "gone@example.com").await;
    post_with_csrf(&app, &browser, &format!("/settings/emails/{id}/remove"), &[]).await;
    let link = &to(&smtp.mails(), "gone@example.com")[0];

    let opened = browser.get(app.url(&link.link_on(&app))).send().await.unwrap();
    add_email(&app, &browser, "gone@example.com").await;
    let old_link = browser
        .post(app.url("/email_verification"))
        .form(&[("token", link.token()), ("csrf_token", browser_csrf(&app, &browser).await)])
        .send()
        .await
        .unwrap();

    assert_eq!(opened.status(), 404, "its links went with the address");
    assert_eq!(old_link.status(), 404, "nor does it verify the address added again");
    assert!(addresses(&app, &ann).await.iter().all(|a| !a.verified));
}

#[tokio::test]
async fn bad_input_on_the_email_pages_is_a_4xx_page() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with_smtp(&smtp).await;
    let browser = app.browser();
    sign_up(&app, &browser, "ann", "en").await;

    let long = format!("{}@example.com", "a".repeat(300));
    let mut statuses = Vec::new();
    for email in ["not an address", "a\"b@example.com", "<x>@example.com", long.as_str()] {
        statuses.push(add_email(&app, &browser, email).await.status().as_u16());
    }
    let nul = add_email(&app, &browser, "a\u{0}b@example.com").await;
    let mut link_statuses = Vec::new();
    for query in
        ["", "?token=", "?token=gev_nope", "?token=gpr_wrong_kind", &format!("?token=gev_{}", "x".repeat(3000))]
    {
        link_statuses
            .push(browser.get(app.url(&format!("/email_verification{query}"))).send().await.unwrap().status().as_u16());
    }

    assert_eq!(statuses, [422, 422, 422, 422]);
    assert_eq!(nul.status(), 400);
    assert_eq!(link_statuses, [404, 404, 404, 404, 404]);
}
