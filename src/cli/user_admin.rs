//! The operator's `user` subcommands (SPEC §8): list, show, disable, enable,
//! set-password, reset-2fa, delete, promote, demote. An account is named by
//! its email or login; what the operator does is recorded in the account's
//! security log (without an address: the command line).

use anyhow::{Context as _, bail};

use super::output::{ListArgs, time_text};
use super::user::UserCommand;
use crate::accounts::PasswordHasher;
use crate::clock::{Clock as _, SystemClock};
use crate::config::Settings;
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::SecretHash;
use crate::domain::user::Password;
use crate::store::{AccountRecord, Store};

/// `user list` arguments.
#[derive(Debug, clap::Args)]
pub struct ListUsers {
    /// Only accounts whose email or login contains this (any case).
    #[arg(long, default_value = "")]
    search: String,
    #[command(flatten)]
    list: ListArgs,
}

/// Arguments of the subcommands that name one account.
#[derive(Debug, clap::Args)]
pub struct Named {
    /// The account's email or login.
    #[arg(value_name = "EMAIL_OR_LOGIN")]
    user: String,
    /// Print the record as JSON (`show`).
    #[arg(long)]
    json: bool,
}

/// `user set-password` arguments.
#[derive(Debug, clap::Args)]
pub struct SetPassword {
    /// The account's email or login.
    #[arg(value_name = "EMAIL_OR_LOGIN")]
    user: String,
    /// The new password (8 to 128 characters). Without a password option,
    /// one is generated and printed. Visible in the process list: prefer
    /// --password-stdin.
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the new password from standard input.
    #[arg(long)]
    password_stdin: bool,
}

/// `user delete` arguments.
#[derive(Debug, clap::Args)]
pub struct Delete {
    /// The account's email or login.
    #[arg(value_name = "EMAIL_OR_LOGIN")]
    user: String,
    /// Delete without asking: required, since nothing brings it back.
    #[arg(long)]
    yes: bool,
}

pub(super) async fn run(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let store = super::open_store(&settings).await?;
    let store = &*store;
    match command {
        UserCommand::Create(_) => unreachable!("user.rs runs `create`"),
        UserCommand::List(args) => list(store, &args).await,
        UserCommand::Show(args) => {
            let account = find(store, &args.user).await?;
            if args.json {
                println!("{}", as_json(&account));
            } else {
                print_account(&account);
            }
            Ok(())
        }
        UserCommand::Disable(args) => set_disabled(store, &args.user, true).await,
        UserCommand::Enable(args) => set_disabled(store, &args.user, false).await,
        UserCommand::SetPassword(args) => set_password(store, &settings, args).await,
        UserCommand::Reset2fa(args) => reset_two_factor(store, &args.user).await,
        UserCommand::Delete(args) => delete(store, &args).await,
        UserCommand::Promote(args) => set_admin(store, &args.user, true).await,
        UserCommand::Demote(args) => set_admin(store, &args.user, false).await,
    }
}

/// The account `name` names, or the one-line error.
pub(super) async fn find(store: &dyn Store, name: &str) -> anyhow::Result<AccountRecord> {
    store
        .admin()
        .find_account(name)
        .await
        .context("cannot read the accounts")?
        .ok_or_else(|| anyhow::anyhow!("no user has the email or login {name:?}"))
}

async fn list(store: &dyn Store, args: &ListUsers) -> anyhow::Result<()> {
    let accounts = store.admin().list_accounts(&args.search, args.list.offset, args.list.limit).await?;
    if args.list.json {
        println!("{}", serde_json::Value::Array(accounts.iter().map(as_json).collect()));
        return Ok(());
    }
    println!("{:<8} {:<24} {:<36} {:<9} {:<6} two-factor", "id", "login", "email", "state", "admin");
    for account in &accounts {
        println!(
            "{:<8} {:<24} {:<36} {:<9} {:<6} {}",
            account.user.id,
            account.user.login,
            account.user.email,
            state(account),
            yes_no(account.admin),
            if account.two_factor { "on" } else { "off" },
        );
    }
    Ok(())
}

fn state(account: &AccountRecord) -> &'static str {
    if account.disabled_at.is_some() { "disabled" } else { "active" }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn print_account(account: &AccountRecord) {
    let user = &account.user;
    println!("id:         {}", user.id);
    println!("login:      {}", user.login);
    println!("name:       {}", user.name);
    println!("email:      {}{}", user.email, if user.email_verified { " (verified)" } else { "" });
    println!("state:      {}", state(account));
    if account.disabled_at.is_some() {
        println!("disabled:   {}", time_text(account.disabled_at));
    }
    println!("admin:      {}", yes_no(account.admin));
    println!("two-factor: {}", if account.two_factor { "on" } else { "off" });
    println!("created:    {}", time_text(Some(user.created_at)));
}

/// One account of `user list --json` and `user show --json`.
fn as_json(account: &AccountRecord) -> serde_json::Value {
    let user = &account.user;
    serde_json::json!({
        "id": user.id,
        "login": user.login,
        "name": user.name,
        "email": user.email,
        "email_verified": user.email_verified,
        "admin": account.admin,
        "disabled": account.disabled_at.is_some(),
        "disabled_at": account.disabled_at,
        "two_factor": account.two_factor,
        "created_at": user.created_at,
    })
}

async fn set_disabled(store: &dyn Store, name: &str, disabled: bool) -> anyhow::Result<()> {
    let account = find(store, name).await?;
    let kind = if disabled { SecurityEventKind::AccountDisabled } else { SecurityEventKind::AccountEnabled };
    let event = SecurityEvent::new(account.user.id, kind, None);
    let changed = store.admin().set_account_disabled(account.user.id, disabled, SystemClock.now(), &event).await?;
    let verb = if disabled { "disabled" } else { "enabled" };
    if changed {
        println!("{verb} user {} (id {})", account.user.login, account.user.id);
    } else {
        println!("user {} was {verb} already", account.user.login);
    }
    Ok(())
}

async fn set_password(store: &dyn Store, settings: &Settings, args: SetPassword) -> anyhow::Result<()> {
    let account = find(store, &args.user).await?;
    let (password, generated) = super::user::password_argument(args.password, args.password_stdin)?;
    let parsed = Password::parse_new(&password)?;
    let hash = PasswordHasher::new(settings.argon2)?.hash(parsed).await?;
    let event = SecurityEvent::new(account.user.id, SecurityEventKind::PasswordSetByAdmin, None);
    // An all-zero hash is no session's: every session ends.
    let ended = store
        .change_password(account.user.id, &hash, &SecretHash([0; 32]), SystemClock.now(), &event)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {} is gone", account.user.login))?;
    println!("password of {} set; {ended} session(s) ended", account.user.login);
    if generated {
        println!("password: {password}");
    }
    Ok(())
}

async fn reset_two_factor(store: &dyn Store, name: &str) -> anyhow::Result<()> {
    let account = find(store, name).await?;
    let event = SecurityEvent::new(account.user.id, SecurityEventKind::TwoFactorResetByAdmin, None);
    if store.disable_two_factor(account.user.id, &event, SystemClock.now()).await? {
        println!("two-factor authentication of {} turned off", account.user.login);
    } else {
        println!("two-factor authentication of {} was off already", account.user.login);
    }
    Ok(())
}

async fn delete(store: &dyn Store, args: &Delete) -> anyhow::Result<()> {
    let account = find(store, &args.user).await?;
    if !args.yes {
        bail!("refusing to delete user {} and everything of theirs without --yes", account.user.login);
    }
    store.delete_user(account.user.id).await?;
    println!("deleted user {} (id {})", account.user.login, account.user.id);
    Ok(())
}

async fn set_admin(store: &dyn Store, name: &str, admin: bool) -> anyhow::Result<()> {
    let account = find(store, name).await?;
    store.admin().set_admin(account.user.id, admin).await?;
    let what = if admin { "is an admin now" } else { "is no admin now" };
    println!("user {} {what}", account.user.login);
    Ok(())
}
