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

/// `params` with `scope` replaced by `scope`.
fn scoped<'a>(client: &'a TestClient, scope: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = params(client, extra);
    params.retain(|(name, _)| *name != "scope");
    params.push(("scope", scope));
    params
}

// SPEC §5: "The consent-skip rule of §1.2 counts them too": only the very
// set approved, OpenID Connect scopes included, is answered without asking.
#[tokio::test]
async fn prompt_none_gets_a_code_only_for_exactly_the_approved_set_oidc_scopes_included() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid profile user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let approved = app.authorize_and_approve(&browser, &scoped(&client, "openid user_info", &[])).await;
    assert!(query_value(&approved, "code").is_some());

    for other in ["openid profile user_info", "user_info", "openid", "profile user_info"] {
        let asked = app.authorize(&browser, &scoped(&client, other, &[("prompt", "none")])).await;
        assert_eq!(redirected_error(&asked), ("consent_required".into(), Some("xyz".into())), "{other}");
    }
    let same = app.authorize(&browser, &scoped(&client, "user_info openid", &[("prompt", "none")])).await;
    assert!(query_value(&location(&same), "code").is_some(), "the approved set, in another order");
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
    sign_in_on_the_page(&app, &browser, &ann, &page, &return_to).await;
    let back = browser.get(app.url(&return_to)).send().await.unwrap();
    assert_eq!(back.status(), 200, "the consent page");
}

/// Signs `user` in with the form of the sign-in `page`, which must send the
/// browser back to `return_to`.
async fn sign_in_on_the_page(app: &TestApp, browser: &reqwest::Client, user: &TestUser, page: &str, return_to: &str) {
    let form = [
        ("email", user.email.as_str()),
        ("password", user.password.as_str()),
        // The sign-in form's own token (the header's sign-out form has the session's).
        ("csrf_token", &hidden_value(page.split("action=\"/login\"").nth(1).unwrap(), "csrf_token")),
        ("return_to", return_to),
    ];
    let signed_in = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(location(&signed_in).as_str(), app.url(return_to), "back to the request");
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

// OIDC Core §3.1.2.1 `max_age`: the user who was sent to sign in again is
// not sent again on the way back, however slow the redirect (`max_age=0`
// would otherwise ask forever), and the ID token says when they signed in.
#[tokio::test]
async fn max_age_zero_signs_in_once_and_the_id_tokens_auth_time_is_that_sign_in() {
    let app = TestApp::spawn().await;
    let (ann, client, browser) = remembered(&app).await;
    app.clock.advance(120);

    let login = location(&app.authorize(&browser, &params(&client, &[("max_age", "0")])).await);
    assert_eq!(login.path(), "/login");
    let return_to = query_value(&login, "return_to").unwrap();
    let page = browser.get(login.as_str()).send().await.unwrap().text().await.unwrap();
    sign_in_on_the_page(&app, &browser, &ann, &page, &return_to).await;
    app.clock.advance(2);
    let back = browser.get(app.url(&return_to)).send().await.unwrap();

    assert_eq!(back.status(), 302);
    let code = query_value(&location(&back), "code").expect("a code, not the sign-in page again");
    let exchanged = app.exchange_code(&client, &code, Some(CALLBACK), &[]).await;
    let body: serde_json::Value = exchanged.json().await.unwrap();
    let claims = unverified_claims(body["id_token"].as_str().expect("an ID token"));
    assert_eq!(claims["auth_time"], T0 + 120, "the sign-in max_age asked for");
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

/// The fields of a `form_post` page's form, and where it posts them.
fn posted_form(page: &str) -> (String, Vec<(String, String)>) {
    let form = page.split("<form").nth(1).expect("a form");
    assert!(form.contains("data-autosubmit"), "the form posts itself");
    let action = form.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let fields = form
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|field| {
            let name = field.split('"').next().unwrap().to_owned();
            (name.clone(), hidden_value(&format!("name=\"{field}"), &name))
        })
        .collect();
    (action, fields)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

// OAuth 2.0 Form Post Response Mode §2: "the Authorization Response
// parameters are encoded as HTML form values that are auto-submitted in the
// User Agent, and thus are transmitted via the HTTP POST method to the
// Client".
#[tokio::test]
async fn response_mode_form_post_posts_the_code_and_state_to_the_callback() {
    let app = TestApp::spawn().await;
    let (_, client, browser) = remembered(&app).await;

    let response = app.authorize(&browser, &params(&client, &[("response_mode", "form_post")])).await;

    assert_eq!(response.status(), 200, "a page, not a redirect");
    assert!(response.headers().get("location").is_none());
    let (action, fields) = posted_form(&response.text().await.unwrap());
    assert_eq!(action, CALLBACK);
    assert_eq!(field(&fields, "state"), Some("xyz"));
    let code = field(&fields, "code").expect("a code");
    assert!(!action.contains(code), "the code is not in the URL");
    let exchanged = app.exchange_code(&client, code, Some(CALLBACK), &[]).await;
    assert_eq!(exchanged.status(), 200, "the posted code is a real one");
}

#[tokio::test]
async fn form_post_carries_the_consent_answer_and_errors_too() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    // Through the consent page: the answer to the form is the posting page.
    let consent = app.authorize(&browser, &params(&client, &[("response_mode", "form_post")])).await;
    let denied = app.decide(&browser, &consent.text().await.unwrap(), "deny").await;
    assert_eq!(denied.status(), 200);
    let (action, fields) = posted_form(&denied.text().await.unwrap());
    assert_eq!((action.as_str(), field(&fields, "error")), (CALLBACK, Some("access_denied")));
    assert_eq!(field(&fields, "state"), Some("xyz"));

    // An error found before any page: posted as well.
    let signed_out =
        app.authorize(&app.browser(), &params(&client, &[("response_mode", "form_post"), ("prompt", "none")])).await;
    let (_, fields) = posted_form(&signed_out.text().await.unwrap());
    assert_eq!(field(&fields, "error"), Some("login_required"));

    // A mode Gatehouse does not speak: refused in the query.
    let fragment = app.authorize(&browser, &params(&client, &[("response_mode", "fragment")])).await;
    assert_eq!(redirected_error(&fragment), ("invalid_request".into(), Some("xyz".into())));
}

/// An ID token of `user` for `client` (the password grant is the shortest way).
async fn id_token_of(app: &TestApp, user: &TestUser, client: &TestClient) -> String {
    app.password_grant(user, client, "openid").await["id_token"].as_str().unwrap().to_owned()
}

// OIDC Core §3.1.2.1 `id_token_hint`: "If the End-User identified by the ID
// Token is logged in or is logged in by the request, then the Authorization
// Server returns a positive response; otherwise, it SHOULD return an error,
// such as login_required."
#[tokio::test]
async fn id_token_hint_must_name_the_signed_in_user() {
    let app = TestApp::spawn().await;
    let (ann, client, browser) = remembered(&app).await;
    let bob = app.create_user("bob").await;
    let anns = id_token_of(&app, &ann, &client).await;
    let bobs = id_token_of(&app, &bob, &client).await;

    let hers = app.authorize(&browser, &params(&client, &[("prompt", "none"), ("id_token_hint", &anns)])).await;
    let his = app.authorize(&browser, &params(&client, &[("prompt", "none"), ("id_token_hint", &bobs)])).await;
    let forged = app.authorize(&browser, &params(&client, &[("id_token_hint", "eyJhbGciOiJub25lIn0.e30.")])).await;

    assert!(query_value(&location(&hers), "code").is_some(), "ann's hint, ann signed in: a code");
    assert_eq!(redirected_error(&his), ("login_required".into(), Some("xyz".into())));
    assert_eq!(redirected_error(&forged).0, "invalid_request");
}

// OIDC Core §3.1.2.1 `ui_locales`; SPEC §5: `en`, `zh-CN`.
#[tokio::test]
async fn ui_locales_chooses_the_language_of_the_consent_and_sign_in_pages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid").await;
    let browser = app.browser();

    let signed_out = app.authorize(&browser, &params(&client, &[("ui_locales", "fr-CA zh-CN")])).await;
    let login = location(&signed_out);
    assert_eq!(query_value(&login, "ui_locales").as_deref(), Some("fr-CA zh-CN"));
    let login_page = browser.get(login.as_str()).send().await.unwrap().text().await.unwrap();
    assert!(login_page.contains("<html lang=\"zh-CN\">"), "the sign-in page is Chinese");

    app.login_as(&browser, &ann).await;
    let consent = app.authorize(&browser, &params(&client, &[("ui_locales", "zh-CN")])).await;
    let page = consent.text().await.unwrap();
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("授权"), "the consent page is Chinese");
    let english = app.authorize(&browser, &params(&client, &[])).await.text().await.unwrap();
    assert!(english.contains("<html lang=\"en\">"), "without ui_locales, the browser's language");
}
