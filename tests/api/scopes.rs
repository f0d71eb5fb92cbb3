//! SPEC §1.7: the named scopes, their encodings, and the default scope.

use crate::helpers::*;

async fn grant(app: &TestApp, user: &TestUser, client: &TestClient, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "password"),
        ("username", user.email.as_str()),
        ("password", PASSWORD),
        ("client_id", client.id()),
        ("client_secret", client.secret()),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    app.token(&form).await
}

#[tokio::test]
async fn every_platform_scope_can_be_registered_and_granted() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let all = "user_info projects pull_requests issues notes keys hook groups gists enterprises emails";
    let client = app.register_client(&ann, all).await;

    let body: serde_json::Value = grant(&app, &ann, &client, Some(all)).await.json().await.unwrap();

    assert_eq!(body["scope"], all);
}

#[tokio::test]
async fn spaces_plus_signs_encoded_spaces_and_commas_all_separate_scopes() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects").await;

    for scope in ["projects user_info", "projects+user_info", "projects%20user_info", "projects,user_info"] {
        let body: serde_json::Value = grant(&app, &ann, &client, Some(scope)).await.json().await.unwrap();

        assert_eq!(body["scope"], "user_info projects", "{scope}");
    }
}

#[tokio::test]
async fn a_request_without_scope_gets_the_registered_set() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info notes emails").await;

    let body: serde_json::Value = grant(&app, &ann, &client, None).await.json().await.unwrap();

    assert_eq!(body["scope"], "user_info notes emails");
}

#[tokio::test]
async fn unknown_or_unregistered_scopes_are_invalid_scope() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    for scope in ["admin", "user_info projects"] {
        assert_oauth_error(grant(&app, &ann, &client, Some(scope)).await, 400, "invalid_scope").await;
    }
}
