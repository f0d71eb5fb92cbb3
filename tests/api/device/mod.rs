//! SPEC §6, the device authorization grant (RFC 8628), with the `oauth2`
//! crate's device flow as the device (and `openidconnect`'s for the ID
//! token) and a signed-in browser on the `/device` pages as the user. Time
//! is the server's fixed clock: the library's waits move it forward, nothing
//! sleeps.

use std::sync::Mutex;
use std::time::Duration;

use gatehouse::clock::Clock as _;
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    ClientId, ClientSecret, DeviceAuthorizationUrl, DeviceCodeErrorResponse, EndpointNotSet, EndpointSet,
    HttpClientError, RequestTokenError, Scope, StandardDeviceAuthorizationResponse, TokenUrl,
};

use crate::helpers::*;

mod grant;
mod pages;

/// What the device is: the library's client with both endpoints set.
type Device = BasicClient<EndpointNotSet, EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet>;
/// How a poll can fail.
type PollError = RequestTokenError<HttpClientError<reqwest::Error>, DeviceCodeErrorResponse>;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).user_agent(USER_AGENT).build().unwrap()
}

/// The server's fixed clock as the library reads time.
fn at(unix: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(unix, 0).unwrap()
}

/// A device registered as `client` (with its secret when it has one).
fn device(app: &TestApp, client: &TestClient) -> Device {
    let device = BasicClient::new(ClientId::new(client.id().to_owned()))
        .set_device_authorization_url(DeviceAuthorizationUrl::new(app.url("/oauth/device/code")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap());
    match &client.secret {
        Some(secret) => device.set_client_secret(ClientSecret::new(secret.clone())),
        None => device,
    }
}

/// The device asks for codes with `scopes`.
async fn start(device: &Device, scopes: &[&str]) -> StandardDeviceAuthorizationResponse {
    let request = device.exchange_device_code().add_scopes(scopes.iter().map(|s| Scope::new((*s).to_owned())));
    request.request_async(&http()).await.unwrap()
}

/// The device polls as the library does until it has an answer; each wait
/// moves the server's clock forward by the interval the library chose
/// (recorded in `waits`), after `on_wait` ran with the wait's number.
async fn poll_until_answered<'a, F, Fut>(
    app: &'a TestApp,
    device: &'a Device,
    details: &'a StandardDeviceAuthorizationResponse,
    waits: &'a Mutex<Vec<u64>>,
    on_wait: F,
) -> Result<BasicTokenResponse, PollError>
where
    F: Fn(usize, u64) -> Fut + 'a,
    Fut: std::future::Future<Output = i64> + 'a,
{
    let clock = app.clock.clone();
    let sleep = |wait: Duration| {
        let number = {
            let mut waits = waits.lock().unwrap();
            waits.push(wait.as_secs());
            waits.len()
        };
        let advance = on_wait(number, wait.as_secs());
        let clock = app.clock.clone();
        async move { clock.advance(advance.await) }
    };
    let http = http();
    device
        .exchange_device_access_token(details)
        .set_time_fn(move || at(clock.now()))
        .request_async(&http, sleep, None)
        .await
}

/// `error` of a refused poll.
fn error_code(error: &PollError) -> String {
    match error {
        RequestTokenError::ServerResponse(response) => response.error().as_ref().to_owned(),
        other => panic!("not a server answer: {other:?}"),
    }
}

/// A raw poll (form body), for exact control of its time and credentials.
async fn raw_poll(app: &TestApp, client: &TestClient, device_code: &str) -> reqwest::Response {
    let mut form = vec![("grant_type", GRANT), ("device_code", device_code), ("client_id", client.id())];
    if let Some(secret) = &client.secret {
        form.push(("client_secret", secret));
    }
    app.token(&form).await
}

/// A browser signed in as `user`.
async fn signed_in(app: &TestApp, user: &TestUser) -> reqwest::Client {
    let browser = app.browser();
    app.login_as(&browser, user).await;
    browser
}

/// The signed-in `browser` types `typed` on the device page; the answer to its form.
async fn type_code(app: &TestApp, browser: &reqwest::Client, typed: &str) -> reqwest::Response {
    let page = browser.get(app.url("/device")).send().await.unwrap();
    assert_eq!(page.status(), 200, "the device page");
    let page = page.text().await.unwrap();
    let form = [("user_code", typed), ("csrf_token", &hidden_value(&page, "csrf_token"))];
    browser.post(app.url("/device")).form(&form).send().await.unwrap()
}

/// Posts the device consent page `consent` with `decision`.
async fn decide(app: &TestApp, browser: &reqwest::Client, consent: &str, decision: &str) -> reqwest::Response {
    let form = [
        ("user_code", hidden_value(consent, "user_code")),
        ("csrf_token", hidden_value(consent, "csrf_token")),
        ("decision", decision.to_owned()),
    ];
    browser.post(app.url("/device/consent")).form(&form).send().await.unwrap()
}

/// `user` types `typed` and answers the consent page with `decision`.
async fn answer(app: &TestApp, user: &TestUser, typed: &str, decision: &str) {
    let browser = signed_in(app, user).await;
    let consent = type_code(app, &browser, typed).await;
    assert_eq!(consent.status(), 200, "the consent page");
    let done = decide(app, &browser, &consent.text().await.unwrap(), decision).await;
    assert_eq!(done.status(), 303);
    let answered = if decision == "authorize" { "authorized" } else { "denied" };
    assert_eq!(location(&done).as_str(), app.url(&format!("/device/done?answer={answered}")));
}

/// The access token of a token response body.
fn access_token(body: &serde_json::Value) -> &str {
    body["access_token"].as_str().unwrap_or_else(|| panic!("no access token: {body}"))
}
