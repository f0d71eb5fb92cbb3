//! SPEC §1.2: the consent page is skipped for the same scope set, in any
//! order or encoding, and shown for any other.

use crate::helpers::*;

async fn approve_once(app: &TestApp, browser: &reqwest::Client, client: &TestClient, scope: &str) {
    let callback = app
        .authorize_and_approve(
            browser,
            &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("scope", scope)],
        )
        .await;
    assert!(query_value(&callback, "code").is_some());
}

#[tokio::test]
async fn the_same_scope_set_in_another_order_or_encoding_skips_consent() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects pull_requests").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    approve_once(&app, &browser, &client, "user_info projects pull_requests").await;

    for scope in
        ["pull_requests user_info projects", "user_info,projects,pull_requests", "projects+pull_requests+user_info"]
    {
        let response = app
            .authorize(
                &browser,
                &[
                    ("client_id", client.id()),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                    ("scope", scope),
                    ("state", "again"),
                ],
            )
            .await;

        assert_eq!(response.status(), 302, "{scope}");
        let callback = location(&response);
        assert!(callback.as_str().starts_with(CALLBACK));
        assert!(query_value(&callback, "code").is_some());
        assert_eq!(query_value(&callback, "state").as_deref(), Some("again"));
    }
    // The seed's literal URL form: scope=user_info%20projects%20pull_requests
    let seed_url = format!(
        "{}/oauth/authorize?client_id={}&redirect_uri={}&response_type=code&scope=user_info%20projects%20pull_requests",
        app.base,
        client.id(),
        CALLBACK
    );
    assert_eq!(browser.get(seed_url).send().await.unwrap().status(), 302);
}

#[tokio::test]
async fn a_different_scope_set_shows_the_consent_page_again() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects pull_requests").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    approve_once(&app, &browser, &client, "user_info projects").await;

    for scope in ["user_info", "user_info projects pull_requests"] {
        let response = app
            .authorize(
                &browser,
                &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("scope", scope)],
            )
            .await;

        assert_eq!(response.status(), 200, "{scope}");
        assert!(response.text().await.unwrap().contains("Authorize"));
    }
}

#[tokio::test]
async fn without_a_scope_parameter_the_consent_page_is_shown() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    approve_once(&app, &browser, &client, "user_info").await;

    let response = app
        .authorize(&browser, &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code")])
        .await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn consent_is_remembered_per_user() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let client = app.register_client(&ann, "user_info").await;
    let ann_browser = app.browser();
    app.login_as(&ann_browser, &ann).await;
    approve_once(&app, &ann_browser, &client, "user_info").await;
    let bob_browser = app.browser();
    app.login_as(&bob_browser, &bob).await;

    let response = app
        .authorize(
            &bob_browser,
            &[
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("scope", "user_info"),
            ],
        )
        .await;

    assert_eq!(response.status(), 200);
}
