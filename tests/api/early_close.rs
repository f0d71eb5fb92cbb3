//! Early answers close cleanly (SPEC §4, "Robustness"): a response sent
//! before the request body was read to its end carries `Connection: close`,
//! so a keep-alive client does not put back in its pool the connection
//! hyper is about to close. Without the header, about one request in five
//! after a refused large body failed with "connection closed before message
//! completed".

use crate::helpers::*;

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn a_refused_large_body_closes_its_connection_and_the_pool_keeps_working() {
    let app = TestApp::spawn().await;
    // One pooled keep-alive client for everything, as an SDK holds one.
    let client = reqwest::Client::builder().user_agent(USER_AGENT).build().unwrap();
    let big = format!("grant_type=password&junk={}", "a".repeat(1024 * 1024));

    // Several rounds: the old race lost about one time in five.
    for round in 0..5 {
        let response = client
            .post(app.url("/oauth/token"))
            .header("content-type", FORM)
            .body(big.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}, the large body: {e:?}"));
        assert!(matches!(response.status().as_u16(), 400 | 413), "round {round}: {}", response.status());
        assert_eq!(response.headers().get("connection").and_then(|v| v.to_str().ok()), Some("close"));
        response.bytes().await.unwrap();

        for i in 0..20 {
            let response = client
                .post(app.url("/oauth/token"))
                .header("content-type", FORM)
                .body("grant_type=password")
                .send()
                .await
                .unwrap_or_else(|e| panic!("round {round}, request {i} after the large body: {e:?}"));
            // Its body was read: the connection stays open for the next one.
            assert!(response.headers().get("connection").is_none(), "round {round}, request {i}");
            assert_oauth_error(response, 400, "invalid_request").await;
        }
    }
}

#[tokio::test]
async fn requests_whose_body_was_read_keep_their_connection() {
    let app = TestApp::spawn().await;

    let get = app.http.get(app.url("/healthz")).send().await.unwrap();
    let post = app.token(&[("grant_type", "password")]).await;

    assert!(get.headers().get("connection").is_none());
    assert!(post.headers().get("connection").is_none());
}

#[tokio::test]
async fn a_body_sent_where_none_is_read_closes_the_connection() {
    let app = TestApp::spawn().await;

    // Refused on its headers, before the body is looked at.
    let response = app
        .http
        .post(app.url("/oauth/token"))
        .header("x-junk", "a".repeat(20_000))
        .header("content-type", FORM)
        .body("grant_type=password")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 431);
    assert_eq!(response.headers()["connection"], "close");
}
