//! Replays the committed seed corpus (`tests/corpus/params/`, see its
//! README) against the running server: as form and JSON bodies to the token,
//! revocation, introspection, device authorization and UserInfo endpoints,
//! and as the query of the authorization, device and UserInfo endpoints. Nothing may be a 5xx. The suite runs on both
//! backends, so this is how the parser corpus meets PostgreSQL too.

use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::helpers::*;

/// Fewer seeds than this means the directory went missing or empty, and the
/// test would prove nothing.
const MIN_SEEDS: usize = 30;

/// Bytes kept as they are when a seed becomes a query string: the ones that
/// give it structure (`&`, `=`, `+`, `%`) and other harmless ones; every
/// other byte is percent-encoded, so the request line stays valid HTTP.
const QUERY_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'%')
    .remove(b'&')
    .remove(b'=')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b':')
    .remove(b'@')
    .remove(b',');

fn seeds(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files.into_iter().map(|path| (path.clone(), std::fs::read(&path).unwrap())).collect()
}

#[track_caller]
fn assert_not_5xx(response: &reqwest::Response, what: &str) {
    assert!(!response.status().is_server_error(), "{what}: {}", response.status());
}

/// Sends one seed everywhere it can go; `signed_in` is a browser with a
/// session and `csrf` its token, for the pages that need one.
async fn replay(app: &TestApp, signed_in: &reqwest::Client, csrf: &str, name: &str, seed: &[u8]) {
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/device/code", "/oauth/userinfo"] {
        for content_type in ["application/x-www-form-urlencoded", "application/json"] {
            let response = app
                .http
                .post(app.url(path))
                .header("content-type", content_type)
                .body(seed.to_vec())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name} to {path} as {content_type}: {e}"));
            assert_not_5xx(&response, &format!("{name} to {path} as {content_type}"));
        }
    }
    let query: String = percent_encoding::percent_encode(seed, QUERY_KEEP).collect();
    for path in ["/oauth/authorize", "/device", "/oauth/userinfo"] {
        let response = app
            .http
            .get(app.url(&format!("{path}?{query}")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} as the {path} query: {e}"));
        assert_not_5xx(&response, &format!("{name} as the {path} query"));
    }
    // The device page reads `user_code` from its query (signed in) and its form.
    let shown = signed_in.get(app.url(&format!("/device?{query}"))).send().await.unwrap();
    assert_not_5xx(&shown, &format!("{name} as the signed-in /device query"));
    let posted = signed_in
        .post(app.url(&format!("/device?csrf_token={csrf}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(seed.to_vec())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name} to /device: {e}"));
    assert_not_5xx(&posted, &format!("{name} as the /device form"));
}

#[tokio::test]
async fn the_committed_seed_corpus_gets_no_5xx() {
    let app = TestApp::spawn().await;
    let seeds = seeds(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/params"));
    assert!(seeds.len() >= MIN_SEEDS, "only {} seeds", seeds.len());
    let user = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &user).await;
    let page = browser.get(app.url("/device")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_value(&page, "csrf_token");

    for (path, seed) in &seeds {
        replay(&app, &browser, &csrf, &path.display().to_string(), seed).await;
    }
    replay_local_fuzz_corpus(&app).await;
}

/// cargo-fuzz's own corpus of the `params` target, when someone ran
/// `scripts/fuzz` on this machine (it is not committed, so the test cannot
/// rely on it): the first files, decoded as that target reads them (a kind
/// byte, then query `0xFF` body), sent to the token endpoint.
async fn replay_local_fuzz_corpus(app: &TestApp) {
    /// Enough to catch a regression without making the suite slow.
    const MAX_FILES: usize = 300;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/params");
    if !dir.is_dir() {
        return;
    }
    for (path, data) in seeds(&dir).into_iter().take(MAX_FILES) {
        let Some((&kind, rest)) = data.split_first() else { continue };
        let split = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
        let (query, body) = rest.split_at(split);
        let body = body.get(1..).unwrap_or_default();
        let query: String = percent_encoding::percent_encode(query, QUERY_KEEP).collect();
        let content_type = if kind % 4 == 1 { "application/json" } else { "application/x-www-form-urlencoded" };
        let response = app
            .http
            .post(app.url(&format!("/oauth/token?{query}")))
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_not_5xx(&response, &path.display().to_string());
    }
}

/// The same seeds as form and JSON bodies of `PATCH /api/v5/user`, under a
/// valid personal access token, so that they reach the profile's rules and
/// the store: nothing may be a 5xx, on either backend.
#[tokio::test]
async fn the_committed_seed_corpus_patching_the_profile_gets_no_5xx() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let request = gatehouse::domain::personal_token::PersonalTokenRequest::parse(
        "corpus",
        gatehouse::domain::scope::ScopeSet::parse("user_info").unwrap(),
        "none",
    )
    .unwrap();
    let addr = "127.0.0.1".parse().unwrap();
    let generated = gatehouse::accounts::personal_tokens::generate(&*app.store, ann.user.id, request, T0, addr).await;
    let token = generated.unwrap().unwrap().secret.expose().to_owned();
    let seeds = seeds(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/params"));

    for (path, seed) in &seeds {
        for content_type in ["application/x-www-form-urlencoded", "application/json"] {
            let response = app
                .http
                .patch(app.url("/api/v5/user"))
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(seed.clone())
                .send()
                .await
                .unwrap();
            assert_not_5xx(&response, &format!("{} as {content_type}", path.display()));
        }
    }
}
