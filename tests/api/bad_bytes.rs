//! Bytes no backend can store (SPEC §4, "Robustness"): NUL, other control
//! characters and invalid UTF-8 in any parameter, header credential or path
//! are a 4xx on both backends — PostgreSQL refuses NUL in text, so before
//! the check these were 500s there.

use crate::helpers::*;

/// Bad values as they go on the wire: NUL alone and inside text, other C0
/// controls, DEL, a stray byte and an overlong encoding of `/`.
const BAD: [&str; 7] = ["%00", "ann%00%40example.com", "%01", "x%1By", "%7F", "%FF", "%C0%AF"];

/// The same as JSON strings (serde escapes them as `\u0000`, …).
const BAD_JSON: [&str; 4] = ["\u{0}", "ann\u{0}@example.com", "\u{1}", "\u{7f}"];

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `base` as a URL-encoded string with `name`'s value replaced by the
/// already-encoded `raw` (added when `base` lacks it).
fn with_raw(base: &[(&str, String)], name: &str, raw: &str) -> String {
    let mut pairs: Vec<String> =
        base.iter().filter(|(n, _)| *n != name).map(|(n, v)| format!("{n}={}", encode(v))).collect();
    pairs.push(format!("{name}={raw}"));
    pairs.join("&")
}

/// `base` as a JSON object, with `name` set to `value`.
fn json_with(base: &[(&str, String)], name: &str, value: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut json: serde_json::Map<String, serde_json::Value> =
        base.iter().map(|(n, v)| (n.to_string(), v.as_str().into())).collect();
    json.insert(name.to_owned(), value.into());
    json
}

/// A token request in which `name` plays its part, for `client`.
fn token_base(name: &str, client: &TestClient) -> Vec<(&'static str, String)> {
    let mut base = match name {
        "code" | "redirect_uri" | "state" => vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", "gco_abc".to_owned()),
            ("redirect_uri", CALLBACK.to_owned()),
        ],
        "refresh_token" | "scope" => vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", "grt_abc".to_owned()),
            ("scope", "user_info".to_owned()),
        ],
        _ => vec![
            ("grant_type", "password".to_owned()),
            ("username", "ann@example.com".to_owned()),
            ("password", PASSWORD.to_owned()),
        ],
    };
    base.push(("client_id", client.id().to_owned()));
    base.push(("client_secret", client.secret().to_owned()));
    base
}

const TOKEN_PARAMS: [&str; 9] =
    ["client_id", "client_secret", "redirect_uri", "state", "scope", "username", "password", "code", "refresh_token"];

#[tokio::test]
async fn bad_bytes_at_the_token_endpoint_are_invalid_request_in_form_query_and_json() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;

    for name in TOKEN_PARAMS {
        let base = token_base(name, &client);
        for raw in BAD {
            let body = with_raw(&base, name, raw);
            let form = app
                .http
                .post(app.url("/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let query = app.http.post(app.url(&format!("/oauth/token?{body}"))).send().await.unwrap();

            let description = assert_oauth_error(form, 400, "invalid_request").await;
            assert!(description["error_description"].as_str().unwrap().contains(name), "{name}={raw}: {description}");
            assert_oauth_error(query, 400, "invalid_request").await;
        }
        for bad in BAD_JSON {
            let json = json_with(&base, name, bad);
            let response = app.http.post(app.url("/oauth/token")).json(&json).send().await.unwrap();

            assert_oauth_error(response, 400, "invalid_request").await;
        }
    }
}

#[tokio::test]
async fn invalid_utf8_in_a_json_body_is_invalid_request() {
    let app = TestApp::spawn().await;

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/json")
        .body(&b"{\"grant_type\":\"password\",\"username\":\"a\xffb\"}"[..])
        .send()
        .await
        .unwrap();

    assert_oauth_error(response, 400, "invalid_request").await;
}

#[tokio::test]
async fn bad_bytes_at_revoke_and_introspect_are_invalid_request() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let base = vec![
        ("token", "gat_abc".to_owned()),
        ("client_id", client.id().to_owned()),
        ("client_secret", client.secret().to_owned()),
    ];

    for path in ["/oauth/revoke", "/oauth/introspect"] {
        for name in ["token", "client_id", "client_secret", "token_type_hint"] {
            for raw in BAD {
                let response = app
                    .http
                    .post(app.url(path))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(with_raw(&base, name, raw))
                    .send()
                    .await
                    .unwrap();

                assert_oauth_error(response, 400, "invalid_request").await;
            }
            let json = json_with(&base, name, "a\u{0}");
            let response = app.http.post(app.url(path)).json(&json).send().await.unwrap();

            assert_oauth_error(response, 400, "invalid_request").await;
        }
    }
}

#[tokio::test]
async fn bad_bytes_in_http_basic_credentials_are_invalid_request() {
    use base64::Engine as _;
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let (id, secret) = (client.id(), client.secret());
    let credentials: Vec<Vec<u8>> = vec![
        format!("{id}%00:{secret}").into_bytes(),
        format!("{id}:{secret}%00").into_bytes(),
        format!("{id}:%FF").into_bytes(),
        format!("{id}:%01{secret}").into_bytes(),
        [id.as_bytes(), b"\0:", secret.as_bytes()].concat(),
        [id.as_bytes(), b":\xff"].concat(),
    ];

    for raw in credentials {
        let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(&raw));
        for (path, form) in [
            ("/oauth/token", [("grant_type", "client_credentials")]),
            ("/oauth/revoke", [("token", "gat_abc")]),
            ("/oauth/introspect", [("token", "gat_abc")]),
        ] {
            let response =
                app.http.post(app.url(path)).header("authorization", &header).form(&form).send().await.unwrap();

            assert_oauth_error(response, 400, "invalid_request").await;
        }
    }
}

#[tokio::test]
async fn bad_bytes_at_authorize_are_an_error_page_never_a_redirect() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let base = [
        ("client_id", client.id().to_owned()),
        ("redirect_uri", CALLBACK.to_owned()),
        ("response_type", "code".to_owned()),
        ("scope", "user_info".to_owned()),
        ("state", "xyz".to_owned()),
    ];
    let signed_in = app.browser();
    app.login_as(&signed_in, &ann).await;

    for browser in [app.browser(), signed_in] {
        for name in ["client_id", "redirect_uri", "state", "scope", "response_type", "code_challenge"] {
            for raw in BAD {
                let query = with_raw(&base, name, raw);
                let response = browser.get(app.url(&format!("/oauth/authorize?{query}"))).send().await.unwrap();

                assert_eq!(response.status(), 400, "{query}");
                assert!(response.headers().get("location").is_none(), "{query}");
                assert!(response.text().await.unwrap().contains("control character"), "{query}");
            }
        }
    }
}

#[tokio::test]
async fn bad_bytes_in_the_sign_in_and_sign_up_forms_show_the_form_again_with_its_message() {
    let app = TestApp::spawn().await;
    app.create_user("ann").await;

    for (path, base) in [
        ("/login", vec![("email", "ann@example.com".to_owned()), ("password", PASSWORD.to_owned())]),
        (
            "/signup",
            vec![
                ("email", "bob@example.com".to_owned()),
                ("username", "bob".to_owned()),
                ("password", PASSWORD.to_owned()),
            ],
        ),
    ] {
        let browser = app.browser();
        let page = browser.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        let mut base = base.clone();
        base.push(("csrf_token", hidden_value(&page, "csrf_token")));
        for (name, _) in base.iter().filter(|(n, _)| *n != "csrf_token") {
            for raw in BAD {
                let response = browser
                    .post(app.url(path))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(with_raw(&base, name, raw))
                    .send()
                    .await
                    .unwrap();

                assert_eq!(response.status(), 400, "{path} {name}={raw}");
                let page = response.text().await.unwrap();
                assert!(page.contains("cannot be accepted"), "the form's message: {path} {name}={raw}");
                assert!(page.contains("name=\"csrf_token\""), "the form itself, ready to send again: {path}");
            }
        }
    }
}

#[tokio::test]
async fn bad_bytes_in_a_path_are_a_400_page() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let signed_in = app.browser();
    app.login_as(&signed_in, &ann).await;

    for browser in [app.browser(), signed_in] {
        for path in [
            "/settings/applications/%00",
            "/settings/applications/a%00b",
            "/settings/applications/%FF",
            "/settings/applications/%C0%AF/edit",
            "/settings/applications/%01/delete",
            "/language/%00",
            "/api/v5/user%00",
        ] {
            let response = browser.get(app.url(path)).send().await.unwrap();

            assert_eq!(response.status(), 400, "{path}");
        }
        let post = browser.post(app.url("/settings/authorized/%00/revoke")).form(&[("a", "b")]).send().await.unwrap();
        assert_eq!(post.status(), 400);
    }
}

#[tokio::test]
async fn a_bad_access_token_in_the_query_is_an_invalid_token() {
    let app = TestApp::spawn().await;

    for raw in BAD {
        let response = app.http.get(app.url(&format!("/api/v5/user?access_token={raw}"))).send().await.unwrap();

        assert_eq!(response.status(), 401, "{raw}");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }
}
