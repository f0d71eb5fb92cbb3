//! SPEC §7 "Personal access tokens": generated with a description, scopes
//! and an expiry; shown once; stored only as a hash; listed with scopes,
//! expiry and last use (written at most once a minute); accepted by the
//! Open API like an access token within its scopes, and by introspection;
//! revoked by its owner alone.

use gatehouse::domain::security_event::SecurityEventKind;
use gatehouse::domain::token::PlainSecret;

use crate::account_forms::*;
use crate::helpers::*;

const DAY: i64 = 86_400;

/// The store's commit count once the writes under way have all been counted
/// (the writer counts a batch just after answering it).
async fn settled_commits(app: &TestApp) -> u64 {
    let mut last = app.store.commits();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let now = app.store.commits();
        if now == last {
            break;
        }
        last = now;
    }
    last
}

/// The action of the first Revoke button on the tokens page.
fn first_revoke_action(page: &str) -> String {
    let start = page.find("action=\"/settings/tokens/").expect("a Revoke button") + "action=\"".len();
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_generated_token_is_shown_once_and_stored_only_as_its_hash() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let form = settings_page(&app, &browser, "/settings/tokens").await;
    for label in
        [">Description<", ">Expiration<", ">Generate token<", "scope_user_info", ">30 days<", ">No expiration<"]
    {
        assert!(form.contains(label), "{label}");
    }
    assert!(!form.contains("scope_openid"), "OpenID Connect scopes are not offered");

    let token = generate_token(&app, &browser, "Deploy from CI", &["user_info", "projects"], "90").await;

    assert_eq!(token.len(), 4 + 43, "gpt_ and 256 bits");
    let later = settings_page(&app, &browser, "/settings/tokens").await;
    assert!(!later.contains(&token), "shown once");
    assert!(later.contains("Deploy from CI") && later.contains("<code>user_info</code> <code>projects</code>"));
    assert!(later.contains("2027-02-16 11:06 UTC"), "expires in 90 days: {later}");
    assert_eq!(personal_token_hashes(&app).await, [PlainSecret::from_presented(&token).hash().0.to_vec()]);
    assert!(personal_token_texts(&app).await.iter().all(|text| !text.contains(&token[4..])), "no clear text");
    if let Some(dir) = &app.database().dir {
        for file in ["gatehouse.db", "gatehouse.db-wal"] {
            let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "not in {file}");
        }
    }
    assert_eq!(logged(&app, &ann).await[0], SecurityEventKind::PersonalTokenCreated);
    let shown = app.store.list_security_events(ann.user.id, 1).await.unwrap();
    assert_eq!(shown[0].detail, "Deploy from CI");
}

#[tokio::test]
async fn the_open_api_takes_a_personal_token_every_way_it_takes_an_access_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let token = generate_token(&app, &browser, "script", &["user_info"], "30").await;

    let bearer = app.api_get("/api/v5/user", &token).await;
    let sdk_style = app.http.get(app.url("/api/v5/user")).header("authorization", format!("token {token}")).send();
    let query = app.http.get(app.url(&format!("/api/v5/user?access_token={token}"))).send();

    assert_eq!(bearer.status(), 200);
    let user: serde_json::Value = bearer.json().await.unwrap();
    assert_eq!(user["login"], "ann");
    assert_eq!(sdk_style.await.unwrap().status(), 200);
    assert_eq!(query.await.unwrap().status(), 200);
    let patched = patch_user(&app, &token, serde_json::json!({ "bio": "set by a script" })).await;
    assert_eq!(patched.status(), 200);
    assert_eq!(app.store.find_user(ann.user.id).await.unwrap().unwrap().bio, "set by a script");
}

#[tokio::test]
async fn a_personal_token_opens_nothing_beyond_its_scopes() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let emails_only = generate_token(&app, &browser, "mail sync", &["emails"], "30").await;

    let user = app.api_get("/api/v5/user", &emails_only).await;
    let patch = patch_user(&app, &emails_only, serde_json::json!({ "name": "Mallory" })).await;
    let emails = app.api_get("/api/v5/emails", &emails_only).await;
    let userinfo = app.api_get("/oauth/userinfo", &emails_only).await;

    assert_eq!(user.status(), 403);
    assert!(user.headers()["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
    assert_eq!(patch.status(), 403);
    assert_eq!(emails.status(), 200);
    assert_eq!(userinfo.status(), 403, "no openid scope, no UserInfo");
    assert_eq!(app.store.find_user(ann.user.id).await.unwrap().unwrap().name, "ann");
}

#[tokio::test]
async fn the_form_refuses_what_a_token_cannot_be_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let long = "d".repeat(101);
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("description", "CI"), ("expiration", "30")], "Choose at least one scope"),
        (&[("description", "CI"), ("expiration", "30"), ("scope_openid", "on")], "scope `openid` cannot be given"),
        (&[("description", "CI"), ("expiration", "forever"), ("scope_user_info", "on")], "Choose an expiration"),
        (&[("description", "  "), ("expiration", "30"), ("scope_user_info", "on")], "Description must be 1 to 100"),
        (
            &[("description", long.as_str()), ("expiration", "30"), ("scope_user_info", "on")],
            "Description must be 1 to 100",
        ),
    ];

    for (fields, message) in cases {
        let refused = post_form(&app, &browser, "/settings/tokens", "/settings/tokens", fields).await;
        assert_eq!(refused.status(), 422, "{message}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(message), "{message}: {page}");
        assert!(!page.contains("gpt_"), "no token");
    }

    assert_eq!(count(&app, "SELECT count(*) FROM personal_tokens").await, 0);
}

#[tokio::test]
async fn a_personal_token_stops_working_when_it_expires_unless_it_never_does() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let week = generate_token(&app, &browser, "a week", &["user_info"], "7").await;
    let forever = generate_token(&app, &browser, "forever", &["user_info"], "none").await;

    app.clock.advance(7 * DAY - 1);
    assert_eq!(app.api_get("/api/v5/user", &week).await.status(), 200, "the last second");
    app.clock.advance(1);
    assert_eq!(app.api_get("/api/v5/user", &week).await.status(), 401, "expired");
    app.clock.advance(10 * 365 * DAY);
    assert_eq!(app.api_get("/api/v5/user", &forever).await.status(), 200, "ten years on");

    app.login_as(&browser, &ann).await;
    let listed = settings_page(&app, &browser, "/settings/tokens").await;
    assert!(listed.contains(">Expired<"), "the expired token is marked: {listed}");
}

#[tokio::test]
async fn revoking_a_token_ends_it_at_once() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let token = generate_token(&app, &browser, "old laptop", &["user_info"], "30").await;
    let page = settings_page(&app, &browser, "/settings/tokens").await;

    let revoked = post_form(&app, &browser, "/settings/tokens", &first_revoke_action(&page), &[]).await;

    assert_eq!(revoked.status(), 303);
    assert_eq!(location(&revoked).as_str(), app.url("/settings/tokens?notice=revoked"));
    assert_eq!(app.api_get("/api/v5/user", &token).await.status(), 401);
    let listed = settings_page(&app, &browser, "/settings/tokens?notice=revoked").await;
    assert!(listed.contains("The token was revoked.") && listed.contains("You have no personal access tokens."));
    let event = &app.store.list_security_events(ann.user.id, 1).await.unwrap()[0];
    assert_eq!((event.kind, event.detail.as_str()), (SecurityEventKind::PersonalTokenRevoked, "old laptop"));
}

#[tokio::test]
async fn another_users_token_cannot_be_revoked_nor_is_it_listed() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let mallory = app.create_user("mallory").await;
    let anns = signed_in(&app, &ann).await;
    let mallorys = signed_in(&app, &mallory).await;
    let token = generate_token(&app, &anns, "ann's", &["user_info"], "30").await;
    let action = first_revoke_action(&settings_page(&app, &anns, "/settings/tokens").await);

    let refused = post_form(&app, &mallorys, "/settings/tokens", &action, &[]).await;
    let garbage = post_form(&app, &mallorys, "/settings/tokens", "/settings/tokens/not-a-number/revoke", &[]).await;
    let forged = anns.post(app.url(&action)).form(&[("csrf_token", "forged")]).send().await.unwrap();

    assert_eq!((refused.status().as_u16(), garbage.status().as_u16(), forged.status().as_u16()), (404, 404, 403));
    assert!(!settings_page(&app, &mallorys, "/settings/tokens").await.contains("ann&#39;s"));
    assert_eq!(app.api_get("/api/v5/user", &token).await.status(), 200, "ann's token lives");
}

#[tokio::test]
async fn the_generate_form_needs_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let forged = browser
        .post(app.url("/settings/tokens"))
        .form(&[("csrf_token", "forged"), ("description", "x"), ("expiration", "30"), ("scope_user_info", "on")])
        .send()
        .await
        .unwrap();

    assert_eq!(forged.status(), 403);
    assert_eq!(count(&app, "SELECT count(*) FROM personal_tokens").await, 0);
}

#[tokio::test]
async fn introspection_reports_a_personal_token_without_a_client() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let resource_server = app.register_client(&ann, "user_info").await;
    let browser = signed_in(&app, &ann).await;
    let expiring = generate_token(&app, &browser, "expiring", &["user_info", "projects"], "7").await;
    let forever = generate_token(&app, &browser, "forever", &["emails"], "none").await;
    let introspect = |token: String| {
        app.http
            .post(app.url("/oauth/introspect"))
            .basic_auth(resource_server.id(), Some(resource_server.secret()))
            .form(&[("token", token)])
            .send()
    };

    let active: serde_json::Value = introspect(expiring.clone()).await.unwrap().json().await.unwrap();
    let never: serde_json::Value = introspect(forever.clone()).await.unwrap().json().await.unwrap();

    assert_eq!(
        active,
        serde_json::json!({
            "active": true, "scope": "user_info projects", "username": "ann", "token_type": "bearer",
            "exp": T0 + 7 * DAY, "iat": T0, "sub": ann.user.id.0.to_string(),
        }),
        "no client_id: no client holds it"
    );
    assert_eq!(never["active"], true);
    assert!(never.get("exp").is_none(), "never expires: {never}");
    app.clock.advance(7 * DAY);
    let expired: serde_json::Value = introspect(expiring).await.unwrap().json().await.unwrap();
    assert_eq!(expired, serde_json::json!({ "active": false }));
    let unknown: serde_json::Value = introspect("gpt_unknown".into()).await.unwrap().json().await.unwrap();
    assert_eq!(unknown, serde_json::json!({ "active": false }));
}

#[tokio::test]
async fn no_client_can_revoke_a_personal_token_at_the_revocation_endpoint() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let browser = signed_in(&app, &ann).await;
    let token = generate_token(&app, &browser, "CI", &["user_info"], "30").await;
    let revoke = |token: &str| {
        app.http
            .post(app.url("/oauth/revoke"))
            .basic_auth(client.id(), Some(client.secret()))
            .form(&[("token", token.to_owned())])
            .send()
    };

    let refused = revoke(&token).await.unwrap();
    let unknown = revoke("gpt_unknown").await.unwrap();

    assert_oauth_error(refused, 400, "unauthorized_client").await;
    assert_eq!(unknown.status(), 200, "an unknown token: silently (RFC 7009 §2.2)");
    assert_eq!(app.api_get("/api/v5/user", &token).await.status(), 200);
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let token = generate_token(&app, &browser, "CI", &["user_info"], "30").await;
    let last_used = || async { app.store.list_personal_tokens(ann.user.id).await.unwrap()[0].last_used_at };
    let settle = |expected: i64| async move {
        for _ in 0..100 {
            if last_used().await == Some(expected) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    assert_eq!(last_used().await, None);
    assert!(settings_page(&app, &browser, "/settings/tokens").await.contains("Last used: <time>never</time>"));

    app.api_get("/api/v5/user", &token).await;
    settle(T0).await;
    assert_eq!(last_used().await, Some(T0), "the first use is written");
    let commits = settled_commits(&app).await;
    app.clock.advance(30);
    for _ in 0..5 {
        assert_eq!(app.api_get("/api/v5/user", &token).await.status(), 200);
    }
    app.clock.advance(29);
    app.api_get("/api/v5/user", &token).await;
    assert_eq!(app.store.commits(), commits, "no write within the minute");
    assert_eq!(last_used().await, Some(T0));

    app.clock.advance(1);
    app.api_get("/api/v5/user", &token).await;
    settle(T0 + 60).await;
    assert_eq!(last_used().await, Some(T0 + 60), "a minute later: written");
    let listed = settings_page(&app, &browser, "/settings/tokens").await;
    assert!(listed.contains("Last used: <time>2026-11-18 11:07 UTC</time>"), "{listed}");
}
