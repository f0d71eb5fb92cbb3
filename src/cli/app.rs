//! `gatehouse app create`; the other `app` subcommands, the operator's, are
//! in `app_admin.rs`.

use anyhow::{Context as _, bail};

use crate::apps::{self, ApplicationForm};
use crate::clock::{Clock as _, SystemClock};
use crate::config::Settings;
use crate::domain::user::Email;

/// Application subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AppCommand {
    /// Register an application and print its client id and secret.
    Create(CreateApp),
    /// List applications, newest first.
    List(super::app_admin::ListApps),
    /// Show one application (named by client id).
    Show(super::app_admin::Named),
    /// Disable an application: every endpoint treats it as unknown and its
    /// tokens stop at once, on every instance.
    Disable(super::app_admin::Named),
    /// Enable a disabled application again (its old tokens stay revoked).
    Enable(super::app_admin::Named),
    /// Delete an application with its grants, codes and tokens (needs --yes).
    Delete(super::app_admin::Delete),
}

/// `app create` arguments.
#[derive(Debug, clap::Args)]
pub struct CreateApp {
    /// Email of the owning user.
    #[arg(long, value_name = "EMAIL")]
    owner: String,
    /// Application name.
    #[arg(long)]
    name: String,
    /// Callback URL; repeat for several.
    #[arg(long = "redirect-uri", value_name = "URI", required = true)]
    redirect_uris: Vec<String>,
    /// Scopes the application may request, space-separated.
    #[arg(long, default_value = "user_info")]
    scopes: String,
    /// Homepage URL.
    #[arg(long, default_value = "")]
    homepage: String,
    /// Description.
    #[arg(long, default_value = "")]
    description: String,
    /// A public client (native or browser app): no secret, must use PKCE.
    #[arg(long)]
    public: bool,
    /// The algorithm its OpenID Connect ID tokens are signed with.
    #[arg(long, value_name = "ALG", default_value = "RS256", value_parser = ["RS256", "ES256", "EdDSA"])]
    id_token_alg: String,
    /// Where `/oauth/logout` may send the browser after sign-out (compared
    /// exactly); repeat for several.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(settings: Settings, command: AppCommand) -> anyhow::Result<()> {
    match command {
        AppCommand::Create(args) => create(settings, args).await,
        other => super::app_admin::run(settings, other).await,
    }
}

async fn create(settings: Settings, args: CreateApp) -> anyhow::Result<()> {
    let store = super::open_store(&settings).await?;
    let email = Email::parse(&args.owner).map_err(|_| anyhow::anyhow!("--owner is not an email address"))?;
    let Some(owner) = store.find_user_credentials(email.as_str()).await?.map(|c| c.user) else {
        bail!("no user has the email {}", email.as_str());
    };
    let form = ApplicationForm {
        name: args.name,
        homepage: args.homepage,
        description: args.description,
        redirect_uris: args.redirect_uris,
        scopes: args.scopes,
        public: args.public,
        id_token_alg: args.id_token_alg,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
    };
    let registered = apps::register(&*store, owner.id, &form, settings.allow_http_callbacks, SystemClock.now())
        .await
        .context("cannot create application")?;
    let client = &registered.client;
    let secret = registered.secret.as_ref().map(|s| s.expose().to_owned());
    if args.json {
        let out = serde_json::json!({
            "client_id": client.client_id,
            "client_secret": secret,
            "name": client.name,
            "redirect_uris": client.redirect_uris,
            "scopes": client.scopes.to_string(),
            "public": client.is_public(),
            "id_token_alg": client.id_token_alg.as_str(),
            "post_logout_redirect_uris": client.post_logout_redirect_uris,
        });
        println!("{out}");
    } else {
        println!("created application {}", client.name);
        println!("client_id:     {}", client.client_id);
        match secret {
            Some(secret) => println!("client_secret: {secret}  (shown once: store it now)"),
            None => println!("client_secret: none (public client: use PKCE)"),
        }
    }
    Ok(())
}
