//! The OpenID Connect parameters of the authorization request (SPEC §5,
//! OIDC Core §3.1.2.1 and §3.1.2.6): `prompt`, `max_age`, `login_hint`,
//! and `request` / `request_uri` refused with their error codes.

use crate::helpers::*;

/// An application with `openid`, and a browser signed in as its owner that
/// has approved `openid` once (so consent is remembered).
async fn remembered(app: &TestApp) -> (TestUser, TestClient, reqwest::Client) {
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let callback = app.authorize_and_approve(&browser, &params(&client, &[])).await;
    assert!(query_value(&callback, "code").is_some());
    (ann, client, browser)
}

fn params<'a>(client: &'a TestClient, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("client_id", client.id()),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "xyz"),
    ];
    params.extend_from_slice(extra);
    params
}

/// The error a response redirected to the callback with (and its `state`).
fn redirected_error(response: &reqwest::Response) -> (String, Option<String>) {
    assert_eq!(response.status(), 302, "expected a redirect to the callback");
    let url = location(response);
    assert!(url.as_str().starts_with(CALLBACK), "redirected to {url}");
    (query_value(&url, "error").unwrap_or_default(), query_value(&url, "state"))
}

#[tokio::test]
async fn request_objects_and_request_uris_are_refused_with_their_own_errors() {
    let app = TestApp::spawn().await;
    let (_, client, browser) = remembered(&app).await;

    let by_value = app.authorize(&browser, &params(&client, &[("request", "eyJhbGciOiJub25lIn0.e30.")])).await;
    let by_reference = app.authorize(&browser, &params(&client, &[("request_uri", "https://rp.example/r")])).await;

    assert_eq!(redirected_error(&by_value), ("request_not_supported".into(), Some("xyz".into())));
    assert_eq!(redirected_error(&by_reference), ("request_uri_not_supported".into(), Some("xyz".into())));
}

#[tokio::test]
async fn prompt_none_answers_without_a_page_login_or_consent_required() {
    let app = TestApp::spawn().await;
    let (_, client, browser) = remembered(&app).await;

    // Remembered consent and a session: a code, no page.
    let silent = app.authorize(&browser, &params(&client, &[("prompt", "none")])).await;
    assert_eq!(silent.status(), 302);
    assert!(query_value(&location(&silent), "code").is_some());

    // A scope set never approved: consent_required instead of the page.
    let wider = [("prompt", "none"), ("scope", "openid user_info")];
    let mut asking = params(&client, &[]);
    asking.retain(|(name, _)| *name != "scope");
    asking.extend_from_slice(&wider);
    let needs_consent = app.authorize(&browser, &asking).await;
    assert_eq!(redirected_error(&needs_consent).0, "consent_required");

    // No session: login_required instead of the sign-in page.
    let signed_out = app.authorize(&app.browser(), &params(&client, &[("prompt", "none")])).await;
    assert_eq!(redirected_error(&signed_out), ("login_required".into(), Some("xyz".into())));
}

#[tokio::test]
async fn prompt_consent_asks_again_although_the_scopes_were_approved() {
    let app = TestApp::spawn().await;
    let (_, client, browser) = remembered(&app).await;

    let again = app.authorize(&browser, &params(&client, &[("prompt", "consent")])).await;

    assert_eq!(again.status(), 200, "the consent page, not a code");
    assert!(again.text().await.unwrap().contains("consent_id"));
}

#[tokio::test]
async fn bad_prompt_or_max_age_values_are_invalid_request() {
    let app = TestApp::spawn().await;
    let (_, client, browser) = remembered(&app).await;

    for extra in [("prompt", "none login"), ("prompt", "select_account"), ("max_age", "-1"), ("max_age", "soon")] {
        let response = app.authorize(&browser, &params(&client, &[extra])).await;
        assert_eq!(redirected_error(&response).0, "invalid_request", "{extra:?}");
    }
}

#[tokio::test]
async fn prompt_login_signs_in_again_and_comes_back_without_asking_forever() {
    let app = TestApp::spawn().await;
    let (ann, client, browser) = remembered(&app).await;

    let response = app.authorize(&browser, &params(&client, &[("prompt", "login consent")])).await;
    assert_eq!(response.status(), 302);
    let login = location(&response);
    assert_eq!(login.path(), "/login");
    let return_to = query_value(&login, "return_to").unwrap();
    assert!(return_to.contains("prompt=consent") && !return_to.contains("login"), "{return_to}");

    // The sign-in page shows its form although a session exists.
    let page = browser.get(login.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("name=\"password\""));

    // Signed in anew, the way back reaches the consent page (prompt=consent kept).
    app.clock.advance(5);
    let form = [
        ("email", ann.email.as_str()),
        ("password", ann.password.as_str()),
        // The sign-in form's own token (the header's sign-out form has the session's).
        ("csrf_token", &hidden_value(page.split("action=\"/login\"").nth(1).unwrap(), "csrf_token")),
        ("return_to", &return_to),
    ];
    let signed_in = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(location(&signed_in).as_str(), app.url(&return_to), "back to the request");
    let back = browser.get(app.url(&return_to)).send().await.unwrap();
    assert_eq!(back.status(), 200, "the consent page");
}

#[tokio::test]
async fn max_age_sends_a_user_who_signed_in_too_long_ago_to_sign_in_again() {
    let app = TestApp::spawn().await;
    let (_, client, browser) = remembered(&app).await;
    app.clock.advance(120);

    let fresh_enough = app.authorize(&browser, &params(&client, &[("max_age", "600")])).await;
    let too_old = app.authorize(&browser, &params(&client, &[("max_age", "60")])).await;

    assert!(query_value(&location(&fresh_enough), "code").is_some(), "signed in 120 s ago, max_age 600");
    let login = location(&too_old);
    assert_eq!(login.path(), "/login");
    assert_eq!(query_value(&login, "reauth").as_deref(), Some("1"));
}

#[tokio::test]
async fn login_hint_fills_in_the_email_on_the_sign_in_page() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid").await;
    let browser = app.browser();

    let response = app.authorize(&browser, &params(&client, &[("login_hint", "ann@example.com")])).await;
    let login = location(&response);
    let page = browser.get(login.as_str()).send().await.unwrap().text().await.unwrap();

    assert!(page.contains("value=\"ann@example.com\""), "the email field is filled in");
}
