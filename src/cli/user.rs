//! `gatehouse user create`.

use std::io::Read as _;

use anyhow::{Context as _, bail};

use crate::accounts::{self, PasswordHasher};
use crate::clock::{Clock as _, SystemClock};
use crate::config::Settings;
use crate::domain::token::random_token;

/// User subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user account. Without a password option, one is generated and printed.
    Create(CreateUser),
}

/// `user create` arguments.
#[derive(Debug, clap::Args)]
pub struct CreateUser {
    /// Email address (the sign-in name and the password grant's `username`).
    #[arg(long)]
    email: String,
    /// Login (user name): letters, digits, '-', '_' or '.'.
    #[arg(long, value_name = "LOGIN")]
    name: String,
    /// Password (8 to 128 characters). Visible in the process list: prefer --password-stdin.
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Create(args) = command;
    let (password, generated) = match (args.password, args.password_stdin) {
        (Some(p), _) => (p, false),
        (None, true) => (read_stdin_password()?, false),
        (None, false) => (random_token(), true),
    };
    let store = super::open_store(&settings).await?;
    let hasher = PasswordHasher::new(settings.argon2)?;
    let user = accounts::sign_up(&*store, &hasher, &args.email, &args.name, &password, SystemClock.now())
        .await
        .context("cannot create user")?;
    if args.json {
        let mut out = serde_json::json!({ "id": user.id, "login": user.login, "email": user.email });
        if let (true, Some(object)) = (generated, out.as_object_mut()) {
            object.insert("password".to_owned(), serde_json::Value::String(password));
        }
        println!("{out}");
    } else {
        println!("created user {} (id {}, email {})", user.login, user.id, user.email);
        if generated {
            println!("password: {password}");
        }
    }
    Ok(())
}

fn read_stdin_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().take(4096).read_to_string(&mut input).context("cannot read the password from stdin")?;
    let password = input.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}
