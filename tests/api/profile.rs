//! SPEC §7 "Profile": the settings page (Name, Bio, Website, Save) and
//! `PATCH /api/v5/user` (scope `user_info`), which change the same fields
//! as on the platform: `name`, `blog`, `weibo`, `bio`.

use gatehouse::domain::security_event::SecurityEventKind;
use serde_json::json;

use crate::account_forms::*;
use crate::helpers::*;

#[tokio::test]
async fn settings_open_on_the_profile_page_which_links_every_section() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let settings = browser.get(app.url("/settings")).send().await.unwrap();
    let page = settings_page(&app, &browser, "/settings/profile").await;

    assert_eq!(location(&settings).path(), "/settings/profile");
    for link in
        ["/settings/profile", "/settings/password", "/settings/tokens", "/settings/account", "/settings/sessions"]
    {
        assert!(page.contains(&format!("href=\"{link}\"")), "{link} in the menu");
    }
    for label in [">Name<", ">Bio<", ">Website<", ">Save<"] {
        assert!(page.contains(label), "{label}");
    }
    assert!(page.contains("value=\"ann\""), "the name as it is");
}

#[tokio::test]
async fn the_profile_page_saves_name_bio_and_website_for_the_api_to_show() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let token = access_token(&app, &ann, "user_info").await;
    let browser = signed_in(&app, &ann).await;
    app.clock.advance(60);

    let fields = [("name", "Ann <Lee>"), ("bio", "Rust & tea"), ("website", "https://ann.example/")];
    let saved = post_form(&app, &browser, "/settings/profile", "/settings/profile", &fields).await;

    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved).as_str(), app.url("/settings/profile?notice=saved"));
    let page = settings_page(&app, &browser, "/settings/profile?notice=saved").await;
    assert!(page.contains("Your profile was saved."));
    assert!(page.contains("Ann &#60;Lee&#62;") || page.contains("Ann &lt;Lee&gt;"), "shown escaped: {page}");
    assert!(!page.contains("Ann <Lee>"));
    let user: serde_json::Value = app.api_get("/api/v5/user", &token).await.json().await.unwrap();
    assert_eq!((user["name"].as_str(), user["bio"].as_str()), (Some("Ann <Lee>"), Some("Rust & tea")));
    assert_eq!(user["blog"], "https://ann.example/");
    assert_eq!(user["updated_at"], "2026-11-18T11:07:40Z", "updated_at moves");
    assert_eq!(logged(&app, &ann).await[0], SecurityEventKind::ProfileUpdated);
}

#[tokio::test]
async fn the_profile_page_refuses_bad_values_beside_their_fields_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let long_bio = "b".repeat(161);

    let fields = [("name", "   "), ("bio", long_bio.as_str()), ("website", "javascript:alert(1)")];
    let refused = post_form(&app, &browser, "/settings/profile", "/settings/profile", &fields).await;

    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    for message in [
        "Name must be 1 to 50 characters on one line",
        "Bio must be at most 160 characters",
        "Website must be an http or https URL",
    ] {
        assert!(page.contains(message), "{message}: {page}");
    }
    assert!(page.contains("javascript:alert(1)") && page.contains(&long_bio), "what was typed stays");
    let user = app.store.find_user(ann.user.id).await.unwrap().unwrap();
    assert_eq!((user.name.as_str(), user.bio.as_str(), user.blog.as_str()), ("ann", "", ""), "nothing saved");
    assert!(!logged(&app, &ann).await.contains(&SecurityEventKind::ProfileUpdated));
}

#[tokio::test]
async fn the_profile_form_needs_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;

    let forged = browser
        .post(app.url("/settings/profile"))
        .form(&[("csrf_token", "forged"), ("name", "Mallory was here"), ("bio", ""), ("website", "")])
        .send()
        .await
        .unwrap();
    let missing = browser.post(app.url("/settings/profile")).form(&[("name", "Mallory")]).send().await.unwrap();

    assert_eq!((forged.status().as_u16(), missing.status().as_u16()), (403, 403));
    assert_eq!(app.store.find_user(ann.user.id).await.unwrap().unwrap().name, "ann");
    let signed_out = app.browser().post(app.url("/settings/profile")).form(&[("name", "x")]).send().await.unwrap();
    assert_eq!(signed_out.status(), 302, "signed out: sent to sign in");
}

#[tokio::test]
async fn patch_user_changes_the_platforms_fields_and_answers_the_user_as_get_does() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let token = access_token(&app, &ann, "user_info").await;
    app.clock.advance(3600);

    let patched = patch_user(
        &app,
        &token,
        json!({ "name": "安 Lee", "blog": "https://ann.example", "weibo": "@ann", "bio": "Hello", "login": "root" }),
    )
    .await;

    assert_eq!(patched.status(), 200);
    let answer: serde_json::Value = patched.json().await.unwrap();
    let shown: serde_json::Value = app.api_get("/api/v5/user", &token).await.json().await.unwrap();
    assert_eq!(answer, shown, "the answer is the user as GET shows it");
    assert_eq!(
        (&shown["name"], &shown["blog"], &shown["weibo"], &shown["bio"]),
        (&json!("安 Lee"), &json!("https://ann.example"), &json!("@ann"), &json!("Hello"))
    );
    assert_eq!(shown["login"], "ann", "the login is not a profile field");
    assert_eq!(shown["updated_at"], "2026-11-18T12:06:40Z");
    assert_eq!(logged(&app, &ann).await[0], SecurityEventKind::ProfileUpdated);
}

#[tokio::test]
async fn patch_user_takes_a_form_body_with_the_token_in_it_and_leaves_out_fields_alone() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let token = access_token(&app, &ann, "user_info").await;
    assert_eq!(patch_user(&app, &token, json!({ "bio": "Old bio", "weibo": "@ann" })).await.status(), 200);

    // The platform's style: a form body with `access_token`; an empty field clears it.
    let patched = app
        .http
        .patch(app.url("/api/v5/user"))
        .form(&[("access_token", token.as_str()), ("name", "Ann"), ("bio", "")])
        .send()
        .await
        .unwrap();

    assert_eq!(patched.status(), 200);
    let user: serde_json::Value = patched.json().await.unwrap();
    assert_eq!((&user["name"], &user["bio"], &user["weibo"]), (&json!("Ann"), &json!(""), &json!("@ann")));
    let by_query = app
        .http
        .patch(app.url(&format!("/api/v5/user?access_token={token}")))
        .header("authorization", format!("token {token}"))
        .json(&json!({ "name": "Both" }))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 401, "RFC 6750 §2: one method only");
}

#[tokio::test]
async fn patch_user_needs_a_valid_token_with_the_user_info_scope() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let without_scope = access_token(&app, &ann, "projects emails").await;

    let forbidden = patch_user(&app, &without_scope, json!({ "name": "Mallory" })).await;
    let invalid = patch_user(&app, "gat_not_a_token", json!({ "name": "Mallory" })).await;
    let missing = app.http.patch(app.url("/api/v5/user")).json(&json!({ "name": "Mallory" })).send().await.unwrap();

    assert_eq!(forbidden.status(), 403);
    let challenge = forbidden.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.contains("insufficient_scope") && challenge.contains("user_info"), "{challenge}");
    assert_eq!(invalid.status(), 401);
    assert!(invalid.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    assert_eq!(missing.status(), 401);
    assert_eq!(app.store.find_user(ann.user.id).await.unwrap().unwrap().name, "ann", "nothing changed");
}

#[tokio::test]
async fn patch_user_refuses_bad_values_with_422_naming_each_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let token = access_token(&app, &ann, "user_info").await;

    let refused = patch_user(
        &app,
        &token,
        json!({ "name": "x".repeat(51), "bio": "fine", "blog": "javascript:alert(1)", "weibo": "a\nb" }),
    )
    .await;
    let malformed = app
        .http
        .patch(app.url("/api/v5/user"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let nested = patch_user(&app, &token, json!({ "name": { "first": "Ann" } })).await;

    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "blog", "weibo"], "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("Validation Failed") && message.contains("http or https"), "{message}");
    assert_eq!(malformed.status(), 400);
    assert!(malformed.json::<serde_json::Value>().await.unwrap()["message"].is_string());
    assert_eq!(nested.status(), 400);
    let user = app.store.find_user(ann.user.id).await.unwrap().unwrap();
    assert_eq!((user.name.as_str(), user.bio.as_str()), ("ann", ""), "not even the valid field changed");
}

#[tokio::test]
async fn patch_user_that_changes_nothing_writes_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let token = access_token(&app, &ann, "user_info").await;
    let before = logged(&app, &ann).await;

    let same = patch_user(&app, &token, json!({ "name": "ann" })).await;
    let empty = patch_user(&app, &token, json!({})).await;

    assert_eq!((same.status().as_u16(), empty.status().as_u16()), (200, 200));
    assert_eq!(logged(&app, &ann).await, before, "no event");
    let user: serde_json::Value = app.api_get("/api/v5/user", &token).await.json().await.unwrap();
    assert_eq!(user["updated_at"], user["created_at"]);
}

#[tokio::test]
async fn patch_user_answers_cross_origin_preflights() {
    let app = TestApp::spawn().await;

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v5/user"))
        .header("origin", "https://widget.example")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();

    assert_eq!(preflight.status(), 200);
    let allowed = preflight.headers()["access-control-allow-methods"].to_str().unwrap();
    assert!(allowed.contains("PATCH"), "{allowed}");
}

#[tokio::test]
async fn patch_user_refuses_bytes_no_backend_can_store_as_400() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let token = access_token(&app, &ann, "user_info").await;

    for field in ["name", "bio", "blog", "weibo"] {
        let form = app
            .http
            .patch(app.url("/api/v5/user"))
            .bearer_auth(&token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("{field}=ann%00lee"))
            .send()
            .await
            .unwrap();
        let json = patch_user(&app, &token, json!({ field: "ann\u{0}lee" })).await;
        let invalid_utf8 = app
            .http
            .patch(app.url("/api/v5/user"))
            .bearer_auth(&token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("{field}=%FF"))
            .send()
            .await
            .unwrap();

        assert_eq!(
            (form.status().as_u16(), json.status().as_u16(), invalid_utf8.status().as_u16()),
            (400, 400, 400),
            "{field}"
        );
    }
    assert_eq!(app.store.find_user(ann.user.id).await.unwrap().unwrap().name, "ann");
}
