//! `gatehouse user create`; the other `user` subcommands, the operator's,
//! are in `user_admin.rs`.

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
    /// List accounts, oldest first; --search keeps those whose email or login holds it.
    List(super::user_admin::ListUsers),
    /// Show one account (named by email or login).
    Show(super::user_admin::Named),
    /// Disable an account: it cannot sign in, and its sessions and every
    /// token of theirs (issued and personal) end at once, on every instance.
    Disable(super::user_admin::Named),
    /// Enable a disabled account again (its old sessions and tokens stay ended).
    Enable(super::user_admin::Named),
    /// Set a new password and end every session of the account (tokens stay).
    SetPassword(super::user_admin::SetPassword),
    /// Turn two-factor authentication off (authenticator app and recovery codes).
    #[command(name = "reset-2fa")]
    Reset2fa(super::user_admin::Named),
    /// Delete an account with everything of theirs, their applications too (needs --yes).
    Delete(super::user_admin::Delete),
    /// Make an account an admin: it sees the /admin pages.
    Promote(super::user_admin::Named),
    /// Take the admin pages away from an account.
    Demote(super::user_admin::Named),
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
    /// Make the account an admin (it sees the /admin pages).
    #[arg(long)]
    admin: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create(args) => create(settings, args).await,
        other => super::user_admin::run(settings, other).await,
    }
}

async fn create(settings: Settings, args: CreateUser) -> anyhow::Result<()> {
    let (password, generated) = password_argument(args.password, args.password_stdin)?;
    let store = super::open_store(&settings).await?;
    let hasher = PasswordHasher::new(settings.argon2)?;
    let user = accounts::sign_up(&*store, &hasher, &args.email, &args.name, &password, SystemClock.now())
        .await
        .context("cannot create user")?;
    if args.admin {
        store.admin().set_admin(user.id, true).await.context("cannot make the user an admin")?;
    }
    if args.json {
        let mut out =
            serde_json::json!({ "id": user.id, "login": user.login, "email": user.email, "admin": args.admin });
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

/// The password an option gave, or one generated (`true`) when none did.
pub(super) fn password_argument(password: Option<String>, stdin: bool) -> anyhow::Result<(String, bool)> {
    Ok(match (password, stdin) {
        (Some(p), _) => (p, false),
        (None, true) => (read_stdin_password()?, false),
        (None, false) => (random_token(), true),
    })
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
