//! The device's side (RFC 8628 §3.1–3.5): codes, polling, `slow_down`,
//! expiry, single use, client authentication, the ID token, the metadata.

use std::sync::Mutex;
use std::time::Duration;

use oauth2::{RequestTokenError, TokenResponse};

use super::*;

#[tokio::test]
async fn a_device_approved_in_the_browser_gets_a_token_that_opens_the_open_api() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info projects emails").await;
    let device = device(&app, &client);

    let details = start(&device, &["user_info", "projects"]).await;
    let waits = Mutex::new(Vec::new());
    let user_code = details.user_code().secret().clone();
    let approve_on_first_wait = |number: usize, wait: u64| {
        let user_code = user_code.clone();
        let ann = &ann;
        let app = &app;
        async move {
            if number == 1 {
                answer(app, ann, &user_code, "authorize").await;
            }
            wait as i64
        }
    };
    let token = poll_until_answered(&app, &device, &details, &waits, approve_on_first_wait).await.unwrap();

    // RFC 8628 §3.2, SPEC §6: the codes, the verification URIs, 900 s, 5 s.
    assert!(details.device_code().secret().starts_with("gdc_"));
    let shown = details.user_code().secret();
    assert_eq!(shown.len(), 9, "{shown}");
    assert_eq!(&shown[4..5], "-");
    assert!(shown.chars().filter(|c| *c != '-').all(|c| "BCDFGHJKLMNPQRSTVWXZ".contains(c)), "{shown}");
    assert_eq!(details.verification_uri().as_str(), app.url("/device"));
    let complete = details.verification_uri_complete().unwrap().secret();
    assert_eq!(complete, &app.url(&format!("/device?user_code={shown}")));
    assert_eq!(details.expires_in(), Duration::from_secs(900));
    assert_eq!(details.interval(), Duration::from_secs(5));
    // Pending at the first poll, the token after one wait.
    assert_eq!(*waits.lock().unwrap(), [5]);
    assert_eq!(token.scopes().unwrap().iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["user_info", "projects"]);
    assert!(token.refresh_token().is_some());
    let profile = app.api_get("/api/v5/user", token.access_token().secret()).await;
    assert_eq!(profile.status(), 200);
    assert_eq!(profile.json::<serde_json::Value>().await.unwrap()["login"], "ann");
    let grant = app.store.find_grant(ann.user.id, client.client.id).await.unwrap();
    assert_eq!(grant.unwrap().to_string(), "user_info projects", "listed under authorized applications");
}

#[tokio::test]
async fn a_denied_request_answers_access_denied() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let device = device(&app, &client);
    let details = start(&device, &[]).await;

    answer(&app, &ann, details.user_code().secret(), "deny").await;
    let waits = Mutex::new(Vec::new());
    let polled = poll_until_answered(&app, &device, &details, &waits, |_, wait| async move { wait as i64 }).await;

    assert_eq!(error_code(&polled.unwrap_err()), "access_denied");
    assert!(waits.lock().unwrap().is_empty(), "the first poll learns it");
    let again = raw_poll(&app, &client, details.device_code().secret()).await;
    assert_oauth_error(again, 400, "access_denied").await;
    assert!(app.store.find_grant(ann.user.id, client.client.id).await.unwrap().is_none(), "nothing remembered");
}

#[tokio::test]
async fn an_unanswered_code_expires_after_fifteen_minutes() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let device = device(&app, &client);
    let details = start(&device, &[]).await;
    let code = details.device_code().secret();

    app.clock.advance(899);
    let before = raw_poll(&app, &client, code).await;
    app.clock.advance(1);
    let at_expiry = raw_poll(&app, &client, code).await;
    let waits = Mutex::new(Vec::new());
    let library = poll_until_answered(&app, &device, &details, &waits, |_, wait| async move { wait as i64 }).await;
    let browser = signed_in(&app, &ann).await;
    let typed_late = type_code(&app, &browser, details.user_code().secret()).await;

    assert_oauth_error(before, 400, "authorization_pending").await;
    assert_oauth_error(at_expiry, 400, "expired_token").await;
    let error = library.unwrap_err();
    assert_eq!(error_code(&error), "expired_token");
    if let RequestTokenError::ServerResponse(response) = &error {
        assert_eq!(response.error_description().map(String::as_str), Some("the device code has expired; start again"));
    }
    assert_eq!(typed_late.status(), 400, "an expired code cannot be approved");
    assert!(typed_late.text().await.unwrap().contains("This code is not valid"));
}

#[tokio::test]
async fn polling_faster_than_the_interval_is_slowed_down_by_five_seconds() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;
    let code = details.device_code().secret();

    let first = raw_poll(&app, &client, code).await;
    app.clock.advance(1);
    let too_soon = raw_poll(&app, &client, code).await;
    app.clock.advance(5);
    let still_too_soon = raw_poll(&app, &client, code).await;
    app.clock.advance(4);
    let at_the_new_interval = raw_poll(&app, &client, code).await;

    assert_oauth_error(first, 400, "authorization_pending").await;
    let slowed = assert_oauth_error(too_soon, 400, "slow_down").await;
    assert_eq!(slowed["error_description"], "polling too fast: wait at least 10 seconds between polls");
    // Six seconds after the last answered poll: enough before, not now.
    assert_oauth_error(still_too_soon, 400, "slow_down").await;
    assert_oauth_error(at_the_new_interval, 400, "authorization_pending").await;
}

#[tokio::test]
async fn the_library_raises_its_interval_on_slow_down_and_then_gets_the_token() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let device = device(&app, &client);
    let details = start(&device, &[]).await;
    let waits = Mutex::new(Vec::new());
    let user_code = details.user_code().secret().clone();

    // The first wait is cut short (a clock that jumped); the user approves
    // during the third.
    let on_wait = |number: usize, wait: u64| {
        let (app, ann, user_code) = (&app, &ann, user_code.clone());
        async move {
            match number {
                1 => 1,
                3 => {
                    answer(app, ann, &user_code, "authorize").await;
                    wait as i64
                }
                _ => wait as i64,
            }
        }
    };
    let token = poll_until_answered(&app, &device, &details, &waits, on_wait).await;

    assert_eq!(*waits.lock().unwrap(), [5, 10, 10], "slow_down added 5 s for every later poll");
    assert_eq!(app.api_get("/api/v5/user", token.unwrap().access_token().secret()).await.status(), 200);
}

#[tokio::test]
async fn polls_of_a_pending_code_write_only_when_the_pace_changes() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;
    let code = details.device_code().secret();
    assert_oauth_error(raw_poll(&app, &client, code).await, 400, "authorization_pending").await;
    app.clock.advance(1);
    assert_oauth_error(raw_poll(&app, &client, code).await, 400, "slow_down").await;

    let before = app.store.commits();
    for _ in 0..10 {
        assert_oauth_error(raw_poll(&app, &client, code).await, 400, "slow_down").await;
    }
    let while_told = app.store.commits() - before;
    app.clock.advance(10);
    assert_oauth_error(raw_poll(&app, &client, code).await, 400, "authorization_pending").await;
    let in_time = app.store.commits() - before;

    assert_eq!(while_told, 0, "polls that were told to slow down already only read");
    assert_eq!(in_time, 1, "a poll in time writes once");
}

#[tokio::test]
async fn a_device_code_is_spent_once() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;
    answer(&app, &ann, details.user_code().secret(), "authorize").await;
    let code = details.device_code().secret();

    let first = raw_poll(&app, &client, code).await;
    let second = raw_poll(&app, &client, code).await;

    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let token: serde_json::Value = first.json().await.unwrap();
    let body = assert_oauth_error(second, 400, "invalid_grant").await;
    assert_eq!(body["error_description"], "the device code was already used");
    assert_eq!(app.api_get("/api/v5/user", access_token(&token)).await.status(), 200, "a retry revokes nothing");
}

/// Many polls at once after the approval (one group-commit batch, most
/// likely): exactly one gets the tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_code_polled_by_many_requests_at_once_is_spent_exactly_once() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client_with(&ann, "user_info", &[CALLBACK], true).await;
    let details = start(&device(&app, &client), &[]).await;
    answer(&app, &ann, details.user_code().secret(), "authorize").await;

    let form = [("grant_type", GRANT), ("device_code", details.device_code().secret()), ("client_id", client.id())];
    let statuses = app.token_statuses_at_once(&form, 16).await;

    assert_eq!(statuses, [[200].as_slice(), &[400; 15]].concat(), "exactly one poll wins");
}

#[tokio::test]
async fn a_public_client_uses_the_device_grant_without_a_secret() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client_with(&ann, "user_info", &[CALLBACK], true).await;
    assert!(client.secret.is_none());
    let device = device(&app, &client);

    let details = start(&device, &["user_info"]).await;
    answer(&app, &ann, details.user_code().secret(), "authorize").await;
    let waits = Mutex::new(Vec::new());
    let token = poll_until_answered(&app, &device, &details, &waits, |_, wait| async move { wait as i64 }).await;

    let token = token.unwrap();
    assert_eq!(app.api_get("/api/v5/user", token.access_token().secret()).await.status(), 200);
    let with_a_secret = app
        .http
        .post(app.url("/oauth/device/code"))
        .form(&[("client_id", client.id()), ("client_secret", "gcs_made_up")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(with_a_secret, 401, "invalid_client").await;
}

#[tokio::test]
async fn a_confidential_client_must_authenticate_at_both_endpoints() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let endpoint = app.url("/oauth/device/code");

    let id_only = app.http.post(&endpoint).form(&[("client_id", client.id())]).send().await.unwrap();
    let wrong_secret = app.http.post(&endpoint).basic_auth(client.id(), Some("gcs_wrong")).send().await.unwrap();
    let right = app.http.post(&endpoint).basic_auth(client.id(), Some(client.secret())).send().await.unwrap();

    assert_oauth_error(id_only, 401, "invalid_client").await;
    assert_eq!(wrong_secret.headers()["www-authenticate"], "Basic realm=\"gatehouse\"");
    assert_oauth_error(wrong_secret, 401, "invalid_client").await;
    assert_eq!(right.status(), 200);
    let details: serde_json::Value = right.json().await.unwrap();
    let code = details["device_code"].as_str().unwrap();
    let poll_without_secret =
        app.token(&[("grant_type", GRANT), ("device_code", code), ("client_id", client.id())]).await;
    assert_oauth_error(poll_without_secret, 401, "invalid_client").await;
    assert_oauth_error(raw_poll(&app, &client, code).await, 400, "authorization_pending").await;
}

#[tokio::test]
async fn an_unknown_client_or_another_clients_code_is_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let other = app.register_client(&ann, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;
    answer(&app, &ann, details.user_code().secret(), "authorize").await;

    let unknown = app.http.post(app.url("/oauth/device/code")).form(&[("client_id", "no-such-app")]).send().await;
    let nobody = app.http.post(app.url("/oauth/device/code")).send().await.unwrap();
    let stolen = raw_poll(&app, &other, details.device_code().secret()).await;
    let made_up = raw_poll(&app, &client, "gdc_made_up").await;
    let beyond = app
        .http
        .post(app.url("/oauth/device/code"))
        .basic_auth(client.id(), Some(client.secret()))
        .form(&[("scope", "user_info emails")])
        .send()
        .await
        .unwrap();

    assert_oauth_error(unknown.unwrap(), 401, "invalid_client").await;
    assert_oauth_error(nobody, 401, "invalid_client").await;
    let body = assert_oauth_error(stolen, 400, "invalid_grant").await;
    assert_eq!(body["error_description"], "the device code was issued to another client");
    assert_oauth_error(made_up, 400, "invalid_grant").await;
    assert_oauth_error(beyond, 400, "invalid_scope").await;
    assert_eq!(raw_poll(&app, &client, details.device_code().secret()).await.status(), 200, "still its own");
}

#[tokio::test]
async fn an_id_token_comes_with_the_tokens_when_openid_is_granted() {
    use openidconnect::core::{CoreClient, CoreProviderMetadata};
    use openidconnect::{IssuerUrl, Nonce, OAuth2TokenResponse, TokenResponse as _};

    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid profile user_info").await;
    app.clock.advance(30);
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http()).await;
    let discovery: serde_json::Value =
        app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let endpoint = discovery["device_authorization_endpoint"].as_str().unwrap().to_owned();
    let rp = CoreClient::from_provider_metadata(
        metadata.unwrap(),
        openidconnect::ClientId::new(client.id().to_owned()),
        Some(openidconnect::ClientSecret::new(client.secret().to_owned())),
    )
    .set_device_authorization_url(openidconnect::DeviceAuthorizationUrl::new(endpoint).unwrap());

    let details: openidconnect::core::CoreDeviceAuthorizationResponse = rp
        .exchange_device_code()
        .add_scope(openidconnect::Scope::new("profile".into()))
        .request_async(&http())
        .await
        .unwrap();
    answer(&app, &ann, details.user_code().secret(), "authorize").await;
    let clock = app.clock.clone();
    let token = rp
        .exchange_device_access_token(&details)
        .unwrap()
        .set_time_fn(move || at(clock.now()))
        .request_async(&http(), |_| std::future::ready(()), None)
        .await
        .unwrap();

    let id_token = token.id_token().expect("an ID token with openid granted");
    let verifier = rp.id_token_verifier().set_time_fn(|| at(T0 + 30));
    let no_nonce = |nonce: Option<&Nonce>| match nonce {
        None => Ok(()),
        Some(_) => Err("the device grant sends no nonce".to_owned()),
    };
    let claims = id_token.claims(&verifier, no_nonce).unwrap();
    assert_eq!(claims.subject().as_str(), ann.user.id.to_string());
    assert_eq!(claims.audiences().iter().map(|a| a.as_str()).collect::<Vec<_>>(), [client.id()]);
    assert_eq!(claims.auth_time().map(|t| t.timestamp()), Some(T0 + 30), "the approving session's sign-in");
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("ann"));
    assert_eq!(token.scopes().unwrap().iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["openid", "profile"]);
    // Without openid, no ID token.
    let plain = start(&device(&app, &client), &["user_info"]).await;
    answer(&app, &ann, plain.user_code().secret(), "authorize").await;
    let body: serde_json::Value = raw_poll(&app, &client, plain.device_code().secret()).await.json().await.unwrap();
    assert!(body.get("id_token").is_none(), "{body}");
}

#[tokio::test]
async fn both_metadata_documents_name_the_device_endpoint_and_grant() {
    let app = TestApp::spawn().await;

    for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
        let metadata: serde_json::Value = app.http.get(app.url(path)).send().await.unwrap().json().await.unwrap();

        assert_eq!(metadata["device_authorization_endpoint"], app.url("/oauth/device/code"), "{path}");
        let grants = metadata["grant_types_supported"].as_array().unwrap();
        assert!(grants.iter().any(|g| g == GRANT), "{path}: {grants:?}");
    }
}

#[tokio::test]
async fn expired_device_codes_answer_expired_token_for_a_day_then_are_purged() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let details = start(&device(&app, &client), &[]).await;
    let code = details.device_code().secret();
    let hash = gatehouse::domain::token::PlainSecret::from_presented(code.as_str()).hash();

    let purged_at_expiry = app.store.purge_expired(T0 + 901, 1000).await.unwrap();
    app.clock.advance(901);
    let late_poll = raw_poll(&app, &client, code).await;
    app.store.purge_expired(T0 + 900 + 86_401, 1000).await.unwrap();
    let found_a_day_later = app.store.find_device_authorization(&hash).await.unwrap().is_some();

    assert_eq!(purged_at_expiry, 0, "a device that polls late still learns its code expired");
    assert_oauth_error(late_poll, 400, "expired_token").await;
    assert!(!found_a_day_later, "purged a day after expiry");
}

#[tokio::test]
async fn an_approved_code_of_a_disabled_user_or_application_gets_no_tokens() {
    use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let client = app.register_client(&ann, "user_info").await;
    let other = app.register_client(&ann, "user_info").await;
    let for_ann = start(&device(&app, &client), &[]).await;
    let for_bob = start(&device(&app, &other), &[]).await;
    answer(&app, &ann, for_ann.user_code().secret(), "authorize").await;
    answer(&app, &bob, for_bob.user_code().secret(), "authorize").await;

    // As /admin and `gatehouse user|app disable` do, between the approval
    // and the device's next poll.
    let event = SecurityEvent::new(ann.user.id, SecurityEventKind::AccountDisabled, None);
    assert!(app.store.admin().set_account_disabled(ann.user.id, true, T0, &event).await.unwrap());
    assert!(app.store.admin().set_app_disabled(other.client.id, true, T0).await.unwrap());
    let anns_poll = raw_poll(&app, &client, for_ann.device_code().secret()).await;
    let bobs_poll = raw_poll(&app, &other, for_bob.device_code().secret()).await;
    let new_code =
        app.http.post(app.url("/oauth/device/code")).form(&[("client_id", other.id())]).send().await.unwrap();

    assert_oauth_error(anns_poll, 400, "invalid_grant").await;
    assert_oauth_error(bobs_poll, 401, "invalid_client").await;
    assert_oauth_error(new_code, 401, "invalid_client").await;
}

#[tokio::test]
async fn the_device_endpoint_answers_json_that_is_never_cached() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let form = [("client_id", client.id()), ("client_secret", client.secret())];

    let started = app.http.post(app.url("/oauth/device/code")).form(&form).send().await.unwrap();

    assert_eq!(started.status(), 200);
    let header = |name: &str| started.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("cache-control"), "no-store", "RFC 8628 §3.2 carries codes, like a token response");
    assert!(started.json::<serde_json::Value>().await.unwrap()["device_code"].is_string());
}

#[tokio::test]
async fn the_device_endpoint_takes_post_only_and_bad_input_is_a_4xx() {
    let app = TestApp::spawn().await;

    let get = app.http.get(app.url("/oauth/device/code")).send().await.unwrap();
    let nul = app
        .http
        .post(app.url("/oauth/device/code"))
        .body("client_id=a%00b")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let poll_without_code = app.token(&[("grant_type", GRANT), ("client_id", "x")]).await;

    assert_eq!(get.status(), 405);
    assert_oauth_error(nul, 400, "invalid_request").await;
    assert_oauth_error(poll_without_code, 400, "invalid_request").await;
}
