//! Micro-benchmarks (criterion) of the functions on every request's hot path:
//! generating and hashing a token, parsing a scope parameter, and the bearer
//! check without HTTP (`oauth::bearer::authenticate` on a real SQLite store).
//! Run with `cargo bench --bench hot`; `bench/run` drives the HTTP scenarios.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark harness: a failed setup should stop it loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use gatehouse::clock::{Clock as _, SystemClock};
use gatehouse::domain::client::NewClient;
use gatehouse::domain::scope::ScopeSet;
use gatehouse::domain::token::{FamilyId, PlainSecret, SecretKind};
use gatehouse::domain::user::{Email, Login};
use gatehouse::oauth::bearer::authenticate;
use gatehouse::store::{NewTokens, NewUser};

fn tokens(c: &mut Criterion) {
    c.bench_function("token_generate", |b| b.iter(|| PlainSecret::generate(black_box(SecretKind::AccessToken))));
    let token = PlainSecret::generate(SecretKind::AccessToken);
    c.bench_function("token_hash_sha256", |b| b.iter(|| black_box(&token).hash()));
    let presented = token.expose().to_owned();
    c.bench_function("token_presented_to_hash", |b| {
        b.iter(|| PlainSecret::from_presented(black_box(presented.as_str())).hash())
    });
}

fn scopes(c: &mut Criterion) {
    c.bench_function("scope_parse_4", |b| b.iter(|| ScopeSet::parse(black_box("projects user_info issues notes"))));
    c.bench_function("scope_parse_encoded_11", |b| {
        b.iter(|| {
            ScopeSet::parse(black_box(
                "user_info%20projects+pull_requests,issues notes keys hook groups gists enterprises emails",
            ))
        })
    });
}

fn bearer(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let now = SystemClock.now();
    let (store, token) = runtime.block_on(async {
        let store = gatehouse::store::connect(&url, true).await.unwrap();
        let user = NewUser {
            login: Login::parse("bench").unwrap(),
            name: "bench".to_owned(),
            email: Email::parse("bench@example.com").unwrap(),
            password_hash: "unused".to_owned(),
        };
        let user = store.insert_user(&user, now).await.unwrap();
        let scopes = ScopeSet::parse("user_info projects").unwrap();
        let client = NewClient {
            client_id: "bench-client".to_owned(),
            secret_hash: None,
            secret_hint: None,
            owner_id: user.id,
            name: "bench".to_owned(),
            homepage: String::new(),
            description: String::new(),
            redirect_uris: vec!["http://127.0.0.1/cb".to_owned()],
            scopes: scopes.clone(),
            id_token_alg: Default::default(),
            post_logout_redirect_uris: vec![],
        };
        let client = store.insert_client(&client, now).await.unwrap();
        let token = PlainSecret::generate(SecretKind::AccessToken);
        let tokens = NewTokens {
            access_hash: token.hash(),
            refresh_hash: None,
            client_pk: client.id,
            user_id: Some(user.id),
            refresh_scopes: scopes.clone(),
            scopes,
            family_id: FamilyId::new("bench"),
            created_at: now,
            access_expires_at: now + 86_400,
            refresh_expires_at: now + 86_400,
            auth: None,
        };
        store.insert_tokens(&tokens).await.unwrap();
        (store, token.expose().to_owned())
    });
    c.bench_function("bearer_authenticate_sqlite", |b| {
        b.iter(|| runtime.block_on(authenticate(store.as_ref(), black_box(&token), now)).expect("a live token"))
    });
    c.bench_function("bearer_reject_unknown_sqlite", |b| {
        b.iter(|| runtime.block_on(authenticate(store.as_ref(), black_box("gat_unknown"), now)).is_err())
    });
}

/// `cargo bench` passes `--bench` and gets criterion's full measurement and
/// options. `cargo test --all-targets` (CI) runs this binary too, with
/// libtest's arguments (`--skip …`) that criterion does not accept: there it
/// is a smoke test, each function measured briefly.
fn main() {
    let mut c = if std::env::args().any(|a| a == "--bench") {
        Criterion::default().configure_from_args()
    } else {
        Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(1))
            .measurement_time(Duration::from_millis(20))
            .without_plots()
    };
    tokens(&mut c);
    scopes(&mut c);
    bearer(&mut c);
    c.final_summary();
}
