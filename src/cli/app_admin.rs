//! The operator's `app` subcommands (SPEC §8): list, show, disable, enable,
//! delete. An application is named by its client id.

use anyhow::{Context as _, bail};

use super::app::AppCommand;
use super::output::{ListArgs, time_text};
use crate::clock::{Clock as _, SystemClock};
use crate::config::Settings;
use crate::store::{AppRecord, Store};

/// `app list` arguments.
#[derive(Debug, clap::Args)]
pub struct ListApps {
    #[command(flatten)]
    list: ListArgs,
}

/// Arguments of the subcommands that name one application.
#[derive(Debug, clap::Args)]
pub struct Named {
    /// The application's client id.
    #[arg(value_name = "CLIENT_ID")]
    client_id: String,
    /// Print the record as JSON (`show`).
    #[arg(long)]
    json: bool,
}

/// `app delete` arguments.
#[derive(Debug, clap::Args)]
pub struct Delete {
    /// The application's client id.
    #[arg(value_name = "CLIENT_ID")]
    client_id: String,
    /// Delete without asking: required, since nothing brings it back.
    #[arg(long)]
    yes: bool,
}

pub(super) async fn run(settings: Settings, command: AppCommand) -> anyhow::Result<()> {
    let store = super::open_store(&settings).await?;
    let store = &*store;
    match command {
        AppCommand::Create(_) => unreachable!("app.rs runs `create`"),
        AppCommand::List(args) => {
            let apps = store.admin().list_apps(args.list.offset, args.list.limit).await?;
            if args.list.json {
                println!("{}", serde_json::Value::Array(apps.iter().map(as_json).collect()));
            } else {
                println!("{:<66} {:<9} {:<24} name", "client_id", "state", "owner");
                for app in &apps {
                    println!(
                        "{:<66} {:<9} {:<24} {}",
                        app.client.client_id,
                        state(app),
                        app.owner_login,
                        app.client.name
                    );
                }
            }
            Ok(())
        }
        AppCommand::Show(args) => {
            let app = find(store, &args.client_id).await?;
            if args.json {
                println!("{}", as_json(&app));
            } else {
                print_app(&app);
            }
            Ok(())
        }
        AppCommand::Disable(args) => set_disabled(store, &args.client_id, true).await,
        AppCommand::Enable(args) => set_disabled(store, &args.client_id, false).await,
        AppCommand::Delete(args) => {
            let app = find(store, &args.client_id).await?;
            if !args.yes {
                bail!("refusing to delete application {:?} with its tokens without --yes", app.client.name);
            }
            store.delete_client(app.client.id, app.client.owner_id).await?;
            println!("deleted application {:?} ({})", app.client.name, app.client.client_id);
            Ok(())
        }
    }
}

/// The application `client_id` names, or the one-line error.
pub(super) async fn find(store: &dyn Store, client_id: &str) -> anyhow::Result<AppRecord> {
    store
        .admin()
        .find_app(client_id)
        .await
        .context("cannot read the applications")?
        .ok_or_else(|| anyhow::anyhow!("no application has the client id {client_id:?}"))
}

fn state(app: &AppRecord) -> &'static str {
    if app.disabled_at.is_some() { "disabled" } else { "active" }
}

fn print_app(app: &AppRecord) {
    let client = &app.client;
    println!("client_id:     {}", client.client_id);
    println!("name:          {}", client.name);
    println!("owner:         {} <{}>", app.owner_login, app.owner_email);
    println!("state:         {}", state(app));
    if app.disabled_at.is_some() {
        println!("disabled:      {}", time_text(app.disabled_at));
    }
    println!("type:          {}", if client.is_public() { "public" } else { "confidential" });
    println!("scopes:        {}", client.scopes);
    for uri in &client.redirect_uris {
        println!("redirect_uri:  {uri}");
    }
    println!("created:       {}", time_text(Some(client.created_at)));
}

/// One application of `app list --json` and `app show --json`.
fn as_json(app: &AppRecord) -> serde_json::Value {
    let client = &app.client;
    serde_json::json!({
        "client_id": client.client_id,
        "name": client.name,
        "owner": { "id": client.owner_id, "login": app.owner_login, "email": app.owner_email },
        "public": client.is_public(),
        "redirect_uris": client.redirect_uris,
        "scopes": client.scopes.to_string(),
        "homepage": client.homepage,
        "disabled": app.disabled_at.is_some(),
        "disabled_at": app.disabled_at,
        "created_at": client.created_at,
    })
}

async fn set_disabled(store: &dyn Store, client_id: &str, disabled: bool) -> anyhow::Result<()> {
    let app = find(store, client_id).await?;
    let changed = store.admin().set_app_disabled(app.client.id, disabled, SystemClock.now()).await?;
    let verb = if disabled { "disabled" } else { "enabled" };
    if changed {
        println!("{verb} application {:?} ({})", app.client.name, app.client.client_id);
    } else {
        println!("application {:?} was {verb} already", app.client.name);
    }
    Ok(())
}
