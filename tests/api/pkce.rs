//! SPEC §3: PKCE (RFC 7636), public clients must use it; §4: a code issued
//! without a challenge refuses a verifier.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenUrl,
};

use crate::helpers::*;

#[tokio::test]
async fn a_public_client_completes_the_flow_with_s256_through_the_oauth2_crate() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let registered = app.register_client_with(&ann, "user_info", &["http://127.0.0.1/cb"], true).await;
    assert!(registered.secret.is_none());
    let client = BasicClient::new(ClientId::new(registered.id().to_owned()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:8765/cb".to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("user_info".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let page = browser.get(auth_url).send().await.unwrap().text().await.unwrap();
    let callback = location(&app.decide(&browser, &page, "authorize").await);
    let code = query_value(&callback, "code").unwrap();
    let http = reqwest::Client::builder().user_agent(USER_AGENT).build().unwrap();

    let wrong = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(PkceCodeVerifier::new("x".repeat(43)))
        .request_async(&http)
        .await;
    let right =
        client.exchange_code(AuthorizationCode::new(code)).set_pkce_verifier(verifier).request_async(&http).await;

    assert!(wrong.is_err());
    assert!(right.is_ok(), "{right:?}");
}

#[tokio::test]
async fn a_public_client_without_a_code_challenge_is_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client_with(&ann, "user_info", &[CALLBACK], true).await;

    let response = app
        .authorize(&app.browser(), &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code")])
        .await;

    assert_eq!(response.status(), 302);
    assert_eq!(query_value(&location(&response), "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn plain_challenges_work_and_missing_verifiers_fail() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let verifier = "v".repeat(50);
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let callback = app
        .authorize_and_approve(
            &browser,
            &[
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("code_challenge", &verifier),
                ("code_challenge_method", "plain"),
            ],
        )
        .await;
    let code = query_value(&callback, "code").unwrap();

    let missing = app.exchange_code(&client, &code, Some(CALLBACK), &[]).await;
    let right = app.exchange_code(&client, &code, Some(CALLBACK), &[("code_verifier", &verifier)]).await;

    assert_oauth_error(missing, 400, "invalid_grant").await;
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn pkce_downgrade_with_verifier_on_plain_code_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let code = app.code_for(&ann, &client, "user_info").await;

    let response = app.exchange_code(&client, &code, Some(CALLBACK), &[("code_verifier", &"v".repeat(50))]).await;

    assert_oauth_error(response, 400, "invalid_grant").await;
}

#[tokio::test]
async fn an_unknown_challenge_method_is_invalid_request() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let response = app
        .authorize(
            &app.browser(),
            &[
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("code_challenge", &"c".repeat(43)),
                ("code_challenge_method", "S512"),
            ],
        )
        .await;

    assert_eq!(query_value(&location(&response), "error").as_deref(), Some("invalid_request"));
}
