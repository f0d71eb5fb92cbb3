//! OpenID Connect in the browser (SPEC §5): the consent page with the OIDC
//! scopes, `response_mode=form_post` posting by itself, and RP-initiated
//! sign-out, its question and its signed-out page, in both languages.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{Form, Query};
use axum::response::Html;
use axum::routing::{get, post};

use crate::driver::Browser;
use crate::helpers::{PASSWORD, TestApp};
use crate::sign_in;

/// A relying party's two pages: the callback that receives the posted
/// answer, and the page sign-out returns to. Each shows what it received.
async fn relying_party() -> SocketAddr {
    let show = |title: &str, fields: HashMap<String, String>| {
        let mut fields: Vec<_> = fields.into_iter().collect();
        fields.sort();
        let items: String = fields.iter().map(|(k, v)| format!("<li>{k}={v}</li>")).collect();
        Html(format!("<!doctype html><title>{title}</title><h1>{title}</h1><ul>{items}</ul>"))
    };
    let router = axum::Router::new()
        .route("/cb", post(move |Form(fields): Form<HashMap<String, String>>| async move { show("posted", fields) }))
        .route("/bye", get(move |Query(fields): Query<HashMap<String, String>>| async move { show("bye", fields) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// Waits (bounded) until the browser is at `path` on `host`.
async fn wait_for(browser: &Browser, addr: SocketAddr, path: &str) {
    for _ in 0..200 {
        let url = browser.url().await;
        if url.port() == Some(addr.port()) && url.path() == path {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the browser never reached {path}: it is at {}", browser.url().await);
}

#[tokio::test]
async fn openid_consent_then_form_post_then_sign_out_from_the_application() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let ann = app.create_user("ann").await;
    let rp = relying_party().await;
    let browser = Browser::start("oidc_form_post_sign_out").await;

    // The developer registers a sign-out URL on the form.
    sign_in(&app, &browser, &dev).await;
    browser.goto(&app.url("/settings/applications/new")).await;
    browser.fill("Application name", "Wiki").await;
    browser.fill("Callback URLs", "http://127.0.0.1/cb").await;
    browser.fill("Sign-out URLs", &format!("http://{rp}/bye")).await;
    for scope in ["openid", "profile", "email"] {
        browser.click(&format!("#scope_{scope}")).await;
    }
    browser.shot("application-form-with-sign-out-urls").await;
    browser.press("Create application").await;
    browser.shot("application-details").await;
    assert!(browser.text().await.contains(&format!("http://{rp}/bye")), "the details list the sign-out URL");
    let client_id = browser.value_of("#client_id").await;
    browser.forget_cookies().await;

    // Ann signs in to the wiki; the answer is posted, not put in the URL.
    let authorize = format!(
        "{}?client_id={client_id}&redirect_uri=http://{rp}/cb&response_type=code&scope=openid%20profile%20email\
         &state=st4te&nonce=n0nce&response_mode=form_post",
        app.url("/oauth/authorize")
    );
    browser.goto(&authorize).await;
    browser.fill("Email", &ann.email).await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Sign in").await;
    browser.shot("consent-with-openid-scopes").await;
    let consent = browser.text().await;
    for expected in ["Wiki", "openid", "profile", "email", "Sign you in with your account"] {
        assert!(consent.contains(expected), "the consent page lacks {expected}: {consent}");
    }
    browser.press("Authorize").await;
    wait_for(&browser, rp, "/cb").await;
    browser.shot("code-posted-to-the-application").await;
    let posted = browser.text().await;
    assert!(posted.contains("state=st4te") && posted.contains("code=gac_"), "{posted}");
    assert!(browser.url().await.query().is_none(), "nothing in the callback's URL");

    // The wiki signs her out without an ID token: Gatehouse asks first.
    let logout = format!(
        "{}?client_id={client_id}&post_logout_redirect_uri=http://{rp}/bye&state=later",
        app.url("/oauth/logout")
    );
    browser.goto(&logout).await;
    browser.shot("sign-out-question").await;
    let question = browser.text().await;
    assert!(question.contains("Wiki asks you to sign out.") && question.contains("Stay signed in"), "{question}");
    browser.press("Sign out").await;
    wait_for(&browser, rp, "/bye").await;
    browser.shot("back-at-the-application").await;
    assert!(browser.text().await.contains("state=later"));

    // Signed out, a sign-out request with no way back shows the page.
    browser.goto(&app.url("/oauth/logout")).await;
    browser.shot("signed-out-page").await;
    assert!(browser.text().await.contains("You have signed out."));
    browser.goto(&app.url("/settings/applications")).await;
    assert_eq!(browser.url().await.path(), "/login", "the session is gone");
    browser.close().await;
}

#[tokio::test]
async fn ui_locales_shows_the_openid_consent_and_sign_out_pages_in_chinese() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "openid profile email").await;
    let browser = Browser::start("oidc_chinese").await;
    sign_in(&app, &browser, &ann).await;

    let authorize = format!(
        "{}?client_id={}&response_type=code&scope=openid%20profile%20email&ui_locales=zh-CN",
        app.url("/oauth/authorize"),
        client.id()
    );
    browser.goto(&authorize).await;
    browser.shot("consent-zh").await;
    let consent = browser.text().await;
    assert!(consent.contains("用你的账号登录") && consent.contains("读取你的主邮箱地址"), "{consent}");

    browser.goto(&format!("{}?client_id={}&ui_locales=zh-CN", app.url("/oauth/logout"), client.id())).await;
    browser.shot("sign-out-question-zh").await;
    assert!(browser.text().await.contains("要退出 Gatehouse 吗？"));
    browser.press("退出").await;
    browser.shot("signed-out-zh").await;
    assert!(browser.text().await.contains("你已退出登录"));
    browser.close().await;
}
