//! The test harness: a real server on a random port against a fresh
//! database, with a fixed clock, plus helpers that speak the protocol.
//!
//! The backend is chosen by `GATEHOUSE_TEST_BACKEND`: `sqlite` (the default)
//! gives every test a SQLite file in a temporary directory; `postgres` gives
//! every test a uniquely named database on the server `TEST_DATABASE_URL`
//! names (`scripts/test` starts a throwaway one).

use std::sync::Arc;

use gatehouse::accounts;
use gatehouse::apps::{self, ApplicationForm};
use gatehouse::clock::FixedClock;
use gatehouse::config::Settings;
use gatehouse::domain::client::Client;
use gatehouse::domain::user::User;
use gatehouse::startup::App;
use gatehouse::state::AppState;
use gatehouse::store::Store;
use reqwest::header::LOCATION;
use sqlx::Connection as _;
use tempfile::TempDir;
use tokio::sync::oneshot;
use url::Url;

/// The clock's start: a fixed, realistic moment.
pub const T0: i64 = 1_795_000_000;
/// The default test password.
pub const PASSWORD: &str = "correct horse battery";
/// The default callback.
pub const CALLBACK: &str = "https://client.example.com/callback";
/// What clients say they are.
pub const USER_AGENT: &str = "gatehouse-tests/1.0";

/// A running server and what a test needs to drive it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// A client with no cookies that does not follow redirects.
    pub http: reqwest::Client,
    /// The server's store.
    pub store: Arc<dyn Store>,
    /// The server's clock.
    pub clock: Arc<FixedClock>,
    /// The server's state.
    pub state: AppState,
    /// `http://127.0.0.1:PORT/metrics` when the settings set `metrics_listen`.
    pub metrics_url: Option<String>,
    /// The database (kept alive for the test's duration).
    _database: TestDatabase,
    /// Where mail goes on PostgreSQL, whose default (`./mail`) is no
    /// test's own; on SQLite mail goes beside the database file.
    _mail_dir: Option<TempDir>,
    _shutdown: oneshot::Sender<()>,
}

/// Which database this pass of the suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// From `GATEHOUSE_TEST_BACKEND` (`sqlite` when unset).
    pub fn current() -> Backend {
        match std::env::var("GATEHOUSE_TEST_BACKEND").as_deref() {
            Ok("postgres" | "postgresql" | "pg") => Backend::Postgres,
            Ok("sqlite") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("GATEHOUSE_TEST_BACKEND={other}: expected sqlite or postgres"),
        }
    }
}

/// A fresh, empty database for one test (not yet migrated).
pub struct TestDatabase {
    /// What `--database-url` takes.
    pub url: String,
    /// The SQLite file's directory, removed on drop.
    pub dir: Option<TempDir>,
}

impl TestDatabase {
    /// On the current pass's backend.
    pub async fn create() -> TestDatabase {
        match Backend::current() {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres().await,
        }
    }

    /// A SQLite file `gatehouse.db` in a new temporary directory.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("gatehouse.db").display());
        TestDatabase { url, dir: Some(dir) }
    }

    /// A new database on the PostgreSQL server of `TEST_DATABASE_URL`, named
    /// uniquely so tests run in parallel without sharing anything. Databases
    /// are left for the throwaway server's removal.
    pub async fn postgres() -> TestDatabase {
        let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
            panic!("TEST_DATABASE_URL is not set: run scripts/test, which starts a throwaway PostgreSQL")
        });
        let name = format!("gatehouse_test_{}", uuid::Uuid::now_v7().simple());
        let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut connection).await.unwrap();
        connection.close().await.unwrap();
        let mut url = Url::parse(&admin).unwrap();
        url.set_path(&name);
        TestDatabase { url: url.to_string(), dir: None }
    }
}

/// A user with the password they were created with.
pub struct TestUser {
    pub user: User,
    pub email: String,
    pub password: String,
}

/// A registered application with its secret in the clear.
pub struct TestClient {
    pub client: Client,
    pub secret: Option<String>,
}

impl TestClient {
    pub fn id(&self) -> &str {
        &self.client.client_id
    }

    pub fn secret(&self) -> &str {
        self.secret.as_deref().expect("confidential client")
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::spawn_on(TestDatabase::create().await, configure).await
    }

    /// A server on a database the test made itself.
    pub async fn spawn_on(database: TestDatabase, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: gatehouse::config::DatabaseUrl::new(&database.url),
            ..Settings::default()
        };
        let mail_dir = database.dir.is_none().then(|| tempfile::tempdir().unwrap());
        settings.mail.dir = mail_dir.as_ref().map(|dir| dir.path().to_owned());
        configure(&mut settings);
        let clock = Arc::new(FixedClock::new(T0));
        let app = App::build_with_clock(settings, clock.clone()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let metrics_url = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}/metrics"));
        let state = app.state();
        let store = app.store();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        TestApp {
            base,
            http: client(false),
            store,
            clock,
            state,
            metrics_url,
            _database: database,
            _mail_dir: mail_dir,
            _shutdown: tx,
        }
    }

    /// The database this server runs on.
    pub fn database(&self) -> &TestDatabase {
        &self._database
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops this server and starts a new one on the same database, as an
    /// operator's restart would (on a new port).
    pub async fn restart(self) -> TestApp {
        let TestApp { state, clock, _database, _mail_dir, _shutdown, .. } = self;
        drop(_shutdown);
        let settings = Settings { listen: "127.0.0.1:0".parse().unwrap(), issuer: None, ..(*state.settings).clone() };
        let app = App::build_with_clock(settings, clock.clone()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (state, store) = (app.state(), app.store());
        let metrics_url = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}/metrics"));
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        TestApp { base, http: client(false), store, clock, state, metrics_url, _database, _mail_dir, _shutdown: tx }
    }

    /// A browser: its own cookie jar, redirects not followed.
    pub fn browser(&self) -> reqwest::Client {
        client(true)
    }

    pub async fn create_user(&self, login: &str) -> TestUser {
        let email = format!("{login}@example.com");
        let user = accounts::sign_up(&*self.store, &self.state.hasher, &email, login, PASSWORD, T0).await.unwrap();
        TestUser { user, email, password: PASSWORD.to_owned() }
    }

    pub async fn register_client(&self, owner: &TestUser, scopes: &str) -> TestClient {
        self.register_client_with(owner, scopes, &[CALLBACK], false).await
    }

    pub async fn register_client_with(
        &self,
        owner: &TestUser,
        scopes: &str,
        redirect_uris: &[&str],
        public: bool,
    ) -> TestClient {
        let form = ApplicationForm {
            name: "Test App".into(),
            homepage: "https://client.example.com".into(),
            description: "An application under test".into(),
            redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
            scopes: scopes.into(),
            public,
            id_token_alg: String::new(),
            post_logout_redirect_uris: vec![],
        };
        let registered = apps::register(&*self.store, owner.user.id, &form, false, T0).await.unwrap();
        TestClient { client: registered.client, secret: registered.secret.map(|s| s.expose().to_owned()) }
    }

    /// Signs `user` in with the real form.
    pub async fn login_as(&self, browser: &reqwest::Client, user: &TestUser) {
        let response = self.sign_in_attempt(browser, &user.email, &user.password).await;
        assert_eq!(response.status(), 303, "sign-in failed");
    }

    /// Fetches the sign-in form and posts `email` and `password` with its CSRF token.
    pub async fn sign_in_attempt(&self, browser: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        let page = browser.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_value(&page, "csrf_token");
        browser
            .post(self.url("/login"))
            .form(&[("email", email), ("password", password), ("csrf_token", &csrf)])
            .send()
            .await
            .unwrap()
    }

    /// A password-grant request for `email` through `client`, not yet sent (for bursts).
    pub fn password_request(&self, client: &TestClient, email: &str, password: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url("/oauth/token")).form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ])
    }

    /// A password grant for `email` through `client`, sent.
    pub async fn password_attempt(&self, client: &TestClient, email: &str, password: &str) -> reqwest::Response {
        self.password_request(client, email, password).send().await.unwrap()
    }

    /// `GET /oauth/authorize` with `params`.
    pub async fn authorize(&self, browser: &reqwest::Client, params: &[(&str, &str)]) -> reqwest::Response {
        browser.get(self.url("/oauth/authorize")).query(params).send().await.unwrap()
    }

    /// Posts the consent form of `consent_page` with `decision`.
    pub async fn decide(&self, browser: &reqwest::Client, consent_page: &str, decision: &str) -> reqwest::Response {
        let form = [
            ("consent_id", hidden_value(consent_page, "consent_id")),
            ("csrf_token", hidden_value(consent_page, "csrf_token")),
            ("decision", decision.to_owned()),
        ];
        browser.post(self.url("/oauth/authorize")).form(&form).send().await.unwrap()
    }

    /// Runs the browser side of the code flow through consent; returns the
    /// callback URL the browser was sent to.
    pub async fn authorize_and_approve(&self, browser: &reqwest::Client, params: &[(&str, &str)]) -> Url {
        let response = self.authorize(browser, params).await;
        if response.status() == 302 {
            return location(&response);
        }
        assert_eq!(response.status(), 200, "expected the consent page");
        let page = response.text().await.unwrap();
        let response = self.decide(browser, &page, "authorize").await;
        assert_eq!(response.status(), 303);
        location(&response)
    }

    /// A signed-in user's code for `client` with `scope`.
    pub async fn code_for(&self, user: &TestUser, client: &TestClient, scope: &str) -> String {
        let browser = self.browser();
        self.login_as(&browser, user).await;
        let callback = self
            .authorize_and_approve(
                &browser,
                &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code"), ("scope", scope)],
            )
            .await;
        query_value(&callback, "code").expect("code in callback")
    }

    /// `POST /oauth/token` with a form body.
    pub async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url("/oauth/token")).form(form).send().await.unwrap()
    }

    /// Sends `count` token requests with `form` all at once; their statuses, sorted.
    pub async fn token_statuses_at_once(&self, form: &[(&str, &str)], count: usize) -> Vec<u16> {
        let requests: Vec<_> =
            (0..count).map(|_| tokio::spawn(self.http.post(self.url("/oauth/token")).form(form).send())).collect();
        let mut statuses = Vec::new();
        for request in requests {
            statuses.push(request.await.unwrap().unwrap().status().as_u16());
        }
        statuses.sort_unstable();
        statuses
    }

    /// Exchanges `code` for `client` (with its secret), sending `redirect_uri`
    /// when given, plus `extra` parameters.
    pub async fn exchange_code(
        &self,
        client: &TestClient,
        code: &str,
        redirect_uri: Option<&str>,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ];
        form.extend(redirect_uri.map(|uri| ("redirect_uri", uri)));
        form.extend_from_slice(extra);
        self.token(&form).await
    }

    /// Password grant for `user` through `client`; the token response as JSON.
    pub async fn password_grant(&self, user: &TestUser, client: &TestClient, scope: &str) -> serde_json::Value {
        let response = self
            .token(&[
                ("grant_type", "password"),
                ("username", &user.email),
                ("password", &user.password),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("scope", scope),
            ])
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `GET path` with `Authorization: Bearer token`.
    pub async fn api_get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }
}

fn client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(cookies)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .unwrap()
}

/// The `value` of `<input … name="NAME" value="…">` on a page.
#[track_caller]
pub fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} on page:\n{html}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

/// Undoes the HTML escaping of an attribute value, as a browser would.
fn unescape(value: &str) -> String {
    [
        ("&#38;", "&"),
        ("&amp;", "&"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
    ]
    .iter()
    .fold(value.to_owned(), |acc, (entity, plain)| acc.replace(entity, plain))
}

/// The `Location` header as a URL, resolved against the request's.
#[track_caller]
pub fn location(response: &reqwest::Response) -> Url {
    let value = response.headers().get(LOCATION).expect("a Location header").to_str().unwrap();
    response.url().join(value).unwrap()
}

/// A query parameter of a URL.
pub fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The claims of a JWT (an ID token), read without checking its signature
/// (`oidc.rs` verifies them as a relying party does).
#[track_caller]
pub fn unverified_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("a JWS in compact form");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Asserts an RFC 6749 §5.2 error body with `code`.
pub async fn assert_oauth_error(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status(), status, "status");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    body
}
