//! SPEC §5 "Sign-out" (OpenID Connect RP-Initiated Logout 1.0):
//! `/oauth/logout` signs out at once with a hint naming the signed-in user,
//! asks otherwise, and sends the browser back only to a sign-out URL the
//! application registered exactly.

use gatehouse::apps::{self, ApplicationForm};

use crate::helpers::*;

const SIGN_OUT_URL: &str = "https://client.example.com/signed-out";

/// An application with `openid` and one registered sign-out URL.
async fn register(app: &TestApp, owner: &TestUser) -> TestClient {
    register_with_alg(app, owner, "RS256").await
}

async fn register_with_alg(app: &TestApp, owner: &TestUser, alg: &str) -> TestClient {
    let form = ApplicationForm {
        name: "Sign-out App".into(),
        redirect_uris: vec![CALLBACK.into()],
        scopes: "openid user_info".into(),
        id_token_alg: alg.into(),
        post_logout_redirect_uris: vec![SIGN_OUT_URL.into()],
        ..ApplicationForm::default()
    };
    let registered = apps::register(&*app.store, owner.user.id, &form, false, T0).await.unwrap();
    TestClient { client: registered.client, secret: registered.secret.map(|s| s.expose().to_owned()) }
}

/// Ann, her application, a browser signed in as her, and an ID token of hers.
async fn signed_in(app: &TestApp) -> (TestUser, TestClient, reqwest::Client, String) {
    let ann = app.create_user("ann").await;
    let client = register(app, &ann).await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let id_token = app.password_grant(&ann, &client, "openid").await["id_token"].as_str().unwrap().to_owned();
    (ann, client, browser, id_token)
}

/// `token` with its header's `kid` changed (the signature no longer matters:
/// no key has that id).
fn with_kid(token: &str, kid: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (header, rest) = token.split_once('.').unwrap();
    let mut header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"] = kid.into();
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

async fn logout(app: &TestApp, browser: &reqwest::Client, params: &[(&str, &str)]) -> reqwest::Response {
    browser.get(app.url("/oauth/logout")).query(params).send().await.unwrap()
}

/// Whether the browser's session still opens a signed-in page.
async fn still_signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    let page = browser.get(app.url("/settings/applications")).send().await.unwrap();
    page.status() == 200
}

#[tokio::test]
async fn a_hint_naming_the_signed_in_user_signs_out_at_once_and_returns_with_the_state() {
    let app = TestApp::spawn().await;
    let (_, _, browser, id_token) = signed_in(&app).await;
    assert!(still_signed_in(&app, &browser).await);

    let response = logout(
        &app,
        &browser,
        &[("id_token_hint", &id_token), ("post_logout_redirect_uri", SIGN_OUT_URL), ("state", "s 1")],
    )
    .await;

    assert_eq!(response.status(), 302);
    assert_eq!(location(&response).as_str(), format!("{SIGN_OUT_URL}?state=s+1"));
    assert!(!still_signed_in(&app, &browser).await, "the session ended");
}

#[tokio::test]
async fn without_a_hint_a_page_asks_and_its_sign_out_button_signs_out() {
    let app = TestApp::spawn().await;
    let (_, client, browser, _) = signed_in(&app).await;

    let asked = logout(
        &app,
        &browser,
        &[("client_id", client.id()), ("post_logout_redirect_uri", SIGN_OUT_URL), ("state", "xyz")],
    )
    .await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    assert!(page.contains("Sign-out App"), "the page names the application");
    assert!(page.contains(">Sign out</button>"), "{page}");
    assert!(still_signed_in(&app, &browser).await, "asking signs nobody out");

    let form = [
        ("csrf_token", hidden_value(&page, "csrf_token")),
        ("confirm", hidden_value(&page, "confirm")),
        ("client_id", hidden_value(&page, "client_id")),
        ("post_logout_redirect_uri", hidden_value(&page, "post_logout_redirect_uri")),
        ("state", hidden_value(&page, "state")),
    ];
    let answered = browser.post(app.url("/oauth/logout")).form(&form).send().await.unwrap();

    assert_eq!(answered.status(), 303);
    assert_eq!(location(&answered).as_str(), format!("{SIGN_OUT_URL}?state=xyz"));
    assert!(!still_signed_in(&app, &browser).await);
}

#[tokio::test]
async fn the_sign_out_button_needs_the_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let (_, _, browser, _) = signed_in(&app).await;

    let forged = browser
        .post(app.url("/oauth/logout"))
        .form(&[("confirm", "1"), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();

    assert_eq!(forged.status(), 403);
    assert!(still_signed_in(&app, &browser).await);
}

#[tokio::test]
async fn a_url_not_registered_exactly_is_never_followed() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann).await;
    for uri in ["https://evil.example/signed-out", "https://client.example.com/signed-out/", CALLBACK] {
        let browser = app.browser();
        app.login_as(&browser, &ann).await;
        let id_token = app.password_grant(&ann, &client, "openid").await["id_token"].as_str().unwrap().to_owned();

        let response =
            logout(&app, &browser, &[("id_token_hint", &id_token), ("post_logout_redirect_uri", uri), ("state", "s")])
                .await;

        assert_eq!(response.status(), 200, "{uri}");
        assert!(response.headers().get("location").is_none(), "{uri}");
        assert!(response.text().await.unwrap().contains("You have signed out."), "{uri}");
        assert!(!still_signed_in(&app, &browser).await, "{uri}: signed out all the same");
    }
}

#[tokio::test]
async fn without_an_application_the_browser_sees_the_signed_out_page() {
    let app = TestApp::spawn().await;
    let (_, _, browser, _) = signed_in(&app).await;

    // Nobody names the application, so its URL cannot be checked.
    let asked = logout(&app, &browser, &[("post_logout_redirect_uri", SIGN_OUT_URL)]).await;
    let page = asked.text().await.unwrap();
    let form = [("csrf_token", hidden_value(&page, "csrf_token")), ("confirm", "1".into())];
    let answered = browser.post(app.url("/oauth/logout")).form(&form).send().await.unwrap();

    assert_eq!(answered.status(), 200);
    assert!(answered.text().await.unwrap().contains("You have signed out."));
    assert!(!still_signed_in(&app, &browser).await);
}

#[tokio::test]
async fn a_hint_for_another_user_asks_first() {
    let app = TestApp::spawn().await;
    let (_, client, browser, _) = signed_in(&app).await;
    let bob = app.create_user("bob").await;
    let bobs_token = app.password_grant(&bob, &client, "openid").await["id_token"].as_str().unwrap().to_owned();

    let response = logout(&app, &browser, &[("id_token_hint", &bobs_token)]).await;

    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains(">Sign out</button>"));
    assert!(still_signed_in(&app, &browser).await);
}

#[tokio::test]
async fn an_expired_hint_still_names_the_user() {
    let app = TestApp::spawn().await;
    let (_, _, browser, id_token) = signed_in(&app).await;
    app.clock.advance(2 * 3600);

    let response = logout(&app, &browser, &[("id_token_hint", &id_token)]).await;

    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("You have signed out."));
    assert!(!still_signed_in(&app, &browser).await);
}

#[tokio::test]
async fn a_relying_party_may_post_the_request() {
    let app = TestApp::spawn().await;
    let (_, _, browser, id_token) = signed_in(&app).await;

    let response = browser
        .post(app.url("/oauth/logout"))
        .form(&[("id_token_hint", id_token.as_str()), ("post_logout_redirect_uri", SIGN_OUT_URL)])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    assert_eq!(location(&response).as_str(), SIGN_OUT_URL);
    assert!(!still_signed_in(&app, &browser).await);
}

#[tokio::test]
async fn forged_hints_and_mismatched_or_unknown_clients_are_refused_with_a_page() {
    let app = TestApp::spawn().await;
    let (ann, _, browser, id_token) = signed_in(&app).await;
    let other = app.register_client(&ann, "openid").await;
    let mut forged = id_token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    let unknown_kid = with_kid(&id_token, "no-such-key");

    let cases: [(&str, Vec<(&str, &str)>); 5] = [
        ("a forged signature", vec![("id_token_hint", &forged)]),
        ("a header naming no key of ours", vec![("id_token_hint", &unknown_kid)]),
        ("not a JWT", vec![("id_token_hint", "not-a-jwt")]),
        ("another application's client_id", vec![("id_token_hint", &id_token), ("client_id", other.id())]),
        ("an unknown client_id", vec![("client_id", "no-such-client")]),
    ];
    for (name, params) in cases {
        let response = logout(&app, &browser, &params).await;
        assert_eq!(response.status(), 400, "{name}");
        assert!(response.headers().get("location").is_none(), "{name}");
    }
    assert!(still_signed_in(&app, &browser).await, "nothing signed anyone out");
}

#[tokio::test]
async fn discovery_names_the_end_session_endpoint() {
    let app = TestApp::spawn().await;

    let metadata: serde_json::Value =
        app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();

    assert_eq!(metadata["end_session_endpoint"], format!("{}/oauth/logout", app.base));
}

#[tokio::test]
async fn hints_of_every_algorithm_and_of_a_rotated_key_are_read() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let mut hints = Vec::new();
    for alg in ["RS256", "ES256", "EdDSA"] {
        let client = register_with_alg(&app, &ann, alg).await;
        hints.push((alg, app.password_grant(&ann, &client, "openid").await["id_token"].as_str().unwrap().to_owned()));
    }
    // Signed before a rotation: the retired key is still published.
    app.state.keys.rotate(T0).await.unwrap();

    for (alg, hint) in hints {
        let browser = app.browser();
        app.login_as(&browser, &ann).await;
        let response =
            logout(&app, &browser, &[("id_token_hint", &hint), ("post_logout_redirect_uri", SIGN_OUT_URL)]).await;
        assert_eq!(response.status(), 302, "{alg}");
        assert!(!still_signed_in(&app, &browser).await, "{alg}");
    }
}
