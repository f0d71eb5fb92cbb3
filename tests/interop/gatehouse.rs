//! Gatehouse as docs/oidc.md has a newcomer run it: the real binary,
//! `gatehouse serve` on a fresh database and the real clock, with users and
//! applications made by `gatehouse user create` and `gatehouse app create`.

use std::process::Output;

use tokio::process::Command;

use crate::helpers::{PASSWORD, TestDatabase};
use crate::process::Service;

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// A running `gatehouse serve`.
pub struct Gatehouse {
    /// The issuer, `http://127.0.0.1:PORT`.
    pub issuer: String,
    database: TestDatabase,
    _server: Service,
}

/// A user made with `gatehouse user create`.
pub struct Account {
    /// The user's id: the ID token's and UserInfo's `sub`.
    pub sub: String,
    pub login: String,
    pub email: String,
    pub password: String,
}

/// An application made with `gatehouse app create`.
pub struct Registered {
    pub client_id: String,
    pub client_secret: String,
}

impl Gatehouse {
    /// `gatehouse serve` on a free port (the server reports which).
    pub async fn start() -> Gatehouse {
        let database = TestDatabase::create().await;
        let mut server = Service::spawn(
            "gatehouse serve",
            Command::new(BIN)
                .args(["--database-url", &database.url, "serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
                .env("RUST_LOG", "info"),
        );
        let line = server.wait_for_line(|line| line.contains("gatehouse is listening")).await;
        let log: serde_json::Value = serde_json::from_str(&line).unwrap();
        let issuer = log["fields"]["issuer"].as_str().unwrap().to_owned();
        Gatehouse { issuer, database, _server: server }
    }

    /// The database it serves, as `--database-url` takes it.
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    /// `host:port` of the issuer.
    pub fn authority(&self) -> &str {
        self.issuer.trim_start_matches("http://")
    }

    /// `gatehouse user create --email LOGIN@example.com --name LOGIN --password …`
    pub async fn create_user(&self, login: &str) -> Account {
        let email = format!("{login}@example.com");
        let user =
            self.cli(&["user", "create", "--email", &email, "--name", login, "--password", PASSWORD, "--json"]).await;
        Account { sub: user["id"].to_string(), login: login.to_owned(), email, password: PASSWORD.to_owned() }
    }

    /// `gatehouse app create --owner … --name NAME --redirect-uri CALLBACK
    /// --scopes "openid profile email" --json`, as the docs register each
    /// relying party.
    pub async fn create_app(&self, owner: &Account, name: &str, callback: &str) -> Registered {
        let app = self
            .cli(&[
                "app",
                "create",
                "--owner",
                &owner.email,
                "--name",
                name,
                "--redirect-uri",
                callback,
                "--scopes",
                "openid profile email",
                "--json",
            ])
            .await;
        assert_eq!(app["id_token_alg"], "RS256", "the default algorithm, which every relying party verifies");
        Registered {
            client_id: app["client_id"].as_str().unwrap().to_owned(),
            client_secret: app["client_secret"].as_str().unwrap().to_owned(),
        }
    }

    async fn cli(&self, args: &[&str]) -> serde_json::Value {
        let output: Output =
            Command::new(BIN).arg("--database-url").arg(&self.database.url).args(args).output().await.unwrap();
        assert!(
            output.status.success(),
            "gatehouse {}: {}",
            args[..2].join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}
