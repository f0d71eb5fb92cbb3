//! SPEC §8 "Admin pages": `/admin` for admins; 404 on every `/admin` path
//! for everyone else; CSRF on every action; search and paging; disabling,
//! enabling, signing out and resetting two-factor from the page, each in the
//! user's security log.

use gatehouse::domain::oidc::{KeyMaterial, KeyProtection};
use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};
use gatehouse::domain::token::SecretHash;
use gatehouse::domain::user::{Email, Login};
use gatehouse::store::NewUser;

use crate::account_forms::{post_form, settings_page, signed_in};
use crate::helpers::*;

/// A signed-in admin's browser.
async fn admin_browser(app: &TestApp) -> (TestUser, reqwest::Client) {
    let root = app.create_user("root").await;
    assert!(app.store.admin().set_admin(root.user.id, true).await.unwrap());
    let browser = signed_in(app, &root).await;
    (root, browser)
}

/// The logins the page lists, in order.
fn listed_logins(page: &str) -> Vec<String> {
    page.split("<li data-login=\"").skip(1).map(|rest| rest[..rest.find('"').unwrap()].to_owned()).collect()
}

#[tokio::test]
async fn every_admin_path_is_not_found_for_anonymous_and_non_admin_users() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let (_, admin) = admin_browser(&app).await;
    let anns = signed_in(&app, &ann).await;
    let csrf = hidden_value(&settings_page(&app, &anns, "/settings/profile").await, "csrf_token");
    let user_action = format!("/admin/users/{}/disable", ann.user.id);
    let app_action = format!("/admin/applications/{}/disable", client.id());
    let paths = ["/admin", "/admin?q=a&page=2", "/admin/", "/admin/users", &user_action, &app_action, "/admin/x"];

    for browser in [&app.browser(), &anns] {
        for path in paths {
            let got = browser.get(app.url(path)).send().await.unwrap();
            assert_eq!(got.status(), 404, "GET {path}");
            let posted = browser.post(app.url(path)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
            assert_eq!(posted.status(), 404, "POST {path}");
        }
    }
    assert_eq!(admin.get(app.url("/admin")).send().await.unwrap().status(), 200);
    assert_eq!(admin.get(app.url(&user_action)).send().await.unwrap().status(), 404, "actions are POSTs");
    assert_eq!(anns.get(app.url("/settings/profile")).send().await.unwrap().status(), 200, "ann untouched");
    assert_eq!(app.store.admin().find_account_by_id(ann.user.id).await.unwrap().unwrap().disabled_at, None);
}

#[tokio::test]
async fn the_header_links_the_admin_pages_for_admins_only() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let (_, admin) = admin_browser(&app).await;
    let anns = signed_in(&app, &ann).await;
    let link = "<a href=\"/admin\">Administration</a>";

    assert!(settings_page(&app, &admin, "/settings/profile").await.contains(link));
    assert!(!settings_page(&app, &anns, "/settings/profile").await.contains(link));
    assert!(app.store.admin().set_admin(ann.user.id, true).await.unwrap());
    assert!(settings_page(&app, &anns, "/settings/profile").await.contains(link), "promotion shows at once");
}

#[tokio::test]
async fn an_action_without_the_sessions_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let (_, admin) = admin_browser(&app).await;

    let forged = admin
        .post(app.url(&format!("/admin/users/{}/disable", ann.user.id)))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    let missing = admin.post(app.url(&format!("/admin/users/{}/disable", ann.user.id))).send().await.unwrap();

    assert_eq!((forged.status().as_u16(), missing.status().as_u16()), (403, 403));
    assert_eq!(app.store.admin().find_account_by_id(ann.user.id).await.unwrap().unwrap().disabled_at, None);
}

#[tokio::test]
async fn users_are_searched_by_email_or_login_and_paged() {
    let app = TestApp::spawn().await;
    let (_, admin) = admin_browser(&app).await;
    for n in 0..25 {
        let user = NewUser {
            login: Login::parse(&format!("user{n:02}")).unwrap(),
            name: String::new(),
            email: Email::parse(&format!("person{n:02}@example.com")).unwrap(),
            password_hash: "$argon2id$unused".into(),
        };
        app.store.insert_user(&user, T0).await.unwrap();
    }

    let first = settings_page(&app, &admin, "/admin").await;
    let second = settings_page(&app, &admin, "/admin?q=&page=2&apps_page=1").await;
    let by_login = settings_page(&app, &admin, "/admin?q=USER1").await;
    let by_email = settings_page(&app, &admin, "/admin?q=person2").await;
    let nothing = settings_page(&app, &admin, "/admin?q=%25").await;

    let first_logins = listed_logins(&first);
    assert_eq!(first_logins.len(), 20);
    assert_eq!(first_logins[0], "root");
    assert!(first.contains("id=\"users-next\""), "a next page");
    assert_eq!(listed_logins(&second), ["user19", "user20", "user21", "user22", "user23", "user24"]);
    assert!(!second.contains("id=\"users-next\""));
    assert_eq!(listed_logins(&by_login).len(), 10, "user10 … user19");
    assert_eq!(listed_logins(&by_email), ["user20", "user21", "user22", "user23", "user24"]);
    assert!(listed_logins(&nothing).is_empty(), "% is a character, not a wildcard");
    assert!(nothing.contains("No users found."));
}

#[tokio::test]
async fn an_admin_disables_enables_signs_out_and_resets_two_factor_from_the_page() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let access = tokens["access_token"].as_str().unwrap();
    let anns = signed_in(&app, &ann).await;
    let (_, admin) = admin_browser(&app).await;
    let id = ann.user.id;

    let disabled = post_form(&app, &admin, "/admin", &format!("/admin/users/{id}/disable"), &[]).await;

    assert_eq!(disabled.status(), 303);
    assert_eq!(location(&disabled).query(), Some("notice=user_disabled"));
    let page = settings_page(&app, &admin, "/admin?notice=user_disabled").await;
    assert!(page.contains("The user was disabled"), "the notice");
    let row = &page[page.find("data-login=\"ann\"").unwrap()..];
    assert!(row[..row.find("</li>").unwrap()].contains("Disabled"), "ann's row says so");
    assert!(page.contains("data-kind=\"account_disabled\""), "in the recent events");
    assert_eq!(anns.get(app.url("/settings/profile")).send().await.unwrap().status(), 302, "ann's session ended");
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401);
    let events = app.store.list_security_events(id, 10).await.unwrap();
    assert_eq!((events[0].kind, events[0].detail.as_str()), (SecurityEventKind::AccountDisabled, "root"));

    let enabled = post_form(&app, &admin, "/admin", &format!("/admin/users/{id}/enable"), &[]).await;
    assert_eq!(enabled.status(), 303);
    let anns = signed_in(&app, &ann).await;
    let signed_out = post_form(&app, &admin, "/admin", &format!("/admin/users/{id}/sign_out"), &[]).await;
    assert_eq!(signed_out.status(), 303);
    assert_eq!(anns.get(app.url("/settings/profile")).send().await.unwrap().status(), 302, "signed out everywhere");

    let secret = KeyMaterial(vec![7; 20]);
    assert!(app.store.begin_two_factor_setup(id, &secret, KeyProtection::None, T0).await.unwrap());
    let on = SecurityEvent::new(id, SecurityEventKind::TwoFactorEnabled, None);
    assert!(app.store.enable_two_factor(id, &secret, 1, &[SecretHash([1; 32])], &on, T0).await.unwrap());
    assert!(settings_page(&app, &admin, "/admin").await.contains("Reset two-factor"));
    let reset = post_form(&app, &admin, "/admin", &format!("/admin/users/{id}/reset_two_factor"), &[]).await;
    assert_eq!(reset.status(), 303);
    assert!(app.store.find_two_factor(id).await.unwrap().is_none());
    let kinds: Vec<_> = app.store.list_security_events(id, 10).await.unwrap().into_iter().map(|e| e.kind).collect();
    for kind in [SecurityEventKind::AccountEnabled, SecurityEventKind::SessionsEndedByAdmin] {
        assert!(kinds.contains(&kind), "{kind:?}");
    }
    assert_eq!(kinds[0], SecurityEventKind::TwoFactorResetByAdmin);

    let app_disabled =
        post_form(&app, &admin, "/admin", &format!("/admin/applications/{}/disable", client.id()), &[]).await;
    assert_eq!(app_disabled.status(), 303);
    assert_oauth_error(app.password_attempt(&client, &ann.email, PASSWORD).await, 401, "invalid_client").await;
    let app_enabled =
        post_form(&app, &admin, "/admin", &format!("/admin/applications/{}/enable", client.id()), &[]).await;
    assert_eq!(app_enabled.status(), 303);
    assert_eq!(app.password_attempt(&client, &ann.email, PASSWORD).await.status(), 200);
}
