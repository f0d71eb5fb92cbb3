//! Sign-in, sign-up and sign-out over HTTP: labels of SPEC §2, sessions and
//! return addresses of SPEC §4, security headers of SPEC §3.

use crate::helpers::*;

async fn login_page(app: &TestApp, browser: &reqwest::Client) -> String {
    browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn the_sign_in_form_has_the_contract_labels_and_security_headers() {
    let app = TestApp::spawn().await;

    let response = app.browser().get(app.url("/login")).send().await.unwrap();

    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<label for="email">Email</label>"#));
    assert!(page.contains(r#"<label for="password">Password</label>"#));
    assert!(page.contains(">Sign in</button>"));
}

#[tokio::test]
async fn session_fixation_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    let page = login_page(&app, &browser).await;

    let response = browser
        .post(app.url("/login"))
        .header(
            "cookie",
            format!("gatehouse_session=gss_planted; gatehouse_csrf={}", hidden_value(&page, "csrf_token")),
        )
        .form(&[
            ("email", ann.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &hidden_value(&page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gatehouse_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http issuer: {cookie}");
    assert!(!cookie.contains("gss_planted"));
    let planted = app.http.get(app.url("/")).header("cookie", "gatehouse_session=gss_planted").send().await.unwrap();
    assert!(!planted.text().await.unwrap().contains("Signed in as"));
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_an_https_issuer() {
    let app = TestApp::spawn_with(|s| s.issuer = Some("https://auth.example.com".into())).await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    let page = login_page(&app, &browser).await;

    let response = browser
        .post(app.url("/login"))
        .form(&[
            ("email", ann.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &hidden_value(&page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();

    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("gatehouse_session=") && c.contains("Secure")), "{cookies:?}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_page() {
    let app = TestApp::spawn().await;
    app.create_user("ann").await;
    let browser = app.browser();
    let page = login_page(&app, &browser).await;
    let csrf = hidden_value(&page, "csrf_token");
    let attempt = |email: &'static str, password: &'static str| {
        let form = [("email", email), ("password", password), ("csrf_token", csrf.as_str())];
        let request = browser.post(app.url("/login")).form(&form);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap().replace(email, "EMAIL"))
        }
    };

    let wrong_password = attempt("ann@example.com", "wrong password").await;
    let unknown_email = attempt("zed@example.com", PASSWORD).await;

    assert_eq!(wrong_password.0, 401);
    assert!(wrong_password.1.contains("Incorrect email or password"));
    assert_eq!(wrong_password, unknown_email);
}

#[tokio::test]
async fn a_sign_in_form_without_its_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    login_page(&app, &browser).await;

    let response = browser
        .post(app.url("/login"))
        .form(&[("email", ann.email.as_str()), ("password", PASSWORD), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn open_redirect_after_sign_in_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;

    for evil in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"] {
        let browser = app.browser();
        let page = login_page(&app, &browser).await;
        let response = browser
            .post(app.url("/login"))
            .form(&[
                ("email", ann.email.as_str()),
                ("password", PASSWORD),
                ("csrf_token", &hidden_value(&page, "csrf_token")),
                ("return_to", evil),
            ])
            .send()
            .await
            .unwrap();

        assert_eq!(response.headers()["location"], "/", "{evil}");
    }
}

#[tokio::test]
async fn sign_up_has_the_contract_labels_creates_the_account_and_signs_in() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let page = browser.get(app.url("/signup")).send().await.unwrap().text().await.unwrap();
    for label in ["Email", "Username", "Password"] {
        assert!(page.contains(&format!(">{label}</label>")), "{label}");
    }
    assert!(page.contains(">Sign up</button>"));

    let response = browser
        .post(app.url("/signup"))
        .form(&[
            ("email", "new@example.com"),
            ("username", "newbie"),
            ("password", "a fine password"),
            ("csrf_token", &hidden_value(&page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Signed in as <strong>newbie</strong>"));
}

#[tokio::test]
async fn sign_up_errors_name_the_field_and_keep_what_was_typed() {
    let app = TestApp::spawn().await;
    app.create_user("taken").await;
    let browser = app.browser();
    let page = browser.get(app.url("/signup")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_value(&page, "csrf_token");

    let response = browser
        .post(app.url("/signup"))
        .form(&[
            ("email", "x@example.com"),
            ("username", "taken"),
            ("password", "a fine password"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("This username is taken"));
    assert!(page.contains(r#"value="x@example.com""#));
    assert!(!page.contains("a fine password"));
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Signed in as"));

    let response = browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", hidden_value(&home, "csrf_token"))])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains("Signed in as"));
}

#[tokio::test]
async fn stored_xss_in_application_name_escaped() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let form = gatehouse::apps::ApplicationForm {
        name: "<script>alert(1)</script>".into(),
        homepage: String::new(),
        description: String::new(),
        redirect_uris: vec![CALLBACK.into()],
        scopes: "user_info".into(),
        public: false,
        id_token_alg: String::new(),
        post_logout_redirect_uris: vec![],
    };
    let client = gatehouse::apps::register(&*app.store, ann.user.id, &form, false, T0).await.unwrap().client;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let page = app
        .authorize(
            &browser,
            &[("client_id", client.client_id.as_str()), ("redirect_uri", CALLBACK), ("response_type", "code")],
        )
        .await
        .text()
        .await
        .unwrap();

    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"), "{page}");
}

#[tokio::test]
async fn sessions_survive_a_server_restart() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let app = app.restart().await;

    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Signed in as"), "{home}");
}

#[tokio::test]
async fn error_pages_speak_the_requested_language_and_keep_their_headers() {
    let app = TestApp::spawn().await;

    let english = app.browser().get(app.url("/no/such/page")).send().await.unwrap();
    let chinese =
        app.browser().get(app.url("/no/such/page")).header("accept-language", "zh-CN,zh;q=0.9").send().await.unwrap();

    assert_eq!(english.status(), 404);
    assert!(english.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(english.headers().contains_key("x-request-id"));
    assert!(english.text().await.unwrap().contains("This page does not exist."));
    assert_eq!(chinese.status(), 404);
    assert_eq!(chinese.headers()["x-frame-options"], "DENY");
    let page = chinese.text().await.unwrap();
    assert!(
        page.contains("lang=\"zh-CN\"") && page.contains("页面不存在") && page.contains("此页面不存在。"),
        "{page}"
    );
}
