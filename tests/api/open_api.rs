//! SPEC §1.9 and §2: the Open API opened by the token.

use crate::helpers::*;

async fn token_with(app: &TestApp, scope: &str) -> String {
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info emails projects").await;
    app.password_grant(&ann, &client, scope).await["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_user_endpoint_returns_the_platforms_user_fields() {
    let app = TestApp::spawn().await;
    let token = token_with(&app, "user_info").await;

    let user: serde_json::Value = app.api_get("/api/v5/user", &token).await.json().await.unwrap();

    for field in [
        "id",
        "login",
        "name",
        "avatar_url",
        "url",
        "html_url",
        "bio",
        "blog",
        "weibo",
        "email",
        "created_at",
        "updated_at",
        "type",
        "followers",
        "public_repos",
    ] {
        assert!(user.get(field).is_some(), "missing {field}");
    }
    assert_eq!(user["login"], "ann");
    assert_eq!(user["email"], "ann@example.com");
    assert!(user["id"].is_i64());
    assert_eq!(user["html_url"], app.url("/ann"));
    assert_eq!(user["created_at"], "2026-11-18T11:06:40Z");
}

#[tokio::test]
async fn the_emails_endpoint_needs_the_emails_scope() {
    let app = TestApp::spawn().await;
    let token = token_with(&app, "user_info emails").await;

    let emails: serde_json::Value = app.api_get("/api/v5/emails", &token).await.json().await.unwrap();

    // Nobody followed a verification link yet (tests/api/emails.rs follows one).
    assert_eq!(
        emails,
        serde_json::json!([{ "email": "ann@example.com", "state": "unconfirmed", "scope": ["primary", "commit"] }])
    );
}

#[tokio::test]
async fn a_token_without_the_scope_gets_403_insufficient_scope() {
    let app = TestApp::spawn().await;
    let token = token_with(&app, "projects").await;

    for (path, scope) in [("/api/v5/user", "user_info"), ("/api/v5/emails", "emails")] {
        let response = app.api_get(path, &token).await;

        assert_eq!(response.status(), 403);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
        assert!(challenge.contains(&format!("scope=\"{scope}\"")), "{challenge}");
    }
}

#[tokio::test]
async fn the_token_is_accepted_as_bearer_as_token_and_as_a_query_parameter() {
    let app = TestApp::spawn().await;
    let token = token_with(&app, "user_info").await;

    let bearer =
        app.http.get(app.url("/api/v5/user")).header("authorization", format!("Bearer {token}")).send().await.unwrap();
    let sdk =
        app.http.get(app.url("/api/v5/user")).header("authorization", format!("token {token}")).send().await.unwrap();
    let query = app.http.get(app.url("/api/v5/user")).query(&[("access_token", &token)]).send().await.unwrap();

    assert_eq!(bearer.status(), 200);
    assert_eq!(sdk.status(), 200);
    assert_eq!(query.status(), 200);
}

#[tokio::test]
async fn a_missing_or_invalid_token_gets_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;

    let missing = app.http.get(app.url("/api/v5/user")).send().await.unwrap();
    let invalid = app.api_get("/api/v5/user", "gat_not_a_token").await;

    assert_eq!(missing.status(), 401);
    assert!(missing.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    assert_eq!(invalid.status(), 401);
    assert!(invalid.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn the_api_answers_cross_origin_requests_but_the_token_endpoint_does_not() {
    let app = TestApp::spawn().await;
    let token = token_with(&app, "user_info").await;
    let preflight = |path: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", "https://widget.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };

    let api = preflight("/api/v5/user").await.unwrap();
    let token_endpoint = preflight("/oauth/token").await.unwrap();
    let call = app
        .http
        .get(app.url("/api/v5/user"))
        .header("origin", "https://widget.example")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(api.headers()["access-control-allow-origin"], "*");
    assert!(api.headers().get("access-control-allow-credentials").is_none());
    assert!(token_endpoint.headers().get("access-control-allow-origin").is_none());
    assert_eq!(call.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn unknown_api_paths_answer_json_404() {
    let app = TestApp::spawn().await;

    let response = app.http.get(app.url("/api/v5/nothing")).send().await.unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/json");
}
