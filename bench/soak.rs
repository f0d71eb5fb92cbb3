//! Soak test (`cargo run --release --example soak`; `scripts/soak` runs it
//! against a fresh server and watches its memory): N clients (16 by default)
//! share ONE user account and one confidential application. Each has its own
//! cookie jar, signs in through the real `/login` form, goes through
//! `/oauth/authorize` and approves the consent page once, and exchanges the
//! code with PKCE (S256). Then, until the deadline, each runs a weighted random
//! mix: a new code flow (consent is remembered, so authorize answers 302 at
//! once), a rotating refresh, a bearer call to `/api/v5/user`, an
//! introspection, a revocation of its access token, and about 5 % malformed
//! requests (bad `grant_type`, unknown `client_id`, garbage code, `%00` in a
//! parameter, a wrong `redirect_uri`, invalid JSON, a 1 MiB body).
//!
//! It counts every request per scenario and per status class and exits
//! non-zero when any request got a 5xx, failed in transport (connection reset,
//! closed without response, timeout), or got a status other than the one its
//! scenario expects (malformed requests expect any 4xx). It stops by itself at
//! the deadline and only talks to the loopback base URL it is given; it never
//! follows a redirect.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use tokio::time::Instant;
use url::Url;

/// What the soak's clients say they are (token requests need a User-Agent).
const USER_AGENT: &str = "gatehouse-soak/1.0";
/// No single request may take longer than this (a hang is a failure, not a wait).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The oversized body: 16 times the default 64 KiB limit.
const OVERSIZED: usize = 1024 * 1024;
/// Sample messages kept per scenario for the report.
const SAMPLES: usize = 3;

/// Drives a running Gatehouse with N concurrent clients for a while.
#[derive(Debug, clap::Parser)]
struct Args {
    /// The server's base URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// The application's client id (a confidential client).
    #[arg(long)]
    client_id: String,
    /// The application's client secret.
    #[arg(long)]
    client_secret: String,
    /// A callback registered for the application (never followed).
    #[arg(long, default_value = "http://127.0.0.1:9/cb")]
    redirect_uri: String,
    /// The scopes to ask for (granted once, then remembered).
    #[arg(long, default_value = "user_info")]
    scope: String,
    /// The one account every client signs in to.
    #[arg(long)]
    email: String,
    /// Its password.
    #[arg(long)]
    password: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds of mixed traffic after the sign-ins.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Seed of the random mix (default: random; printed, so a run can be repeated).
    #[arg(long)]
    seed: Option<u64>,
}

/// What a scenario's requests must be answered with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exactly this status.
    Status(u16),
    /// One of these (the first consent may already have been given by another client).
    OneOf(&'static [u16]),
    /// Any 4xx: a malformed request.
    ClientError,
}

impl Expect {
    fn allows(self, status: StatusCode) -> bool {
        match self {
            Expect::Status(code) => status.as_u16() == code,
            Expect::OneOf(codes) => codes.contains(&status.as_u16()),
            Expect::ClientError => status.is_client_error(),
        }
    }
}

/// Counts of one scenario.
#[derive(Debug, Default)]
struct Counts {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    transport: u64,
    unexpected: u64,
    samples: Vec<String>,
}

impl Counts {
    fn class(&self, class: u16) -> u64 {
        self.statuses.iter().filter(|(code, _)| **code / 100 == class).map(|(_, n)| n).sum()
    }

    fn sample(&mut self, message: String) {
        if self.samples.len() < SAMPLES {
            self.samples.push(message);
        }
    }
}

/// Counts of every scenario, shared by the clients.
#[derive(Debug, Default)]
struct Stats {
    scenarios: Mutex<BTreeMap<&'static str, Counts>>,
}

impl Stats {
    fn with(&self, scenario: &'static str, f: impl FnOnce(&mut Counts)) {
        // A poisoned lock only means another task panicked mid-update: keep counting.
        let mut map = self.scenarios.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(map.entry(scenario).or_default());
    }

    /// A check on an answer's content failed (counted as unexpected).
    fn flag(&self, scenario: &'static str, message: String) {
        self.with(scenario, |c| {
            c.unexpected += 1;
            c.sample(message);
        });
    }
}

/// An answer read to the end.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

/// What every client shares.
struct Soak {
    base: Url,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    scope: String,
    email: String,
    password: String,
    deadline: Instant,
    stats: Stats,
}

/// One client's tokens.
#[derive(Default)]
struct Tokens {
    access: Option<String>,
    refresh: Option<String>,
}

impl Soak {
    fn url(&self, path: &str) -> anyhow::Result<Url> {
        Ok(self.base.join(path)?)
    }

    /// Sends `request`, reads the answer to the end and counts it under
    /// `scenario`; `None` when the transport failed.
    async fn send(&self, scenario: &'static str, expect: Expect, request: reqwest::RequestBuilder) -> Option<Answer> {
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let body = response.text().await?;
            Ok::<_, reqwest::Error>(Answer { status, location, body })
        }
        .await;
        match result {
            Ok(answer) => {
                self.stats.with(scenario, |c| {
                    c.requests += 1;
                    *c.statuses.entry(answer.status.as_u16()).or_default() += 1;
                    if !expect.allows(answer.status) {
                        c.unexpected += 1;
                        let body: String = answer.body.chars().take(160).collect();
                        c.sample(format!("{} (expected {expect:?}): {}", answer.status, body.replace('\n', " ")));
                    }
                });
                Some(answer)
            }
            Err(error) => {
                self.stats.with(scenario, |c| {
                    c.requests += 1;
                    c.transport += 1;
                    c.sample(format!("transport: {}", error_chain(&error)));
                });
                // Do not spin on a dead server.
                tokio::time::sleep(Duration::from_millis(20)).await;
                None
            }
        }
    }

    /// A browser-like client: its own cookie jar, redirects never followed.
    fn browser(&self) -> anyhow::Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .timeout(REQUEST_TIMEOUT)
            .build()?)
    }

    /// Sign-in through the form, consent once, first code exchange. `None`
    /// when a step failed (already counted): the client then drops out.
    async fn set_up(&self, http: &reqwest::Client) -> anyhow::Result<Option<Tokens>> {
        let Some(page) = self.send("setup: GET /login", Expect::Status(200), http.get(self.url("/login")?)).await
        else {
            return Ok(None);
        };
        let Some(csrf) = hidden_value(&page.body, "csrf_token") else {
            self.stats.flag("setup: GET /login", "no csrf_token on the sign-in page".into());
            return Ok(None);
        };
        let form = [("email", self.email.as_str()), ("password", self.password.as_str()), ("csrf_token", &csrf)];
        let signed_in =
            self.send("setup: POST /login", Expect::Status(303), http.post(self.url("/login")?).form(&form));
        match signed_in.await {
            Some(answer) if answer.status == StatusCode::SEE_OTHER => {}
            _ => return Ok(None),
        }
        let mut tokens = Tokens::default();
        Ok(self.code_flow(http, &mut tokens, true).await?.then_some(tokens))
    }

    /// Authorize (with the consent page when `first`), then the code exchange
    /// with PKCE; `true` when `tokens` were replaced.
    async fn code_flow(&self, http: &reqwest::Client, tokens: &mut Tokens, first: bool) -> anyhow::Result<bool> {
        let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
        let state = random_hex(8);
        let query = [
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", &self.redirect_uri),
            ("response_type", "code"),
            ("scope", &self.scope),
            ("state", &state),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let (scenario, expect) = if first {
            // Another client may have approved the same scopes a moment ago.
            ("setup: GET /oauth/authorize", Expect::OneOf(&[200, 302]))
        } else {
            ("code: GET /oauth/authorize (302)", Expect::Status(302))
        };
        let request = http.get(self.url("/oauth/authorize")?).query(&query);
        let Some(answer) = self.send(scenario, expect, request).await else { return Ok(false) };
        let (scenario, callback) = match answer.status.as_u16() {
            302 => (scenario, answer.location),
            200 if first => {
                let hidden = |name| hidden_value(&answer.body, name);
                let (Some(consent_id), Some(csrf)) = (hidden("consent_id"), hidden("csrf_token")) else {
                    self.stats.flag(scenario, "no consent_id/csrf_token on the consent page".into());
                    return Ok(false);
                };
                let form = [("consent_id", consent_id.as_str()), ("csrf_token", &csrf), ("decision", "authorize")];
                let scenario = "setup: POST /oauth/authorize (consent)";
                let request = http.post(self.url("/oauth/authorize")?).form(&form);
                let Some(answer) = self.send(scenario, Expect::Status(303), request).await else { return Ok(false) };
                if answer.status != StatusCode::SEE_OTHER {
                    return Ok(false);
                }
                (scenario, answer.location)
            }
            _ => return Ok(false),
        };
        let callback = callback.and_then(|location| self.base.join(&location).ok());
        let pair = |name: &str| {
            callback.as_ref().and_then(|url| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
        };
        let Some(code) = pair("code") else {
            self.stats.flag(scenario, format!("no code in the callback {callback:?}"));
            return Ok(false);
        };
        if pair("state").as_deref() != Some(state.as_str()) {
            self.stats.flag(scenario, "the callback's state differs".into());
        }
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier.secret()),
        ];
        let scenario = if first { "setup: POST /oauth/token (code)" } else { "code: POST /oauth/token" };
        let request = http.post(self.url("/oauth/token")?).form(&form);
        Ok(self.take_tokens(scenario, request, tokens).await)
    }

    /// A token request that must answer 200 with both tokens.
    async fn take_tokens(&self, scenario: &'static str, request: reqwest::RequestBuilder, tokens: &mut Tokens) -> bool {
        let Some(answer) = self.send(scenario, Expect::Status(200), request).await else { return false };
        if answer.status != StatusCode::OK {
            return false;
        }
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        let field = |name| body.get(name).and_then(serde_json::Value::as_str);
        match (field("access_token"), field("refresh_token")) {
            (Some(access), Some(refresh)) => {
                tokens.access = Some(access.to_owned());
                tokens.refresh = Some(refresh.to_owned());
                true
            }
            _ => {
                self.stats
                    .flag(scenario, format!("no tokens in {}", answer.body.chars().take(160).collect::<String>()));
                false
            }
        }
    }

    /// A rotating refresh, alternately in the seed's style (query string, no
    /// client credentials) and as a form with the client's credentials.
    async fn refresh(&self, http: &reqwest::Client, tokens: &mut Tokens, rng: &mut StdRng) -> anyhow::Result<bool> {
        let Some(refresh) = tokens.refresh.clone() else { return Ok(false) };
        let url = self.url("/oauth/token")?;
        let request = if rng.random_bool(0.5) {
            http.post(url).query(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        } else {
            http.post(url).form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", &self.client_id),
                ("client_secret", &self.client_secret),
            ])
        };
        Ok(self.take_tokens("refresh: POST /oauth/token", request, tokens).await)
    }

    async fn bearer(&self, http: &reqwest::Client, access: &str) -> anyhow::Result<()> {
        let request = http.get(self.url("/api/v5/user")?).bearer_auth(access);
        self.send("bearer: GET /api/v5/user", Expect::Status(200), request).await;
        Ok(())
    }

    async fn introspect(&self, http: &reqwest::Client, access: &str) -> anyhow::Result<()> {
        let scenario = "introspect: POST /oauth/introspect";
        let request = http
            .post(self.url("/oauth/introspect")?)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("token", access)]);
        let answer = self.send(scenario, Expect::Status(200), request).await;
        if let Some(answer) = answer.filter(|a| a.status == StatusCode::OK) {
            let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
            if body.get("active") != Some(&serde_json::Value::Bool(true)) {
                self.stats.flag(scenario, format!("a live token is not active: {}", answer.body));
            }
        }
        Ok(())
    }

    /// Revokes the access token; a bearer call with it must then be refused.
    async fn revoke(&self, http: &reqwest::Client, tokens: &mut Tokens) -> anyhow::Result<()> {
        let Some(access) = tokens.access.take() else { return Ok(()) };
        let request = http
            .post(self.url("/oauth/revoke")?)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("token", access.as_str()), ("token_type_hint", "access_token")]);
        let revoked = self.send("revoke: POST /oauth/revoke", Expect::Status(200), request).await;
        if revoked.is_some_and(|a| a.status == StatusCode::OK) {
            let request = http.get(self.url("/api/v5/user")?).bearer_auth(&access);
            self.send("revoke: bearer with the revoked token (401)", Expect::Status(401), request).await;
        }
        Ok(())
    }

    /// One malformed request of a random kind: any 4xx is right, a 5xx or a
    /// 2xx/3xx is not.
    async fn malformed(&self, http: &reqwest::Client, rng: &mut StdRng) -> anyhow::Result<()> {
        let token = self.url("/oauth/token")?;
        let authorize = self.url("/oauth/authorize")?;
        let bad = Expect::ClientError;
        let garbage = format!("gac_{}", random_hex(16));
        match rng.random_range(0..8) {
            0 => {
                let form = [
                    ("grant_type", "magic_beans"),
                    ("client_id", &self.client_id),
                    ("client_secret", &self.client_secret),
                ];
                self.send("bad: unknown grant_type", bad, http.post(token).form(&form)).await;
            }
            1 => {
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", &garbage),
                    ("client_id", "no-such-client"),
                    ("client_secret", "no-such-secret"),
                    ("redirect_uri", &self.redirect_uri),
                ];
                self.send("bad: unknown client_id", bad, http.post(token).form(&form)).await;
            }
            2 => {
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", &garbage),
                    ("client_id", &self.client_id),
                    ("client_secret", &self.client_secret),
                    ("redirect_uri", &self.redirect_uri),
                    ("code_verifier", &random_hex(32)),
                ];
                self.send("bad: garbage code", bad, http.post(token).form(&form)).await;
            }
            3 => {
                // `.form` percent-encodes the NUL as %00, in the client_id or the code.
                let nul_id = format!("{}\0", self.client_id);
                let nul_code = format!("gac_\0{}", random_hex(8));
                let (client_id, code) = if rng.random_bool(0.5) {
                    (nul_id.as_str(), garbage.as_str())
                } else {
                    (&*self.client_id, &*nul_code)
                };
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("client_id", client_id),
                    ("client_secret", &self.client_secret),
                    ("redirect_uri", &self.redirect_uri),
                ];
                self.send("bad: %00 in a /oauth/token parameter", bad, http.post(token).form(&form)).await;
            }
            4 => {
                let nul_id = format!("{}\0", self.client_id);
                let query = [
                    ("client_id", nul_id.as_str()),
                    ("redirect_uri", &self.redirect_uri),
                    ("response_type", "code"),
                    ("scope", &self.scope),
                ];
                self.send("bad: %00 in /oauth/authorize client_id", bad, http.get(authorize).query(&query)).await;
            }
            5 => {
                let wrong = format!("{}/elsewhere", self.redirect_uri.trim_end_matches('/'));
                let query = [
                    ("client_id", self.client_id.as_str()),
                    ("redirect_uri", &wrong),
                    ("response_type", "code"),
                    ("scope", &self.scope),
                ];
                self.send("bad: wrong redirect_uri at authorize", bad, http.get(authorize).query(&query)).await;
            }
            6 => {
                let request = http
                    .post(token)
                    .header(CONTENT_TYPE, "application/json")
                    .body(r#"{"grant_type": "authorization_code", "code": "#);
                self.send("bad: invalid JSON body", bad, request).await;
            }
            _ => self.oversized().await?,
        }
        Ok(())
    }

    /// A 1 MiB token request on a client of its own (its own connection), then
    /// a well-formed request that reuses that connection when the server kept
    /// it open: a server that closes it without `Connection: close` shows as a
    /// transport error in the second row, and nowhere else.
    async fn oversized(&self) -> anyhow::Result<()> {
        let one_off = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        let mut body = format!("grant_type=client_credentials&client_id={}&padding=", self.client_id);
        body.extend(std::iter::repeat_n('a', OVERSIZED));
        let request = one_off
            .post(self.url("/oauth/token")?)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send("bad: 1 MiB body (own connection)", Expect::ClientError, request).await;
        let request = one_off.get(self.url("/.well-known/oauth-authorization-server")?);
        self.send("after 1 MiB: next request, same connection", Expect::Status(200), request).await;
        Ok(())
    }

    /// One client from sign-in to the deadline.
    async fn run_client(self: Arc<Self>, seed: u64) -> anyhow::Result<bool> {
        let http = self.browser()?;
        let mut rng = StdRng::seed_from_u64(seed);
        let Some(mut tokens) = self.set_up(&http).await? else { return Ok(false) };
        while Instant::now() < self.deadline {
            let Some(access) = tokens.access.clone() else {
                // After a revocation: a fresh access token, by refresh or,
                // when the refresh failed, by a new code flow.
                if !self.refresh(&http, &mut tokens, &mut rng).await? {
                    self.code_flow(&http, &mut tokens, false).await?;
                }
                continue;
            };
            match rng.random_range(0..100) {
                0..5 => self.malformed(&http, &mut rng).await?,
                5..25 => {
                    self.code_flow(&http, &mut tokens, false).await?;
                }
                25..45 => {
                    if !self.refresh(&http, &mut tokens, &mut rng).await? {
                        self.code_flow(&http, &mut tokens, false).await?;
                    }
                }
                45..75 => self.bearer(&http, &access).await?,
                75..90 => self.introspect(&http, &access).await?,
                _ => self.revoke(&http, &mut tokens).await?,
            }
        }
        Ok(true)
    }
}

/// The `value` of `<input … name="NAME" value="…">`, unescaped.
fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let rest = html.get(start..)?;
    let value = rest.get(..rest.find('"')?)?;
    Some(
        [
            ("&#38;", "&"),
            ("&amp;", "&"),
            ("&#34;", "\""),
            ("&quot;", "\""),
            ("&#39;", "'"),
            ("&lt;", "<"),
            ("&gt;", ">"),
        ]
        .iter()
        .fold(value.to_owned(), |acc, (entity, plain)| acc.replace(entity, plain)),
    )
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes).fold(String::new(), |mut s, _| {
        let _ = write!(s, "{:02x}", rng.random::<u8>());
        s
    })
}

/// An error with its causes: reqwest's own message hides the interesting part.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    message
}

fn check_loopback(base: &Url) -> anyhow::Result<()> {
    let loopback = match base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if base.scheme() != "http" || !loopback {
        bail!("the soak only talks to a loopback http:// server, not {base}");
    }
    Ok(())
}

/// Prints the table; returns whether the run passed.
fn report(stats: &Stats, args: &Args, seed: u64, ready: usize, elapsed: Duration) -> bool {
    let map = stats.scenarios.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let head = format!(
        "{:<46} {:>8} {:>7} {:>7} {:>7} {:>5} {:>9} {:>10}  statuses",
        "scenario", "requests", "2xx", "3xx", "4xx", "5xx", "transport", "unexpected"
    );
    println!();
    println!(
        "soak: {} clients on one account, {} s of mixed traffic after the sign-ins, seed {seed}",
        args.clients, args.duration
    );
    println!("{head}");
    println!("{}", "-".repeat(head.len()));
    let mut total = Counts::default();
    for (name, c) in map.iter() {
        let statuses: Vec<String> = c.statuses.iter().map(|(code, n)| format!("{code}:{n}")).collect();
        println!(
            "{name:<46} {:>8} {:>7} {:>7} {:>7} {:>5} {:>9} {:>10}  {}",
            c.requests,
            c.class(2),
            c.class(3),
            c.class(4),
            c.class(5),
            c.transport,
            c.unexpected,
            statuses.join(" ")
        );
        total.requests += c.requests;
        total.transport += c.transport;
        total.unexpected += c.unexpected;
        for (code, n) in &c.statuses {
            *total.statuses.entry(*code).or_default() += n;
        }
    }
    println!("{}", "-".repeat(head.len()));
    println!(
        "{:<46} {:>8} {:>7} {:>7} {:>7} {:>5} {:>9} {:>10}",
        "total",
        total.requests,
        total.class(2),
        total.class(3),
        total.class(4),
        total.class(5),
        total.transport,
        total.unexpected
    );
    let seconds = elapsed.as_secs_f64().max(0.001);
    println!(
        "{} of {} clients signed in and consented; {:.0} requests/s over {seconds:.1} s (sign-ins included)",
        ready,
        args.clients,
        total.requests as f64 / seconds
    );
    let noted: Vec<_> = map.iter().filter(|(_, c)| !c.samples.is_empty()).collect();
    if !noted.is_empty() {
        println!("first failures per scenario:");
        for (name, c) in noted {
            for sample in &c.samples {
                println!("  {name}: {sample}");
            }
        }
    }
    let passed = total.class(5) == 0 && total.transport == 0 && total.unexpected == 0 && ready == args.clients;
    if passed {
        println!("soak: PASS (no 5xx, no transport error, every status as expected)");
    } else {
        println!(
            "soak: FAIL ({} 5xx, {} transport errors, {} unexpected answers, {} of {} clients failed to set up)",
            total.class(5),
            total.transport,
            total.unexpected,
            args.clients - ready,
            args.clients
        );
    }
    passed
}

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    let args = Args::parse();
    let base = Url::parse(&args.base_url).context("--base-url")?;
    check_loopback(&base)?;
    if args.clients == 0 {
        bail!("--clients must be at least 1");
    }
    let seed = args.seed.unwrap_or_else(|| rand::rng().random());
    let started = Instant::now();
    let soak = Arc::new(Soak {
        base,
        client_id: args.client_id.clone(),
        client_secret: args.client_secret.clone(),
        redirect_uri: args.redirect_uri.clone(),
        scope: args.scope.clone(),
        email: args.email.clone(),
        password: args.password.clone(),
        deadline: started + Duration::from_secs(args.duration),
        stats: Stats::default(),
    });
    let tasks: Vec<_> =
        (0..args.clients).map(|i| tokio::spawn(soak.clone().run_client(seed.wrapping_add(i as u64)))).collect();
    let mut ready = 0;
    for task in tasks {
        // The deadline ends every loop; requests in flight end within their timeout.
        match tokio::time::timeout_at(soak.deadline + 2 * REQUEST_TIMEOUT, task).await {
            Ok(Ok(Ok(true))) => ready += 1,
            Ok(Ok(Ok(false))) => {}
            Ok(Ok(Err(error))) => eprintln!("soak: a client stopped: {error:#}"),
            Ok(Err(error)) => eprintln!("soak: a client task failed: {error}"),
            Err(_) => eprintln!("soak: a client did not stop in time"),
        }
    }
    let passed = report(&soak.stats, &args, seed, ready, started.elapsed());
    Ok(if passed { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE })
}
