//! Helpers of the account-page tests (profile, password, personal access
//! tokens, delete account): fetch a settings page, post its form with the
//! session's CSRF token, read what the database holds.

use gatehouse::domain::security_event::SecurityEventKind;
use sqlx::Connection as _;

use crate::helpers::*;

/// `GET path` in a signed-in browser, expecting 200; the page.
pub async fn settings_page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let response = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.text().await.unwrap()
}

/// Posts `fields` to `path` with the CSRF token of the page at `form_page`.
pub async fn post_form(
    app: &TestApp,
    browser: &reqwest::Client,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = hidden_value(&settings_page(app, browser, form_page).await, "csrf_token");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    form.extend_from_slice(fields);
    browser.post(app.url(path)).form(&form).send().await.unwrap()
}

/// A browser signed in as `user`.
pub async fn signed_in(app: &TestApp, user: &TestUser) -> reqwest::Client {
    let browser = app.browser();
    app.login_as(&browser, user).await;
    browser
}

/// Generates a personal access token through the page; its clear text.
pub async fn generate_token(
    app: &TestApp,
    browser: &reqwest::Client,
    description: &str,
    scopes: &[&str],
    expiration: &str,
) -> String {
    let boxes: Vec<String> = scopes.iter().map(|s| format!("scope_{s}")).collect();
    let mut fields = vec![("description", description), ("expiration", expiration)];
    fields.extend(boxes.iter().map(|b| (b.as_str(), "on")));
    let response = post_form(app, browser, "/settings/tokens", "/settings/tokens", &fields).await;
    assert_eq!(response.status(), 201, "the token is generated");
    let page = response.text().await.unwrap();
    let token = hidden_value_of_id(&page, "personal_token");
    assert!(token.starts_with("gpt_"), "{token}");
    token
}

/// The `value` of the input with `id` on a page.
#[track_caller]
pub fn hidden_value_of_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" class=\"secret\" readonly value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id} on page:\n{html}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The kinds in the user's log, newest first.
pub async fn logged(app: &TestApp, user: &TestUser) -> Vec<SecurityEventKind> {
    app.store.list_security_events(user.user.id, 100).await.unwrap().into_iter().map(|e| e.kind).collect()
}

/// One number the database answers to `sql` (a `count(*)`), read straight
/// from the database, past the store.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    let url = &app.database().url;
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut connection).await.unwrap()
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut connection).await.unwrap()
    }
}

/// Every text column of every personal token row, read straight from the
/// database.
pub async fn personal_token_texts(app: &TestApp) -> Vec<String> {
    const SQL: &str = "SELECT description || ' ' || scopes FROM personal_tokens";
    let url = &app.database().url;
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(SQL).fetch_all(&mut connection).await.unwrap()
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(SQL).fetch_all(&mut connection).await.unwrap()
    }
}

/// The stored hashes of every personal token.
pub async fn personal_token_hashes(app: &TestApp) -> Vec<Vec<u8>> {
    const SQL: &str = "SELECT token_hash FROM personal_tokens";
    let url = &app.database().url;
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(SQL).fetch_all(&mut connection).await.unwrap()
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(SQL).fetch_all(&mut connection).await.unwrap()
    }
}

/// `PATCH /api/v5/user` with a JSON body and `Authorization: Bearer`.
pub async fn patch_user(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
    app.http.patch(app.url("/api/v5/user")).bearer_auth(token).json(&body).send().await.unwrap()
}

/// A token of `user`'s from the password grant of a new application of
/// theirs, with `scope`.
pub async fn access_token(app: &TestApp, user: &TestUser, scope: &str) -> String {
    let client = app.register_client(user, "user_info emails projects").await;
    app.password_grant(user, &client, scope).await["access_token"].as_str().unwrap().to_owned()
}
