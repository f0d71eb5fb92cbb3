//! A sample third-party application: "Sign in with Gatehouse" through the
//! authorization code flow with PKCE, using the `oauth2` crate, then a call to
//! `GET /api/v5/user`. The browser tests drive it; `main.rs` runs it by hand.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};

type OAuthClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// What the sample client needs to know.
pub struct Config {
    /// Gatehouse's base URL, e.g. `http://127.0.0.1:8080`.
    pub gatehouse: String,
    /// The registered client id.
    pub client_id: String,
    /// The client secret (`None` for a public client: PKCE only).
    pub client_secret: Option<String>,
    /// Scopes to ask for, space-separated.
    pub scope: String,
}

struct Shared {
    config: Config,
    oauth: OAuthClient,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, PkceCodeVerifier>>,
}

/// Binds `listen` and serves the sample client; returns its address. The
/// callback is `http://ADDRESS/cb`: register `http://127.0.0.1/cb`, which
/// Gatehouse accepts on any loopback port.
pub async fn start(config: Config, listen: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let invalid = |e: oauth2::url::ParseError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let mut oauth = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::new(format!("{}/oauth/authorize", config.gatehouse)).map_err(invalid)?)
        .set_token_uri(TokenUrl::new(format!("{}/oauth/token", config.gatehouse)).map_err(invalid)?)
        .set_redirect_uri(RedirectUrl::new(format!("http://{address}/cb")).map_err(invalid)?);
    if let Some(secret) = &config.client_secret {
        oauth = oauth.set_client_secret(ClientSecret::new(secret.clone()));
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("gatehouse-sample-client/1.0")
        .build()
        .map_err(std::io::Error::other)?;
    let shared = Arc::new(Shared { config, oauth, http, pending: Mutex::new(HashMap::new()) });
    let app =
        Router::new().route("/", get(home)).route("/login", get(login)).route("/cb", get(callback)).with_state(shared);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(address)
}

async fn home() -> Html<&'static str> {
    Html(
        "<!doctype html><title>Sample client</title><h1>Sample client</h1>\
         <p><a id=\"sign-in\" href=\"/login\">Sign in with Gatehouse</a></p>",
    )
}

async fn login(State(shared): State<Arc<Shared>>) -> Response {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = shared.oauth.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
    for scope in shared.config.scope.split_whitespace() {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    let (url, state) = request.url();
    if let Ok(mut pending) = shared.pending.lock() {
        pending.insert(state.secret().clone(), verifier);
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(State(shared): State<Arc<Shared>>, Query(query): Query<CallbackQuery>) -> Html<String> {
    if let Some(error) = query.error {
        return page("Not signed in", &format!("Gatehouse answered: {error}"));
    }
    let verifier = query.state.as_deref().and_then(|s| shared.pending.lock().ok()?.remove(s));
    let (Some(code), Some(verifier)) = (query.code, verifier) else {
        return page("Not signed in", "The callback had no code or an unknown state.");
    };
    let token = match shared
        .oauth
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&shared.http)
        .await
    {
        Ok(token) => token,
        Err(error) => return page("Not signed in", &format!("The code exchange failed: {error}")),
    };
    let user: serde_json::Value = match shared
        .http
        .get(format!("{}/api/v5/user", shared.config.gatehouse))
        .bearer_auth(token.access_token().secret())
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(error) => return page("Not signed in", &format!("The API call failed: {error}")),
    };
    let login = user.get("login").and_then(serde_json::Value::as_str).unwrap_or("?").to_owned();
    let scopes =
        token.scopes().map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" ")).unwrap_or_default();
    page("Signed in", &format!("Signed in as {login} with scopes: {scopes}"))
}

fn page(title: &str, message: &str) -> Html<String> {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    Html(format!(
        "<!doctype html><title>{0}</title><h1>{0}</h1><p id=\"result\">{1}</p>",
        escape(title),
        escape(message)
    ))
}
