//! `gatehouse token revoke --user EMAIL | --app CLIENT_ID` (SPEC §8).

use crate::clock::{Clock as _, SystemClock};
use crate::config::Settings;
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};

/// Token subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Revoke every token of a user (issued access and refresh tokens, and
    /// personal access tokens) or of an application, at once on every
    /// instance. Sessions stay; the user or application can get new tokens.
    Revoke(RevokeArgs),
}

/// `token revoke` arguments: exactly one of them.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct RevokeArgs {
    /// The user's email or login.
    #[arg(long, value_name = "EMAIL_OR_LOGIN")]
    user: Option<String>,
    /// The application's client id.
    #[arg(long, value_name = "CLIENT_ID")]
    app: Option<String>,
}

pub(super) async fn run(settings: Settings, command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Revoke(args) = command;
    let store = super::open_store(&settings).await?;
    let now = SystemClock.now();
    if let Some(name) = &args.user {
        let account = super::user_admin::find(&*store, name).await?;
        let event = SecurityEvent::new(account.user.id, SecurityEventKind::TokensRevokedByAdmin, None);
        let revoked = store.admin().revoke_user_tokens(account.user.id, now, &event).await?;
        println!("revoked {revoked} token(s) of user {}", account.user.login);
    } else if let Some(client_id) = &args.app {
        let app = super::app_admin::find(&*store, client_id).await?;
        let revoked = store.revoke_client_tokens(app.client.id, now).await?;
        println!("revoked {revoked} token(s) of application {:?}", app.client.name);
    }
    Ok(())
}
