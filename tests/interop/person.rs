//! A person at a browser: plain HTTP with a cookie jar that follows
//! redirects, fills in Gatehouse's sign-in form (Email, Password and its
//! hidden CSRF field) and presses Authorize on the consent page, as anyone
//! following docs/oidc.md does.

use url::Url;

use crate::gatehouse::{Account, Gatehouse};
use crate::helpers::{USER_AGENT, hidden_value};

/// Where a request ended after its redirects.
pub struct Page {
    pub url: Url,
    pub status: u16,
    pub body: String,
}

impl Page {
    /// Whether this is Gatehouse's sign-in form.
    pub fn is_sign_in(&self, gatehouse: &Gatehouse) -> bool {
        self.url.as_str().starts_with(&format!("{}/login", gatehouse.issuer))
            && self.body.contains(r#"name="password""#)
    }

    /// Whether this is Gatehouse's consent page.
    pub fn is_consent(&self, gatehouse: &Gatehouse) -> bool {
        self.url.as_str().starts_with(&format!("{}/oauth/authorize", gatehouse.issuer))
            && self.body.contains(r#"name="consent_id""#)
    }

    /// The authorization request that sent the browser to this sign-in page
    /// (its `return_to`), as the relying party built it.
    pub fn authorization_request(&self, gatehouse: &Gatehouse) -> Url {
        let return_to = hidden_value(&self.body, "return_to");
        Url::parse(&gatehouse.issuer).unwrap().join(&return_to).unwrap()
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}) at {}: {}", self.url, self.body))
    }
}

/// A browser with its own cookies.
pub struct Person {
    http: reqwest::Client,
}

impl Person {
    pub fn new() -> Person {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::limited(10))
            .user_agent(USER_AGENT)
            .build()
            .unwrap();
        Person { http }
    }

    /// Opens `url`.
    pub async fn visit(&self, url: &str) -> Page {
        page(self.http.get(url).send().await.unwrap()).await
    }

    /// Sends a form, as pressing a form's button does.
    pub async fn submit(&self, url: &str, form: &[(&str, String)]) -> Page {
        page(self.http.post(url).form(form).send().await.unwrap()).await
    }

    /// Fills in and sends the sign-in form of `sign_in`.
    pub async fn sign_in(&self, gatehouse: &Gatehouse, sign_in: &Page, email: &str, password: &str) -> Page {
        assert!(sign_in.is_sign_in(gatehouse), "not Gatehouse's sign-in page: {}\n{}", sign_in.url, sign_in.body);
        let form = [
            ("csrf_token", hidden_value(&sign_in.body, "csrf_token")),
            ("return_to", hidden_value(&sign_in.body, "return_to")),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        page(self.http.post(format!("{}/login", gatehouse.issuer)).form(&form).send().await.unwrap()).await
    }

    /// Signs `account` in on the sign-in page, then presses Authorize on the
    /// consent page; returns where the relying party sent the browser.
    pub async fn sign_in_and_authorize(&self, gatehouse: &Gatehouse, sign_in: &Page, account: &Account) -> Page {
        let consent = self.sign_in(gatehouse, sign_in, &account.email, &account.password).await;
        assert!(consent.is_consent(gatehouse), "not the consent page: {}\n{}", consent.url, consent.body);
        for scope in ["openid", "profile", "email"] {
            assert!(consent.body.contains(&format!("<code>{scope}</code>")), "consent lists {scope}");
        }
        let form = [
            ("consent_id", hidden_value(&consent.body, "consent_id")),
            ("csrf_token", hidden_value(&consent.body, "csrf_token")),
            ("decision", "authorize".to_owned()),
        ];
        page(self.http.post(format!("{}/oauth/authorize", gatehouse.issuer)).form(&form).send().await.unwrap()).await
    }
}

async fn page(response: reqwest::Response) -> Page {
    let url = response.url().clone();
    let status = response.status().as_u16();
    Page { url, status, body: response.text().await.unwrap() }
}
