//! Shared steps of the mail tests: sign up through the form, use the
//! settings' email forms, follow a mailed link as a person would (the link's
//! page, then its button).

use gatehouse::domain::email::EmailAddress;
use gatehouse::domain::security_event::SecurityEventKind;

use crate::helpers::*;
use crate::mailbox::Mail;

/// Signs up through the form as `login` (`login@example.com`), in `lang`
/// (`Accept-Language`); the browser is then signed in.
pub async fn sign_up(app: &TestApp, browser: &reqwest::Client, login: &str, lang: &str) -> TestUser {
    let email = format!("{login}@example.com");
    let page = browser.get(app.url("/signup")).header("accept-language", lang).send().await.unwrap();
    let csrf = hidden_value(&page.text().await.unwrap(), "csrf_token");
    let response = browser
        .post(app.url("/signup"))
        .header("accept-language", lang)
        .form(&[("email", email.as_str()), ("username", login), ("password", PASSWORD), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "signed up");
    let user = app.store.find_user_credentials(&email).await.unwrap().unwrap().user;
    TestUser { user, email, password: PASSWORD.to_owned() }
}

/// A browser whose every request asks for `lang` (`Accept-Language`).
pub fn browser_in(lang: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept-language", lang.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The signed-in user's page at `path` (200).
pub async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let response = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// Posts `form` to `action` with the session's CSRF token from the emails page.
pub async fn post_with_csrf(
    app: &TestApp,
    browser: &reqwest::Client,
    action: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = hidden_value(&page(app, browser, "/settings/emails").await, "csrf_token");
    let mut fields = vec![("csrf_token", csrf.as_str())];
    fields.extend_from_slice(form);
    browser.post(app.url(action)).form(&fields).send().await.unwrap()
}

/// Adds `email` on the emails page.
pub async fn add_email(app: &TestApp, browser: &reqwest::Client, email: &str) -> reqwest::Response {
    post_with_csrf(app, browser, "/settings/emails", &[("email", email)]).await
}

/// The account's addresses as stored.
pub async fn addresses(app: &TestApp, user: &TestUser) -> Vec<EmailAddress> {
    app.store.list_emails(user.user.id).await.unwrap()
}

/// The id of the account's address `email`, as the page's forms name it.
pub async fn address_id(app: &TestApp, user: &TestUser, email: &str) -> String {
    let found = addresses(app, user).await.into_iter().find(|a| a.email == email);
    found.unwrap_or_else(|| panic!("{email} is not {}'s", user.user.login)).id.to_string()
}

/// Opens a mailed link (its page, 200), then presses its one button (the
/// page's form with its hidden fields, plus `extra`); the button's answer.
pub async fn follow(
    app: &TestApp,
    browser: &reqwest::Client,
    mail: &Mail,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let link = mail.link_on(app);
    let opened = browser.get(app.url(&link)).send().await.unwrap();
    assert_eq!(opened.status(), 200, "the link's page opens: {link}");
    let page = opened.text().await.unwrap();
    let action = form_action(&page);
    let mut form = vec![("csrf_token", form_csrf(&page)), ("token", hidden_value(&page, "token"))];
    form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    browser.post(app.url(&action)).form(&form).send().await.unwrap()
}

/// The CSRF token of the page's own form: its last one (a signed-in page's
/// header has the sign-out form first, with the session's token).
pub fn form_csrf(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.rfind(marker).unwrap() + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The `action` of the page's last form (the page's own, after the header's).
fn form_action(page: &str) -> String {
    let start = page.rfind("<form method=\"post\" action=\"").unwrap() + "<form method=\"post\" action=\"".len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The kinds in the user's security log, oldest first.
pub async fn logged(app: &TestApp, user: &TestUser) -> Vec<SecurityEventKind> {
    let mut kinds: Vec<_> =
        app.store.list_security_events(user.user.id, 100).await.unwrap().into_iter().map(|e| e.kind).collect();
    kinds.reverse();
    kinds
}

/// The mails sent to `address`.
pub fn to(mails: &[Mail], address: &str) -> Vec<Mail> {
    mails.iter().filter(|m| m.to == address).cloned().collect()
}
