//! `gatehouse backup --to FILE` (SPEC §8): a consistent copy of a SQLite
//! database taken while the server keeps serving (`VACUUM INTO`, one read
//! transaction). A PostgreSQL database is backed up with its own tools.

use std::path::PathBuf;

use anyhow::{Context as _, bail};

use crate::config::Settings;

/// `backup` arguments.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist (a backup never overwrites).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

pub(super) async fn run(settings: Settings, args: BackupArgs) -> anyhow::Result<()> {
    let database = settings.redacted_database_url();
    if !database.starts_with("sqlite:") {
        bail!(
            "backup copies SQLite databases only; back up PostgreSQL with pg_dump: pg_dump --format=custom --file {} '{database}'",
            args.to.display()
        );
    }
    if args.to.exists() {
        bail!("{} exists already: a backup never overwrites a file", args.to.display());
    }
    let target = args.to.to_str().context("the backup path is not UTF-8")?;
    let store = super::open_store(&settings).await?;
    store.admin().backup_into(target).await.with_context(|| format!("cannot back up into {}", args.to.display()))?;
    println!("backed up {database} into {}", args.to.display());
    Ok(())
}
