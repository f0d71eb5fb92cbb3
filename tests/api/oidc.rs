//! SPEC §5 (OpenID Connect), the token side, with the `openidconnect` crate
//! as the relying party: discovery, ID tokens verified against the JWKS
//! (nonce, `at_hash`, every algorithm), refresh and password grants,
//! UserInfo, key rotation.

use std::process::Command;

use gatehouse::apps::{self, ApplicationForm};
use gatehouse::domain::oidc::KeyProtection;
use gatehouse::keys::KeyEncryptionKey;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKey,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, JsonWebKey as _, Nonce, OAuth2TokenResponse, RedirectUrl, ResourceOwnerPassword,
    ResourceOwnerUsername, Scope, TokenResponse,
};

use crate::helpers::*;

/// The relying party, as `from_provider_metadata` makes it.
pub(crate) type RelyingParty =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

const KEK: &str = "test-key-encryption-key-0123456789abcdef";

fn rp_http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).user_agent(USER_AGENT).build().unwrap()
}

/// The server's fixed clock `seconds` after `T0`, for the verifier's expiry checks.
fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(T0 + seconds, 0).unwrap()
}

/// An application allowed `scopes`, signing its ID tokens with `alg`.
pub(crate) async fn register(app: &TestApp, owner: &TestUser, scopes: &str, alg: &str) -> TestClient {
    let form = ApplicationForm {
        name: "OIDC App".into(),
        homepage: "https://client.example.com".into(),
        description: String::new(),
        redirect_uris: vec![CALLBACK.into()],
        scopes: scopes.into(),
        public: false,
        id_token_alg: alg.into(),
        post_logout_redirect_uris: vec![],
    };
    let registered = apps::register(&*app.store, owner.user.id, &form, false, T0).await.unwrap();
    TestClient { client: registered.client, secret: registered.secret.map(|s| s.expose().to_owned()) }
}

/// Discovers the server and makes a relying party for `client`.
pub(crate) async fn relying_party(app: &TestApp, client: &TestClient) -> RelyingParty {
    let issuer = IssuerUrl::new(app.base.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &rp_http()).await.unwrap();
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.id().to_owned()),
        Some(ClientSecret::new(client.secret().to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap())
}

/// The verifier at the server's time now.
fn verifier(rp: &RelyingParty, seconds_after_t0: i64) -> CoreIdTokenVerifier<'_> {
    rp.id_token_verifier().set_time_fn(move || at(seconds_after_t0))
}

/// What the code flow hands the relying party.
pub(crate) struct Signed {
    token: openidconnect::core::CoreTokenResponse,
    nonce: Nonce,
}

impl Signed {
    fn id_token(&self) -> &CoreIdToken {
        self.token.id_token().expect("an id_token in the token response")
    }
}

/// Signs `user` in through the code flow of `rp` with the extra `scopes`.
async fn code_flow(app: &TestApp, rp: &RelyingParty, user: &TestUser, scopes: &[&str]) -> Signed {
    let browser = app.browser();
    app.login_as(&browser, user).await;
    code_flow_signed_in(app, rp, &browser, scopes).await
}

/// The code flow of `rp` with the extra `scopes` in a browser signed in already.
pub(crate) async fn code_flow_signed_in(
    app: &TestApp,
    rp: &RelyingParty,
    browser: &reqwest::Client,
    scopes: &[&str],
) -> Signed {
    let mut request =
        rp.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    let (url, csrf, nonce) = request.url();
    let page = browser.get(url).send().await.unwrap();
    let callback = if page.status() == 302 {
        location(&page)
    } else {
        assert_eq!(page.status(), 200, "the consent page");
        location(&app.decide(browser, &page.text().await.unwrap(), "authorize").await)
    };
    assert_eq!(query_value(&callback, "state").as_deref(), Some(csrf.secret().as_str()));
    let code = query_value(&callback, "code").expect("a code");
    let token = rp.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(&rp_http()).await.unwrap();
    Signed { token, nonce }
}

/// The ID token's claims, checked as a relying party must (OIDC Core
/// §3.1.3.7): signature against the JWKS, issuer, audience, expiry, nonce.
pub(crate) fn verified<'t>(rp: &RelyingParty, signed: &'t Signed, seconds_after_t0: i64) -> &'t CoreIdTokenClaims {
    signed.id_token().claims(&verifier(rp, seconds_after_t0), &signed.nonce).expect("a valid ID token")
}

/// OIDC Core §3.1.3.8: the `at_hash` matches the access token beside it.
#[track_caller]
fn assert_at_hash(
    rp: &RelyingParty,
    id_token: &CoreIdToken,
    claims: &CoreIdTokenClaims,
    access: &openidconnect::AccessToken,
) {
    let verifier = verifier(rp, 0);
    let key: &CoreJsonWebKey = id_token.signing_key(&verifier).unwrap();
    let expected = AccessTokenHash::from_token(access, id_token.signing_alg().unwrap(), key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected));
}

async fn json(app: &TestApp, path: &str) -> serde_json::Value {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn discovery_and_rfc_8414_metadata_are_one_document_naming_every_endpoint() {
    let app = TestApp::spawn().await;

    let discovery = json(&app, "/.well-known/openid-configuration").await;
    let rfc8414 = json(&app, "/.well-known/oauth-authorization-server").await;

    assert_eq!(discovery, rfc8414);
    assert_eq!(discovery["issuer"], app.base.as_str());
    assert_eq!(discovery["userinfo_endpoint"], app.url("/oauth/userinfo"));
    assert_eq!(discovery["jwks_uri"], app.url("/oauth/jwks"));
    assert_eq!(discovery["token_endpoint"], app.url("/oauth/token"));
    assert_eq!(discovery["subject_types_supported"], serde_json::json!(["public"]));
    assert_eq!(discovery["id_token_signing_alg_values_supported"], serde_json::json!(["RS256", "ES256", "EdDSA"]));
    let listed = |field: &str| -> Vec<String> {
        discovery[field].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    };
    // SPEC §5 "ID token": every claim it names, and nothing else.
    let claims = [
        "sub",
        "iss",
        "aud",
        "azp",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "at_hash",
        "amr",
        "name",
        "preferred_username",
        "picture",
        "profile",
        "website",
        "updated_at",
        "email",
        "email_verified",
    ];
    assert_eq!(listed("claims_supported"), claims);
    for scope in ["openid", "profile", "email", "user_info"] {
        assert!(listed("scopes_supported").iter().any(|s| s == scope), "{scope}");
    }
    assert_eq!(discovery["end_session_endpoint"], app.url("/oauth/logout"));
    assert_eq!(discovery["response_modes_supported"], serde_json::json!(["query", "form_post"]));
    assert_eq!(discovery["prompt_values_supported"], serde_json::json!(["none", "login", "consent"]));
    assert_eq!(discovery["ui_locales_supported"], serde_json::json!(["en", "zh-CN"]));
    assert_eq!(discovery["device_authorization_endpoint"], app.url("/oauth/device/code"));
    assert_eq!(discovery["request_uri_parameter_supported"], false);
    let preflight = app.http.get(app.url("/.well-known/openid-configuration")).header("origin", "https://spa.example");
    assert_eq!(preflight.send().await.unwrap().headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn the_jwks_publishes_one_public_key_per_algorithm_and_nothing_private() {
    let app = TestApp::spawn().await;

    let jwks = json(&app, "/oauth/jwks").await;

    let keys = jwks["keys"].as_array().unwrap();
    let algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(algs.len(), 3);
    for alg in ["RS256", "ES256", "EdDSA"] {
        assert!(algs.contains(&alg), "{alg}");
    }
    for key in keys {
        assert_eq!(key["use"], "sig", "{key}");
        assert!(key["kid"].as_str().is_some_and(|kid| kid.len() == 43), "an RFC 7638 thumbprint: {key}");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} in {key}");
        }
    }
}

#[tokio::test]
async fn the_code_flow_gives_an_id_token_that_verifies_with_nonce_and_at_hash_and_userinfo_agrees() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid profile email user_info", "").await;
    let rp = relying_party(&app, &client).await;

    let signed = code_flow(&app, &rp, &ann, &["profile", "email", "user_info"]).await;

    let claims = verified(&rp, &signed, 0);
    assert_at_hash(&rp, signed.id_token(), claims, signed.token.access_token());
    assert_eq!(signed.id_token().signing_alg().unwrap(), &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256);
    assert_eq!(claims.subject().as_str(), ann.user.id.to_string());
    assert_eq!(claims.audiences().iter().map(|a| a.as_str()).collect::<Vec<_>>(), [client.id()]);
    assert_eq!(claims.authorized_party().map(|a| a.as_str()), Some(client.id()));
    assert_eq!(claims.issue_time().timestamp(), T0);
    assert_eq!(claims.expiration().timestamp(), T0 + 3600);
    assert_eq!(claims.auth_time().map(|t| t.timestamp()), Some(T0), "signed in at T0");
    assert_eq!(claims.auth_method_refs().unwrap().iter().map(|a| a.as_str()).collect::<Vec<_>>(), ["pwd"]);
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("ann"));
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ann@example.com"));
    assert_eq!(claims.email_verified(), Some(false));
    let userinfo: CoreUserInfoClaims = rp
        .user_info(signed.token.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&rp_http())
        .await
        .unwrap();
    assert_eq!(userinfo.preferred_username().map(|u| u.as_str()), Some("ann"));
    assert_eq!(userinfo.email().map(|e| e.as_str()), Some("ann@example.com"));
    let profile: serde_json::Value =
        app.api_get("/api/v5/user", signed.token.access_token().secret()).await.json().await.unwrap();
    assert_eq!(profile["id"].to_string(), claims.subject().as_str(), "sub is the Open API's id");
}

#[tokio::test]
async fn a_replayed_nonce_or_another_clients_token_does_not_verify() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid", "").await;
    let other = register(&app, &ann, "openid", "").await;
    let rp = relying_party(&app, &client).await;
    let other_rp = relying_party(&app, &other).await;

    let signed = code_flow(&app, &rp, &ann, &[]).await;

    let wrong_nonce = Nonce::new("another-request".into());
    assert!(signed.id_token().claims(&verifier(&rp, 0), &wrong_nonce).is_err(), "nonce");
    assert!(signed.id_token().claims(&verifier(&other_rp, 0), &signed.nonce).is_err(), "audience");
    assert!(signed.id_token().claims(&verifier(&rp, 3600), &signed.nonce).is_err(), "expired after an hour");
    assert!(signed.id_token().claims(&verifier(&rp, 3599), &signed.nonce).is_ok());
}

#[tokio::test]
async fn each_algorithm_signs_the_id_tokens_of_the_applications_that_chose_it() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let cases = [
        ("RS256", CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
        ("ES256", CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        ("EdDSA", CoreJwsSigningAlgorithm::EdDsa),
    ];
    for (alg, expected) in cases {
        let client = register(&app, &ann, "openid", alg).await;
        let rp = relying_party(&app, &client).await;

        let signed = code_flow(&app, &rp, &ann, &[]).await;

        assert_eq!(signed.id_token().signing_alg().unwrap(), &expected, "{alg}");
        let claims = verified(&rp, &signed, 0);
        assert_at_hash(&rp, signed.id_token(), claims, signed.token.access_token());
    }
}

#[tokio::test]
async fn a_refresh_returns_an_id_token_with_the_original_auth_time_and_no_nonce() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid email", "ES256").await;
    let rp = relying_party(&app, &client).await;
    let first = code_flow(&app, &rp, &ann, &["email"]).await;
    let first_claims = verified(&rp, &first, 0);
    app.clock.advance(600);

    let refresh = first.token.refresh_token().unwrap();
    let refreshed = rp.exchange_refresh_token(refresh).unwrap().request_async(&rp_http()).await.unwrap();

    let id_token = refreshed.id_token().expect("an ID token at the refresh");
    let claims = id_token.claims(&verifier(&rp, 600), |nonce: Option<&Nonce>| match nonce {
        None => Ok(()),
        Some(_) => Err("a refreshed ID token carries no nonce".to_owned()),
    });
    let claims = claims.unwrap();
    assert_eq!(id_token.signing_alg().unwrap(), &CoreJwsSigningAlgorithm::EcdsaP256Sha256, "the application's alg");
    assert_eq!(claims.auth_method_refs(), first_claims.auth_method_refs(), "the original amr");
    assert_eq!(claims.auth_method_refs().unwrap().iter().map(|a| a.as_str()).collect::<Vec<_>>(), ["pwd"]);
    assert_eq!(claims.subject(), first_claims.subject());
    assert_eq!(claims.auth_time(), first_claims.auth_time(), "OIDC Core §12.2: the original sign-in");
    assert_eq!(claims.issue_time().timestamp(), T0 + 600);
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ann@example.com"));
    assert_at_hash(&rp, id_token, claims, refreshed.access_token());
    // Narrowed to leave `openid` out, a refresh gives no ID token.
    let narrowed = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refreshed.refresh_token().unwrap().secret()),
            ("scope", "email"),
        ])
        .await;
    let body: serde_json::Value = narrowed.json().await.unwrap();
    assert_eq!(body["scope"], "email");
    assert!(body.get("id_token").is_none(), "{body}");
}

#[tokio::test]
async fn the_password_grant_returns_an_id_token_when_openid_is_granted() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid profile user_info", "EdDSA").await;
    let rp = relying_party(&app, &client).await;
    app.clock.advance(60);

    let username = ResourceOwnerUsername::new(ann.email.clone());
    let password = ResourceOwnerPassword::new(ann.password.clone());
    let granted = rp
        .exchange_password(&username, &password)
        .unwrap()
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("profile".into()))
        .request_async(&rp_http())
        .await
        .unwrap();

    let id_token = granted.id_token().expect("an ID token");
    let claims = id_token.claims(&verifier(&rp, 60), |_: Option<&Nonce>| Ok::<(), String>(())).unwrap();
    assert_eq!(claims.auth_time().map(|t| t.timestamp()), Some(T0 + 60), "signed in by this request");
    assert!(claims.nonce().is_none());
    assert_eq!(claims.name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("ann"));
    let without_openid = app.password_grant(&ann, &client, "user_info").await;
    assert!(without_openid.get("id_token").is_none(), "{without_openid}");
}

#[tokio::test]
async fn userinfo_refuses_like_the_open_api_and_takes_the_token_in_a_post_body() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid email user_info", "").await;
    let with_openid = app.password_grant(&ann, &client, "openid email").await;
    let without_openid = app.password_grant(&ann, &client, "user_info").await;
    let userinfo = app.url("/oauth/userinfo");

    let missing = app.http.get(&userinfo).send().await.unwrap();
    let invalid = app.http.get(&userinfo).bearer_auth("gat_nonsense").send().await.unwrap();
    let no_scope =
        app.http.get(&userinfo).bearer_auth(without_openid["access_token"].as_str().unwrap()).send().await.unwrap();
    let posted = app
        .http
        .post(&userinfo)
        .form(&[("access_token", with_openid["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), 401);
    assert!(missing.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    assert_eq!(invalid.status(), 401);
    assert!(invalid.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    assert_eq!(no_scope.status(), 403);
    let challenge = no_scope.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.contains("insufficient_scope") && challenge.contains("scope=\"openid\""), "{challenge}");
    assert_eq!(posted.status(), 200);
    let claims: serde_json::Value = posted.json().await.unwrap();
    assert_eq!(
        claims,
        serde_json::json!({ "sub": ann.user.id.to_string(), "email": "ann@example.com", "email_verified": false })
    );
}

#[tokio::test]
async fn a_token_signed_before_a_rotation_verifies_until_its_key_leaves_the_jwks() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid", "").await;
    let before = relying_party(&app, &client).await;
    let old = code_flow(&app, &before, &ann, &[]).await;
    let old_kid = old.id_token().signing_key(&verifier(&before, 0)).unwrap().key_id().unwrap().clone();

    // As `gatehouse keys rotate` does, from outside this server's keyring.
    let new_kids = gatehouse::keys::rotate(&*app.store, None, T0).await.unwrap();

    let after = relying_party(&app, &client).await;
    assert!(old.id_token().claims(&verifier(&after, 0), &old.nonce).is_ok(), "the old key is still published");
    let new = code_flow(&app, &after, &ann, &[]).await;
    let new_kid = new.id_token().signing_key(&verifier(&after, 0)).unwrap().key_id().unwrap().clone();
    assert_ne!(new_kid, old_kid);
    assert!(new_kids.contains(&new_kid), "serving the JWKS made the server sign with the new key");
    let kids = |jwks: &serde_json::Value| -> Vec<String> {
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let day = 86_400;
    app.clock.advance(day);
    assert!(kids(&json(&app, "/oauth/jwks").await).contains(&old_kid), "published a day later");
    app.clock.advance(7 * day - day);
    let jwks = json(&app, "/oauth/jwks").await;
    assert!(!kids(&jwks).contains(&old_kid), "gone after seven days");
    assert_eq!(kids(&jwks).len(), 3);
    let later = relying_party(&app, &client).await;
    let unknown_kid = old.id_token().claims(&later.id_token_verifier().set_time_fn(|| at(0)), &old.nonce);
    assert!(unknown_kid.is_err(), "a kid the JWKS does not publish does not verify");
}

#[tokio::test]
async fn sealed_keys_open_only_with_their_key_encryption_key_and_rotate_from_the_cli() {
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    let app = TestApp::spawn_on(database, |s| s.key_encryption_key = Some(KeyEncryptionKey::new(KEK))).await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid", "").await;
    let rp = relying_party(&app, &client).await;
    let current = app.store.current_signing_keys().await.unwrap();

    let rotated = gatehouse_cli(&url, Some(KEK), &["keys", "rotate", "--json"]);
    let listed = gatehouse_cli(&url, None, &["keys", "list", "--json"]);

    assert_eq!(current.len(), 3);
    for key in &current {
        assert_eq!(key.protection, KeyProtection::Aes256Gcm, "{}", key.kid);
        let bytes = &key.private_key.as_ref().unwrap().0;
        assert!(!String::from_utf8_lossy(bytes).contains("PRIVATE KEY"), "sealed, not PEM");
    }
    assert_eq!(rotated, listed, "rotate prints the listing");
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 6);
    let states = |state: &str| listed.iter().filter(|k| k["state"] == state).count();
    assert_eq!((states("current"), states("published")), (3, 3));
    assert!(listed.iter().all(|k| k["protection"] == "aes-256-gcm"));
    assert!(listed.iter().filter(|k| k["state"] == "published").all(|k| k["published_until"].is_i64()));
    let signed = code_flow(&app, &rp, &ann, &[]).await;
    assert!(signed.id_token().claims(&verifier(&relying_party(&app, &client).await, 0), &signed.nonce).is_ok());
    let settings = (*app.state.settings).clone();
    let wrong = gatehouse::config::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        key_encryption_key: Some(KeyEncryptionKey::new("another-key-encryption-key-0123456789")),
        ..settings.clone()
    };
    let refused = gatehouse::startup::App::build(wrong).await.err().expect("a wrong key-encryption key");
    assert!(refused.to_string().contains("does not open"), "{refused}");
    let none =
        gatehouse::config::Settings { listen: "127.0.0.1:0".parse().unwrap(), key_encryption_key: None, ..settings };
    let refused = gatehouse::startup::App::build(none).await.err().expect("no key-encryption key");
    assert!(refused.to_string().contains("--key-encryption-key"), "{refused}");
}

// Sealed keys stay sealed: without the key-encryption key, neither
// `keys rotate` nor a server start writes a key in the clear beside them.
#[tokio::test]
async fn without_the_key_encryption_key_no_unsealed_key_joins_sealed_ones() {
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    let app = TestApp::spawn_on(database, |s| s.key_encryption_key = Some(KeyEncryptionKey::new(KEK))).await;
    let before = gatehouse_cli(&url, None, &["keys", "list", "--json"]);

    let refused = run_gatehouse(&url, None, &["keys", "rotate"]);

    assert!(!refused.status.success(), "keys rotate without the key-encryption key");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("--key-encryption-key"), "{stderr}");
    assert_eq!(gatehouse_cli(&url, None, &["keys", "list", "--json"]), before, "nothing written");
    // A start that would make a key (one algorithm's current key is gone) refuses too.
    assert_eq!(app.store.current_signing_keys().await.unwrap().len(), 3);
    let retired = execute_sql(&url, "UPDATE signing_keys SET retired_at = 1 WHERE alg = 'EdDSA'").await;
    assert_eq!(retired, 1);
    let settings = gatehouse::config::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        key_encryption_key: None,
        ..(*app.state.settings).clone()
    };
    let start = gatehouse::startup::App::build(settings).await.err().expect("no key-encryption key");
    assert!(start.to_string().contains("--key-encryption-key"), "{start}");
    let current = app.store.current_signing_keys().await.unwrap();
    assert_eq!(current.len(), 2, "no EdDSA key was made");
    assert!(current.iter().all(|k| k.protection == KeyProtection::Aes256Gcm));
}

/// Runs `sql` on the test's database; the rows it touched.
async fn execute_sql(url: &str, sql: &str) -> u64 {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap().rows_affected()
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap().rows_affected()
    }
}

/// Runs the real binary, with the key-encryption key `kek` or none.
fn run_gatehouse(database_url: &str, kek: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command.arg("--database-url").arg(database_url).args(args).env_remove("GATEHOUSE_KEY_ENCRYPTION_KEY");
    if let Some(kek) = kek {
        command.env("GATEHOUSE_KEY_ENCRYPTION_KEY", kek);
    }
    command.output().unwrap()
}

/// Runs the real binary; its JSON output.
fn gatehouse_cli(database_url: &str, kek: Option<&str>, args: &[&str]) -> serde_json::Value {
    let output = run_gatehouse(database_url, kek, args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn the_consent_page_describes_the_openid_scopes_in_both_languages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = register(&app, &ann, "openid profile email", "").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let params = [
        ("client_id", client.id()),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "openid profile email"),
        ("nonce", "n-0S6_WzA2Mj"),
    ];

    let english = app.authorize(&browser, &params).await.text().await.unwrap();
    let chinese = browser
        .get(app.url("/oauth/authorize"))
        .query(&params)
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    for description in [
        "Sign you in with your account and learn your user id",
        "Read your name, username, avatar, profile and website",
        "Read your primary email address",
    ] {
        assert!(english.contains(description), "{description}");
    }
    for description in ["用你的账号登录", "读取你的名称、用户名、头像", "读取你的主邮箱地址"]
    {
        assert!(chinese.contains(description), "{description}");
    }
}

#[tokio::test]
async fn the_application_form_chooses_the_id_token_algorithm() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let form = browser.get(app.url("/settings/applications/new")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("<option value=\"RS256\" selected>"), "RS256 by default");

    let created = browser
        .post(app.url("/settings/applications"))
        .form(&[
            ("csrf_token", hidden_value(&form, "csrf_token").as_str()),
            ("name", "Signed"),
            ("redirect_uris", CALLBACK),
            ("scope_openid", "on"),
            ("id_token_alg", "EdDSA"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(created.status(), 201);
    assert!(created.text().await.unwrap().contains("<code id=\"id_token_alg\">EdDSA</code>"));
    let listed = app.store.list_clients_by_owner(ann.user.id).await.unwrap();
    assert_eq!(listed[0].id_token_alg, gatehouse::domain::oidc::SigningAlg::EdDsa);
    let refused = browser
        .post(app.url("/settings/applications"))
        .form(&[
            ("csrf_token", hidden_value(&form, "csrf_token").as_str()),
            ("name", "Unsigned"),
            ("redirect_uris", CALLBACK),
            ("scope_openid", "on"),
            ("id_token_alg", "none"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn app_create_takes_the_id_token_algorithm_and_sign_out_urls() {
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    let app = TestApp::spawn_on(database, |_| {}).await;
    app.create_user("ann").await;

    let created = gatehouse_cli(
        &url,
        None,
        &[
            "app",
            "create",
            "--owner",
            "ann@example.com",
            "--name",
            "CLI",
            "--redirect-uri",
            CALLBACK,
            "--scopes",
            "openid profile",
            "--id-token-alg",
            "ES256",
            "--post-logout-redirect-uri",
            "https://client.example.com/bye",
            "--post-logout-redirect-uri",
            "https://client.example.com/bye2",
            "--json",
        ],
    );

    assert_eq!(created["id_token_alg"], "ES256");
    assert_eq!(created["scopes"], "openid profile");
    let sign_out_urls = serde_json::json!(["https://client.example.com/bye", "https://client.example.com/bye2"]);
    assert_eq!(created["post_logout_redirect_uris"], sign_out_urls);
    let stored = app.store.find_client(created["client_id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.post_logout_redirect_uris, ["https://client.example.com/bye", "https://client.example.com/bye2"]);
    let refused = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["--database-url", &url, "app", "create", "--owner", "ann@example.com", "--name", "X"])
        .args(["--redirect-uri", CALLBACK, "--id-token-alg", "HS256"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
}
