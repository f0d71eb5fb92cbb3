//! SPEC §1.5: a token request without `User-Agent` is answered 403 with a JSON reason.

use crate::helpers::*;

fn no_user_agent_client() -> reqwest::Client {
    // reqwest sends no User-Agent unless one is configured.
    reqwest::Client::builder().build().unwrap()
}

#[tokio::test]
async fn a_token_request_without_user_agent_is_forbidden_with_a_reason() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let response = no_user_agent_client()
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", &ann.email),
            ("password", PASSWORD),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error_description"].as_str().unwrap().contains("User-Agent"), "{body}");
}

#[tokio::test]
async fn an_operator_can_turn_the_user_agent_rule_off() {
    let app = TestApp::spawn_with(|s| s.require_user_agent = false).await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let response = no_user_agent_client()
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", &ann.email),
            ("password", PASSWORD),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}
