//! RFC 7009 revocation, RFC 7662 introspection, RFC 8414 metadata, health.

use crate::helpers::*;

#[tokio::test]
async fn revoking_an_access_token_closes_the_api_to_it() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let access = tokens["access_token"].as_str().unwrap();

    let response = app
        .http
        .post(app.url("/oauth/revoke"))
        .form(&[("token", access), ("client_id", client.id()), ("client_secret", client.secret())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_tokens_too() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;

    app.http
        .post(app.url("/oauth/revoke"))
        .basic_auth(client.id(), Some(client.secret()))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap()), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();

    assert_eq!(app.api_get("/api/v5/user", tokens["access_token"].as_str().unwrap()).await.status(), 401);
    let refresh = app
        .token(&[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())])
        .await;
    assert_oauth_error(refresh, 400, "invalid_grant").await;
}

#[tokio::test]
async fn revocation_of_an_unknown_token_succeeds_and_another_clients_token_is_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let other = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let revoke = |token: String, who: &TestClient| {
        app.http
            .post(app.url("/oauth/revoke"))
            .form(&[("token", token), ("client_id", who.id().to_owned()), ("client_secret", who.secret().to_owned())])
            .send()
    };

    let unknown = revoke("gat_unknown".into(), &client).await.unwrap();
    let foreign = revoke(tokens["access_token"].as_str().unwrap().to_owned(), &other).await.unwrap();

    assert_eq!(unknown.status(), 200);
    assert_oauth_error(foreign, 400, "unauthorized_client").await;
    assert_eq!(app.api_get("/api/v5/user", tokens["access_token"].as_str().unwrap()).await.status(), 200);
}

#[tokio::test]
async fn introspection_describes_active_tokens_to_authenticated_clients() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects").await;
    let resource_server = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info projects").await;
    let introspect = |token: &str| {
        app.http
            .post(app.url("/oauth/introspect"))
            .basic_auth(resource_server.id(), Some(resource_server.secret()))
            .form(&[("token", token.to_owned())])
            .send()
    };

    let active: serde_json::Value =
        introspect(tokens["access_token"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    let unknown: serde_json::Value = introspect("gat_nope").await.unwrap().json().await.unwrap();
    let anonymous = app.http.post(app.url("/oauth/introspect")).form(&[("token", "x")]).send().await.unwrap();

    assert_eq!(active["active"], true);
    assert_eq!(active["scope"], "user_info projects");
    assert_eq!(active["client_id"], client.id());
    assert_eq!(active["username"], "ann");
    assert_eq!(active["token_type"], "bearer");
    assert_eq!(active["exp"], T0 + 86_400);
    assert_eq!(unknown, serde_json::json!({ "active": false }));
    assert_oauth_error(anonymous, 401, "invalid_client").await;
}

#[tokio::test]
async fn metadata_lists_the_endpoints_grants_scopes_and_pkce_methods() {
    let app = TestApp::spawn().await;

    let metadata: serde_json::Value =
        app.http.get(app.url("/.well-known/oauth-authorization-server")).send().await.unwrap().json().await.unwrap();

    assert_eq!(metadata["issuer"], app.base);
    assert_eq!(metadata["token_endpoint"], app.url("/oauth/token"));
    assert_eq!(metadata["authorization_endpoint"], app.url("/oauth/authorize"));
    assert_eq!(metadata["code_challenge_methods_supported"], serde_json::json!(["S256", "plain"]));
    assert_eq!(metadata["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(metadata["scopes_supported"].as_array().unwrap().len(), 14);
    assert!(metadata["grant_types_supported"].as_array().unwrap().contains(&"password".into()));
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = TestApp::spawn().await;

    let response = app.http.get(app.url("/healthz")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}
