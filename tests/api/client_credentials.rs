//! `grant_type=client_credentials` (RFC 6749 §4.4).

use crate::helpers::*;

#[tokio::test]
async fn a_confidential_client_gets_a_token_without_refresh_token_over_basic_auth() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects").await;

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(client.id(), Some(client.secret()))
        .form(&[("grant_type", "client_credentials"), ("scope", "projects")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "projects");
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let profile = app.api_get("/api/v5/user", token).await;
    assert_eq!(profile.status(), 403, "a client token speaks for no user");
}

#[tokio::test]
async fn a_public_client_may_not_use_client_credentials() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client_with(&ann, "user_info", &[CALLBACK], true).await;

    let response = app.token(&[("grant_type", "client_credentials"), ("client_id", client.id())]).await;

    assert_oauth_error(response, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn client_credentials_without_credentials_is_invalid_client() {
    let app = TestApp::spawn().await;

    let response = app.token(&[("grant_type", "client_credentials")]).await;

    assert_oauth_error(response, 401, "invalid_client").await;
}

/// Group commit: requests arriving together share one transaction (one
/// fsync), and each is answered only with a token that was stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_token_requests_share_commits_and_every_token_is_stored() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "projects").await;
    let before = app.store.commits();

    let requests: Vec<_> = (0..64)
        .map(|_| {
            let request = app
                .http
                .post(app.url("/oauth/token"))
                .basic_auth(client.id(), Some(client.secret()))
                .form(&[("grant_type", "client_credentials")]);
            tokio::spawn(request.send())
        })
        .collect();
    let mut responses = Vec::new();
    for request in requests {
        responses.push(request.await.unwrap().unwrap());
    }

    let commits = app.store.commits() - before;
    for response in responses {
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        let token = gatehouse::domain::token::PlainSecret::from_presented(body["access_token"].as_str().unwrap());
        let stored = app.store.find_token(&token.hash()).await.unwrap().expect("answered tokens are stored");
        assert!(stored.is_active(0));
    }
    assert!(commits < 64, "64 concurrent token requests took {commits} commits");
}
