//! SPEC §1.3 (one-day access tokens), §1.4 (refresh exactly as the seed
//! shows it) and §3 (rotation, reuse revokes the family).

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, RefreshToken, TokenResponse, TokenUrl};

use crate::helpers::*;

#[tokio::test]
async fn access_tokens_live_exactly_one_day() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tokens["expires_in"], 86_400);

    app.clock.advance(86_399);
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 200);
    app.clock.advance(1);
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401);
}

#[tokio::test]
async fn refresh_in_the_query_string_without_client_credentials_returns_a_new_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects").await;
    let tokens = app.password_grant(&ann, &client, "user_info projects").await;
    app.clock.advance(86_400);

    let response = app
        .http
        .post(format!(
            "{}/oauth/token?grant_type=refresh_token&refresh_token={}",
            app.base,
            tokens["refresh_token"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let fresh: serde_json::Value = response.json().await.unwrap();
    assert_ne!(fresh["access_token"], tokens["access_token"]);
    assert_eq!(fresh["expires_in"], 86_400);
    assert_eq!(fresh["scope"], "user_info projects");
    assert_eq!(app.api_get("/api/v5/user", fresh["access_token"].as_str().unwrap()).await.status(), 200);
}

#[tokio::test]
async fn refresh_with_the_oauth2_crate_and_client_credentials_works() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let registered = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &registered, "user_info").await;
    let client = BasicClient::new(ClientId::new(registered.id().to_owned()))
        .set_client_secret(ClientSecret::new(registered.secret().to_owned()))
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap());
    let http = reqwest::Client::builder().user_agent(USER_AGENT).build().unwrap();

    let fresh = client
        .exchange_refresh_token(&RefreshToken::new(tokens["refresh_token"].as_str().unwrap().to_owned()))
        .request_async(&http)
        .await
        .unwrap();

    assert_eq!(app.api_get("/api/v5/user", fresh.access_token().secret()).await.status(), 200);
    assert!(fresh.refresh_token().is_some());
}

#[tokio::test]
async fn refresh_with_wrong_client_credentials_is_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let other = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let wrong_secret = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", client.id()),
            ("client_secret", "gcs_wrong"),
        ])
        .await;
    let other_client = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", other.id()),
            ("client_secret", other.secret()),
        ])
        .await;

    assert_oauth_error(wrong_secret, 401, "invalid_client").await;
    assert_oauth_error(other_client, 400, "invalid_grant").await;
    let still_good = app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!(still_good.status(), 200, "refused attempts must not spend the token");
}

#[tokio::test]
async fn refresh_token_reuse_revokes_family() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let first = app.password_grant(&ann, &client, "user_info").await;
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let second: serde_json::Value =
        app.token(&[("grant_type", "refresh_token"), ("refresh_token", old_refresh)]).await.json().await.unwrap();
    let new_access = second["access_token"].as_str().unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(app.api_get("/api/v5/user", new_access).await.status(), 200);

    let reuse = app.token(&[("grant_type", "refresh_token"), ("refresh_token", old_refresh)]).await;

    assert_oauth_error(reuse, 400, "invalid_grant").await;
    assert_eq!(app.api_get("/api/v5/user", new_access).await.status(), 401);
    let successor = app
        .token(&[("grant_type", "refresh_token"), ("refresh_token", second["refresh_token"].as_str().unwrap())])
        .await;
    assert_oauth_error(successor, 400, "invalid_grant").await;
}

#[tokio::test]
async fn refresh_may_narrow_but_not_widen_the_scope() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects emails").await;
    let tokens = app.password_grant(&ann, &client, "user_info projects").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let wider =
        app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", "user_info emails")]).await;
    let narrower =
        app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", "projects")]).await;

    assert_oauth_error(wider, 400, "invalid_scope").await;
    let body: serde_json::Value = narrower.json().await.unwrap();
    assert_eq!(body["scope"], "projects");
    let next = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
            ("scope", "user_info projects"),
        ])
        .await;
    assert_eq!(next.status(), 200, "the new refresh token keeps the original scope (RFC 6749 §6)");
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_grant() {
    let app = TestApp::spawn().await;

    let response = app.token(&[("grant_type", "refresh_token"), ("refresh_token", "grt_nope")]).await;

    assert_oauth_error(response, 400, "invalid_grant").await;
}

/// Group commit puts requests that arrive together in one transaction: a
/// refresh token presented by many requests at once still rotates exactly
/// once (the others find it spent and revoke the family).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_presented_by_many_requests_at_once_rotates_exactly_once() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
        ("client_id", client.id()),
        ("client_secret", client.secret()),
    ];
    let statuses = app.token_statuses_at_once(&form, 16).await;
    assert_eq!(statuses, [[200].as_slice(), &[400; 15]].concat(), "exactly one rotation wins");
}
