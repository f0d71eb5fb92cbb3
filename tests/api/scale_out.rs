//! Scale-out on PostgreSQL (issue 5): several real `gatehouse serve`
//! processes on one database, no sticky sessions. The seed's flows alternate
//! between instances; one code or refresh token spent at two instances at
//! once wins exactly once; an instance killed with SIGKILL mid-load leaves
//! every token it handed out working and nothing half-written.
//!
//! These tests need PostgreSQL whatever the pass: `scripts/test` runs them in
//! its PostgreSQL pass (and skips them by name in the SQLite pass).

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gatehouse::clock::{Clock as _, SystemClock};
use gatehouse::domain::scope::ScopeSet;
use gatehouse::domain::token::{FamilyId, PlainSecret, SecretKind};
use gatehouse::store::{self, BoundRequest, NewTokens, PoolSettings, Store};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Mutex;

use crate::helpers::{CALLBACK, TestDatabase, USER_AGENT, hidden_value, location, query_value};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");
const PASSWORD: &str = "correct horse battery";
/// Cheap password hashing for load tests, set the way an operator would.
const ARGON2: [&str; 4] = ["--argon2-memory-kib", "1024", "--argon2-iterations", "1"];

/// One `gatehouse serve` process.
struct Instance {
    child: tokio::process::Child,
    base: String,
    logs: Arc<Mutex<String>>,
}

impl Instance {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Starts `count` instances at once on `db` (so their migrations race) and
/// waits until each logs that it is listening.
async fn start_instances(db: &str, count: usize) -> Vec<Instance> {
    let starting: Vec<_> = (0..count).map(|_| tokio::spawn(start_instance(db.to_owned()))).collect();
    let mut instances = Vec::new();
    for handle in starting {
        instances.push(handle.await.unwrap());
    }
    instances
}

async fn start_instance(db: String) -> Instance {
    let mut child = tokio::process::Command::new(BIN)
        .args(["--database-url", &db, "serve", "--listen", "127.0.0.1:0"])
        .args(ARGON2)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let port = loop {
        let Some(line) = lines.next_line().await.unwrap() else {
            let mut stderr = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).await.unwrap();
            panic!("gatehouse exited before listening:\n{seen}\n{stderr}");
        };
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("gatehouse is listening") {
            let digits: String = line.split("port=").nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
            break digits.parse::<u16>().unwrap();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    let logs = Arc::new(Mutex::new(seen));
    let sink = Arc::clone(&logs);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut logs = sink.lock().await;
            logs.push_str(&line);
            logs.push('\n');
        }
    });
    Instance { child, base: format!("http://127.0.0.1:{port}"), logs }
}

fn cli_json(db: &str, args: &[&str]) -> serde_json::Value {
    let output = std::process::Command::new(BIN).arg("--database-url").arg(db).args(args).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A user `ann` and an application with `user_info projects`, created with the CLI.
fn seed_user_and_app(db: &str) -> (String, String) {
    seed_user_and_app_with(db, "user_info projects")
}

/// A user `ann` and an application with `scopes`, created with the CLI.
fn seed_user_and_app_with(db: &str, scopes: &str) -> (String, String) {
    let mut user = vec!["user", "create", "--email", "ann@example.com", "--name", "ann", "--password", PASSWORD];
    user.extend(ARGON2);
    user.push("--json");
    cli_json(db, &user);
    let app = cli_json(
        db,
        &[
            "app",
            "create",
            "--owner",
            "ann@example.com",
            "--name",
            "Scaled",
            "--redirect-uri",
            CALLBACK,
            "--scopes",
            scopes,
            "--json",
        ],
    );
    (app["client_id"].as_str().unwrap().to_owned(), app["client_secret"].as_str().unwrap().to_owned())
}

fn http(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(cookies)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .unwrap()
}

/// Signs in: the form comes from `first`, the answer goes to `second`.
async fn sign_in(browser: &reqwest::Client, first: &Instance, second: &Instance) {
    let page = browser.get(first.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_value(&page, "csrf_token");
    let response = browser
        .post(second.url("/login"))
        .form(&[("email", "ann@example.com"), ("password", PASSWORD), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "sign-in across instances");
}

/// The consent page from `first`, approved at `second`; returns the code.
async fn code_via(browser: &reqwest::Client, client_id: &str, first: &Instance, second: &Instance) -> String {
    let params = [
        ("client_id", client_id),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "user_info projects"),
        ("state", "s1"),
    ];
    let response = browser.get(first.url("/oauth/authorize")).query(&params).send().await.unwrap();
    let callback = if response.status() == 302 {
        location(&response)
    } else {
        assert_eq!(response.status(), 200, "consent page");
        let page = response.text().await.unwrap();
        let form = [
            ("consent_id", hidden_value(&page, "consent_id")),
            ("csrf_token", hidden_value(&page, "csrf_token")),
            ("decision", "authorize".to_owned()),
        ];
        let response = browser.post(second.url("/oauth/authorize")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 303, "consent posted to another instance");
        location(&response)
    };
    assert_eq!(query_value(&callback, "state").as_deref(), Some("s1"));
    query_value(&callback, "code").unwrap()
}

async fn exchange(at: &Instance, code: &str, client_id: &str, secret: &str) -> reqwest::Response {
    http(false)
        .post(at.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("client_secret", secret),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap()
}

async fn refresh(at: &Instance, refresh_token: &str) -> reqwest::Response {
    // As the seed shows it: in the query string, without client credentials.
    http(false)
        .post(at.url("/oauth/token"))
        .query(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
        .send()
        .await
        .unwrap()
}

async fn password_grant(at: &Instance, client_id: &str, secret: &str) -> Result<reqwest::Response, reqwest::Error> {
    password_grant_as(at, "ann@example.com", client_id, secret).await
}

/// The password grant for `email` (whose password is [`PASSWORD`]).
async fn password_grant_as(
    at: &Instance,
    email: &str,
    client_id: &str,
    secret: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    http(false)
        .post(at.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", PASSWORD),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", "user_info projects"),
        ])
        .send()
        .await
}

async fn api_status(at: &Instance, token: &str) -> u16 {
    http(false).get(at.url("/api/v5/user")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

async fn json(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn text(value: &serde_json::Value) -> &str {
    value.as_str().unwrap()
}

// SPEC §5 "Keys": "created on first start and stored in the database, so
// every instance signs with the same keys". Two instances starting at once
// on a fresh database agree on one key per algorithm: the same JWKS, and an
// ID token from either verifies with the other's.
#[tokio::test]
async fn instances_starting_at_once_on_a_fresh_database_sign_with_the_same_keys() {
    use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
    use openidconnect::{ClientId, ClientSecret, IssuerUrl, Nonce};

    let database = TestDatabase::postgres().await;
    let instances = start_instances(&database.url, 2).await;
    let (client_id, secret) = seed_user_and_app_with(&database.url, "openid");
    let form = [
        ("grant_type", "password"),
        ("username", "ann@example.com"),
        ("password", PASSWORD),
        ("client_id", &client_id),
        ("client_secret", &secret),
        ("scope", "openid"),
    ];
    // Signed before either serves its JWKS (which would make it reload its keys).
    let mut id_tokens = vec![];
    for at in &instances {
        let granted = json(http(false).post(at.url("/oauth/token")).form(&form).send().await.unwrap()).await;
        id_tokens.push(serde_json::from_value::<CoreIdToken>(granted["id_token"].clone()).expect("an ID token"));
    }
    let mut published = vec![];
    for at in &instances {
        published.push(json(http(false).get(at.url("/oauth/jwks")).send().await.unwrap()).await);
    }

    assert_eq!(published[0], published[1], "one JWKS");
    assert_eq!(published[0]["keys"].as_array().unwrap().len(), 3, "one key per algorithm");
    for (signer, other) in [(0, 1), (1, 0)] {
        let (id_token, keys) = (&id_tokens[signer], published[other].clone());
        let (signer, other) = (&instances[signer], &instances[other]);
        let keys: CoreJsonWebKeySet = serde_json::from_value(keys).unwrap();
        let issuer = IssuerUrl::new(signer.base.clone()).unwrap();
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(client_id.clone()),
            ClientSecret::new(secret.clone()),
            issuer,
            keys,
        );
        let verified = id_token.claims(&verifier, |_: Option<&Nonce>| Ok::<(), String>(()));
        assert!(verified.is_ok(), "signed at {}, verified with {}'s JWKS: {verified:?}", signer.base, other.base);
    }
}

#[tokio::test]
async fn the_seed_flows_alternate_between_two_instances_on_one_database() {
    let database = TestDatabase::postgres().await;
    let instances = start_instances(&database.url, 2).await;
    let (a, b) = (&instances[0], &instances[1]);
    let (client_id, secret) = seed_user_and_app(&database.url);
    let browser = http(true);

    // Sign-in, consent and code: every step on the other instance.
    sign_in(&browser, a, b).await;
    let code = code_via(&browser, &client_id, a, b).await;
    let tokens = json(exchange(a, &code, &client_id, &secret).await).await;
    assert_eq!(tokens["expires_in"], 86400);
    assert_eq!(api_status(b, text(&tokens["access_token"])).await, 200);

    // The code issued at B and redeemed at A is spent for B too.
    let replay = exchange(b, &code, &client_id, &secret).await;
    assert_eq!(replay.status(), 400);

    // Consent skip: the grant approved at B is remembered at A.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = reqwest::Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .unwrap();
    sign_in(&browser, b, a).await;
    let second_code = code_via(&browser, &client_id, b, a).await;
    let tokens = json(exchange(b, &second_code, &client_id, &secret).await).await;

    // Refresh at A, use at B; the spent refresh token is refused at B.
    let refreshed = json(refresh(a, text(&tokens["refresh_token"])).await).await;
    assert_eq!(api_status(b, text(&refreshed["access_token"])).await, 200);

    // Revocation at A is refused at B on the very next request.
    let revoked = http(false)
        .post(a.url("/oauth/revoke"))
        .form(&[("token", text(&refreshed["access_token"])), ("client_id", &client_id), ("client_secret", &secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(api_status(b, text(&refreshed["access_token"])).await, 401);

    // Password grant at B, API at A.
    let password = json(password_grant(b, &client_id, &secret).await.unwrap()).await;
    assert_eq!(api_status(a, text(&password["access_token"])).await, 200);

    // Sign-out at A ends the session at B.
    // Sign-out at A ends the session on the server: B refuses the old cookie.
    let cookies = reqwest::cookie::CookieStore::cookies(&*jar, &b.base.parse().unwrap()).unwrap();
    let home_at_b = |cookies: reqwest::header::HeaderValue| async move {
        let response = http(false).get(b.url("/")).header("cookie", cookies).send().await.unwrap();
        response.text().await.unwrap()
    };
    assert!(home_at_b(cookies.clone()).await.contains("Signed in as"), "signed in at B");
    let home = browser.get(a.url("/")).send().await.unwrap().text().await.unwrap();
    let logout = browser.post(a.url("/logout")).form(&[("csrf_token", hidden_value(&home, "csrf_token"))]).send();
    assert_eq!(logout.await.unwrap().status(), 303);
    assert!(!home_at_b(cookies).await.contains("Signed in as"), "signed out at every instance");

    for instance in &instances {
        let logs = instance.logs.lock().await;
        for secret in [secret.as_str(), text(&password["access_token"]), PASSWORD, &code] {
            assert!(!logs.contains(secret), "a secret reached an instance's log");
        }
    }
}

#[tokio::test]
async fn one_code_or_refresh_token_spent_at_two_instances_at_once_wins_exactly_once() {
    let database = TestDatabase::postgres().await;
    let instances = start_instances(&database.url, 2).await;
    let (a, b) = (&instances[0], &instances[1]);
    let (client_id, secret) = seed_user_and_app(&database.url);
    let browser = http(true);
    sign_in(&browser, a, b).await;

    for round in 0..5 {
        let code = code_via(&browser, &client_id, a, b).await;

        let (at_a, at_b) =
            tokio::join!(exchange(a, &code, &client_id, &secret), exchange(b, &code, &client_id, &secret));

        let statuses = [at_a.status().as_u16(), at_b.status().as_u16()];
        assert!(statuses == [200, 400] || statuses == [400, 200], "round {round}: {statuses:?}");
    }

    for round in 0..5 {
        let tokens = json(password_grant(a, &client_id, &secret).await.unwrap()).await;
        let refresh_token = text(&tokens["refresh_token"]);

        let (at_a, at_b) = tokio::join!(refresh(a, refresh_token), refresh(b, refresh_token));

        let statuses = [at_a.status().as_u16(), at_b.status().as_u16()];
        assert!(statuses == [200, 400] || statuses == [400, 200], "round {round}: {statuses:?}");
    }
}

#[tokio::test]
async fn instances_starting_at_once_migrate_once_and_purge_without_double_work() {
    let database = TestDatabase::postgres().await;

    let instances = start_instances(&database.url, 3).await;

    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap();
    let on_disk = std::fs::read_dir("migrations/postgres").unwrap().count();
    assert_eq!(usize::try_from(applied).unwrap(), on_disk);
    drop(instances);

    // Purging from two "instances" (two pools) at once: one is elected, the
    // other skips; together they delete each expired row once.
    let settings = PoolSettings::default();
    let first = store::connect_with(&database.url, &settings, false).await.unwrap();
    let second = store::connect_with(&database.url, &settings, false).await.unwrap();
    let (client_id, _) = seed_user_and_app(&database.url);
    let client = first.find_client(&client_id).await.unwrap().unwrap();
    let request = BoundRequest {
        client_pk: client.id,
        user_id: client.owner_id,
        redirect_uri: CALLBACK.into(),
        redirect_uri_given: true,
        scopes: ScopeSet::parse("user_info").unwrap(),
        state: None,
        challenge: None,
        nonce: None,
        auth: None,
        response_mode: Default::default(),
    };
    for i in 0..50 {
        let code = PlainSecret::generate(SecretKind::AuthorizationCode);
        first
            .insert_authorization_code(&code.hash(), &request, &FamilyId::new(format!("f{i}")), 1_000, 1_600)
            .await
            .unwrap();
    }
    let now = 2_000_000;
    let (x, y) = tokio::join!(first.purge_expired(now, 1_000), second.purge_expired(now, 1_000));
    let (x, y) = (x.unwrap(), y.unwrap());
    let again = first.purge_expired(now, 1_000).await.unwrap() + second.purge_expired(now, 1_000).await.unwrap();
    assert_eq!(x + y + again, 50, "each expired row deleted exactly once ({x} + {y} + {again})");
}

#[tokio::test]
async fn throttling_counts_failures_from_every_instance() {
    let database = TestDatabase::postgres().await;
    let settings = PoolSettings::default();
    let first = store::connect_with(&database.url, &settings, true).await.unwrap();
    let second = store::connect_with(&database.url, &settings, false).await.unwrap();
    let key = "account:ann@example.com";
    let rule = gatehouse::store::ThrottleRule { window: 3_600, threshold: 100, max_lock: 1 };
    let fail = move |states: &[gatehouse::store::ThrottleRecord]| {
        let admitted = rule.admitted(states[0], 1_000);
        Some(vec![rule.settled(admitted, 1_000, gatehouse::domain::throttle::Outcome::Failed)])
    };

    let count = |store: Arc<dyn Store>| async move {
        for _ in 0..20 {
            store.update_throttles(&[key], Box::new(fail)).await.unwrap();
        }
    };
    tokio::join!(count(Arc::clone(&first)), count(Arc::clone(&second)));

    let state = second.find_throttle(key).await.unwrap().unwrap();
    assert_eq!(state.failures, 40, "every failure on either instance counts");
}

#[tokio::test]
async fn an_instance_killed_mid_load_leaves_every_issued_token_working_and_nothing_half_written() {
    killed_mid_load(&TestDatabase::postgres().await).await;
}

/// Kills a serving instance with SIGKILL while eight clients run code,
/// refresh and password grants against it, then checks at a surviving
/// instance that every token answered 200 works and that nothing is
/// half-written. On PostgreSQL a second instance serves throughout; on SQLite
/// (one instance per database file) a new one starts on the same file after
/// the kill, which is also SQLite's crash recovery.
pub(crate) async fn killed_mid_load(database: &TestDatabase) {
    let on_sqlite = database.url.starts_with("sqlite:");
    let mut instances = start_instances(&database.url, if on_sqlite { 1 } else { 2 }).await;
    let (client_id, secret) = seed_user_and_app(&database.url);
    // One account per worker, so each worker's tokens are its own to check.
    for worker in 0..8 {
        let (email, login) = (format!("worker{worker}@example.com"), format!("worker{worker}"));
        let mut args = vec!["user", "create", "--email", &email, "--name", &login, "--password", PASSWORD];
        args.extend(ARGON2);
        args.push("--json");
        cli_json(&database.url, &args);
    }
    let store = store::connect_with(&database.url, &PoolSettings::default(), false).await.unwrap();
    let client = store.find_client(&client_id).await.unwrap().unwrap();
    let now = SystemClock.now();
    // Credentials to spend during the load: codes and refresh tokens, written
    // straight to the database (as another instance would have).
    let request = BoundRequest {
        client_pk: client.id,
        user_id: client.owner_id,
        redirect_uri: CALLBACK.into(),
        redirect_uri_given: true,
        scopes: ScopeSet::parse("user_info").unwrap(),
        state: None,
        challenge: None,
        nonce: None,
        auth: None,
        response_mode: Default::default(),
    };
    let mut codes = Vec::new();
    let mut refresh_tokens = Vec::new();
    for i in 0..150 {
        let code = PlainSecret::generate(SecretKind::AuthorizationCode);
        store
            .insert_authorization_code(&code.hash(), &request, &FamilyId::new(format!("code-{i}")), now, now + 600)
            .await
            .unwrap();
        codes.push(code.expose().to_owned());
        let access = PlainSecret::generate(SecretKind::AccessToken);
        let refresh_token = PlainSecret::generate(SecretKind::RefreshToken);
        let tokens = NewTokens {
            access_hash: access.hash(),
            refresh_hash: Some(refresh_token.hash()),
            client_pk: client.id,
            user_id: Some(client.owner_id),
            scopes: ScopeSet::parse("user_info").unwrap(),
            refresh_scopes: ScopeSet::parse("user_info").unwrap(),
            family_id: FamilyId::new(format!("refresh-{i}")),
            created_at: now,
            access_expires_at: now + 86_400,
            refresh_expires_at: now + 86_400 * 30,
            auth: None,
        };
        store.insert_tokens(&tokens).await.unwrap();
        refresh_tokens.push(refresh_token.expose().to_owned());
    }
    let victim = Arc::new(instances.remove(0));
    let work = Arc::new(std::sync::Mutex::new((codes, refresh_tokens)));
    let issued = Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let answered = Arc::new(AtomicUsize::new(0));

    // Eight clients hammer the victim with code, refresh and password grants.
    let mut clients = Vec::new();
    for worker in 0..8 {
        let (victim, work, issued, answered) =
            (Arc::clone(&victim), Arc::clone(&work), Arc::clone(&issued), Arc::clone(&answered));
        let (client_id, secret) = (client_id.clone(), secret.clone());
        clients.push(tokio::spawn(async move {
            for step in 0.. {
                let next = {
                    let mut work = work.lock().unwrap();
                    match (worker + step) % 3 {
                        0 => work.0.pop().map(|code| (0, code)),
                        1 => work.1.pop().map(|token| (1, token)),
                        _ => Some((2, String::new())),
                    }
                };
                let Some((kind, credential)) = next else { break };
                let sent = match kind {
                    0 => {
                        http(false)
                            .post(victim.url("/oauth/token"))
                            .form(&[
                                ("grant_type", "authorization_code"),
                                ("code", credential.as_str()),
                                ("client_id", &client_id),
                                ("client_secret", &secret),
                                ("redirect_uri", CALLBACK),
                            ])
                            .send()
                            .await
                    }
                    1 => {
                        http(false)
                            .post(victim.url("/oauth/token"))
                            .query(&[("grant_type", "refresh_token"), ("refresh_token", credential.as_str())])
                            .send()
                            .await
                    }
                    _ => password_grant_as(&victim, &format!("worker{worker}@example.com"), &client_id, &secret).await,
                };
                // Once the victim is dead, connections fail: the client stops.
                let Ok(response) = sent else { break };
                let status = response.status();
                if status != 200 {
                    let body = response.text().await.unwrap_or_default();
                    panic!("before the crash every request succeeds: {status} {body}\n{}", victim.logs.lock().await);
                }
                let Ok(body) = response.json::<serde_json::Value>().await else { break };
                issued.lock().unwrap().push(body);
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    // Kill the victim mid-load, after it has answered a good number of requests.
    while answered.load(Ordering::SeqCst) < 60 {
        tokio::task::yield_now().await;
    }
    let pid = victim.child.id().unwrap();
    let killed = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    for client in clients {
        client.await.unwrap();
    }
    let (codes_left, refresh_left) = {
        let work = work.lock().unwrap();
        (work.0.len(), work.1.len())
    };
    assert!(codes_left > 0 && refresh_left > 0, "the instance died mid-load, not after it");
    drop(store);
    let survivor = match instances.pop() {
        Some(survivor) => survivor,
        None => start_instance(database.url.clone()).await,
    };

    // Every token a client was given works at the surviving instance.
    let issued = std::mem::take(&mut *issued.lock().unwrap());
    assert!(issued.len() >= 60, "{} responses before the crash", issued.len());
    for tokens in &issued {
        assert_eq!(api_status(&survivor, text(&tokens["access_token"])).await, 200);
    }
    for tokens in &issued {
        let refreshed = refresh(&survivor, text(&tokens["refresh_token"])).await;
        assert_eq!(refreshed.status(), 200, "a refresh token handed out before the crash still works");
    }

    // Nothing half-written: every family holds as many access as refresh
    // tokens (each grant writes a pair), at most one live refresh token, and
    // a code is spent exactly when its family has tokens.
    let lopsided = count(
        &database.url,
        "SELECT count(*) FROM (SELECT family_id FROM tokens GROUP BY family_id \
         HAVING count(*) FILTER (WHERE kind = 'access') <> count(*) FILTER (WHERE kind = 'refresh') \
             OR count(*) FILTER (WHERE kind = 'refresh' AND used_at IS NULL AND revoked_at IS NULL) > 1) f",
    )
    .await;
    assert_eq!(lopsided, 0, "a family with a half-written grant or rotation");
    let inconsistent_codes = count(
        &database.url,
        "SELECT count(*) FROM authorization_codes c \
         WHERE (c.used_at IS NOT NULL) <> EXISTS (SELECT 1 FROM tokens t WHERE t.family_id = c.family_id)",
    )
    .await;
    assert_eq!(inconsistent_codes, 0, "a code spent without tokens, or tokens without a spent code");
}

/// `SELECT count(*) …` on either database (the statement is the same on both).
async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
    }
}

#[tokio::test]
async fn failed_sign_ins_alternating_between_instances_are_throttled_together() {
    let database = TestDatabase::postgres().await;
    let instances = start_instances(&database.url, 2).await;
    let (client_id, secret) = seed_user_and_app(&database.url);
    let attempt = |at: &Instance| {
        http(false).post(at.url("/oauth/token")).form(&[
            ("grant_type", "password"),
            ("username", "ann@example.com"),
            ("password", "a wrong guess"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
    };

    let mut first_refusal = None;
    for number in 1..=12 {
        let status = attempt(&instances[number % 2]).send().await.unwrap().status().as_u16();
        if status == 429 {
            first_refusal = Some(number);
            break;
        }
        assert_eq!(status, 400);
    }

    // Six failures lock the account for 1 s (2 s after a seventh): counted per
    // instance, alternating attempts would not be refused before the twelfth.
    assert!(matches!(first_refusal, Some(7 | 8)), "first 429 at attempt {first_refusal:?}");
}

/// Cached application records (`store/client_cache.rs`): an instance keeps a
/// client's record in memory, and a change committed by another instance
/// drops it at once through `LISTEN/NOTIFY`, long before the cache's own
/// expiry (5 s) could.
#[tokio::test]
async fn a_secret_reset_on_one_instance_is_seen_by_every_instance_without_waiting_for_expiry() {
    use gatehouse::domain::client::NewClient;
    use gatehouse::domain::user::{Email, Login};
    use gatehouse::store::NewUser;
    use sqlx::Connection as _;

    let database = TestDatabase::postgres().await;
    let settings = PoolSettings::default();
    let first = store::connect_with(&database.url, &settings, true).await.unwrap();
    let second = store::connect_with(&database.url, &settings, false).await.unwrap();
    let owner = NewUser {
        login: Login::parse("ann").unwrap(),
        name: "Ann".into(),
        email: Email::parse("ann@example.com").unwrap(),
        password_hash: "$argon2id$unused".into(),
    };
    let owner = first.insert_user(&owner, 1).await.unwrap();
    let old_secret = PlainSecret::generate(SecretKind::ClientSecret);
    let registered = NewClient {
        client_id: "cached-app".into(),
        secret_hash: Some(old_secret.hash()),
        secret_hint: Some(old_secret.hint()),
        owner_id: owner.id,
        name: "App".into(),
        homepage: "https://app.example".into(),
        description: String::new(),
        redirect_uris: vec![CALLBACK.into()],
        scopes: ScopeSet::parse("user_info").unwrap(),
        id_token_alg: Default::default(),
        post_logout_redirect_uris: vec![],
    };
    let client = first.insert_client(&registered, 1).await.unwrap();

    // Wait until the second instance serves the record from memory: a change
    // made behind Gatehouse's back (plain SQL, no notification) goes unseen.
    let mut sql = sqlx::PgConnection::connect(&database.url).await.unwrap();
    let mut cached = false;
    for attempt in 0..250 {
        let before = second.find_client("cached-app").await.unwrap().unwrap().name;
        sqlx::query("UPDATE clients SET name = $1 WHERE client_id = 'cached-app'")
            .bind(format!("renamed {attempt}"))
            .execute(&mut sql)
            .await
            .unwrap();
        if second.find_client("cached-app").await.unwrap().unwrap().name == before {
            cached = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(cached, "the second instance never cached the record");

    let new_secret = PlainSecret::generate(SecretKind::ClientSecret);
    let (hash, hint) = (new_secret.hash(), new_secret.hint());
    assert!(first.reset_client_secret(client.id, owner.id, &hash, &hint, 2).await.unwrap());

    let started = std::time::Instant::now();
    loop {
        let seen = second.find_client("cached-app").await.unwrap().unwrap();
        if seen.secret_hash == Some(new_secret.hash()) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "the second instance still holds the old secret: no notification dropped it"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// SPEC §8: a user or an application disabled with the command line stops
/// on every instance at once. A user's sessions and tokens are refused by
/// the very read that finds them; an application's tokens too, and each
/// instance drops its cached record when the change's `NOTIFY` arrives (the
/// path of every application change), long before the cache's 5 s expiry.
#[tokio::test]
async fn a_user_or_application_disabled_from_the_command_line_stops_on_every_instance_at_once() {
    let database = TestDatabase::postgres().await;
    let db = database.url.clone();
    let (client_id, secret) = seed_user_and_app(&db);
    let instances = start_instances(&db, 2).await;
    let (first, second) = (&instances[0], &instances[1]);
    let browser = http(true);
    sign_in(&browser, first, second).await;
    let tokens = json(password_grant(first, &client_id, &secret).await.unwrap()).await;
    let access = text(&tokens["access_token"]);
    assert_eq!(api_status(second, access).await, 200);
    assert_eq!(browser.get(second.url("/settings/profile")).send().await.unwrap().status(), 200);
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(BIN).arg("--database-url").arg(&db).args(args).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };

    cli(&["user", "disable", "ann@example.com"]);

    for at in [first, second] {
        assert_eq!(api_status(at, access).await, 401, "{}: the access token", at.base);
        assert_eq!(browser.get(at.url("/settings/profile")).send().await.unwrap().status(), 302, "signed out");
        assert_eq!(password_grant(at, &client_id, &secret).await.unwrap().status(), 400, "invalid_grant");
        assert_eq!(refresh(at, text(&tokens["refresh_token"])).await.status(), 400);
    }

    cli(&["user", "enable", "ann"]);
    // Both instances serve the application's record from memory now.
    let tokens = json(password_grant(first, &client_id, &secret).await.unwrap()).await;
    json(password_grant(second, &client_id, &secret).await.unwrap()).await;
    let access = text(&tokens["access_token"]);
    assert_eq!(api_status(second, access).await, 200);

    cli(&["app", "disable", &client_id]);

    for at in [first, second] {
        assert_eq!(api_status(at, access).await, 401, "{}: the application's token", at.base);
        let started = std::time::Instant::now();
        while password_grant(at, &client_id, &secret).await.unwrap().status() != 401 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{} still issues tokens to a disabled application",
                at.base
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}
