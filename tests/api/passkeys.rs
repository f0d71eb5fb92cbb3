//! SPEC §7 "Passkeys" over HTTP, with a software passkey
//! (`soft_passkey.rs`) in place of a browser's authenticator: adding one
//! from /settings/security, the discoverable sign-in with no email typed
//! (two factors: `amr` `hwk user mfa`, no TOTP code even with two-factor
//! on), the counter, renaming and removing (only one's own), CSRF on every
//! request, single-use and expiring ceremonies, and 4xx (never 5xx) for
//! garbage, unknown or removed credentials.

use gatehouse::domain::oidc::{KeyMaterial, KeyProtection};
use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

use crate::account_forms::{count, logged, settings_page, signed_in};
use crate::helpers::*;
use crate::metrics;
use crate::soft_passkey::{ISSUER, SoftPasskey};

async fn spawn() -> TestApp {
    TestApp::spawn_with(|settings| settings.issuer = Some(ISSUER.into())).await
}

async fn csrf_of(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    hidden_value(&settings_page(app, browser, path).await, "csrf_token")
}

async fn post(app: &TestApp, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

/// A JSON answer with `status`.
async fn json(response: reqwest::Response, status: StatusCode) -> serde_json::Value {
    assert_eq!(response.status(), status, "{:?}", response.url().path());
    response.json().await.unwrap()
}

/// Adds `passkey` as `name` from the settings page: the answer to the
/// second request.
async fn add(app: &TestApp, browser: &reqwest::Client, passkey: &mut SoftPasskey, name: &str) -> reqwest::Response {
    let csrf = csrf_of(app, browser, "/settings/security").await;
    let options = post(app, browser, "/settings/security/passkeys/options", &[("csrf_token", &csrf)]).await;
    let options = json(options, StatusCode::OK).await;
    let credential = passkey.create(&options);
    let form = [("csrf_token", csrf.as_str()), ("name", name), ("credential", &credential)];
    post(app, browser, "/settings/security/passkeys", &form).await
}

/// The sign-in page's CSRF token and a fresh sign-in ceremony's options.
async fn begin_sign_in(app: &TestApp, browser: &reqwest::Client) -> (String, serde_json::Value) {
    let csrf = csrf_of(app, browser, "/login").await;
    let options = post(app, browser, "/login/passkey/options", &[("csrf_token", &csrf)]).await;
    (csrf, json(options, StatusCode::OK).await)
}

async fn finish_sign_in(app: &TestApp, browser: &reqwest::Client, csrf: &str, credential: &str) -> reqwest::Response {
    let form = [("csrf_token", csrf), ("credential", credential), ("return_to", "/settings/security")];
    post(app, browser, "/login/passkey", &form).await
}

/// The passkeys' ids on the user's page, in order.
fn listed_ids(page: &str) -> Vec<String> {
    page.split("data-passkey=\"").skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect()
}

/// Turns two-factor on for `user` straight in the store (the TOTP tests
/// cover the pages).
async fn turn_two_factor_on(app: &TestApp, user: &TestUser) {
    let secret = KeyMaterial(vec![7; 20]);
    assert!(app.store.begin_two_factor_setup(user.user.id, &secret, KeyProtection::None, T0).await.unwrap());
    let event = SecurityEvent::new(user.user.id, SecurityEventKind::TwoFactorEnabled, None);
    assert!(app.store.enable_two_factor(user.user.id, &secret, 0, &[], &event, T0).await.unwrap());
}

#[tokio::test]
async fn a_passkey_added_in_settings_signs_in_without_an_email_as_two_factors() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let mut passkey = SoftPasskey::new();

    let added = json(add(&app, &browser, &mut passkey, "  Laptop ").await, StatusCode::OK).await;
    assert_eq!(added["redirect"], "/settings/security?notice=passkey_added#passkeys");
    let page = settings_page(&app, &browser, "/settings/security?notice=passkey_added").await;
    assert!(page.contains("Passkey added.") && page.contains("<time>never</time>"), "{page}");
    assert!(page.contains("<strong class=\"passkey-name\">Laptop</strong>"), "{page}");
    assert_eq!(logged(&app, &ann).await[0], SecurityEventKind::PasskeyAdded);

    // Signed out: a new browser, no email typed, no TOTP code asked.
    turn_two_factor_on(&app, &ann).await;
    let stranger = app.browser();
    let (csrf, options) = begin_sign_in(&app, &stranger).await;
    assert!(options["publicKey"]["allowCredentials"].as_array().is_none_or(Vec::is_empty), "discoverable");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let credential = passkey.get(&options);
    let done = json(finish_sign_in(&app, &stranger, &csrf, &credential).await, StatusCode::OK).await;
    assert_eq!(done["redirect"], "/settings/security");
    let page = settings_page(&app, &stranger, "/settings/security").await;
    assert!(page.contains("Laptop"));
    assert!(!page.contains("<time>never</time>"), "the last use is shown: {page}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions WHERE amr = 'hwk user mfa'").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM passkeys WHERE last_used_at IS NOT NULL").await, 1);
    let events = app.store.list_security_events(ann.user.id, 1).await.unwrap();
    assert_eq!((events[0].kind, events[0].detail.as_str()), (SecurityEventKind::SignIn, "passkey: Laptop"));
    let log = settings_page(&app, &stranger, "/settings/security-log").await;
    assert!(log.contains("<strong>with passkey Laptop</strong>"), "{log}");

    // The counter advances; an answer with an old counter is a clone's.
    let other = app.browser();
    let (csrf, options) = begin_sign_in(&app, &other).await;
    let stale = passkey.assert_with(options["publicKey"]["challenge"].as_str().unwrap());
    let refused = json(finish_sign_in(&app, &other, &csrf, &stale).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(refused["error"], "The passkey could not be verified. Try again.");
}

// SPEC §5 `amr` (RFC 8176): a passkey bound to its device is `hwk`, one
// synced between devices (backup eligible) `swk`; either way with `user`
// (verified) and `mfa`, in the ID token of a code flow after the sign-in.
#[tokio::test]
async fn the_id_token_after_a_passkey_sign_in_says_hwk_or_swk_user_mfa() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid").await;
    let browser = signed_in(&app, &ann).await;
    let mut device_bound = SoftPasskey::new();
    let mut synced = SoftPasskey::new();
    synced.synced = true;
    json(add(&app, &browser, &mut device_bound, "Key").await, StatusCode::OK).await;
    json(add(&app, &browser, &mut synced, "Phone").await, StatusCode::OK).await;

    for (passkey, expected) in [(&mut device_bound, "hwk"), (&mut synced, "swk")] {
        let stranger = app.browser();
        let (csrf, options) = begin_sign_in(&app, &stranger).await;
        let credential = passkey.get(&options);
        json(finish_sign_in(&app, &stranger, &csrf, &credential).await, StatusCode::OK).await;
        let params = [("client_id", client.id()), ("response_type", "code"), ("scope", "openid")];
        let callback = app.authorize_and_approve(&stranger, &params).await;
        let code = query_value(&callback, "code").expect("a code");
        let body: serde_json::Value = app.exchange_code(&client, &code, None, &[]).await.json().await.unwrap();

        let claims = unverified_claims(body["id_token"].as_str().expect("an ID token"));
        assert_eq!(claims["amr"], serde_json::json!([expected, "user", "mfa"]), "{expected}");
        assert_eq!(claims["auth_time"], T0);
    }
}

#[tokio::test]
async fn a_disabled_accounts_passkey_signs_in_no_more_than_its_password() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let mut passkey = SoftPasskey::new();
    json(add(&app, &browser, &mut passkey, "Laptop").await, StatusCode::OK).await;
    let event = SecurityEvent::new(ann.user.id, SecurityEventKind::AccountDisabled, None);
    assert!(app.store.admin().set_account_disabled(ann.user.id, true, T0, &event).await.unwrap());

    let stranger = app.browser();
    let (csrf, options) = begin_sign_in(&app, &stranger).await;
    let refused = finish_sign_in(&app, &stranger, &csrf, &passkey.get(&options)).await;

    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0, "no session is made");
}

#[tokio::test]
async fn passkey_sign_ins_are_counted_in_the_metrics_by_result() {
    let app = TestApp::spawn_with(|settings| {
        settings.issuer = Some(ISSUER.into());
        settings.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let ann = app.create_user("ann").await;
    let mut passkey = SoftPasskey::new();
    json(add(&app, &signed_in(&app, &ann).await, &mut passkey, "Laptop").await, StatusCode::OK).await;

    let browser = app.browser();
    let (csrf, options) = begin_sign_in(&app, &browser).await;
    json(finish_sign_in(&app, &browser, &csrf, &passkey.get(&options)).await, StatusCode::OK).await;
    let other = app.browser();
    let (csrf, options) = begin_sign_in(&app, &other).await;
    let stale = passkey.assert_with(options["publicKey"]["challenge"].as_str().unwrap());
    json(finish_sign_in(&app, &other, &csrf, &stale).await, StatusCode::BAD_REQUEST).await;

    let (_, samples) = metrics::scrape(&app).await;
    let sign_ins = |result| metrics::value(&samples, "gatehouse_sign_ins_total", &[("result", result)]);
    assert_eq!((sign_ins("passkey_success"), sign_ins("passkey_failure")), (1.0, 1.0));
    assert_eq!(sign_ins("success"), 1.0, "the password sign-in that added the passkey, only");
}

#[tokio::test]
async fn ceremonies_are_single_use_expire_and_refuse_garbage_with_4xx() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let mut passkey = SoftPasskey::new();
    json(add(&app, &browser, &mut passkey, "Phone").await, StatusCode::OK).await;

    // The same answer with the same ceremony cookie twice: the first takes it.
    let csrf = csrf_of(&app, &app.browser(), "/login").await;
    let begun = app.http.post(app.url("/login/passkey/options")).header(COOKIE, format!("gatehouse_csrf={csrf}"));
    let begun = begun.form(&[("csrf_token", &csrf)]).send().await.unwrap();
    let set_cookie = begun.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let ceremony = set_cookie.strip_prefix("gatehouse_passkey=").unwrap().split(';').next().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("Max-Age=300"), "{set_cookie}");
    let credential = passkey.get(&json(begun, StatusCode::OK).await);
    let cookies = format!("gatehouse_csrf={csrf}; gatehouse_passkey={ceremony}");
    let form = [("csrf_token", csrf.as_str()), ("credential", &credential)];
    let answer = || app.http.post(app.url("/login/passkey")).header(COOKIE, &cookies).form(&form).send();
    json(answer().await.unwrap(), StatusCode::OK).await;
    let replayed = json(answer().await.unwrap(), StatusCode::BAD_REQUEST).await;
    assert_eq!(replayed["error"], "The passkey request has expired or was already used. Try again.");
    let stranger = app.browser();

    // Five minutes and a second: lapsed.
    let late = app.browser();
    let (csrf, options) = begin_sign_in(&app, &late).await;
    app.clock.advance(301);
    let credential = passkey.get(&options);
    json(finish_sign_in(&app, &late, &csrf, &credential).await, StatusCode::BAD_REQUEST).await;

    // Garbage, an answer of no JSON shape, and a stranger's key.
    for garbage in ["", "not json", "{\"id\":\"AA\",\"type\":\"public-key\"}", "[1,2,3]"] {
        let (csrf, _) = begin_sign_in(&app, &late).await;
        json(finish_sign_in(&app, &late, &csrf, garbage).await, StatusCode::BAD_REQUEST).await;
    }
    let mut unknown = SoftPasskey::new();
    unknown.user_handle = passkey.user_handle.clone();
    let (csrf, options) = begin_sign_in(&app, &late).await;
    let answer = unknown.get(&options);
    let refused = json(finish_sign_in(&app, &late, &csrf, &answer).await, StatusCode::UNAUTHORIZED).await;
    assert!(refused["error"].as_str().unwrap().starts_with("This passkey is not registered"));

    // Another site's origin (phishing) does not verify.
    passkey.origin = "http://localhost:9999".into();
    let (csrf, options) = begin_sign_in(&app, &late).await;
    let phished = passkey.get(&options);
    json(finish_sign_in(&app, &late, &csrf, &phished).await, StatusCode::BAD_REQUEST).await;
    passkey.origin = ISSUER.into();

    // No ceremony at all (never begun in this browser).
    let fresh_csrf = csrf_of(&app, &stranger, "/login").await;
    json(finish_sign_in(&app, &stranger, &fresh_csrf, &passkey.assert_with("AAAA")).await, StatusCode::BAD_REQUEST)
        .await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions WHERE amr LIKE '%hwk%'").await, 1);

    // The same credential cannot be added twice (a software key ignores the exclusion list).
    let again = json(add(&app, &browser, &mut passkey, "Phone again").await, StatusCode::CONFLICT).await;
    assert_eq!(again["error"], "This passkey is already registered.");
    // Nor to another account (not on that account's exclusion list: the database refuses it).
    let bob = app.create_user("bob").await;
    let bobs = signed_in(&app, &bob).await;
    let anns_handle = passkey.user_handle.clone();
    json(add(&app, &bobs, &mut passkey, "Bob's").await, StatusCode::CONFLICT).await;
    passkey.user_handle = anns_handle;
    // A bad name leaves nothing added.
    let mut other = SoftPasskey::new();
    json(add(&app, &browser, &mut other, "   ").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM passkeys").await, 1);

    // Removed: signing in with it fails with a readable message.
    let id = listed_ids(&settings_page(&app, &browser, "/settings/security").await).remove(0);
    let csrf = csrf_of(&app, &browser, "/settings/security").await;
    let path = format!("/settings/security/passkeys/{id}/remove");
    let removed = post(&app, &browser, &path, &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status(), 303);
    assert_eq!(location(&removed).as_str(), app.url("/settings/security?notice=passkey_removed#passkeys"));
    let (csrf, options) = begin_sign_in(&app, &late).await;
    let answer = passkey.get(&options);
    let refused = json(finish_sign_in(&app, &late, &csrf, &answer).await, StatusCode::UNAUTHORIZED).await;
    assert!(refused["error"].as_str().unwrap().contains("may have been removed"));
    let kinds = logged(&app, &ann).await;
    assert_eq!(kinds[0], SecurityEventKind::PasskeyRemoved);
}

#[tokio::test]
async fn only_the_owner_renames_or_removes_a_passkey() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let anns = signed_in(&app, &ann).await;
    let bobs = signed_in(&app, &bob).await;
    json(add(&app, &anns, &mut SoftPasskey::new(), "Laptop").await, StatusCode::OK).await;
    let id = listed_ids(&settings_page(&app, &anns, "/settings/security").await).remove(0);

    let csrf = csrf_of(&app, &bobs, "/settings/security").await;
    let (rename, remove) =
        (format!("/settings/security/passkeys/{id}/rename"), format!("/settings/security/passkeys/{id}/remove"));
    let renamed = post(&app, &bobs, &rename, &[("csrf_token", &csrf), ("name", "Mine")]).await;
    assert_eq!(renamed.status(), 404);
    let removed = post(&app, &bobs, &remove, &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status(), 404);
    let own_csrf = csrf_of(&app, &anns, "/settings/security").await;
    for unknown in ["999999", "nonsense"] {
        let path = format!("/settings/security/passkeys/{unknown}/remove");
        assert_eq!(post(&app, &anns, &path, &[("csrf_token", &own_csrf)]).await.status(), 404, "{unknown}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM passkeys WHERE name = 'Laptop'").await, 1);
    assert!(!logged(&app, &bob).await.contains(&SecurityEventKind::PasskeyRemoved));

    // The owner renames it; a bad name is refused with the page (422).
    let csrf = csrf_of(&app, &anns, "/settings/security").await;
    let path = format!("/settings/security/passkeys/{id}/rename");
    let renamed = post(&app, &anns, &path, &[("csrf_token", &csrf), ("name", "Work laptop")]).await;
    assert_eq!(renamed.status(), 303);
    let page = settings_page(&app, &anns, "/settings/security?notice=passkey_renamed").await;
    assert!(page.contains("Passkey renamed.") && page.contains(">Work laptop</strong>"), "{page}");
    let too_long = "x".repeat(65);
    let refused = post(&app, &anns, &path, &[("csrf_token", &csrf), ("name", &too_long)]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Give the passkey a name of 1 to 64 characters."));
    let events = app.store.list_security_events(ann.user.id, 1).await.unwrap();
    assert_eq!((events[0].kind, events[0].detail.as_str()), (SecurityEventKind::PasskeyRenamed, "Work laptop"));
}

#[tokio::test]
async fn every_passkey_request_checks_its_csrf_token() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    json(add(&app, &browser, &mut SoftPasskey::new(), "Laptop").await, StatusCode::OK).await;
    let id = listed_ids(&settings_page(&app, &browser, "/settings/security").await).remove(0);
    let settings = [
        "/settings/security/passkeys/options".to_owned(),
        "/settings/security/passkeys".to_owned(),
        format!("/settings/security/passkeys/{id}/rename"),
        format!("/settings/security/passkeys/{id}/remove"),
    ];
    let anonymous = app.browser();
    csrf_of(&app, &anonymous, "/login").await;
    for token in [None, Some("wrong")] {
        let form: Vec<(&str, &str)> =
            token.map(|t| vec![("csrf_token", t), ("name", "Stolen")]).unwrap_or_else(|| vec![("name", "Stolen")]);
        for path in &settings {
            assert_eq!(post(&app, &browser, path, &form).await.status(), 403, "{path} {token:?}");
        }
        for path in ["/login/passkey/options", "/login/passkey"] {
            assert_eq!(post(&app, &anonymous, path, &form).await.status(), 403, "{path} {token:?}");
        }
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM passkeys WHERE name = 'Laptop'").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM passkey_ceremonies").await, 0, "no ceremony begun");
}

#[tokio::test]
async fn an_issuer_without_a_host_name_answers_passkeys_are_unavailable() {
    // The default test issuer is http://127.0.0.1:PORT: no relying party id.
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = signed_in(&app, &ann).await;
    let csrf = csrf_of(&app, &browser, "/settings/security").await;
    let refused = post(&app, &browser, "/settings/security/passkeys/options", &[("csrf_token", &csrf)]).await;
    let refused = json(refused, StatusCode::CONFLICT).await;
    assert!(refused["error"].as_str().unwrap().starts_with("Passkeys are not available"));
}
