//! The `gatehouse` command line (SPEC §2): one file per subcommand.

mod app;
mod app_admin;
mod backup;
mod keys;
mod output;
mod serve;
mod token;
mod user;
mod user_admin;

use anyhow::Context as _;

use crate::config::{Settings, SettingsArgs};

/// Gatehouse: OAuth 2 authorization server and account service.
///
/// Settings come from defaults, then the --config TOML file, then GATEHOUSE_*
/// environment variables, then flags.
#[derive(Debug, clap::Parser)]
#[command(name = "gatehouse", version, about, long_about)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the server (creates and migrates the database on first start).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage developer applications (OAuth clients).
    #[command(subcommand)]
    App(app::AppCommand),
    /// Manage the ID token signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Revoke tokens in bulk.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Copy a SQLite database while the server runs (PostgreSQL: it names the tool to use).
    Backup(backup::BackupArgs),
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.settings)?;
    match cli.command {
        Command::Serve => serve::run(settings).await,
        Command::Migrate => {
            let database = settings.redacted_database_url();
            crate::store::connect_with(settings.database_url.expose(), &settings.database, true)
                .await
                .with_context(|| format!("cannot migrate {database}"))?;
            println!("database {database} is up to date");
            Ok(())
        }
        Command::User(command) => user::run(settings, command).await,
        Command::App(command) => app::run(settings, command).await,
        Command::Keys(command) => keys::run(settings, command).await,
        Command::Token(command) => token::run(settings, command).await,
        Command::Backup(args) => backup::run(settings, args).await,
    }
}

async fn open_store(settings: &Settings) -> anyhow::Result<std::sync::Arc<dyn crate::store::Store>> {
    crate::store::connect_with(settings.database_url.expose(), &settings.database, true)
        .await
        .with_context(|| format!("cannot open database {}", settings.redacted_database_url()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
