//! Bad input: every malformed request gets a clear 4xx, never a 5xx.

use crate::helpers::*;

#[tokio::test]
async fn malformed_token_requests_get_rfc_6749_errors() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(5000);
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec![], 400, "invalid_request"),
        (vec![("grant_type", "implicit")], 400, "unsupported_grant_type"),
        (vec![("grant_type", "authorization_code")], 400, "invalid_request"),
        (vec![("grant_type", "password"), ("username", "a@b.c")], 400, "invalid_request"),
        (vec![("grant_type", "refresh_token"), ("refresh_token", &long)], 400, "invalid_request"),
        (vec![("grant_type", "client_credentials"), ("client_secret", "s")], 400, "invalid_request"),
        (
            vec![("grant_type", "client_credentials"), ("client_id", "nope"), ("client_secret", "s")],
            401,
            "invalid_client",
        ),
    ];

    for (form, status, code) in cases {
        assert_oauth_error(app.token(&form).await, status, code).await;
    }
}

#[tokio::test]
async fn conflicting_duplicate_parameters_are_refused() {
    let app = TestApp::spawn().await;

    let response = app
        .http
        .post(app.url("/oauth/token?grant_type=password"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();

    assert_oauth_error(response, 400, "invalid_request").await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_an_oauth_error() {
    let app = TestApp::spawn().await;

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=password&junk={}", "a".repeat(100_000)))
        .send()
        .await
        .unwrap();

    assert_oauth_error(response, 400, "invalid_request").await;
}

#[tokio::test]
async fn malformed_json_and_unknown_content_types_are_refused() {
    let app = TestApp::spawn().await;

    let json = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let nested =
        app.http.post(app.url("/oauth/token")).json(&serde_json::json!({ "grant_type": ["a"] })).send().await.unwrap();
    let xml =
        app.http.post(app.url("/oauth/token")).header("content-type", "text/xml").body("<a/>").send().await.unwrap();

    assert_oauth_error(json, 400, "invalid_request").await;
    assert_oauth_error(nested, 400, "invalid_request").await;
    assert_oauth_error(xml, 400, "invalid_request").await;
}

#[tokio::test]
async fn the_token_endpoint_accepts_post_only() {
    let app = TestApp::spawn().await;

    let response = app.http.get(app.url("/oauth/token?grant_type=password")).send().await.unwrap();

    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn garbage_basic_credentials_are_invalid_client_with_a_challenge() {
    let app = TestApp::spawn().await;

    for header in ["Basic !!!", "Basic", "Basic bm9jb2xvbg=="] {
        let response = app
            .http
            .post(app.url("/oauth/token"))
            .header("authorization", header)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();

        assert!(response.headers().get("www-authenticate").is_some(), "{header}");
        assert_oauth_error(response, 401, "invalid_client").await;
    }
}

#[tokio::test]
async fn malformed_authorize_requests_get_a_page_not_a_5xx() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    for query in [
        "",
        "client_id=a&client_id=b",
        "client_id=%FF%FE",
        &format!("client_id={}", "x".repeat(5000)),
        "response_type=code",
    ] {
        let response = browser.get(format!("{}/oauth/authorize?{query}", app.base)).send().await.unwrap();

        assert_eq!(response.status(), 400, "{query}");
        assert!(response.headers().get("location").is_none(), "{query}");
    }
}

#[tokio::test]
async fn a_consent_post_with_no_session_or_bad_id_is_a_clear_4xx() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();

    let anonymous = browser.post(app.url("/oauth/authorize")).form(&[("consent_id", "x")]).send().await.unwrap();
    app.login_as(&browser, &ann).await;
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_value(&home, "csrf_token");
    let bad_id = browser
        .post(app.url("/oauth/authorize"))
        .form(&[("consent_id", "gcn_nope"), ("csrf_token", &csrf), ("decision", "authorize")])
        .send()
        .await
        .unwrap();

    assert_eq!(anonymous.status(), 403);
    assert_eq!(bad_id.status(), 400);
}

#[tokio::test]
async fn a_long_state_is_refused_without_echoing_it() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let state = "s".repeat(2000);

    let response = app
        .authorize(
            &app.browser(),
            &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("state", &state)],
        )
        .await;

    assert_eq!(response.status(), 302);
    let callback = location(&response);
    assert_eq!(query_value(&callback, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_value(&callback, "state"), None);
}

#[tokio::test]
async fn oversized_or_too_many_headers_are_refused_with_431() {
    let app = TestApp::spawn().await;

    let big = app.http.get(app.url("/healthz")).header("x-junk", "a".repeat(20_000)).send().await.unwrap();
    let mut many = app.http.get(app.url("/healthz"));
    for i in 0..70 {
        many = many.header(format!("x-h{i}"), "1");
    }
    let many = many.send().await.unwrap();

    assert_eq!(big.status(), 431);
    assert_eq!(many.status(), 431);
}

#[tokio::test]
async fn a_flood_of_scope_names_is_invalid_scope() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let flood = "user_info ".repeat(40);

    let response = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
            ("scope", &flood),
        ])
        .await;

    assert_oauth_error(response, 400, "invalid_scope").await;
}
