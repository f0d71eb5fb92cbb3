//! Records for the protocol rules' unit tests, at a fixed time.

use crate::clock::UnixTime;
use crate::domain::client::{Client, ClientPk};
use crate::domain::oidc::SigningAlg;
use crate::domain::scope::ScopeSet;
use crate::domain::token::PlainSecret;
use crate::domain::user::{User, UserId};

/// The fixed "now" of every rule test: 2026-01-01T00:00:00Z.
pub const NOW: UnixTime = 1_767_225_600;

/// The confidential client's secret.
pub const SECRET: &str = "gcs_the-right-secret";

/// The only callback the clients register.
pub const CALLBACK: &str = "https://app.example.com/cb";

/// A confidential client (internal id 1) that may ask for `user_info projects issues`.
pub fn confidential_client() -> Client {
    Client {
        id: ClientPk(1),
        client_id: "confidential".to_owned(),
        secret_hash: Some(PlainSecret::from_presented(SECRET).hash()),
        secret_hint: None,
        owner_id: UserId(100),
        name: "App".to_owned(),
        homepage: "https://app.example.com".to_owned(),
        description: String::new(),
        redirect_uris: vec![CALLBACK.to_owned()],
        scopes: scopes("user_info projects issues"),
        id_token_alg: SigningAlg::Rs256,
        post_logout_redirect_uris: vec![],
        created_at: NOW - 86_400,
    }
}

/// A public client (internal id 2, no secret), otherwise like the confidential one.
pub fn public_client() -> Client {
    Client { id: ClientPk(2), client_id: "public".to_owned(), secret_hash: None, ..confidential_client() }
}

/// A scope set from its wire form.
pub fn scopes(raw: &str) -> ScopeSet {
    ScopeSet::parse(raw).unwrap()
}

/// User 42, `ann`, with no website, whose profile changed at `NOW - 60`.
pub fn ann() -> User {
    User {
        id: UserId(42),
        login: "ann".into(),
        name: "Ann Lee".into(),
        email: "ann@example.com".into(),
        email_verified: false,
        bio: String::new(),
        blog: String::new(),
        weibo: String::new(),
        created_at: NOW - 86_400,
        updated_at: NOW - 60,
        admin: false,
    }
}
