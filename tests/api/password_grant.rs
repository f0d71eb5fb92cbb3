//! SPEC §1.6: the password ("cipher") grant with `username` = email.

use crate::helpers::*;

#[tokio::test]
async fn the_seeds_curl_request_returns_a_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects pull_requests issues notes").await;

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&username={}&password={}&client_id={}&client_secret={}&scope=projects%20user_info%20issues%20notes",
            "ann%40example.com",
            "correct%20horse%20battery",
            client.id(),
            client.secret()
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "user_info projects issues notes");
    assert_eq!(body["token_type"], "bearer");
    assert!(body["refresh_token"].is_string());
    let user: serde_json::Value =
        app.api_get("/api/v5/user", body["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(user["login"], "ann");
}

#[tokio::test]
async fn the_email_is_matched_without_regard_to_case() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let response = app
        .token(&[
            ("grant_type", "password"),
            ("username", "ANN@Example.com"),
            ("password", PASSWORD),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ])
        .await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let attempt = |username: &'static str, password: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            let response = app
                .token(&[
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", password),
                    ("client_id", client.id()),
                    ("client_secret", client.secret()),
                ])
                .await;
            (response.status(), response.text().await.unwrap())
        }
    };

    let wrong_password = attempt("ann@example.com", "wrong password").await;
    let unknown_email = attempt("nobody@example.com", PASSWORD).await;

    assert_eq!(wrong_password.0, 400);
    assert_eq!(wrong_password, unknown_email);
    assert!(wrong_password.1.contains("invalid_grant"));
}

#[tokio::test]
async fn the_password_grant_needs_the_client_secret() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let response = app
        .token(&[
            ("grant_type", "password"),
            ("username", &ann.email),
            ("password", PASSWORD),
            ("client_id", client.id()),
        ])
        .await;

    assert_oauth_error(response, 401, "invalid_client").await;
}

#[tokio::test]
async fn an_operator_can_switch_the_password_grant_off() {
    let app = TestApp::spawn_with(|s| s.policy.password_grant = false).await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let response = app
        .token(&[
            ("grant_type", "password"),
            ("username", &ann.email),
            ("password", PASSWORD),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ])
        .await;

    assert_oauth_error(response, 400, "unsupported_grant_type").await;
}
