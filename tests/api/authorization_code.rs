//! SPEC §1.1 (authorization code mode), §2 (authorize errors) and §3 (codes).

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};

use crate::helpers::*;

fn oauth2_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).user_agent(USER_AGENT).build().unwrap()
}

#[tokio::test]
async fn code_flow_with_the_oauth2_crate_redirects_with_code_and_state_and_exchanges_for_a_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let dev = app.create_user("dev").await;
    let registered = app.register_client(&dev, "user_info projects").await;
    let client = BasicClient::new(ClientId::new(registered.id().to_owned()))
        .set_client_secret(ClientSecret::new(registered.secret().to_owned()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap());
    let (auth_url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("user_info".into()))
        .add_scope(Scope::new("projects".into()))
        .url();
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let consent = browser.get(auth_url).send().await.unwrap();
    assert_eq!(consent.status(), 200);
    let approved = app.decide(&browser, &consent.text().await.unwrap(), "authorize").await;
    let callback = location(&approved);
    assert!(callback.as_str().starts_with(CALLBACK), "{callback}");
    assert_eq!(query_value(&callback, "state").as_deref(), Some(csrf.secret().as_str()));
    let code = query_value(&callback, "code").unwrap();
    let token = client.exchange_code(AuthorizationCode::new(code)).request_async(&oauth2_http()).await.unwrap();

    assert!(token.access_token().secret().starts_with("gat_"));
    assert_eq!(token.expires_in().unwrap().as_secs(), 86_400);
    assert!(token.refresh_token().is_some());
    let scopes: Vec<String> = token.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["user_info", "projects"]);
    let profile = app.api_get("/api/v5/user", token.access_token().secret()).await;
    assert_eq!(profile.status(), 200);
}

#[tokio::test]
async fn token_request_parameters_are_accepted_in_the_query_string_as_the_seed_shows() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &client, "user_info").await;

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .query(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client.id()),
            ("redirect_uri", CALLBACK),
            ("client_secret", client.secret()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(body["scope"], "user_info");
    assert_eq!(body["created_at"], T0);
    assert!(body["refresh_token"].as_str().unwrap().starts_with("grt_"));
}

#[tokio::test]
async fn token_request_is_accepted_as_a_json_body() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &client, "user_info").await;

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .json(&serde_json::json!({
            "grant_type": "authorization_code", "code": code, "client_id": client.id(),
            "redirect_uri": CALLBACK, "client_secret": client.secret(),
        }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn signed_out_user_is_sent_to_login_and_comes_back_to_the_same_request() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let browser = app.browser();
    let params = [("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("state", "xyz")];

    let response = app.authorize(&browser, &params).await;

    assert_eq!(response.status(), 302);
    let login = location(&response);
    assert_eq!(login.path(), "/login");
    let return_to = query_value(&login, "return_to").unwrap();
    assert!(return_to.starts_with("/oauth/authorize?"), "{return_to}");
    let page = browser.get(login.as_str()).send().await.unwrap().text().await.unwrap();
    let signed_in = browser
        .post(app.url("/login"))
        .form(&[
            ("email", ann.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &hidden_value(&page, "csrf_token")),
            ("return_to", &hidden_value(&page, "return_to")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], return_to.as_str());
    let consent = browser.get(app.url(&return_to)).send().await.unwrap();
    assert_eq!(consent.status(), 200);
    assert!(consent.text().await.unwrap().contains("Authorize"));
}

#[tokio::test]
async fn unknown_client_gets_an_error_page_and_never_a_redirect() {
    let app = TestApp::spawn().await;

    let response = app
        .authorize(&app.browser(), &[("client_id", "nope"), ("redirect_uri", CALLBACK), ("response_type", "code")])
        .await;

    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("No application has this client_id"));
}

#[tokio::test]
async fn open_redirect_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    for evil in [
        "https://evil.example/callback",
        "https://client.example.com/callback/",
        "https://client.example.com/callback?x=1",
    ] {
        let response = app
            .authorize(&app.browser(), &[("client_id", client.id()), ("redirect_uri", evil), ("response_type", "code")])
            .await;

        assert_eq!(response.status(), 400, "{evil}");
        assert!(response.headers().get("location").is_none(), "{evil}");
    }
}

#[tokio::test]
async fn implicit_response_type_is_redirected_as_unsupported_with_state() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let response = app
        .authorize(
            &app.browser(),
            &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "token"), ("state", "s1")],
        )
        .await;

    assert_eq!(response.status(), 302);
    let callback = location(&response);
    assert!(callback.as_str().starts_with(CALLBACK));
    assert_eq!(query_value(&callback, "error").as_deref(), Some("unsupported_response_type"));
    assert_eq!(query_value(&callback, "state").as_deref(), Some("s1"));
}

#[tokio::test]
async fn a_scope_the_application_did_not_register_is_redirected_as_invalid_scope() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    for scope in ["user_info projects", "admin"] {
        let response = app
            .authorize(
                &app.browser(),
                &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("scope", scope)],
            )
            .await;

        assert_eq!(response.status(), 302, "{scope}");
        assert_eq!(query_value(&location(&response), "error").as_deref(), Some("invalid_scope"));
    }
}

#[tokio::test]
async fn denying_redirects_with_access_denied_and_state() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let page = app
        .authorize(
            &browser,
            &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("state", "abc")],
        )
        .await
        .text()
        .await
        .unwrap();

    let response = app.decide(&browser, &page, "deny").await;

    assert_eq!(response.status(), 303);
    let callback = location(&response);
    assert_eq!(query_value(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_value(&callback, "state").as_deref(), Some("abc"));
    assert_eq!(query_value(&callback, "code"), None);
}

#[tokio::test]
async fn replayed_code_revokes_tokens() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &client, "user_info").await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", client.id()),
        ("client_secret", client.secret()),
        ("redirect_uri", CALLBACK),
    ];
    let first: serde_json::Value = app.token(&exchange).await.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 200);

    let replay = app.token(&exchange).await;

    assert_oauth_error(replay, 400, "invalid_grant").await;
    assert_eq!(app.api_get("/api/v5/user", access).await.status(), 401);
    let refresh = app
        .token(&[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().unwrap())])
        .await;
    assert_oauth_error(refresh, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &client, "user_info").await;

    app.clock.advance(600);
    let response = app.exchange_code(&client, &code, Some(CALLBACK), &[]).await;

    assert_oauth_error(response, 400, "invalid_grant").await;
}

#[tokio::test]
async fn code_injection_at_another_client_or_callback_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client =
        app.register_client_with(&ann, "user_info", &[CALLBACK, "https://client.example.com/other"], false).await;
    let other = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &client, "user_info").await;

    let wrong_client = app.exchange_code(&other, &code, Some(CALLBACK), &[]).await;
    let wrong_callback = app.exchange_code(&client, &code, Some("https://client.example.com/other"), &[]).await;
    let no_callback = app.exchange_code(&client, &code, None, &[]).await;

    assert_oauth_error(wrong_client, 400, "invalid_grant").await;
    assert_oauth_error(wrong_callback, 400, "invalid_grant").await;
    assert_oauth_error(no_callback, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client_and_basic_gets_a_challenge() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let registered = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &registered, "user_info").await;
    let client = BasicClient::new(ClientId::new(registered.id().to_owned()))
        .set_client_secret(ClientSecret::new("gcs_wrong".into()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap());

    let error =
        client.exchange_code(AuthorizationCode::new(code.clone())).request_async(&oauth2_http()).await.unwrap_err();

    match error {
        RequestTokenError::ServerResponse(body) => assert_eq!(*body.error(), BasicErrorResponseType::InvalidClient),
        other => panic!("{other:?}"),
    }
    let basic = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(registered.id(), Some("gcs_wrong"))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK)])
        .send()
        .await
        .unwrap();
    assert!(basic.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_oauth_error(basic, 401, "invalid_client").await;
}

#[tokio::test]
async fn the_consent_page_names_the_application_owner_and_every_scope() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let dev = app.create_user("dev").await;
    let client = app.register_client(&dev, "user_info projects emails").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let response = app
        .authorize(&browser, &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code")])
        .await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let page = response.text().await.unwrap();
    for expected in [
        "Test App",
        "https://client.example.com",
        "dev",
        "Authorize",
        "Deny",
        "user_info",
        "projects",
        "emails",
        "Read your email addresses",
    ] {
        assert!(page.contains(expected), "missing {expected}");
    }
}

#[tokio::test]
async fn consent_without_csrf_token_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let page = app
        .authorize(&browser, &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code")])
        .await
        .text()
        .await
        .unwrap();

    let forged = browser
        .post(app.url("/oauth/authorize"))
        .form(&[
            ("consent_id", hidden_value(&page, "consent_id").as_str()),
            ("decision", "authorize"),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(forged.status(), 403);
    assert!(forged.headers().get("location").is_none());
    let genuine = app.decide(&browser, &page, "authorize").await;
    assert_eq!(genuine.status(), 303, "the forged post must not have spent the request");
}

#[tokio::test]
async fn a_loopback_callback_registered_without_a_port_accepts_any_port() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client_with(&ann, "user_info", &["http://127.0.0.1/cb"], false).await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let callback = app
        .authorize_and_approve(
            &browser,
            &[("client_id", client.id()), ("redirect_uri", "http://127.0.0.1:49152/cb"), ("response_type", "code")],
        )
        .await;

    assert!(callback.as_str().starts_with("http://127.0.0.1:49152/cb?code="));
}

/// A code presented by many requests at once (one group-commit batch, most
/// likely) is redeemed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_presented_by_many_requests_at_once_is_redeemed_exactly_once() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &client, "user_info").await;

    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", client.id()),
        ("client_secret", client.secret()),
        ("redirect_uri", CALLBACK),
    ];
    let statuses = app.token_statuses_at_once(&form, 16).await;
    assert_eq!(statuses, [[200].as_slice(), &[400; 15]].concat(), "exactly one redemption wins");
}
